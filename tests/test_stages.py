"""The pipeline's stages on their own: extraction, pre-validation, the output check, prompts."""

from __future__ import annotations

import datetime
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from agent import prompts
from agent.core.extract import extract_code
from agent.core.failures import Failure
from agent.core.shape import OutputShape
from agent.core.validate import prevalidate, same_code
from agent.errors import UsageError

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"


@pytest.mark.parametrize(("reply", "code"), [
    ("```js\nexport default 1\n```", "export default 1"),
    ("Sure!\n```javascript\nexport default 2;\n```\nThis exports 2.", "export default 2;"),
    ("```ts\nexport default 3 as number\n```", "export default 3 as number"),
    ("```\nexport default `${4}`\n```", "export default `${4}`"),
    ("First a helper:\n```js\nconst f = (x) => x;\n```\nThen:\n```js\nexport default f(5)\n```", "export default f(5)"),
    ("```js\nconst a = 1;\nexport default a\n```\n```js\nconsole.log('usage')\n```", "const a = 1;\nexport default a"),
    ("export default [6];", "export default [6];"),
    ("const x = 7;\nexport default x", "const x = 7;\nexport default x"),
    ("```js\nexport default 8", "export default 8"),  # the reply was cut off before the closing fence
    ("~~~js\nexport default 9\n~~~", "export default 9"),
])
def test_extraction_finds_the_module(reply, code):
    assert extract_code(reply) == code


@pytest.mark.parametrize("reply", ["The answer is 42.", "```python\nprint(42)\n```", "", "```js\n\n```"])
def test_no_code_is_an_extract_failure(reply):
    failure = extract_code(reply)
    assert isinstance(failure, Failure) and failure.kind == "extract"


@pytest.mark.parametrize(("code", "kind", "line", "column", "text"), [
    ("const fs = require('fs');\nexport default 1", "policy", 1, 12, "`require` does not exist"),
    ("export default require('fs')", "policy", 1, 16, "`require` does not exist"),
    ("import { connect } from 'node:net';\nexport default 1", "policy", 1, 1, "`import` of 'node:net'"),
    ("export default (await import('./x.js')).v", "policy", 1, 23, "`import` of './x.js'"),
    ("const r = await fetch('https://a.b');\nexport default r.status", "policy", 1, 17, "`fetch` is not available"),
    ("const x = 1;", "contract", None, None, "no `export default`"),
    ("module.exports = 1", "contract", None, None, "`module.exports` is Node.js"),
    ("export default async function main() { return 1 }", "contract", 1, 1, "end the module with `export default await main();`"),
    ("const solve = (n) => n * 2;\nexport default solve;", "contract", 2, 1, "change it to `export default solve();`"),
    ("export default () => 1", "contract", 1, 1, "never called"),
])
def test_prevalidation_findings(code, kind, line, column, text):
    failure = prevalidate(code)
    assert failure is not None and failure.kind == kind
    assert (failure.line, failure.column) == (line, column)
    assert text in failure.message


@pytest.mark.parametrize("code", [
    "export default 1",
    "function process(rows) { return rows.length }\nexport default process([1, 2])",
    "const { process } = { process: 3 };\nexport default process",
    "const o = { require: 1, process: 2 };\nexport default o.require + o.process",
    "export default await main();\nasync function main() { return 1 }",
    "export default (() => 1)()",
    "export default 2n ** 70n",
    "export default /(?<y>\\d{4})/v.exec('2024').groups.y",
    "const main = () => 1;\nexport default main();",
    "label: for (const x of [1]) { break label }\nexport default 1",
])
def test_valid_code_passes_prevalidation(code):
    assert prevalidate(code) is None


def test_fetch_and_function_exports_when_allowed():
    assert prevalidate("export default (await fetch('https://a.b')).status", network=True) is None
    assert prevalidate("export default function add(a, b) { return a + b }", function_export=True) is None


