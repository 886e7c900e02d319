"""A worker process as the pool sees it: started, its channel, ready, killed.

A command that will run code as soon as it starts (`jsolve run`) calls `start_early()` before it
imports the rest of the sandbox: the worker's interpreter and engine then load while the command
imports the pool, and the first pool of the process takes that worker instead of starting one.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time

from agent.sandbox.protocol import READY_FRAME_BYTES, Channel

STARTUP_TIMEOUT = 30.0
"""Seconds a new worker may take to import the engine and say it is ready."""

_early: list[WorkerProcess] = []


class WorkerProcess:
    """One worker process and its channel."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-c", _boot()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            cwd="/",
            env=_worker_environment(),
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


_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
"""The folder that holds this very `agent` package: the only place a worker imports jsolve from."""


def _boot() -> str:
    """The worker's entry, run as `python -I -c`. Isolated mode keeps the working directory,
    `PYTHON*` variables and the user's site-packages off `sys.path`, so no `agent/` package or
    `quickjs.py` of the folder jsolve was started from is ever imported. The `agent` package is
    loaded from this process's own file, so the worker runs the same jsolve as its pool, and the
    engine's folder is added last if isolated mode left it out (a `pip install --user`)."""
    package = os.path.join(_PACKAGE_ROOT, "agent")
    engine = importlib.util.find_spec("_quickjs")
    engine_folder = os.path.dirname(engine.origin) if engine and engine.origin else None
    return (
        "import importlib.util as u, sys\n"
        f"if {engine_folder!r} and {engine_folder!r} not in sys.path: sys.path.append({engine_folder!r})\n"
        f"s = u.spec_from_file_location('agent', {os.path.join(package, '__init__.py')!r}, submodule_search_locations=[{package!r}])\n"
        "m = sys.modules['agent'] = u.module_from_spec(s); s.loader.exec_module(m)\n"
        "import agent.sandbox.worker as w; w.main()\n"
    )
WORKER_ENVIRONMENT = ("TZ",)
"""The only variables a worker inherits: the local time zone, which `Date` reads. Everything else
of the caller's environment (API keys, tokens, paths) stays out, so an escape from the engine
would not start with the caller's secrets."""


def _worker_environment() -> dict[str, str]:
    return {name: os.environ[name] for name in WORKER_ENVIRONMENT if name in os.environ}
