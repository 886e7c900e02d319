"""The worker process: runs each piece of guest code in a fresh QuickJS context.

Started by the pool as `python -m agent.sandbox.worker`; reads `run` frames on stdin and answers
with `result` frames on stdout. It has no network and no host calls; nothing it runs can reach
the pool's process.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import resource
import signal
import sys
import time
from pathlib import Path
from typing import Any, get_args

import quickjs

from agent.sandbox.protocol import Channel, ChannelClosed
from agent.sandbox.result import ErrorKind, LogLevel


def _source(name: str) -> str:
    return Path(__file__).with_name(name).read_text()


def _call(factory: str, args: str) -> str:
    """A script that calls a factory (a `*.js` file: one arrow function) with `args`. The source
    is not wrapped in parentheses: the parser scans ahead to the closing one before it parses,
    which costs a third more than the parse itself."""
    return "{ const factory = " + factory + ";\nfactory(" + args + "); }"


PRELUDE = _call(_source("prelude.js"), "__jsolve_values, __jsolve_extras") + " delete globalThis.__jsolve_values; delete globalThis.__jsolve_extras"
VALUES = _source("values.js")
EXTRAS = _source("extras.js")
URL = _call(_source("url.js"), "globalThis")
TEXT = _call(_source("text.js"), "globalThis")
FETCH = _source("fetch.js")

ADDRESS_SPACE_CAP = 4 << 30
"""Bytes of virtual memory the whole worker may map: a backstop behind the engine's own cap."""

COLLECT_HEADROOM = 16 << 20
"""Bytes added to the engine cap after the guest ran, so its logs and error can still be read."""

_MODULE_SYNTAX = re.compile(r"(^\s*import\s*[\w{*'\"]|\bexport\s+(default\b|const\b|let\b|var\b|function\b|async\b|class\b|\{|\*))", re.MULTILINE)
_FRAME = re.compile(r"<input>:(\d+):(\d+)")
_BOUNDARY = re.compile(r"^\s*at (eval \(native\)|jsolve_)")


def _die_with_parent() -> None:
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def classify(name: str | None, message: str, *, compiling: bool) -> str:
    """The error kind of a JS error, from its name and message."""
    if name == "InternalError" and message == "interrupted":
        return "timeout"
    if message.strip() == "null" or (name == "InternalError" and message in ("out of memory", "string too long")):
        return "memory"
    if "Maximum call stack size exceeded" in message or message == "stack overflow":
        return "stack"
    if "could not load module" in message:
        return "policy"
    if compiling and name == "SyntaxError":
        return "syntax"
    return "runtime"


def _position(stack: str | None, message: str) -> tuple[int | None, int | None]:
    match = _FRAME.search(stack or "") or _FRAME.search(message)
    return (int(match[1]), int(match[2])) if match else (None, None)


def _error(kind: str | None, name: str | None, message: str, stack: str | None, *, compiling: bool = False) -> dict[str, Any]:
    kind = kind or classify(name, message, compiling=compiling)
    if kind == "policy" and "could not load module" in message:
        module = re.search(r"'([^']*)'", message)
        message = f"imports are not available in the sandbox (module {module[1] if module else '?'!r}): write the code without modules"
    elif kind == "memory":
        message = "the code ran out of memory (the engine's allowance was exceeded)"
    elif kind == "timeout" and message in ("", "interrupted"):
        message = "the code ran longer than its time limit"
    if stack:
        lines = stack.split("\n")
        end = next((i for i, text in enumerate(lines) if _BOUNDARY.match(text)), len(lines))
        stack = "\n".join(lines[:end]).rstrip() or None
    line, column = _position(stack, message) if kind not in ("memory", "timeout") else _position(stack, "")
    return {"kind": kind, "name": name, "message": message, "line": line, "column": column, "stack": stack}


def _split_exception(exc: Exception) -> tuple[str | None, str, str | None]:
    text = str(exc).rstrip("\n")
    head, _, stack = text.partition("\n")
    name, sep, message = head.partition(": ")
    if not sep:
        return None, head, stack or None
    return name, message, stack or None


def fresh_context() -> quickjs.Context:
    """A new runtime and context with the prelude in place, that no code has run in yet."""
    ctx = quickjs.Context()
    ctx.set("__jsolve_values", VALUES)
    ctx.set("__jsolve_extras", EXTRAS)
    ctx.eval(PRELUDE)
    return ctx


