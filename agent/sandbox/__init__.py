"""Run JavaScript in QuickJS worker processes that nothing can escape."""

from typing import TYPE_CHECKING

from agent.exports import lazy

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


__getattr__ = lazy(__name__, _EXPORTS)


if TYPE_CHECKING:
    from agent.sandbox.inputs import Inputs
    from agent.sandbox.limits import Limits
    from agent.sandbox.network import NetworkPolicy
    from agent.sandbox.pool import Sandbox
    from agent.sandbox.result import ErrorKind, LogEntry, RunError, RunResult
