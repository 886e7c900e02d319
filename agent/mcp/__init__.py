"""jsolve as an MCP server (`jsolve mcp`)."""