def execute(request: dict[str, Any], channel: Channel | None = None, ctx: quickjs.Context | None = None) -> dict[str, Any]:
    """Run one piece of guest code in `ctx` (a `fresh_context()`, made here when not given) and
    return the `result` frame. With a network, requests go to the supervisor over `channel` as
    `fetch` frames and come back as `fetched` frames."""
    limits = request["limits"]
    code: str = request["code"]
    timeout = limits.get("timeout")
    deadline = time.monotonic() + timeout if timeout else None
    ctx = ctx or fresh_context()
    if limits.get("memory_mb"):
        ctx.set_memory_limit(limits["memory_mb"] << 20)
    if limits.get("stack_kb"):
        ctx.set_max_stack_size(limits["stack_kb"] << 10)
    network = channel if request.get("network") else None
    # The shims cost more to compile than small code costs to run: only a run whose code names
    # them gets them (URL and fetch also every run that has a network). Without a network, code
    # that names fetch gets one that refuses, and any other code finds no fetch at all: either
    # way there is no way out.
    named = code + (request.get("check") or "")
    if network or "URL" in named:
        ctx.eval(URL)
    if "TextEncoder" in named or "TextDecoder" in named:
        ctx.eval(TEXT)
    if network or "fetch" in named:
        ctx.eval(_call(FETCH, f"globalThis, __jsolve, {json.dumps(network is not None)}"))
    cfg = {"lines": limits.get("console_lines"), "bytes": limits.get("console_bytes"), "output": limits.get("output_bytes")}
    ctx.eval(f"__jsolve.configure({json.dumps(cfg)})")
    run_id = request.get("run_id")
    if timeout:
        ctx.set_time_limit(timeout)
    error: dict[str, Any] | None = None
    try:
        if _MODULE_SYNTAX.search(code):
            ctx.module(code)
            ctx.eval("__jsolve.module()")
        else:
            ctx.set("__jsolve_src", code)
            ctx.eval("__jsolve.script(__jsolve_src)")
        error = _settle(ctx, deadline, network, run_id)
        if error is None and request.get("check") is not None:
            ctx.set("__jsolve_check", request["check"])
            ctx.eval("__jsolve.check(__jsolve_check)")
            error = _settle(ctx, deadline, network, run_id)
    except quickjs.JSException as exc:
        error = _error(None, *_split_exception(exc), compiling=True)
    ctx.set_time_limit(-1)
    if limits.get("memory_mb"):
        ctx.set_memory_limit((limits["memory_mb"] << 20) + COLLECT_HEADROOM)
    try:
        outcome = _outcome(ctx.eval("__jsolve.result()"), limits)
    except quickjs.JSException as exc:
        outcome = {"logs": [], "cut": 0, "error": dict(zip(("name", "message", "stack"), _split_exception(exc)), kind=None)}
    if error is None and "error" in outcome:
        err = outcome["error"]
        kind = err["kind"]
        if err.get("check") and classify(err["name"], err["message"], compiling=False) == "runtime":
            kind = "check"
        error = _error(kind, err["name"], err["message"], err["stack"])
    result: dict[str, Any] = {"op": "result", "logs": outcome["logs"], "cut": outcome["cut"], "error": error}
    if error is None:
        result["value_json"] = outcome["value"]
        result["bigints"] = outcome["bigints"]
    return result


_KINDS = {None, *get_args(ErrorKind)} - {"crash", "check"}  # what the prelude may report: the rest is decided here or in the pool
_LEVELS = set(get_args(LogLevel))
_TAMPERED = {"logs": [], "cut": 0, "error": {
    "kind": "output", "name": None, "stack": None,
    "message": "the result could not be read out: the code changed built-ins the sandbox reads it with "
               "(such as JSON.stringify or Object.prototype.toJSON); leave those as they are"}}


