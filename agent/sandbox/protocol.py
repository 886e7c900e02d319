"""Length-prefixed JSON frames between the pool and its worker processes."""

from __future__ import annotations

import json
import os
import select
import struct
import time
from typing import Any

__all__ = ["Channel", "ChannelClosed", "ChannelTimeout"]

_HEADER = struct.Struct(">I")


class ChannelClosed(Exception):
    """The other end went away."""


class ChannelTimeout(Exception):
    """No complete frame arrived before the deadline."""


class Channel:
    """One end of a pipe pair: `send` a JSON-able dict, `recv` one back (optionally by a deadline)."""

    def __init__(self, read_fd: int, write_fd: int) -> None:
        self.read_fd = read_fd
        self.write_fd = write_fd

    def send(self, message: dict[str, Any]) -> None:
        data = json.dumps(message, separators=(",", ":")).encode()
        view = memoryview(_HEADER.pack(len(data)) + data)
        try:
            while view:
                view = view[os.write(self.write_fd, view):]
        except (BrokenPipeError, OSError) as exc:
            raise ChannelClosed(str(exc)) from exc

    def readable(self, timeout: float) -> bool:
        """Whether a frame starts arriving within `timeout` seconds."""
        return bool(select.select([self.read_fd], [], [], max(0.0, timeout))[0])

    def recv(self, deadline: float | None = None) -> dict[str, Any]:
        (size,) = _HEADER.unpack(self._read_exactly(_HEADER.size, deadline))
        return json.loads(self._read_exactly(size, deadline))

    def _read_exactly(self, size: int, deadline: float | None) -> bytes:
        chunks: list[bytes] = []
        while size:
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not select.select([self.read_fd], [], [], remaining)[0]:
                    raise ChannelTimeout()
            try:
                chunk = os.read(self.read_fd, min(size, 1 << 20))
            except OSError as exc:
                raise ChannelClosed(str(exc)) from exc
            if not chunk:
                raise ChannelClosed("end of stream")
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)
