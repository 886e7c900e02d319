"""The supervisor: a pool of pre-started worker processes, each run under a wall-clock deadline.

Every run can be stopped: cancelling the task awaiting `run_async`, or Ctrl-C in a thread blocked
in `run`, kills the worker running it (SIGKILL) and starts a fresh one in its place, as for a
crash; a run stopped while it still waits for a worker never starts.
"""

from __future__ import annotations

import atexit
import functools
import itertools
import json
import queue
import re
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, get_args

from agent.cpus import available_cpus
from agent.errors import SandboxClosed, UsageError
from agent.sandbox import protocol
from agent.sandbox.inputs import MEMORY_PER_INPUT_BYTE, Inputs, size_text
from agent.sandbox.limits import Limits
from agent.sandbox.process import WorkerProcess, spawn
from agent.sandbox.protocol import (
    ChannelClosed,
    ChannelTimeout,
    InputListing,
    ProtocolError,
    RunLimits,
    frame_cap,
)
from agent.sandbox.result import (
    MAX_ERROR_CHARS,
    WORKER_KINDS,
    ErrorKind,
    LogEntry,
    LogLevel,
    RunError,
    RunResult,
)
from agent.text import CUT_AT, MAX_SAFE_INTEGER, clean_text, clip, well_formed

if TYPE_CHECKING:  # imported when first used: the network side (httpx) by a run with a network, the thread pools by it or run_async,
    # the tools (asyncio, pydantic-ai) by a run with tools
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from agent.sandbox.network import Fetcher, NetworkPolicy
    from agent.sandbox.relay import ToolRelay
    from agent.tools.registry import EffectLog, ToolCall, Tools

__all__ = ["Sandbox", "fit_inputs"]

KILL_GRACE = 0.5
"""Seconds past a run's timeout before the supervisor kills the worker: the worker normally
reports the timeout itself, this only catches a worker that stopped answering."""

WORKER_RSS_CAP = 768 << 20
"""Bytes of resident memory after which a worker is replaced instead of reused."""

FETCH_PER_RUN = 4
"""Requests one run has out at once; its others wait in its own queue. The pool has this many
fetch threads per worker, so a run never waits for threads another run holds."""

REPLACEMENTS_PER_TAKE = 3
"""Dead idle workers replaced in a row before a run takes a worker as it is: a worker that cannot
start at all then fails that run as a `crash` instead of looping here."""

LOAD_TIMEOUT = 10.0
"""Seconds a worker may take to parse a run's inputs, plus `LOAD_SECONDS_PER_MB` per MB of them
(parsing and freezing run near 40 MB/s): only a worker that stopped answering takes longer."""

LOAD_SECONDS_PER_MB = 1.0


_unclosed: dict[int, weakref.finalize[Any, Any]] = {}
"""The finalizers of the pools not closed yet, by key: one `atexit` hook stops them all."""

_pool_keys = itertools.count()


def _kill_all(workers: set[WorkerProcess], key: int) -> None:
    _unclosed.pop(key, None)
    for worker in list(workers):
        worker.kill()
    workers.clear()


@functools.cache
def _stop_unclosed_at_exit() -> None:
    """Register, once per process, the hook that stops the workers of every pool left open."""
    atexit.register(lambda: [finalizer() for finalizer in list(_unclosed.values())])


class _Cancelled(Exception):
    """Raised in a run's thread when its caller gave up on it before it had a worker."""


class _Ticket:
    """One run's claim on the pool: whether its caller gave up on it, and the worker running it."""

    __slots__ = ("cancelled", "on_start", "worker")

    def __init__(self, on_start: Callable[[], None] | None = None) -> None:
        self.cancelled = False
        self.worker: WorkerProcess | None = None
        self.on_start = on_start


@dataclass(frozen=True, kw_only=True, slots=True)
class _Request:
    """A run's arguments, checked, with the limits it runs under."""

    code: str
    """The guest's code."""
    limits: Limits
    """The limits, widened for the inputs (`fit_inputs`)."""
    check: str | None
    """The caller's check of the value."""
    network: NetworkPolicy | None
    """The network the code may reach through `fetch`, if any."""
    inputs: Inputs | None
    """The inputs the code reads as globals, if any."""
    tools: Tools | None = None
    """The caller's tools the code may call (open), if any."""
    effects: EffectLog | None = None
    """The record of effectful calls the tools' calls go through, if any."""
    loop: asyncio.AbstractEventLoop | None = None
    """The event loop the tools run on: the caller's (`run_async`) or the pool's own (`run`)."""
    on_call: Callable[[ToolCall], None] | None = None
    """Told of each tool call as it gets its outcome (on the tools' loop), to show calls live."""


