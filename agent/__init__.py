"""jsolve: a model writes JavaScript, jsolve checks it, runs it in a QuickJS sandbox and
repairs it until the value has the shape the caller asked for."""

from agent.errors import JsolveError, ModelRejected, ModelUnavailable, SandboxClosed, SolveFailed, UsageError
from agent.failures import Failure, FailureKind
from agent.solve import Attempt, Solution, SolveSettings, asolve, solve

__all__ = [
    "Attempt", "Failure", "FailureKind", "JsolveError", "ModelRejected", "ModelUnavailable", "SandboxClosed", "Solution",
    "SolveFailed", "SolveSettings", "UsageError", "asolve", "solve",
]
