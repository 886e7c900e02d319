"""One run in the worker: the code, then its check, in a QuickJS context, to a `result` frame."""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from typing import Any

import _quickjs as quickjs

from agent.sandbox import protocol
from agent.sandbox.protocol import (
    Channel,
    ErrorFields,
    NetworkCaps,
    ResultFrame,
    RunFrame,
    RunLimits,
)
from agent.sandbox.worker.calls import ToolCalls
from agent.sandbox.worker.engine import CHECKS, fresh_context, load_inputs, prepare
from agent.sandbox.worker.errors import (
    INPUTS_MODULE,
    TOOLS_MODULE,
    classify,
    error,
    lines,
    lone_surrogate,
    split_exception,
)
from agent.sandbox.worker.imports import import_builtins, import_inputs, import_tools
from agent.sandbox.worker.report import report
from agent.sandbox.worker.settle import settle
from agent.text import LONE_SURROGATE

_MODULE_SYNTAX = re.compile(r"(^\s*import\s*[\w{*'\"]|\bexport\s+(default\b|const\b|let\b|var\b|function\b|async\b|class\b|\{|\*))", re.MULTILINE)


@dataclass(kw_only=True, slots=True)
class _Run:
    """One run's state in the worker: its context (replaced by a fresh one for a check of a
    value) and its deadline (restarted once the inputs are loaded)."""

    ctx: quickjs.Context
    """The context the code, or the check of its value, runs in."""
    run_id: int
    """The run's id, on every frame of it."""
    limits: RunLimits
    """The run's limits."""
    check: str | None
    """The caller's check, if any."""
    network: Channel | None
    """The channel requests go out on, when the run has a network."""
    caps: NetworkCaps | None
    """What the worker checks of a request before it leaves."""
    channel: Channel | None
    """The channel to the pool (tool calls go out on it)."""
    tools: ToolCalls | None
    """The run's tool calls, when it has tools."""
    token: int
    """A random number the prelude marks the sandbox's own reports with."""
    deadline: float | None = None
    """When the run times out (monotonic seconds)."""

    def restart_clock(self) -> None:
        timeout = self.limits.get("timeout")
        self.deadline = time.monotonic() + timeout if timeout else None

    def start_engine_clock(self) -> None:
        if timeout := self.limits.get("timeout"):
            self.ctx.set_time_limit(timeout)


def execute(request: RunFrame, channel: Channel | None = None, ctx: quickjs.Context | None = None,
            inputs: list[tuple[str, str]] | None = None) -> ResultFrame:
    """Run one piece of guest code in `ctx` (a `fresh_context()`, made here when not given) and
    return the `result` frame. With a network, requests go to the supervisor over `channel` as
    `fetch` frames and come back as `fetched` frames. `inputs` (name, JSON text) become read-only
    globals before the code runs (and can be imported by name, see `import_inputs`); when there
    are any, a `loaded` frame says they are in place (the run's time limit starts then, on both sides).

    A check of a function runs in the code's context, on the built-ins kept before the code ran
    (extras.js); a check of any other value runs in a fresh context that is given the value as
    JSON, where nothing the code did can reach it. Its source is compiled from a literal in the
    script that starts it, never set as a global the code could read."""
    code = request["code"]
    run = _start(request, channel, ctx or fresh_context())
    inputs = inputs or []
    failed = _load(run, inputs, channel)
    if run.check is not None:  # before the code runs: the check's built-ins are kept now
        run.ctx.set("__jsolve_checks", CHECKS)
        run.ctx.eval("__jsolve.guard()")
    run.start_engine_clock()
    if failed is None and INPUTS_MODULE in code:
        code, failed = import_inputs(code, [name for name, _ in inputs])
    if failed is None and TOOLS_MODULE in code:
        code, failed = import_tools(code, request.get("tools") or [])
    if failed is None and "import" in code:
        code, failed = import_builtins(code)
    failed = failed or _evaluate(run.ctx, code)
    first, failed = _finish(run, code, inputs, failed)
    return _result(run, code, first, failed)


def _start(request: RunFrame, channel: Channel | None, ctx: quickjs.Context) -> _Run:
    """The run's state, its context prepared: caps, the shims code and check name, the console."""
    check = request.get("check")
    network = channel if request.get("network") else None
    names = request.get("tools")
    tools = ToolCalls(names, request["limits"]) if names is not None and channel is not None else None
    run = _Run(ctx=ctx, run_id=request.get("run_id"), limits=request["limits"], check=check, network=network,
               caps=request.get("network"), channel=channel, tools=tools, token=int.from_bytes(os.urandom(7)) >> 4)  # 52 random bits: exact as a JS Number
    run.restart_clock()
    prepare(ctx, run.limits, request["code"] + (check or ""), network is not None, run.token, names if tools is not None else None)
    return run