class Sandbox:
    """A pool of QuickJS worker processes. Thread-safe; use it as a context manager.

    >>> with Sandbox() as sb:
    ...     sb.run("export default 6 * 7").value
    42
    """

    def __init__(self, size: int | None = None, *, limits: Limits | None = None) -> None:
        size = size if size is not None else available_cpus()
        if size < 1:
            raise UsageError(f"Sandbox size must be at least 1, got {size}")
        self.size = size
        """How many worker processes run guest code at once."""
        self.limits = limits or Limits()
        """The limits of a run that passes none."""
        self.stopped_runs = 0
        """How many runs were stopped by killing their worker (a cancelled `run_async`, Ctrl-C)."""
        self._all: set[WorkerProcess] = set()
        self._idle: queue.SimpleQueue[WorkerProcess | None] = queue.SimpleQueue()  # None: closed, wakes every waiter
        self._lock = threading.Lock()
        self._closed = False
        self._holders: dict[WorkerProcess, _Ticket] = {}
        """The run each busy worker is running."""
        self._stopped: set[WorkerProcess] = set()
        """Workers killed for a stopped run that the pool has not retired yet."""
        self._executor: ThreadPoolExecutor | None = None
        self._fetchers: ThreadPoolExecutor | None = None
        self._tool_loop: asyncio.AbstractEventLoop | None = None
        self._run_ids = itertools.count(1)
        for _ in range(size):
            self._idle.put(self._spawn())
        key = next(_pool_keys)
        self._finalizer = _unclosed[key] = weakref.finalize(self, _kill_all, self._all, key)
        _stop_unclosed_at_exit()

    def run(self, code: str, *, limits: Limits | None = None, check: str | None = None,
            network: NetworkPolicy | None = None, inputs: Inputs | Mapping[str, Any] | None = None,
            tools: Tools | Any = None, effects: EffectLog | None = None, on_call: Callable[[ToolCall], None] | None = None) -> RunResult:
        """Run `code` (an ES module, or a script whose last expression is the value) and return
        its default export, or a typed error.

        `check`, when given, is the body of an async JS function run after the code, with the
        default export as `value`; what it returns becomes the run's value, and an error it
        throws is a `check` error. When the export is a function, the check runs in the code's
        context, on the built-ins as they were before the code ran; any other value reaches it
        as JSON (the value this run would return, BigInts as BigInts) in a fresh context the
        code never ran in. Its console is silent and its source never reaches the code.

        `network`, when given, gives the code `fetch` under that policy; the requests are made
        here, in the caller's process, never by the worker.

        `inputs` (an `Inputs`, or a mapping of names to JSON values) become read-only globals of
        the code, deeply frozen, which it may also import by name (`import { rows } from
        "jsolve:inputs"`); the engine's memory limit is raised by what they take parsed
        (`Inputs.widen`), and their loading is not counted in the run's timeout, unless the
        limits are a `ceiling` (`fit_inputs`). Pass the same `Inputs` to many runs: it is
        serialized once, and a worker keeps the last run's inputs.

        `tools` (an open `Tools`, or what `Tools.of` takes: a list of functions, pydantic-ai tools
        and toolsets, opened for this run and closed after) become async functions of the code,
        `import { name } from "jsolve:tools"` or `tools.name({...})`: each call runs here, in the
        caller's process, and its outcome is in `RunResult.tool_calls`. `run` runs them on an
        event loop of the pool's own, in a thread (sync functions on threads beside it): tools
        tied to another loop (an MCP server entered on yours) need `run_async`. With `effects`,
        an effectful tool runs at most once per arguments across the runs given the same log.
        `on_call` is told of each call as it completes (on the loop the tools run on; an error it
        raises is logged and ignored), to show calls as they happen.
        The limits of the calls are `Limits`' `max_tool_*` and `tool_timeout` fields.

        Everything the worker sends is checked here as coming from the guest: a frame of another
        run, of an unknown kind or over the run's caps ends the run as a `crash` and retires
        the worker. Ctrl-C (KeyboardInterrupt) while it waits kills the worker, which is
        replaced, and is raised on.
        """
        if tools is None:
            return self._run(self._request(code, limits, check, network, inputs), _Ticket())
        return self._run_with_tools(code, limits, check, network, inputs, tools, effects, on_call)

    async def run_async(self, code: str, *, limits: Limits | None = None, check: str | None = None,
                        network: NetworkPolicy | None = None, inputs: Inputs | Mapping[str, Any] | None = None,
                        on_start: Callable[[], None] | None = None, tools: Tools | Any = None,
                        effects: EffectLog | None = None, on_call: Callable[[ToolCall], None] | None = None) -> RunResult:
        """`run` for asyncio callers, off the event loop. Cancelling the awaiting task stops the
        run: its worker is killed at once and replaced (a run still waiting for a worker never
        starts), its pending tool calls are cancelled, and the cancellation propagates. `on_start`
        is called (on the run's thread) when the run has a worker, after waiting for one while
        every worker is busy. The tools run on the running event loop."""
        import asyncio

        loop = asyncio.get_running_loop()
        request = self._request(code, limits, check, network, inputs)
        opened = None
        if tools is not None:
            from agent.tools.registry import Tools

            opened = None if isinstance(tools, Tools) else Tools.of(tools)
            if opened is not None:
                await opened.open()
            request = self._with_tools(request, opened or tools, effects, loop, on_call)
        ticket = _Ticket(on_start)
        try:
            return await loop.run_in_executor(self._threads(), self._run, request, ticket)
        except asyncio.CancelledError:
            self._stop(ticket)
            raise
        finally:
            if opened is not None:
                await opened.close()

    def close(self) -> None:
        """Stop every worker process; runs waiting for a worker raise `SandboxClosed`. Safe to
        call twice."""
        with self._lock:
            self._closed = True
            loop, self._tool_loop = self._tool_loop, None
        self._idle.put(None)
        self._finalizer()
        for executor in (self._executor, self._fetchers):
            if executor is not None:
                executor.shutdown(wait=False, cancel_futures=True)
        if loop is not None:
            loop.call_soon_threadsafe(loop.stop)

    def _run_with_tools(self, code: str, limits: Limits | None, check: str | None, network: NetworkPolicy | None,
                        inputs: Inputs | Mapping[str, Any] | None, tools: Any, effects: EffectLog | None,
                        on_call: Callable[[ToolCall], None] | None) -> RunResult:
        """`run` of a run with tools, on the pool's event loop: a spec is opened there for the run."""

        from agent.tools.registry import Tools

        request = self._request(code, limits, check, network, inputs)
        loop = self._loop()
        opened = None if isinstance(tools, Tools) else Tools.of(tools)
        if opened is not None and not _on_loop(opened.open(), loop):
            raise SandboxClosed("this Sandbox is closed; create a new one")
        try:
            return self._run(self._with_tools(request, opened or tools, effects, loop, on_call), _Ticket())
        finally:
            if opened is not None:
                _on_loop(opened.close(), loop)  # not closed when the pool closed meanwhile: its loop is gone

    def _with_tools(self, request: _Request, tools: Tools, effects: EffectLog | None, loop: asyncio.AbstractEventLoop,
                    on_call: Callable[[ToolCall], None] | None) -> _Request:
        """`request` with the tools it may call, their names checked against the inputs'."""
        from agent.tools.registry import EffectLog

        if effects is not None and not isinstance(effects, EffectLog):
            raise UsageError(f"effects must be an EffectLog, got {type(effects).__name__}")
        tools.check_names(tuple(request.inputs) if request.inputs is not None else ())
        return replace(request, tools=tools, effects=effects, loop=loop, on_call=on_call)

    def _loop(self) -> asyncio.AbstractEventLoop:
        """The pool's own event loop, for the tools of `run`: started on first use, in a thread."""
        import asyncio

        with self._lock:
            if self._tool_loop is None:
                loop = self._tool_loop = asyncio.new_event_loop()
                threading.Thread(target=_serve, args=(loop,), name="jsolve-tools", daemon=True).start()
            return self._tool_loop

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _request(self, code: str, limits: Limits | None, check: str | None, network: NetworkPolicy | None,
                 inputs: Inputs | Mapping[str, Any] | None) -> _Request:
        """The run's arguments checked (a `UsageError` for one of the wrong type), its inputs as
        `Inputs` and its limits fitted to them."""
        if not isinstance(code, str):
            raise UsageError(f"code must be a str, got {type(code).__name__}")
        if check is not None and not isinstance(check, str):
            raise UsageError(f"check must be a str, got {type(check).__name__}")
        if network is not None:
            from agent.sandbox.network import NetworkPolicy

            if not isinstance(network, NetworkPolicy):
                raise UsageError(f"network must be a NetworkPolicy, got {type(network).__name__}")
        if inputs is not None and not isinstance(inputs, Inputs):
            inputs = Inputs(inputs)
        if self._closed:
            raise SandboxClosed("this Sandbox is closed; create a new one")
        limits = limits or self.limits
        return _Request(code=code, limits=fit_inputs(limits, inputs) if inputs else limits, check=check, network=network,
                        inputs=inputs or None)

    def _run(self, request: _Request, ticket: _Ticket) -> RunResult:
        """Take a worker, hold the run's conversation with it, and give it back (or replace it:
        after a crash, a timeout, a stop, or when it grew past `WORKER_RSS_CAP`)."""
        worker = self._take(ticket)
        session = _Session(worker=worker, request=request, run_id=next(self._run_ids))
        try:
            _notify(ticket.on_start)
            return session.run(self._fetch_pool)
        finally:
            if not session.healthy:
                self._retire(worker)  # first: a fetch thread blocked writing to it is released
            session.close()
            if session.healthy:
                self._release(worker)

    def _spawn(self) -> WorkerProcess:
        worker = spawn()
        with self._lock:
            self._all.add(worker)
        return worker

    def _take(self, ticket: _Ticket) -> WorkerProcess:
        """An idle worker that is alive, waiting for one if none is idle, held for `ticket`'s run.
        A worker that died while idle (killed by the OS, say) is replaced here, not blamed on the run."""
        replaced = 0
        while True:
            worker = self._idle.get()
            if worker is None or self._closed:
                self._idle.put(worker)  # the next waiter wakes too
                raise SandboxClosed("this Sandbox is closed; create a new one")
            if worker.process.poll() is None or replaced == REPLACEMENTS_PER_TAKE:
                break  # a dead one only after as many replacements: the run then reports the crash
            self._retire(worker)
            replaced += 1
        with self._lock:
            if ticket.cancelled:
                self._idle.put(worker)
                raise _Cancelled()
            ticket.worker = worker
            self._holders[worker] = ticket
        return worker

    def _release(self, worker: WorkerProcess) -> None:
        """Give a worker back after its run, unless a stop killed it meanwhile."""
        with self._lock:
            self._let_go(worker)
            stopped = worker in self._stopped
        if stopped:
            self._retire(worker)
        else:
            self._idle.put(worker)

    def _retire(self, worker: WorkerProcess) -> None:
        """Kill a worker and start one in its place (unless the pool is closed)."""
        worker.kill()
        with self._lock:
            self._let_go(worker)
            self._stopped.discard(worker)
            self._all.discard(worker)
            closed = self._closed
        if not closed:
            self._idle.put(self._spawn())

    def _let_go(self, worker: WorkerProcess) -> None:
        """End the hold of a worker's run on it (under the lock): a stop of that run must no
        longer reach this worker."""
        ticket = self._holders.pop(worker, None)
        if ticket is not None:
            ticket.worker = None

    def _stop(self, ticket: _Ticket) -> None:
        """Stop `ticket`'s run: kill its worker at once if it has one (its thread then sees the
        worker gone, and the pool replaces it), else keep it from starting."""
        with self._lock:
            ticket.cancelled = True
            worker = ticket.worker
            if worker is None:
                return
            self._stopped.add(worker)
            self.stopped_runs += 1
            if worker.process.poll() is None:
                worker.process.kill()

    def _threads(self) -> ThreadPoolExecutor:
        from concurrent.futures import ThreadPoolExecutor

        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.size * 2, thread_name_prefix="jsolve-sandbox")
            return self._executor

    def _fetch_pool(self) -> ThreadPoolExecutor:
        from concurrent.futures import ThreadPoolExecutor

        with self._lock:
            if self._fetchers is None:
                self._fetchers = ThreadPoolExecutor(self.size * FETCH_PER_RUN, thread_name_prefix="jsolve-fetch")
            return self._fetchers


