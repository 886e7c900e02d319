"""Runs that stop when their caller stops waiting for them.

`Sandbox.run_async` waits on a thread: cancelling the awaiting task leaves that thread, and the
worker it holds, running the code until it finishes or reaches its deadline. A server whose
clients cancel calls (an MCP client, an agent that gives up) would then lose a worker per
cancelled call for up to a timeout. `CancellableSandbox` stops the run instead: the worker that
runs it is killed (SIGKILL) at once, the run's thread sees the worker gone and returns, and the
pool starts a fresh worker in its place, as it does for a crash. A run cancelled while it still
waits for a worker never starts.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from agent.sandbox.inputs import Inputs
from agent.sandbox.limits import Limits
from agent.sandbox.pool import Sandbox
from agent.sandbox.process import WorkerProcess
from agent.sandbox.result import RunResult

if TYPE_CHECKING:
    from agent.sandbox.network import NetworkPolicy

__all__ = ["CancellableSandbox"]


class _Ticket:
    """One `run_async` call: whether its caller cancelled it, and the worker running it."""

    __slots__ = ("cancelled", "worker", "on_start")

    def __init__(self, on_start: Callable[[], None] | None = None) -> None:
        self.cancelled = False
        self.worker: WorkerProcess | None = None
        self.on_start = on_start


class _Cancelled(Exception):
    """Raised in a run's thread when its caller cancelled it before it got a worker."""


_current = threading.local()
"""The ticket of the run on this thread, read when the run takes a worker."""


class CancellableSandbox(Sandbox):
    """A `Sandbox` whose `run_async`, when the awaiting task is cancelled, kills the worker
    running that code; the pool replaces it. `run` (synchronous) is unchanged."""

    def __init__(self, size: int | None = None, *, limits: Limits | None = None) -> None:
        super().__init__(size, limits=limits)
        self._guard = threading.Lock()
        self._tickets: dict[WorkerProcess, _Ticket] = {}
        """Which run last took each worker (until another run takes it, or it is retired)."""
        self._stopped: set[WorkerProcess] = set()
        """Workers killed for a cancelled run that the pool has not retired yet."""
        self.stopped_runs = 0
        """How many runs a cancellation stopped by killing their worker."""

    def _take(self) -> WorkerProcess:
        ticket: _Ticket | None = getattr(_current, "ticket", None)
        while True:
            worker = super()._take()
            with self._guard:
                earlier = self._tickets.pop(worker, None)
                if earlier is not None:
                    earlier.worker = None  # that run has ended: its cancellation must not reach this worker
                stopped = worker in self._stopped
                if not stopped:
                    if ticket is not None and ticket.cancelled:
                        self._idle.put(worker)
                        raise _Cancelled()
                    if ticket is not None:
                        ticket.worker = worker
                        self._tickets[worker] = ticket
                    break
            # Killed by a cancellation just after its run ended and it went back idle.
            self._retire(worker)
        if ticket is not None and ticket.on_start is not None:
            try:
                ticket.on_start()
            except Exception:  # noqa: BLE001 - a caller's notice must not strand the worker it was given
                pass
        return worker

    def _retire(self, worker: WorkerProcess) -> None:
        with self._guard:
            self._stopped.discard(worker)
            ticket = self._tickets.pop(worker, None)
            if ticket is not None:
                ticket.worker = None
        super()._retire(worker)

    def _stop(self, ticket: _Ticket) -> None:
        """Cancel the run of `ticket`: kill its worker if it has one, else keep it from starting."""
        with self._guard:
            ticket.cancelled = True
            worker = ticket.worker
            if worker is None:
                return
            self._stopped.add(worker)
            self.stopped_runs += 1
            if worker.process.poll() is None:
                worker.process.kill()

    async def run_async(self, code: str, *, limits: Limits | None = None, check: str | None = None,
                        network: NetworkPolicy | None = None, inputs: Inputs | Mapping[str, Any] | None = None,
                        on_start: Callable[[], None] | None = None) -> RunResult:
        """`run` for asyncio callers, off the event loop. Cancelling the awaiting task stops the
        run: its worker is killed at once and replaced, and the cancellation propagates.
        `on_start` is called (on the run's thread) when the run has a worker, after waiting for
        one while every worker is busy."""
        ticket = _Ticket(on_start)

        def call() -> RunResult:
            if ticket.cancelled:
                raise _Cancelled()
            _current.ticket = ticket
            try:
                return self.run(code, limits=limits, check=check, network=network, inputs=inputs)
            finally:
                _current.ticket = None

        try:
            return await asyncio.get_running_loop().run_in_executor(self._threads(), call)
        except asyncio.CancelledError:
            self._stop(ticket)
            raise

    def _threads(self) -> ThreadPoolExecutor:
        if self._executor is None:
            with self._lock:
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(self.size * 2, thread_name_prefix="jsolve-sandbox")
        return self._executor
