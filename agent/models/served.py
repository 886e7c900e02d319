"""`jsolve serve`: keep a local model loaded for other processes.

While it runs, a state file in the cache folder (readable by the user only: it holds the
server's API key) says where the server is; `jsolve solve`, `jsolve eval` and `solve()` in other
processes that would start the same local model use it instead (`find_served`). A state file
whose process has died, or whose server does not answer, is stale: it is ignored and removed.

The file is trusted only as far as it can be checked. It must be a regular file of this user's
that no one else may write (`agent.models.saved_prefix.open_private`: no symbolic link, no FIFO). It
records the start time of the `jsolve serve` process and of its llama.cpp server process (on
Linux, field 22 of `/proc/PID/stat`), so that a process that got the same pid after they ended is
not taken for them: `--stop` signals only the process that wrote the file. And a solve sends
its prompts and the key only when the loopback port in the file is held by that llama.cpp process
(its listening socket is among the process's open files, `/proc/net/tcp`), not by whoever bound
the port after the server let it go. Where there is no `/proc` (macOS, Windows) these two checks
cannot be made, and the process's liveness and `/health` are all that is checked.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from agent.errors import UsageError
from agent.files import write_whole
from agent.logs import get_logger
from agent.models.saved_prefix import NotPrivate, open_private

if TYPE_CHECKING:
    from agent.models.local import LocalServer

__all__ = ["STATE_FILE", "Served", "find_served", "serving", "stop_served", "wait_until_stopped"]

STATE_FILE = "server.json"
"""The state file's name in the cache folder (`agent.models.local.default_cache_dir()`)."""

EMBEDDED = "embedded"
"""The key of the embedded model in the state file (a GGUF file is keyed by its resolved path)."""

HEALTH_TIMEOUT = 1.0
"""Seconds a served server has to answer `/health` before it is taken as gone."""

STOP_WAIT = 15.0
"""Seconds `stop_served` waits for the server to exit after asking it to."""

STATE_LIMIT = 64 << 10
"""Bytes of a state file read at most (one is about 300): a larger file is not a state file."""

_LISTEN = "0A"
"""TCP_LISTEN as `/proc/net/tcp` writes a socket's state."""

log = get_logger("jsolve.serve")


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
    server_pid: int
    """The llama.cpp server process (a child of `pid`) listening on `base_url`."""


@dataclass(frozen=True, slots=True)
class _State:
    """The state file: the server, and the start times of its two processes when it was written
    (None where the system does not tell them)."""

    served: Served
    started: int | None
    server_started: int | None

    def current(self) -> bool:
        """Whether the `jsolve serve` process that wrote the file still runs (not another one
        under its pid)."""
        return _same_process(self.served.pid, self.started)


def state_path() -> Path:
    from agent.models.local import default_cache_dir

    return default_cache_dir() / STATE_FILE


def model_key(path: Path | str | None) -> str:
    """The state file's `model` for the embedded model (None) or the GGUF file at `path`."""
    from agent.models.local import model_file

    return EMBEDDED if path is None else str(model_file(path))


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