@dataclass(kw_only=True, slots=True)
class _Session:
    """One run's conversation with its worker, in frames (agent.sandbox.protocol): the run and
    its inputs out, `loaded`, the requests answered, the result in. Whatever the worker sends
    is checked as coming from the guest."""

    worker: WorkerProcess
    """The worker the run holds."""
    request: _Request
    """What to run."""
    run_id: int
    """The run's id, on every frame of it."""
    healthy: bool = False
    """Whether the worker may run again: it answered in full, within its memory."""
    exchange: _Exchange | None = None
    """The run's requests, when it has a network."""
    relay: ToolRelay | None = None
    """The run's tool calls, when it has tools."""
    started: float = field(default_factory=time.perf_counter)
    """When the run started (perf_counter), for its duration."""

    def run(self, fetch_pool: Callable[[], ThreadPoolExecutor]) -> RunResult:
        """The run's result; a `timeout` or `crash` failure when the worker overran or failed."""
        request, worker = self.request, self.worker
        try:
            worker.wait_ready()
            self.started = time.perf_counter()
            begun = time.monotonic()
            cap = frame_cap(request.limits, request.network, request.tools is not None)
            self._send_run()
            # Under a ceiling the timeout runs from here, the inputs' loading included. The worker
            # times the code from when they are loaded, so it is this side that stops it then.
            within = begun + request.limits.timeout if request.limits.ceiling and request.limits.timeout and request.inputs else None
            if request.inputs:
                self._await_loaded(request.inputs, within, cap)
            deadline = within
            if deadline is None and request.limits.timeout:
                deadline = time.monotonic() + request.limits.timeout + KILL_GRACE
            if request.tools is not None:
                from agent.sandbox.relay import ToolRelay

                assert request.loop is not None, "a run with tools has the loop they run on"
                self.relay = ToolRelay(tools=request.tools, effects=request.effects, loop=request.loop, run_id=self.run_id,
                                       channel=worker.channel, limits=request.limits, max_frame=cap, on_call=request.on_call)
            if request.network is not None:
                from agent.sandbox.network import Fetcher

                # Requests may run to the kill deadline: the worker's own deadline comes first,
                # so a run cut short while it waits for fetch is reported as a `timeout`. With
                # tools, the loop that relays them writes to the worker: the answers go through it.
                send = self.relay.send_threadsafe if self.relay is not None else worker.channel.send
                self.exchange = _Exchange(send, Fetcher(request.network, deadline), self.run_id, fetch_pool())
                if self.relay is not None:
                    self.relay.on_fetch = self.exchange.start
            reply = self.relay.serve(deadline) if self.relay is not None else self._await_result(deadline, cap)
            result = _result(reply, time.perf_counter() - self.started, request.limits)
            if self.relay is not None:
                result = replace(result, tool_calls=self.relay.records)
            self.healthy = _within_memory(reply.get("rss"), request.inputs)
            return result
        except ChannelTimeout:
            return _failure("timeout", "the code ran longer than its time limit; the worker was stopped", self.started)
        except ChannelClosed:
            status = worker.process.poll()
            return _failure("crash", f"the sandbox worker died (exit status {status}); the next run gets a new one", self.started)
        except ProtocolError as exc:
            return _failure("crash", f"the sandbox worker broke the protocol ({exc}); the next run gets a new one", self.started)

    def close(self) -> None:
        if self.exchange is not None:
            self.exchange.close()
        if self.relay is not None:
            self.relay.close()

    def _send_run(self) -> None:
        """The `run` frame, then the inputs' texts the worker does not hold."""
        request, worker = self.request, self.worker
        listed, payloads = _inputs_frame(request.inputs, worker.held) if request.inputs else (None, ())
        worker.held = frozenset()  # until the worker has them all
        network = request.network
        frame = protocol.run(self.run_id, request.code, _wire(request.limits), request.check,
                             network.max_request_bytes if network is not None else None, network=network is not None, inputs=listed,
                             tools=list(request.tools.names) if request.tools is not None else None)
        worker.channel.send(frame, payloads)

    def _await_loaded(self, inputs: Inputs, within: float | None, cap: int | None) -> None:
        """Wait for the worker's `loaded` frame: the inputs are in place, and it keeps them."""
        loading = time.monotonic() + LOAD_TIMEOUT + LOAD_SECONDS_PER_MB * inputs.bytes / 1e6
        loaded = self.worker.channel.recv(loading if within is None else min(loading, within), cap)
        if loaded.get("op") != "loaded" or loaded.get("run_id") != self.run_id:
            raise ProtocolError(f"a frame of kind {str(loaded.get('op'))[:20]!r} before the inputs were loaded")
        self.worker.held = frozenset(entry.digest for entry in inputs.entries())

    def _await_result(self, deadline: float | None, cap: int | None) -> dict[str, Any]:
        """The `result` frame, the run's requests started as their `fetch` frames arrive."""
        channel = self.worker.channel
        while True:
            reply = channel.recv(deadline, cap)
            if reply.get("run_id") != self.run_id:
                raise ProtocolError(f"a frame for run {str(reply.get('run_id'))[:20]} during run {self.run_id}")
            op = reply.get("op")
            if op == "result":
                return reply
            if op == "fetch" and self.exchange is not None:
                self.exchange.start(reply)
            else:
                raise ProtocolError(f"a frame of kind {str(op)[:20]!r}")


