"""`solve(instruction)`: from an instruction to a checked value, repairing on the way.

The loop is pydantic-ai's: the model's reply is plain text handed to one output function
(`_Run.attempt`) that extracts the code, pre-validates it, runs it in the sandbox and checks the
value. A failure raises `ModelRetry` with the feedback text, which pydantic-ai sends back to the
model; the retry budget is the number of attempts. What happens after an attempt (accept, repair
or stop) is decided by `decide()`, a pure function of the attempt state.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import httpx
from pydantic_ai import Agent, ModelRetry, RunContext, TextOutput, UsageLimits
from pydantic_ai.capabilities import ProcessHistory
from pydantic_ai.exceptions import ModelAPIError
from pydantic_ai.messages import ModelMessage
from pydantic_ai.models import Model
from pydantic_ai.settings import ModelSettings
from pydantic_ai.usage import RunUsage

from agent import prompts
from agent.errors import ModelUnavailable, SolveFailed, UsageError
from agent.extract import extract_code
from agent.failures import Failure, feedback, from_run_error
from agent.logs import get_logger
from agent.model import resolve_model
from agent.sandbox import Limits, Sandbox
from agent.shape import OutputShape
from agent.validate import prevalidate, same_code

if TYPE_CHECKING:
    from agent.sandbox.network import NetworkPolicy

__all__ = ["Attempt", "Decision", "Solution", "SolveSettings", "asolve", "decide", "solve"]

DEFAULT_ATTEMPTS = 4
"""Attempts per instruction: most repairable failures are fixed by the second or third."""

log = get_logger("jsolve")


@dataclass(frozen=True, slots=True, kw_only=True)
class SolveSettings:
    """How the model is sampled."""

    temperature: float = 0.0
    """Temperature of the first attempt: greedy, the model's most likely code. On the suite the
    embedded model solved 45/94 first attempts greedy, 43 and 37 in two runs at 0.2."""
    temperature_step: float = 0.25
    """Added after each failed attempt: small models repeat the same wrong answer when cold."""
    max_temperature: float = 1.0
    """The temperature never rises above this."""
    max_tokens: int | None = 1500
    """Longest reply; a module that needs more is usually on the wrong track. None: no limit."""
    show_failed_code: bool = False
    """Whether a repair request shows the model the code that failed, with the feedback. False:
    only the feedback (which quotes the failing line), so the model writes the module afresh.
    Shown its code, the embedded model mostly sent it back unchanged: on the suite, with the same
    first attempts, hiding it raised the cases solved from 46 to 50 of 94 and cut the repeated
    attempts from 33 to 6. Not measured on larger models, which may repair better seeing it."""

    def __post_init__(self) -> None:
        if not 0 <= self.temperature <= self.max_temperature or self.temperature_step < 0:
            raise UsageError("SolveSettings needs 0 <= temperature <= max_temperature and temperature_step >= 0")
        if self.max_tokens is not None and self.max_tokens < 1:
            raise UsageError(f"max_tokens must be positive or None, got {self.max_tokens}")

    def temperature_after(self, failures: int) -> float:
        """The temperature for the attempt that follows `failures` failed ones."""
        return min(self.max_temperature, self.temperature + failures * self.temperature_step)


@dataclass(frozen=True, slots=True, kw_only=True)
class Attempt:
    """One reply of the model and what became of it."""

    number: int
    """1-based."""
    code: str | None
    """The module extracted from the reply (None: the reply held no code)."""
    failure: Failure | None
    """Why it failed; None when it passed."""
    feedback: str | None
    """The exact text the model was sent about the failure."""
    value: Any = None
    """The checked value, when it passed."""
    logs: tuple[str, ...] = ()
    """What the code printed."""
    model_ms: float = 0.0
    """Time waiting for the model's reply."""
    validate_ms: float = 0.0
    """Time to extract and pre-validate the code."""
    run_ms: float = 0.0
    """Time to run the code in the sandbox and check the value."""
    usage: RunUsage = field(default_factory=RunUsage)
    """Requests and tokens of this attempt's reply."""

    @property
    def ok(self) -> bool:
        return self.failure is None


@dataclass(frozen=True, slots=True, kw_only=True)
class Solution:
    """A value that passed every check, and how it was reached."""

    value: Any
    """The default export, checked against (and converted to) the requested output type."""
    code: str
    """The module that produced it."""
    attempts: list[Attempt]
    """Every attempt, the passing one last."""
    usage: RunUsage
    """Requests and tokens summed over all attempts."""
    duration_ms: float
    """From the call to the answer."""
    model_name: str
    """Which model wrote the code."""


Decision = Literal["accept", "repair", "stop"]


def decide(failure: Failure | None, *, attempts_made: int, max_attempts: int) -> Decision:
    """What follows an attempt: accept its value, ask the model for a repair, or stop."""
    if failure is None:
        return "accept"
    return "repair" if attempts_made < max_attempts else "stop"


class _BudgetSpent(Exception):
    """Raised out of the agent run when `decide` says stop."""


