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
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

__all__ = ["PREFIX_TIMEOUT", "SavedPrefix", "file_fingerprint"]

STATE_VERSION = 1
"""Bumped when what a state file means changes."""
PREFIX_TIMEOUT = 120.0
"""Seconds for reading the prefix on a slow machine before giving up on saving it."""


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
        and save it; returns "restored" or "saved". Raises `httpx.HTTPError` or `ValueError` when
        the server cannot do either: the caller goes on without it."""
        with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {api_key}"}, timeout=timeout) as client:
            if self._trusted():
                try:
                    reply = client.post("/slots/0", params={"action": "restore"}, json={"filename": self.state.name})
                    if reply.status_code == 200 and int(reply.json().get("n_restored", 0)) > 0:
                        return "restored"
                except (httpx.HTTPError, ValueError):
                    pass
            self._discard()
            self.folder.mkdir(parents=True, exist_ok=True)
            read = client.post("/v1/chat/completions", json={"messages": list(map(dict, self.messages)), "max_tokens": 1,
                                                             "temperature": 0.0, "id_slot": 0, "cache_prompt": True})
            read.raise_for_status()
            saved = client.post("/slots/0", params={"action": "save"}, json={"filename": self.state.name})
            saved.raise_for_status()
            if int(saved.json().get("n_saved", 0)) <= 0 or not self.state.is_file():
                raise ValueError(f"the server saved no state: {saved.text[:200]}")
            self._write_record()
            self._remove_superseded()
            return "saved"

    def _trusted(self) -> bool:
        """Whether the state file is the one its record describes, byte for byte."""
        try:
            record = json.loads(self.record.read_text())
            return (isinstance(record, dict) and record.get("key") == self.key and self.state.stat().st_size == record.get("bytes")
                    and _sha256(self.state) == record.get("sha256"))
        except (OSError, ValueError):
            return False

    def _write_record(self) -> None:
        record = {"key": self.key, "model_id": self.model_id, "bytes": self.state.stat().st_size, "sha256": _sha256(self.state)}
        partial = self.record.with_suffix(".json.partial")
        partial.write_text(json.dumps(record))
        os.replace(partial, self.record)

    def _discard(self) -> None:
        for path in (self.state, self.record):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def _remove_superseded(self) -> None:
        """States of this model for another prefix or runtime: the prompt changed since."""
        for record in self.folder.glob("prefix-*.json"):
            if record == self.record:
                continue
            with contextlib.suppress(OSError, ValueError):
                if json.loads(record.read_text()).get("model_id") == self.model_id:
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


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()

