"""The pure stages never raise: any reply, any code, any JSON value, any failure gives back a
value or a typed `Failure` (and a shape that cannot work is a `UsageError`, before any model call).

Inputs include what the sandbox and a model can really hand over and the libraries trip on: lone
UTF-16 surrogates (a JSON reply or `JSON.stringify` can carry `\\ud800`), integers past Python's
4300-digit text limit (BigInt), NaN and infinities, deep nesting, random regular expressions and
`$ref`s in schemas.
"""

from __future__ import annotations

import datetime
from typing import Any, Literal, get_args

import pydantic
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.core.extract import extract_code
from agent.core.failures import Failure, FailureKind, feedback, well_formed
from agent.core.shape import MAX_PROBLEM_CHARS, MAX_REPORTED, OutputShape
from agent.core.validate import prevalidate, same_code
from agent.errors import UsageError

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
"""Modest and without a deadline: the suite runs on a busy 2-core machine."""

# ---- text: any character, surrogates included, and the pieces replies and code are made of ----

_ODD_CHARS = ["\ud800", "\udfff", "\ud83d", "\ude00", "😀", "é", "\x00", "\r", "\u2028", "\t", "\ufeff", "`", "~", "\\", "\n"]
chars = st.one_of(st.characters(exclude_categories=()), st.sampled_from(_ODD_CHARS))
texts = st.text(chars, max_size=200)

_JS_PIECES = ["export", "default", "const", "let", "function", "async", "await", "class", "return", "import", "from",
              "require", "process", "fetch", "module.exports", "exports.x", "main", "x", "f", "=", "=>", "(", ")", "{", "}",
              "[", "]", ";", ",", ".", "+", "*", "'fs'", '"node:fs"', "`${x}`", "1", "2n", "/a+/", "//", "/*", "*/", " ", "\n",
              "\ud800", "é", "import(", "new", "label:", "...", "?.", "#x"]
js_code = st.one_of(texts, st.lists(st.sampled_from(_JS_PIECES), max_size=40).map("".join),
                    st.lists(st.sampled_from(_JS_PIECES), max_size=40).map(" ".join))

_FENCES = ["```", "```js", "```javascript", "```ts", "~~~", "~~~js", "````", "```python", "  ```js  ", "```js extra"]
replies = st.one_of(
    texts,
    js_code,
    st.lists(st.one_of(st.sampled_from(_FENCES), js_code, texts), max_size=8).map("\n".join),
)

# ---- JSON-like values: what the sandbox's `json.loads` (and BigInt conversion) can return ----

# As (sign, base, exponent): a strategy holding the ints themselves cannot be printed (repr refuses
# integers past 4300 digits).
_HUGE = [(1, 2, 53), (-1, 2, 64), (1, 10, 400), (1, 10, 4299), (1, 10, 4300), (-1, 10, 5000), (1, 2, 20000)]
huge_ints = st.sampled_from(_HUGE).map(lambda sbe: sbe[0] * sbe[1] ** sbe[2] + (sbe[1] == 2))
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), huge_ints,
    st.floats(allow_nan=True, allow_infinity=True), texts,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(texts, inner, max_size=5)),
    max_leaves=30,
)


def nested(depth: int, leaf: Any = 1, kind: str = "list") -> Any:
    value = leaf
    for i in range(depth):
        value = [value] if kind == "list" or (kind == "mixed" and i % 2) else {"a": value}
    return value


deep_values = st.builds(nested, st.integers(0, 1000), scalars, st.sampled_from(["list", "dict", "mixed"]))


class Point(pydantic.BaseModel):
    x: int
    y: float
    label: str | None = None


class Tree(pydantic.BaseModel):
    value: int
    children: list[Tree] = []


