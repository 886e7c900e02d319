"""`jsolve serve`: keep a local model loaded for other processes.

While it runs, a state file in the cache folder (readable by the user only: it holds the
server's API key) says where the server is; `jsolve solve`, `jsolve eval` and `solve()` in other
processes that would start the same local model use it instead (`find_served`). A state file
whose process has died, or whose server does not answer, is stale: it is ignored and removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from agent.errors import UsageError

if TYPE_CHECKING:
    from agent.local_model import LocalServer

__all__ = ["STATE_FILE", "Served", "find_served", "serving", "stop_served", "wait_until_stopped"]

STATE_FILE = "server.json"
"""The state file's name in the cache folder (`agent.local_model.default_cache_dir()`)."""

EMBEDDED = "embedded"
"""The key of the embedded model in the state file (a GGUF file is keyed by its resolved path)."""

HEALTH_TIMEOUT = 1.0
"""Seconds a served server has to answer `/health` before it is taken as gone."""

STOP_WAIT = 15.0
"""Seconds `stop_served` waits for the server to exit after asking it to."""


@dataclass(frozen=True, slots=True)
class Served:
    """A running `jsolve serve`, as its state file describes it."""

    pid: int
    """The `jsolve serve` process."""
    model: str
    """`embedded`, or the resolved path of the GGUF file it serves."""
    name: str
    """The model name the server answers to."""
    base_url: str
    api_key: str


def state_path() -> Path:
    from agent.local_model import default_cache_dir

    return default_cache_dir() / STATE_FILE


def model_key(path: Path | str | None) -> str:
    return EMBEDDED if path is None else str(Path(path).expanduser().resolve())


def _alive(pid: int) -> bool:
    """Whether the process runs (a zombie, exited but not yet reaped by its parent, does not)."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):  # PermissionError: another user's process under a reused pid
        return False
    with contextlib.suppress(OSError, IndexError):
        if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


def _read() -> Served | None:
    try:
        data = json.loads(state_path().read_text())
        return Served(**{k: data[k] for k in ("pid", "model", "name", "base_url", "api_key")})
    except (OSError, ValueError, KeyError, TypeError):
        return None


def find_served(path: Path | str | None = None) -> Served | None:
    """The running `jsolve serve` of this model (None: the embedded one), or None. A state file
    that is damaged, names a dead process, or whose server does not answer is ignored (and,
    unless its process still runs, removed)."""
    served = _read()
    if served is None or served.model != model_key(path):
        return None
    if not _alive(served.pid):
        with contextlib.suppress(OSError):
            state_path().unlink()
        return None
    try:
        healthy = httpx.get(served.base_url.removesuffix("/v1") + "/health", timeout=HEALTH_TIMEOUT).status_code == 200
    except httpx.HTTPError:
        healthy = False
    return served if healthy else None


def _write(served: Served) -> Path:
    """Write the state file atomically, readable and writable by this user only."""
    target = state_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_name(f".{target.name}.{os.getpid()}")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(asdict(served), f)
    os.replace(scratch, target)
    return target


@contextlib.contextmanager
def serving(path: Path | str | None = None, *, threads: int | None = None, progress: Callable[[int, int], None] | None = None,
            ) -> Iterator[tuple[Served, LocalServer]]:
    """Load the model (None: the embedded one) and keep it served, with the state file in place,
    while the block runs. Refuses to start while another `jsolve serve` runs (one state file per
    cache folder)."""
    from agent.local_model import LOCAL_MODEL_NAME, LocalServer, ensure_gguf, prefix_of

    running = _read()
    if running is not None and _alive(running.pid) and running.pid != os.getpid():
        raise UsageError(f"jsolve serve already runs (process {running.pid}, {running.model}): stop it with jsolve serve --stop")
    gguf = ensure_gguf(progress=progress) if path is None else Path(path).expanduser().resolve()
    server = LocalServer(gguf, threads=threads, name=LOCAL_MODEL_NAME if path is None else gguf.stem,
                         **prefix_of(None if path is None else gguf))
    state: Path | None = None
    try:
        base_url = server.start()
        served = Served(pid=os.getpid(), model=model_key(path), name=server.name, base_url=base_url, api_key=server.api_key)
        state = _write(served)
        yield served, server
    finally:
        current = _read()
        if state is not None and current is not None and current.pid == os.getpid():
            with contextlib.suppress(OSError):
                state.unlink()
        server.stop()


def wait_until_stopped(server: LocalServer) -> None:
    """Block until SIGINT or SIGTERM (what `stop_served` sends); a server that dies meanwhile is
    an error."""
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        while not stop.wait(0.5):
            if not server.running:
                raise UsageError("the local model server exited; start jsolve serve again")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def stop_served() -> Served | None:
    """Ask the running `jsolve serve` to stop (SIGTERM) and wait until it has; None when none
    runs (a stale state file is removed)."""
    served = _read()
    if served is None:
        return None
    if not _alive(served.pid):
        with contextlib.suppress(OSError):
            state_path().unlink()
        return None
    os.kill(served.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_WAIT
    while _alive(served.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(served.pid):
        raise UsageError(f"jsolve serve (process {served.pid}) did not stop within {STOP_WAIT:.0f} s")
    return served
