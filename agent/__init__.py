"""jsolve: a model writes JavaScript, jsolve checks it, runs it in a QuickJS sandbox and
repairs it until the value has the shape the caller asked for."""

from typing import TYPE_CHECKING

from agent.exports import lazy

_EXPORTS = {
    **dict.fromkeys(["JsolveError", "ModelRejected", "ModelUnavailable", "SandboxClosed", "SolveFailed", "UsageError"], "agent.errors"),
    **dict.fromkeys(["Failure", "FailureKind"], "agent.core.failures"),
    **dict.fromkeys(["Attempt", "Solution", "SolveSettings", "asolve", "solve"], "agent.core.loop"),
}
__all__ = [
    "Attempt",
    "Failure",
    "FailureKind",
    "JsolveError",
    "ModelRejected",
    "ModelUnavailable",
    "SandboxClosed",
    "Solution",
    "SolveFailed",
    "SolveSettings",
    "UsageError",
    "asolve",
    "solve",
]


__getattr__ = lazy(__name__, _EXPORTS)


if TYPE_CHECKING:
    from agent.core.failures import Failure, FailureKind
    from agent.core.loop import Attempt, Solution, SolveSettings, asolve, solve
    from agent.errors import (
        JsolveError,
        ModelRejected,
        ModelUnavailable,
        SandboxClosed,
        SolveFailed,
        UsageError,
    )
