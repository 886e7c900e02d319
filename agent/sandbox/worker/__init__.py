"""The worker process: runs each piece of guest code in a fresh QuickJS context.

Started by the pool as an isolated interpreter (`process.WorkerProcess`); reads `run` frames on
stdin and answers with `result` frames on stdout (agent.sandbox.protocol). It has no network and
no host calls; nothing it runs can reach the pool's process. It imports only the standard
library, the engine (`_quickjs`) and agent.sandbox.{protocol, result, builtins}.

- execute.py: one run, as named steps (start, load the inputs, evaluate, settle, check, report).
- engine.py: the sandbox's JavaScript (js/) and a context with it in place.
- imports.py: `import { rows } from "jsolve:inputs"` (and jsolve:tools, node:X) rewritten to globals.
- intl.py, node.py: Intl, Node's built-ins and the web globals, compiled into runs that name them.
- settle.py: the job queue, timers and the guest's requests until its value settles.
- report.py: the prelude's report of a run, read out and checked.
- errors.py: the kind of a JS error (`classify`) and the error frame's fields.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys

import _quickjs as quickjs

from agent.sandbox import protocol
from agent.sandbox.protocol import Channel, ChannelClosed, RunFrame
from agent.sandbox.worker.engine import fresh_context
from agent.sandbox.worker.errors import error
from agent.sandbox.worker.execute import execute

__all__ = ["execute", "main"]

ADDRESS_SPACE_CAP = 4 << 30
"""Bytes of virtual memory the whole worker may map: a backstop behind the engine's own cap."""


def _die_with_parent() -> None:
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _isolate() -> Channel:
    """Bind the worker's life and memory, and its channel: stdin and stdout, moved off fds 0 and 1
    so that nothing printed can corrupt a frame."""
    _die_with_parent()
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_CAP, resource.getrlimit(resource.RLIMIT_AS)[1]))
    channel = Channel(os.dup(0), os.dup(1))
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    sys.stdout = sys.stderr
    return channel


def _receive(channel: Channel, held: dict[str, str]) -> tuple[RunFrame, dict[str, str]] | None:
    """The next `run` frame and the texts of its inputs by digest (those sent after it, and those
    `held` from the last run); None for a frame of another kind (a late reply to a request of a
    run that already ended)."""
    request = channel.recv()
    if request.get("op") != "run":
        return None
    now: dict[str, str] = {}
    for item in request.get("inputs") or ():
        digest = item["digest"]
        now[digest] = channel.recv_raw().decode("utf-8") if item["sent"] else now.get(digest) or held[digest]
    return request, now  # type: ignore[return-value]


def main() -> None:
    channel = _isolate()
    statm = os.open("/proc/self/statm", os.O_RDONLY)
    page = resource.getpagesize()
    channel.send(protocol.ready(os.getpid()))
    ctx: quickjs.Context | None = None
    held: dict[str, str] = {}  # digest -> JSON text: the inputs of the last run, which the pool need not send again
    while True:
        # The next run's context is made while no run waits for this worker, not when one does.
        ctx = ctx or fresh_context()
        try:
            received = _receive(channel, held)
            if received is None:
                continue
            request, held = received
        except ChannelClosed:
            return
        inputs = [(item["name"], held[item["digest"]]) for item in request.get("inputs") or ()]
        try:
            reply = execute(request, channel, ctx, inputs)
        except ChannelClosed:
            return
        except MemoryError:
            reply = protocol.result(request.get("run_id"), [], 0, error("memory", None, "", None))
        ctx = None  # freed before measuring what the worker holds on to
        reply["rss"] = int(os.pread(statm, 64, 0).split()[1]) * page
        channel.send(reply)


if __name__ == "__main__":
    main()
