"""The wire between the pool and its worker processes: length-prefixed JSON frames (`Channel`),
what each frame holds (one TypedDict per `op`, built by the functions named after them), and the
caps on what a frame may carry. Both ends import this module and nothing of each other.

A run, in frames (pool -> worker, worker -> pool):

- `ready` (worker, once, when it started) carries its pid.
- `run` (pool) carries the code, the limits, the check, the network's request cap and the inputs'
  listing; each input text the worker does not hold follows as a raw frame.
- `loaded` (worker, only when the run has inputs) says they are in place: the timeout starts now.
- `fetch` (worker) is one of the guest's requests; `fetched` (pool) its answer.
- `call` (worker) carries the tool calls the guest made since the last one (all the calls of a
  `Promise.all` travel together); `called` (pool) answers one or more of them, as they complete.
- `result` (worker) ends the run: the console, then the value's JSON text or the error.
"""

from __future__ import annotations

import _thread
import json
import os
import select
import struct
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, NotRequired, TypedDict

from agent.sandbox.result import MAX_ERROR_CHARS
from agent.text import MAX_SAFE_INTEGER

if TYPE_CHECKING:  # types only: the worker imports this module, and nothing of the host side
    from agent.sandbox.limits import Limits
    from agent.sandbox.network import NetworkPolicy

__all__ = ["MAX_CALL_ID", "MAX_HEADERS", "MAX_HEADER_CHARS", "MAX_METHOD_CHARS", "MAX_TOOL_NAME_CHARS", "MAX_URL_CHARS", "READY_FRAME_BYTES",
           "CallFrame", "CalledFrame", "Channel", "ChannelClosed", "ChannelTimeout", "ErrorFields", "FetchFrame", "FetchedFrame", "InputListing",
           "LoadedFrame", "Op", "ProtocolError", "ReadyFrame", "ResultFrame", "RunFrame", "RunLimits", "ToolReply", "call", "called", "encode", "fetch",
           "fetched", "frame_cap", "loaded", "ready", "result", "run", "split_frames"]

_HEADER = struct.Struct(">I")

MAX_URL_CHARS = 64 * 1024
"""Characters of a guest request's URL: far past what servers accept (8 KB is common), small
enough that a request cannot grow a frame without bound."""

MAX_HEADERS = 100
"""Headers of one guest request."""

MAX_HEADER_CHARS = 16 * 1024
"""Characters of one header's name and value together."""

MAX_METHOD_CHARS = 64
"""Characters of a guest request's method."""

MAX_TOOL_NAME_CHARS = 256
"""Characters of a tool's name in a `call` frame: a JavaScript identifier a model can write;
the registry's names are far shorter."""

MAX_CALL_ID = MAX_SAFE_INTEGER
"""The largest id of a tool call: ids count up from 1 in the guest, as exact JavaScript Numbers."""

CALL_SLACK = 64
"""Bytes one call takes in a `call` frame besides its arguments and name (brackets, its id)."""

READY_FRAME_BYTES = 1024
"""Bytes the worker's `ready` frame (its pid) may take."""

FRAME_SLACK = 64 * 1024
"""Bytes a frame may carry past what its caps account for (keys, numbers, the error fields)."""

JSON_ESCAPE = 6
"""Bytes one UTF-16 unit of text can take in a frame: `\\uXXXX`."""

Op = Literal["ready", "run", "loaded", "fetch", "fetched", "call", "called", "result"]
"""The kinds of frame (each frame's `op`)."""


class RunLimits(TypedDict):
    """`Limits` as a run frame carries them (without `ceiling`, the pool's own rule)."""

    timeout: float | None
    memory_mb: int | None
    stack_kb: int | None
    output_bytes: int | None
    console_lines: int | None
    console_bytes: int | None
    max_tool_calls: int | None
    max_concurrent_tool_calls: int | None
    max_tool_bytes: int | None
    max_tool_total_bytes: int | None
    tool_timeout: float | None


class InputListing(TypedDict):
    """One input of a run frame: its text follows the frame as a raw frame when `sent`, else
    the worker holds it from its last run (or from earlier in this frame's listing)."""

    name: str
    digest: str
    sent: bool


class NetworkCaps(TypedDict):
    """What the worker checks of a request before it leaves (the pool checks it again)."""

    max_request_bytes: int | None


class ErrorFields(TypedDict):
    """A run's error as the worker reports it (a `RunError`'s fields)."""

    kind: str
    name: str | None
    message: str
    line: int | None
    column: int | None
    stack: str | None


class ReadyFrame(TypedDict):
    op: Literal["ready"]
    pid: int


class RunFrame(TypedDict):
    op: Literal["run"]
    run_id: int
    code: str
    limits: RunLimits
    check: str | None
    network: NetworkCaps | None
    inputs: list[InputListing] | None
    tools: NotRequired[list[str] | None]


