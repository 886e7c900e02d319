"""`solve(instruction)`: from an instruction to a checked value, repairing on the way.

The loop works in rounds. A round asks the model for `samples` independent programs (one for
`samples=1`): the first at the loop's temperature (greedy at first, warmer after failed rounds),
the others at `sample_temperature`, in one request where the model's API can return several
choices. Every program goes through the same stages: extract the code, pre-validate it, run it in
the sandbox, check the value's shape and its integer precision. The values that passed are
grouped (`agent.core.agreement`). What follows a round is decided by `decide()`, a pure function
of the candidates and the budget that returns the whole verdict: accept a value, repair, or stop
and answer with a value or fail with a failure; `asolve` only carries it out. The next round's
request carries the feedback of the round (a failure's, or the disagreement between values).

pydantic-ai provides the models (`Model.request`, its message types and providers); the loop is
this module's own, because a round of several programs per request is not an agent run.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    RetryFeedbackPart,
    RetryInfo,
    TextPart,
    UserPromptPart,
)
from pydantic_ai.models import Model
from pydantic_ai.settings import ModelSettings
from pydantic_ai.usage import RunUsage
from pydantic_core import to_jsonable_python

from agent import prompts
from agent.arguments import between, instance, is_number, positive_count, require
from agent.core.agreement import Candidate, Vote, agreement, close, group, has_majority, meets
from agent.core.data import describe_inputs, load_inputs
from agent.core.extract import extract_code
from agent.core.failures import Failure, feedback, from_run_error
from agent.core.shape import OutputShape
from agent.core.typescript import to_javascript
from agent.core.validate import prevalidate, same_code
from agent.defaults import (
    DEFAULT_ATTEMPTS,
    DEFAULT_MIN_AGREEMENT,
    DEFAULT_SAMPLE_TEMPERATURE,
    DEFAULT_SAMPLES,
)
from agent.errors import ModelUnavailable, SolveFailed, UsageError
from agent.logs import get_logger
from agent.models.client import Reply, model_named, request_replies, resolve_model
from agent.sandbox import Limits, RunResult, Sandbox
from agent.sandbox.inputs import Inputs
from agent.text import clip, first_line, json_text
from agent.tools.registry import EffectLog, ToolCall, Tools

if TYPE_CHECKING:
    from agent.sandbox.network import NetworkPolicy

__all__ = ["Accept", "Attempt", "AttemptToolCall", "Decision", "Repair", "Solution", "SolveSettings", "StopAndAnswer", "StopAndFail", "Verdict", "asolve",
           "decide", "solve"]

MAX_SHOWN_VALUE = 200
"""Characters of a value quoted in disagreement feedback."""

MAX_SHOWN_VALUES = 4
"""Distinct values quoted in disagreement feedback."""

log = get_logger("jsolve")


@dataclass(frozen=True, slots=True, kw_only=True)
class SolveSettings:
    """How the model is sampled and how many programs are asked for."""

    temperature: float = 0.0
    """Temperature of the first program of the first round: greedy, the model's most likely code.
    On the suite the embedded model solved 45/94 first attempts greedy, 43 and 37 in two runs at 0.2."""
    temperature_step: float = 0.25
    """Added after each failed round: small models repeat the same wrong answer when cold."""
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
    samples: int = DEFAULT_SAMPLES
    """Independent programs per round. With more than one, the loop accepts a value only when
    at least two programs gave it and more than half of the programs that passed did; otherwise
    it repairs (a failure's feedback, or the disagreement itself) until the rounds are spent, then
    answers with the value most programs gave. 1: the first passing program is the answer."""
    sample_temperature: float = DEFAULT_SAMPLE_TEMPERATURE
    """Temperature of a round's programs after its first (used only with `samples` > 1); see
    `agent.defaults.DEFAULT_SAMPLE_TEMPERATURE` for why this value."""
    repair_disagreement: bool = True
    """With `samples` > 1: whether passing programs that disagree get a repair round (told the
    competing values). False: the first round in which a program passed ends the solve, with the
    value most programs gave (its agreement says how weak); only rounds where none passed are
    repaired. Replayed from the recorded rounds of the first 29 GSM8K sample cases, False solved
    as many (15) for a median 41 s of model time a case instead of 143 s, with 11 answers agreed
    (10 right) instead of 13 (12 right): the later rounds mostly added agreement, not answers."""
    min_agreement: float = DEFAULT_MIN_AGREEMENT
    """With `samples` > 1: the share of passing programs that must have given the answer, and at
    least two programs must have; below it the solve fails with `disagree` instead of answering.
    0: any agreement, even one program alone, is answered (and reported as such)."""

    def __post_init__(self) -> None:
        require(0 <= self.temperature <= self.max_temperature and self.temperature_step >= 0,
                "SolveSettings needs 0 <= temperature <= max_temperature and temperature_step >= 0")
        positive_count(self.max_tokens, "max_tokens", optional=True)
        positive_count(self.samples, "samples", meaning="programs per round")
        between(self.sample_temperature, "sample_temperature", 0, 2)
        require(is_number(self.min_agreement) and 0 <= self.min_agreement <= 1,
                f"min_agreement is a share of the passing programs, between 0 and 1; got {self.min_agreement!r}")
        require(self.min_agreement == 0 or self.samples >= 2, "min_agreement needs samples >= 2: a single program has nothing to agree with")

    def temperature_after(self, failures: int) -> float:
        """The temperature of a round's first program after `failures` failed rounds."""
        return min(self.max_temperature, self.temperature + failures * self.temperature_step)


@dataclass(frozen=True, slots=True, kw_only=True)
class Attempt:
    """One program the model wrote and what became of it."""

    number: int
    """The round it was written in, 1-based (with `samples=1`, the attempt's number)."""
    candidate: int = 1
    """Its place in the round, 1-based: 1 is the round's first (greedy in round 1)."""
    code: str | None
    """The module extracted from the reply (None: the reply held no code)."""
    reply: str = ""
    """The model's whole reply."""
    failure: Failure | None
    """Why it failed; None when it passed."""
    feedback: str | None
    """The text about its failure, as the model is sent it (with `samples` > 1 a round's repair
    sends one failure's text, or the disagreement)."""
    value: Any = None
    """The checked value, when it passed."""
    logs: tuple[str, ...] = ()
    """What the code printed."""
    model_ms: float = 0.0
    """Time waiting for the model's reply (a request that returned several programs counts on its
    first program only)."""
    validate_ms: float = 0.0
    """Time to extract and pre-validate the code."""
    run_ms: float = 0.0
    """Time to run the code in the sandbox and check the value."""
    usage: RunUsage = field(default_factory=RunUsage)
    """Requests and tokens of this program's reply (for a request that returned several, on its
    first program only, as the server reports them)."""
    tool_calls: tuple[AttemptToolCall, ...] = ()
    """Every call the program made to the caller's tools, in order of issue, with its outcome
    (a replayed effect says so); empty when it made none or never ran."""

    @property
    def ok(self) -> bool:
        return self.failure is None


@dataclass(frozen=True, kw_only=True)
class AttemptToolCall(ToolCall):
    """A tool call of one of a solve's programs: the call's record, and which program made it."""

    attempt: int
    """The round of the program that made the call, 1-based (`Attempt.number`)."""
    candidate: int = 1
    """The program's place in its round, 1-based (`Attempt.candidate`)."""

    @classmethod
    def of(cls, call: ToolCall, *, attempt: int, candidate: int) -> AttemptToolCall:
        """The record `call`, tagged with the program that made it."""
        return cls(tool=call.tool, arguments=call.arguments, result=call.result, error=call.error, ms=call.ms, replayed=call.replayed,
                   attempt=attempt, candidate=candidate)


def all_tool_calls(attempts: Sequence[Attempt]) -> tuple[AttemptToolCall, ...]:
    """Every tool call of `attempts`, program after program."""
    return tuple(call for attempt in attempts for call in attempt.tool_calls)


@dataclass(frozen=True, slots=True, kw_only=True)
class Solution:
    """A value that passed every check, and how it was reached."""

    value: Any
    """The default export, checked against (and converted to) the requested output type."""
    code: str
    """A module that produced it (the first that did)."""
    attempts: list[Attempt]
    """Every program, in order of rounds."""
    usage: RunUsage
    """Requests and tokens summed over all attempts."""
    duration_ms: float
    """From the call to the answer."""
    model_name: str
    """Which model wrote the code."""
    candidates: list[Candidate] = field(default_factory=list)
    """Each distinct value that passed: how many programs gave it and one module that did, most
    programs first; the first is the answer."""

    @property
    def tool_calls(self) -> tuple[AttemptToolCall, ...]:
        """Every call every program made to the caller's tools, each with its attempt number."""
        return all_tool_calls(self.attempts)

    @property
    def agreement(self) -> float:
        """The share of the programs that passed that gave this value (1.0 with one program)."""
        return agreement(self.candidates)

    @property
    def votes(self) -> int:
        """How many programs gave this value."""
        return self.candidates[0].count if self.candidates else 1

    @property
    def agreed(self) -> bool:
        """Whether independent programs agree on it: at least two gave it, more than half of
        those that passed."""
        return has_majority(self.candidates)


Decision = Literal["accept", "repair", "stop"]
"""What follows a round, in one word: a `Verdict`'s `action`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Accept:
    """The solve answers with the leading value: it passed (one program per round), or enough
    programs agree on it."""

    action: ClassVar[Decision] = "accept"
    answer: Candidate
    """The value answered with, and the programs that gave it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Repair:
    """The model gets another round, told what went wrong in this one (`_Run.plan_repair`)."""

    action: ClassVar[Decision] = "repair"


@dataclass(frozen=True, slots=True, kw_only=True)
class StopAndAnswer:
    """No more rounds, and the solve answers with the value most programs gave, though they do
    not agree as much as acceptance asks (its agreement says how weak)."""

    action: ClassVar[Decision] = "stop"
    answer: Candidate
    """The value answered with, and the programs that gave it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StopAndFail:
    """No more rounds, and the solve fails (`SolveFailed`)."""

    action: ClassVar[Decision] = "stop"
    failure: Failure
    """Why: the last failure when no program passed, else the `disagree` failure of the values."""
    message: str
    """The `SolveFailed` message: how many rounds, and the failure."""


Verdict = Accept | Repair | StopAndAnswer | StopAndFail
"""What follows a round, whole: everything `asolve` needs to carry it out."""


def decide(candidates: Sequence[Candidate], *, rounds_made: int, max_rounds: int, samples: int,
           min_agreement: float = DEFAULT_MIN_AGREEMENT, repair_disagreement: bool = True,
           last_failure: Failure | None = None) -> Verdict:
    """What follows a round: accept the leading value, ask the model for a repair, or stop and
    either answer with the leading value or fail.

    With one program per round any passing value is accepted; with more, only a value that at
    least two programs gave, more than half of the passing ones, and at least `min_agreement`.
    Without `repair_disagreement`, passing programs that do not agree stop the solve. A stop
    answers when some value passed and reaches `min_agreement` (any does at 0); otherwise it fails
    with the disagreement, or, when no program passed, with `last_failure` (the latest program's
    failure, which must then be given)."""
    if candidates and (samples == 1 or has_majority(candidates, min_agreement=min_agreement)):
        return Accept(answer=candidates[0])
    if rounds_made < max_rounds and (not candidates or repair_disagreement):
        return Repair()
    if candidates and (min_agreement == 0 or meets(candidates, min_agreement)):
        return StopAndAnswer(answer=candidates[0])
    if candidates:
        failure = disagreement(candidates, min_agreement)
        return StopAndFail(failure=failure, message=f"no value was agreed in {rounds_made} attempt(s) "
                                                    f"(min_agreement {min_agreement:g}): {failure.message}")
    if last_failure is None:
        raise UsageError("decide() needs last_failure when no program passed: it is why the solve fails")
    return StopAndFail(failure=last_failure, message=f"not solved in {rounds_made} attempt(s); the last failed with "
                                                     f"{last_failure.kind}: {last_failure.message}")


def _since(start: float) -> float:
    return (time.perf_counter() - start) * 1000


@dataclass(eq=False)
class _Run:
    """The state of one `asolve` call."""

    model: Model
    instructions: str
    task: str
    shape: OutputShape
    sandbox: Sandbox
    limits: Limits | None
    network: NetworkPolicy | None
    check: str | None
    inputs: Inputs
    settings: SolveSettings
    max_rounds: int
    log: Any
    on_attempt: Callable[[Attempt], None] | None = None
    on_tool_call: Callable[[AttemptToolCall], None] | None = None
    tools: Tools | None = None
    """The caller's tools, opened for the solve (None: no tools)."""
    effects: EffectLog = field(default_factory=EffectLog)
    """The effects of the solve's programs: an effectful call happens once per solve."""
    attempts: list[Attempt] = field(default_factory=list)
    votes: list[Vote] = field(default_factory=list)
    repair: tuple[str, str | None] | None = None
    """The feedback for the next round, and the failed reply to show with it (when shown)."""

    def messages(self) -> list[ModelMessage]:
        """The request of the next round: the task, then (in a repair) the latest failure only."""
        first = ModelRequest(parts=[UserPromptPart(self.task)], instructions=self.instructions)
        if self.repair is None:
            return [first]
        text, failed_reply = self.repair
        retry = ModelRequest(parts=[RetryFeedbackPart(text, retry=RetryInfo("model_retry"))], instructions=self.instructions)
        if failed_reply is not None and self.settings.show_failed_code:
            return [first, ModelResponse(parts=[TextPart(failed_reply)]), retry]
        return [first, retry]

    async def round(self, number: int) -> list[Attempt]:
        """Ask for this round's programs and judge every one."""
        settings = self.settings
        failed_rounds = number - 1
        messages = self.messages()
        # The first program, then the others: one after the other, so that the extra programs'
        # request finds the prompt in a local server's cache, and each request's time is its own.
        first = settings.temperature_after(failed_rounds)
        replies = await request_replies(self.model, messages, self._model_settings(first), 1)
        if settings.samples > 1:
            extra = max(settings.sample_temperature, first)
            replies += await request_replies(self.model, messages, self._model_settings(extra), settings.samples - 1)
        earlier = [a.code for a in self.attempts if a.code is not None]
        judged = await asyncio.gather(*(self._judge(number, index, reply, earlier) for index, reply in enumerate(replies, 1)))
        for attempt in judged:
            self.attempts.append(attempt)
            if attempt.ok:
                assert attempt.code is not None
                self.votes.append(Vote(to_jsonable_python(attempt.value), attempt.value, attempt.code, attempt.number, attempt.candidate))
            if self.on_attempt is not None:
                self.on_attempt(attempt)
        return list(judged)

    def _model_settings(self, temperature: float) -> ModelSettings:
        model_settings = ModelSettings(temperature=temperature)
        if self.settings.max_tokens is not None:
            model_settings["max_tokens"] = self.settings.max_tokens
        return model_settings

    async def _judge(self, number: int, candidate: int, reply: Reply, earlier: list[str]) -> Attempt:
        log = self.log.bind(attempt=number, candidate=candidate)
        usage = reply.usage
        started = time.perf_counter()
        extracted = extract_code(reply.text)
        code: str | None = None
        runnable: str | None = None
        if isinstance(extracted, Failure):
            failure: Failure | None = _unextracted(extracted, reply)
        else:
            code = extracted
            failure, runnable = self._prepare(code, earlier)
        validate_ms = _since(started)
        log.debug("attempt.generated", model_ms=round(reply.model_ms, 1), output_tokens=usage.output_tokens, code=code)
        value: Any = None
        logs: tuple[str, ...] = ()
        run_ms = 0.0
        calls: tuple[AttemptToolCall, ...] = ()
        if failure is None:
            assert runnable is not None
            started = time.perf_counter()
            result = await self._run_code(runnable, log, number, candidate)
            logs = tuple(entry.text if entry.level in ("log", "info", "debug") else f"[{entry.level}] {entry.text}" for entry in result.logs)
            calls = tuple(AttemptToolCall.of(call, attempt=number, candidate=candidate) for call in result.tool_calls)
            failure, value = await asyncio.to_thread(self._check, result, logs)  # a big value's check stalls no other task
            run_ms = _since(started)
            log.debug("attempt.ran", ok=result.ok, run_ms=round(run_ms, 2), tool_calls=len(calls))
        if failure is not None and reply.finish_reason == "length" and failure.kind in ("syntax", "contract"):
            failure = Failure(kind=failure.kind, line=failure.line, column=failure.column, name=failure.name,
                              message=f"the reply was cut at the token limit before the module ended ({failure.message}); write a shorter module")
        text = feedback(failure, code, effects=self.effects.describe()) if failure is not None else None
        if failure is None:
            log.info("attempt.passed")
        else:
            log.info("attempt.failed", kind=failure.kind, feedback=text)
        return Attempt(number=number, candidate=candidate, code=code, reply=reply.text, failure=failure, feedback=text, value=value, logs=logs,
                       model_ms=reply.model_ms, validate_ms=validate_ms, run_ms=run_ms, usage=usage, tool_calls=calls)

    def _prepare(self, code: str, earlier: list[str]) -> tuple[Failure | None, str | None]:
        """The failure of `code` before it runs, or the JavaScript to run: TypeScript has its types
        erased in place (every line and column stays the model's), then the module is pre-validated."""
        if any(same_code(code, before) for before in earlier):
            return self._repeat_of(code), None
        runnable = to_javascript(code)
        if isinstance(runnable, Failure):
            return runnable, None
        failure = prevalidate(runnable, network=self.network is not None, function_export=self.check is not None,
                              inputs=tuple(self.inputs), tools=self.tools.names if self.tools is not None else ())
        return failure, None if failure is not None else runnable

    async def _run_code(self, code: str, log: Any, number: int, candidate: int) -> RunResult:
        if self.tools is None:
            return await self.sandbox.run_async(code, limits=self.limits, check=self.check, network=self.network, inputs=self.inputs)

        def called(record: ToolCall) -> None:  # as each call completes: logged, and shown by the caller
            call = AttemptToolCall.of(record, attempt=number, candidate=candidate)
            log.info("tool.call", tool=call.tool, ms=call.ms, ok=call.error is None, replayed=call.replayed)
            if self.on_tool_call is not None:
                self.on_tool_call(call)

        return await self.sandbox.run_async(code, limits=self.limits, check=self.check, network=self.network, inputs=self.inputs,
                                            tools=self.tools, effects=self.effects, on_call=called)

    def _check(self, result: RunResult, logs: tuple[str, ...]) -> tuple[Failure | None, Any]:
        if not result.ok:
            assert result.error is not None
            failure = from_run_error(result.error, logs)
            if (self.inputs or self.tools) and failure.name == "TypeError" and _FROZEN.search(failure.message):
                frozen = "the inputs are" if not self.tools else "the tools' results are" if not self.inputs else "the inputs and the tools' results are"
                failure = replace(failure, message=f"{failure.message} ({frozen} frozen: copy one before changing it, "
                                                   "as in [...rows].sort(...) or { ...obj })")
            return failure, None
        checked = self.shape.check(result.value)
        if isinstance(checked, Failure):
            return checked, None
        if result.unsafe_integers:
            return _imprecise(result), None
        return None, checked

    def _repeat_of(self, code: str) -> Failure:
        """A repeat names the attempt it repeats and what became of it: the bounded history no
        longer holds that feedback, and the model needs it to make a real change."""
        earlier = next(a for a in self.attempts if a.code is not None and same_code(a.code, code))
        which = f"attempt {earlier.number}" + (f" (program {earlier.candidate})" if self.settings.samples > 1 else "")
        if earlier.failure is None:
            return Failure(kind="repeat", message=f"this is the same code as {which}, whose value "
                                                  f"{_shown(earlier.value)} other programs did not confirm")
        first = first_line(earlier.feedback).removeprefix("Your code failed. ") if earlier.feedback else earlier.failure.message
        return Failure(kind="repeat", message=f"this is the same code as {which}, which failed with: {first}")

    def plan_repair(self, judged: list[Attempt], candidates: list[Candidate]) -> None:
        """The feedback the next round is sent: the disagreement when passing programs gave
        different values, else the first failure of this round (the greedy one's, in round one)."""
        if len(candidates) > 1:
            failure = disagreement(candidates)
            self.repair = (feedback(failure, effects=self.effects.describe()), None)
            self.log.info("round.disagree", values=len(candidates))
            return
        failed = next((a for a in judged if a.failure is not None), None)
        if failed is not None:
            assert failed.feedback is not None
            self.repair = (failed.feedback, failed.reply)


_FROZEN = re.compile(r"read-only|not extensible|not configurable")
"""How the engine words a change to a frozen object."""


def _unextracted(failure: Failure, reply: Reply) -> Failure:
    """An extraction failure that says why the reply has no code, when the server said why."""
    if reply.finish_reason == "length":
        return Failure(kind="extract", message="the reply was cut at the token limit before its code block ended; write a shorter module")
    if reply.finish_reason == "content_filter":
        return Failure(kind="extract", message="the provider's content filter stopped the reply")
    if not reply.text.strip():
        return Failure(kind="extract", message="the reply was empty")
    return failure


def _imprecise(result: RunResult) -> Failure:
    where = result.unsafe_integers
    listed = ", ".join(where[:3]) + (f" (and {len(where) - 3} more)" if len(where) > 3 else "")
    return Failure(kind="precision", message=f"the value holds integers past 2^53 computed with Number, at {listed}: their last "
                                             "digits were rounded away; compute them with BigInt")


def _shown(value: Any) -> str:
    text = json_text(to_jsonable_python(value))
    return clip(text, MAX_SHOWN_VALUE)


def _where_they_differ(values: list[Any]) -> tuple[list[Any], str]:
    """Objects with the same keys shown at the keys where they differ only (with what that leaves
    out), so that the difference is not cut off: a function task's results on the problem's calls,
    a report that differs in one field. Anything else is shown whole."""
    plain = [to_jsonable_python(v) for v in values]
    if len(plain) < 2 or not all(isinstance(v, dict) and v.keys() == plain[0].keys() for v in plain):
        return values, ""
    keys = [k for k in plain[0] if any(not close(v[k], plain[0][k]) for v in plain[1:])]
    if not keys or len(keys) == len(plain[0]):
        return values, ""
    same = len(plain[0]) - len(keys)
    return [{k: v[k] for k in keys} for v in plain], f" (shown where they differ; they agree on the other {same} key{'s' if same > 1 else ''})"


def disagreement(candidates: Sequence[Candidate], min_agreement: float = 0.0) -> Failure:
    """The `disagree` failure: the competing values, with how many programs gave each."""
    values, note = _where_they_differ([c.value for c in candidates[:MAX_SHOWN_VALUES]])
    shown = "; ".join(f"{_shown(v)} ({c.count} program{'s' if c.count > 1 else ''})" for v, c in zip(values, candidates))
    more = f"; and {len(candidates) - MAX_SHOWN_VALUES} other values" if len(candidates) > MAX_SHOWN_VALUES else ""
    if len(candidates) == 1:
        message = f"only one program gave a value ({shown}), and min_agreement {min_agreement:g} needs at least two to agree"
    else:
        message = f"independent programs for this task gave different values{note}: {shown}{more}. At most one of them is right"
    return Failure(kind="disagree", message=message)


_sandbox: Sandbox | None = None
_lock = threading.Lock()
_models: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Model]] = weakref.WeakKeyDictionary()
"""Models resolved from a name, per event loop: one HTTP client per provider and loop, reused by
every solve on that loop (an async HTTP client cannot move between loops)."""


