"""What a sandbox run returns: a value, or a typed error, plus the console output."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from agent.failure_kinds import SCRIPT_KINDS, WORKER_KINDS, ErrorKind
from agent.text import json_text  # its home is agent.text; kept here, where callers found it

if TYPE_CHECKING:  # types only: the worker imports this module, and nothing of the tools (asyncio, pydantic)
    from agent.tools.registry import ToolCall

__all__ = ["SCRIPT_KINDS", "WORKER_KINDS", "ErrorKind", "FetchErrorKind", "LogEntry", "RunError", "RunResult", "json_text"]

MAX_ERROR_CHARS = 4096
"""Characters kept of an error's name, message and stack each: a few KB say what went wrong; a
40 MB message (code can throw one) would become a 40 MB repair prompt."""

FetchErrorKind = Literal["policy", "network"]
"""Why the pool answers a request of the code's `fetch` with an error (a `fetched` frame's
`error.kind`; not a failure kind): `policy`, the request is refused (the code gets a
`PolicyError`, and a run that does not catch it fails as `policy`); `network`, it could not be
made or its response read (a `TypeError`, as fetch throws one; uncaught, a `runtime` failure)."""

LogLevel = Literal["log", "info", "warn", "error", "debug"]


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One captured console line."""

    level: LogLevel
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"level": self.level, "text": self.text}


@dataclass(frozen=True, slots=True)
class RunError:
    """Why a run failed (`kind`: one of the failure kinds of `agent.failure_kinds` decided in the
    sandbox), with the JS error's name and message and, where known, its position in the guest's
    code (1-based line and column)."""

    kind: ErrorKind
    message: str
    name: str | None = None
    line: int | None = None
    column: int | None = None
    stack: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "stack": self.stack,
        }


@dataclass(frozen=True, slots=True)
class RunResult:
    """The outcome of one run. `value` is the default export as JSON-compatible Python data
    (BigInt becomes `int`, Date an ISO string; see the README), or None when `ok` is False."""

    ok: bool
    value: Any = None
    error: RunError | None = None
    logs: list[LogEntry] = field(default_factory=list)
    duration_ms: float = 0.0
    unsafe_integers: tuple[str, ...] = ()
    """Paths (`$.total`, `$[2]`) of integral Numbers in the value past `Number.MAX_SAFE_INTEGER`:
    their digits read as exact but were rounded (BigInts are not listed). Empty when `ok` is False."""
    tool_calls: tuple[ToolCall, ...] = ()
    """Every tool call of the run that got an outcome, in the order the code issued them (calls
    refused by a limit, and calls still out when the run ended, are not listed)."""

    def to_json(self) -> dict[str, Any]:
        """The public JSON shape of `jsolve run --json`; keep it stable (`tool_calls` only when
        the run made any)."""
        shape: dict[str, Any] = {
            "ok": self.ok,
            "value": self.value,
            "error": self.error.to_json() if self.error else None,
            "logs": [entry.to_json() for entry in self.logs],
            "duration_ms": round(self.duration_ms, 3),
        }
        if self.tool_calls:
            from dataclasses import asdict

            shape["tool_calls"] = [asdict(call) for call in self.tool_calls]
        return shape
