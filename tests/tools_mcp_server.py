"""A tiny MCP server over stdio for tests/test_tools_registry.py: a typed lookup, a tool that
raises, and a counter that says how often it really ran (to check effects replay)."""

from __future__ import annotations

from typing import Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel

server = MCPServer("tools-test")
counts: dict[str, int] = {}


class Weather(BaseModel):
    """The weather in a city."""

    city: str
    degrees: float
    units: Literal["c", "f"]


@server.tool()
def weather(city: str, units: Literal["c", "f"] = "c") -> Weather:
    """The current weather in a city."""
    return Weather(city=city, degrees=21.5 if units == "c" else 70.7, units=units)


@server.tool()
def broken(reason: str) -> str:
    """Always fails (a failure the server reports with its message)."""
    raise ToolError(f"broken because {reason}")


@server.tool()
def bump(key: str) -> int:
    """Counts the calls per key, in the server process."""
    counts[key] = counts.get(key, 0) + 1
    return counts[key]


if __name__ == "__main__":
    server.run()
