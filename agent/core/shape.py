"""The output check: does the value have the shape the caller asked for?

The caller names the shape as a Python type (`int`, `list[str]`, a pydantic model...), as a JSON
Schema dict, or not at all (any JSON value). The check is strict: the value crossed from the
sandbox as JSON, and it is validated as JSON, so `"42"` is not an `int` but an ISO string is a
`datetime`. A mismatch names the path, what was expected and what was there.

A shape is refused up front (`UsageError`) when it cannot work: a schema that is not valid, a
`$ref` that points nowhere, a type pydantic cannot build a validator for. `check` never raises
on a value the sandbox can produce: one that cannot be checked (a string holding half of a
UTF-16 pair, nesting deeper than the checker reads) is a `schema` failure that says why.

A JSON Schema dict may come from someone other than the caller (an MCP client), so what it can
cost is bounded: its size and nesting (`MAX_SCHEMA_BYTES`, `MAX_SCHEMA_DEPTH`), and its regular
expressions (`pattern`, `patternProperties`), which RE2 compiles and matches in time linear in
the text, never backtracking; a pattern RE2 refuses (backreferences, look-around) or compiles
past `MAX_PATTERN_PROGRAM` is refused.
"""

from __future__ import annotations

import functools
import json
import math
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import jsonschema
import jsonschema_specifications
import pydantic
import pydantic_core
import re2
import referencing
import referencing.exceptions
import referencing.jsonschema

from agent.core.failures import Failure
from agent.errors import UsageError
from agent.text import LONE_SURROGATE, clip, first_line

__all__ = ["OutputShape"]

MAX_REPORTED = 3
"""Mismatches listed in one failure: the first few are enough to fix, more drown the model."""

MAX_PROBLEM_CHARS = 300
"""Characters of one mismatch's text: jsonschema quotes the whole value, which can be a megabyte."""

_NO_FETCH = jsonschema_specifications.REGISTRY
"""Where a `$ref` may point besides the schema itself: the JSON Schema meta-schemas, nothing
remote. jsonschema's default registry fetches any other URL over the network at check time."""

MAX_SCHEMA_BYTES = 64 * 1024
"""Bytes of a JSON Schema dict written as compact JSON. The schema is written into every prompt
(64 KiB is some 16,000 tokens, more than a model follows), and reading it costs this process
milliseconds per KiB: a megabyte of schema from a client would stall a server for seconds."""

MAX_SCHEMA_DEPTH = 64
"""Levels of nesting (objects and arrays) of a JSON Schema dict: each level of a described value
takes two (`properties`, then the property's schema), so this describes values 30 levels deep;
use `$defs` and `$ref` for recursive shapes. jsonschema recurses a dozen Python calls per level."""

MAX_PATTERN_PROGRAM = 10_000
"""Instructions of one compiled `pattern` (RE2's `programsize`). RE2 matches in time linear in
the text, but the factor grows with this size when its fast automaton gives up: a 522
instruction pattern took 6 s on a megabyte of text. Each `\\p{...}` class takes about 1,200;
ordinary patterns (a date, an email, a UUID) take under 100."""

RE2_MEMORY = 1 << 20
"""Bytes RE2 may use for one compiled pattern, its automaton's cache included (its default is 8
MiB): `_compiled` keeps `PATTERNS_KEPT` of them."""

PATTERNS_KEPT = 256
"""Compiled patterns kept for reuse across checks."""

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # RE2 would write its errors, which quote the pattern, to stderr
_RE2_OPTIONS.never_capture = True  # only whether it matches is read
_RE2_OPTIONS.max_mem = RE2_MEMORY


