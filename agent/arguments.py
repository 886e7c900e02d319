"""The one way a configuration value is checked: `Limits`, `NetworkPolicy`, `SolveSettings`, the
MCP server's config, the toolset, the eval runner and the local server refuse a value that cannot
work with a `UsageError` that names the field, says what it must be and shows what it got:

    samples must be a positive integer (programs per round), got 0
    Limits.timeout must be at most 604800 seconds, got inf; pass None for no limit

One helper per kind of value (a count, a number of seconds, a number in a range, an instance of
a type); a rule between fields, or one with words of its own, is `require(condition, message)`.
A bool is never taken for a number (`True` is an `int` to Python, not a count to a caller).

Imports only `agent.errors`: the sandbox's worker processes import `Limits`.
"""

from __future__ import annotations

import math
from typing import Any

from agent.errors import UsageError

__all__ = ["at_least", "between", "instance", "is_number", "is_whole", "positive_count", "require", "seconds", "whole_count"]


def require(condition: bool, message: str) -> None:
    """Raise `UsageError(message)` unless `condition`: for a rule between fields, or in words of its own."""
    if not condition:
        raise UsageError(message)


def is_whole(value: object) -> bool:
    """Whether `value` is an integer (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    """Whether `value` is an int or a float (not a bool)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _refuse(name: str, requirement: str, value: object, hint: str = "") -> UsageError:
    return UsageError(f"{name} must be {requirement}, got {value!r}" + (f"; {hint}" if hint else ""))


def _whole_hint(value: object) -> str:
    """What to add when a number was given where a whole one is needed (1.5 MiB, 2.0 KiB)."""
    return "a whole number" if is_number(value) and not is_whole(value) else ""


def positive_count(value: Any, name: str, *, meaning: str = "", optional: bool = False, at_most: int | None = None) -> None:
    """`value` must be an integer of at least 1 (`meaning` says of what, in the message), or
    None when `optional` (no limit), and at most `at_most`."""
    if value is None and optional:
        return
    if not is_whole(value) or value < 1:
        if optional:
            raise _refuse(name, "a positive number or None (no limit)", value, _whole_hint(value))
        raise _refuse(name, f"a positive integer{f' ({meaning})' if meaning else ''}", value)
    if at_most is not None and value > at_most:
        raise _refuse(name, f"at most {at_most}", value, "pass None for no limit" if optional else "")


def whole_count(value: Any, name: str) -> None:
    """`value` must be an integer of 0 or more."""
    if not is_whole(value) or value < 0:
        raise _refuse(name, "0 or more", value, _whole_hint(value))


def at_least(value: Any, name: str, least: int) -> None:
    """`value` must be an integer of at least `least` (said as such: `workers must be at least 1`)."""
    if not is_whole(value) or value < least:
        raise _refuse(name, f"at least {least}", value, _whole_hint(value))


def seconds(value: Any, name: str, *, optional: bool = True, at_most: float | None = None) -> None:
    """`value` must be a positive, finite number of seconds (at most `at_most`), or None when
    `optional` (no limit)."""
    if value is None and optional:
        return
    if not is_number(value) or not value > 0:
        raise _refuse(name, "a positive number or None (no limit)" if optional else "a positive number of seconds", value)
    if not math.isfinite(value) or (at_most is not None and value > at_most):
        limit = f"at most {at_most:.0f} seconds" if at_most is not None else "a finite number of seconds"
        raise _refuse(name, limit, value, "pass None for no limit" if optional else "")


def between(value: Any, name: str, low: float, high: float) -> None:
    """`value` must be a number from `low` to `high`, both included."""
    if not is_number(value) or not low <= value <= high:
        raise _refuse(name, f"between {low:g} and {high:g}", value)


def instance(value: Any, name: str, kind: type | tuple[type, ...], what: str, *, optional: bool = True) -> None:
    """`value` must be an instance of `kind` (`what` names it for a person: "a Limits"), or None
    when `optional`; the message shows the type it got, not its value."""
    if (value is None and optional) or isinstance(value, kind):
        return
    raise UsageError(f"{name} must be {what}, got {type(value).__name__}")