def test_imports_of_the_inputs_must_name_inputs():
    rows = ("rows", "cfg")
    assert prevalidate('import { rows, cfg as c } from "jsolve:inputs";\nexport default rows.length + c.n', inputs=rows) is None
    findings = {
        'import { rows, secret } from "jsolve:inputs";\nexport default rows': "jsolve:inputs has no `secret`: the inputs are `rows`, `cfg`",
        'import * as all from "jsolve:inputs";\nexport default all.rows': 'import the inputs by name: `import { rows, cfg } from "jsolve:inputs";`',
        'import data from "jsolve:inputs";\nexport default data': "import the inputs by name",
        'import { rows } from "jsolve:inputs";\nimport _ from "lodash";\nexport default rows': "`import` of \"lodash\"",
    }
    for code, text in findings.items():
        failure = prevalidate(code, inputs=rows)
        assert failure is not None and failure.kind == "policy" and text in failure.message, (code, failure)
    without = prevalidate('import { rows } from "jsolve:inputs";\nexport default rows')
    assert without is not None and without.kind == "policy" and "this task has no inputs" in without.message
    hidden = prevalidate('import { rows } from "jsolve:inputs";\nconst cfg = {};\nexport default rows', inputs=rows)
    assert hidden is not None and hidden.kind == "contract" and hidden.line == 2 and "hides the input `cfg`" in hidden.message


def test_syntax_errors_are_left_to_the_engine():
    assert prevalidate("const x = (1 +;\nrequire('fs')\nexport default x") is None


def test_repeats_ignore_blank_lines_and_trailing_spaces():
    assert same_code("const a = 1;  \n\nexport default a", "const a = 1;\nexport default a\n")
    assert not same_code("export default 1", "export default 2")
    failure = prevalidate("export default 1\n", failed=["export default 1"])
    assert failure is not None and failure.kind == "repeat"


@pytest.mark.skipif(not (DATASETS / "humaneval-x-js").is_dir(), reason="the shared datasets folder is not present")
def test_the_tree_parses_every_benchmark_reference_solution():
    """No false error nodes on real code the engine runs, and policy findings only where real."""
    from agent.core.validate import _parser

    with gzip.open(DATASETS / "humaneval-x-js" / "humaneval_js.jsonl.gz", "rt") as f:
        modules = {p["task_id"]: p["prompt"] + p["canonical_solution"] + "\nexport default 1" for p in map(json.loads, f)}
    assert len(modules) == 164
    assert [t for t, code in modules.items() if _parser().parse(code.encode()).root_node.has_error] == []
    findings = {t: f.message for t, code in modules.items() if (f := prevalidate(code)) is not None}
    assert list(findings) == ["JavaScript/162"] and "`require`" in findings["JavaScript/162"]  # it needs js-md5


def test_output_shape_is_strict_and_names_the_path():
    ints = OutputShape.of(list[int])
    assert ints.check([1, 2]) == [1, 2]
    failure = ints.check([1, "2"])
    assert isinstance(failure, Failure) and failure.kind == "schema"
    assert 'at $[1]: input should be a valid integer, got string "2"' in failure.message
    assert OutputShape.of(int).check(2**100) == 2**100
    assert OutputShape.of(datetime.date).check("2024-02-29") == datetime.date(2024, 2, 29)
    assert OutputShape.of(None).check({"any": [1, None]}) == {"any": [1, None]}


def test_json_schema_shapes_report_every_path_up_to_a_few():
    shape = OutputShape.of({"type": "array", "items": {"type": "number"}})
    failure = shape.check(["a", "b", "c", "d", 1])
    assert isinstance(failure, Failure)
    assert failure.message.count("is not of type 'number'") == 3 and "(and 1 more)" in failure.message


def test_pydantic_titles_do_not_reach_the_prompt_but_a_field_named_title_does():
    from pydantic import BaseModel

    class Book(BaseModel):
        title: str
        year: int

    schema = OutputShape.of(Book).schema
    assert schema == {"properties": {"title": {"type": "string"}, "year": {"type": "integer"}}, "required": ["title", "year"], "type": "object"}


def test_invalid_schema_is_a_usage_error():
    with pytest.raises(UsageError, match="not a valid JSON Schema"):
        OutputShape.of({"type": "object", "properties": {"a": {"type": 5}}})