_SCHEMA_TOO_DEEP = (f"output is a JSON Schema nested too deeply (more than {MAX_SCHEMA_DEPTH} levels of objects and arrays); "
                    "write a flatter schema, with `$defs` and `$ref`")


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
        if isinstance(output, str):  # pydantic would evaluate it as Python
            raise UsageError(f"output is the string {output!r}: pass the type itself (`int`, `list[str]`...) or a JSON Schema dict, not its name")
        if isinstance(output, dict):
            try:  # NaN and Infinity are not JSON
                text = json.dumps(output, sort_keys=True, allow_nan=False, separators=(",", ":"))
            except (TypeError, ValueError) as exc:
                raise UsageError(f"output is a dict but not JSON data, so not a JSON Schema: {exc}") from None
            except RecursionError:
                raise UsageError(_SCHEMA_TOO_DEEP) from None
            if (size := len(text.encode("utf-8"))) > MAX_SCHEMA_BYTES:
                raise UsageError(f"output is a JSON Schema of {size:,} bytes as JSON, more than the {MAX_SCHEMA_BYTES:,} taken; "
                                 "describe the answer's shape more briefly (`$defs` and `$ref` for repeated parts)")
            if _depth(output) > MAX_SCHEMA_DEPTH:
                raise UsageError(_SCHEMA_TOO_DEEP)
            try:
                return _of_schema(text)
            except RecursionError:  # reading it back, or checking it against its meta-schema
                raise UsageError(_SCHEMA_TOO_DEEP) from None
        try:
            return _of_type(output)
        except TypeError:  # an unhashable type annotation: build it uncached
            return _of_type.__wrapped__(output)

    def check(self, value: Any) -> Any | Failure:
        """`value` converted to the requested type, or a `schema` failure.

        No shape (or the empty schema) checks nothing. Any other refuses a string holding a lone
        UTF-16 surrogate, which is half of a character, not text. Integers of any length (BigInts)
        are checked; those longer than Python writes as text (`sys.get_int_max_str_digits`) are
        quoted by their length. pydantic's JSON parser stops at that length too, so for a Python
        type such a value is validated as Python data, strictly: there an array is no tuple or set
        and a string no date."""
        if self._adapter is None and not self.schema:
            return value
        surrogate, long_ints = _scan(value)
        if surrogate is not None:
            return _mismatch([surrogate])
        if self._adapter is not None:
            return self._check_type(self._adapter, value, long_ints)
        return self._check_schema(self._validator, value, long_ints)

    @staticmethod
    def _check_type(adapter: pydantic.TypeAdapter[Any], value: Any, long_ints: bool) -> Any | Failure:
        if long_ints:  # neither json.dumps nor pydantic's JSON parser take them; strict Python validation does
            try:
                return adapter.validate_python(value, strict=True)
            except pydantic.ValidationError as exc:
                return _type_mismatch(exc, value)
        try:
            text = json.dumps(value)
        except TypeError as exc:
            raise UsageError(f"check takes JSON data (dict, list, str, int, float, bool, None); {exc}") from exc
        except RecursionError:
            return _too_deep(value)
        try:
            return adapter.validate_json(text, strict=True)
        except pydantic.ValidationError as exc:
            errors = exc.errors()
            if unread := [e for e in errors if e["type"] == "json_invalid"]:  # pydantic's parser stops at 200 levels
                if "recursion limit" in unread[0]["msg"]:
                    return _too_deep(value)
                return _mismatch([f"at $: the value could not be read back as JSON: {unread[0]['msg']}"])
            return _type_mismatch(exc, value)

    @staticmethod
    def _check_schema(validator: Any, value: Any, long_ints: bool) -> Any | Failure:
        try:  # jsonschema quotes values with repr(), which refuses long integers: it gets them as _LongInt
            errors = sorted(validator.iter_errors(_quotable(value) if long_ints else value), key=lambda e: list(map(str, e.absolute_path)))
        except RecursionError:  # a recursive schema descends one Python call per level of the value
            return _too_deep(value)
        except referencing.exceptions.Unresolvable as exc:  # `of` refuses these up front; a shape built by hand may not
            raise UsageError(f"the output schema has a `$ref` that cannot be resolved: {exc}; define its target under `$defs`") from exc
        except jsonschema.exceptions.UnknownType as exc:
            raise UsageError(f"the output schema names an unknown type: {exc.type!r}") from exc
        except ValueError:  # a message quoting an integer too long for repr() that _quotable did not reach (in a tuple)
            return _mismatch(["at $: the value does not match, and holds an integer too long to quote"])
        if errors:  # the same words can come from several branches of a schema (`allOf`, `$ref`s): said once
            problems = list(dict.fromkeys(f"at {_path(e.absolute_path)}: {e.message}" for e in errors))
            return _mismatch(problems[:MAX_REPORTED], len(problems))
        return value


