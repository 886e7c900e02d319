"""Run eval cases on Ray actors: evals past one machine, with the same report as a local run.

    from agent.evals import load_suite, run_cases
    from agent.evals.ray_backend import RayBackend
    report = await run_cases(load_suite("evals"), model="openai-chat:qwen", backend=RayBackend("auto", workers=8))

Each worker is an actor (`CaseActor`) holding its own sandbox pool and model client, and, with
the embedded model or `gguf:PATH`, its own llama.cpp server on its node; it is started once and
solves many cases, `concurrency` at a time. The driver (this process) keeps `workers x
concurrency` cases in flight, reads each case's input files itself (so that the workers need
only the package, not the data), and receives each result as it finishes, in the order they
finish. A case's tools module is read by the driver too and sent as source with the case; each
actor loads a module once (`agent.evals.runner.CaseTools`), and its tools run in the actor that
runs the case's programs. The model is sent to the actors by name (each resolves it where it runs) or, for a
pydantic-ai `Model` object, pickled.

Faults: an actor that dies (killed, out of memory, its node lost) is restarted by Ray; the cases
it had in flight are sent once more, to the next actor, and a case lost twice is recorded as an
error (not judged). Cancelling the run (Ctrl-C) kills the actors, keeps what finished, and shuts
down the Ray instance when this process started it (`local`, or `auto` with no cluster to join is
an error instead). Nothing here imports Ray until a run asks for it: it is the `ray` extra.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from agent.arguments import at_least, is_number, require
from agent.defaults import DEFAULT_RAY_WORKERS
from agent.errors import ClusterUnavailable, UsageError
from agent.evals.report import CaseResult
from agent.evals.suite import Case
from agent.text import first_line

if TYPE_CHECKING:
    from pydantic_ai.models import Model

    from agent.core.loop import SolveSettings
    from agent.evals.runner import CaseTools, Outcome
    from agent.evals.suite import ToolModule
    from agent.sandbox.inputs import Inputs

__all__ = ["CaseActor", "RayBackend"]

CONNECT_TIMEOUT_S = 5.0
"""How long to wait for a cluster's address to accept a connection before calling it unreachable
(Ray itself retries a missing cluster for a minute and more)."""
RESTART_TIMEOUT_S = 120.0
"""How long to wait for Ray to bring back an actor that died (with the embedded model, a restart
loads the model again) before its cases go elsewhere."""
CLOSE_TIMEOUT_S = 10.0
"""How long an actor gets to close its sandbox pool and model server before it is killed."""
PROVIDER_ENV: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"),
    "anthropic": ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN"),
    "azure": ("AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT", "OPENAI_API_VERSION"),
    "google": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "google-cloud": ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT",
                     "GOOGLE_CLOUD_LOCATION"),
    "bedrock": ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_BEARER_TOKEN_BEDROCK", "AWS_REGION",
                "AWS_DEFAULT_REGION", "AWS_PROFILE"),
    "cohere": ("CO_API_KEY", "CO_BASE_URL"),
    "huggingface": ("HF_TOKEN",),
    "heroku": ("HEROKU_INFERENCE_KEY", "HEROKU_INFERENCE_URL"),
    "alibaba": ("ALIBABA_API_KEY", "DASHSCOPE_API_KEY"),
    "vercel": ("VERCEL_AI_GATEWAY_API_KEY", "VERCEL_OIDC_TOKEN"),
    "gateway": ("PYDANTIC_AI_GATEWAY_API_KEY", "PYDANTIC_AI_GATEWAY_BASE_URL", "PAIG_API_KEY", "PAIG_BASE_URL"),
}
"""Environment variables a model provider reads to reach its models, where they are not (only)
`<PROVIDER>_API_KEY` and `<PROVIDER>_BASE_URL` (what every provider gets: `groq`, `mistral`,
`ollama`, `deepseek`...); as pydantic-ai's providers and the SDKs under them read them."""
PROVIDER_ALIASES = {"openai-chat": "openai", "openai-responses": "openai", "openai-decisions": "openai",
                    "azure-responses": "azure", "google-gla": "google", "google-vertex": "google-cloud",
                    "bedrock-mantle": "bedrock"}
