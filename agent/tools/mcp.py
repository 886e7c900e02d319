"""An MCP server's tools as a pydantic-ai toolset, over the official `mcp` SDK's client (stdio).

    toolset = StdioMCPToolset.of("python crm_server.py")      # `jsolve solve --mcp "python crm_server.py"`
    async with Tools.of(toolset) as tools: ...                # the server starts, its tools are listed

pydantic-ai's own `MCPToolset` needs `fastmcp`; this one needs only `mcp` (the optional extra
`jsolve[mcp]`), imported when the server is started. The server runs as a child process of the
caller, with the caller's environment, for as long as the toolset is entered. A tool's arguments
are checked by `agent.tools.Tools` against the schema the server lists; its result is the
server's structured content when it gives one, else the text of its content; a call the server
marks as an error raises `MCPToolError` with the server's message.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from pydantic_ai.toolsets import AbstractToolset

from agent.errors import UsageError

if TYPE_CHECKING:
    from pydantic_ai import RunContext
    from pydantic_ai.toolsets import ToolsetTool

__all__ = ["MCPToolError", "StdioMCPToolset", "stdio_toolset"]

MAX_TOOL_PAGES = 100
"""Pages of a server's tool list read at most: a server whose cursor never ends cannot hang the
start of a solve; a hundred pages hold more tools than a prompt can declare."""


class MCPToolError(RuntimeError):
    """An MCP server answered a tool call with an error (its message is the server's text)."""


def _require_mcp() -> None:
    try:
        import mcp  # noqa: F401
    except ImportError as error:
        raise UsageError("MCP servers' tools need the MCP SDK: pip install 'jsolve[mcp]' (the package `mcp`)") from error


def stdio_toolset(command_line: str, *, cwd: str | None = None, env: Mapping[str, str] | None = None) -> StdioMCPToolset:
    """The toolset of the MCP server that `command_line` starts (`"python crm_server.py"`, split
    as a shell would split it, never run by a shell)."""
    return StdioMCPToolset.of(command_line, cwd=cwd, env=env)


class StdioMCPToolset(AbstractToolset[Any]):
    """The tools of one MCP server started over stdio, as a pydantic-ai `AbstractToolset`."""

    def __init__(self, command: str, args: Sequence[str] = (), *, cwd: str | None = None, env: Mapping[str, str] | None = None,
                 label: str | None = None) -> None:
        if not command:
            raise UsageError("an MCP server needs a command, e.g. 'python crm_server.py'")
        self._command = command
        self._args = tuple(args)
        self._cwd = cwd
        self._env = dict(env) if env is not None else None
        self._label = label or shlex.join([command, *self._args])
        self._stack: AsyncExitStack | None = None
        self._client: Any = None

    @classmethod
    def of(cls, command_line: str, *, cwd: str | None = None, env: Mapping[str, str] | None = None) -> StdioMCPToolset:
        """The server that `command_line` starts, split as a shell would split it."""
        try:
            parts = shlex.split(command_line)
        except ValueError as error:
            raise UsageError(f"--mcp {command_line!r} is not a command line: {error}") from error
        if not parts:
            raise UsageError("--mcp needs a command that starts an MCP server over stdio, e.g. --mcp 'python crm_server.py'")
        return cls(parts[0], parts[1:], cwd=cwd, env=env)

    @property
    def id(self) -> str | None:
        return None

    @property
    def label(self) -> str:
        return f"MCP server {self._label!r}"

    async def __aenter__(self) -> Self:
        _require_mcp()
        from mcp import Client, StdioServerParameters

        stack = AsyncExitStack()
        params = StdioServerParameters(command=self._command, args=list(self._args), cwd=self._cwd, env=self._env)
        try:
            self._client = await stack.enter_async_context(Client(params))
        except BaseException as error:
            await stack.aclose()
            if isinstance(error, Exception):
                raise UsageError(f"the MCP server {self._label!r} did not start: {type(error).__name__}: {error}") from error
            raise
        self._stack = stack
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None) -> bool | None:
        stack, self._stack, self._client = self._stack, None, None
        if stack is not None:
            await stack.aclose()
        return None

    async def get_tools(self, ctx: RunContext[Any]) -> dict[str, ToolsetTool[Any]]:
        from pydantic_ai.tools import ToolDefinition
        from pydantic_ai.toolsets import ToolsetTool
        from pydantic_core import SchemaValidator, core_schema

        client = self._require_client()
        listed: list[Any] = []
        cursor: str | None = None
        for _ in range(MAX_TOOL_PAGES):
            page = await client.list_tools(cursor=cursor)
            listed += page.tools
            cursor = page.next_cursor
            if not cursor:
                break
        anything = SchemaValidator(core_schema.dict_schema())  # the arguments are checked against the listed schema before
        return {tool.name: ToolsetTool(toolset=self, max_retries=0, args_validator=anything,
                                       tool_def=ToolDefinition(name=tool.name, description=tool.description,
                                                               parameters_json_schema=tool.input_schema, return_schema=tool.output_schema))
                for tool in listed}

    async def call_tool(self, name: str, tool_args: dict[str, Any], ctx: RunContext[Any], tool: ToolsetTool[Any]) -> Any:
        result = await self._require_client().call_tool(name, tool_args)
        text = "\n".join(getattr(block, "text", "") for block in result.content)
        if result.is_error:
            raise MCPToolError(text or f"the server reported an error calling {name}")
        return result.structured_content if result.structured_content is not None else text

    def _require_client(self) -> Any:
        if self._client is None:
            raise UsageError(f"the {self.label} is not started: enter the toolset first (`async with Tools.of(toolset):`)")
        return self._client