async def _model_named(name: str | None) -> Model:
    """The model for `name` (None: the environment's or the embedded one), built once per event
    loop. Naming the embedded model may verify its file and start its server, so that happens
    off the event loop."""
    key = model_named(name).name
    cached = _models.setdefault(asyncio.get_running_loop(), {})
    if key not in cached:
        cached[key] = await asyncio.to_thread(resolve_model, name)
    return cached[key]


def default_sandbox() -> Sandbox:
    """The process-wide sandbox pool that `solve` uses when the caller passes none (started on
    first use, stopped at exit)."""
    global _sandbox
    with _lock:
        if _sandbox is None or _sandbox._closed:
            _sandbox = Sandbox()
        return _sandbox


def _task(instruction: str, shape: OutputShape, described: str = "", tools: str = "") -> str:
    """The task message: the instruction, then what the code may read (inputs) and call (tools),
    then the shape of the answer. Everything per solve lives here, after the instruction, so that
    the system prompt and the task's first words stay the same for every solve (a local server
    keeps them computed)."""
    if shape.schema:
        text = prompts.render("shape", schema=json.dumps(shape.schema, separators=(",", ":")))
    else:
        text = prompts.render("shape-any")
    context = "".join(part + "\n\n" for part in (described, tools) if part)
    return prompts.render("task", instruction=instruction.strip(), inputs=context, shape=text)


