"""What a sandbox run returns: a value, or a typed error, plus the console output."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["ErrorKind", "LogEntry", "RunError", "RunResult", "json_text"]

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

ErrorKind = Literal["syntax", "runtime", "contract", "timeout", "memory", "stack", "output", "policy", "crash", "check"]
"""Why a run failed:

- `syntax`: the code does not parse.
- `runtime`: the code threw (or rejected) an error.
- `contract`: no `export default`, or the default export is a function that was never called.
- `timeout`: the run overran its wall clock, or awaited something that can never settle.
- `memory`: the engine ran out of its memory allowance.
- `stack`: recursion deeper than the engine stack allows.
- `output`: the value cannot be turned into JSON (a cycle, NaN, a Promise...) or is too large.
- `policy`: something the sandbox forbids (an import, a refused fetch).
- `crash`: the worker process died; the next run gets a fresh one.
- `check`: the caller's `check` code threw: the value is not the one the caller expects.
"""

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
    """Why a run failed, with the JS error's name and message and, where known, its position
    in the guest's code (1-based line and column)."""

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

    def to_json(self) -> dict[str, Any]:
        """The public JSON shape of `jsolve run --json`; keep it stable."""
        return {
            "ok": self.ok,
            "value": self.value,
            "error": self.error.to_json() if self.error else None,
            "logs": [entry.to_json() for entry in self.logs],
            "duration_ms": round(self.duration_ms, 3),
        }


def json_text(value: Any, *, indent: int | None = None) -> str:
    """`value` as JSON for the terminal. A BigInt answer may have any number of digits, and
    Python writes no int past 4,300 of them unless its limit is lifted: it is, for this call only."""
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        return json.dumps(value, ensure_ascii=False, indent=indent)
    finally:
        sys.set_int_max_str_digits(limit)