SCHEMAS: list[dict[str, Any]] = [
    {},
    {"type": "integer"},
    {"type": "number", "multipleOf": 0.5},
    {"type": "integer", "multipleOf": 3},
    {"multipleOf": 1e-300},
    {"type": "number", "maximum": 1.5, "exclusiveMinimum": -1e308},
    {"type": "string", "pattern": "^a", "minLength": 1, "maxLength": 10},
    {"type": "array", "items": {"$ref": "#"}},
    {"$defs": {"tree": {"type": "object", "properties": {"v": {"type": "integer"}, "kids": {"type": "array", "items": {"$ref": "#/$defs/tree"}}}}},
     "$ref": "#/$defs/tree"},
    {"enum": [1, "a", None, [1, 2], {"k": True}]},
    {"const": {"a": [1, 2.5]}},
    {"type": "array", "uniqueItems": True},
    {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"], "additionalProperties": False},
    {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "number"}}]},
    {"oneOf": [{"type": "integer"}, {"type": "number"}]},
    {"not": {"type": "null"}},
    {"prefixItems": [{"type": "integer"}, {"type": "string"}], "items": False},
    {"properties": {"a": {}}, "unevaluatedProperties": False},
    {"propertyNames": {"pattern": "^[a-z]*$"}, "patternProperties": {"^x": {"type": "integer"}}},
    {"contains": {"type": "integer"}, "minContains": 2},
    {"dependentRequired": {"a": ["b"]}, "dependentSchemas": {"c": {"required": ["d"]}}},
    {"type": "string", "format": "date"},
    {"$schema": "http://json-schema.org/draft-04/schema#", "type": "number", "multipleOf": 0.1, "maximum": 5, "exclusiveMaximum": True},
    {"$schema": "http://json-schema.org/draft-07/schema#", "items": {"$ref": "#/definitions/n"}, "definitions": {"n": {"type": "number"}}},
    {"$id": "https://example.com/root.json", "$defs": {"s": {"$id": "s.json", "type": "string"}}, "items": {"$ref": "s.json"}},
    {"$ref": "https://json-schema.org/draft/2020-12/schema"},
    {"$dynamicAnchor": "node", "type": "array", "items": {"$dynamicRef": "#node"}},
]
TYPES: list[Any] = [int, float, str, bool, Any, list[int], dict[str, float], tuple[int, str], list[list[Any]], set[int],
                    int | None, Literal["a", 1], datetime.date, datetime.datetime, Point, Tree, list[Point], bytes]
shapes = st.sampled_from([None, *SCHEMAS, *TYPES]).map(OutputShape.of)

# ---- random schemas: keywords with wrong, odd and dangling values ----

_REFS = ["#", "#/$defs/a", "#/definitions/missing", "#/properties/a", "#/items", "#a", "#/$defs/a/x", "other.json",
         "https://example.com/s.json", "http://[", "#/%25", "#/~2", "urn:x", ""]
_KEYWORD_VALUES: dict[str, Any] = {
    "type": st.sampled_from(["string", "integer", "number", "array", "object", "null", "boolean", "strin", ["string", "null"], 5]),
    "pattern": texts,
    "multipleOf": st.one_of(st.floats(allow_nan=True), st.integers()),
    "minimum": st.one_of(st.floats(), st.integers(), huge_ints),
    "maxLength": st.integers(-2, 5),
    "enum": st.lists(json_values, max_size=3),
    "const": json_values,
    "required": st.one_of(st.lists(texts, max_size=3), texts),
    "$ref": st.sampled_from(_REFS),
    "$dynamicRef": st.sampled_from(_REFS),
    "$id": st.sampled_from(["https://example.com/x.json", "s.json", "#frag", "http://[", "", 5]),
    "$anchor": st.sampled_from(["a", "node", "1bad", ""]),
    "$schema": st.sampled_from(["https://json-schema.org/draft/2020-12/schema", "http://json-schema.org/draft-04/schema#",
                                "http://json-schema.org/draft-07/schema#", "http://example.com/unknown", "http://[", 5, [], {}]),
    "format": st.sampled_from(["date", "email", "regex", "uri", "nope"]),
    "uniqueItems": st.booleans(),
}


