"""Run eval cases concurrently against one sandbox pool (or on Ray actors: `ray_backend`) and build the report.

Why not `pydantic_evals.Dataset.evaluate`: it was measured for this runner (2.62.0). Its overhead
is small (about 0.2 ms a case), but cancelling it discards every finished case (its anyio task
group ends in `CancelledError`, with no report), which Ctrl-C must not do; its report holds
scores and assertions per case, so pass@1, the uplift and attempts to success would be computed
beside it anyway; and its `EqualsExpected` compares with Python's `==`, where `True == 1`. So the
runner is a plain asyncio gather with a semaphore, and the report is this package's own.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import http.server
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic_ai.models import Model

from agent.arguments import positive_count
from agent.core.agreement import Candidate
from agent.core.data import load_inputs
from agent.core.loop import Attempt, Solution, SolveSettings, asolve
from agent.defaults import DEFAULT_ATTEMPTS, DEFAULT_CONCURRENCY
from agent.errors import ModelRejected, ModelUnavailable, SolveFailed, UsageError
from agent.evals.report import (
    MAX_CANDIDATE_VALUE,
    CaseResult,
    ProgramRecord,
    Report,
    cut_value,
    summarize,
)
from agent.evals.suite import Case, ToolModule, bundled, judge, tools_of
from agent.models.client import resolve_model
from agent.sandbox import NetworkPolicy, Sandbox
from agent.sandbox.inputs import Inputs

if TYPE_CHECKING:
    from agent.evals.ray_backend import RayBackend

__all__ = ["DEFAULT_CONCURRENCY", "CaseTools", "Outcome", "fixture_server", "run_cases", "solve_case"]

@contextmanager
def fixture_server(folder: Path | None = None) -> Iterator[str]:
    """Serve `folder` (default: the bundled fixtures, what fetch cases read) on a free loopback
    port while the block runs; yields the base URL."""
    folder = folder or bundled() / "fixtures"
    if not folder.is_dir():
        raise UsageError(f"the fetch cases need their fixture folder {folder}, which does not exist")
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = _QuietServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-reply (guest code that stops reading, a run that timed out)
        is the case's business, not a traceback on the eval's terminal."""


def _programs(case: Case, attempts: list[Attempt], candidates: list[Candidate], samples: int) -> dict[str, Any]:
    """What a case's result records of its programs, whether it was solved or not: the counts,
    and the story a person debugging the case reads."""
    return {"attempts": max((a.number for a in attempts), default=0), "programs": len(attempts), "samples": samples,
            "failure_kinds": [a.failure.kind for a in attempts if a.failure],
            "model_ms": sum(a.model_ms for a in attempts), "tool_calls": sum(len(a.tool_calls) for a in attempts),
            "candidates": [{"value": cut_value(c.value, MAX_CANDIDATE_VALUE), "count": c.count} for c in candidates],
            **_story(case), "history": [ProgramRecord.of(a) for a in attempts]}


def _story(case: Case) -> dict[str, Any]:
    graded = case.compare in ("exact", "approx", "unordered") or case.expected is not None
    return {"instruction": case.instruction, "compare": case.compare, "expected": cut_value(case.expected) if graded else None}


def _solved(case: Case, solution: Solution, ok: bool, why: str | None, samples: int, started: float) -> CaseResult:
    """The result of a case the solve answered: its verdict is `solved`, or `wrong` (`why`)."""
    return CaseResult(id=case.id, category=case.category, solved=ok, **_programs(case, solution.attempts, solution.candidates, samples),
                      value=cut_value(solution.value),
                      final_failure=None if ok else f"wrong answer: {why}", final_kind=None if ok else "answer",
                      input_tokens=solution.usage.input_tokens, output_tokens=solution.usage.output_tokens,
                      answered=True, agreement=solution.agreement, votes=solution.votes, agreed=solution.agreed,
                      total_ms=(time.perf_counter() - started) * 1000)


def _failed(case: Case, error: SolveFailed, samples: int, started: float) -> CaseResult:
    """The result of a case whose solve failed: its verdict is `failed`, with the last failure's kind."""
    return CaseResult(id=case.id, category=case.category, solved=False, **_programs(case, error.attempts, error.candidates, samples),
                      final_failure=f"{error.failure.kind}: {error.failure.message}", final_kind=error.failure.kind,
                      input_tokens=error.usage.input_tokens, output_tokens=error.usage.output_tokens,
                      total_ms=(time.perf_counter() - started) * 1000)


def case_settings(case: Case, settings: SolveSettings) -> SolveSettings:
    """The settings a case is solved with: a function task (graded by tests) whose problem shows
    no call its programs can be compared on keeps one program per attempt, since all they give
    while solving is the same `true` from the check that the export is the named function."""
    return replace(settings, samples=1, min_agreement=0.0) if case.compare == "tests" and not case.calls else settings