def describe_tools(tools: Tools | None) -> str:
    """What the model is told of the caller's tools (`prompts/tools.md`): their TypeScript
    declarations and how to call them; empty without tools."""
    if tools is None:
        return ""
    from agent.tools.declarations import declare

    names = tools.names
    return prompts.render("tools", names=", ".join(names), first=names[0], declarations=declare(tools).text)


async def _opened(tools: Any, stack: AsyncExitStack, reserved: Sequence[str]) -> Tools | None:
    """The caller's `tools` spec as an open `Tools` for the solve (None when it names none): a
    `Tools` the caller opened stays theirs to close; any other is closed with `stack`."""
    if tools is None:
        return None
    registry = Tools.of(tools)
    if not _is_open(registry):
        await stack.enter_async_context(registry)
    registry.check_names(reserved)
    return registry if len(registry) else None


def _is_open(tools: Tools) -> bool:
    try:
        return tools.names is not None  # listing the names needs the tools open
    except UsageError:
        return False


async def asolve(
    instruction: str,
    *,
    output: Any = None,
    model: str | Model | None = None,
    max_attempts: int = DEFAULT_ATTEMPTS,
    samples: int | None = None,
    min_agreement: float | None = None,
    network: NetworkPolicy | None = None,
    limits: Limits | None = None,
    check: str | None = None,
    inputs: Mapping[str, Any] | None = None,
    sandbox: Sandbox | None = None,
    settings: SolveSettings | None = None,
    on_attempt: Callable[[Attempt], None] | None = None,
    tools: Any = None,
    on_tool_call: Callable[[AttemptToolCall], None] | None = None,
) -> Solution:
    """Have the model write JavaScript for `instruction` until its value passes, and return it.

    `output` is the shape of the answer: a Python type, a pydantic model, or a JSON Schema dict
    (None: any JSON value). `model` is a pydantic-ai model name or `Model` (None: $JSOLVE_MODEL,
    then the embedded local model). `max_attempts` is the number of rounds; a round asks for
    `samples` independent programs (default: the settings', 1), so a solve asks for at most
    `max_attempts * samples`. With `samples` > 1 the answer is the value most programs agree on,
    and `min_agreement` (a share of the passing programs, at least two of them) turns a weaker
    agreement into a `disagree` failure. `network` lets the code `fetch` what the policy allows.
    `check` is JavaScript run after the code with its default export as `value` (which may then
    be a function); it throws to refuse the value, and what it returns is checked against
    `output`. `inputs` maps names to the caller's data: JSON values, or files (a `Path`; a str
    is always text, never a file name; see `agent.core.data.load_inputs`), read once per solve (or an
    `Inputs` already loaded); the code
    reads each as a frozen global of its name, and the model sees only its schema, size and
    first items. `tools` are functions of the caller's the code may call (what
    `agent.tools.Tools.of` takes: Python functions, `pydantic_ai.Tool`s, pydantic-ai toolsets such
    as an MCP server's, a list of them, or a `Tools`); the model reads them as TypeScript
    declarations, each program's calls are in its `Attempt.tool_calls`, and a tool with effects
    (`Tools.of(spec, effects={"name"})`, `Tool.from_function(f, effects=True)`, a pydantic-ai tool
    that requires approval) runs at most once per solve for the same arguments, later programs
    getting the recorded result. Toolsets are entered for the solve and left after it (a `Tools`
    already open stays open). `on_attempt` is called with each program as soon as it is judged
    (to show progress), and `on_tool_call` with each tool call as it completes, while its program
    runs. Raises `SolveFailed` when the rounds are spent, `ModelRejected` when the provider
    refuses the request, `ModelUnavailable` when it cannot be reached, `UsageError` for bad
    arguments (before any model call).
    """
    require(isinstance(instruction, str) and bool(instruction.strip()), "instruction must be a non-empty string saying what to compute")
    positive_count(max_attempts, "max_attempts")
    instance(check, "check", str, "JavaScript source (a str)")
    instance(settings, "settings", SolveSettings, "a SolveSettings")
    settings = settings or SolveSettings()
    if samples is not None or min_agreement is not None:
        settings = replace(settings, samples=settings.samples if samples is None else samples,
                           min_agreement=settings.min_agreement if min_agreement is None else min_agreement)
    shape = OutputShape.of(output)
    loaded = inputs if isinstance(inputs, Inputs) else load_inputs(inputs)
    async with AsyncExitStack() as stack:
        registry = await _opened(tools, stack, tuple(loaded))
        resolved = model if isinstance(model, Model) else await _model_named(model)
        task = _task(instruction, shape, describe_inputs(loaded), describe_tools(registry))
        run = _Run(model=resolved, instructions=prompts.system(network.allow_hosts if network else None), task=task,
                   shape=shape, sandbox=sandbox or default_sandbox(), limits=limits, network=network, check=check, inputs=loaded,
                   settings=settings, max_rounds=max_attempts, log=log.bind(run_id=uuid.uuid4().hex[:12]), on_attempt=on_attempt,
                   on_tool_call=on_tool_call, tools=registry)
        return await _solve(run, instruction)


