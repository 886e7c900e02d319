"""The caller's data for a run: named JSON values that the code reads as read-only globals.

Each input is checked here, in the caller's process (its name, that it is JSON data), and turned
into JSON text once; the pool sends that text to a worker only when the worker does not hold it
from its previous run, and the worker parses it inside the engine, deeply frozen, as a global of
its name in the run's fresh context. Nothing else of the caller's process reaches the guest.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from agent.errors import UsageError
from agent.js_names import GLOBALS, RESERVED
from agent.sandbox.limits import Limits
from agent.text import LONE_SURROGATE, MAX_SAFE_INTEGER

__all__ = ["GLOBALS", "INPUTS_MODULE", "MAX_INPUT_BYTES", "Inputs", "check_name", "size_text"]

INPUTS_MODULE = "jsolve:inputs"
"""The module code may import its inputs from by name (`import { orders } from "jsolve:inputs"`):
the same values as the globals (the worker, which imports nothing of this side, spells it too)."""

MAX_INPUT_BYTES = 128 << 20
"""Bytes of JSON text all the inputs of a run may take together. Parsed and frozen in the engine
they take about 8 times that (`MEMORY_PER_INPUT_BYTE`), which must fit `MAX_MEMORY_MB`."""

MEMORY_PER_INPUT_BYTE = 8
"""Engine bytes per byte of input JSON, parsed and frozen: measured 5.8 for rows of objects after
`JSON.parse`, 7.6 once frozen (frozen objects change shape), rounded up."""

MAX_MEMORY_MB = 2048
"""MiB the engine may be given when inputs raise its limit: with the input's text held twice, within
the worker's address-space cap."""

MAX_DEPTH = 500
"""Levels of nesting an input may have (the engine's JSON parser stops near 900)."""

_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*\Z")



def size_text(size: int) -> str:
    """A byte count for a message: "2,000 bytes", "3.1 MiB"."""
    return f"{size:,} bytes" if size < 2**20 else f"{size / 2**20:.1f} MiB"


def check_name(name: Any) -> str:
    """`name` when it can name an input; a `UsageError` saying why not otherwise."""
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise UsageError(f"the input name {name!r} is not a JavaScript identifier: use letters, digits, _ and $, "
                         "not starting with a digit (e.g. sales, orders_2024)")
    if name in RESERVED:
        raise UsageError(f"the input name {name!r} is a reserved word in JavaScript: choose another name")
    if name in GLOBALS or name.startswith("__jsolve"):
        raise UsageError(f"the input name {name!r} would hide the built-in global {name}: choose another name")
    return name


@dataclass(frozen=True, slots=True)
class Input:
    """One input: its name, its JSON text (what the worker parses) and the text's digest."""

    name: str
    text: str
    digest: str
    value: Any
    """The JSON value as the caller's process holds it (for describing it to a model)."""


class Inputs(Mapping[str, Any]):
    """Named inputs, checked and serialized once: pass the same `Inputs` to many runs.

    >>> Inputs({"rows": [{"a": 1}]})["rows"]
    [{'a': 1}]
    """

    def __init__(self, values: Mapping[str, Any], *, max_bytes: int = MAX_INPUT_BYTES, files: Mapping[str, str] | None = None) -> None:
        if not isinstance(values, Mapping):
            raise UsageError(f"inputs must be a mapping of names to JSON values, got {type(values).__name__}")
        items: dict[str, Input] = {}
        total = 0
        for name, value in values.items():
            check_name(name)
            _check_json(value, name)
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
            total += len(text.encode("utf-8"))
            if total > max_bytes:
                raise UsageError(f"the inputs take more than {size_text(max_bytes)} as JSON (at {name!r}), the cap on inputs: "
                                 "filter or aggregate the data before passing it")
            items[name] = Input(name, text, hashlib.sha256(text.encode("utf-8")).hexdigest(), value)
        self._items = items
        self.bytes = total
        """Bytes of JSON text of all inputs together."""
        self.files: dict[str, str] = dict(files or {})
        """The file each input was read from, by name (for describing it)."""

    def __getitem__(self, name: str) -> Any:
        return self._items[name].value

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def entries(self) -> list[Input]:
        return list(self._items.values())

    def widen(self, limits: Limits) -> Limits:
        """`limits` with the engine's memory raised by what the inputs take once parsed, within
        `MAX_MEMORY_MB` (a limit of None stays None)."""
        if limits.memory_mb is None or not self.bytes:
            return limits
        extra = math.ceil(self.bytes * MEMORY_PER_INPUT_BYTE / 2**20)
        return replace(limits, memory_mb=max(limits.memory_mb, min(MAX_MEMORY_MB, limits.memory_mb + extra)))


def _check_json(value: Any, name: str) -> None:
    """Raise a `UsageError` naming the place of the first thing in `value` that is not JSON data
    the engine reads back exactly."""
    stack: list[tuple[Any, str, int]] = [(value, name, 0)]
    while stack:
        v, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise UsageError(f"input {path}: nested more than {MAX_DEPTH} levels deep")
        if v is None or isinstance(v, bool):
            continue
        if isinstance(v, str):
            _check_text(v, path)
        elif isinstance(v, int):
            if abs(v) > MAX_SAFE_INTEGER:
                raise UsageError(f"input {path}: the integer {v} is past 2^53, where JavaScript numbers lose digits: pass it as a str")
        elif isinstance(v, float):
            if not math.isfinite(v):
                raise UsageError(f"input {path}: {v} is not a JSON number: use None or a finite number")
        elif isinstance(v, (list, tuple)):
            stack.extend((x, f"{path}[{i}]", depth + 1) for i, x in enumerate(v))
        elif isinstance(v, dict):
            for k, x in v.items():
                if not isinstance(k, str):
                    raise UsageError(f"input {path}: the key {k!r} is not a str (JSON object keys are text)")
                _check_text(k, path)
                stack.append((x, f"{path}.{k}" if _IDENTIFIER.match(k) else f"{path}[{json.dumps(k)}]", depth + 1))
        else:
            raise UsageError(f"input {path}: a {type(v).__name__} is not JSON data: pass dicts, lists, str, int, float, bool and None")


def _check_text(text: str, path: str) -> None:
    if (lone := LONE_SURROGATE.search(text)) is not None:
        raise UsageError(f"input {path}: a lone surrogate (U+{ord(lone[0]):04X}) is not text: decode the data properly")
