"""A worker process as the pool sees it: started, its channel, ready, killed.

A command that will run code as soon as it starts (`jsolve run`) calls `start_early()` before it
imports the rest of the sandbox: the worker's interpreter and engine then load while the command
imports the pool, and the first pool of the process takes that worker instead of starting one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from agent.sandbox.protocol import Channel

STARTUP_TIMEOUT = 30.0
"""Seconds a new worker may take to import the engine and say it is ready."""

READY_FRAME_BYTES = 1024
"""Bytes the worker's `ready` frame (its pid) may take."""

_early: list[WorkerProcess] = []


class WorkerProcess:
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
        self.held: frozenset[str] = frozenset()
        """Digests of the inputs of this worker's last run, which it keeps: they are not sent again."""

    def wait_ready(self) -> None:
        if not self.ready:
            self.channel.recv(time.monotonic() + STARTUP_TIMEOUT, READY_FRAME_BYTES)
            self.ready = True

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream:
                stream.close()


def start_early() -> None:
    """Start a worker now for the first pool of this process to take (see the module's doc).
    One no pool takes dies with this process (it is bound to its parent's life)."""
    _early.append(WorkerProcess())


def spawn() -> WorkerProcess:
    """A worker started early, else a new one."""
    return _early.pop() if _early else WorkerProcess()


def _package_root() -> str:
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