@functools.lru_cache(maxsize=256)
def _of_schema(text: str) -> OutputShape:
    schema = json.loads(text)
    try:
        validator_class = jsonschema.validators.validator_for(schema)
    except (TypeError, AttributeError, ValueError) as exc:  # `$schema` is not a string, or not a URI ("http://[")
        raise UsageError(f"output is not a valid JSON Schema: `$schema` must be a meta-schema's URI, not {schema.get('$schema')!r}") from exc
    try:
        validator_class.check_schema(schema, format_checker=_meta_format_checker(validator_class.FORMAT_CHECKER))
    except jsonschema.SchemaError as exc:
        if exc.validator == "format" and exc.validator_value == "regex" and isinstance(exc.instance, str):
            where = list(exc.absolute_path)
            raise UsageError(_pattern_refused(exc.instance, where[:-1] if where[-1:] in (["pattern"], ["patternProperties"]) else where)) from None
        raise UsageError(f"output is not a valid JSON Schema: {exc.message} (at {_path(exc.absolute_path)})") from None
    if (unusable := _unusable(schema, validator_class)) is not None:
        raise UsageError(unusable)
    rules = {keyword: _exact_multiple(rule) for keyword, rule in validator_class.VALIDATORS.items() if keyword in ("multipleOf", "divisibleBy")}
    rules |= {keyword: rule for keyword, rule in _LINEAR_RULES.items() if keyword in validator_class.VALIDATORS}
    checking = jsonschema.validators.extend(validator_class, rules)
    return OutputShape(schema, None, checking(schema, registry=referencing.Registry()))


@functools.lru_cache(maxsize=256)
def _of_type(output: Any) -> OutputShape:
    try:
        adapter = pydantic.TypeAdapter(output)
        schema = adapter.json_schema()
    except (pydantic.PydanticSchemaGenerationError, pydantic.PydanticUserError, TypeError,
            NameError, SyntaxError) as exc:  # the last two: a string forward reference
        why = first_line(exc)
        raise UsageError(f"output must be a Python type, a pydantic model or a JSON Schema dict; {output!r} is not usable: {why}") from None
    except pydantic_core.SchemaError as exc:  # a constraint pydantic cannot build a validator for: a bad `pattern`, `gt="a"`...
        why = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        raise UsageError(f"output {output!r} is not usable: {why}; fix the constraint (pydantic compiles `pattern` with Rust's regex, "
                         "which has no look-around; `regex_engine='python-re'` in a model's config uses Python's `re`)") from exc
    return OutputShape(_without_titles(schema), adapter, None)


def _unusable(schema: dict[str, Any], validator_class: Any) -> str | None:
    """What to say about the first part of a (meta-schema valid) `schema` that would make `check`
    raise, or None: a `$ref` (or `$dynamicRef`) that cannot be resolved or points at something
    that is not a schema, a `pattern` or `patternProperties` key RE2 cannot compile (the draft 3
    and 4 meta-schemas do not check those keys), `unevaluatedProperties` where a
    `patternProperties` is in reach (jsonschema matches those patterns with Python's backtracking
    `re` when it works out which properties were evaluated). Walks the subschemas the validator
    will visit, with the base URI each `$id` sets, and the targets of the references."""
    specification = referencing.jsonschema.specification_with(validator_class.ID_OF(validator_class.META_SCHEMA) or "urn:unknown-dialect",
                                                              default=referencing.Specification.OPAQUE)
    checked = _subschemas(schema, specification)  # valid: the whole schema passed its meta-schema
    root = specification.create_resource(schema)
    pending = [(root, _NO_FETCH.resolver_with_root(root), False)]
    seen: set[int] = set()
    keywords: set[str] = set()
    while pending:
        resource, resolver, entered = pending.pop()
        contents = resource.contents
        if not isinstance(contents, dict) or id(contents) in seen:  # a boolean schema refers to nothing
            continue
        seen.add(id(contents))
        where = functools.partial(_where, schema, contents)
        patterns = [contents["pattern"]] if isinstance(contents.get("pattern"), str) else []
        patterns += list(contents["patternProperties"]) if isinstance(contents.get("patternProperties"), dict) else []
        for pattern in patterns:
            if _compiled(pattern) is None:
                return _pattern_refused(pattern, where())
        keywords.update(keyword for keyword in ("patternProperties", "unevaluatedProperties") if keyword in contents)
        try:
            if not entered:
                resolver = resolver.in_subresource(resource)
            for keyword, ref in [(k, contents[k]) for k in ("$ref", "$dynamicRef") if isinstance(contents.get(k), str)]:
                try:
                    resolved = resolver.lookup(ref)
                except referencing.exceptions.Unresolvable:
                    return _dangling_message(keyword, ref, where())
                target = resolved.contents
                if not isinstance(target, (dict, bool)):
                    return (f"output schema: the `{keyword}` {ref!r} at {_path(where())} points at a {type(target).__name__}, "
                            "not at a schema; point it at a schema")
                if isinstance(target, dict) and id(target) not in checked:
                    try:
                        validator_class.check_schema(target)
                    except jsonschema.SchemaError as exc:
                        return (f"output schema: the `{keyword}` {ref!r} at {_path(where())} points at something that is not a valid schema: "
                                f"{exc.message}; point it at a schema")
                    checked.add(id(target))
                pending.append((specification.create_resource(target), resolved.resolver, True))
            pending.extend((specification.create_resource(sub), resolver, False) for sub in specification.subresources_of(contents))
        except ValueError as exc:  # urljoin refuses the URI of an `$id` or `$ref` ("http://[")
            return f"output is not a usable JSON Schema: {exc} (in the subschema at {_path(where())}); fix the `$id` or `$ref` there"
    if keywords == {"patternProperties", "unevaluatedProperties"}:
        return ("output schema: `unevaluatedProperties` together with `patternProperties` is not supported (that check would match the "
                "patterns by backtracking); use `additionalProperties` beside the `patternProperties` instead")
    return None


