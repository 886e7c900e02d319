"""jsolve: a model writes JavaScript, jsolve checks it, runs it in a QuickJS sandbox and
repairs it until the value has the shape the caller asked for."""

import importlib
from typing import TYPE_CHECKING, Any

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


def __getattr__(name: str) -> Any:
    """Each public name is imported on first use (PEP 562): `import agent.sandbox.worker` (a
    sandbox worker) and `jsolve run` do not pay for the model side they never touch."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


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
