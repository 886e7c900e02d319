"""The supervisor: a pool of pre-started worker processes, each run under a wall-clock deadline."""

from __future__ import annotations

import asyncio
import atexit
import functools
import itertools
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import Any

from agent.errors import SandboxClosed, UsageError
from agent.sandbox.limits import Limits
from agent.sandbox.network import Fetcher, NetworkPolicy
from agent.sandbox.protocol import Channel, ChannelClosed, ChannelTimeout
from agent.sandbox.result import LogEntry, RunError, RunResult

__all__ = ["Sandbox"]

KILL_GRACE = 0.5
"""Seconds past a run's timeout before the supervisor kills the worker: the worker normally
reports the timeout itself, this only catches a worker that stopped answering."""

WORKER_RSS_CAP = 768 << 20
"""Bytes of resident memory after which a worker is replaced instead of reused."""

FETCH_THREADS = 8
"""Requests the pool performs at once for all its runs (a run's `Promise.all` fans out here)."""

STARTUP_TIMEOUT = 30.0
"""Seconds a new worker may take to import the engine and say it is ready."""


class _Worker:
    """One worker process and its channel."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "agent.sandbox.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            env={**os.environ, "PYTHONPATH": _package_root()},
        )
        assert self.process.stdin and self.process.stdout
        self.channel = Channel(self.process.stdout.fileno(), self.process.stdin.fileno())
        self.ready = False

    def wait_ready(self) -> None:
        if not self.ready:
            self.channel.recv(time.monotonic() + STARTUP_TIMEOUT)
            self.ready = True

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream:
                stream.close()


def _package_root() -> str:
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))


def _kill_all(workers: set[_Worker]) -> None:
    for worker in list(workers):
        worker.kill()
    workers.clear()


class Sandbox:
    """A pool of QuickJS worker processes. Thread-safe; use it as a context manager.

    >>> with Sandbox() as sb:
    ...     sb.run("export default 6 * 7").value
    42
    """

    def __init__(self, size: int | None = None, *, limits: Limits | None = None) -> None:
        size = size if size is not None else (os.cpu_count() or 1)
        if size < 1:
            raise UsageError(f"Sandbox size must be at least 1, got {size}")
        self.size = size
        """How many worker processes run guest code at once."""
        self.limits = limits or Limits()
        """The limits of a run that passes none."""
        self._all: set[_Worker] = set()
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self._executor: ThreadPoolExecutor | None = None
        self._fetchers: ThreadPoolExecutor | None = None
        self._run_ids = itertools.count(1)
        for _ in range(size):
            self._idle.put(self._spawn())
        self._finalizer = weakref.finalize(self, _kill_all, self._all)
        atexit.register(self._finalizer)

    def _spawn(self) -> _Worker:
        worker = _Worker()
        with self._lock:
            self._all.add(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._all.discard(worker)
            closed = self._closed
        if not closed:
            self._idle.put(self._spawn())

    def run(self, code: str, *, limits: Limits | None = None, check: str | None = None,
            network: NetworkPolicy | None = None) -> RunResult:
        """Run `code` (an ES module, or a script whose last expression is the value) and return
        its default export, or a typed error.

        `check`, when given, is the body of an async JS function run in the same context after
        the code, with the default export (which may then be a function) as `value`; what it
        returns becomes the run's value, and an error it throws is a `check` error.

        `network`, when given, gives the code `fetch` under that policy; the requests are made
        here, in the caller's process, never by the worker.
        """
        if not isinstance(code, str):
            raise UsageError(f"code must be a str, got {type(code).__name__}")
        if network is not None and not isinstance(network, NetworkPolicy):
            raise UsageError(f"network must be a NetworkPolicy, got {type(network).__name__}")
        if self._closed:
            raise SandboxClosed("this Sandbox is closed; create a new one")
        limits = limits or self.limits
        worker = self._idle.get()
        if self._closed:
            self._idle.put(worker)
            raise SandboxClosed("this Sandbox is closed; create a new one")
        started = time.perf_counter()
        healthy = False
        exchange: _Exchange | None = None
        try:
            worker.wait_ready()
            started = time.perf_counter()
            run_id = next(self._run_ids)
            deadline = time.monotonic() + limits.timeout + KILL_GRACE if limits.timeout else None
            if network is not None:
                # Requests may run to the kill deadline: the worker's own deadline comes first,
                # so a run cut short while it waits for fetch is reported as a `timeout`.
                exchange = _Exchange(worker.channel, Fetcher(network, deadline), run_id, self._fetch_pool())
            worker.channel.send({"op": "run", "run_id": run_id, "code": code, "limits": _wire(limits), "check": check,
                                 "network": network is not None})
            while (reply := worker.channel.recv(deadline)).get("op") == "fetch" and exchange is not None:
                exchange.start(reply)
            if reply.get("op") != "result":
                return _failure("crash", f"the sandbox worker broke the protocol (sent {str(reply.get('op'))[:20]!r}); the next run gets a new one", started)
            healthy = reply.get("rss", 0) < WORKER_RSS_CAP
            return _result(reply, time.perf_counter() - started, limits)
        except ChannelTimeout:
            return _failure("timeout", "the code ran longer than its time limit; the worker was stopped", started)
        except ChannelClosed:
            code_ = worker.process.poll()
            return _failure("crash", f"the sandbox worker died (exit status {code_}); the next run gets a new one", started)
        finally:
            if not healthy:
                self._retire(worker)  # first: a fetch thread blocked writing to it is released
            if exchange is not None:
                exchange.close()
            if healthy:
                self._idle.put(worker)

    def _fetch_pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._fetchers is None:
                self._fetchers = ThreadPoolExecutor(FETCH_THREADS, thread_name_prefix="jsolve-fetch")
            return self._fetchers

    async def run_async(self, code: str, *, limits: Limits | None = None, check: str | None = None,
                        network: NetworkPolicy | None = None) -> RunResult:
        """`run` for asyncio callers: the waiting happens off the event loop."""
        if self._executor is None:
            with self._lock:
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(self.size * 2, thread_name_prefix="jsolve-sandbox")
        return await asyncio.get_running_loop().run_in_executor(self._executor, lambda: self.run(code, limits=limits, check=check, network=network))

    def close(self) -> None:
        """Stop every worker process. Safe to call twice."""
        with self._lock:
            self._closed = True
        self._finalizer()
        for executor in (self._executor, self._fetchers):
            if executor is not None:
                executor.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _Exchange:
    """The requests of one run: performed on the pool's fetch threads, answered to its worker."""

    def __init__(self, channel: Channel, fetcher: Fetcher, run_id: int, threads: ThreadPoolExecutor) -> None:
        self.channel = channel
        self.fetcher = fetcher
        self.run_id = run_id
        self.threads = threads
        self._lock = threading.Lock()
        self._open = True

    def start(self, request: dict[str, Any]) -> None:
        self.threads.submit(self._perform, request)

    def _perform(self, request: dict[str, Any]) -> None:
        reply = self.fetcher.fetch(request)
        with self._lock:
            if not self._open:
                return  # the run ended (settled, timed out or crashed) while this request was out
            try:
                self.channel.send({"op": "fetched", "run_id": self.run_id, "id": request.get("id"), **reply})
            except ChannelClosed:
                pass

    def close(self) -> None:
        with self._lock:
            self._open = False
        self.fetcher.close()