"""Model-name prefixes that name another provider's models (`openai-chat:` is OpenAI's provider)."""


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise UsageError('running on Ray needs the ray extra: pip install "jsolve[ray]"') from None
    return ray


@dataclass
class RayBackend:
    """Where and how wide to run: `address` is "local" (start a Ray instance in this process, shut
    down at the end), "auto" (the running cluster: $RAY_ADDRESS, else one started on this machine
    with `ray start --head`), or a cluster's address ("HOST:PORT" or "ray://HOST:10001");
    `workers` actors, each reserving `cpus_per_worker` CPUs of the cluster."""

    address: str = "auto"
    workers: int = DEFAULT_RAY_WORKERS
    cpus_per_worker: float = 1.0
    _owns_ray: bool = field(default=False, init=False, repr=False)
    _connected: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        at_least(self.workers, "workers", 1)
        require(is_number(self.cpus_per_worker) and self.cpus_per_worker >= 0, f"cpus_per_worker must be 0 or more, got {self.cpus_per_worker!r}")
        self.address = self.address.strip()
        require(bool(self.address), 'give --ray "local", "auto" or a cluster address such as ray://head:10001')

    # -- connecting -----------------------------------------------------------------------------

    def connect(self) -> None:
        """Join (or start) the Ray instance, or raise `ClusterUnavailable` saying why not. A Ray
        connection this process already has (`ray.init` by the caller) is used as it is."""
        if self._connected:
            return
        ray = _ray()
        if not ray.is_initialized():
            address = (os.environ.get("RAY_ADDRESS", "").strip() or "auto") if self.address == "auto" else self.address
            options: dict[str, Any] = {"log_to_driver": False, "logging_level": "WARNING"}
            if address == "local":
                options.update(num_cpus=max(os.cpu_count() or 1, int(self.workers * self.cpus_per_worker + 0.999)), include_dashboard=False)
            elif address != "auto":
                _reachable(address)
            try:
                ray.init(address=address, **options)
            except (ConnectionError, RuntimeError, ValueError, TimeoutError) as exc:
                hint = "start one with `ray start --head`, or run with --ray local" if address == "auto" else "check the address"
                raise ClusterUnavailable(f"cannot reach the Ray cluster at {address}: {first_line(exc)[:300]}; {hint}") from None
            self._owns_ray = True
        self._connected = True
        cpus = float(ray.cluster_resources().get("CPU", 0))
        if self.workers * self.cpus_per_worker > cpus:
            self.close()
            raise ClusterUnavailable(f"{self.workers} workers of {self.cpus_per_worker:g} CPU need {self.workers * self.cpus_per_worker:g} "
                                     f"CPUs and the cluster has {cpus:g}: ask for fewer --workers")

    def close(self) -> None:
        """Leave the Ray instance (shutting it down when this process started it)."""
        if self._owns_ray:
            _ray().shutdown()
        self._owns_ray = self._connected = False

    def describe(self) -> dict[str, Any]:
        """What the report's settings record of the backend."""
        return {"backend": "ray", "ray_address": self.address, "workers": self.workers}

    # -- running --------------------------------------------------------------------------------

    async def run(self, cases: list[Case], *, model: str | Model | None, max_attempts: int, concurrency: int,
                  settings: SolveSettings, on_result: Callable[[CaseResult], None] | None = None) -> Outcome:
        """Solve and judge `cases` on the actors; see the module's text. Leaves the Ray instance
        as it found it: connected here, closed here."""
        from agent.evals.runner import CaseTools, Outcome, load_case_inputs
        from agent.sandbox.inputs import Inputs

        no_inputs = Inputs({})
        modules = CaseTools()
        for case in cases:  # read before any actor starts: a missing module is the suite's error
            modules.read(case)

        was_connected = self._connected
        self.connect()
        ray = _ray()
        lost_errors = _lost_errors(ray)
        actor_class = ray.remote(CaseActor).options(
            max_restarts=-1, max_task_retries=0, max_concurrency=concurrency + 2, num_cpus=self.cpus_per_worker,
            runtime_env={"env_vars": _forwarded_env(model)})
        actors = [actor_class.remote(model, max_attempts, settings) for _ in range(self.workers)]
        pending = deque(enumerate(cases))
        finished: dict[int, CaseResult] = {}
        suspect: set[int] = set()
        unavailable: str | None = None
        interrupted = False

        async def solve_on(first: int, case: Case, inputs: Inputs, module: ToolModule | None) -> tuple[CaseResult, str | None]:
            lost: BaseException | None = None
            for which in (first, (first + 1) % len(actors)):  # a lost case goes once more, to the next actor
                try:
                    if which in suspect:  # it lost a case: wait for Ray to restart it before sending more
                        await _restarted(ray, actors[which])
                        suspect.discard(which)
                    solved: tuple[CaseResult, str | None] = await actors[which].solve.remote(case, inputs, module)
                    return solved
                except lost_errors as exc:
                    lost = exc
                    suspect.add(which)
            return CaseResult(id=case.id, category=case.category, solved=False, attempts=0, failure_kinds=[], final_failure=None,
                              instruction=case.instruction, compare=case.compare,
                              error=f"the Ray worker running this case was lost twice: {first_line(lost)[:300]}"), None

        async def feed(which: int) -> None:
            nonlocal unavailable
            while pending and unavailable is None:
                index, case = pending.popleft()
                inputs = await asyncio.to_thread(load_case_inputs, case) if case.inputs else no_inputs
                result, stops = await solve_on(which, case, inputs, modules.read(case))
                finished[index] = result
                if on_result is not None:
                    on_result(result)
                if stops is not None and unavailable is None:
                    unavailable = stops

        names: list[str] = []
        feeders: list[asyncio.Future[None]] = []
        try:
            try:
                names = await asyncio.gather(*(actor.ready.remote() for actor in actors))
                feeders = [asyncio.ensure_future(feed(slot % len(actors))) for slot in range(len(actors) * concurrency)]
                await asyncio.gather(*feeders)
            except asyncio.CancelledError:
                interrupted = True
            except ray.exceptions.RayTaskError as exc:  # an actor raised: a bad model name, a broken setup, a bug
                raise (exc.cause if isinstance(exc.cause, Exception) else exc) from None
            finally:
                for feeder in feeders:
                    feeder.cancel()
                await asyncio.gather(*feeders, return_exceptions=True)
        finally:
            await _stop(ray, actors, graceful=not interrupted)
            if not was_connected:
                self.close()
        return Outcome(model_name=names[0] if names else _model_label(model), results=[finished[i] for i in sorted(finished)],
                       interrupted=interrupted, unavailable=unavailable, backend=self.describe())