class LoadedFrame(TypedDict):
    op: Literal["loaded"]
    run_id: int


class FetchFrame(TypedDict):
    op: Literal["fetch"]
    run_id: int
    id: int
    url: str
    method: str
    headers: list[list[str]]
    body: str | None


class FetchedFrame(TypedDict, total=False):
    """The answer to a `fetch`: the response's fields (network.Fetcher.fetch), or an `error`."""

    op: Literal["fetched"]
    run_id: int
    id: int
    error: dict[str, str]


class CallFrame(TypedDict):
    """The guest's tool calls since the last frame: each `[id, name, arguments as JSON text]`."""

    op: Literal["call"]
    run_id: int
    calls: list[list[Any]]


class ToolReply(TypedDict, total=False):
    """The answer to one call: its result as JSON text (`value`), or an `error`: `why` (the
    registry's `invalid`, `raised`, `unknown`, or the relay's `policy`, `timeout`; not a failure
    kind, though the guest's error for `raised`, `policy` and `timeout` fails an uncaught run as
    `tool`, `policy` and `timeout`) and `message`."""

    id: int
    value: str
    error: dict[str, str]


class CalledFrame(TypedDict):
    """Answers to tool calls, as many as completed together."""

    op: Literal["called"]
    run_id: int
    replies: list[ToolReply]


class ResultFrame(TypedDict):
    op: Literal["result"]
    run_id: int
    logs: list[dict[str, str]]
    cut: int
    error: ErrorFields | None
    value_json: NotRequired[str]
    bigints: NotRequired[list[list[str | int]]]
    rss: NotRequired[int]


def ready(pid: int) -> ReadyFrame:
    return {"op": "ready", "pid": pid}


def run(run_id: int, code: str, limits: RunLimits, check: str | None, max_request_bytes: int | None, *, network: bool,
        inputs: list[InputListing] | None, tools: list[str] | None = None) -> RunFrame:
    frame: RunFrame = {"op": "run", "run_id": run_id, "code": code, "limits": limits, "check": check,
                       "network": {"max_request_bytes": max_request_bytes} if network else None, "inputs": inputs}
    if tools is not None:
        frame["tools"] = tools
    return frame


def call(run_id: int, calls: list[list[Any]]) -> CallFrame:
    return {"op": "call", "run_id": run_id, "calls": calls}


def called(run_id: int, replies: list[ToolReply]) -> CalledFrame:
    return {"op": "called", "run_id": run_id, "replies": replies}


def loaded(run_id: int) -> LoadedFrame:
    return {"op": "loaded", "run_id": run_id}


def fetch(run_id: int, request_id: int, url: str, method: str, headers: list[list[str]], body: str | None) -> FetchFrame:
    return {"op": "fetch", "run_id": run_id, "id": request_id, "url": url, "method": method, "headers": headers, "body": body}


def fetched(run_id: int, request_id: Any, reply: dict[str, Any]) -> dict[str, Any]:
    """The `fetched` frame answering request `request_id` with `reply` (a response, or an error)."""
    return {"op": "fetched", "run_id": run_id, "id": request_id, **reply}


def result(run_id: Any, logs: list[dict[str, str]], cut: int, error: ErrorFields | None,
           value_json: str | None = None, bigints: list[list[str | int]] | None = None) -> ResultFrame:
    """A `result` frame: the value's JSON text and BigInt places only when there is no error."""
    frame: ResultFrame = {"op": "result", "run_id": run_id, "logs": logs, "cut": cut, "error": error}
    if error is None:
        assert value_json is not None and bigints is not None, "a result without an error holds a value"
        frame["value_json"] = value_json
        frame["bigints"] = bigints
    return frame


def frame_cap(limits: Limits, network: NetworkPolicy | None, tools: bool = False) -> int | None:
    """Bytes the largest frame a worker may send in a run under `limits` can take, or None when
    a limit is off: the value and the console within their caps (each text unit escaped at
    worst), the error's three texts, with a network one request, and with tools one `call` frame
    (every call of the run in it, their arguments within the per-call and per-run caps)."""
    if limits.output_bytes is None or limits.console_bytes is None or limits.console_lines is None:
        return None
    cap = (JSON_ESCAPE * (limits.output_bytes + limits.console_bytes + 3 * (MAX_ERROR_CHARS + 1))
           + 32 * limits.console_lines + FRAME_SLACK)
    if network is not None:
        if network.max_request_bytes is None:
            return None
        request = network.max_request_bytes + MAX_URL_CHARS + MAX_HEADERS * (MAX_HEADER_CHARS + 8)
        cap = max(cap, JSON_ESCAPE * request + FRAME_SLACK)
    if tools:
        calls, each, total = limits.max_tool_calls, limits.max_tool_bytes, limits.max_tool_total_bytes
        if calls is None or each is None:
            return None
        arguments = calls * each if total is None else min(calls * each, total)
        cap = max(cap, JSON_ESCAPE * (arguments + calls * MAX_TOOL_NAME_CHARS) + calls * CALL_SLACK + FRAME_SLACK)
    return cap


