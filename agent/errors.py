"""The exceptions jsolve raises.

    JsolveError
    ├── UsageError            the caller asked for something that cannot work (bad argument,
    │                         unknown model name, invalid JSON Schema); raised before any work
    ├── SandboxClosed         the sandbox pool was used after `close()`
    ├── SolveFailed           the model did not produce a passing value within the attempt budget
    │                         (or its programs did not agree enough); carries the attempts, the
    │                         summed usage, the last failure and the values that passed
    ├── ClusterUnavailable    the Ray cluster an eval was sent to could not be reached, or cannot
    │                         hold the workers asked for; raised before any case runs
    └── ModelUnavailable      the model could not be reached (network, rate limits, 5xx) even
        │                     after retries; not the model's fault, so not a `SolveFailed`
        ├── ModelRejected     the provider refused the request itself (a wrong API key, an unknown
        │                     model, a prompt past its context window, a spent quota, another 4xx):
        │                     retrying cannot help, the caller has to change something
        └── LocalModelError   the local model could not be prepared or started: its file failed
                              the pinned SHA-256, the parts do not add up, the cache folder is not
                              writable, or llama.cpp could not load the file (with its reason)

A failed *run* of guest code is not an exception: `Sandbox.run` returns a `RunResult` whose
`error` says what went wrong. Exceptions of dependencies are translated where they are called,
with `raise ... from`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic_ai.usage import RunUsage

    from agent.core.agreement import Candidate
    from agent.core.failures import Failure
    from agent.core.loop import Attempt, AttemptToolCall

__all__ = ["ClusterUnavailable", "JsolveError", "LocalModelError", "ModelRejected", "ModelUnavailable", "SandboxClosed", "SolveFailed", "UsageError"]


class JsolveError(Exception):
    """Base of every exception jsolve raises on purpose."""


class UsageError(JsolveError, ValueError):
    """An argument, option or configuration value that cannot work; the message says how to fix it."""


class SandboxClosed(JsolveError, RuntimeError):
    """The sandbox pool was used after it was closed."""


class SolveFailed(JsolveError):
    """The attempt budget was spent without a value that passed every check."""

    def __init__(self, message: str, *, attempts: list[Attempt], usage: RunUsage, failure: Failure,
                 candidates: list[Candidate] | None = None) -> None:
        super().__init__(message)
        self.attempts = attempts
        """Every attempt the model made (every program, with `samples`), in order."""
        self.usage = usage
        """Requests and tokens summed over all attempts."""
        self.failure = failure
        """Why the solve failed: the last attempt's failure, or a `disagree` failure when values
        passed but did not agree as much as `min_agreement` asks."""
        self.candidates = candidates or []
        """The distinct values that passed, most programs first (empty when none passed)."""

    @property
    def code(self) -> str | None:
        """The code of the last attempt, if the model sent any."""
        return self.attempts[-1].code if self.attempts else None

    @property
    def tool_calls(self) -> tuple[AttemptToolCall, ...]:
        """Every call the programs made to the caller's tools, each with its attempt number."""
        return tuple(call for attempt in self.attempts for call in attempt.tool_calls)


class ModelUnavailable(JsolveError):
    """The model provider could not be reached or kept failing (after retries with backoff)."""

    def __init__(self, message: str, *, usage: Any = None) -> None:
        super().__init__(message)
        self.usage = usage
        """Requests and tokens spent before the provider failed, when known."""


class ModelRejected(ModelUnavailable):
    """The provider refused the request (authentication, unknown model, context window, quota,
    another 4xx answer): a retry would get the same answer; the message says what it said."""

    def __init__(self, message: str, *, every_request: bool, usage: Any = None) -> None:
        super().__init__(message, usage=usage)
        self.every_request = every_request
        """Whether any request would be refused alike (a bad key, an unknown model, a spent
        quota), rather than only this one (a prompt past the context window)."""


class LocalModelError(ModelUnavailable):
    """The local model (embedded or a GGUF file) could not be prepared or started; the message says
    why and what to do. A missing runtime or model package, or a path that is not a GGUF file, is
    a `UsageError` instead."""


class ClusterUnavailable(JsolveError):
    """The Ray cluster could not be reached, or cannot hold the workers asked for (see `RayBackend`)."""