def _outcome(text: Any, limits: dict[str, Any]) -> dict[str, Any]:
    """The prelude's report of the run (logs, then the value as JSON text or the error), checked.
    Code that replaces built-ins can make the report anything, so what does not have its shape,
    or is over the caps, is reported as an `output` error rather than trusted."""
    try:
        outcome = json.loads(text) if isinstance(text, str) else None
    except (ValueError, RecursionError):
        return _TAMPERED
    if not isinstance(outcome, dict) or not isinstance(outcome.get("cut"), int) or not isinstance(logs := outcome.get("logs"), list):
        return _TAMPERED
    if not all(isinstance(e, dict) and e.get("level") in _LEVELS and isinstance(e.get("text"), str) for e in logs):
        return _TAMPERED
    lines, size = limits.get("console_lines"), limits.get("console_bytes")
    if (lines is not None and len(logs) > lines) or (size is not None and sum(len(e["text"]) for e in logs) > size):
        return _TAMPERED
    if isinstance(err := outcome.get("error"), dict):
        fields_ok = isinstance(err.get("message"), str) and all(isinstance(err.get(k), (str, type(None))) for k in ("name", "stack"))
        return outcome if fields_ok and err.get("kind") in _KINDS else _TAMPERED
    value, bigints = outcome.get("value"), outcome.get("bigints")
    if not isinstance(value, str) or not isinstance(bigints, list):
        return _TAMPERED
    if not all(isinstance(path, list) and all(isinstance(k, (str, int)) for k in path) for path in bigints):
        return _TAMPERED
    if (cap := limits.get("output_bytes")) is not None and len(value) > cap:
        return _TAMPERED
    return outcome


def _settle(ctx: quickjs.Context, deadline: float | None, network: Channel | None, run_id: Any) -> dict[str, Any] | None:
    """Drive the job queue, timers and requests until the guest's value settles; an error frame
    if it cannot."""
    while True:
        jobs = 0
        while ctx.execute_pending_job():
            jobs += 1
            if jobs & 0x3FF == 0 and deadline is not None and time.monotonic() > deadline:
                return _error("timeout", None, "", None)
        if network is not None and (outbox := ctx.eval("__jsolve.outbox()")):
            for fetch in json.loads(outbox):
                network.send({"op": "fetch", "run_id": run_id, **fetch})
        wait = ctx.eval("__jsolve.poll()")
        if wait == -2:
            return None
        waiting_on_network = network is not None and ctx.eval("__jsolve.inFlight()") > 0
        if wait == -1 and not waiting_on_network:
            return _error("timeout", None, "the code awaits something that can never settle (no timer or request is pending)", None)
        now = time.monotonic()
        until = now + wait / 1000 if wait >= 0 else None
        if deadline is not None and (until is None or until > deadline):
            if not waiting_on_network:
                return _error("timeout", None, "", None)
            until = deadline
        if waiting_on_network:
            assert network is not None
            if until is None or network.readable(until - now):
                reply = network.recv()
                if reply.get("op") == "fetched" and reply.get("run_id") == run_id:
                    ctx.set("__jsolve_reply", json.dumps(reply))
                    ctx.eval("__jsolve.deliver(JSON.parse(__jsolve_reply)); delete globalThis.__jsolve_reply")
                continue
            if deadline is not None and time.monotonic() >= deadline:
                return _error("timeout", None, "the code ran longer than its time limit while waiting for fetch", None)
        elif wait > 0:
            time.sleep(wait / 1000)
        ctx.eval("__jsolve.fire()")


def main() -> None:
    _die_with_parent()
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_CAP, resource.getrlimit(resource.RLIMIT_AS)[1]))
    channel = Channel(os.dup(0), os.dup(1))
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    sys.stdout = sys.stderr
    statm = os.open("/proc/self/statm", os.O_RDONLY)
    page = resource.getpagesize()
    channel.send({"op": "ready", "pid": os.getpid()})
    ctx: quickjs.Context | None = None
    while True:
        # The next run's context is made while no run waits for this worker, not when one does.
        ctx = ctx or fresh_context()
        try:
            request = channel.recv()
        except ChannelClosed:
            return
        if request.get("op") != "run":
            continue  # a late reply to a request of a run that already ended
        try:
            reply = execute(request, channel, ctx)
        except ChannelClosed:
            return
        except MemoryError:
            reply = {"op": "result", "logs": [], "cut": 0, "error": _error("memory", None, "", None)}
        ctx = None  # freed before measuring what the worker holds on to
        reply["rss"] = int(os.pread(statm, 64, 0).split()[1]) * page
        channel.send(reply)


if __name__ == "__main__":
    main()