@functools.lru_cache(maxsize=64)
def _wire(limits: Limits) -> dict[str, Any]:
    """The limits as a run frame carries them (read-only: one dict is shared by every run)."""
    return asdict(limits)


def _failure(kind: Any, message: str, started: float) -> RunResult:
    return RunResult(ok=False, error=RunError(kind=kind, message=message), duration_ms=(time.perf_counter() - started) * 1000)


def _result(reply: dict[str, Any], seconds: float, limits: Limits) -> RunResult:
    logs = [LogEntry(entry["level"], entry["text"]) for entry in reply["logs"]]
    if reply["cut"]:
        logs.append(LogEntry("warn", f"[console output cut: {reply['cut']} more line(s) over the cap of "
                                     f"{limits.console_lines} lines / {limits.console_bytes} bytes]"))
    duration_ms = seconds * 1000
    if reply["error"] is not None:
        return RunResult(ok=False, error=RunError(**reply["error"]), logs=logs, duration_ms=duration_ms)
    try:
        value = json.loads(reply["value_json"])
        unsafe = _unsafe_integers(value, reply["value_json"])
        for path in reply["bigints"]:
            value = _set_at(value, path, int)
    except RecursionError:  # the engine caps nesting at 900 levels, below Python's limit; a guard all the same
        return RunResult(ok=False, error=RunError(kind="output", message="the value is nested too deeply to read"), logs=logs, duration_ms=duration_ms)
    except (ValueError, LookupError, TypeError):  # only code that replaced the built-ins reading the value gets here
        return RunResult(ok=False, error=RunError(kind="output", message="the value could not be read out: the code changed built-ins the sandbox reads it with"),
                         logs=logs, duration_ms=duration_ms)
    return RunResult(ok=True, value=value, logs=logs, duration_ms=duration_ms, unsafe_integers=unsafe)


MAX_SAFE_INTEGER = 2**53 - 1
"""JavaScript's `Number.MAX_SAFE_INTEGER`: past it, a Number cannot hold every integer."""

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
