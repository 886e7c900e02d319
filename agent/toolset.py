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

import dataclasses
from collections import OrderedDict
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from pydantic_ai import RunContext  # run_javascript's annotation, read when its schema is built

from agent.arguments import instance, whole_count
from agent.core.failures import feedback, from_run_error
from agent.defaults import DEFAULT_TOOL_RETRIES
from agent.errors import UsageError
from agent.sandbox.inputs import INPUTS_MODULE, Inputs
from agent.sandbox.limits import Limits, lowered_timeout
from agent.sandbox.result import RunResult

if TYPE_CHECKING:
    from pydantic_ai.tools import ToolDefinition
    from pydantic_ai.toolsets import AbstractToolset, FunctionToolset

    from agent.sandbox.network import NetworkPolicy
    from agent.sandbox.pool import Sandbox
    from agent.tools.registry import EffectLog, Tools

__all__ = ["DEFAULT_RETRIES", "REMEMBERED_RUNS", "code_mode", "describe_sandbox", "failure_text", "sandbox_toolset"]

REMEMBERED_RUNS = 64
"""Agent runs whose effects `code_mode` remembers (the newest): within one agent run an effectful
tool is called once per arguments, whatever programs the agent writes; a long-lived toolset
must not keep every run's record."""

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


def code_mode(toolset: AbstractToolset[Any], *, limits: Limits | None = None, network: NetworkPolicy | None = None,
              sandbox: Sandbox | None = None, max_retries: int = DEFAULT_RETRIES, effects: Collection[str] = ()) -> FunctionToolset[Any]:
    """A toolset with one tool, `run_javascript(code)`, whose code can call `toolset`'s tools: the
    calling model writes one program that calls them in loops and joins instead of one round trip
    per call (the QuickJS counterpart of pydantic-ai-harness's `CodeMode`).

    The tool's description carries the TypeScript declarations of `toolset`'s tools (listed with
    the agent run's `RunContext` at each step). In the sandbox each tool is an async function of
    one object of named arguments (`import { a } from "jsolve:tools"`); its arguments are checked
    against its schema, then it is called through `toolset.call_tool` with the agent run's own
    `RunContext`. A run that passes returns its value, logs and tool calls; a failed run raises
    `ModelRetry` with the repair text. Tools that require approval are left out (code cannot ask
    for approval); `effects` names tools that change the world: within one agent run they are
    called once per arguments, later calls getting the recorded result. `limits`, `network`,
    `sandbox` and `max_retries` are as for `sandbox_toolset`. TypeScript is accepted."""
    from pydantic_ai import ModelRetry
    from pydantic_ai.toolsets import AbstractToolset as Toolset
    from pydantic_ai.toolsets import FunctionToolset

    from agent.core.failures import Failure
    from agent.core.typescript import to_javascript

    instance(toolset, "toolset", Toolset, "a pydantic-ai toolset (FunctionToolset, an MCP toolset, ...)")
    whole_count(max_retries, "max_retries")
    instance(limits, "limits", Limits, "a Limits")
    base = limits or Limits()
    callable_tools = toolset.filtered(lambda ctx, definition: definition.kind != "unapproved")
    logs: OrderedDict[str, EffectLog] = OrderedDict()

    async def run_javascript(ctx: RunContext[Any], code: str) -> dict[str, Any]:
        """Run a JavaScript (or TypeScript) module that may call the tools, and return its default export.

        Args:
            code: The module; it imports the tools it calls from "jsolve:tools" and must `export default` its result.
        """
        runnable = to_javascript(code)
        if isinstance(runnable, Failure):
            raise ModelRetry(feedback(runnable, code))
        pool = sandbox
        if pool is None:
            from agent.core.loop import default_sandbox

            pool = default_sandbox()
        async with _RunTools(callable_tools, ctx, effects) as tools:
            result = await pool.run_async(runnable, limits=base, network=network, tools=tools, effects=_effect_log(logs, ctx))
        if not result.ok:
            raise ModelRetry(failure_text(result, code))
        return result.to_json()

    async def describe(ctx: RunContext[Any], definition: ToolDefinition) -> ToolDefinition:
        from agent.core.loop import describe_tools
        from agent.tools.registry import Tools

        async with Tools.of(callable_tools) as tools:
            declared = describe_tools(tools) if len(tools) else "There are no tools to call."
        return dataclasses.replace(definition, description=_code_mode_description(base, network) + "\n\n" + declared)

    wrapper: FunctionToolset[Any] = FunctionToolset(max_retries=max_retries)
    wrapper.add_function(run_javascript, takes_ctx=True, prepare=describe, description=_code_mode_description(base, network))
    return wrapper


def _code_mode_description(limits: Limits, network: NetworkPolicy | None) -> str:
    return ("Run JavaScript that calls the tools below and return its default export (`value`), its console output "
            "(`logs`) and the calls it made. Write one program that makes every call the task needs (loops, Promise.all, "
            "filters and joins in code) instead of one call at a time. " + describe_sandbox(limits, network)
            + " A failed run comes back as a retry that says what failed and on which line: fix the code and call again.")


def _effect_log(logs: OrderedDict[str, EffectLog], ctx: RunContext[Any]) -> EffectLog:
    """The record of effects of `ctx`'s agent run (the newest `REMEMBERED_RUNS` runs are kept)."""
    from agent.tools.registry import EffectLog

    key = str(ctx.run_id)
    if key not in logs:
        logs[key] = EffectLog()
        while len(logs) > REMEMBERED_RUNS:
            logs.popitem(last=False)
    logs.move_to_end(key)
    return logs[key]


class _RunTools:
    """The wrapped toolset's tools for one run, opened for it, each called through
    `toolset.call_tool` with the agent run's own `RunContext` (named for the tool)."""

    def __init__(self, toolset: AbstractToolset[Any], ctx: RunContext[Any], effects: Collection[str]) -> None:
        from agent.tools.registry import Tools

        self._toolset = toolset
        self._ctx = ctx
        self._listing = Tools.of(toolset, effects=effects)

    async def __aenter__(self) -> Tools:
        from agent.tools.registry import Tools

        await self._listing.open()
        try:
            listed = await self._toolset.get_tools(self._ctx)
            return Tools([self._with_context(tool, listed.get(tool.name)) for tool in self._listing])
        except BaseException:
            await self._listing.close()
            raise

    async def __aexit__(self, *exc_info: object) -> None:
        await self._listing.close()

    def _with_context(self, tool: Any, listed: Any) -> Any:
        if listed is None:
            return tool
        toolset, ctx = self._toolset, dataclasses.replace(self._ctx, tool_name=tool.name)

        async def run(validated: Any) -> Any:
            return await toolset.call_tool(tool.name, validated, ctx, listed)

        return dataclasses.replace(tool, run=run)
