"""The prompt prefix every solve request shares, kept as llama.cpp KV state between server starts.

A new local model server would otherwise read the same system prompt again (about 300 tokens:
seconds on a CPU) on its first request. `SavedPrefix.prepare` runs once a server is healthy: it
restores the saved state of the prefix into slot 0 (llama.cpp's `POST /slots/0?action=restore`),
where the next request that starts with that prefix finds it computed; or, when there is no
usable state, it has the server read the prefix once (a request for one token) and saves the
slot (`?action=save`). The first run pays nothing extra: its first request would have read the
prefix anyway.

The state file is named by a key over the model file's hash, the llama.cpp runtime's version and
context size, and the prefix text, so a changed prompt or model gets a state of its own (and
the superseded one of the same model is removed). Beside it a JSON record holds the key, the
file's size and SHA-256: a state file that does not match its record (damaged, truncated,
replaced), or that the server refuses, is deleted and built again, never restored blindly.

Only what this user wrote is restored: the folder must be this user's and not writable by others
(it is created 0700), and the state and its record regular files of this user's that no one else
may write, opened without following a symbolic link or waiting on a FIFO. Anything else is built
again (or, for the folder, the prefix is not kept). The record is not signed: a key kept beside
it would be readable by whoever can write files as this user, the only one these checks let
plant a state, so a signature would prove nothing the owner check does not.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import httpx

from agent.files import write_whole

__all__ = ["PREFIX_TIMEOUT", "NotPrivate", "SavedPrefix", "file_fingerprint", "open_private", "private_folder"]

STATE_VERSION = 1
"""Bumped when what a state file means changes."""
PREFIX_TIMEOUT = 120.0
"""Seconds for reading the prefix on a slow machine before giving up on saving it."""
RECORD_LIMIT = 64 << 10
"""Bytes of a record read at most (one is about 250): a larger file is not a record."""


_uid: int | None = os.getuid() if hasattr(os, "getuid") else None
"""This user (None where there are no Unix users to tell apart: Windows)."""


class NotPrivate(ValueError):
    """A file or folder that someone other than this user could have written or replaced."""


@dataclass(frozen=True, slots=True)
class SavedPrefix:
    """The prefix `messages` of one model (`model_id`: its file's hash) on one llama.cpp runtime
    (`runtime`: its version and context size), saved in `folder` (the server's slot save path)."""

    folder: Path
    model_id: str
    runtime: str
    messages: Sequence[Mapping[str, str]]

    @property
    def key(self) -> str:
        text = json.dumps([STATE_VERSION, self.model_id, self.runtime, list(map(dict, self.messages))], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def state(self) -> Path:
        """The KV state file (llama.cpp's format, written by the server)."""
        return self.folder / f"prefix-{self.key[:32]}.bin"

    @property
    def record(self) -> Path:
        """What the state file must be: its key, size and SHA-256, and the model it belongs to."""
        return self.state.with_suffix(".json")

    def prepare(self, base_url: str, api_key: str, *, timeout: float = PREFIX_TIMEOUT) -> str:
        """Restore the saved state into the server at `base_url` (its root, not `/v1`), or build
        and save it; returns "restored" or "saved". Raises `httpx.HTTPError`, `OSError` or
        `ValueError` when the server cannot do either, or `NotPrivate` when the folder is not this
        user's alone: the caller goes on without it."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        private_folder(self.folder)
        with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {api_key}"}, timeout=timeout) as client:
            if self._trusted():
                try:
                    reply = client.post("/slots/0", params={"action": "restore"}, json={"filename": self.state.name})
                    if reply.status_code == 200 and int(reply.json().get("n_restored", 0)) > 0:
                        return "restored"
                except (httpx.HTTPError, ValueError):
                    pass
            self._discard()
            read = client.post("/v1/chat/completions", json={"messages": list(map(dict, self.messages)), "max_tokens": 1,
                                                             "temperature": 0.0, "id_slot": 0, "cache_prompt": True})
            read.raise_for_status()
            saved = client.post("/slots/0", params={"action": "save"}, json={"filename": self.state.name})
            saved.raise_for_status()
            if int(saved.json().get("n_saved", 0)) <= 0:
                raise ValueError(f"the server saved no state: {saved.text[:200]}")
            self._write_record()
            self._remove_superseded()
            return "saved"

    def _trusted(self) -> bool:
        """Whether the state file is the one its record describes, byte for byte, and both are this
        user's alone."""
        try:
            record = json.loads(_read_private(self.record))
            if not (isinstance(record, dict) and record.get("key") == self.key):
                return False
            with os.fdopen(open_private(self.state), "rb") as state:
                return os.fstat(state.fileno()).st_size == record.get("bytes") and _sha256(state) == record.get("sha256")
        except (OSError, ValueError):
            return False

    def _write_record(self) -> None:
        """Record the state file the server just wrote (made readable and writable by this user
        only: the server creates it with the umask's mode)."""
        with os.fdopen(_open_regular(self.state), "rb") as state:
            info = os.fstat(state.fileno())
            if _uid is not None:
                if info.st_uid != _uid:
                    raise NotPrivate(f"{self.state} is owned by user {info.st_uid}, not this user ({_uid})")
                os.fchmod(state.fileno(), 0o600)
            record = {"key": self.key, "model_id": self.model_id, "bytes": info.st_size, "sha256": _sha256(state)}
        write_whole(self.record, json.dumps(record))  # mode 0600, like the state

    def _discard(self) -> None:
        for path in (self.state, self.record):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def _remove_superseded(self) -> None:
        """States of this model for another prefix or runtime: the prompt changed since."""
        for record in self.folder.glob("prefix-*.json"):
            if record == self.record:
                continue
            with contextlib.suppress(OSError, ValueError, AttributeError):
                if json.loads(_read_private(record)).get("model_id") == self.model_id:
                    record.with_suffix(".bin").unlink(missing_ok=True)
                    record.unlink()


def file_fingerprint(path: Path, *, chunk: int = 1 << 20) -> str:
    """A hash of a model file that costs milliseconds rather than reading gigabytes: its size and
    its first and last `chunk` bytes (a GGUF file's header and metadata, and its last tensors)."""
    digest = hashlib.sha256()
    size = path.stat().st_size
    digest.update(str(size).encode())
    with path.open("rb") as f:
        digest.update(f.read(chunk))
        f.seek(max(0, size - chunk))
        digest.update(f.read(chunk))
    return digest.hexdigest()


def _open_regular(path: Path) -> int:
    """A read descriptor of `path` if it is a regular file: a symbolic link is not followed and a
    FIFO or device is not waited on (O_NONBLOCK), both refused with `NotPrivate`."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotPrivate(f"{path} is a symbolic link, not a file jsolve wrote") from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise NotPrivate(f"{path} is not a regular file")
    return fd


def _check_private(path: Path, info: os.stat_result) -> None:
    """Raise `NotPrivate` unless `info` (of `path`) is this user's and not writable by group or others."""
    if _uid is None:
        return
    if info.st_uid != _uid:
        raise NotPrivate(f"{path} is owned by user {info.st_uid}, not this user ({_uid})")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise NotPrivate(f"{path} is writable by other users (mode {stat.S_IMODE(info.st_mode):o})")


def open_private(path: Path) -> int:
    """A read descriptor of `path` if it is a regular file of this user's that no one else may
    write; else `NotPrivate` saying why (a symbolic link, a FIFO, another user's file, a file
    others may write), or the `OSError` of opening it (`FileNotFoundError` when absent). Never
    blocks: a FIFO planted in its place is opened without waiting and refused."""
    fd = _open_regular(path)
    try:
        _check_private(path, os.fstat(fd))
    except NotPrivate:
        os.close(fd)
        raise
    return fd


def private_folder(folder: Path) -> None:
    """Raise `NotPrivate` unless `folder` is this user's and not writable by others: in a folder
    others may write, a file checked now could be replaced before the server reads it."""
    info = os.stat(folder)
    if not stat.S_ISDIR(info.st_mode):
        raise NotPrivate(f"{folder} is not a folder")
    try:
        _check_private(folder, info)
    except NotPrivate as exc:
        raise NotPrivate(f"{exc}; saved model state is kept only in a folder of this user's alone: "
                         f"chmod go-w {folder}, or set JSOLVE_CACHE_DIR to another folder") from None


def _read_private(path: Path) -> bytes:
    """The content of a small file of this user's alone (see `open_private`), at most `RECORD_LIMIT` bytes."""
    with os.fdopen(open_private(path), "rb") as f:
        data = f.read(RECORD_LIMIT + 1)
    if len(data) > RECORD_LIMIT:
        raise ValueError(f"{path} is larger than {RECORD_LIMIT} bytes: not a record")
    return data


def _sha256(file: BinaryIO) -> str:
    digest = hashlib.sha256()
    while block := file.read(1 << 20):
        digest.update(block)
    return digest.hexdigest()
