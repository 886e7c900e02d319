"""The exceptions jsolve raises.

    JsolveError
    ├── UsageError            the caller asked for something that cannot work (bad argument,
    │                         unknown model name, invalid JSON Schema); raised before any work
    ├── SandboxClosed         the sandbox pool was used after `close()`
    ├── SolveFailed           the model could not produce a passing value within the budget
    └── ModelUnavailable      the model provider kept failing (429, 5xx, timeouts, resets)
                              after retries; distinct from SolveFailed on purpose

A failed *run* of guest code is not an exception: `Sandbox.run` returns a `RunResult` whose
`error` says what went wrong. Exceptions of dependencies are translated where they are called,
with `raise ... from`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.failures import Failure
    from agent.attempts import Attempt, Usage

__all__ = ["JsolveError", "UsageError", "SandboxClosed", "SolveFailed", "ModelUnavailable"]


class JsolveError(Exception):
    """Base of every exception jsolve raises on purpose."""


class UsageError(JsolveError, ValueError):
    """An argument, option or configuration value that cannot work; the message says how to fix it."""


class SandboxClosed(JsolveError, RuntimeError):
    """The sandbox pool was used after it was closed."""


class SolveFailed(JsolveError):
    """The budget was spent without a value that passed every check."""

    def __init__(self, message: str, *, attempts: list[Attempt], usage: Usage) -> None:
        super().__init__(message)
        self.attempts = attempts
        """Every attempt the model made, in order."""
        self.usage = usage
        """Tokens and requests summed over all attempts."""

    @property
    def last_failure(self) -> Failure | None:
        """The failure of the last attempt (None if the model never answered)."""
        return self.attempts[-1].failure if self.attempts else None

    @property
    def last_code(self) -> str | None:
        """The code of the last attempt, if it had any."""
        return self.attempts[-1].code if self.attempts else None


class ModelUnavailable(JsolveError):
    """The model provider could not be reached or kept failing after retries."""

    def __init__(self, message: str, *, attempts: list[Attempt] | None = None, usage: Usage | None = None) -> None:
        super().__init__(message)
        self.attempts = attempts or []
        """Attempts completed before the provider failed."""
        self.usage = usage
        """Usage summed over those attempts."""