async def solve_case(case: Case, *, model: Model, settings: SolveSettings, max_attempts: int, sandbox: Sandbox,
                     network: NetworkPolicy, base: str, inputs: Inputs | None = None,
                     tools: Sequence[Any] | None = None) -> tuple[CaseResult, str | None]:
    """Solve one case and judge its answer. The second item, when set, says why the whole run must
    stop: the model could not be reached, or refused what every request would get. `base` is the
    fixture server's URL for fetch cases, whose `network` is narrowed to that server alone
    (`to_fixtures`); `inputs`, when given, replaces reading the case's files, and `tools` loading
    its tools module (`CaseTools`, which a run shares between its cases)."""
    started = time.perf_counter()
    if case.network:
        case = case.with_base(base)
        network = to_fixtures(network, base)
    chosen = case_settings(case, settings)
    if inputs is None:
        inputs = load_case_inputs(case)
    if tools is None and case.tools:
        tools = CaseTools().of(case)
    try:
        solution = await asolve(case.instruction, output=case.output, model=model, max_attempts=max_attempts,
                                network=network if case.network else None, check=case.check, sandbox=sandbox, settings=chosen,
                                inputs=inputs, tools=list(tools) if tools else None)
        ok, why = await judge(case, solution.value, solution.code, sandbox)
        return _solved(case, solution, ok, why, chosen.samples, started), None
    except SolveFailed as exc:
        return _failed(case, exc, chosen.samples, started), None
    except ModelUnavailable as exc:
        result = CaseResult(id=case.id, category=case.category, solved=False, attempts=0, failure_kinds=[], **_story(case),
                            final_failure=None, error=str(exc), samples=chosen.samples, total_ms=(time.perf_counter() - started) * 1000)
        if isinstance(exc, ModelRejected) and not exc.every_request:
            result.final_kind = "rejected"  # verdict `rejected`: this case's request (too long, say); the next case may pass
            return result, None
        return result, str(exc)


def load_case_inputs(case: Case) -> Inputs:
    """The case's input files, read and checked."""
    return load_inputs({name: Path(file) for name, file in (case.inputs or {}).items()})


class CaseTools:
    """The tools of a run's cases: each tools module read once (`read`) and loaded once (`load`),
    however many cases name it, so a run builds its tools' schemas once. One per run (or per Ray
    worker): a module's functions are not shared between runs."""

    def __init__(self) -> None:
        self._read: dict[str, ToolModule] = {}
        self._loaded: dict[tuple[str, str], list[Any]] = {}

    def read(self, case: Case) -> ToolModule | None:
        """The case's tools module as source (what a Ray driver sends), or None when it names none."""
        if not case.tools:
            return None
        if case.tools not in self._read:
            self._read[case.tools] = ToolModule.read(case.tools)
        return self._read[case.tools]

    def load(self, module: ToolModule) -> list[Any]:
        """The tools of `module` (`agent.evals.suite.tools_of`), loaded on first use."""
        key = (module.path, module.source)
        if key not in self._loaded:
            self._loaded[key] = tools_of(module)
        return self._loaded[key]

    def of(self, case: Case) -> list[Any] | None:
        """The tools of the case's module, or None when it names none."""
        module = self.read(case)
        return None if module is None else self.load(module)


def fetch_network() -> NetworkPolicy:
    """The policy of fetch cases: loopback, which `solve_case` narrows to the fixture server's
    address and port (`to_fixtures`)."""
    return NetworkPolicy(allow_hosts=("127.0.0.1",)).allowing_loopback()


def to_fixtures(network: NetworkPolicy, base: str) -> NetworkPolicy:
    """`network` narrowed to the fixture server at `base` (its address and its port, nothing
    else), so that code under evaluation reaches no other server of this machine's loopback: a
    Ray dashboard's job API, a local model server, an MCP server."""
    url = urlsplit(base)
    try:
        host, port = url.hostname, url.port
    except ValueError:
        host = port = None
    if url.scheme != "http" or not host or port is None:
        raise UsageError(f"a fetch case needs the fixture server's URL (http://127.0.0.1:PORT), got {base!r}")
    narrowed = dataclasses.replace(network, allow_hosts=(host,), allow_ports=(port,))
    return narrowed.allowing_loopback() if network.loopback_allowed else narrowed


