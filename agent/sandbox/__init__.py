"""Run JavaScript in QuickJS worker processes that nothing can escape."""

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "Inputs": "agent.sandbox.inputs",
    "Limits": "agent.sandbox.limits",
    "NetworkPolicy": "agent.sandbox.network",
    "Sandbox": "agent.sandbox.pool",
    **dict.fromkeys(["ErrorKind", "LogEntry", "RunError", "RunResult"], "agent.sandbox.result"),
}
__all__ = [
    "ErrorKind",
    "Inputs",
    "Limits",
    "LogEntry",
    "NetworkPolicy",
    "RunError",
    "RunResult",
    "Sandbox",
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
    from agent.sandbox.inputs import Inputs
    from agent.sandbox.limits import Limits
    from agent.sandbox.network import NetworkPolicy
    from agent.sandbox.pool import Sandbox
    from agent.sandbox.result import ErrorKind, LogEntry, RunError, RunResult
