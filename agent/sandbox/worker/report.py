"""The prelude's report of a run (its console, then its value as JSON text or its error), read
out of the engine and checked: code that replaces built-ins can make it anything."""

from __future__ import annotations

import json
import re
from typing import Any, get_args

import _quickjs as quickjs

from agent.sandbox.protocol import RunLimits
from agent.sandbox.result import LogLevel
from agent.sandbox.worker.errors import _KINDS, split_exception

COLLECT_HEADROOM = 16 << 20
"""Bytes added to the engine cap after the guest ran, so its logs and error can still be read."""

_NULL_THROWN = re.compile(r"\bthrow\s+null\b|\breject\(\s*null\s*\)")

_LEVELS = set(get_args(LogLevel))
_TAMPERED = {"logs": [], "cut": 0, "error": {
    "kind": "output", "name": None, "stack": None,
    "message": "the result could not be read out: the code changed built-ins the sandbox reads it with "
               "(such as JSON.stringify or Object.prototype.toJSON); leave those as they are"}}


def report(ctx: quickjs.Context, limits: RunLimits, code: str) -> dict[str, Any]:
    """The prelude's report of the run in `ctx`, checked (`_outcome`), read with the limits lifted."""
    ctx.set_time_limit(-1)
    if memory_mb := limits.get("memory_mb"):
        ctx.set_memory_limit((memory_mb << 20) + COLLECT_HEADROOM)
    try:
        outcome = _outcome(ctx.eval("__jsolve.result()"), limits)
    except quickjs.JSException as exc:
        outcome = {"logs": [], "cut": 0, "error": dict(zip(("name", "message", "stack"), split_exception(exc)), kind=None)}
    except UnicodeDecodeError:  # a lone surrogate in text the engine hands over raw: only replaced built-ins get here
        return _TAMPERED
    err = outcome.get("error")
    if isinstance(err, dict) and err.pop("null", False) and err.get("kind") is None:
        # The engine throws null when it cannot even make the error for running out of memory,
        # so null means memory unless the code throws it itself.
        if _NULL_THROWN.search(code):
            outcome = {**outcome, "error": {**err, "kind": "runtime", "message": "the code threw null; throw an Error instead, e.g. `throw new Error(\"why\")`"}}
        else:
            outcome = {**outcome, "error": {**err, "kind": "memory"}}
    return outcome


def _outcome(text: Any, limits: RunLimits) -> dict[str, Any]:
    """The prelude's report of the run (logs, then the value as JSON text or the error), checked.
    Code that replaces built-ins can make the report anything, so what does not have its shape,
    or is over the caps, is reported as an `output` error rather than trusted."""
    try:
        outcome = json.loads(text) if isinstance(text, str) else None
    except (ValueError, RecursionError):
        return _TAMPERED
    if not isinstance(outcome, dict) or not isinstance(outcome.get("cut"), int) or not isinstance(logs := outcome.get("logs"), list):
        return _TAMPERED
    if not all(isinstance(e, dict) and e.get("level") in _LEVELS and isinstance(e.get("text"), str) for e in logs):
        return _TAMPERED
    lines, size = limits.get("console_lines"), limits.get("console_bytes")
    if (lines is not None and len(logs) > lines) or (size is not None and sum(len(e["text"]) for e in logs) > size):
        return _TAMPERED
    if isinstance(err := outcome.get("error"), dict):
        fields_ok = isinstance(err.get("message"), str) and all(isinstance(err.get(k), (str, type(None))) for k in ("name", "stack"))
        return outcome if fields_ok and err.get("kind") in _KINDS else _TAMPERED
    value, bigints = outcome.get("value"), outcome.get("bigints")
    if not isinstance(value, str) or not isinstance(bigints, list):
        return _TAMPERED
    if not all(isinstance(path, list) and all(isinstance(k, (str, int)) for k in path) for path in bigints):
        return _TAMPERED
    if (cap := limits.get("output_bytes")) is not None and len(value) > cap:
        return _TAMPERED
    return outcome