@dataclasses.dataclass(slots=True)
class Outcome:
    """What running the cases gave, before the report is built from it."""

    model_name: str
    results: list[CaseResult]
    """The finished cases, in the order of the cases given."""
    interrupted: bool
    unavailable: str | None
    """Why the run stopped early for the model's sake, when it did."""
    backend: dict[str, Any]
    """How the cases ran, for the report's settings: `{"backend": "local"}`, or Ray's address and workers."""


async def run_cases(
    cases: list[Case],
    *,
    model: str | Model | None = None,
    max_attempts: int = DEFAULT_ATTEMPTS,
    concurrency: int = DEFAULT_CONCURRENCY,
    sandbox: Sandbox | None = None,
    settings: SolveSettings | None = None,
    source: str = "",
    selection: dict[str, Any] | None = None,
    on_result: Callable[[CaseResult], None] | None = None,
    backend: RayBackend | None = None,
) -> Report:
    """Solve every case (at most `concurrency` at once) and judge the answers.

    `source` and `selection` (how the cases were chosen: limit, sample, seed) are recorded in the
    report's settings. `on_result` is called with each case's result as it finishes.

    `backend=RayBackend(...)` runs the cases on Ray actors instead of this process, `concurrency`
    at once on each (see `agent.evals.ray_backend`); the report is the same.

    Cancelling the run (Ctrl-C under `asyncio.run`) stops it cleanly: the report holds the cases
    that finished and says it was interrupted. When the model cannot be reached (after the
    provider retries), that case is recorded as an error and the run stops the same way, since
    every later case would wait on the same provider; so does a refusal that every request would
    get (a wrong key, an unknown model), while a refusal of one case's request (a prompt past the
    context window) is that case's error and the run goes on.
    """
    if not cases:
        raise UsageError("there are no cases to run")
    positive_count(concurrency, "concurrency")
    settings = settings or SolveSettings()
    began, started_at = time.perf_counter(), datetime.now(UTC).isoformat(timespec="seconds")
    if backend is None:
        outcome = await _run_here(cases, resolve_model(model), max_attempts, concurrency, sandbox, settings, on_result)
    elif sandbox is not None:
        raise UsageError("a Ray backend's workers run their own sandbox pools: pass either sandbox or backend")
    else:
        outcome = await backend.run(cases, model=model, max_attempts=max_attempts, concurrency=concurrency, settings=settings,
                                    on_result=on_result)
    return Report(model=outcome.model_name, settings={"max_attempts": max_attempts, "concurrency": concurrency,
                                                      **dataclasses.asdict(settings), "source": source, **(selection or {}),
                                                      **outcome.backend},
                  started=started_at, duration_s=time.perf_counter() - began, planned=len(cases), interrupted=outcome.interrupted,
                  model_unavailable=outcome.unavailable, summary=summarize(outcome.results), results=outcome.results)


async def _run_here(cases: list[Case], resolved: Model, max_attempts: int, concurrency: int, sandbox: Sandbox | None,
                    settings: SolveSettings, on_result: Callable[[CaseResult], None] | None) -> Outcome:
    case_tools = CaseTools()
    for case in cases:  # a tools module that does not load is the suite's error, found before any model call
        case_tools.of(case)
    own_sandbox = sandbox is None
    pool = sandbox or Sandbox()
    gate = asyncio.Semaphore(concurrency)
    network = fetch_network()
    tasks: list[asyncio.Task[CaseResult]] = []
    unavailable: str | None = None

    async def one(case: Case, base: str) -> CaseResult:
        nonlocal unavailable
        async with gate:
            result, stops = await solve_case(case, model=resolved, settings=settings, max_attempts=max_attempts, sandbox=pool,
                                             network=network, base=base, tools=case_tools.of(case))
            if stops is not None and unavailable is None:
                unavailable = stops
                for task in tasks:
                    if task is not asyncio.current_task():
                        task.cancel()
            if on_result is not None:
                on_result(result)
            return result

    interrupted = False
    needs_fixtures = any(c.network for c in cases)
    try:
        with fixture_server() if needs_fixtures else _no_server() as base:
            tasks.extend(asyncio.ensure_future(one(case, base)) for case in cases)
            try:
                await asyncio.gather(*tasks, return_exceptions=True)
            except asyncio.CancelledError:
                interrupted = True
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        if own_sandbox:
            pool.close()
    failed = [error for t in tasks if t.done() and not t.cancelled() and (error := t.exception()) is not None]
    if failed:  # not a verdict on the model: a bug or a broken setup, which must not pass as a result
        raise failed[0]
    results = [t.result() for t in tasks if t.done() and not t.cancelled()]
    return Outcome(model_name=resolved.model_name, results=results, interrupted=interrupted, unavailable=unavailable,
                   backend={"backend": "local"})


@contextmanager
def _no_server() -> Iterator[str]:
    yield ""