def _schema(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    simple = st.fixed_dictionaries({}, optional=_KEYWORD_VALUES)
    nested_keywords = st.fixed_dictionaries({}, optional={
        "properties": st.one_of(st.dictionaries(texts, inner, max_size=3), st.integers(), st.lists(inner, max_size=2)),
        "items": st.one_of(inner, st.booleans(), st.lists(inner, max_size=2)),
        "$defs": st.dictionaries(st.sampled_from(["a", "b", "tree"]), inner, max_size=2),
        "definitions": st.dictionaries(st.sampled_from(["a", "missing"]), inner, max_size=2),
        "anyOf": st.lists(inner, max_size=3),
        "not": inner,
        "additionalProperties": st.one_of(inner, st.booleans()),
        "patternProperties": st.dictionaries(texts, inner, max_size=2),
    })
    return st.builds(lambda a, b: {**a, **b}, simple, nested_keywords)


random_schemas = st.recursive(st.fixed_dictionaries({}, optional=_KEYWORD_VALUES), _schema, max_leaves=8)


def _is_schema_failure(result: Any) -> bool:
    return isinstance(result, Failure) and result.kind == "schema"


def _bounded(failure: Failure) -> bool:
    """A schema failure's text stays short enough for a small model's context."""
    return len(failure.message) <= 60 + MAX_REPORTED * (MAX_PROBLEM_CHARS + 5) + 20


# ---- the properties ----


@FUZZ
@given(replies)
def test_extract_code_returns_a_part_of_the_reply_or_an_extract_failure(reply):
    code = extract_code(reply)
    if isinstance(code, Failure):
        assert code.kind == "extract"
    else:
        assert code.strip() and code in reply


@FUZZ
@given(js_code, st.booleans(), st.booleans())
def test_prevalidate_returns_none_or_a_failure_that_points_into_the_code(code, network, function_export):
    failure = prevalidate(code, network=network, function_export=function_export)
    assert failure is None or isinstance(failure, Failure)
    lone_surrogate = any("\ud800" <= c <= "\udfff" for c in code)  # not text: the engine cannot be handed it
    assert (failure is not None and failure.kind == "syntax") == lone_surrogate
    if failure is not None:
        assert failure.kind in ("syntax", "policy", "contract")
        assert (failure.line is None) == (failure.column is None)
        if failure.line is not None:
            lines = code.split("\n")
            assert 1 <= failure.line <= len(lines)
            assert 1 <= failure.column <= len(lines[failure.line - 1]) + 1
    again = prevalidate(code, failed=[code + "\n\n"])
    assert isinstance(again, Failure) and again.kind == "repeat"


@FUZZ
@given(js_code, js_code)
def test_same_code_is_an_equivalence_that_ignores_blank_lines(a, b):
    assert same_code(a, a) and same_code(a, "\n" + a + "\n\n")
    assert same_code(a, b) == same_code(b, a)


@FUZZ
@given(shapes, st.one_of(json_values, deep_values))
def test_check_returns_the_value_or_a_schema_failure(shape, value):
    result = shape.check(value)
    if isinstance(result, Failure):
        assert _is_schema_failure(result) and _bounded(result)
    elif shape._adapter is None:
        assert result is value  # a JSON Schema checks, it does not convert


@FUZZ
@given(random_schemas, st.lists(json_values, max_size=3))
def test_any_dict_is_a_shape_or_a_usage_error_and_checks_never_raise(schema, values):
    try:
        shape = OutputShape.of(schema)
    except UsageError as exc:
        assert str(exc)
        return
    for value in values:
        result = shape.check(value)
        assert result is value or _is_schema_failure(result)


@FUZZ
@given(st.sampled_from(get_args(FailureKind)), texts, st.one_of(st.none(), st.integers(-3, 10**30)),
       st.one_of(st.none(), st.integers(-3, 10**6)), st.one_of(st.none(), texts), st.lists(texts, max_size=30).map(tuple),
       st.one_of(st.none(), js_code))
def test_feedback_renders_every_failure(kind, message, line, column, name, logs, code):
    failure = Failure(kind=kind, message=message, line=line, column=column, name=name, logs=logs)
    text = feedback(failure, code)
    assert isinstance(text, str) and well_formed(message) in text  # a lone surrogate is sent as U+FFFD
    if code is not None and line is not None and 1 <= line <= len(code.splitlines()) and code.splitlines()[line - 1].strip():
        assert f"Line {line} is: " in text