def _on_loop(step: Coroutine[Any, Any, None], loop: asyncio.AbstractEventLoop) -> bool:
    """Run `step` on the pool's loop and wait for it: whether it ran, False when the pool closed
    meanwhile (its loop stops, and the step would never end)."""
    import asyncio
    import concurrent.futures

    from agent.sandbox.relay import LOOP_CHECK_SECONDS

    try:
        done = asyncio.run_coroutine_threadsafe(step, loop)
    except RuntimeError:  # closed already
        step.close()
        return False
    while True:
        try:
            done.result(LOOP_CHECK_SECONDS)
            return True
        except concurrent.futures.CancelledError:  # the loop's last turn cancelled it
            return False
        except concurrent.futures.TimeoutError:
            if loop.is_closed():  # before the step's turn came: it never ran
                step.close()
                return False


def _serve(loop: asyncio.AbstractEventLoop) -> None:
    """Run the pool's tool loop until the pool closes."""
    import asyncio

    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
        # What is still running (tool calls of runs the close ended, tools being closed) is
        # cancelled and given its last turn, not dropped mid-step with the loop.
        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    finally:
        loop.close()


def _notify(on_start: Callable[[], None] | None) -> None:
    """Tell a run's caller that it has a worker: a notice that fails must not strand the worker."""
    if on_start is not None:
        try:
            on_start()
        except Exception:
            pass