class CaseActor:
    """One Ray worker: a sandbox pool, a model client and (for fetch cases) a fixture server of its
    own, kept for many cases. Made an actor by `RayBackend.run` (`ray.remote(CaseActor)`), so
    this module imports without Ray."""

    def __init__(self, model: str | Model | None, max_attempts: int, settings: SolveSettings) -> None:
        self._spec, self._max_attempts, self._settings = model, max_attempts, settings
        self._model: Model | None = None
        self._pool: Any = None
        self._fixtures = contextlib.ExitStack()
        self._base: str | None = None
        self._tools: CaseTools | None = None

    def ready(self) -> str:
        """Start the sandbox pool and resolve the model (here, so that a bad model name raises its
        own error to the driver rather than a dead actor's); returns the model's name."""
        from agent.models.client import resolve_model
        from agent.sandbox import Sandbox

        if self._model is None:
            self._model = resolve_model(self._spec)
            self._pool = Sandbox()
        return self._model.model_name

    async def solve(self, case: Case, inputs: Inputs, module: ToolModule | None = None) -> tuple[CaseResult, str | None]:
        """`agent.evals.runner.solve_case` here (ready first after a restart), with the tools of
        `module` (the case's tools module, as the driver read it), loaded once per actor."""
        from agent.evals.runner import CaseTools, fetch_network, fixture_server, solve_case

        self.ready()
        if case.network and self._base is None:
            self._base = self._fixtures.enter_context(fixture_server())
        tools = None
        if module is not None:
            self._tools = self._tools or CaseTools()
            tools = self._tools.load(module)
        return await solve_case(case, model=self._model, settings=self._settings, max_attempts=self._max_attempts,  # type: ignore[arg-type]
                                sandbox=self._pool, network=fetch_network(), base=self._base or "", inputs=inputs, tools=tools)

    def close(self) -> None:
        self._fixtures.close()
        if self._pool is not None:
            self._pool.close()


