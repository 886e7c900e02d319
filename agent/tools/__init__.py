"""The caller's tools inside the sandbox (code mode), host side: the registry that validates and
runs calls (`registry`), the TypeScript declarations the model reads (`declarations`), tools
named on a command line (`loading`) and an MCP server's tools over stdio (`mcp`).

    from agent.tools import Tools, declare
    async with Tools.of([orders_in, send_email], effects={"send_email"}) as tools:
        prompt_part = declare(tools).text
        outcome = await tools.call("orders_in", {"month": "2026-03"})

This layer sits below the sandbox and the solve loop: it imports neither.
"""

from typing import TYPE_CHECKING

from agent.exports import lazy

_EXPORTS = {
    **dict.fromkeys(["EffectLog", "ErrorKind", "InvalidArguments", "Outcome", "Tool", "ToolCall", "ToolError", "Tools"], "agent.tools.registry"),
    **dict.fromkeys(["DECLARATIONS_BUDGET", "Declarations", "declare"], "agent.tools.declarations"),
    **dict.fromkeys(["load_tools"], "agent.tools.loading"),
    **dict.fromkeys(["MCPToolError", "StdioMCPToolset", "stdio_toolset"], "agent.tools.mcp"),
}
__all__ = ["DECLARATIONS_BUDGET", "Declarations", "EffectLog", "ErrorKind", "InvalidArguments", "MCPToolError", "Outcome", "StdioMCPToolset",
           "Tool", "ToolCall", "ToolError", "Tools", "declare", "load_tools", "stdio_toolset"]


__getattr__ = lazy(__name__, _EXPORTS)


if TYPE_CHECKING:
    from agent.tools.declarations import DECLARATIONS_BUDGET, Declarations, declare
    from agent.tools.loading import load_tools
    from agent.tools.mcp import MCPToolError, StdioMCPToolset, stdio_toolset
    from agent.tools.registry import (
        EffectLog,
        ErrorKind,
        InvalidArguments,
        Outcome,
        Tool,
        ToolCall,
        ToolError,
        Tools,
    )
