"""The engine's side of a run: the sandbox's JavaScript (js/), a context with it in place, and
the limits, shims and inputs a run sets up in that context."""

from __future__ import annotations

import json
import os

# The engine's extension itself: the `quickjs` package around it adds only a thread-pool helper
# the worker does not use, and importing that (concurrent.futures, logging) took a fifth of a
# worker's start.
import _quickjs as quickjs

from agent.sandbox.protocol import ErrorFields, RunLimits
from agent.sandbox.result import MAX_ERROR_CHARS
from agent.sandbox.worker import intl, node
from agent.sandbox.worker.errors import error, split_exception

_JS = os.path.join(os.path.dirname(__file__), "js")
"""The folder of the sandbox's JavaScript."""


def _source(name: str) -> str:
    with open(os.path.join(_JS, name), encoding="utf-8") as file:
        return file.read()


def _call(factory: str, args: str) -> str:
    """A script that calls a factory (a `*.js` file: one arrow function) with `args`. The source
    is not wrapped in parentheses: the parser scans ahead to the closing one before it parses,
    which costs a third more than the parse itself."""
    return "{ const factory = " + factory + ";\nfactory(" + args + "); }"


PRELUDE = _call(_source("prelude.js"), "__jsolve_values, __jsolve_extras") + " delete globalThis.__jsolve_values; delete globalThis.__jsolve_extras"
VALUES = _source("values.js")
EXTRAS = _source("extras.js")
CHECKS = _source("check.js")
TEXT = _call(_source("text.js"), "globalThis")
FETCH = _source("fetch.js")
TOOLS = _source("tools.js")


def fresh_context() -> quickjs.Context:
    """A new runtime and context with the prelude in place, that no code has run in yet."""
    ctx = quickjs.Context()
    ctx.set("__jsolve_values", VALUES)
    ctx.set("__jsolve_extras", EXTRAS)
    ctx.eval(PRELUDE)
    return ctx


def _tools(ctx: quickjs.Context, names: list[str], limits: RunLimits) -> None:
    """Compile the global `tools` (tools.js), one function per name, with the limits it applies."""
    config = {"names": names, "maxCalls": limits.get("max_tool_calls"), "maxBytes": limits.get("max_tool_bytes"),
              "maxTotal": limits.get("max_tool_total_bytes")}
    ctx.eval(_call(TOOLS, f"globalThis, __jsolve, {json.dumps(config)}"))


def _shims(ctx: quickjs.Context, named: str, network: bool) -> None:
    """Compile the shims `named` (code and check) asks for. They cost more to compile than
    small code costs to run: only a run whose code names them gets them (URL and fetch also
    every run that has a network). Without a network, code that names fetch gets one that
    refuses, and any other code finds no fetch at all: either way there is no way out."""
    if "TextEncoder" in named or "TextDecoder" in named:
        ctx.eval(TEXT)
    if network or "fetch" in named:
        ctx.eval(_call(FETCH, f"globalThis, __jsolve, {json.dumps(network)}"))
    intl.install(ctx, named)
    node.install(ctx, named, network)


def prepare(ctx: quickjs.Context, limits: RunLimits, named: str, network: bool, token: int, tools: list[str] | None = None) -> None:
    """Set the engine's memory and stack caps, the shims `named` asks for, the run's tools (when
    it has any) and the console caps."""
    if memory_mb := limits.get("memory_mb"):
        ctx.set_memory_limit(memory_mb << 20)
    if stack_kb := limits.get("stack_kb"):
        ctx.set_max_stack_size(stack_kb << 10)
    _shims(ctx, named, network)
    if tools is not None:
        _tools(ctx, tools, limits)
    cfg = {"lines": limits.get("console_lines"), "bytes": limits.get("console_bytes"), "output": limits.get("output_bytes"),
           "error": MAX_ERROR_CHARS, "token": token}
    ctx.eval(f"__jsolve.configure({json.dumps(cfg)})")


def load_inputs(ctx: quickjs.Context, inputs: list[tuple[str, str]]) -> ErrorFields | None:
    """Bind each input to its global in `ctx`; the `memory` error when the engine cannot hold them."""
    for name, text in inputs:
        try:
            ctx.set("__jsolve_input", text)
            ctx.eval(f"__jsolve.input({json.dumps(name)}, __jsolve_input); delete globalThis.__jsolve_input")
        except (quickjs.JSException, MemoryError) as exc:
            failed = error("memory", None, "", None) if isinstance(exc, MemoryError) else error(None, *split_exception(exc))
            if failed["kind"] == "memory":
                failed["message"] = f"the input {name} does not fit in the engine's memory: raise the memory limit or pass less data"
            return failed
    return None


def deliver(ctx: quickjs.Context, reply: object) -> None:
    """Hand a reply to one of the guest's requests to fetch.js."""
    ctx.set("__jsolve_reply", json.dumps(reply))
    ctx.eval("__jsolve.deliver(__jsolve_reply); delete globalThis.__jsolve_reply")
