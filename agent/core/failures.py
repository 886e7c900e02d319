"""Why an attempt failed, as a typed value, and the one function that turns it into words.

Every stage of the pipeline (extraction, pre-validation, the sandbox run, the output check)
reports a `Failure`, of one of the kinds listed, with where each comes from, in
`agent.failure_kinds`. `feedback()` renders it; the same text goes to the model, into the attempt
record and into the log event, so the three never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agent import prompts
from agent.failure_kinds import FailureKind
from agent.sandbox import RunError
from agent.text import (  # well_formed: model-written code can hold lone surrogates, and so the feedback that quotes it
    clip,
    well_formed,
)

__all__ = ["Failure", "FailureKind", "feedback", "from_run_error", "well_formed"]

MAX_LOG_LINES = 20
"""Console lines quoted back to the model: enough to debug, few enough for a small context."""

MAX_QUOTED_LINE = 200
"""Characters of the failing line quoted back to the model."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Failure:
    """One failed attempt's diagnosis."""

    kind: FailureKind
    """Which stage failed, and how (`agent.failure_kinds.KINDS` says what each kind means)."""
    message: str
    """What went wrong, in words the model can act on."""
    line: int | None = None
    """1-based line in the model's code, when known."""
    column: int | None = None
    """1-based column in the model's code, when known."""
    name: str | None = None
    """The JS error's name (`TypeError`...), for errors the code threw."""
    logs: tuple[str, ...] = field(default=())
    """What the code printed before it failed."""
    hint: str | None = None
    """Advice for this failure where its kind's hint (`prompts/hints.yaml`) does not fit it."""


def from_run_error(error: RunError, logs: tuple[str, ...] = ()) -> Failure:
    """The failure of a sandbox run."""
    return Failure(kind=error.kind, message=error.message, line=error.line, column=error.column, name=error.name, logs=logs)


def feedback(failure: Failure, code: str | None = None, *, effects: str = "") -> str:
    """The text the model reads about `failure` (also logged and recorded). Given the attempt's
    `code`, it quotes the line the error points at: small models do not count lines. `effects`
    lists the calls of tools with effects that already happened in the solve, one per line
    (`agent.tools.EffectLog.describe`), so the next program does not expect to make them anew."""
    where = f" at line {failure.line}" + (f", column {failure.column}" if failure.column else "") if failure.line else ""
    name = f"{failure.name}: " if failure.name else ""
    problem = f"{failure.kind} error{where}: {name}{failure.message}"
    details = []
    if code is not None and failure.line and (source := _source_line(code, failure.line)):
        details.append(f"Line {failure.line} is: {source}")
    details.append(f"Hint: {failure.hint or prompts.hints()[failure.kind]}")
    if failure.logs:
        shown = failure.logs[-MAX_LOG_LINES:]
        cut = f" (last {len(shown)} of {len(failure.logs)})" if len(shown) < len(failure.logs) else ""
        details.append(f"Console output{cut}:\n" + "\n".join(shown))
    if effects:
        details.append(prompts.render("effects", calls=effects))
    text: str = well_formed(prompts.render("repair", problem=problem, details="\n".join(details)))
    return text


def _source_line(code: str, number: int) -> str | None:
    lines = code.splitlines()
    if not 1 <= number <= len(lines) or not (text := lines[number - 1].strip()):
        return None
    return clip(text, MAX_QUOTED_LINE)
