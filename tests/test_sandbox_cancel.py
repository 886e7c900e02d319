"""Every run can be stopped: a cancelled `run_async` or Ctrl-C in a blocked `run` kills the
worker running it (it would otherwise run to its deadline) and the pool starts a fresh one.
Also: a pool that is closed leaves nothing registered with `atexit`."""

from __future__ import annotations

import asyncio
import atexit
import gc
import os
import signal
import threading
from pathlib import Path

import pytest

from agent.sandbox import Limits, Sandbox
from agent.sandbox import pool as pool_module

ENDLESS = "while (true) {}\nexport default 1"
NO_DEADLINE = Limits(timeout=None)
"""A run that would never end on its own: only a stop can free its worker."""


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def running(pid: int) -> bool:
    """Whether the process is on a CPU (state R): a worker is asleep in a read while idle."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2] == "R"


def test_a_cancelled_async_run_kills_its_worker_and_the_next_run_gets_a_fresh_one():
    async def scenario(sandbox: Sandbox) -> None:
        loop = asyncio.get_running_loop()
        holding = asyncio.Event()
        endless = asyncio.create_task(sandbox.run_async(ENDLESS, limits=NO_DEADLINE, on_start=lambda: loop.call_soon_threadsafe(holding.set)))
        await holding.wait()
        (worker,) = sandbox._all
        endless.cancel()
        with pytest.raises(asyncio.CancelledError):
            await endless
        # With one worker and no deadline, this run only gets a worker because the other was killed.
        result = await sandbox.run_async("export default 'next'")
        assert result.ok and result.value == "next"
        assert worker.process.poll() is not None and gone(worker.process.pid)
        (fresh,) = sandbox._all
        assert fresh is not worker and fresh.process.poll() is None
        assert sandbox.stopped_runs == 1

    with Sandbox(1) as sandbox:
        asyncio.run(scenario(sandbox))


def test_ctrl_c_in_a_blocked_run_kills_its_worker_and_is_raised_on():
    main = threading.get_ident()
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with Sandbox(1) as sandbox:
            (worker,) = sandbox._all
            worker.wait_ready()
            pid = worker.process.pid

            def press_ctrl_c() -> None:
                while not (sandbox._holders and running(pid)):  # the code is running in the worker
                    threading.Event().wait(0.01)
                signal.pthread_kill(main, signal.SIGINT)

            threading.Thread(target=press_ctrl_c, daemon=True).start()
            with pytest.raises(KeyboardInterrupt):
                sandbox.run(ENDLESS, limits=NO_DEADLINE)
            assert gone(pid) and worker not in sandbox._all and not sandbox._holders
            assert sandbox.run("export default 2").value == 2  # a fresh worker took its place
            (fresh,) = sandbox._all
            assert fresh.process.pid != pid
    finally:
        signal.signal(signal.SIGINT, previous)


class _FakeProcess:
    def poll(self) -> int | None:
        return None


class _FakeWorker:
    """A worker that is never started: the pool's bookkeeping alone is under test."""

    def __init__(self) -> None:
        self.process = _FakeProcess()
        self.killed = False

    def kill(self) -> None:
        self.killed = True


def test_closed_pools_leave_no_atexit_registrations(monkeypatch):
    monkeypatch.setattr(pool_module, "spawn", _FakeWorker)
    Sandbox(1).close()  # the one hook of the process is registered by the first pool
    before, unclosed = atexit._ncallbacks(), len(pool_module._unclosed)
    workers = []
    for _ in range(100):
        with Sandbox(2) as sandbox:
            workers += list(sandbox._all)
    assert atexit._ncallbacks() == before and len(pool_module._unclosed) == unclosed
    assert len(workers) == 200 and all(worker.killed for worker in workers)


def test_a_pool_left_open_is_stopped_at_exit_or_when_collected(monkeypatch):
    monkeypatch.setattr(pool_module, "spawn", _FakeWorker)
    sandbox = Sandbox(1)
    (worker,) = sandbox._all
    finalizer = sandbox._finalizer
    assert finalizer in pool_module._unclosed.values()  # what the atexit hook stops
    del sandbox
    gc.collect()
    assert worker.killed and finalizer not in pool_module._unclosed.values()
