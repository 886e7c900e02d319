"""A solve's result as JSON: what `jsolve solve --json` prints and what the MCP `solve` tool
returns, whose output schema is `SolveOutcome`'s own.

One model, built from a `Solution` or a `SolveFailed` by `SolveOutcome.of` and written out with
`SolveOutcome.json_data()`. The shape is public and stable: fields are added, never renamed or
reordered (the order of the fields below is the order of the keys).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from agent.errors import SolveFailed, UsageError

if TYPE_CHECKING:
    from pydantic_ai.usage import RunUsage

    from agent.core.agreement import Candidate
    from agent.core.failures import Failure
    from agent.core.loop import Attempt, AttemptToolCall, Solution

__all__ = ["AttemptRecord", "CandidateRecord", "FailureRecord", "SolveOutcome", "TimingsRecord", "ToolCallRecord", "ToolErrorRecord",
           "UsageRecord"]

MODEL_MS_DIGITS = 2
"""Decimals kept of a time spent waiting for the model, or of a whole solve: such times run to
seconds, so a hundredth of a millisecond is far below their noise."""

RUN_MS_DIGITS = 3
"""Decimals kept of the time to validate or run a program: these take well under a millisecond
for small programs, so microseconds are kept."""

AGREEMENT_DIGITS = 4
"""Decimals kept of the share of passing programs that gave the answer."""


class _Record(BaseModel):
    """A part of the JSON. Frozen; each field's docstring is its description in the schema. A
    value is kept as the solve gave it and turned into JSON once, by `json_data()`, as
    `pydantic_core.to_jsonable_python` does (aliases, and infinities and NaN as such)."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True, ser_json_inf_nan="constants")


class FailureRecord(_Record):
    """Why one attempt failed."""

    kind: str
    """Which stage failed, and how: one of `agent.core.failures.FailureKind`."""
    message: str
    """What went wrong, in words."""
    line: int | None = None
    """1-based line in the attempt's code, when known."""
    column: int | None = None
    """1-based column in the attempt's code, when known."""

    @classmethod
    def of(cls, failure: Failure) -> FailureRecord:
        return cls(kind=failure.kind, message=failure.message, line=failure.line, column=failure.column)


class ToolErrorRecord(_Record):
    """Why a tool call gave no value."""

    kind: str
    """`invalid` (the arguments do not fit the tool's schema; it did not run), `raised` (the tool
    raised), `unknown` (no tool of that name), or a limit of the run the call broke."""
    message: str
    """What the program's promise rejected with, in words."""


class ToolCallRecord(_Record):
    """One call a program made to the caller's tools."""

    attempt: int
    """The round of the program that made it (`AttemptRecord.number`)."""
    candidate: int
    """The program's place in its round (`AttemptRecord.candidate`)."""
    tool: str
    """The tool's name."""
    arguments: str
    """The arguments as JSON text (sorted keys), cut to a size (`agent.tools.registry.RECORD_CHARS`)."""
    result: str | None = None
    """The result as JSON text, cut alike; null when the call failed."""
    error: ToolErrorRecord | None = None
    """Why the call failed; null when it gave a value."""
    ms: float
    """How long the call took, in milliseconds."""
    replayed: bool = False
    """Whether the result is the recorded one of an earlier identical call of a tool with effects
    (the tool did not run again)."""

    @classmethod
    def of(cls, call: AttemptToolCall) -> ToolCallRecord:
        error = None if call.error is None else ToolErrorRecord(kind=call.error.kind, message=call.error.message)
        return cls(attempt=call.attempt, candidate=call.candidate, tool=call.tool, arguments=call.arguments, result=call.result,
                   error=error, ms=round(call.ms, RUN_MS_DIGITS), replayed=call.replayed)


class AttemptRecord(_Record):
    """One program the model wrote and what became of it."""

    number: int
    """The round it was written in, 1-based (with one program per round, the attempt's number)."""
    candidate: int
    """Its place in the round, 1-based."""
    code: str | None = None
    """The module extracted from the reply (null: the reply held no code)."""
    failure: FailureRecord | None = None
    """Why it failed; null when it passed."""
    feedback: str | None = None
    """The text about its failure, as the model was sent it."""
    logs: list[str] = []
    """What the code printed."""
    model_ms: float
    """Time waiting for the model's reply (a request for several programs counts on its first)."""
    validate_ms: float
    """Time to extract and pre-validate the code."""
    run_ms: float
    """Time to run the code in the sandbox and check its value."""
    input_tokens: int
    """Tokens of the request (on a request's first program only)."""
    output_tokens: int
    """Tokens of the reply (on a request's first program only)."""
    tool_calls: list[ToolCallRecord] = []
    """Every call the program made to the caller's tools, in order of issue."""

    @classmethod
    def of(cls, attempt: Attempt) -> AttemptRecord:
        return cls(number=attempt.number, candidate=attempt.candidate, code=attempt.code,
                   failure=None if attempt.failure is None else FailureRecord.of(attempt.failure), feedback=attempt.feedback,
                   logs=list(attempt.logs), model_ms=round(attempt.model_ms, MODEL_MS_DIGITS),
                   validate_ms=round(attempt.validate_ms, RUN_MS_DIGITS), run_ms=round(attempt.run_ms, RUN_MS_DIGITS),
                   input_tokens=attempt.usage.input_tokens, output_tokens=attempt.usage.output_tokens,
                   tool_calls=[ToolCallRecord.of(call) for call in attempt.tool_calls])


