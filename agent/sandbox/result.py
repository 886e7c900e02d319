"""What a sandbox run returns: a value, or a typed error, plus the console output."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from agent.failure_kinds import SCRIPT_KINDS, WORKER_KINDS, ErrorKind

if TYPE_CHECKING:  # types only: the worker imports this module, and nothing of the tools (asyncio, pydantic)
    from agent.tools.registry import ToolCall

__all__ = ["SCRIPT_KINDS", "WORKER_KINDS", "ErrorKind", "FetchErrorKind", "LogEntry", "RunError", "RunResult", "json_text"]

MAX_ERROR_CHARS = 4096
"""Characters kept of an error's name, message and stack each: a few KB say what went wrong; a
40 MB message (code can throw one) would become a 40 MB repair prompt."""

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """`text` with every lone surrogate (which JavaScript strings may hold and UTF-8 cannot)
    replaced by U+FFFD, as the WHATWG encoders do: whatever leaves the sandbox encodes. (A
    Python str holds a pair as one code point, so any surrogate left in it is a lone one.)"""
    return _LONE_SURROGATE.sub("\ufffd", text) if _LONE_SURROGATE.search(text) else text


def cut_text(text: str, cap: int = MAX_ERROR_CHARS) -> str:
    """`text` cut to `cap` characters, saying that it was cut."""
    return text if len(text) <= cap else f"{text[:cap]}... [cut at {cap} characters]"


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


def json_text(value: Any, *, indent: int | None = None) -> str:
    """`value` as JSON for the terminal. A BigInt answer may have any number of digits, and
    Python writes no int past 4,300 of them (`sys.get_int_max_str_digits`): such ints are
    written here, in pieces, and put in place, so that the process-wide limit is never lifted
    (which no other thread could rely on meanwhile). Other values are written as `json.dumps`
    writes them."""
    try:
        return json.dumps(value, ensure_ascii=False, indent=indent)
    except ValueError:
        marker = f"jsolve-int-{os.urandom(8).hex()}-"
        digits: list[str] = []
        marked = _mark_long_ints(value, marker, digits)
        if not digits:
            raise
        text = json.dumps(marked, ensure_ascii=False, indent=indent)
        return re.sub(f'"{marker}([0-9]+)"', lambda found: digits[int(found[1])], text)


_SHORT_INT_BITS = 1900
"""Bits of an int `str()` writes whatever the process's digit limit: 572 digits, under the least
limit Python allows (640)."""


def _mark_long_ints(value: Any, marker: str, digits: list[str]) -> Any:
    """`value` with each int too long for `str()` replaced by `marker` and the index of its
    digits, appended to `digits`."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > _SHORT_INT_BITS:
        digits.append(_int_text(value))
        return f"{marker}{len(digits) - 1}"
    if isinstance(value, (list, tuple)):
        return [_mark_long_ints(item, marker, digits) for item in value]
    if isinstance(value, dict):
        return {key: _mark_long_ints(item, marker, digits) for key, item in value.items()}
    return value


def _int_text(number: int) -> str:
    """`number`'s decimal digits, however many, written in halves of at most 572 digits each."""
    if number < 0:
        return "-" + _int_text(-number)
    if number.bit_length() <= _SHORT_INT_BITS:
        return str(number)
    low = int(number.bit_length() * 0.30103) // 2  # half of its digits, at most
    high, rest = divmod(number, 10**low)
    return _int_text(high) + _int_text(rest).rjust(low, "0")
