"""Run JavaScript in QuickJS worker processes that nothing can escape."""

from agent.sandbox.limits import Limits
from agent.sandbox.network import NetworkPolicy
from agent.sandbox.pool import Sandbox
from agent.sandbox.result import ErrorKind, LogEntry, RunError, RunResult

__all__ = ["ErrorKind", "Limits", "LogEntry", "NetworkPolicy", "RunError", "RunResult", "Sandbox"]