def test_prompts_refuse_missing_and_unknown_variables():
    with pytest.raises(KeyError, match="needs"):
        prompts.render("task", instruction="x")
    with pytest.raises(KeyError, match="has no variable"):
        prompts.render("shape-any", schema="{}")
    text = prompts.render("task", instruction="Add `${a}` and {b}", inputs="", shape="S")
    assert text == "Task: Add `${a}` and {b}\n\nS"


def test_every_failure_kind_has_a_hint():
    from typing import get_args

    from agent.core.failures import FailureKind

    assert set(prompts.hints()) == set(get_args(FailureKind))


# ---- shapes that cannot work are refused up front, with what to do ----


@pytest.mark.parametrize(("schema", "text"), [
    ({"$ref": "#/definitions/missing"}, "the `$ref` '#/definitions/missing' at $ cannot be resolved: nothing in the schema is at that location"),
    ({"type": "object", "properties": {"a": {"$ref": "#/$defs/nope"}}}, "the `$ref` '#/$defs/nope' at $.properties.a cannot be resolved"),
    ({"$defs": {"a": {"$ref": "#/$defs/b"}}}, "the `$ref` '#/$defs/b' at $.$defs.a cannot be resolved"),
    ({"items": {"$ref": "https://example.com/item.json"}}, "schemas are not fetched; copy that definition into `$defs`"),
    ({"$id": "https://example.com/root.json", "$ref": "other.json"}, "the `$ref` 'other.json' at $ cannot be resolved"),
    ({"items": {"$dynamicRef": "#meta"}}, "the `$dynamicRef` '#meta' at $.items cannot be resolved"),
    ({"required": ["a"], "$ref": "#/required"}, "the `$ref` '#/required' at $ points at a list, not at a schema"),
    ({"properties": {"type": {"type": "string"}}, "$ref": "#/properties"}, "the `$ref` '#/properties' at $ points at something that is not a valid schema"),
])
def test_a_ref_that_cannot_be_followed_is_refused_up_front(schema, text):
    with pytest.raises(UsageError) as caught:
        OutputShape.of(schema)
    assert text in str(caught.value)


