"""The output check: does the value have the shape the caller asked for?

The caller names the shape as a Python type (`int`, `list[str]`, a pydantic model...), as a JSON
Schema dict, or not at all (any JSON value). The check is strict: the value crossed from the
sandbox as JSON, and it is validated as JSON, so `"42"` is not an `int` but an ISO string is a
`datetime`. A mismatch names the path, what was expected and what was there.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

import jsonschema
import pydantic

from agent.errors import UsageError
from agent.failures import Failure

__all__ = ["OutputShape"]

MAX_REPORTED = 3
"""Mismatches listed in one failure: the first few are enough to fix, more drown the model."""


@dataclass(frozen=True, slots=True)
class OutputShape:
    """A requested shape, ready to describe to the model and to check values against."""

    schema: dict[str, Any]
    """The shape as JSON Schema (empty: any JSON value)."""
    _adapter: pydantic.TypeAdapter[Any] | None = None
    _validator: Any = None

    @classmethod
    def of(cls, output: Any) -> OutputShape:
        """The shape for `output`: None, a Python type or pydantic model, or a JSON Schema dict.

        Shapes are cached: checking a schema against its meta-schema costs milliseconds, more
        than running the code, and batch runs ask for the same shapes again and again.
        """
        if output is None:
            return cls({})
        if isinstance(output, dict):
            try:
                text = json.dumps(output, sort_keys=True)
            except (TypeError, ValueError) as exc:
                raise UsageError(f"output is a dict but not JSON data, so not a JSON Schema: {exc}") from None
            return _of_schema(text)
        try:
            return _of_type(output)
        except TypeError:  # an unhashable type annotation: build it uncached
            return _of_type.__wrapped__(output)

    def check(self, value: Any) -> Any | Failure:
        """`value` converted to the requested type, or a `schema` failure."""
        if self._adapter is not None:
            try:
                return self._adapter.validate_json(json.dumps(value), strict=True)
            except pydantic.ValidationError as exc:
                problems = [f"at {_path(e['loc'])}: {e['msg'].lower()}, got {_describe(_at(value, e['loc']))}" for e in exc.errors()]
                return _mismatch(problems)
        if self._validator is not None:
            errors = sorted(self._validator.iter_errors(value), key=lambda e: list(map(str, e.absolute_path)))
            if errors:
                return _mismatch([f"at {_path(e.absolute_path)}: {e.message}" for e in errors])
        return value


@functools.lru_cache(maxsize=256)
def _of_schema(text: str) -> OutputShape:
    schema = json.loads(text)
    validator_class = jsonschema.validators.validator_for(schema)
    try:
        validator_class.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise UsageError(f"output is not a valid JSON Schema: {exc.message} (at {_path(exc.absolute_path)})") from None
    return OutputShape(schema, None, validator_class(schema))


@functools.lru_cache(maxsize=256)
def _of_type(output: Any) -> OutputShape:
    try:
        adapter = pydantic.TypeAdapter(output)
        schema = adapter.json_schema()
    except (pydantic.PydanticSchemaGenerationError, pydantic.PydanticUserError, TypeError) as exc:
        raise UsageError(f"output must be a Python type, a pydantic model or a JSON Schema dict; {output!r} is not usable: {str(exc).splitlines()[0]}") from None
    return OutputShape(_without_titles(schema), adapter, None)


def _mismatch(problems: list[str]) -> Failure:
    more = f" (and {len(problems) - MAX_REPORTED} more)" if len(problems) > MAX_REPORTED else ""
    return Failure(kind="schema", message="the value does not match the required shape: " + "; ".join(problems[:MAX_REPORTED]) + more)


def _path(loc: Any) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)


def _at(value: Any, loc: Any) -> Any:
    for key in loc:
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            return _MISSING
    return value


_MISSING = object()


def _describe(value: Any) -> str:
    if value is _MISSING:
        return "nothing"
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    kind = {type(None): "null", bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}.get(type(value), type(value).__name__)
    shown = json.dumps(value)
    return f"{kind} {shown}" if len(shown) <= 40 else kind


def _without_titles(schema: Any) -> Any:
    """The schema without pydantic's `title` annotations, which only lengthen the prompt."""
    if isinstance(schema, list):
        return [_without_titles(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, sub in schema.items():
        if key == "title" and isinstance(sub, str):
            continue
        if key in ("properties", "$defs", "definitions", "patternProperties"):
            out[key] = {name: _without_titles(s) for name, s in sub.items()}
        else:
            out[key] = _without_titles(sub)
    return out