class CandidateRecord(_Record):
    """A distinct value that passed, how many programs gave it, and one module that did."""

    value: Any = None
    """The value."""
    count: int
    """How many programs gave it."""
    code: str
    """The module of the first program that gave it."""

    @classmethod
    def of(cls, candidate: Candidate) -> CandidateRecord:
        return cls(value=candidate.value, count=candidate.count, code=candidate.code)


class UsageRecord(_Record):
    """Requests and tokens spent on the model."""

    requests: int
    """Requests sent to the model."""
    input_tokens: int
    """Tokens of all requests."""
    output_tokens: int
    """Tokens of all replies."""

    @classmethod
    def of(cls, usage: RunUsage) -> UsageRecord:
        return cls(requests=usage.requests, input_tokens=usage.input_tokens, output_tokens=usage.output_tokens)


class TimingsRecord(_Record):
    """Where the time went, in milliseconds."""

    total_ms: float
    """From the call to the answer (or the failure)."""
    model_ms: float
    """Waiting for the model, over all attempts."""
    validate_ms: float
    """Extracting and pre-validating code, over all attempts."""
    run_ms: float
    """Running code in the sandbox and checking values, over all attempts."""

    @classmethod
    def of(cls, attempts: Sequence[Attempt], total_ms: float) -> TimingsRecord:
        return cls(total_ms=round(total_ms, MODEL_MS_DIGITS), model_ms=round(sum(a.model_ms for a in attempts), MODEL_MS_DIGITS),
                   validate_ms=round(sum(a.validate_ms for a in attempts), RUN_MS_DIGITS),
                   run_ms=round(sum(a.run_ms for a in attempts), RUN_MS_DIGITS))


class SolveOutcome(_Record):
    """A solve, as `jsolve solve --json` prints it."""

    ok: bool
    """Whether the solve answered (a value passed every check)."""
    value: Any = None
    """The answer (null when the solve failed)."""
    code: str | None = None
    """The module that produced the answer; when the solve failed, the last attempt's code."""
    model: str | None = None
    """The model that wrote the answer (null when the solve failed)."""
    agreement: float | None = None
    """The share of the passing programs that gave the answer (null when the solve failed)."""
    agreed: bool = False
    """At least two programs gave the answer, more than half of those that passed."""
    candidates: list[CandidateRecord] = []
    """Each distinct value that passed, most programs first (the first is the answer)."""
    attempts: list[AttemptRecord] = []
    """Every program the model wrote, in order of rounds."""
    usage: UsageRecord | None = None
    """Requests and tokens summed over all attempts."""
    timings: TimingsRecord
    """Where the time went."""
    tool_calls: list[ToolCallRecord] = []
    """Every call every program made to the caller's tools, program after program (each also
    under its attempt)."""

    @classmethod
    def of(cls, result: Solution | SolveFailed, *, total_ms: float | None = None) -> SolveOutcome:
        """The outcome of a solve that answered (`Solution`) or failed (`SolveFailed`). `total_ms`
        is the time from the call to the failure (a `SolveFailed` does not carry it); a
        `Solution`'s own duration is used unless it is given."""
        if isinstance(result, SolveFailed):
            if total_ms is None:
                raise UsageError("SolveOutcome.of(failed) needs total_ms: the time from the call to the failure")
            return cls(ok=False, code=result.code, candidates=[CandidateRecord.of(c) for c in result.candidates],
                       attempts=[AttemptRecord.of(a) for a in result.attempts], usage=UsageRecord.of(result.usage),
                       timings=TimingsRecord.of(result.attempts, total_ms), tool_calls=[ToolCallRecord.of(c) for c in result.tool_calls])
        return cls(ok=True, value=result.value, code=result.code, model=result.model_name,
                   agreement=round(result.agreement, AGREEMENT_DIGITS), agreed=result.agreed,
                   candidates=[CandidateRecord.of(c) for c in result.candidates], attempts=[AttemptRecord.of(a) for a in result.attempts],
                   usage=UsageRecord.of(result.usage),
                   timings=TimingsRecord.of(result.attempts, result.duration_ms if total_ms is None else total_ms),
                   tool_calls=[ToolCallRecord.of(c) for c in result.tool_calls])

    def json_data(self) -> dict[str, Any]:
        """The outcome as plain JSON data (dicts, lists, strings, numbers), keys in the order above."""
        return self.model_dump(mode="json", by_alias=True)
