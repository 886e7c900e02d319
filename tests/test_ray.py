"""Evals on Ray: a real local Ray instance (started once for the module, 2 CPUs, no dashboard),
real actors with their own sandbox pools, scripted models that travel to the actors pickled,
and the CLI in a subprocess with its own local instance."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

from pydantic_ai import models
from pydantic_ai.messages import ModelResponse, TextPart
from pydantic_ai.models.function import FunctionModel
from ray import cloudpickle

import tests.scripted
from agent.errors import ClusterUnavailable, UsageError
from agent.evals import Case, Report, load_suite, run_cases
from agent.evals.ray_backend import RayBackend
from tests.scripted import fenced, task_of
from tests.test_evals_runner import (
    HoldingProvider,
    fast_and_slow_suite,
    interrupted_report,
    wait_for_results,
)

models.ALLOW_MODEL_REQUESTS = False
# The scripted models are closures of this module: the actors get them by value, not by a module
# name they could not import.
cloudpickle.register_pickle_by_value(sys.modules[__name__])
cloudpickle.register_pickle_by_value(tests.scripted)

SUITE = Path(__file__).resolve().parents[1] / "evals" / "suite.yaml"
ENV = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "JSOLVE_", "RAY_"))}


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="WARNING")
    yield
    ray.shutdown()


def half_right_model() -> FunctionModel:
    """Writes each suite case's reference, except for every third case (by its id), where it
    writes a wrong constant: verdicts of both kinds, decided by the case alone."""
    suite = load_suite(SUITE)
    patterns = [(re.compile(re.escape(c.instruction).replace(re.escape("{base}"), r"(http://127\.0\.0\.1:\d+)")), c) for c in suite]

    def answer(messages, info):
        prompt = task_of(messages)
        found = [(m, c) for pattern, c in patterns if (m := pattern.search(prompt))]
        match, case = max(found, key=lambda f: len(f[1].instruction))
        if sum(map(ord, case.id)) % 3 == 0:
            return ModelResponse(parts=[TextPart(fenced("export default 0;"))])
        return ModelResponse(parts=[TextPart(fenced(case.reference.replace("{base}", match.group(1) if case.network else "")))])

    return FunctionModel(answer, model_name="half-right")


def verdicts(report: Report) -> dict[str, tuple]:
    return {r.id: (r.solved, r.attempts, r.final_kind, r.error) for r in report.results}


def test_the_suite_on_ray_gets_the_verdicts_of_the_local_runner(sandbox):
    suite = load_suite(SUITE)
    here = asyncio.run(run_cases(suite, model=half_right_model(), sandbox=sandbox, concurrency=8, max_attempts=2))
    on_ray = asyncio.run(run_cases(suite, model=half_right_model(), concurrency=4, max_attempts=2,
                                   backend=RayBackend("auto", workers=2)))
    assert verdicts(on_ray) == verdicts(here)
    assert [r.id for r in on_ray.results] == [c.id for c in suite]  # the order of the cases, not of finishing
    assert 0 < on_ray.summary.solved < len(suite) and on_ray.summary.errors == 0
    assert on_ray.model == "half-right"
    assert (on_ray.settings["backend"], on_ray.settings["workers"]) == ("ray", 2) and here.settings["backend"] == "local"
    assert ray.is_initialized()  # the caller's connection is the caller's to close
    deadline = time.monotonic() + 30  # killed actors give their CPUs back; not a speed check
    while ray.available_resources().get("CPU", 0) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ray.available_resources().get("CPU", 0) == 2  # no actor outlives the run


def killing_model(marker: Path) -> FunctionModel:
    """Answers `Task N` with N; for `Task killer` (while the marker file exists: once) and for
    `Task doomed` (every time), it kills the process it runs in: the actor's."""

    def answer(messages, info):
        prompt = task_of(messages)
        if "Task doomed" in prompt or ("Task killer" in prompt and marker.exists()):
            marker.unlink(missing_ok=True)
            os.kill(os.getpid(), signal.SIGKILL)
        value = 7 if "killer" in prompt else int(re.search(r"Task (\d+)", prompt).group(1))
        return ModelResponse(parts=[TextPart(fenced(f"export default {value};"))])

    return FunctionModel(answer, model_name="killing")


def test_an_actor_killed_mid_run_is_restarted_and_its_cases_are_judged(tmp_path):
    marker = tmp_path / "kill-once"
    marker.write_text("")
    cases = [Case(id=f"c{i}", instruction=f"Task {i}", output={"type": "integer"}, expected=i) for i in range(8)]
    cases.insert(3, Case(id="killer", instruction="Task killer", output={"type": "integer"}, expected=7))
    report = asyncio.run(run_cases(cases, model=killing_model(marker), concurrency=2, backend=RayBackend("auto", workers=2)))
    assert not marker.exists()  # the kill happened
    assert sorted(r.id for r in report.results) == sorted(c.id for c in cases) and not report.interrupted
    assert [(r.id, r.error) for r in report.results if not r.solved] == []
    assert report.summary.solved == len(cases)


