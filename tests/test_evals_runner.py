"""The eval runner and its report, with scripted models and the real sandbox."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic_ai.exceptions import ModelHTTPError
from pydantic_ai.messages import ModelResponse, TextPart
from pydantic_ai.models.function import FunctionModel

from agent.evals import Case, Report, compare_reports, run_cases
from agent.evals.report import render_html
from tests.fake_provider import FakeProvider
from tests.scripted import fenced

CASES = [
    Case(id="right", category="a", instruction="Task right: 6 * 7", output={"type": "integer"}, expected=42),
    Case(id="repaired", category="a", instruction="Task repaired: 2 + 2", output={"type": "integer"}, expected=4),
    Case(id="wrong", category="b", instruction="Task wrong: 1 + 1", output={"type": "integer"}, expected=2),
    Case(id="failed", category="b", instruction="Task failed: 3 + 3", output={"type": "integer"}, expected=6),
    Case(id="fetch", category="c", instruction="Task fetch: the title of {base}/page.html", output={"type": "string"},
         expected="jsolve fixture: the QuickJS page", network=True),
]

SCRIPT = {
    "Task right": [fenced("export default 6 * 7")],
    "Task repaired": [fenced("export default null.x"), fenced("export default 2 + 2")],
    "Task wrong": [fenced("export default 3")],
    "Task failed": [fenced("export default undefinedName")] * 4,
    "Task fetch": [fenced("const t = await (await fetch('BASE/page.html')).text();\nexport default t.match(/<title>(.*)<\\/title>/)[1];")],
}


def scripted_model() -> FunctionModel:
    queues = {k: list(v) for k, v in SCRIPT.items()}

    def answer(messages, info):
        prompt = messages[0].parts[-1].content
        key = next(k for k in queues if k in prompt)
        reply = queues[key].pop(0)
        if "BASE" in reply:
            reply = reply.replace("BASE", prompt.split("title of ")[1].split("/page.html")[0])
        return ModelResponse(parts=[TextPart(reply)])

    return FunctionModel(answer, model_name="scripted")


@pytest.fixture(scope="module")
def report(sandbox) -> Report:
    return asyncio.run(run_cases(CASES, model=scripted_model(), sandbox=sandbox, concurrency=3, source="test"))


def test_each_case_is_judged(report):
    by_id = {r.id: r for r in report.results}
    assert {i: (r.solved, r.attempts) for i, r in by_id.items()} == {
        "right": (True, 1), "repaired": (True, 2), "wrong": (False, 1), "failed": (False, 4), "fetch": (True, 1)}
    assert by_id["wrong"].final_failure == "wrong answer: expected 2, got 3"
    assert by_id["failed"].final_failure.startswith("repeat: ")  # the same wrong code, sent again and again
    assert by_id["failed"].failure_kinds == ["runtime", "repeat", "repeat", "repeat"]
    assert by_id["repaired"].failure_kinds == ["runtime"]
    assert by_id["right"].output_tokens > 0 and by_id["right"].total_ms > 0


def test_the_summary_answers_the_two_first_questions(report):
    s = report.summary
    assert (s.cases, s.solved) == (5, 3)
    assert s.pass_at_1 == pytest.approx(2 / 5) and s.solve_rate == pytest.approx(3 / 5) and s.uplift == pytest.approx(1 / 5)
    assert s.attempts_to_success == {"1": 2, "2": 1}
    assert s.failure_kinds == {"repeat": 3, "runtime": 2}
    assert s.latency_p95_ms >= s.latency_p50_ms > 0
    assert report.model == "scripted" and report.settings["max_attempts"] == 4 and report.settings["concurrency"] == 3


def test_the_report_round_trips_as_json_and_renders_a_self_contained_page(report, tmp_path):
    data, page = report.write(tmp_path)
    again = Report.read(data)
    assert again == report
    text = page.read_text()
    assert "<svg" in text and "Attempts to success" in text and "Failure kinds" in text
    assert "<script" not in text and "http://" not in text.split("<h2>")[0]


def test_compare_names_what_changed(report):
    better = report.model_copy(deep=True)
    better.results[2].solved = True
    diff = compare_reports(report, better)
    assert diff["newly_solved"] == ["wrong"] and diff["newly_failed"] == []
    assert "A: scripted" in render_html([report, better])


def test_an_unreachable_model_is_recorded_not_scored_as_a_failure(sandbox):
    def down(messages, info):
        raise ModelHTTPError(status_code=503, model_name="down")

    report = asyncio.run(run_cases(CASES[:2], model=FunctionModel(down, model_name="down"), sandbox=sandbox))
    assert report.summary.errors == 2 and report.summary.solved == 0
    assert all("could not be reached" in r.error for r in report.results)


def test_cancelling_keeps_what_finished(sandbox):
    slow_cases = [Case(id=f"c{i}", instruction=f"Task c{i}", expected=i) for i in range(6)]

    async def answer(messages, info):
        prompt = messages[0].parts[-1].content
        i = int(prompt.split("Task c")[1].split()[0])
        if i >= 2:
            await asyncio.sleep(30)
        return ModelResponse(parts=[TextPart(fenced(f"export default {i}"))])

    async def main():
        run = asyncio.ensure_future(run_cases(slow_cases, model=FunctionModel(answer, model_name="m"), sandbox=sandbox, concurrency=6))
        while True:
            await asyncio.sleep(0.05)
            if run.done():
                break
            finished = [t for t in asyncio.all_tasks() if t is not run]
            if len(finished) and asyncio.get_running_loop().time() > start + 1.5:
                run.cancel()
                break
        return await run

    start = 0.0

    async def timed():
        nonlocal start
        start = asyncio.get_running_loop().time()
        return await main()

    report = asyncio.run(timed())
    assert report.interrupted
    assert sorted(r.id for r in report.results) == ["c0", "c1"] and report.summary.solved == 2


def test_the_cli_runs_a_suite_writes_the_report_and_compares(tmp_path):
    suite = tmp_path / "suite.yaml"
    suite.write_text(json.dumps({"cases": [c.model_dump(exclude_none=True) for c in CASES[:3]]}))
    replies = [fenced("export default 6 * 7"), fenced("export default null.x"), fenced("export default 2 + 2"), fenced("export default 3")]
    provider = FakeProvider(replies)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "JSOLVE_"))}
    env.update(OPENAI_BASE_URL=provider.base_url, OPENAI_API_KEY="k", COLUMNS="200")
    try:
        done = subprocess.run([sys.executable, "-m", "agent.cli", "eval", str(suite), "--model", "openai-chat:scripted",
                               "--concurrency", "1", "--report", str(tmp_path / "out")], capture_output=True, text=True, env=env, timeout=120)
    finally:
        provider.close()
    assert done.returncode == 0, done.stderr
    assert "2/3 solved" in done.stdout and "pass@1" in done.stdout
    report = Report.read(tmp_path / "out" / "report.json")
    assert report.summary.solved == 2 and report.summary.uplift == pytest.approx(1 / 3)
    assert len((tmp_path / "out" / "results.jsonl").read_text().splitlines()) == 3
    compared = subprocess.run([sys.executable, "-m", "agent.cli", "eval", "compare", str(tmp_path / "out" / "report.json"),
                               str(tmp_path / "out" / "report.json")], capture_output=True, text=True, env=env, timeout=60)
    assert compared.returncode == 0 and "newly solved in B: -" in compared.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["compare", "a.json"], "usage: jsolve eval compare A.json B.json"),
    (["compare", "/no/a.json", "/no/b.json"], "cannot read the report"),
    (["--dataset", "gsm8k"], "needs the path"),
    (["--dataset", "nope", "x.jsonl"], "unknown dataset 'nope'"),
    (["/no/suite.yaml"], "cannot read the suite"),
])
def test_cli_usage_errors(args, message):
    done = subprocess.run([sys.executable, "-m", "agent.cli", "eval", *args, "--model", "test"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