class ChannelClosed(Exception):
    """The other end went away."""


class ChannelTimeout(Exception):
    """No complete frame arrived before the deadline."""


class ProtocolError(Exception):
    """The other end sent what no honest peer sends: a frame over the size the reader allows,
    text that is not JSON, or JSON that is not an object. The channel cannot be trusted after it."""


def encode(message: Mapping[str, Any], payloads: tuple[bytes, ...] = ()) -> bytes:
    """A frame's bytes on the wire: its JSON behind its length, then each raw payload likewise."""
    data = json.dumps(message, separators=(",", ":")).encode()
    parts = [_HEADER.pack(len(data)), data]
    for payload in payloads:
        parts += [_HEADER.pack(len(payload)), payload]
    return b"".join(parts)


def split_frames(buffer: bytearray, max_size: int | None) -> list[dict[str, Any]]:
    """The whole frames at the start of `buffer`, parsed and taken out of it (a frame not yet
    whole stays), for a reader that is handed bytes as they come (`max_size` as for `Channel.recv`)."""
    frames: list[dict[str, Any]] = []
    while len(buffer) >= _HEADER.size:
        size = _frame_size(buffer, max_size)
        if len(buffer) < _HEADER.size + size:
            break
        frames.append(_parsed(bytes(buffer[_HEADER.size:_HEADER.size + size])))
        del buffer[:_HEADER.size + size]
    return frames


def _frame_size(buffer: bytearray, max_size: int | None) -> int:
    (size,) = _HEADER.unpack_from(buffer)
    if max_size is not None and size > max_size:
        raise ProtocolError(f"a frame of {size} bytes, over the {max_size} allowed")
    return int(size)


def _parsed(frame: bytes) -> dict[str, Any]:
    try:
        message = json.loads(frame)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise ProtocolError(f"a frame that is not JSON ({type(exc).__name__})") from None
    if not isinstance(message, dict):
        raise ProtocolError(f"a frame that is not a JSON object ({type(message).__name__})")
    return message


class Channel:
    """One end of a pipe pair: `send` a JSON-able dict, `recv` one back (optionally by a deadline)."""

    def __init__(self, read_fd: int, write_fd: int) -> None:
        self.read_fd = read_fd
        self.write_fd = write_fd
        self._pending = bytearray()  # bytes read past the last frame returned
        self._writing = _thread.allocate_lock()  # one frame at a time: fetch threads and tool replies share the pipe

    def send(self, message: Mapping[str, Any], payloads: tuple[bytes, ...] = ()) -> None:
        """Send `message`, then each of `payloads` as a raw frame (`recv_raw` reads one): bytes
        that are already text, such as an input's JSON, are not escaped into the message."""
        view = memoryview(encode(message, payloads))
        try:
            with self._writing:
                while view:
                    view = view[os.write(self.write_fd, view):]
        except (BrokenPipeError, OSError) as exc:
            raise ChannelClosed(str(exc)) from exc

    @property
    def buffered(self) -> bool:
        """Whether bytes of a frame were read already (a `select` on the pipe would not see them)."""
        return bool(self._pending)

    def readable(self, timeout: float) -> bool:
        """Whether a frame starts arriving within `timeout` seconds."""
        return bool(self._pending) or bool(select.select([self.read_fd], [], [], max(0.0, timeout))[0])

    def recv(self, deadline: float | None = None, max_size: int | None = None) -> dict[str, Any]:
        """The next frame. `max_size` (bytes) is checked against the header before the body is
        read, so a peer cannot make the reader buffer more than it allows."""
        return _parsed(self.recv_raw(deadline, max_size))

    def recv_raw(self, deadline: float | None = None, max_size: int | None = None) -> bytes:
        """The next frame's bytes, unparsed (`max_size` as for `recv`)."""
        self._fill(_HEADER.size, deadline)
        size = _frame_size(self._pending, max_size)
        self._fill(_HEADER.size + size, deadline)
        frame = bytes(self._pending[_HEADER.size:_HEADER.size + size])
        del self._pending[:_HEADER.size + size]
        return frame

    def take_pending(self) -> bytes:
        """The bytes read past the last frame returned, handed to another reader of the pipe
        (`split_frames`), which gives back what it leaves with `give_back`."""
        taken = bytes(self._pending)
        self._pending.clear()
        return taken

    def give_back(self, pending: bytes) -> None:
        self._pending[:0] = pending

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