def _start_time(pid: int) -> int | None:
    """When the process started (clock ticks after boot: field 22 of `/proc/PID/stat`), or None
    where there is no such process or no `/proc`."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def _same_process(pid: int, started: int | None) -> bool:
    """Whether `pid` is still the process that started at `started` (its liveness alone where
    there is no `/proc`)."""
    return _alive(pid) and _start_time(pid) == started


def _holds_port(pid: int, port: int) -> bool | None:
    """Whether every TCP socket listening on `port` is one of `pid`'s open files; None where
    there is no `/proc/net/tcp` to tell."""
    listening, found = set[str](), False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        found = True
        for line in lines:
            fields = line.split()  # sl, local address:port, remote, state, queues, timer, retransmits, uid, timeout, inode
            if len(fields) > 9 and fields[3] == _LISTEN and int(fields[1].rsplit(":", 1)[1], 16) == port:
                listening.add(f"socket:[{fields[9]}]")
    if not found:
        return None
    if not listening:
        return False
    held = set[str]()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                held.add(os.readlink(f"/proc/{pid}/fd/{fd}"))
    except OSError:
        return False
    return listening <= held


def _serves(state: _State) -> bool:
    """Whether the server the file names still listens on its loopback port: the port is held by
    the llama.cpp process that started when the file says (where the system tells)."""
    address = urlsplit(state.served.base_url)
    try:
        loopback = address.hostname is not None and ipaddress.ip_address(address.hostname).is_loopback
        port = address.port
    except ValueError:
        return False
    if not loopback or port is None or not _same_process(state.served.server_pid, state.server_started):
        return False
    return _holds_port(state.served.server_pid, port) is not False


def _read() -> _State | None:
    """The state file; None when there is none or it is damaged. Raises `UsageError` when it is
    not a file this user's `jsolve serve` could have written (see the module's text)."""
    path = state_path()
    try:
        with os.fdopen(open_private(path), "rb") as f:
            text = f.read(STATE_LIMIT + 1)
        if len(text) > STATE_LIMIT:
            return None
        data = json.loads(text)
        served = Served(**{k: data[k] for k in ("pid", "model", "name", "base_url", "api_key", "server_pid")})
        state = _State(served, data["started"], data["server_started"])
    except NotPrivate as exc:
        raise UsageError(f"the jsolve serve state file is not to be trusted: {exc}. Remove {path} (and stop by hand "
                         "any jsolve serve that runs)") from None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return state if type(served.pid) is int and type(served.server_pid) is int else None


def _read_or_ignore() -> _State | None:
    """`_read`, with a state file that is not to be trusted taken as none (and said in the log)."""
    try:
        return _read()
    except UsageError as exc:
        log.warning("serve.state_refused", why=str(exc))
        return None


def find_served(path: Path | str | None = None) -> Served | None:
    """The running `jsolve serve` of this model (None: the embedded one), or None. A state file
    that is damaged or not this user's alone, names a process that no longer runs, or whose
    server is not the one on its port or does not answer is ignored (and, when its process has
    ended, removed)."""
    state = _read_or_ignore()
    if state is None or state.served.model != model_key(path):
        return None
    if not state.current():
        with contextlib.suppress(OSError):
            state_path().unlink()
        return None
    if not _serves(state):
        return None
    from agent.models.local import healthy

    return state.served if healthy(state.served.base_url, timeout=HEALTH_TIMEOUT) else None


def _write(served: Served) -> Path:
    """Write the state file atomically, readable and writable by this user only, with the start
    times of the two processes it names as they are now."""
    target = state_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    record = {**asdict(served), "started": _start_time(served.pid), "server_started": _start_time(served.server_pid)}
    write_whole(target, json.dumps(record))  # mode 0600: it holds the server's API key
    return target


@contextlib.contextmanager
def serving(path: Path | str | None = None, *, threads: int | None = None, progress: Callable[[int, int], None] | None = None,
            ) -> Iterator[tuple[Served, LocalServer]]:
    """Load the model (None: the embedded one) and keep it served, with the state file in place,
    while the block runs. Refuses to start while another `jsolve serve` runs (one state file per
    cache folder)."""
    from agent.models.local import local_server

    running = _read_or_ignore()
    if running is not None and running.current() and running.served.pid != os.getpid():
        raise UsageError(f"jsolve serve already runs (process {running.served.pid}, {running.served.model}): "
                         "stop it with jsolve serve --stop")
    server = local_server(path, threads=threads, progress=progress)
    state: Path | None = None
    try:
        base_url = server.start()
        if server.pid is None:
            raise UsageError("the local model server exited; start jsolve serve again")
        served = Served(pid=os.getpid(), model=model_key(path), name=server.name, base_url=base_url, api_key=server.api_key,
                        server_pid=server.pid)
        state = _write(served)
        yield served, server
    finally:
        current = _read_or_ignore()
        if state is not None and current is not None and current.served.pid == os.getpid():
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
    runs (a stale state file is removed: one whose process ended, or whose pid now belongs to
    another process, which is left alone). Raises `UsageError` for a state file that is not
    this user's alone."""
    state = _read()
    if state is None:
        return None
    if not state.current():
        with contextlib.suppress(OSError):
            state_path().unlink()
        return None
    pid = state.served.pid
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_WAIT
    while state.current() and time.monotonic() < deadline:
        time.sleep(0.05)
    if state.current():
        raise UsageError(f"jsolve serve (process {pid}) did not stop within {STOP_WAIT:.0f} s")
    return state.served