def _within_memory(rss: Any, inputs: Inputs | None) -> bool:
    """Whether a worker that reports `rss` bytes resident may run again. The inputs' text stays
    in the worker (as received and as a str) for the next run."""
    return isinstance(rss, int) and not isinstance(rss, bool) and rss < WORKER_RSS_CAP + 3 * (inputs.bytes if inputs else 0)


class _Exchange:
    """The requests of one run: performed on the pool's fetch threads, at most `FETCH_PER_RUN`
    at once (the rest wait here, in the run's own queue), answered to its worker."""

    def __init__(self, send: Callable[[Mapping[str, Any]], None], fetcher: Fetcher, run_id: int, threads: ThreadPoolExecutor) -> None:
        self.send = send
        self.fetcher = fetcher
        self.run_id = run_id
        self.threads = threads
        self._lock = threading.Lock()
        self._open = True
        self._active = 0
        self._waiting: deque[dict[str, Any]] = deque()

    def start(self, request: dict[str, Any]) -> None:
        with self._lock:
            if self._active >= FETCH_PER_RUN:
                self._waiting.append(request)
                return
            self._active += 1
        self.threads.submit(self._perform, request)

    def _perform(self, request: dict[str, Any]) -> None:
        """Perform one request and answer it, then the next one waiting. Whatever goes wrong,
        the worker gets an answer: an exception lost in this thread would leave the guest
        waiting for its reply until the run's deadline."""
        while True:
            try:
                reply = self.fetcher.fetch(request)
            except Exception as exc:
                reply = {"error": {"kind": "network", "message": f"fetch failed: the request could not be made ({type(exc).__name__})"}}
            with self._lock:
                if not self._open:
                    return  # the run ended (settled, timed out or crashed) while this request was out
                try:
                    self.send(protocol.fetched(self.run_id, request.get("id"), reply))
                except ChannelClosed:
                    pass
                if not self._waiting:
                    self._active -= 1
                    return
                request = self._waiting.popleft()

    def close(self) -> None:
        with self._lock:
            self._open = False
            self._waiting.clear()
        self.fetcher.close()