def test_a_case_that_kills_every_actor_it_meets_is_an_error_not_a_wrong_answer():
    cases = [Case(id="c1", instruction="Task 1", output={"type": "integer"}, expected=1),
             Case(id="doomed", instruction="Task doomed", output={"type": "integer"}, expected=1)]
    report = asyncio.run(run_cases(cases, model=killing_model(Path("/nonexistent")), concurrency=1,
                                   backend=RayBackend("auto", workers=1)))  # one actor: it dies, is restarted, dies again
    c1, doomed = report.results
    assert c1.solved and "lost twice" in doomed.error and not doomed.solved and doomed.final_kind is None
    assert (report.summary.errors, report.summary.cases, report.summary.solved) == (1, 2, 1)
    assert report.summary.solve_rate == 1.0  # over the judged cases: the lost one is not a wrong answer


def test_workers_the_cluster_cannot_hold_are_refused_before_any_case():
    with pytest.raises(ClusterUnavailable, match="need 5 CPUs and the cluster has 2"):
        asyncio.run(run_cases([Case(id="x", instruction="Task 1", output={"type": "integer"}, expected=1)],
                              model=killing_model(Path("/nonexistent")), backend=RayBackend("auto", workers=5)))
    assert ray.is_initialized()


def test_a_bad_model_name_is_its_own_error_from_the_workers():
    with pytest.raises(UsageError, match="cannot use the model"):
        asyncio.run(run_cases([Case(id="x", instruction="Task 1", output={"type": "integer"}, expected=1)],
                              model="nope:model", backend=RayBackend("auto", workers=1)))


def test_a_sandbox_and_a_ray_backend_together_are_refused(sandbox):
    with pytest.raises(UsageError, match="either sandbox or backend"):
        asyncio.run(run_cases([Case(id="x", instruction="Task 1", output={"type": "integer"}, expected=1)],
                              model="test", sandbox=sandbox, backend=RayBackend("auto", workers=1)))


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def jsolve_eval(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agent", "eval", *args], capture_output=True, text=True,
                          env={**ENV, **(env or {})}, timeout=timeout, check=False)


@pytest.mark.parametrize(("args", "env"), [
    (["--ray", "127.0.0.1:PORT"], {}),
    (["--ray", "ray://127.0.0.1:PORT"], {}),
    (["--ray", "auto"], {"RAY_ADDRESS": "127.0.0.1:PORT"}),
])
def test_a_cluster_that_cannot_be_reached_fails_fast_with_exit_3(args, env):
    port = str(closed_port())
    done = jsolve_eval(str(SUITE), "--model", "test", *[a.replace("PORT", port) for a in args],
                       env={k: v.replace("PORT", port) for k, v in env.items()})
    assert done.returncode == 3, done.stderr
    assert f"cannot reach the Ray cluster at {'' if 'ray://' not in args[1] else 'ray://'}127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--workers", "2"], "--workers goes with --ray"),
    (["--ray", "local", "--workers", "0"], "workers must be at least 1"),
    (["--ray", "no port here"], "give local, auto, HOST:PORT or ray://HOST:PORT"),
])
def test_ray_usage_errors(args, message):
    done = jsolve_eval(str(SUITE), "--model", "test", *args)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def descendants(pid: int) -> set[int]:
    """Every process below `pid`, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


@pytest.mark.timeout(360)
def test_ctrl_c_on_a_ray_run_keeps_the_finished_cases_and_leaves_no_ray_processes(tmp_path):
    suite, out = fast_and_slow_suite(tmp_path), tmp_path / "out"
    provider = HoldingProvider()
    env = {**ENV, "OPENAI_BASE_URL": provider.base_url, "OPENAI_API_KEY": "k", "COLUMNS": "200"}
    run = subprocess.Popen([sys.executable, "-m", "agent", "eval", str(suite), "--model", "openai-chat:scripted",
                            "--ray", "local", "--workers", "2", "--concurrency", "2", "--report", str(out)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        wait_for_results(out, 2, run)
        started = descendants(run.pid)
        assert len(started) >= 3  # Ray's own processes and the two actors, all started by this run
        run.send_signal(signal.SIGINT)
        stdout, stderr = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
        provider.close()
    assert interrupted_report(out, run.returncode, stdout, stderr).settings["backend"] == "ray"
    deadline = time.monotonic() + 30  # Ray's processes end on their own once told; give them the time
    while (left := {pid for pid in started if alive(pid)}) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, [Path(f"/proc/{pid}/cmdline").read_bytes()[:120] for pid in left if alive(pid)]