async def _solve(run: _Run, instruction: str) -> Solution:
    """Carry out the rounds of `run` until `decide` stops them."""
    settings, max_attempts, resolved = run.settings, run.max_rounds, run.model
    started = time.perf_counter()
    run.log.info("solve.start", model=resolved.model_name, instruction=instruction[:200], max_attempts=max_attempts,
                 samples=settings.samples, tools=list(run.tools.names) if run.tools is not None else [])
    number = 0
    try:
        while True:
            number += 1
            judged = await run.round(number)
            candidates = group(run.votes)
            last_failure = next((a.failure for a in reversed(run.attempts) if a.failure is not None), None)
            verdict = decide(candidates, rounds_made=number, max_rounds=max_attempts, samples=settings.samples,
                             min_agreement=settings.min_agreement, repair_disagreement=settings.repair_disagreement,
                             last_failure=last_failure)
            if isinstance(verdict, Repair):
                run.plan_repair(judged, candidates)
                continue
            ending = verdict
            break
    except ModelUnavailable as exc:  # ModelRejected too: the work so far is reported with it
        exc.usage = _total(run.attempts)
        run.log.warning("solve.model_unavailable", error=str(exc))
        raise
    if isinstance(ending, StopAndFail):
        run.log.info("solve.failed", rounds=number, kind=ending.failure.kind)
        raise SolveFailed(ending.message, attempts=run.attempts, usage=_total(run.attempts), failure=ending.failure, candidates=candidates)
    best = ending.answer
    run.log.info("solve.done", rounds=number, agreement=best.count, duration_ms=round(_since(started), 1))
    return Solution(value=best.value, code=best.code, attempts=run.attempts, usage=_total(run.attempts),
                    duration_ms=_since(started), model_name=resolved.model_name, candidates=candidates)


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
