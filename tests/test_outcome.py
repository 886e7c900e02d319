"""A solve's outcome: the verdict `decide()` returns after a round (which value it answers with,
or which failure it fails with), and the result as JSON (`SolveOutcome`), which `jsolve solve
--json` prints and the MCP `solve` tool returns and declares as its output schema."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime

import pytest
from pydantic import BaseModel, Field
from pydantic_ai.usage import RunUsage
from pydantic_core import to_jsonable_python

from agent.core.agreement import Candidate, Vote, group
from agent.core.failures import Failure
from agent.core.loop import Accept, Attempt, Repair, Solution, StopAndAnswer, StopAndFail, decide
from agent.core.outcome import SolveOutcome
from agent.errors import SolveFailed, UsageError
from agent.sandbox.result import json_text


def usage(input_tokens: int, output_tokens: int) -> RunUsage:
    return RunUsage(requests=1, input_tokens=input_tokens, output_tokens=output_tokens)


WRONG = Attempt(number=1, candidate=1, code="export default '17'", reply="```js\nexport default '17'\n```",
                failure=Failure(kind="schema", message='input should be a valid integer, got string "17"', line=1, column=16),
                feedback="Your code failed. schema error at line 1, column 16: ...", logs=("one", "two"),
                model_ms=1234.56789, validate_ms=0.1234567, run_ms=5.6789123, usage=usage(50, 20))
RIGHT = Attempt(number=2, candidate=1, code="export default 17", failure=None, feedback=None, value=17,
                model_ms=987.654321, validate_ms=0.0004999, run_ms=3.0005, usage=usage(60, 25))
SOLUTION = Solution(value=17, code="export default 17", attempts=[WRONG, RIGHT], usage=usage(50, 20) + usage(60, 25),
                    duration_ms=2345.6789, model_name="scripted",
                    candidates=[Candidate(value=17, count=1, code="export default 17", attempts=((2, 1),))])

EMPTY = Attempt(number=1, candidate=1, code=None, reply="", failure=Failure(kind="extract", message="the reply was empty"),
                feedback="Your code failed. extract error: the reply was empty", usage=usage(40, 0))
BIG = Attempt(number=1, candidate=2, code="export default 2n ** 70n", failure=None, feedback=None, value=2**70,
              model_ms=10.005, validate_ms=1.0, run_ms=2.0)
DAY = Attempt(number=1, candidate=3, code="export default '2024-01-02'", failure=None, feedback=None, value=datetime.date(2024, 1, 2),
              validate_ms=0.5, run_ms=0.25)
FAILED = SolveFailed("no value was agreed", attempts=[EMPTY, BIG, DAY], usage=usage(40, 0),
                     failure=Failure(kind="disagree", message="they differ"),
                     candidates=[Candidate(value=2**70, count=1, code=BIG.code or "", attempts=((1, 2),)),
                                 Candidate(value=datetime.date(2024, 1, 2), count=1, code=DAY.code or "", attempts=((1, 3),))])

# What `jsolve solve --json` printed for these before the outcome was a model (keys in this order,
# times rounded to 2 decimals for the model and the whole, 3 for validating and running).
SOLVED_JSON = {
    "ok": True, "value": 17, "code": "export default 17", "model": "scripted", "agreement": 1.0, "agreed": False,
    "candidates": [{"value": 17, "count": 1, "code": "export default 17"}],
    "attempts": [
        {"number": 1, "candidate": 1, "code": "export default '17'",
         "failure": {"kind": "schema", "message": 'input should be a valid integer, got string "17"', "line": 1, "column": 16},
         "feedback": "Your code failed. schema error at line 1, column 16: ...", "logs": ["one", "two"],
         "model_ms": 1234.57, "validate_ms": 0.123, "run_ms": 5.679, "input_tokens": 50, "output_tokens": 20, "tool_calls": []},
        {"number": 2, "candidate": 1, "code": "export default 17", "failure": None, "feedback": None, "logs": [],
         "model_ms": 987.65, "validate_ms": 0.0, "run_ms": 3.001, "input_tokens": 60, "output_tokens": 25, "tool_calls": []},
    ],
    "usage": {"requests": 2, "input_tokens": 110, "output_tokens": 45},
    "timings": {"total_ms": 2345.68, "model_ms": 2222.22, "validate_ms": 0.124, "run_ms": 8.679},
    "tool_calls": [],
}
FAILED_JSON = {
    "ok": False, "value": None, "code": "export default '2024-01-02'", "model": None, "agreement": None, "agreed": False,
    "candidates": [{"value": 1180591620717411303424, "count": 1, "code": "export default 2n ** 70n"},
                   {"value": "2024-01-02", "count": 1, "code": "export default '2024-01-02'"}],
    "attempts": [
        {"number": 1, "candidate": 1, "code": None,
         "failure": {"kind": "extract", "message": "the reply was empty", "line": None, "column": None},
         "feedback": "Your code failed. extract error: the reply was empty", "logs": [],
         "model_ms": 0.0, "validate_ms": 0.0, "run_ms": 0.0, "input_tokens": 40, "output_tokens": 0, "tool_calls": []},
        {"number": 1, "candidate": 2, "code": "export default 2n ** 70n", "failure": None, "feedback": None, "logs": [],
         "model_ms": 10.01, "validate_ms": 1.0, "run_ms": 2.0, "input_tokens": 0, "output_tokens": 0, "tool_calls": []},
        {"number": 1, "candidate": 3, "code": "export default '2024-01-02'", "failure": None, "feedback": None, "logs": [],
         "model_ms": 0.0, "validate_ms": 0.5, "run_ms": 0.25, "input_tokens": 0, "output_tokens": 0, "tool_calls": []},
    ],
    "usage": {"requests": 1, "input_tokens": 40, "output_tokens": 0},
    "timings": {"total_ms": 456.79, "model_ms": 10.01, "validate_ms": 1.5, "run_ms": 2.25},
    "tool_calls": [],
}


def test_the_outcome_of_a_solution_is_the_json_jsolve_solve_printed() -> None:
    data = SolveOutcome.of(SOLUTION).json_data()
    assert json_text(data) == json_text(SOLVED_JSON), "the same keys in the same order, the same numbers"


def test_the_outcome_of_a_failure_is_the_json_jsolve_solve_printed() -> None:
    data = SolveOutcome.of(FAILED, total_ms=456.789123).json_data()
    assert json_text(data) == json_text(FAILED_JSON), "values as JSON: a big integer whole, a date as its ISO text"


def test_an_answer_is_written_as_pydantic_writes_any_value_as_json() -> None:
    class Row(BaseModel):
        first_name: str = Field(alias="firstName")
        seen: datetime.date

    value = [Row(firstName="Ada", seen=datetime.date(1843, 1, 1)), float("inf")]
    data = SolveOutcome.of(dataclasses.replace(SOLUTION, value=value)).json_data()
    assert data["value"] == to_jsonable_python(value) == [{"firstName": "Ada", "seen": "1843-01-01"}, float("inf")]


def test_a_failure_has_no_duration_of_its_own_so_the_caller_gives_it() -> None:
    with pytest.raises(UsageError, match="total_ms"):
        SolveOutcome.of(FAILED)
    assert SolveOutcome.of(SOLUTION, total_ms=10.0).timings.total_ms == 10.0


def test_the_mcp_solve_tool_declares_the_outcome_as_its_output_schema() -> None:
    pytest.importorskip("mcp.server.mcpserver")
    from agent.mcp.server import ServerConfig, build_server

    tools = asyncio.run(build_server(ServerConfig(), None).list_tools())  # type: ignore[arg-type]  # listing runs nothing
    solve = next(tool for tool in tools if tool.name == "solve")
    assert solve.output_schema == SolveOutcome.model_json_schema()
    assert list(solve.output_schema["properties"]) == list(SOLVED_JSON)
    assert set(solve.output_schema["required"]) == {"ok", "timings"}


# -- the verdict after a round --------------------------------------------------------------------


def vote(plain: object, n: int = 1, r: int = 1) -> Vote:
    return Vote(plain, plain, f"export default {plain}", r, n)


LAST = Failure(kind="runtime", message="x is not defined")


def test_an_accepted_or_answered_verdict_names_the_value() -> None:
    agreed = group([vote(1, 1), vote(1, 2), vote(2, 3)])
    assert decide(agreed, rounds_made=1, max_rounds=2, samples=3) == Accept(answer=agreed[0])
    split = group([vote(1, 1), vote(2, 2)])
    assert decide(split, rounds_made=2, max_rounds=2, samples=2) == StopAndAnswer(answer=split[0]), \
        "rounds spent: the value most programs gave, however weak"
    assert decide(split, rounds_made=1, max_rounds=2, samples=2, repair_disagreement=False) == StopAndAnswer(answer=split[0])
    tie = group([vote(1, 1), vote(1, 2), vote(2, 3), vote(2, 4)])
    assert decide(tie, rounds_made=2, max_rounds=2, samples=4, min_agreement=0.5) == StopAndAnswer(answer=tie[0]), \
        "min_agreement alone allows a tie at 0.5"
    assert decide(split, rounds_made=1, max_rounds=2, samples=2) == Repair()


def test_a_failing_verdict_names_the_failure_and_the_message() -> None:
    split = group([vote(1, 1), vote(1, 2), vote(2, 3)])
    verdict = decide(split, rounds_made=2, max_rounds=2, samples=3, min_agreement=0.7)
    assert isinstance(verdict, StopAndFail) and verdict.failure.kind == "disagree"
    assert verdict.message.startswith("no value was agreed in 2 attempt(s) (min_agreement 0.7): independent programs")
    verdict = decide(group([]), rounds_made=3, max_rounds=3, samples=1, last_failure=LAST)
    assert verdict == StopAndFail(failure=LAST, message="not solved in 3 attempt(s); the last failed with runtime: x is not defined")
    with pytest.raises(UsageError, match="last_failure"):
        decide(group([]), rounds_made=3, max_rounds=3, samples=1)