def _inputs_frame(inputs: Inputs, held: frozenset[str]) -> tuple[list[InputListing], tuple[bytes, ...]]:
    """The inputs as a run frame lists them, and the texts to send after it: each text once, and
    none the worker holds from its last run."""
    listed: list[InputListing] = []
    payloads: list[bytes] = []
    sending: set[str] = set()
    for entry in inputs.entries():
        sent = entry.digest not in held and entry.digest not in sending
        if sent:
            sending.add(entry.digest)
            payloads.append(entry.text.encode("utf-8"))
        listed.append({"name": entry.name, "digest": entry.digest, "sent": sent})
    return listed, tuple(payloads)


def fit_inputs(limits: Limits, inputs: Inputs) -> Limits:
    """The limits of a run given `inputs`: the memory limit raised by what they take parsed
    (`Inputs.widen`), or, when `limits` are a ceiling, unchanged, after checking that the inputs'
    JSON text alone fits in it (a `UsageError` saying so when not)."""
    if not limits.ceiling:
        return inputs.widen(limits)
    if limits.memory_mb is not None and inputs.bytes >= limits.memory_mb << 20:
        raise UsageError(f"the inputs take {size_text(inputs.bytes)} as JSON, and the memory limit of {limits.memory_mb} MiB must hold them "
                         f"parsed (up to {MEMORY_PER_INPUT_BYTE} times that) beside what the code allocates: pass less data, "
                         "or filter or aggregate it first")
    return limits