@functools.lru_cache(maxsize=PATTERNS_KEPT)
def _compiled(pattern: str) -> Any:
    """`pattern` compiled by RE2 (unanchored, as JSON Schema searches), or None when RE2 refuses
    it or it compiles past `MAX_PATTERN_PROGRAM`."""
    try:
        compiled = re2.compile(pattern, _RE2_OPTIONS)
    except re2.error:
        return None
    return compiled if compiled.programsize <= MAX_PATTERN_PROGRAM else None


def _pattern_refused(pattern: str, where: Any) -> str:
    """Why `pattern` (in the subschema at `where`) cannot be checked, and what to write instead."""
    shown = f"output schema: the pattern {clip(pattern, 200)!r} in the subschema at {_path(where)}"
    try:
        compiled = re2.compile(pattern, _RE2_OPTIONS)
    except re2.error as exc:
        why = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        return (f"{shown} is not a regular expression RE2 can compile ({why}); patterns are matched with RE2, which never "
                "backtracks: it has no backreferences (`\\1`), no look-around (`(?=`, `(?!`, `(?<=`, `(?<!`) and no repeat "
                "count past {1000}, so write the pattern without them")
    return (f"{shown} compiles to {compiled.programsize:,} instructions, more than the {MAX_PATTERN_PROGRAM:,} taken "
            "(each `\\p{...}` class takes about 1,200): write a shorter pattern")


def _search(pattern: str, text: str) -> bool:
    """Whether `pattern` (which `_unusable` let through) matches somewhere in `text`."""
    compiled = _compiled(pattern)
    if compiled is None:  # a shape built without `of`
        raise UsageError(_pattern_refused(pattern, []))
    return compiled.search(text) is not None


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[jsonschema.ValidationError]:
    """jsonschema's `pattern`, matched by RE2."""
    if validator.is_type(instance, "string") and not _search(pattern, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator: Any, patterns: dict[str, Any], instance: Any, schema: Any) -> Iterator[jsonschema.ValidationError]:
    """jsonschema's `patternProperties`, matched by RE2."""
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if _search(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(validator: Any, additional: Any, instance: Any, schema: Any) -> Iterator[jsonschema.ValidationError]:
    """jsonschema's `additionalProperties`, with the `patternProperties` beside it matched by RE2."""
    if not validator.is_type(instance, "object"):
        return
    properties = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    extras = {key for key in instance if key not in properties and not any(_search(pattern, key) for pattern in patterns)}
    if validator.is_type(additional, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], additional, path=extra)
    elif not additional and extras:
        listed = sorted(extras, key=str)
        if patterns:
            verb = "does" if len(extras) == 1 else "do"
            yield jsonschema.ValidationError(f"{', '.join(map(repr, listed))} {verb} not match any of the regexes: "
                                             f"{', '.join(map(repr, sorted(patterns)))}")
        else:
            verb = "was" if len(extras) == 1 else "were"
            yield jsonschema.ValidationError(f"Additional properties are not allowed ({', '.join(map(repr, listed))} {verb} unexpected)")


