"""Driving a run to its end: the engine's job queue, the guest's timers, and its requests, which
go to the pool as `fetch` frames and come back as `fetched` frames."""

from __future__ import annotations

import time
from typing import Any

import _quickjs as quickjs

from agent.sandbox import protocol
from agent.sandbox.protocol import (
    MAX_HEADER_CHARS,
    MAX_HEADERS,
    MAX_METHOD_CHARS,
    MAX_URL_CHARS,
    Channel,
    ErrorFields,
    FetchFrame,
    NetworkCaps,
)
from agent.sandbox.worker.calls import TAMPERED, ToolCalls, answers, outbox_list, refused
from agent.sandbox.worker.engine import deliver
from agent.sandbox.worker.errors import error

_OUTBOX_TAMPERED = error("runtime", None, "the code's fetch requests could not be read: it changed built-ins fetch uses "
                         "(such as Object.prototype.toJSON or Array.prototype[Symbol.iterator]); leave those as they are", None)


def requests(text: Any, run_id: int, caps: NetworkCaps | None) -> tuple[list[FetchFrame], list[dict[str, Any]]] | None:
    """The guest's request list (fetch.js's outbox), read field by field: the frames to send and
    the replies to deliver at once (a request that is malformed or over a cap). None when the
    list itself is not one fetch.js writes: the code changed built-ins fetch uses.

    Only the fields named here go into a frame, each of the type and size the protocol allows,
    so nothing in the list can make a frame of another kind or for another run."""
    items = outbox_list(text)
    if items is None:
        return None
    body_cap = caps.get("max_request_bytes") if isinstance(caps, dict) else None
    cap = body_cap if isinstance(body_cap, int) else None
    frames: list[FetchFrame] = []
    replies: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, dict) or isinstance(rid := item.get("id"), bool) or not isinstance(rid, int):
            return None
        url, method, headers, body = item.get("url"), item.get("method"), item.get("headers"), item.get("body")
        well_formed = (isinstance(url, str) and len(url) <= MAX_URL_CHARS and isinstance(method, str) and len(method) <= MAX_METHOD_CHARS
                       and isinstance(headers, list) and len(headers) <= MAX_HEADERS
                       and all(isinstance(h, list) and len(h) == 2 and all(isinstance(x, str) for x in h)
                               and len(h[0]) + len(h[1]) <= MAX_HEADER_CHARS for h in headers)
                       and (body is None or isinstance(body, str)))
        if not well_formed:
            replies.append({"id": rid, "error": {"kind": "network", "message": "fetch failed: the request is malformed"}})
            continue
        assert isinstance(url, str) and isinstance(method, str) and isinstance(headers, list)
        if cap is not None and body is not None and len(body) > cap // 3 and (size := len(body.encode("utf-8", "replace"))) > cap:
            replies.append({"id": rid, "error": {"kind": "policy", "message": f"refused {url[:200]}: its body is {size} bytes, over the cap of {cap} bytes per request"}})
            continue
        frames.append(protocol.fetch(run_id, rid, url, method, [[k, v] for k, v in headers], body))
    return frames, replies


def settle(ctx: quickjs.Context, deadline: float | None, network: Channel | None, run_id: int, caps: NetworkCaps | None,
           tools: ToolCalls | None = None, channel: Channel | None = None) -> ErrorFields | None:
    """Drive the job queue, timers, requests (over `network`, when the run has one) and tool calls
    (over `channel`, with `tools`) until the guest's value settles; an error frame if it cannot.
    The calls made during one drain of the job queue leave in one `call` frame; while the guest
    waits for answers the worker waits in `select`, using no CPU (which the engine's time limit
    counts), until the run's deadline."""
    link = network if network is not None else channel if tools is not None else None
    if tools is not None:
        tools.bind(ctx)
    poll, fire = ctx.eval("__jsolve.poll"), ctx.eval("__jsolve.fire")  # called as functions: no script compiled per turn
    while True:
        jobs = 0
        while ctx.execute_pending_job():
            jobs += 1
            if jobs & 0x3FF == 0 and deadline is not None and time.monotonic() > deadline:
                return error("timeout", None, "", None)
        if network is not None and (outbox := ctx.eval("__jsolve.outbox()")):
            read = requests(outbox, run_id, caps)
            if read is None:
                return _OUTBOX_TAMPERED
            frames, replies = read
            for frame in frames:
                network.send(frame)
            for reply in replies:
                deliver(ctx, reply)
            if replies:
                continue  # the guest may go on from a rejection at once
        if tools is not None and (calls_out := tools.outbox()):
            assert link is not None
            read_calls = tools.read(calls_out)
            if read_calls is None:
                return TAMPERED
            calls, refused_here = read_calls
            if calls:
                link.send(protocol.call(run_id, calls))
            if refused_here:
                tools.deliver(refused(refused_here))
                continue
        wait = poll()
        if wait == -2:
            return None
        waiting_on_network = network is not None and ctx.eval("__jsolve.inFlight()") > 0
        waiting_on_tools = tools is not None and tools.in_flight() > 0
        waiting_on_pool = waiting_on_network or waiting_on_tools
        if wait == -1 and not waiting_on_pool:
            return error("timeout", None, "the code awaits something that can never settle (no timer, request or tool call is pending)", None)
        now = time.monotonic()
        until = now + wait / 1000 if wait >= 0 else None
        if deadline is not None and (until is None or until > deadline):
            if not waiting_on_pool:
                return error("timeout", None, "", None)
            until = deadline
        if waiting_on_pool:
            assert link is not None
            if until is None or link.readable(until - now):
                reply = link.recv()
                if reply.get("run_id") == run_id:
                    if reply.get("op") == "fetched" and network is not None:
                        deliver(ctx, reply)
                    elif reply.get("op") == "called" and tools is not None:
                        tools.deliver(answers(reply.get("replies")))
                continue
            if deadline is not None and time.monotonic() >= deadline:
                what = "a tool call" if waiting_on_tools and not waiting_on_network else "fetch"
                return error("timeout", None, f"the code ran longer than its time limit while waiting for {what}", None)
        elif wait > 0:
            time.sleep(wait / 1000)
        fire()