async def _restarted(ray: Any, actor: Any) -> None:
    """Return once `actor` answers again (Ray restarts a dead actor in a second or so); raise the
    lost error when it stays unreachable for `RESTART_TIMEOUT_S` or is dead for good."""
    deadline = asyncio.get_running_loop().time() + RESTART_TIMEOUT_S
    while True:
        try:
            await actor.ready.remote()
            return
        except ray.exceptions.ActorUnavailableError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


async def _stop(ray: Any, actors: list[Any], *, graceful: bool) -> None:
    """End the actors this run started: let them close their pools first (unless interrupted),
    then kill them, so that no actor outlives the run."""
    if graceful:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.gather(*(actor.close.remote() for actor in actors), return_exceptions=True),
                                   CLOSE_TIMEOUT_S)
    for actor in actors:
        with contextlib.suppress(Exception):
            ray.kill(actor, no_restart=True)


def _lost_errors(ray: Any) -> tuple[type[BaseException], ...]:
    """Ray's errors for a call whose actor or node died under it."""
    names = ("RayActorError", "WorkerCrashedError", "NodeDiedError", "OutOfMemoryError", "ObjectLostError")
    return tuple(kind for name in names if isinstance(kind := getattr(ray.exceptions, name, None), type))


def _forwarded_env(model: str | Model | None, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The variables of `environ` sent to the actors for `model`: what its provider reads to reach
    it (`PROVIDER_ENV`), the local model's settings for the embedded model or `gguf:` (where the
    model file and saved state are kept, how many threads the server uses), and $JSOLVE_MODEL
    when it is what names the model. Nothing else of the caller's environment (other keys and
    tokens) goes to the workers; a `Model` object is sent pickled, with its client, and needs
    nothing."""
    from agent.models.local import CACHE_ENV, THREADS_ENV
    from agent.models.names import MODEL_ENV, model_named

    if model is not None and not isinstance(model, str):
        return {}
    named = model_named(model, environ)
    wanted = [MODEL_ENV] if named.from_env else []
    if named.kind != "provider":
        wanted += [CACHE_ENV, THREADS_ENV]
    elif named.provider is not None:
        provider = "gateway" if named.provider.startswith("gateway/") else PROVIDER_ALIASES.get(named.provider, named.provider)
        prefix = provider.upper().replace("-", "_")
        wanted += [f"{prefix}_API_KEY", f"{prefix}_BASE_URL", *PROVIDER_ENV.get(provider, ())]
    return {variable: environ[variable] for variable in wanted if variable in environ}


def _reachable(address: str) -> None:
    """Raise `ClusterUnavailable` unless `address` ("HOST:PORT" or "ray://HOST:PORT") accepts a
    TCP connection within `CONNECT_TIMEOUT_S`."""
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
    if not host or port is None:
        raise UsageError(f"--ray {address!r}: give local, auto, HOST:PORT or ray://HOST:PORT")
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise ClusterUnavailable(f"cannot reach the Ray cluster at {address}: {exc.strerror or exc}; check the address, "
                                 "and that the head node runs (ray start --head)") from None


def _model_label(model: object) -> str:
    """The model's name for a report whose workers never said it (interrupted while starting)."""
    from agent.models.names import model_named

    if model is not None and not isinstance(model, str):
        return getattr(model, "model_name", None) or "the model"
    return model_named(model).name or "the embedded model"
