"""Every way an attempt can fail: the failure kinds, each with what it means and where it is
decided, in one table (`KINDS`). Everything else follows it: the types (`FailureKind`, and the
sandbox's `ErrorKind`), the kinds the sandbox accepts from each of its parts, and the hints the
model reads (`prompts/hints.yaml`, one per kind); `tests/test_failure_kinds.py` holds them, the
worker and the sandbox's JavaScript to it.

Not failure kinds, and never passed off as one: an eval case's verdict
(`agent.evals.report.Verdict`: solved, a wrong answer, rejected...) and the error of a reply to
the code's `fetch` (`agent.sandbox.result.FetchErrorKind`).

Imports nothing but a few modules of the standard library: the sandbox's worker processes import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

__all__ = [
    "HINTED_KINDS", "KINDS", "SANDBOX_KINDS", "SCRIPT_KINDS", "WORKER_KINDS", "ErrorKind", "FailureKind", "Kind", "Source",
]

ErrorKind = Literal["syntax", "policy", "contract", "runtime", "tool", "timeout", "memory", "stack", "output", "check", "crash"]
"""The kinds a sandbox run reports (`RunError.kind`): those of `KINDS` decided in the sandbox
(`SANDBOX_KINDS`)."""

FailureKind = Literal["extract", ErrorKind, "schema", "repeat", "precision", "disagree"]
"""Why an attempt failed (`Failure.kind`): a key of `KINDS`, where each is explained."""

Source = Literal["loop", "run", "check", "pool"]
"""Where a failure kind is decided:

- `loop`: a stage of the solve loop, in the caller's process (`agent.core`): extraction,
  pre-validation, the shape check, and the repeat, precision and agreement checks.
- `run`: the sandbox run of the model's code: the engine, the sandbox's JavaScript or the worker.
- `check`: the sandbox run of the caller's `check` code. The worker decides it: what the
  sandbox's JavaScript reports cannot claim it.
- `pool`: the sandbox pool, when a worker process dies. A worker's report cannot claim it.
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Kind:
    """One failure kind."""

    meaning: str
    """What went wrong, in one line. (The model reads the kind's hint, `prompts/hints.yaml`.)"""
    sources: tuple[Source, ...]
    """Where it is decided (a kind the loop finds before the run may also come from the run)."""


KINDS: MappingProxyType[FailureKind, Kind] = MappingProxyType({
    "extract": Kind(meaning="The reply holds no code: no code block, or one cut at the token limit, or an empty reply.",
                    sources=("loop",)),
    "syntax": Kind(meaning="The code does not parse.", sources=("loop", "run")),
    "policy": Kind(meaning="A forbidden construct: `require`, `process`, an import, `fetch` while the network is off, "
                           "a refused request.", sources=("loop", "run")),
    "contract": Kind(meaning="No `export default`, or the default export is a function that was never called.",
                     sources=("loop", "run")),
    "runtime": Kind(meaning="The code threw (or rejected with) an error.", sources=("run",)),
    "tool": Kind(meaning="A tool of the caller raised, and the code did not catch the `ToolError` its call rejected with.",
                 sources=("run",)),
    "timeout": Kind(meaning="The run overran its wall clock, or awaited something that can never settle.", sources=("run",)),
    "memory": Kind(meaning="The engine ran out of its memory allowance.", sources=("run",)),
    "stack": Kind(meaning="Recursion deeper than the engine's stack allows.", sources=("run",)),
    "output": Kind(meaning="The value cannot be turned into JSON (a cycle, NaN, a Promise...) or is too large.",
                   sources=("run",)),
    "check": Kind(meaning="The caller's `check` code threw: the value is not the one the caller expects.", sources=("check",)),
    "crash": Kind(meaning="The worker process died; the next run gets a fresh one.", sources=("pool",)),
    "schema": Kind(meaning="The value does not match the requested shape.", sources=("loop",)),
    "repeat": Kind(meaning="The code is the same as an attempt that already failed.", sources=("loop",)),
    "precision": Kind(meaning="The value holds an integer past 2^53 computed with Number, so its digits were rounded "
                              "(a BigInt would have kept them).", sources=("loop",)),
    "disagree": Kind(meaning="Independent programs gave different values (with `samples`), or agreed less than "
                             "`min_agreement` asks.", sources=("loop",)),
})
"""Every failure kind, by name: the one list."""


def _from(*sources: Source) -> frozenset[FailureKind]:
    return frozenset(name for name, kind in KINDS.items() if not set(kind.sources).isdisjoint(sources))


SANDBOX_KINDS = _from("run", "check", "pool")
"""The kinds a sandbox run may report: `ErrorKind`'s values."""

WORKER_KINDS = _from("run", "check")
"""The kinds the pool accepts in a worker's result: a `crash` is the pool's to decide."""

SCRIPT_KINDS = _from("run")
"""The kinds the worker accepts in the report of the sandbox's JavaScript: a `check` failure is
the worker's to decide (as is the kind of an error the report leaves without one)."""

HINTED_KINDS = frozenset(KINDS)
"""The kinds the model is told about, each with one hint in `prompts/hints.yaml`: all of them,
since every failure reaches the model as feedback (`agent.core.failures.feedback`)."""
