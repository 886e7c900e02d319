"""The exceptions jsolve raises.

    JsolveError
    ├── UsageError            the caller asked for something that cannot work (bad argument,
    │                         unknown model name, invalid JSON Schema); raised before any work
    └── SandboxClosed         the sandbox pool was used after `close()`

A failed *run* of guest code is not an exception: `Sandbox.run` returns a `RunResult` whose
`error` says what went wrong. Exceptions of dependencies are translated where they are called,
with `raise ... from`.
"""

from __future__ import annotations

__all__ = ["JsolveError", "UsageError", "SandboxClosed"]


class JsolveError(Exception):
    """Base of every exception jsolve raises on purpose."""


class UsageError(JsolveError, ValueError):
    """An argument, option or configuration value that cannot work; the message says how to fix it."""


class SandboxClosed(JsolveError, RuntimeError):
    """The sandbox pool was used after it was closed."""
