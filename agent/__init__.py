"""jsolve: a model writes JavaScript, jsolve checks it, runs it in a QuickJS sandbox and
repairs it until the value has the shape the caller asked for."""

from agent.errors import JsolveError, SandboxClosed, UsageError

__all__ = ["JsolveError", "SandboxClosed", "UsageError"]