def _load(run: _Run, inputs: list[tuple[str, str]], channel: Channel | None) -> ErrorFields | None:
    """Bind the inputs, say so with a `loaded` frame and restart the clock; the `memory` error
    when they do not fit."""
    if not inputs:
        return None
    failed = load_inputs(run.ctx, inputs)
    if channel is not None:
        channel.send(protocol.loaded(run.run_id))
        run.restart_clock()
    return failed


def _evaluate(ctx: quickjs.Context, code: str) -> ErrorFields | None:
    """Start the code, as a module or a script; the error when it does not compile."""
    try:
        if (lone := LONE_SURROGATE.search(code)) is not None:
            # The engine takes UTF-8, which cannot hold one: the binding fails (a SystemError from
            # ctx.set, UnicodeEncodeError from ctx.module) and the worker would die with it.
            return lone_surrogate(code, lone.start())
        if _MODULE_SYNTAX.search(code):
            ctx.module(code)
            ctx.eval("__jsolve.module()")
        else:
            ctx.set("__jsolve_src", code)
            ctx.eval("__jsolve.script(__jsolve_src)")
    except quickjs.JSException as exc:
        return error(None, *split_exception(exc), compiling=True)
    return None


def _finish(run: _Run, code: str, inputs: list[tuple[str, str]], failed: ErrorFields | None) -> tuple[dict[str, Any] | None, ErrorFields | None]:
    """Settle the code's value, then run the check on it. Returns the code's own report when the
    check ran on its value elsewhere, and the error that ended the run, if any."""
    first: dict[str, Any] | None = None
    try:
        if failed is None:
            failed = settle(run.ctx, run.deadline, run.network, run.run_id, run.caps, run.tools, run.channel)
        if failed is None and run.check is not None:
            mode = run.ctx.eval("__jsolve.checkMode()")
            if mode == "function":
                run.ctx.eval(f"__jsolve.check({json.dumps(run.check)}, {run.token}, {lines(code)})")
                failed = settle(run.ctx, run.deadline, run.network, run.run_id, run.caps, run.tools, run.channel)
            elif mode == "value":
                first = report(run.ctx, run.limits, code)
                if "error" not in first:
                    failed = _check_value(run, code, inputs, first)
    except quickjs.JSException as exc:
        # Raised by the sandbox's own hooks (the guest's errors settle its promise instead): the
        # stack's lines are the sandbox's, which would read as lines of the guest's code.
        name, message, _ = split_exception(exc)
        failed = error(None, name, message, None)
    return first, failed


def _check_value(run: _Run, code: str, inputs: list[tuple[str, str]], first: dict[str, Any]) -> ErrorFields | None:
    """Run the check on the code's value in a fresh context, given the value as JSON."""
    assert run.check is not None
    run.ctx = ctx = fresh_context()
    prepare(ctx, run.limits, run.check, False, run.token)
    # The check reads the inputs it names (to compare the value with the data).
    failed = load_inputs(ctx, [(name, text) for name, text in inputs if name in run.check])
    ctx.set("__jsolve_checks", CHECKS)
    run.start_engine_clock()
    if failed is not None:
        return failed
    ctx.eval(f"__jsolve.checkValue({json.dumps(run.check)}, {json.dumps(first['value'])}, {json.dumps(first['bigints'])}, {lines(code)})")
    return settle(ctx, run.deadline, None, run.run_id, run.caps)


def _result(run: _Run, code: str, first: dict[str, Any] | None, failed: ErrorFields | None) -> ResultFrame:
    """The `result` frame: the report read out of the engine, and the error that ended the run
    or else the one the code (or its check) threw."""
    outcome = first if first is not None and "error" in first else report(run.ctx, run.limits, code)
    if first is not None:
        outcome = {**outcome, "logs": first["logs"], "cut": first["cut"]}  # the check's console is silent
    if failed is None and "error" in outcome:
        err = outcome["error"]
        kind = err["kind"]
        if err.get("check") and classify(err["name"], err["message"], compiling=False) == "runtime":
            kind = "check"
        failed = error(kind, err["name"], err["message"], err["stack"], last_line=lines(code) if run.check is not None else None)
    if failed is not None:
        return protocol.result(run.run_id, outcome["logs"], outcome["cut"], failed)
    return protocol.result(run.run_id, outcome["logs"], outcome["cut"], None, outcome["value"], outcome["bigints"])