_LINEAR_RULES = {"pattern": _pattern, "patternProperties": _pattern_properties, "additionalProperties": _additional_properties}
"""The keywords whose jsonschema rules match patterns with Python's backtracking `re`, replaced."""


def _meta_format_checker(base: jsonschema.FormatChecker) -> jsonschema.FormatChecker:
    """`base` (a meta-schema's format checker) with the `regex` format checked by RE2, which
    matches the patterns: Python's `re` refuses `\\p{L}`, which RE2 and JavaScript read."""
    checker = jsonschema.FormatChecker(list(base.checkers))
    checker.checks("regex")(lambda instance: not isinstance(instance, str) or _compiled(instance) is not None)
    return checker


def _subschemas(schema: dict[str, Any], specification: Any) -> set[int]:
    """The ids of the dicts in `schema` that its dialect reads as schemas."""
    found: set[int] = set()
    pending: list[Any] = [schema]
    while pending:
        node = pending.pop()
        if isinstance(node, dict) and id(node) not in found:
            found.add(id(node))
            pending.extend(specification.subresources_of(node))
    return found


def _dangling_message(keyword: str, ref: str, where: list[str | int]) -> str:
    if ref.startswith("#"):
        todo = "nothing in the schema is at that location or has that anchor; define the target under `$defs` (or fix the path)"
    else:
        todo = "it names another document, and schemas are not fetched; copy that definition into `$defs` and point to it as `#/$defs/<name>`"
    return f"output schema: the `{keyword}` {ref!r} at {_path(where)} cannot be resolved: {todo}"


def _where(schema: Any, target: Any) -> list[str | int]:
    """The path to the object `target` inside `schema` (by identity), found without recursion."""
    pending: list[tuple[Any, list[str | int]]] = [(schema, [])]
    while pending:
        node, path = pending.pop()
        if node is target:
            return path
        if isinstance(node, dict):
            pending.extend((v, [*path, k]) for k, v in node.items())
        elif isinstance(node, list):
            pending.extend((v, [*path, i]) for i, v in enumerate(node))
    return []


def _exact_multiple(rule: Any) -> Any:
    """jsonschema's `multipleOf` rule, also for numbers past a float's range: it divides an
    integer by a float `multipleOf` (OverflowError past 1.8e308), and NaN and infinity by
    anything (ValueError, OverflowError). Exact fractions answer where floats cannot."""

    def multiple_of(validator: Any, step: Any, instance: Any, schema: Any) -> Iterator[jsonschema.ValidationError]:
        if not validator.is_type(instance, "number"):
            return
        try:
            yield from list(rule(validator, step, instance, schema))
            return
        except (OverflowError, ValueError):
            pass
        if (isinstance(instance, float) and not math.isfinite(instance)) or (Fraction(instance) / Fraction(step)).denominator != 1:
            yield jsonschema.ValidationError(f"{instance!r} is not a multiple of {step}")

    return multiple_of


def _type_mismatch(exc: pydantic.ValidationError, value: Any) -> Failure:
    errors = exc.errors()
    problems = [f"at {_path(e['loc'])}: {e['msg'].lower()}, got {_describe(_at(value, e['loc']))}" for e in errors[:MAX_REPORTED]]
    return _mismatch(problems, len(errors))


