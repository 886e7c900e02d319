"""The defaults a user can change from more than one front end: `solve()`, `jsolve solve`,
`jsolve eval`, `jsolve mcp`, the pydantic-ai toolset and the Ray backend all read them here, so
that changing one is a one-line edit.

What only one place reads stays there: the sandbox's limits in `agent.sandbox.limits`, the fetch
policy's caps in `agent.sandbox.network`, the sampling temperatures of the repair loop on
`agent.core.loop.SolveSettings`, the local model's settings in `agent.models.local`.

Imports nothing: the worker processes and `jsolve run` may read it for free.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_ATTEMPTS", "DEFAULT_CONCURRENCY", "DEFAULT_MAX_SAMPLES", "DEFAULT_MIN_AGREEMENT", "DEFAULT_RAY_WORKERS",
    "DEFAULT_SAMPLES", "DEFAULT_SAMPLE_TEMPERATURE", "DEFAULT_TOOL_RETRIES",
]

DEFAULT_ATTEMPTS = 4
"""Rounds per instruction (`max_attempts`, `--max-attempts`): most repairable failures are fixed
by the second or third. Also the most an MCP client's solve may ask for unless the operator
allows more."""

DEFAULT_SAMPLES = 1
"""Programs per round (`samples`, `--samples`): one program, and the first that passes is the
answer. More make the answer the value most programs agree on, at that many times the tokens."""

DEFAULT_MAX_SAMPLES = 4
"""The most programs per round an MCP client's solve may ask for unless the operator allows more
(`--max-samples`): enough for a majority of three against one, and a client cannot make one
call cost more than `DEFAULT_ATTEMPTS x 4` programs of the operator's model."""

DEFAULT_SAMPLE_TEMPERATURE = 0.8
"""Temperature of the extra programs of a round. On 40 held-out tasks with the embedded model
(a greedy reply plus 4 sampled), 0.8 put the right value among the five on 22 tasks and made it
the most common passing value on 18, against 17 and 15 at 0.5: more of its programs fail to run
(77 of 160 against 61), but those are dropped from the vote, and the rest are more diverse."""

DEFAULT_MIN_AGREEMENT = 0.0
"""The share of the passing programs that must agree on the answer (`min_agreement`,
`--min-agreement`): 0, any agreement is answered, and the answer's agreement is reported, so the
caller decides what is enough."""

DEFAULT_TOOL_RETRIES = DEFAULT_ATTEMPTS - 1
"""Failed runs in a row an agent using the toolset may repair before its run stops: the repairs
of solve's own budget (pydantic-ai's default of 1 leaves a single repair)."""

DEFAULT_CONCURRENCY = 8
"""Eval cases in flight at once (`--concurrency`), on this machine or on each Ray worker: enough
to keep a remote model and the sandbox pool busy."""

DEFAULT_RAY_WORKERS = 2
"""Ray worker actors of an eval (`--workers` with `--ray`): two, so that a run on a cluster is
spread across it from the start without reserving more CPUs than a laptop's `--ray local` has."""