@functools.lru_cache(maxsize=64)
def _wire(limits: Limits) -> RunLimits:
    """The limits as a run frame carries them (read-only: one dict is shared by every run)."""
    wired = asdict(limits)
    del wired["ceiling"]  # the supervisor's rule, nothing the worker reads
    return wired  # type: ignore[return-value]


def _failure(kind: ErrorKind, message: str, started: float) -> RunResult:
    return RunResult(ok=False, error=RunError(kind=kind, message=message), duration_ms=(time.perf_counter() - started) * 1000)


_LEVELS = frozenset(get_args(LogLevel))
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_BIGINT = re.compile(r"-?[0-9]+")
_INT_DIGITS = 4000
"""Digits converted by one `int()`: below Python's default limit on str-to-int conversion
(4,300), which a BigInt past it would otherwise hit."""


def _result(reply: dict[str, Any], seconds: float, limits: Limits) -> RunResult:
    """The run's result from a worker's `result` frame, every field checked and every cap
    applied here: the worker ran the guest, so its frame is as trusted as the guest."""
    logs_in, cut, error = reply.get("logs"), reply.get("cut"), reply.get("error")
    if not isinstance(logs_in, list) or isinstance(cut, bool) or not isinstance(cut, int) or cut < 0:
        raise ProtocolError("a result without its console report")
    if limits.console_lines is not None and len(logs_in) > limits.console_lines:
        raise ProtocolError(f"{len(logs_in)} console lines, over the cap of {limits.console_lines}")
    logs, size = [], 0
    for entry in logs_in:
        if not isinstance(entry, dict) or entry.get("level") not in _LEVELS or not isinstance(text := entry.get("text"), str):
            raise ProtocolError("a console line that is not one")
        size += len(text)
        logs.append(LogEntry(entry["level"], clean_text(text)))
    if limits.console_bytes is not None and size > limits.console_bytes:
        raise ProtocolError(f"{size} bytes of console output, over the cap of {limits.console_bytes}")
    if cut:
        logs.append(LogEntry("warn", f"[console output cut: {cut} more line(s) over the cap of "
                                     f"{limits.console_lines} lines / {limits.console_bytes} bytes]"))
    duration_ms = seconds * 1000
    if error is not None:
        return RunResult(ok=False, error=_run_error(error), logs=logs, duration_ms=duration_ms)
    value_json, bigints = reply.get("value_json"), reply.get("bigints")
    if not isinstance(value_json, str) or not isinstance(bigints, list):
        raise ProtocolError("a result with neither a value nor an error")
    paths = 0
    for path in bigints:
        if not isinstance(path, list) or not all(isinstance(k, str) or (isinstance(k, int) and not isinstance(k, bool)) for k in path):
            raise ProtocolError("a BigInt place that is not a path")
        paths += 3 + sum(len(k) + 3 if isinstance(k, str) else len(str(k)) + 1 for k in path)
    if limits.output_bytes is not None and len(value_json) + (paths if bigints else 0) > limits.output_bytes:
        raise ProtocolError(f"a value of {len(value_json) + paths} bytes, over the output cap of {limits.output_bytes}")
    try:
        value = json.loads(value_json)
        unsafe = _unsafe_integers(value, value_json)
        for path in bigints:
            value = _set_at(value, path, _big_int)
        if _ESCAPED_SURROGATE.search(value_json):
            value = well_formed(value)
    except RecursionError:  # the engine caps nesting at 900 levels, below Python's limit; a guard all the same
        return RunResult(ok=False, error=RunError(kind="output", message="the value is nested too deeply to read"), logs=logs, duration_ms=duration_ms)
    except (ValueError, LookupError, TypeError):  # only code that replaced the built-ins reading the value gets here
        return RunResult(ok=False, error=RunError(kind="output", message="the value could not be read out: the code changed built-ins the sandbox reads it with"),
                         logs=logs, duration_ms=duration_ms)
    return RunResult(ok=True, value=value, logs=logs, duration_ms=duration_ms, unsafe_integers=unsafe)


