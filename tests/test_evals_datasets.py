"""Benchmark loaders: the harness reproduces the canonical solutions' recorded pass counts."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from agent.core.validate import is_literal_call
from agent.errors import UsageError
from agent.evals.datasets import MAX_OUTPUT_TEXT, function_check, load_dataset, shown_calls
from agent.evals.suite import judge
from agent.sandbox import Limits

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
needs_datasets = pytest.mark.skipif(not DATASETS.is_dir(), reason="the shared datasets folder (../shared/datasets) is not present")


def canonical_passes(sandbox, cases) -> tuple[int, int]:
    with_reference = [c for c in cases if c.reference]

    async def grade():
        return await asyncio.gather(*(judge(c, None, c.reference, sandbox) for c in with_reference))

    return sum(ok for ok, _ in asyncio.run(grade())), len(with_reference)


@needs_datasets
def test_humaneval_x_canonical_solutions_pass_158_of_164(sandbox):
    cases = load_dataset("humaneval-x", DATASETS / "humaneval-x-js" / "humaneval_js.jsonl.gz")
    assert len(cases) == 164
    assert canonical_passes(sandbox, cases) == (158, 164)


@needs_datasets
def test_mbjsp_canonical_solutions_pass_788_of_938(sandbox):
    cases = load_dataset("mbjsp", DATASETS / "mbjsp" / "mbjsp_release_v1.2.jsonl")
    assert len(cases) == 966
    assert canonical_passes(sandbox, cases) == (788, 938)


@needs_datasets
def test_function_cases_ask_for_the_function_and_hide_the_tests():
    case = load_dataset("humaneval-x", DATASETS / "humaneval-x-js" / "humaneval_js.jsonl.gz", limit=1)[0]
    assert "export default hasCloseElements;" in case.instruction
    assert "console.assert" not in case.instruction and "console.assert" in case.grade


@needs_datasets
def test_the_check_seen_while_solving_accepts_every_canonical_solution_and_asks_for_the_named_function(sandbox):
    cases = [c for name, path in [("humaneval-x", DATASETS / "humaneval-x-js" / "humaneval_js.jsonl.gz"),
                                  ("mbjsp", DATASETS / "mbjsp" / "mbjsp_release_v1.2.jsonl")]
             for c in load_dataset(name, path) if c.reference]

    async def checked():
        return await asyncio.gather(*(sandbox.run_async(c.reference, check=c.check) for c in cases))

    results = asyncio.run(checked())
    assert [c.id for c, r in zip(cases, results) if not r.ok] == []
    probed = [(c, r.value) for c, r in zip(cases, results) if c.calls]
    assert len(probed) == 1078, "the problems that show a call with plain-data arguments"
    assert all(list(value) == c.calls and all(isinstance(v, str) for v in value.values()) for c, value in probed)
    assert all(r.value is True for c, r in zip(cases, results) if not c.calls)
    anonymous = sandbox.run("export default (numbers, threshold) => false;", check=cases[0].check)
    assert anonymous.error.kind == "check" and "export default hasCloseElements;" in anonymous.error.message
    assert sandbox.run("export default 42;", check=cases[0].check).error.kind == "check"


@needs_datasets
def test_gsm8k_reads_the_number_after_the_marks():
    cases = load_dataset("gsm8k", DATASETS / "gsm8k" / "test.jsonl", limit=3)
    assert [type(c.expected) for c in cases] == [int, int, int]
    assert cases[0].expected == 18 and cases[0].output == {"type": "number"}


@needs_datasets
def test_sampling_is_seeded():
    path = DATASETS / "gsm8k" / "test.jsonl"
    a = [c.id for c in load_dataset("gsm8k", path, sample=5, seed=1)]
    assert a == [c.id for c in load_dataset("gsm8k", path, sample=5, seed=1)]
    assert a != [c.id for c in load_dataset("gsm8k", path, sample=5, seed=2)]


GIVEN_HELPER = {
    "task_id": "JavaScript/50", "declaration": "const encodeShift = (s) => {\n  return s.replace(/[a-z]/g, (c) => "
    "String.fromCharCode((c.charCodeAt(0) - 92) % 26 + 97));\n}\n\nconst decodeShift = (s) => {\n",
    "prompt": "/* shifts by 5 */\nconst encodeShift = (s) => {\n  return s.replace(/[a-z]/g, (c) => String.fromCharCode((c.charCodeAt(0) - 92) % 26 + 97));\n}\n\n"
              "/* decodes encodeShift */\nconst decodeShift = (s) => {\n",
    "canonical_solution": "  return s.replace(/[a-z]/g, (c) => String.fromCharCode((c.charCodeAt(0) - 102 + 26) % 26 + 97));\n}\n",
    "test": "const testDecodeShift = () => {\n  console.assert(decodeShift(encodeShift('hello')) === 'hello')\n}\ntestDecodeShift()\n",
}
DECODE = "const decodeShift = (s) => s.replace(/[a-z]/g, (c) => String.fromCharCode((c.charCodeAt(0) - 102 + 26) % 26 + 97));\n"


@pytest.mark.parametrize(("code", "solved"), [
    (DECODE + "export default decodeShift;", True),  # the given helper left out: graded with it, as the benchmark does
    ("const encodeShift = (s) => s.replace(/[a-z]/g, (c) => String.fromCharCode((c.charCodeAt(0) - 92) % 26 + 97));\n"
     + DECODE + "export default decodeShift;", True),  # kept: not declared twice
    ("const decodeShift = (s) => s;\nexport default decodeShift;", False),
])
def test_functions_given_with_a_problem_are_part_of_it(sandbox, tmp_path, code, solved):
    path = tmp_path / "he.jsonl"
    path.write_text(json.dumps(GIVEN_HELPER) + "\n")
    case = load_dataset("humaneval-x", path)[0]
    assert "(`encodeShift`) are part of the problem: keep them in the module" in case.instruction
    assert asyncio.run(judge(case, None, code, sandbox))[0] is solved


def test_gsm8k_answers_with_commas(tmp_path):
    path = tmp_path / "g.jsonl"
    path.write_text('{"question": "q", "answer": "work\\n#### 1,250"}\n')
    assert load_dataset("gsm8k", path)[0].expected == 1250


@pytest.mark.parametrize(("name", "text", "message"), [
    ("nope", "", "unknown dataset 'nope'"),
    ("gsm8k", "not json\n", "is not JSON lines"),
    ("mbjsp", '{"task_id": "x"}\n', "does not look like mbjsp"),
])
def test_bad_datasets_are_usage_errors(tmp_path, name, text, message):
    path = tmp_path / "d.jsonl"
    path.write_text(text)
    with pytest.raises(UsageError, match=message):
        load_dataset(name, path)


def test_a_missing_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="cannot read"):
        load_dataset("gsm8k", tmp_path / "missing.jsonl")


# Code under test cannot pass its own tests: what the tests use is captured before it runs.

from agent.evals.suite import Case  # noqa: E402

GRADED = Case(id="graded", category="t", instruction="f", compare="tests", check="return true;",
              grade="console.assert(f(2) === 4);\nconsole.assert(JSON.stringify(g()) === JSON.stringify([1, 'a\\n', {b: null}]));\n"
                    "if (!_.isEqual(h(), {k: [1, 2], m: new Map([[1, 2]])})) throw new Error('h is wrong');\n"
                    "console.assert(Math.max(f(1), 0) === 2);")
PARTS = {"f": "function f(x) { return 2 * x; }", "g": "function g() { return [1, 'a\\n', {b: null}]; }",
         "h": "function h() { return {k: [1, 2], m: new Map([[1, 2]])}; }"}
WRONG_PARTS = {"f": "function f(x) { return 0; }", "g": "function g() { return [1, 'a\\n', {b: 0}]; }",
               "h": "function h() { return {k: [1, 3], m: new Map([[1, 3]])}; }",
               "math": "function f(x) { return x === 2 ? 4 : 5; }"}
RIGHT = "\n".join(PARTS.values()) + "\nexport default f;"
CHEATS = [  # what the code under test replaces, and the part it gets wrong (right everywhere else)
    ("console.assert = () => {};", "f"),
    ("Object.defineProperty(console, 'assert', {get: () => () => {}, set() {}});", "f"),
    ("JSON.stringify = () => 'x';", "g"),
    ("Array.prototype.toJSON = function () { return 'same'; }; Object.prototype.toJSON = function () { return 'same'; };", "g"),
    ("String.prototype.charCodeAt = () => 0; Number.prototype.toString = () => '';", "g"),
    ("Object.is = () => true; Object.keys = () => [];", "h"),
    ("Array.prototype.every = () => true; Array.isArray = () => false; Map.prototype.entries = () => [][Symbol.iterator]();", "h"),
    ("Reflect.apply = () => true; Function.prototype.call = () => true; Object.prototype.hasOwnProperty = () => true;", "h"),
    ("Math.max = () => 2;", "math"),
    ("Error = function () { return {}; }; globalThis.__jsolve_grade = null;", "f"),
]


def _module(cheat: str, wrong: str, cheat_first: bool) -> str:
    parts = {**PARTS, ("f" if wrong == "math" else wrong): WRONG_PARTS[wrong]}
    body = "\n".join(parts.values())
    return (f"{cheat}\n{body}" if cheat_first else f"{body}\n{cheat}") + "\nexport default f;"


def test_the_graded_right_solution_passes(sandbox):
    assert asyncio.run(judge(GRADED, True, RIGHT, sandbox)) == (True, None)


@pytest.mark.parametrize(("cheat", "wrong"), CHEATS, ids=[f"{w}-{i}" for i, (_, w) in enumerate(CHEATS)])
def test_a_wrong_solution_that_replaces_what_the_tests_use_still_fails(sandbox, cheat, wrong):
    for cheat_first in (True, False):
        ok, why = asyncio.run(judge(GRADED, True, _module(cheat, wrong, cheat_first), sandbox))
        assert not ok and why.startswith("the tests failed"), (cheat, why)
    ok, _ = asyncio.run(judge(GRADED, True, _module("", wrong, True), sandbox))
    assert not ok, "the wrong part alone fails"
    assert asyncio.run(judge(GRADED, True, RIGHT, sandbox))[0], "the next grading in the same pool is clean"


# -- the calls a problem shows, which independent programs are compared on -------------------------

PROMPT = """/* Doubles a list.
  >>> double([1, 2.5, -3])
  [2, 5, -6]
  >>> double([])
  []
  double(xs) => see above; double([1, 2].map(f)) is not data; obj.double([9]) is another function
  >>> double([1, 2.5, -3])
  >>> double(['a)', "b(", `c`]) and double({"k": [null, true, undefined, NaN, -Infinity]})
  >>> double([1, // not closed on its line
  */