def test_refs_that_resolve_are_followed():
    tree = OutputShape.of({"$defs": {"node": {"type": "object", "properties": {"v": {"type": "integer"}, "kids": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}},
                           "$ref": "#/$defs/node"})
    value = {"v": 1, "kids": [{"v": 2, "kids": []}]}
    assert tree.check(value) is value
    failure = tree.check({"v": 1, "kids": [{"v": "2"}]})
    assert isinstance(failure, Failure) and "at $.kids[0].v: '2' is not of type 'integer'" in failure.message
    relative = OutputShape.of({"$id": "https://example.com/root.json", "$defs": {"s": {"$id": "s.json", "type": "string"}}, "items": {"$ref": "s.json"}})
    assert relative.check(["a"]) == ["a"] and isinstance(relative.check([1]), Failure)
    anchored = OutputShape.of({"$dynamicAnchor": "node", "type": "array", "items": {"$dynamicRef": "#node"}})
    assert anchored.check([[], [[]]]) == [[], [[]]] and isinstance(anchored.check([1]), Failure)
    meta = OutputShape.of({"$ref": "https://json-schema.org/draft/2020-12/schema"})  # the meta-schemas are known, not fetched
    assert meta.check({"type": "string"}) == {"type": "string"} and isinstance(meta.check({"type": 5}), Failure)


def test_check_translates_an_unresolvable_ref_of_a_shape_built_by_hand():
    import jsonschema
    import referencing.exceptions

    schema = {"items": {"$ref": "#/$defs/missing"}}
    shape = OutputShape(schema, None, jsonschema.Draft202012Validator(schema, registry=referencing.Registry()))
    assert shape.check([]) == []
    with pytest.raises(UsageError, match="a `\\$ref` that cannot be resolved") as caught:
        shape.check([1])
    assert isinstance(caught.value.__cause__, referencing.exceptions.Unresolvable)


@pytest.mark.parametrize(("schema", "text"), [
    ({"type": "string", "pattern": "^(?=a)"}, "is not a regular expression RE2 can compile (invalid perl operator: (?=)"),
    ({"$schema": "http://json-schema.org/draft-04/schema#", "patternProperties": {"(": {}}}, "the pattern '(' in the subschema at $ is not a regular expression"),
    ({"type": "object", "properties": 5}, "5 is not of type 'object' (at $.properties)"),
    ({"type": "object", "properties": [{"type": "string"}]}, "is not of type 'object' (at $.properties)"),
    ({"$schema": [], "type": "string"}, "`$schema` must be a meta-schema's URI, not []"),
    ({"$schema": 5}, "`$schema` must be a meta-schema's URI, not 5"),
    ({"type": "number", "multipleOf": float("nan")}, "not JSON data"),
    ({"id": {"$id": "http://["}}, None),  # under an unknown keyword: not a subschema, so nothing to resolve
])
def test_schemas_a_dependency_would_trip_on_are_usage_errors(schema, text):
    if text is None:
        assert OutputShape.of(schema).check(1) == 1
        return
    with pytest.raises(UsageError) as caught:
        OutputShape.of(schema)
    assert text in str(caught.value)


def test_a_schema_nested_past_the_recursion_limit_is_a_usage_error():
    schema: dict = {"type": "integer"}
    for _ in range(5000):
        schema = {"not": schema}
    with pytest.raises(UsageError, match="nested too deeply"):
        OutputShape.of(schema)


@pytest.mark.parametrize(("output", "text"), [
    ("int", "pass the type itself"),
    ("__import__('os').getcwd()", "pass the type itself"),
    (list["int +"], "is not usable"),  # noqa: F722 (a broken annotation, on purpose)
])
def test_strings_are_not_evaluated_as_types(output, text):
    with pytest.raises(UsageError, match=text):
        OutputShape.of(output)


@pytest.mark.parametrize(("constraint", "text"), [
    ({"pattern": "("}, "regex parse error"),
    ({"pattern": "(?<=a)b"}, "look-around"),
    ({"max_length": -1}, "can't convert negative int"),
])
def test_type_constraints_pydantic_cannot_build_are_usage_errors(constraint, text):
    from typing import Annotated

    from pydantic import Field

    with pytest.raises(UsageError, match="is not usable") as caught:
        OutputShape.of(Annotated[str, Field(**constraint)])
    assert text in str(caught.value)


# ---- values the sandbox can produce are checked, never raised on ----


def test_multiple_of_is_exact_past_the_float_range():
    half = OutputShape.of({"type": "number", "multipleOf": 0.5})
    assert half.check(10**400) == 10**400
    assert half.check(3 * 10**400 + 1) == 3 * 10**400 + 1
    failure = OutputShape.of({"multipleOf": 2.5}).check(10**400 + 1)
    assert isinstance(failure, Failure) and "is not a multiple of 2.5" in failure.message
    for value in (float("inf"), float("-inf"), float("nan")):
        failure = half.check(value)
        assert isinstance(failure, Failure) and "is not a multiple of 0.5" in failure.message
    assert OutputShape.of({"multipleOf": 3}).check(float("inf")).kind == "schema"


@pytest.mark.parametrize("output", [str, {"type": "string"}, list[str], Any, {"not": {"type": "null"}}])
def test_a_lone_surrogate_is_a_schema_failure_that_says_how_to_fix_it(output):
    shape = OutputShape.of(output)
    whole = ["😀é"] if output == list[str] else "😀é"
    assert shape.check(whole) == whole
    value = ["ok", "\ude00"] if output == list[str] else "a\ud83d"
    failure = shape.check(value)
    assert isinstance(failure, Failure) and failure.kind == "schema"
    where = "$[1]" if output == list[str] else "$"
    assert f"at {where}: the string holds a lone UTF-16 surrogate" in failure.message
    assert "[...s]" in failure.message


@pytest.mark.parametrize("output", [None, {}])
def test_no_shape_checks_nothing_not_even_surrogates(output):
    value = {"s": "a\ud83d"}
    assert OutputShape.of(output).check(value) is value


def test_a_lone_surrogate_in_a_key_is_named():
    failure = OutputShape.of(dict[str, int]).check({"ok": 1, "n": {"\ud800": 2}})
    assert isinstance(failure, Failure) and "at $.n: a key holds a lone UTF-16 surrogate" in failure.message


def test_integers_past_pythons_digit_limit_are_checked_and_quoted_by_their_length():
    import sys

    huge = -(10 ** (sys.get_int_max_str_digits() + 10))  # a BigInt's value: str() refuses it
    for output in (None, {}, int, {"type": "integer"}, Any, {"type": "array", "items": {"type": "integer"}}, list[int]):
        value = [1, huge] if output in (list[int], {"type": "array", "items": {"type": "integer"}}) else huge
        assert OutputShape.of(output).check(value) == value
    failure = OutputShape.of({"type": "array", "items": {"type": "string"}}).check([huge])
    assert isinstance(failure, Failure) and "at $[0]: a negative integer of 4311 digits is not of type 'string'" in failure.message
    failure = OutputShape.of({"type": "integer", "minimum": 0}).check(huge)
    assert isinstance(failure, Failure) and "a negative integer of 4311 digits is less than the minimum of 0" in failure.message
    failure = OutputShape.of(dict[str, str]).check({"n": huge})
    assert isinstance(failure, Failure) and "at $.n: input should be a valid string, got integer" in failure.message


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def test_values_nested_as_deep_as_the_engine_allows_are_checked_or_a_schema_failure():
    deep = _nested(900)  # QuickJS's JSON.stringify stops at 900 levels
    assert OutputShape.of(None).check(deep) is deep
    assert OutputShape.of({"type": "array"}).check(deep) is deep
    failure = OutputShape.of(Any).check(deep)
    assert isinstance(failure, Failure) and "at $: the value is nested 900 levels deep, deeper than the check can read" in failure.message
    recursive = OutputShape.of({"type": "array", "items": {"$ref": "#"}}).check(deep)
    assert recursive is deep or (isinstance(recursive, Failure) and "nested 900 levels deep" in recursive.message)
    assert OutputShape.of(Any).check(_nested(150)) == _nested(150)


def test_a_mismatch_quotes_a_huge_value_only_in_part():
    failure = OutputShape.of({"type": "object"}).check(["x" * 100] * 10_000)
    assert isinstance(failure, Failure) and len(failure.message) < 500
    assert " ... " in failure.message and failure.message.endswith("] is not of type 'object'")


def test_the_same_words_from_several_branches_are_said_once():
    failure = OutputShape.of({"allOf": [{"type": "string"}, {"type": "string"}, {"$ref": "#/$defs/s"}], "$defs": {"s": {"type": "string"}}}).check(1)
    assert isinstance(failure, Failure) and failure.message.count("is not of type 'string'") == 1 and "more" not in failure.message


# ---- any reply and any code text ----


def test_a_lone_surrogate_in_the_code_is_a_syntax_finding_and_columns_count_characters():
    failure = prevalidate("export default 1;\nconst s = 'é\ud800';\nrequire('fs')")
    assert failure is not None and (failure.kind, failure.line, failure.column) == ("syntax", 2, 13)
    assert "lone UTF-16 surrogate (U+D800)" in failure.message and "`\\ud800`" in failure.message
    failure = prevalidate("const s = 'héllo😀'; require('fs')\nexport default s")
    assert failure is not None and (failure.line, failure.column) == (1, 21)


@pytest.mark.parametrize("reply", ["\n" * 100_000, " \n" * 50_000, "`" * 100_000, "```" + "a" * 100_000, "``` " + " " * 100_000])
def test_extraction_of_a_degenerate_reply_takes_linear_time(reply):
    import time

    started = time.perf_counter()
    assert isinstance(extract_code(reply), Failure)
    assert time.perf_counter() - started < 2  # quadratic before: 20,000 blank lines took 5.7 s


def test_feedback_quoting_a_line_with_a_lone_surrogate_is_text_utf_8_can_carry():
    from agent.core.failures import Failure, feedback

    text = feedback(Failure(kind="runtime", message="bad \udfff", line=1, logs=("log \udc80",)), 'const s = "\ud800"; throw 1')
    assert text.encode("utf-8") and "\ufffd" in text and 'Line 1 is: const s = "\ufffd"; throw 1' in text