def _scan(value: Any) -> tuple[str | None, bool]:
    """What to say about the first lone UTF-16 surrogate in `value` (JSON.stringify writes one as
    `\\ud800`), or None; and whether it holds an integer longer than Python writes as text.
    Walked without recursion, so any depth is fine here."""
    long_ints = False
    pending: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while pending:
        node, path = pending.pop()
        if isinstance(node, bool):
            continue
        if isinstance(node, int):
            long_ints = long_ints or _long(node)
        elif isinstance(node, str):
            if (found := LONE_SURROGATE.search(node)) is not None:
                return f"at {_path(path)}: the string {_surrogate(found[0])}", long_ints
        elif isinstance(node, dict):
            for key in node:
                if isinstance(key, str) and (found := LONE_SURROGATE.search(key)) is not None:
                    return f"at {_path(path)}: a key {_surrogate(found[0])}", long_ints
            pending.extend((item, (*path, key)) for key, item in reversed(node.items()))  # reversed: the first one is reported
        elif isinstance(node, (list, tuple)):
            pending.extend((node[i], (*path, i)) for i in range(len(node) - 1, -1, -1))
    return None, long_ints


def _long(number: int) -> bool:
    """Whether `str(number)` is refused (past `sys.get_int_max_str_digits()` digits)."""
    limit = sys.get_int_max_str_digits()
    if not limit or number.bit_length() <= 3 * limit:  # at most 0.91 * limit digits: no need to try
        return False
    try:
        str(number)
    except ValueError:
        return True
    return False


class _LongInt(int):
    """An integer that jsonschema can quote in a message: by its length, not its digits."""

    def __repr__(self) -> str:
        digits = int((self.bit_length() - 1) * math.log10(2)) + 1  # exact, or one short
        digits += abs(self) >= 10**digits
        return f"{'a negative' if self < 0 else 'an'} integer of {digits} digits"

    __str__ = __repr__


def _quotable(value: Any) -> Any:
    """A copy of `value` with its long integers as `_LongInt`, built without recursion."""
    top: list[Any] = [None]
    pending: list[tuple[Any, Any, Any]] = [(value, top, 0)]
    while pending:
        node, parent, key = pending.pop()
        if isinstance(node, dict):
            parent[key] = copy = dict.fromkeys(node)
            pending.extend((item, copy, k) for k, item in node.items())
        elif isinstance(node, list):
            items: list[Any] = [None] * len(node)
            parent[key] = items
            pending.extend((item, items, i) for i, item in enumerate(node))
        elif isinstance(node, int) and not isinstance(node, bool) and _long(node):
            parent[key] = _LongInt(node)
        else:
            parent[key] = node
    return top[0]


def _surrogate(char: str) -> str:
    return (f"holds a lone UTF-16 surrogate (\\u{ord(char):04x}), half of a character such as an emoji: "
            "the code cut a string by UTF-16 code units (`split('')`, `s[i]`, `slice`, `reverse`); use `[...s]` or "
            "`Array.from(s)` to work with whole characters")


def _too_deep(value: Any) -> Failure:
    return _mismatch([f"at $: the value is nested {_depth(value)} levels deep, deeper than the check can read; return a flatter value"])


def _depth(value: Any) -> int:
    deepest = 0
    pending = [(value, 0)]
    while pending:
        node, depth = pending.pop()
        deepest = max(deepest, depth)
        if isinstance(node, dict):
            pending.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, (list, tuple)):
            pending.extend((v, depth + 1) for v in node)
    return deepest


def _mismatch(problems: list[str], total: int | None = None) -> Failure:
    total = len(problems) if total is None else total
    more = f" (and {total - MAX_REPORTED} more)" if total > MAX_REPORTED else ""
    half = MAX_PROBLEM_CHARS // 2  # cut in the middle: jsonschema's words end with why ("... is not of type 'object'")
    shown = [p if len(p) <= MAX_PROBLEM_CHARS else f"{p[:half]} ... {p[-half:]}" for p in problems[:MAX_REPORTED]]
    return Failure(kind="schema", message="the value does not match the required shape: " + "; ".join(shown) + more)


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
    """A value as the model should read it: its JSON kind, and its text when that is short."""
    if value is _MISSING:
        return "nothing"
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    kind = {type(None): "null", bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}.get(type(value), type(value).__name__)
    if isinstance(value, (str, list, dict)) and len(value) > 40:
        return kind  # its text is longer than what is quoted, and writing it out could cost megabytes
    try:
        shown = json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        return kind
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
        if key in ("properties", "$defs", "definitions", "patternProperties") and isinstance(sub, dict):
            out[key] = {name: _without_titles(s) for name, s in sub.items()}
        else:
            out[key] = _without_titles(sub)
    return out