function double(xs) {
"""


def test_shown_calls_are_the_calls_whose_arguments_are_plain_data():
    assert shown_calls(PROMPT, "double") == ["double([1, 2.5, -3])", "double([])", "double(['a)', \"b(\", `c`])",
                                             'double({"k": [null, true, undefined, NaN, -Infinity]})']
    assert shown_calls("/* triple(2) is 6 */\nconst triple = (x) => {\n", "double") == []


@pytest.mark.parametrize(("call", "literal"), [
    ("f([1, -2, 'x'], {a: [true, null]})", True), ("f()", True), ("f(`plain`)", True), ("f((1, 2))", False),  # a Python tuple, 2 in JS
    ("f(a)", False), ("f(g(1))", False), ("f(`${x}`)", False), ("f(...[1])", False), ("f(() => 1)", False),
    ("f(1) + f(2)", False), ("g(1)", False), ("f(1); f(2)", False), ("f(!1)", False), ("f(1", False),
    ("f(1 /* c */)", False), ("f({[k]: 1})", False), ("f(new Date())", False), ("f(x = 1)", False),
])
def test_a_literal_call_has_only_data_for_arguments(call, literal):
    assert is_literal_call(call, "f") is literal


SQUARE_CHECK = function_check("square", ["square(3)", "square(0.1)", "square([2])"])


@pytest.mark.parametrize(("body", "results"), [
    ("(x) => x * x", {"square(3)": "9", "square(0.1)": "0.01", "square([2])": "4"}),
    ("(x) => x ** 2 + 1e-15", {"square(3)": "9", "square(0.1)": "0.01", "square([2])": "4"}),  # fractions to 12 digits
    ("(x) => { if (Array.isArray(x)) throw new RangeError('no'); return x * 2; }",
     {"square(3)": "6", "square(0.1)": "0.2", "square([2])": "throws RangeError"}),
    ("(x) => { if (Array.isArray(x)) { x.push(1); return x; } return { b: [x, undefined], a: new Set([2, 1]) }; }",
     {"square(3)": '{"a":Set{1,2},"b":[3,undefined]}', "square(0.1)": '{"a":Set{1,2},"b":[0.1,undefined]}', "square([2])": "[2,1]"}),
    ("async (x) => NaN", {"square(3)": "NaN", "square(0.1)": "NaN", "square([2])": "NaN"}),
])
def test_the_check_records_what_the_function_gives_on_each_shown_call(sandbox, body, results):
    r = sandbox.run(f"const square = {body};\nexport default square;", check=SQUARE_CHECK)
    assert r.ok and r.value == results


def test_the_shown_calls_cannot_be_turned_against_the_check(sandbox):
    cyclic = sandbox.run("const square = (x) => { const a = { x }; a.self = a; a.list = [a, a]; return a; };\nexport default square;",
                         check=SQUARE_CHECK)
    assert cyclic.ok and cyclic.value["square(3)"] == '{"list":[[Circular],[Circular]],"self":[Circular],"x":3}'
    huge = sandbox.run("const square = (x) => 'y'.repeat(5e6);\nexport default square;", check=SQUARE_CHECK)
    assert huge.ok and huge.value["square(3)"] == "\"" + "y" * (MAX_OUTPUT_TEXT - 1) + f"... ({5_000_002} characters)"
    hostile = sandbox.run("const square = (x) => ({ get a() { throw new Error('no'); } });\nexport default square;", check=SQUARE_CHECK)
    assert hostile.ok and set(hostile.value.values()) == {"throws Error"}
    tampering = sandbox.run(
        "const square = (x) => { Object.keys = () => []; JSON.stringify = () => 'forged'; Reflect.apply = () => 'forged';\n"
        "  Array.prototype.join = Array.prototype.push = Array.prototype.sort = String.prototype.slice = () => 'forged';\n"
        "  Array.prototype[Symbol.iterator] = function* () { yield 'forged'; };\n"
        "  Object.defineProperty(Object.prototype, 'square([2])', { set() { throw new Error('forged'); }, configurable: true });\n"
        "  return Array.isArray(x) ? { b: [x[0], 'y'.repeat(2000)], a: 1 } : 'ok:' + x; };\nexport default square;", check=SQUARE_CHECK)
    assert tampering.ok and tampering.value == {"square(3)": '"ok:3"', "square(0.1)": '"ok:0.1"',
                                                "square([2])": '{"a":1,"b":[2,"' + "y" * (MAX_OUTPUT_TEXT - 15) + "... (2018 characters)"}, \
        "the check's built-ins and the arguments of each call are its own"
    stuck = sandbox.run("const square = (x) => { for (;;); };\nexport default square;", check=SQUARE_CHECK, limits=Limits(timeout=0.5))
    assert stuck.error.kind == "timeout"
    assert sandbox.run("const square = (x) => x * x;\nexport default square;", check=SQUARE_CHECK).value["square(3)"] == "9"
