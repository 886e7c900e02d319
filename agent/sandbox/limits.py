"""Limits of one sandbox run: frozen, keyword-only, `None` meaning "no limit"."""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = ["Limits", "lowered_timeout"]

DEFAULT_TIMEOUT = 5.0
"""Seconds of wall clock: ample for the small programs models write, short enough to fail fast."""

DEFAULT_MEMORY_MB = 128
"""MiB the engine may allocate: far above what a typical answer needs, far below the machine."""

DEFAULT_STACK_KB = 2048
"""KiB of engine stack: about 1,400 frames of a small recursive function (1 MiB, QuickJS's own
default, overflows near 700, which model-written recursion reaches); well inside the worker's
8 MiB native stack, and small enough that runaway recursion hits it before the memory cap."""

DEFAULT_OUTPUT_BYTES = 1024 * 1024
"""Bytes of the exported value as JSON: a value bigger than this is rarely an answer."""

DEFAULT_CONSOLE_LINES = 1000
"""console lines kept; more are counted and reported as cut."""

DEFAULT_CONSOLE_BYTES = 64 * 1024
"""console bytes kept, summed over lines."""

DEFAULT_MAX_TOOL_CALLS = 256
"""Tool calls per run: a program that loops over pages and joins a few tools makes dozens; one
that makes hundreds is usually calling in a loop it should not (langchain-quickjs caps at 256 too).
Each call runs the caller's code, so a cap keeps a runaway loop from hammering the application."""

DEFAULT_MAX_CONCURRENT_TOOL_CALLS = 16
"""Tool calls of one run out at once; the others wait in the run's queue. `Promise.all` over a
list is the common shape: 16 at once gets most of the speed of running them all, without one
run flooding the caller's event loop or its thread pool (sync tools run on threads)."""

DEFAULT_MAX_TOOL_BYTES = 1024 * 1024
"""Bytes of JSON of one call's arguments, and of one call's result: as much as a run's value may
take (`DEFAULT_OUTPUT_BYTES`); a tool that returns more should page its results."""

DEFAULT_MAX_TOOL_TOTAL_BYTES = 16 * 1024 * 1024
"""Bytes of JSON of all of a run's calls, arguments and results together: sixteen full-size
results, far under the engine's memory cap that has to hold them parsed."""

DEFAULT_TOOL_TIMEOUT = 10.0
"""Seconds one tool call may take before it is cancelled and its promise rejects (`timeout`):
a tool that hangs must not hold the run to its whole deadline, which, waiting included, still
holds too (the default run timeout, 5 s, comes first unless a run raises it)."""

MAX_TIMEOUT = 7 * 24 * 3600.0
"""Seconds: the largest finite timeout taken (a week). Past it, deadlines and `select` waits
overflow; a caller who wants no limit passes None."""

MAX_COUNT = 1 << 40
"""The largest integer limit taken: MiB and KiB are shifted into bytes for the engine's C
setters (64-bit sizes), and no real cap comes near it."""

_INTEGER_FIELDS = ("memory_mb", "stack_kb", "output_bytes", "console_lines", "console_bytes", "max_tool_calls",
                   "max_concurrent_tool_calls", "max_tool_bytes", "max_tool_total_bytes")


@dataclass(frozen=True, kw_only=True, slots=True)
class Limits:
    """What one run may use. Every field can be set per run; `None` means no limit."""

    timeout: float | None = DEFAULT_TIMEOUT
    """Wall-clock seconds for the whole run, fetches included. The worker is killed and
    replaced if it does not answer within this plus a small grace period."""

    memory_mb: int | None = DEFAULT_MEMORY_MB
    """MiB of memory the engine may allocate."""

    stack_kb: int | None = DEFAULT_STACK_KB
    """KiB of stack the engine may use for JavaScript recursion."""

    output_bytes: int | None = DEFAULT_OUTPUT_BYTES
    """Size cap of the exported value as JSON; a larger value is an `output` error."""

    console_lines: int | None = DEFAULT_CONSOLE_LINES
    """How many console lines are kept."""

    console_bytes: int | None = DEFAULT_CONSOLE_BYTES
    """How many bytes of console text are kept."""

    max_tool_calls: int | None = DEFAULT_MAX_TOOL_CALLS
    """Tool calls the run may make; past it, a call rejects with a `PolicyError` (uncaught: a
    `policy` failure)."""

    max_concurrent_tool_calls: int | None = DEFAULT_MAX_CONCURRENT_TOOL_CALLS
    """Tool calls of the run out at once; the others wait their turn (nothing fails)."""

    max_tool_bytes: int | None = DEFAULT_MAX_TOOL_BYTES
    """Bytes of JSON of one call's arguments, and of its result; past it, the call rejects with a
    `PolicyError`."""

    max_tool_total_bytes: int | None = DEFAULT_MAX_TOOL_TOTAL_BYTES
    """Bytes of JSON of the run's calls, arguments and results summed; past it, a call rejects
    with a `PolicyError`."""

    tool_timeout: float | None = DEFAULT_TOOL_TIMEOUT
    """Seconds one tool call may take: past it the call is cancelled and its promise rejects with
    a `TimeoutError` (uncaught: a `timeout` failure). The run's `timeout` holds all the same."""

    ceiling: bool = False
    """Whether `memory_mb` and `timeout` also bound the run's inputs, as an operator's limits for
    a caller it does not trust (an MCP client): the inputs must fit in the memory limit beside
    what the code allocates (inputs whose JSON text alone does not are refused), and their loading
    counts in the timeout. Otherwise (a caller's own data) the memory limit is raised by what the
    inputs take parsed, and the timeout starts once they are loaded."""

    def __post_init__(self) -> None:
        from agent.arguments import positive_count, require, seconds

        # Validated here rather than converted: a float MiB count or an infinite timeout used to
        # reach the worker and crash it, or overflow a deadline in the supervisor.
        require(isinstance(self.ceiling, bool), f"Limits.ceiling must be True or False, got {self.ceiling!r}")
        seconds(self.timeout, "Limits.timeout", at_most=MAX_TIMEOUT)
        seconds(self.tool_timeout, "Limits.tool_timeout", at_most=MAX_TIMEOUT)
        for name in _INTEGER_FIELDS:
            positive_count(getattr(self, name), f"Limits.{name}", optional=True, at_most=MAX_COUNT)


def lowered_timeout(limits: Limits, asked: object) -> Limits:
    """`limits` with the timeout a less trusted caller asked for (an MCP client, an agent using
    the toolset), which may only lower it: a positive number of seconds below the limit (any, up
    to `MAX_TIMEOUT`, when there is none) is taken; anything else (None, more than the limit, not
    a number) leaves the limit as it is."""
    if isinstance(asked, bool) or not isinstance(asked, (int, float)) or not 0 < asked <= MAX_TIMEOUT:
        return limits
    if limits.timeout is not None and asked >= limits.timeout:
        return limits
    return replace(limits, timeout=float(asked))
