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
        self._pending = bytearray()  # bytes read past the last frame returned

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
        return bool(self._pending) or bool(select.select([self.read_fd], [], [], max(0.0, timeout))[0])

    def recv(self, deadline: float | None = None) -> dict[str, Any]:
        self._fill(_HEADER.size, deadline)
        (size,) = _HEADER.unpack_from(self._pending)
        self._fill(_HEADER.size + size, deadline)
        frame = self._pending[_HEADER.size:_HEADER.size + size]
        del self._pending[:_HEADER.size + size]
        return json.loads(frame)

    def _fill(self, size: int, deadline: float | None) -> None:
        """Read until `size` bytes are pending: a frame usually arrives whole, in one read."""
        while len(self._pending) < size:
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not select.select([self.read_fd], [], [], remaining)[0]:
                    raise ChannelTimeout()
            try:
                chunk = os.read(self.read_fd, max(size - len(self._pending), 1 << 16))
            except OSError as exc:
                raise ChannelClosed(str(exc)) from exc
            if not chunk:
                raise ChannelClosed("end of stream")
            self._pending += chunk
