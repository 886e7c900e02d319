"""The eval runner and its report, with scripted models, the real sandbox and a real loopback
fixture server."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pydantic_ai import models
from pydantic_ai.exceptions import ModelHTTPError
from pydantic_ai.messages import ModelResponse, TextPart
from pydantic_ai.models.function import FunctionModel

from agent.evals import Case, Report, compare_reports, load_dataset, load_suite, run_cases
from agent.evals.datasets import function_check
from agent.evals.report import render_html
from tests.fake_provider import FakeProvider, completion
from tests.scripted import fenced, task_of

models.ALLOW_MODEL_REQUESTS = False

SUITE = Path(__file__).resolve().parents[1] / "evals" / "suite.yaml"

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
        prompt = task_of(messages)
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
    assert by_id["wrong"].final_failure == "wrong answer: expected 2, got 3" and by_id["wrong"].final_kind == "answer"
    assert by_id["failed"].final_kind == "repeat" and by_id["right"].final_kind is None
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
    assert s.final_failures == {"answer": 1, "repeat": 1}
    assert report.planned == 5 and not report.interrupted and report.model_unavailable is None
    assert s.latency_p95_ms >= s.latency_p50_ms > 0
    assert report.model == "scripted" and report.settings["max_attempts"] == 4 and report.settings["concurrency"] == 3


def test_the_report_round_trips_as_json_and_renders_a_self_contained_page(report, tmp_path):
    data, page = report.write(tmp_path)
    again = Report.read(data)
    assert again == report
    text = page.read_text()
    assert "<svg" in text and "Attempts to success" in text and "Failure kinds" in text
    assert text.count("<script") == 1 and "<script>" in text and " src=" not in text and "http://" not in text.split("<h2>")[0]


def test_compare_names_what_changed(report):
    better = report.model_copy(deep=True)
    better.results[2].solved = True
    diff = compare_reports(report, better)
    assert diff["newly_solved"] == ["wrong"] and diff["newly_failed"] == []
    assert "A: scripted" in render_html([report, better])


def test_an_unreachable_model_stops_the_run_and_is_not_scored_as_a_failure(sandbox):
    calls = []

    def down(messages, info):
        calls.append(1)
        raise ModelHTTPError(status_code=503, model_name="down")

    report = asyncio.run(run_cases(CASES[:3], model=FunctionModel(down, model_name="down"), sandbox=sandbox, concurrency=1))
    assert len(calls) == 1 and report.planned == 3 and [r.id for r in report.results] == ["right"]
    assert "could not be reached" in report.model_unavailable and "could not be reached" in report.results[0].error
    assert report.summary.errors == 1 and report.summary.solved == 0 and report.summary.solve_rate == 0.0
    assert report.summary.final_failures == {} and report.summary.latency_p50_ms == 0.0


def test_rates_count_only_the_judged_cases(report):
    errored = report.results[0].model_copy(update={"id": "down", "solved": False, "attempts": 0, "error": "unreachable"})
    from agent.evals.report import summarize

    with_error = summarize([*report.results, errored])
    assert with_error.cases == 6 and with_error.errors == 1
    assert (with_error.solve_rate, with_error.pass_at_1) == (report.summary.solve_rate, report.summary.pass_at_1)


def test_cancelling_keeps_what_finished(sandbox):
    cases = [Case(id=f"c{i}", instruction=f"Task c{i}", expected=i) for i in range(6)]
    never = asyncio.Event()

    async def answer(messages, info):
        i = int(task_of(messages).split("Task c")[1].split()[0])
        if i >= 2:
            await never.wait()
        return ModelResponse(parts=[TextPart(fenced(f"export default {i}"))])

    async def main():
        finished: list[str] = []
        two_finished = asyncio.Event()

        def record(result):
            finished.append(result.id)
            if len(finished) == 2:
                two_finished.set()

        run = asyncio.ensure_future(run_cases(cases, model=FunctionModel(answer, model_name="m"), sandbox=sandbox,
                                              concurrency=6, on_result=record))
        await two_finished.wait()
        run.cancel()
        return await run

    report = asyncio.run(main())
    assert report.interrupted and report.planned == 6
    assert sorted(r.id for r in report.results) == ["c0", "c1"] and report.summary.solved == 2


def test_every_suite_case_is_solved_through_the_runner_when_the_model_writes_its_reference(sandbox):
    suite = load_suite(SUITE)
    patterns = [(re.compile(re.escape(c.instruction).replace(re.escape("{base}"), r"(http://127\.0\.0\.1:\d+)")), c) for c in suite]

    async def answer(messages, info):
        prompt = task_of(messages)
        found = [(m, c) for pattern, c in patterns if (m := pattern.search(prompt))]
        match, case = max(found, key=lambda f: len(f[1].instruction))
        base = match.group(1) if case.network else ""
        return ModelResponse(parts=[TextPart(fenced(case.reference.replace("{base}", base)))])

    report = asyncio.run(run_cases(suite, model=FunctionModel(answer, model_name="reference"), sandbox=sandbox, concurrency=16))
    assert [(r.id, r.final_failure) for r in report.results if not r.solved] == []
    assert report.summary.pass_at_1 == 1.0 and report.summary.cases == len(suite) >= 80


HUMANEVAL_LIKE = [
    {"task_id": "HumanEval/0", "declaration": "const add = (a, b) => {\n",
     "prompt": "/* Add two numbers.\n  >>> add(2, 3)\n  5\n  */\nconst add = (a, b) => {\n", "canonical_solution": "  return a + b;\n};\n",
     "test": "const testAdd = () => {\n  console.assert(add(2, 3) === 5)\n  console.assert(add(-7, 7) === 0)\n}\ntestAdd()\n"},
    {"task_id": "HumanEval/1", "declaration": "const twice = (s) => {\n",
     "prompt": "/* The string repeated twice.\n  >>> twice('ab')\n  'abab'\n  */\nconst twice = (s) => {\n", "canonical_solution": "  return s + s;\n};\n",
     "test": "const testTwice = () => {\n  console.assert(twice('ab') === 'abab')\n  console.assert(twice('') === '')\n}\ntestTwice()\n"},
]


def test_function_problems_are_repaired_against_the_check_and_graded_by_hidden_tests(sandbox, tmp_path):
    path = tmp_path / "humaneval_js.jsonl.gz"
    with gzip.open(path, "wt") as f:
        f.writelines(json.dumps(row) + "\n" for row in HUMANEVAL_LIKE)
    cases = load_dataset("humaneval-x", path)
    replies = {"`add`": [fenced("export default (a, b) => a + b;"), fenced("const add = (a, b) => a + b;\nexport default add;")],
               "`twice`": [fenced("const twice = (s) => s;\nexport default twice;")]}
    seen: list[str] = []

    def answer(messages, info):
        text = "\n".join(str(getattr(part, "content", "")) for message in messages for part in message.parts)
        seen.append(text)
        return ModelResponse(parts=[TextPart(next(r for name, r in replies.items() if name in task_of(messages)).pop(0))])

    report = asyncio.run(run_cases(cases, model=FunctionModel(answer, model_name="scripted"), sandbox=sandbox))
    by_id = {r.id: r for r in report.results}
    assert (by_id["HumanEval/0"].solved, by_id["HumanEval/0"].failure_kinds) == (True, ["check"])
    add_requests = [t for t in seen if "function `add`" in t]
    assert len(add_requests) == 2 and 'a function named "default", not `add`' in add_requests[1]  # the check's feedback
    assert (by_id["HumanEval/1"].solved, by_id["HumanEval/1"].attempts, by_id["HumanEval/1"].final_kind) == (False, 1, "answer")
    assert "the tests failed" in by_id["HumanEval/1"].final_failure
    assert not any("console.assert" in t or "testAdd" in t or "abab')" in t for t in seen)  # the tests stay hidden


def test_the_cli_runs_a_suite_writes_the_report_and_compares(tmp_path):
    suite = tmp_path / "suite.yaml"
    suite.write_text(json.dumps({"cases": [c.model_dump(exclude_none=True) for c in CASES[:3]]}))
    replies = [fenced("export default 6 * 7"), fenced("export default null.x"), fenced("export default 2 + 2"), fenced("export default 3")]
    provider = FakeProvider(replies)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "JSOLVE_"))}
    env.update(OPENAI_BASE_URL=provider.base_url, OPENAI_API_KEY="k", COLUMNS="200")
    try:
        done = subprocess.run([sys.executable, "-m", "agent", "eval", str(suite), "--model", "openai-chat:scripted", "--limit", "3",
                               "--concurrency", "1", "--report", str(tmp_path / "out"), "--setting", "temperature=0.3",
                               "--setting", "show-failed-code=false"], capture_output=True, text=True, env=env, timeout=120, check=False)
    finally:
        provider.close()
    assert done.returncode == 0, done.stderr
    assert "2/3 solved" in done.stdout and "pass@1" in done.stdout
    assert provider.requests[0]["temperature"] == 0.3
    repair = provider.requests[2]["messages"]  # the second case's repair: its feedback, not its failed code
    assert [m["role"] for m in repair if m["role"] == "assistant"] == [] and "runtime error" in json.dumps(repair)
    report = Report.read(tmp_path / "out" / "report.json")
    assert report.settings["temperature"] == 0.3 and report.settings["show_failed_code"] is False
    assert report.summary.solved == 2 and report.summary.uplift == pytest.approx(1 / 3)
    assert report.model == "scripted" and report.settings["limit"] == 3 and report.settings["source"] == str(suite)
    assert len((tmp_path / "out" / "results.jsonl").read_text().splitlines()) == 3
    compared = subprocess.run([sys.executable, "-m", "agent", "eval", "compare", str(tmp_path / "out" / "report.json"),
                               str(tmp_path / "out" / "report.json")], capture_output=True, text=True, env=env, timeout=60, check=False)
    assert compared.returncode == 0 and "newly solved in B: -" in compared.stdout


class HoldingProvider:
    """An OpenAI-compatible chat server on loopback: answers a prompt naming a fast task at once,
    and holds one naming a slow task until closed (a model that never finishes)."""

    def __init__(self) -> None:
        release = self.release = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                prompt = json.dumps(body["messages"])
                if "Task slow" in prompt:
                    release.wait()
                    return
                value = re.search(r"Task fast(\d+)", prompt).group(1)
                payload = completion(body["model"], fenced(f"export default {value}"))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def fast_and_slow_suite(folder: Path) -> Path:
    """A suite of two cases `HoldingProvider` answers at once and two it holds."""
    cases = [Case(id=f"fast{i}", instruction=f"Task fast{i}", output={"type": "integer"}, expected=i) for i in (1, 2)]
    cases += [Case(id=f"slow{i}", instruction=f"Task slow{i}", output={"type": "integer"}, expected=i) for i in (3, 4)]
    suite = folder / "suite.yaml"
    suite.write_text(json.dumps({"cases": [c.model_dump(exclude_none=True) for c in cases]}))
    return suite


def wait_for_results(out: Path, count: int, run: subprocess.Popen[str], within: float = 180) -> None:
    """Wait until the CLI run has written `count` results to `out`; `within` seconds is when to
    give up, not a speed check."""
    deadline = time.monotonic() + within
    while not ((out / "results.jsonl").exists() and len((out / "results.jsonl").read_text().splitlines()) == count):
        assert run.poll() is None and time.monotonic() < deadline, run.stderr.read() if run.poll() is not None else "no results"
        time.sleep(0.05)


def interrupted_report(out: Path, returncode: int, stdout: str, stderr: str) -> Report:
    """The report of a CLI run of `fast_and_slow_suite` stopped after its two fast cases, checked."""
    assert returncode == 130, stderr
    assert "Traceback" not in stderr and "(interrupted)" in stdout
    report = Report.read(out / "report.json")
    assert report.interrupted and report.planned == 4
    assert sorted(r.id for r in report.results) == ["fast1", "fast2"] and report.summary.solved == 2
    return report


@pytest.mark.timeout(360)  # its own waits add up to 240 s on a loaded machine: the default 120 s cut it short there
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_stops_the_cli_and_writes_the_report_of_the_finished_cases(tmp_path, stop):
    suite, out = fast_and_slow_suite(tmp_path), tmp_path / "out"
    provider = HoldingProvider()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "JSOLVE_"))}
    env.update(OPENAI_BASE_URL=provider.base_url, OPENAI_API_KEY="k", COLUMNS="200")
    run = subprocess.Popen([sys.executable, "-m", "agent", "eval", str(suite), "--model", "openai-chat:scripted",
                            "--concurrency", "4", "--report", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        wait_for_results(out, 2, run)
        run.send_signal(stop)
        stdout, stderr = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
        provider.close()
    interrupted_report(out, run.returncode, stdout, stderr)
    assert "report.html" in stdout and (out / "report.html").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["compare", "a.json"], "usage: jsolve eval compare A B (report folders or report.json files)"),
    (["compare", "/no/a.json", "/no/b.json"], "cannot read the report"),
    (["--dataset", "gsm8k"], "needs the path"),
    (["--dataset", "nope", "x.jsonl"], "unknown dataset 'nope'"),
    (["/no/suite.yaml"], "cannot read the suite"),
    ([str(SUITE), "--limit", "0"], "limit must be at least 1"),
    ([str(SUITE), "--report", "A_FILE"], "cannot use"),
    ([str(SUITE), "--setting", "warmth=1"], "NAME is one of temperature"),
    ([str(SUITE), "--setting", "temperature"], "give NAME=VALUE"),
    ([str(SUITE), "--setting", "max_tokens=lots"], "max_tokens: give a number or none"),
    ([str(SUITE), "--setting", "show_failed_code=maybe"], "give true or false"),
    ([str(SUITE), "--setting", "temperature=2"], "SolveSettings needs 0 <= temperature"),
])
def test_cli_usage_errors(args, message, tmp_path):
    args = [str(tmp_path / "a-file") if a == "A_FILE" else a for a in args]
    (tmp_path / "a-file").write_text("")
    done = subprocess.run([sys.executable, "-m", "agent", "eval", *args, "--model", "test"], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


# -- agreement in evals ------------------------------------------------------------------------------

AGREEMENT_CASES = [
    Case(id="unanimous", category="a", instruction="Task unanimous", output={"type": "integer"}, expected=1),
    Case(id="majority-wrong", category="a", instruction="Task majority-wrong", output={"type": "integer"}, expected=2),
    Case(id="split", category="b", instruction="Task split", output={"type": "integer"}, expected=3),
    Case(id="function", category="b", instruction="Task function: export f", compare="tests", check="return true;",
         grade="if (f() !== 4) throw new Error('f() is not 4');"),
]

VALUES = {"Task unanimous": [1, 1, 1], "Task majority-wrong": [5, 5, 2], "Task split": [3, 4, 5]}


def agreeing_model(calls: list[str]) -> FunctionModel:
    queues = {k: list(v) for k, v in VALUES.items()}

    def answer(messages, info):
        prompt = task_of(messages)
        calls.append(prompt)
        if "Task function" in prompt:
            return ModelResponse(parts=[TextPart(fenced("function f() { return 4; }\nexport default f;"))])
        key = next(k for k in queues if k in prompt)
        return ModelResponse(parts=[TextPart(fenced(f"export default {queues[key].pop(0)}"))])

    return FunctionModel(answer, model_name="agreeing")


def test_cases_record_their_programs_agreement_and_the_summary_calibrates_it(sandbox):
    from agent import SolveSettings

    calls: list[str] = []
    report = asyncio.run(run_cases(AGREEMENT_CASES, model=agreeing_model(calls), sandbox=sandbox, max_attempts=1,
                                   settings=SolveSettings(samples=3), concurrency=1))
    by_id = {r.id: r for r in report.results}
    assert {i: (r.solved, r.votes, r.agreed, r.programs) for i, r in by_id.items()} == {
        "unanimous": (True, 3, True, 3), "majority-wrong": (False, 2, True, 3), "split": (True, 1, False, 3),
        "function": (True, 1, False, 1)}
    assert by_id["majority-wrong"].candidates == [{"value": 5, "count": 2}, {"value": 2, "count": 1}]
    assert by_id["unanimous"].agreement == 1.0 and by_id["split"].agreement == pytest.approx(1 / 3)
    assert by_id["function"].samples == 1, "function tasks keep one program: their check passes `true` for all"
    assert sum("Task function" in c for c in calls) == 1
    s = report.summary
    levels = {c.min_agreement: (c.answered, c.right) for c in s.calibration}
    assert levels == {0.0: (4, 3), 0.5: (2, 1), 0.75: (1, 1), 1.0: (1, 1)}
    assert (s.agreed.answered, s.agreed.right, s.agreed.coverage) == (2, 1, 0.5)
    assert s.programs_per_case == pytest.approx(10 / 4)
    assert report.settings["samples"] == 3


SQUARE = Case(id="square", category="f", instruction="Task square: write square(x)", compare="tests",
              check=function_check("square", ["square(2)", "square(3)"]), calls=["square(2)", "square(3)"],
              grade="if (square(4) !== 16) throw new Error('square(4) is not 16');")


def square_model(greedy: list[str], sampled: list[str], prompts: list[str]) -> FunctionModel:
    def answer(messages, info):
        prompts.append("\n".join(str(getattr(p, "content", "")) for p in messages[-1].parts))
        replies = greedy if float((info.model_settings or {}).get("temperature", 0.0)) == 0.0 else sampled
        return ModelResponse(parts=[TextPart(fenced(f"const square = (x) => {replies.pop(0)};\nexport default square;"))])

    return FunctionModel(answer, model_name="square")


def test_a_function_task_showing_calls_votes_on_what_its_functions_give_there(sandbox):
    from agent import SolveSettings

    prompts: list[str] = []
    one = asyncio.run(run_cases([SQUARE], model=square_model(["x + x"], [], prompts), sandbox=sandbox, max_attempts=1))
    assert not one.results[0].solved and one.results[0].samples == 1, "alone, the greedy x + x passes its check and fails the tests"
    report = asyncio.run(run_cases([SQUARE], model=square_model(["x + x"], ["x * x", "x ** 2", "x + 2"], prompts), sandbox=sandbox,
                                   max_attempts=1, settings=SolveSettings(samples=4)))
    result = report.results[0]
    assert result.solved and result.samples == 4 and result.votes == 2 and result.agreement == 0.5
    assert result.value == {"square(2)": "4", "square(3)": "9"}
    assert [c["count"] for c in result.candidates] == [2, 1, 1]

    prompts.clear()
    repaired = asyncio.run(run_cases([SQUARE], model=square_model(["x + x"], ["x * x", "x ** 2", "x * x * 1"], prompts), sandbox=sandbox,
                                     max_attempts=2, settings=SolveSettings(samples=2)))
    assert repaired.results[0].solved and repaired.results[0].agreed
    assert ('independent programs for this task gave different values (shown where they differ; they agree on the other 1 key): '
            '{"square(3)": "6"} (1 program); {"square(3)": "9"} (1 program)') in prompts[2]


def test_a_refused_request_is_that_case_s_error_and_the_run_goes_on(sandbox):
    def picky(messages, info):
        if "Task wrong" in task_of(messages):
            raise ModelHTTPError(status_code=400, model_name="picky", body={"error": "context length exceeded"})
        return ModelResponse(parts=[TextPart(fenced("export default 6 * 7"))])

    report = asyncio.run(run_cases(CASES[:3], model=FunctionModel(picky, model_name="picky"), sandbox=sandbox, concurrency=1))
    by_id = {r.id: r for r in report.results}
    assert len(report.results) == 3 and report.model_unavailable is None
    assert by_id["wrong"].final_kind == "rejected" and "refused the request" in by_id["wrong"].error
    assert by_id["right"].solved and report.summary.errors == 1


def test_a_refusal_every_request_would_get_stops_the_run(sandbox):
    def locked(messages, info):
        raise ModelHTTPError(status_code=401, model_name="locked", body={"error": "bad key"})

    report = asyncio.run(run_cases(CASES[:3], model=FunctionModel(locked, model_name="locked"), sandbox=sandbox, concurrency=1))
    assert len(report.results) == 1 and "refused the request" in report.model_unavailable


def test_a_version_1_report_reads_with_its_answered_cases(report, tmp_path):
    data = json.loads(report.model_dump_json())
    data["version"] = 1
    for row in data["results"]:
        for key in ("answered", "agreement", "votes", "agreed", "candidates", "programs", "samples"):
            row.pop(key)
    (tmp_path / "v1.json").write_text(json.dumps(data))
    old = Report.read(tmp_path / "v1.json")
    assert {r.id: r.answered for r in old.results} == {"right": True, "repaired": True, "wrong": True, "failed": False, "fetch": True}


def test_a_lone_surrogate_from_the_code_does_not_stop_the_report(report, tmp_path):
    from agent.evals.report import CaseResult, summarize

    odd = CaseResult(id="odd", category="x", solved=False, attempts=1, failure_kinds=["runtime"],
                     final_failure="runtime: Error: bad \ud800 text", candidates=[{"value": "\udfff", "count": 1}])
    with_odd = report.model_copy(update={"results": [*report.results, odd], "summary": summarize([*report.results, odd])})
    data, page = with_odd.write(tmp_path)
    again = Report.read(data).results[-1]
    assert again.final_failure == "runtime: Error: bad \ufffd text" and again.candidates[0]["value"] == "\ufffd"
    assert "bad \ufffd text" in page.read_text(encoding="utf-8")


SHOP = Path(__file__).resolve().parents[1] / "evals" / "fixtures" / "shop.py"


def test_a_tools_case_is_solved_and_its_calls_are_in_the_report(sandbox, tmp_path):
    case = Case(id="spenders", category="tools", instruction="Task spenders: the names of customers 3 and 99, if they exist",
                tools=str(SHOP), output={"type": "array", "items": {"type": "string"}}, expected=["Curie Labs"])
    replies = [fenced('import { customer } from "jsolve:tools";\n'
                      "export default [(await customer({ id: 3 })).name, (await customer({ id: 99 })).name];"),
               fenced('import { customer } from "jsolve:tools";\nconst names = [];\n'
                      "for (const id of [3, 99]) { try { names.push((await customer({ id })).name); } catch {} }\nexport default names;")]
    prompts: list[str] = []

    def answer(messages, info):
        prompts.append("\n".join(str(getattr(p, "content", "")) for m in messages for p in m.parts))
        return ModelResponse(parts=[TextPart(replies.pop(0))])

    report = asyncio.run(run_cases([case], model=FunctionModel(answer, model_name="scripted"), sandbox=sandbox))
    [result] = report.results
    assert result.solved and result.failure_kinds == ["tool"] and result.tool_calls == 4
    assert "function customer(args: { id: number }): Promise<Customer>" in prompts[0]  # the model was shown the tools
    first, second = result.history
    assert [c.tool for c in first.calls] == ["customer", "customer"] and first.tool_calls == 2
    assert first.calls[0].result is not None and "Curie Labs" in first.calls[0].result
    assert first.calls[1].result is None and first.calls[1].error.startswith("raised: customer raised KeyError")
    assert "no customer with id 99" in first.failure
    assert [c.describe().split(" -> ")[0] for c in second.calls] == ['customer({"id":3})', 'customer({"id":99})']
    data, page = report.write(tmp_path)
    assert Report.read(data) == report
    story = page.read_text()
    assert "4 tool call(s)" in story and "2 tool call(s)" in story and "customer({&quot;id&quot;:99}) -&gt; ✗ raised" in story
