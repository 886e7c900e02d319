"""jsolve: a model writes JavaScript, jsolve checks it, runs it in a QuickJS sandbox and
repairs it until the value has the shape the caller asked for."""

from typing import TYPE_CHECKING

from agent._lazy import lazy_exports

_EXPORTS = {
    **dict.fromkeys(["JsolveError", "ModelRejected", "ModelUnavailable", "SandboxClosed", "SolveFailed", "UsageError"], "agent.errors"),
    **dict.fromkeys(["Failure", "FailureKind"], "agent.failures"),
    **dict.fromkeys(["Attempt", "Solution", "SolveSettings", "asolve", "solve"], "agent.solve"),
}
__all__ = sorted(_EXPORTS)
lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from agent.errors import JsolveError, ModelRejected, ModelUnavailable, SandboxClosed, SolveFailed, UsageError
    from agent.failures import Failure, FailureKind
    from agent.solve import Attempt, Solution, SolveSettings, asolve, solve
