"""The pipeline's stages on their own: extraction, pre-validation, the output check, prompts."""

from __future__ import annotations

import datetime
import gzip
import json
from pathlib import Path

import pytest

from agent import prompts
from agent.errors import UsageError
from agent.extract import extract_code
from agent.failures import Failure
from agent.shape import OutputShape
from agent.validate import prevalidate, same_code

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
    ("export default process.env.HOME", "policy", 1, 16, "`process` does not exist"),
    ("import { readFileSync } from 'node:fs';\nexport default 1", "policy", 1, 1, "`import` of 'node:fs'"),
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
    from agent.validate import _parser

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
    text = prompts.render("task", instruction="Add `${a}` and {b}", shape="S")
    assert text == "Task: Add `${a}` and {b}\n\nS"


def test_every_failure_kind_has_a_hint():
    from typing import get_args

    from agent.failures import FailureKind

    assert set(prompts.hints()) == set(get_args(FailureKind))


def test_prevalidation_takes_lone_surrogates_and_counts_columns_in_characters():
    failure = prevalidate("const s = '\ud800';\nrequire('fs')\nexport default s")
    assert failure is not None and (failure.kind, failure.line, failure.column) == ("policy", 2, 1)
    failure = prevalidate("const s = 'héllo😀'; require('fs')\nexport default s")
    assert failure is not None and (failure.line, failure.column) == (1, 21)
    failure = prevalidate("import x from '\ud800';\nexport default x")
    assert failure is not None and failure.kind == "policy" and "`import` of '\ufffd" in failure.message


@pytest.mark.parametrize("reply", ["\n" * 100_000, " \n" * 50_000, "`" * 100_000, "```" + "a" * 100_000, "``` " + " " * 100_000])
def test_extraction_of_a_degenerate_reply_takes_linear_time(reply):
    import time

    started = time.perf_counter()
    assert isinstance(extract_code(reply), Failure)
    assert time.perf_counter() - started < 2  # quadratic before: 20,000 blank lines took 5.7 s