def _run_error(error: Any) -> RunError:
    """A worker's error report as a `RunError`, its texts cut and cleaned."""
    if not isinstance(error, dict) or error.get("kind") not in WORKER_KINDS or not isinstance(error.get("message"), str):
        raise ProtocolError("an error report that is not one")
    texts = {}
    for key in ("name", "message", "stack"):
        text = error.get(key)
        if text is not None and not isinstance(text, str):
            raise ProtocolError(f"an error {key} that is not text")
        texts[key] = clean_text(clip(text, MAX_ERROR_CHARS, marker=CUT_AT)) if text is not None else None
    where = {}
    for key in ("line", "column"):
        number = error.get(key)
        if number is not None and (isinstance(number, bool) or not isinstance(number, int)):
            raise ProtocolError(f"an error {key} that is not a number")
        where[key] = number
    return RunError(kind=error["kind"], message=texts["message"] or "", name=texts["name"], stack=texts["stack"], **where)


def _big_int(text: Any) -> int:
    """A BigInt's digits as an int, however many: Python refuses to convert a str of more than
    4,300 digits at once (a process-wide setting this must not change), so long ones are read
    in halves."""
    if not isinstance(text, str) or not _BIGINT.fullmatch(text):
        raise ValueError("not a BigInt's digits")
    if len(text) <= _INT_DIGITS:
        return int(text)
    digits = text.lstrip("-")
    value = _digits(digits)
    return -value if text.startswith("-") else value


def _digits(digits: str) -> int:
    if len(digits) <= _INT_DIGITS:
        return int(digits)
    low = len(digits) // 2
    return int(_digits(digits[:-low]) * 10**low + _digits(digits[-low:]))


_LONG_DIGITS = re.compile(r"\d{16}")


def _unsafe_integers(value: Any, text: str) -> tuple[str, ...]:
    """Where the value holds an integral Number past `MAX_SAFE_INTEGER` (but below 1e21, which
    JSON writes as a whole number): digits that read as exact and are not. Read before BigInts
    are converted, while they are still strings. The text is searched first: most values have
    no run of 16 digits, and then nothing is walked."""
    if not _LONG_DIGITS.search(text):
        return ()
    found: list[str] = []

    def walk(v: Any, path: str) -> None:
        if isinstance(v, bool):
            return
        if isinstance(v, int) and abs(v) > MAX_SAFE_INTEGER:
            found.append(path)
        elif isinstance(v, list):
            for i, x in enumerate(v):
                walk(x, f"{path}[{i}]")
        elif isinstance(v, dict):
            for k, x in v.items():
                walk(x, f"{path}.{k}" if k.isidentifier() else f"{path}[{json.dumps(k)}]")

    walk(value, "$")
    return tuple(found)


def _set_at(value: Any, path: list[str | int], convert: Any) -> Any:
    if not path:
        return convert(value)
    parent = value
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = convert(parent[path[-1]])
    return value
