"""Length-prefixed JSON frames between the pool and its worker processes."""

from __future__ import annotations

import json
import os
import select
import struct
import time
from typing import Any

__all__ = ["MAX_HEADERS", "MAX_HEADER_CHARS", "MAX_URL_CHARS", "Channel", "ChannelClosed", "ChannelTimeout", "ProtocolError"]

_HEADER = struct.Struct(">I")

MAX_URL_CHARS = 64 * 1024
"""Characters of a guest request's URL: far past what servers accept (8 KB is common), small
enough that a request cannot grow a frame without bound."""

MAX_HEADERS = 100
"""Headers of one guest request."""

MAX_HEADER_CHARS = 16 * 1024
"""Characters of one header's name and value together."""


class ChannelClosed(Exception):
    """The other end went away."""


class ChannelTimeout(Exception):
    """No complete frame arrived before the deadline."""


class ProtocolError(Exception):
    """The other end sent what no honest peer sends: a frame over the size the reader allows,
    text that is not JSON, or JSON that is not an object. The channel cannot be trusted after it."""


class Channel:
    """One end of a pipe pair: `send` a JSON-able dict, `recv` one back (optionally by a deadline)."""

    def __init__(self, read_fd: int, write_fd: int) -> None:
        self.read_fd = read_fd
        self.write_fd = write_fd
        self._pending = bytearray()  # bytes read past the last frame returned

    def send(self, message: dict[str, Any], payloads: tuple[bytes, ...] = ()) -> None:
        """Send `message`, then each of `payloads` as a raw frame (`recv_raw` reads one): bytes
        that are already text, such as an input's JSON, are not escaped into the message."""
        data = json.dumps(message, separators=(",", ":")).encode()
        parts = [_HEADER.pack(len(data)), data]
        for payload in payloads:
            parts += [_HEADER.pack(len(payload)), payload]
        view = memoryview(b"".join(parts))
        try:
            while view:
                view = view[os.write(self.write_fd, view):]
        except (BrokenPipeError, OSError) as exc:
            raise ChannelClosed(str(exc)) from exc

    def readable(self, timeout: float) -> bool:
        """Whether a frame starts arriving within `timeout` seconds."""
        return bool(self._pending) or bool(select.select([self.read_fd], [], [], max(0.0, timeout))[0])

    def recv(self, deadline: float | None = None, max_size: int | None = None) -> dict[str, Any]:
        """The next frame. `max_size` (bytes) is checked against the header before the body is
        read, so a peer cannot make the reader buffer more than it allows."""
        frame = self.recv_raw(deadline, max_size)
        try:
            message = json.loads(frame)
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
            raise ProtocolError(f"a frame that is not JSON ({type(exc).__name__})") from None
        if not isinstance(message, dict):
            raise ProtocolError(f"a frame that is not a JSON object ({type(message).__name__})")
        return message

    def recv_raw(self, deadline: float | None = None, max_size: int | None = None) -> bytes:
        """The next frame's bytes, unparsed (`max_size` as for `recv`)."""
        self._fill(_HEADER.size, deadline)
        (size,) = _HEADER.unpack_from(self._pending)
        if max_size is not None and size > max_size:
            raise ProtocolError(f"a frame of {size} bytes, over the {max_size} allowed")
        self._fill(_HEADER.size + size, deadline)
        frame = bytes(self._pending[_HEADER.size:_HEADER.size + size])
        del self._pending[:_HEADER.size + size]
        return frame

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