def _since(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def _usage_between(total: RunUsage, before: RunUsage) -> RunUsage:
    return RunUsage(requests=total.requests - before.requests, input_tokens=total.input_tokens - before.input_tokens,
                    output_tokens=total.output_tokens - before.output_tokens)


@dataclass(eq=False)
class _Run:
    """The state of one `asolve` call; pydantic-ai passes it to the output function as deps."""

    shape: OutputShape
    sandbox: Sandbox
    limits: Limits | None
    network: NetworkPolicy | None
    check: str | None
    settings: SolveSettings
    max_attempts: int
    log: Any
    on_attempt: Callable[[Attempt], None] | None = None
    attempts: list[Attempt] = field(default_factory=list)
    failed_code: list[str] = field(default_factory=list)
    usage: RunUsage = field(default_factory=RunUsage)
    mark: float = field(default_factory=time.perf_counter)

    async def attempt(self, ctx: RunContext[_Run], reply: str) -> Any:
        number = len(self.attempts) + 1
        model_ms = _since(self.mark)
        usage = _usage_between(ctx.usage, self.usage)
        self.usage = RunUsage(requests=ctx.usage.requests, input_tokens=ctx.usage.input_tokens, output_tokens=ctx.usage.output_tokens)
        log = self.log.bind(attempt=number)
        started = time.perf_counter()
        code = extract_code(reply)
        if isinstance(code, Failure):
            failure: Failure | None = code
            code = None
        else:
            failure = prevalidate(code, network=self.network is not None, function_export=self.check is not None, failed=self.failed_code)
            if failure is not None and failure.kind == "repeat":
                failure = self._repeat_of(code)
        validate_ms = _since(started)
        log.debug("attempt.generated", model_ms=round(model_ms, 1), output_tokens=usage.output_tokens, code=code)
        value, logs, run_ms = None, (), 0.0
        if failure is None:
            assert code is not None
            started = time.perf_counter()
            result = await self.sandbox.run_async(code, limits=self.limits, check=self.check, network=self.network)
            logs = tuple(entry.text if entry.level in ("log", "info", "debug") else f"[{entry.level}] {entry.text}" for entry in result.logs)
            if result.ok:
                checked = self.shape.check(result.value)
                failure, value = (checked, None) if isinstance(checked, Failure) else (None, checked)
            else:
                assert result.error is not None
                failure = from_run_error(result.error, logs)
            run_ms = _since(started)
            log.debug("attempt.ran", ok=result.ok, run_ms=round(run_ms, 2))
        else:
            log.info("attempt.rejected", kind=failure.kind)
        text = feedback(failure, code) if failure is not None else None
        record = Attempt(number=number, code=code, failure=failure, feedback=text, value=value, logs=logs,
                         model_ms=model_ms, validate_ms=validate_ms, run_ms=run_ms, usage=usage)
        self.attempts.append(record)
        if self.on_attempt is not None:
            self.on_attempt(record)
        decision = decide(failure, attempts_made=number, max_attempts=self.max_attempts)
        if decision == "accept":
            log.info("attempt.passed")
            return value
        assert failure is not None
        log.info("attempt.failed", kind=failure.kind, feedback=text)
        if code is not None and failure.kind != "repeat":
            self.failed_code.append(code)
        self.mark = time.perf_counter()
        if decision == "repair":
            raise ModelRetry(text)
        raise _BudgetSpent


    def _repeat_of(self, code: str) -> Failure:
        """A repeat names the attempt it repeats and how that one failed: the bounded history
        no longer holds that feedback, and the model needs it to make a real change."""
        earlier = next(a for a in self.attempts if a.code is not None and a.failure is not None and same_code(a.code, code))
        assert earlier.failure is not None
        first = earlier.feedback.splitlines()[0].removeprefix("Your code failed. ") if earlier.feedback else earlier.failure.message
        return Failure(kind="repeat", message=f"this is the same code as attempt {earlier.number}, which failed with: {first}")


async def _attempt(ctx: RunContext[_Run], reply: str) -> Any:
    return await ctx.deps.attempt(ctx, reply)


def _model_settings(ctx: RunContext[_Run]) -> ModelSettings:
    run = ctx.deps
    failures = sum(1 for a in run.attempts if not a.ok)
    settings = ModelSettings(temperature=run.settings.temperature_after(failures))
    if run.settings.max_tokens is not None:
        settings["max_tokens"] = run.settings.max_tokens
    return settings


def _bounded_history(ctx: RunContext[_Run], messages: list[ModelMessage]) -> list[ModelMessage]:
    """The instruction, then only the latest failed reply (unless the settings hide it) and its feedback."""
    if len(messages) < 3:
        return messages
    return [messages[0], *messages[-2:]] if ctx.deps.settings.show_failed_code else [messages[0], messages[-1]]


_agent: Agent[_Run, Any] | None = None
_sandbox: Sandbox | None = None
_lock = threading.Lock()


def _the_agent() -> Agent[_Run, Any]:
    global _agent
    with _lock:
        if _agent is None:
            _agent = Agent(None, output_type=TextOutput(_attempt), deps_type=_Run, model_settings=_model_settings,
                           capabilities=[ProcessHistory(_bounded_history)], defer_model_check=True)
        return _agent


def default_sandbox() -> Sandbox:
    """The process-wide sandbox pool that `solve` uses when the caller passes none (started on
    first use, stopped at exit)."""
    global _sandbox
    with _lock:
        if _sandbox is None or _sandbox._closed:
            _sandbox = Sandbox()
        return _sandbox


def _instructions(network: NetworkPolicy | None) -> str:
    if network is None:
        net = prompts.render("network-off")
    else:
        net = prompts.render("network-on", hosts=", ".join(network.allow_hosts))
    return prompts.render("system", network=net)


def _task(instruction: str, shape: OutputShape) -> str:
    if shape.schema:
        text = prompts.render("shape", schema=json.dumps(shape.schema, separators=(",", ":")))
    else:
        text = prompts.render("shape-any")
    return prompts.render("task", instruction=instruction.strip(), shape=text)


async def asolve(
    instruction: str,
    *,
    output: Any = None,
    model: str | Model | None = None,
    max_attempts: int = DEFAULT_ATTEMPTS,
    network: NetworkPolicy | None = None,
    limits: Limits | None = None,
    check: str | None = None,
    sandbox: Sandbox | None = None,
    settings: SolveSettings | None = None,
    on_attempt: Callable[[Attempt], None] | None = None,
) -> Solution:
    """Have the model write JavaScript for `instruction` until its value passes, and return it.

    `output` is the shape of the answer: a Python type, a pydantic model, or a JSON Schema dict
    (None: any JSON value). `model` is a pydantic-ai model name or `Model` (None: $JSOLVE_MODEL,
    then the embedded local model). `network` lets the code `fetch` what the policy allows.
    `check` is JavaScript run after the code with its default export as `value` (which may then
    be a function); it throws to refuse the value, and what it returns is checked against
    `output`. `on_attempt` is called with each attempt as soon as it is judged (to show
    progress). Raises `SolveFailed` when `max_attempts` are spent, `ModelUnavailable` when the
    model cannot be reached, `UsageError` for bad arguments (before any model call).
    """
    if not isinstance(instruction, str) or not instruction.strip():
        raise UsageError("instruction must be a non-empty string saying what to compute")
    if not isinstance(max_attempts, int) or max_attempts < 1:
        raise UsageError(f"max_attempts must be a positive integer, got {max_attempts!r}")
    if check is not None and not isinstance(check, str):
        raise UsageError("check must be JavaScript source (a str)")
    shape = OutputShape.of(output)
    resolved = resolve_model(model)
    run_id = uuid.uuid4().hex[:12]
    run = _Run(shape=shape, sandbox=sandbox or default_sandbox(), limits=limits, network=network, check=check,
               settings=settings or SolveSettings(), max_attempts=max_attempts, log=log.bind(run_id=run_id),
               on_attempt=on_attempt)
    started = time.perf_counter()
    run.log.info("solve.start", model=resolved.model_name, instruction=instruction[:200], max_attempts=max_attempts)
    try:
        result = await _the_agent().run(
            _task(instruction, shape), deps=run, model=resolved, instructions=_instructions(network),
            retries={"output": max_attempts}, usage_limits=UsageLimits(request_limit=max_attempts),
        )
    except _BudgetSpent:
        last = run.attempts[-1]
        assert last.failure is not None
        run.log.info("solve.failed", attempts=len(run.attempts), kind=last.failure.kind)
        raise SolveFailed(f"not solved in {len(run.attempts)} attempt(s); the last failed with {last.failure.kind}: {last.failure.message}",
                          attempts=run.attempts, usage=_total(run.attempts), failure=last.failure) from None
    except (ModelAPIError, httpx.HTTPError) as exc:
        run.log.warning("solve.model_unavailable", error=str(exc))
        raise ModelUnavailable(f"the model {resolved.model_name!r} could not be reached: {exc}", usage=_total(run.attempts)) from exc
    run.log.info("solve.done", attempts=len(run.attempts), duration_ms=round(_since(started), 1))
    last = run.attempts[-1]
    assert last.code is not None
    return Solution(value=result.output, code=last.code, attempts=run.attempts, usage=_total(run.attempts),
                    duration_ms=_since(started), model_name=resolved.model_name)


def _total(attempts: list[Attempt]) -> RunUsage:
    total = RunUsage()
    for a in attempts:
        total = total + a.usage
    return total


_loop: asyncio.AbstractEventLoop | None = None


def _sync_loop() -> asyncio.AbstractEventLoop:
    """The event loop that runs every synchronous `solve`, in a daemon thread. One loop for all
    calls, so HTTP clients held by a model object stay usable from one call to the next."""
    global _loop
    with _lock:
        if _loop is None:
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="jsolve-loop", daemon=True).start()
        return _loop


def solve(instruction: str, **options: Any) -> Solution:
    """`asolve` for synchronous callers, with the same arguments (also usable from inside a
    running event loop, as in notebooks). Ctrl-C cancels the solve."""
    future = asyncio.run_coroutine_threadsafe(asolve(instruction, **options), _sync_loop())
    try:
        return future.result()
    except BaseException:
        future.cancel()
        raise
