"""The project's own suite is proven correct: every reference solution, run through the real
sandbox, passes its case's comparison; and the comparisons refuse wrong answers."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from agent.core.data import load_inputs
from agent.core.shape import OutputShape
from agent.errors import UsageError
from agent.evals.runner import CaseTools, fixture_server
from agent.evals.suite import Case, judge, load_suite
from agent.sandbox import NetworkPolicy
from tests.evals_answers import ANSWERS, WRONG

SUITE = Path(__file__).resolve().parents[1] / "evals" / "suite.yaml"
CASES = load_suite(SUITE)


def test_the_suite_is_large_and_covers_every_area():
    assert len(CASES) >= 80
    categories = Counter(c.category for c in CASES)
    for area in ("arithmetic", "number theory", "strings", "dates", "csv and json", "regex", "combinatorics",
                 "simulations", "structured", "bigint", "fetch", "inputs"):
        assert categories[area] >= 3, area
    assert categories["inputs"] >= 12
    assert categories["tools"] >= 15 and all(c.tools for c in CASES if c.category == "tools")
    assert {c.compare for c in CASES} == {"exact", "approx", "unordered", "js"}
    assert all(c.reference for c in CASES)


def test_every_expected_value_matches_an_independent_python_computation(sandbox):
    assert sorted(ANSWERS) == sorted(c.id for c in CASES), "every case needs its answer computed in tests/evals_answers.py"
    wrong = {}
    for case in CASES:
        answer = ANSWERS[case.id](case.instruction)
        ok, _ = asyncio.run(judge(case, answer, "", sandbox))
        if not ok or (case.compare == "approx" and answer != case.expected):
            wrong[case.id] = (answer, case.expected)
    assert wrong == {}


def test_order_free_and_checked_cases_refuse_a_wrong_answer(sandbox):
    loose = [c for c in CASES if c.compare in ("unordered", "js")]
    assert sorted(c.id for c in loose) == sorted(WRONG) and {c.compare for c in loose} == {"unordered", "js"}
    assert [c.id for c in loose if asyncio.run(judge(c, WRONG[c.id], "", sandbox))[0]] == []


def test_every_reference_solution_passes_its_own_case(sandbox):
    network = NetworkPolicy(allow_hosts=["127.0.0.1"]).allowing_loopback()
    case_tools = CaseTools()

    async def verdicts(base: str):
        async def one(case: Case):
            case = case.with_base(base)
            inputs = load_inputs({name: Path(file) for name, file in case.inputs.items()}) if case.inputs else None
            result = await sandbox.run_async(case.reference, network=network if case.network else None, check=case.check, inputs=inputs,
                                             tools=case_tools.of(case))
            if not result.ok:
                return case.id, f"{result.error.kind}: {result.error.message}"
            value = OutputShape.of(case.output).check(result.value)
            if hasattr(value, "kind"):
                return case.id, value.message
            ok, why = await judge(case, value, case.reference, sandbox)
            return case.id, None if ok else why

        return await asyncio.gather(*(one(c) for c in CASES))

    with fixture_server() as base:
        failures = [(i, why) for i, why in asyncio.run(verdicts(base)) if why]
    assert failures == []


@pytest.mark.parametrize(("case", "wrong"), [
    (Case(id="a", instruction="x", expected=17), 18),
    (Case(id="a", instruction="x", expected=17), "17"),
    (Case(id="a", instruction="x", expected=1), True),
    (Case(id="a", instruction="x", expected={"ok": False}), {"ok": 0}),
    (Case(id="a", instruction="x", expected=0.3), 0.1 + 0.2),
    (Case(id="b", instruction="x", expected=[1.0, 2.5], compare="approx", tolerance=0.01), [1.0, 2.6]),
    (Case(id="b", instruction="x", expected={"a": 1.0}, compare="approx"), {"a": 1.0, "b": 2}),
    (Case(id="c", instruction="x", expected=[1, 2, 3], compare="unordered"), [1, 2, 2]),
    (Case(id="d", instruction="x", expected=10, compare="js", checker="if (value % expected !== 0) throw new Error('not a multiple')"), 15),
])
def test_comparisons_refuse_wrong_answers(sandbox, case, wrong):
    ok, why = asyncio.run(judge(case, wrong, "", sandbox))
    assert not ok and why


@pytest.mark.parametrize(("case", "right"), [
    (Case(id="b", instruction="x", expected=[1.0, 2.5], compare="approx", tolerance=0.01), [1.0, 2.505]),
    (Case(id="c", instruction="x", expected=[1, 2, 3], compare="unordered"), [3, 1, 2]),
    (Case(id="c", instruction="x", expected=[1, 2], compare="unordered"), [2.0, 1]),
    (Case(id="a", instruction="x", expected={"a": 1, "b": [2]}), {"b": [2.0], "a": 1}),
    (Case(id="a", instruction="x", expected=None), None),
    (Case(id="d", instruction="x", expected=10, compare="js", checker="if (value % expected !== 0) throw new Error('not a multiple')"), 30),
])
def test_comparisons_accept_right_answers(sandbox, case, right):
    assert asyncio.run(judge(case, right, "", sandbox)) == (True, None)


@pytest.mark.parametrize(("text", "message"), [
    (None, "cannot read the suite"),
    ("cases: [", "not valid YAML"),
    ("- a\n- b\n", "must be a mapping with a `cases` list"),
    ("cases:\n  - id: x\n", "case x: instruction: Field required"),
    ("cases:\n  - id: x\n    instruction: y\n    compare: fuzzy\n", "case x: compare"),
    ("cases:\n  - {id: x, instruction: y, expected: 1}\n  - {id: x, instruction: z, expected: 1}\n", "appears twice"),
    ("cases:\n  - {id: x, instruction: y, expected: 1, extra: 1}\n", "case x: extra"),
    ("cases:\n  - {id: x, instruction: y}\n", "case x: compare: exact needs `expected`"),
    ("cases:\n  - {id: x, instruction: y, compare: js, expected: 1}\n", "case x: compare: js needs a `checker`"),
    ("cases:\n  - {id: x, instruction: y, compare: unordered, expected: 1}\n", "needs `expected` to be a list"),
    ("cases:\n  - {id: x, instruction: y, compare: tests}\n", "compare: tests needs `grade`"),
    ("cases:\n  - {id: x, instruction: '  ', expected: 1}\n", "case x: instruction: String should match pattern"),
    ("cases:\n  - {id: x, instruction: y, expected: 1, output: {type: nonsense}}\n", "case x: output is not a valid JSON Schema"),
    ("cases:\n  - {id: x, instruction: y, expected: 1.5, output: {type: integer}}\n", "`expected` does not fit `output`"),
])
def test_bad_suites_are_usage_errors(tmp_path, text, message):
    path = tmp_path / "suite.yaml"
    if text is not None:
        path.write_text(text)
    with pytest.raises(UsageError, match=message):
        load_suite(path)
