"""The sandbox as a tool of a pydantic-ai agent.

    from agent.toolset import sandbox_toolset
    agent = Agent("openai:gpt-4.1", toolsets=[sandbox_toolset(network=NetworkPolicy(allow_hosts=["api.github.com"]))])

The agent gets one tool, `run_javascript(code, timeout?)`. A run that passes returns what
`jsolve run --json` prints (value, logs, duration); a run that fails raises `ModelRetry` with the
text `solve` sends its own model about a failure (what failed, on which line, quoting it, a hint
and the console output), so the calling agent repairs its own code. The caller's limits and
network policy hold for every call: the agent may lower a run's timeout, nothing more.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from agent.arguments import instance, whole_count
from agent.core.failures import feedback, from_run_error
from agent.defaults import DEFAULT_TOOL_RETRIES
from agent.errors import UsageError
from agent.sandbox.inputs import INPUTS_MODULE, Inputs
from agent.sandbox.limits import Limits, lowered_timeout
from agent.sandbox.result import RunResult

if TYPE_CHECKING:
    from pydantic_ai.toolsets import FunctionToolset

    from agent.sandbox.network import NetworkPolicy
    from agent.sandbox.pool import Sandbox

__all__ = ["DEFAULT_RETRIES", "describe_sandbox", "failure_text", "sandbox_toolset"]

DEFAULT_RETRIES = DEFAULT_TOOL_RETRIES
"""Failed runs in a row the agent may repair before its run stops (`agent.defaults`)."""


def failure_text(result: RunResult, code: str | None = None) -> str:
    """What a model reads about a failed run: `agent.core.failures.feedback` of the run's error, with
    its console output; given the `code`, it quotes the line the error points at."""
    if result.error is None:
        raise UsageError("failure_text needs a failed run (a RunResult whose ok is False)")
    logs = tuple(entry.text if entry.level in ("log", "info", "debug") else f"[{entry.level}] {entry.text}" for entry in result.logs)
    return feedback(from_run_error(result.error, logs), code)


def sandbox_toolset(*, network: NetworkPolicy | None = None, limits: Limits | None = None, inputs: Inputs | Mapping[str, Any] | None = None,
                    sandbox: Sandbox | None = None, max_retries: int = DEFAULT_RETRIES) -> FunctionToolset[Any]:
    """A toolset with `run_javascript`, for `Agent(toolsets=[...])`.

    `network` lets the code fetch what the policy allows (default: the network is off);
    `limits` bound every run (default: `Limits()`; the agent may ask for a shorter timeout, never
    a longer one); `inputs` (names to JSON values) are read-only globals of every run; `sandbox`
    is the pool to run on (default: the process-wide pool `solve` uses, started on the first
    call). `max_retries` is how many failed runs the agent may repair (each failure raises
    `ModelRetry`) before pydantic-ai stops the run."""
    from pydantic_ai import ModelRetry
    from pydantic_ai.toolsets import FunctionToolset

    whole_count(max_retries, "max_retries")
    instance(limits, "limits", Limits, "a Limits")
    if network is not None:
        from agent.sandbox.network import NetworkPolicy

        instance(network, "network", NetworkPolicy, "a NetworkPolicy")
    base = limits or Limits()
    data = inputs if isinstance(inputs, Inputs) or inputs is None else Inputs(inputs)

    async def run_javascript(code: str, timeout: float | None = None) -> dict[str, Any]:
        """Run a JavaScript module and return its default export.

        Args:
            code: The module; it must `export default` its result.
            timeout: Seconds the run may take; at most the limit the toolset was built with.
        """
        run_limits = lowered_timeout(base, timeout)
        pool = sandbox
        if pool is None:
            from agent.core.loop import default_sandbox

            pool = default_sandbox()
        result = await pool.run_async(code, limits=run_limits, network=network, inputs=data or None)
        if not result.ok:
            raise ModelRetry(failure_text(result, code))
        return result.to_json()

    toolset: FunctionToolset[Any] = FunctionToolset(max_retries=max_retries)
    toolset.add_function(run_javascript, takes_ctx=False, description=_description(base, network, data))
    return toolset


def describe_sandbox(limits: Limits, network: NetworkPolicy | None) -> str:
    """What a model should know of the sandbox before writing code for it (tool descriptions)."""
    net = ("fetch() reaches only " + ", ".join(network.allow_hosts) + " (public addresses only)"
           if network is not None else "the network is off (no fetch)")
    timeout = f"{limits.timeout:g} s" if limits.timeout is not None else "no time limit"
    memory = f"{limits.memory_mb} MiB" if limits.memory_mb is not None else "no memory limit"
    return ("The code runs in a QuickJS sandbox as an ES module: top-level await works, and the result is "
            "`export default <value>` (JSON-like; BigInt is fine). Standard JavaScript only: no Node.js or browser APIs "
            f"(no require, process, fs, imports, DOM); console.* is captured; {net}. Each run is fresh; limits: {timeout}, {memory}.")


def _description(limits: Limits, network: NetworkPolicy | None, inputs: Inputs | None) -> str:
    given = (" The caller's data, read-only: `import { " + ", ".join(inputs) + " } from \"" + INPUTS_MODULE + "\";` (the one import "
             "allowed; they are also globals of those names).") if inputs else ""
    return ("Run JavaScript and return its default export (`value`), its console output (`logs`) and its duration. "
            + describe_sandbox(limits, network) + given
            + " A failed run comes back as a retry that says what failed and on which line: fix the code and call again.")
