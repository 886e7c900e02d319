"""The tool calls of one run, on the pool's side: the guest's `call` frames checked, each call run
by the caller's `Tools` on an event loop, the answers sent back in `called` frames.

Once a run with tools has started, its conversation with the worker moves onto the event loop the
tools run on (the caller's for `run_async`, the pool's own for `run`): the loop reads the worker's
frames as they arrive (`add_reader`), starts each call as a task there, and writes the answers
itself, so a call crosses no thread on the way (a hand-over between threads cost more than the
rest of a call together). The run's thread only waits for the `result` frame (`serve`), by the
run's deadline. Answers that complete in the same turn of the loop travel in one `called` frame;
the loop never blocks on the pipe: what the worker has not read yet waits for it (`add_writer`).

Every limit is applied here, whatever the guest's side already refused: calls per run, bytes of
arguments and of results (per call and per run, as UTF-8 JSON), calls out at once (the others wait
in the run's queue), and seconds per call. A frame that is not one the sandbox's JavaScript writes
(a call of a tool the run does not have, an id used twice, arguments that are not a JSON object) is
a `ProtocolError`: the worker is retired.

Imported only by a run that has tools: it imports asyncio.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import json
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from agent.logs import get_logger
from agent.sandbox import protocol
from agent.sandbox.protocol import (
    MAX_CALL_ID,
    MAX_TOOL_NAME_CHARS,
    Channel,
    ChannelClosed,
    ChannelTimeout,
    ProtocolError,
    ToolReply,
)

if TYPE_CHECKING:
    from agent.sandbox.limits import Limits
    from agent.tools.registry import EffectLog, ToolCall, Tools

__all__ = ["ToolRelay"]

LOOP_CHECK_SECONDS = 1.0
"""How often the run's thread, waiting for the result, checks that the loop reading the worker
still runs: a loop stopped (the pool closed) would otherwise leave it waiting to the deadline."""

READ_BYTES = 1 << 16
"""Bytes read from the worker's pipe per wake of the loop: a pipe's whole buffer."""


class ToolRelay:
    """The tool calls of one run. The run's thread calls `serve` (the `result` frame, the calls
    answered meanwhile on the loop) and `close`; `send_threadsafe` queues a frame for the worker
    from any thread (the run's `fetched` answers). Everything else, `start` of a `call` frame's
    calls included, runs on the loop."""

    def __init__(self, *, tools: Tools, effects: EffectLog | None, loop: asyncio.AbstractEventLoop, run_id: int,
                 channel: Channel, limits: Limits, max_frame: int | None, on_call: Callable[[ToolCall], None] | None = None) -> None:
        self.tools = tools
        self.names = frozenset(tools.names)
        self.effects = effects
        self.loop = loop
        self.run_id = run_id
        self.channel = channel
        self.limits = limits
        self.max_frame = max_frame
        self.on_call = on_call
        self.on_fetch: Callable[[dict[str, Any]], None] | None = None
        """Where a `fetch` frame goes (the run's `_Exchange`), when the run has a network."""
        self._done: concurrent.futures.Future[dict[str, Any]] = concurrent.futures.Future()
        self._lock = threading.Lock()  # the records and `_open`, read by the run's thread
        self._open = True
        self._records: dict[int, ToolCall] = {}
        # On the loop only:
        self._read_fd = -1
        self._write_fd = -1
        self._inbox = bytearray()
        self._outbox: deque[bytes] = deque()
        self._sent = 0  # bytes of the outbox's first frame written already
        self._writing = False
        self._replies: list[ToolReply] = []
        self._flushing = False
        self._waiting: deque[tuple[int, str, dict[str, Any]]] = deque()
        self._active = 0
        self._calls = 0
        self._bytes = 0
        self._last_id = 0
        self._tasks: dict[int, asyncio.Task[None]] = {}

    @property
    def records(self) -> tuple[ToolCall, ...]:
        """The calls that got an outcome, in the order the guest issued them."""
        with self._lock:
            return tuple(record for _, record in sorted(self._records.items()))

    # -- the run's thread --

    def serve(self, deadline: float | None) -> dict[str, Any]:
        """Hand the worker's pipe to the loop and wait for the run's `result` frame, by
        `deadline` (`ChannelTimeout` past it, `ChannelClosed` when the worker died)."""
        pending = self.channel.take_pending()
        try:
            self.loop.call_soon_threadsafe(self._attach, pending)
        except RuntimeError:  # the loop is closed: the pool is closing
            raise ChannelClosed("the event loop the tools run on is closed") from None
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise ChannelTimeout()
            try:
                return self._done.result(LOOP_CHECK_SECONDS if remaining is None else min(remaining, LOOP_CHECK_SECONDS))
            except concurrent.futures.TimeoutError:
                if self.loop.is_closed() or not self.loop.is_running():
                    raise ChannelClosed("the event loop the tools run on stopped") from None

    def send_threadsafe(self, frame: Mapping[str, Any]) -> None:
        """Queue `frame` for the worker (dropped once the run ended)."""
        try:
            self.loop.call_soon_threadsafe(self._send, protocol.encode(frame))
        except RuntimeError:  # the loop is closed: the run is ending
            pass

    def close(self) -> None:
        """The run ended: its waiting calls are dropped, its running ones cancelled (an effectful
        call completes all the same, shielded by the `EffectLog`), and no answer is sent after."""
        with self._lock:
            self._open = False
        try:
            self.loop.call_soon_threadsafe(self._end, ChannelClosed("the run ended"))
        except RuntimeError:  # the loop is closed: nothing runs on it any more
            pass

    # -- the loop: the pipe --

    def _attach(self, pending: bytes) -> None:
        if self._done.done():
            return
        self._read_fd = os.dup(self.channel.read_fd)  # the loop's own: a worker killed meanwhile closes only the channel's
        self._write_fd = os.dup(self.channel.write_fd)
        os.set_blocking(self._write_fd, False)
        self._inbox += pending
        self.loop.add_reader(self._read_fd, self._readable)
        self._take_frames()

    def _readable(self) -> None:
        try:
            chunk = os.read(self._read_fd, READ_BYTES)
        except BlockingIOError:
            return
        except OSError as exc:
            self._end(ChannelClosed(str(exc)))
            return
        if not chunk:
            self._end(ChannelClosed("end of stream"))
            return
        self._inbox += chunk
        self._take_frames()

    def _take_frames(self) -> None:
        try:
            for frame in protocol.split_frames(self._inbox, self.max_frame):
                if self._done.done():
                    return
                self._dispatch(frame)
        except ProtocolError as exc:
            self._end(exc)

    def _dispatch(self, frame: dict[str, Any]) -> None:
        if frame.get("run_id") != self.run_id:
            raise ProtocolError(f"a frame for run {str(frame.get('run_id'))[:20]} during run {self.run_id}")
        op = frame.get("op")
        if op == "result":
            self._end(None, frame)
        elif op == "call":
            self.start(frame)
        elif op == "fetch" and self.on_fetch is not None:
            self.on_fetch(frame)
        else:
            raise ProtocolError(f"a frame of kind {str(op)[:20]!r}")

    def _send(self, data: bytes) -> None:
        if self._done.done():
            return
        self._outbox.append(data)
        if not self._writing:
            self._writable()

    def _writable(self) -> None:
        """Write what the pipe takes now; wait for the worker to read the rest."""
        try:
            while self._outbox:
                head = self._outbox[0]
                self._sent += os.write(self._write_fd, memoryview(head)[self._sent:])
                if self._sent < len(head):
                    break
                self._outbox.popleft()
                self._sent = 0
        except BlockingIOError:
            pass
        except OSError as exc:
            self._end(ChannelClosed(str(exc)))
            return
        waiting = bool(self._outbox)
        if waiting != self._writing:
            if waiting:
                self.loop.add_writer(self._write_fd, self._writable)
            else:
                self.loop.remove_writer(self._write_fd)
            self._writing = waiting

    def _end(self, problem: BaseException | None, result: dict[str, Any] | None = None) -> None:
        """Give the pipe back to the run's thread (a frame half written is finished, whole
        ones not started are dropped: the worker discards answers after its result) and end
        `serve` with the result or the problem; the calls still out are cancelled on `close`."""
        if self._read_fd >= 0:
            self.loop.remove_reader(self._read_fd)
            if self._writing:
                self.loop.remove_writer(self._write_fd)
                self._writing = False
            os.set_blocking(self._write_fd, True)
            if self._sent and problem is None:
                try:  # blocking: the worker reads frames between runs
                    os.write(self._write_fd, memoryview(self._outbox[0])[self._sent:])
                except OSError:
                    pass
            self._outbox.clear()
            self._sent = 0
            for fd in (self._read_fd, self._write_fd):
                os.close(fd)
            self._read_fd = self._write_fd = -1
            self.channel.give_back(bytes(self._inbox))
            self._inbox.clear()
        if problem is not None:
            with self._lock:
                self._open = False
            _cancel(list(self._tasks.values()))
            self._waiting.clear()
        if not self._done.done():
            if problem is None:
                assert result is not None
                self._done.set_result(result)
            else:
                self._done.set_exception(problem)

    # -- the loop: the calls --

    def start(self, frame: dict[str, Any]) -> None:
        """Check a `call` frame and start its calls (those over a limit are answered at once);
        on the loop, as the worker's frames are read."""
        calls = frame.get("calls")
        if not isinstance(calls, list) or not calls:
            raise ProtocolError("a call frame without calls")
        launch: list[tuple[int, str, dict[str, Any]]] = []
        for item in calls:
            call_id, name, arguments = self._checked(item)
            problem = self._admit(name, arguments)
            if problem is not None:
                self._reply({"id": call_id, "error": {"why": "policy", "message": problem}})
                continue
            try:
                parsed = json.loads(arguments)
            except (ValueError, RecursionError):
                raise ProtocolError("tool arguments that are not JSON") from None
            if not isinstance(parsed, dict):
                raise ProtocolError("tool arguments that are not a JSON object")
            launch.append((call_id, name, parsed))
        cap = self.limits.max_concurrent_tool_calls
        now = launch if cap is None else launch[:max(0, cap - self._active)]
        self._waiting.extend(launch[len(now):])
        self._active += len(now)
        self._launch(now)

    def _checked(self, item: Any) -> tuple[int, str, str]:
        """One call of a frame, `[id, name, arguments as JSON text]`, as the sandbox's JavaScript
        writes it: ids count up, the name is one of the run's tools."""
        if not isinstance(item, list) or len(item) != 3:
            raise ProtocolError("a tool call that is not [id, name, arguments]")
        call_id, name, arguments = item
        if isinstance(call_id, bool) or not isinstance(call_id, int) or not self._last_id < call_id <= MAX_CALL_ID:
            raise ProtocolError("a tool call whose id does not count up")
        if not isinstance(name, str) or len(name) > MAX_TOOL_NAME_CHARS or name not in self.names:
            raise ProtocolError(f"a call of {str(name)[:40]!r}, not a tool of this run")
        if not isinstance(arguments, str):
            raise ProtocolError("tool arguments that are not JSON text")
        self._last_id = call_id
        return call_id, name, arguments

    def _admit(self, name: str, arguments: str) -> str | None:
        """Count a call against the run's limits; why it is refused, if it is."""
        limits = self.limits
        size = len(arguments) if arguments.isascii() else len(arguments.encode("utf-8", "replace"))
        self._calls += 1
        if limits.max_tool_calls is not None and self._calls > limits.max_tool_calls:
            return (f"{name}: the run made more tool calls than the limit of {limits.max_tool_calls} (Limits.max_tool_calls): "
                    "call fewer times, e.g. ask for more per call")
        if limits.max_tool_bytes is not None and size > limits.max_tool_bytes:
            return (f"{name}: the arguments take {size} bytes as JSON, over the limit of {limits.max_tool_bytes} per call "
                    "(Limits.max_tool_bytes)")
        return self._counted(name, size)

    def _counted(self, name: str, size: int) -> str | None:
        """Count `size` bytes (arguments or a result) against the run's total; why not, if over it."""
        total = self.limits.max_tool_total_bytes
        if total is not None and self._bytes + size > total:
            return (f"{name}: the run's tool calls passed more than the limit of {total} bytes "
                    "of arguments and results (Limits.max_tool_total_bytes)")
        self._bytes += size
        return None

    def _launch(self, calls: Iterable[tuple[int, str, dict[str, Any]]]) -> None:
        timeout = self.limits.tool_timeout
        for call_id, name, arguments in calls:
            if not self._open:
                return
            task = self._tasks[call_id] = self.loop.create_task(self._one(call_id, name, arguments))
            if timeout is not None:  # a timer that cancels the task, not asyncio.wait_for: that costs a second task per call
                timer = self.loop.call_later(timeout, self._overran, call_id, name, task)
                task.add_done_callback(functools.partial(_disarm, timer))

    def _overran(self, call_id: int, name: str, task: asyncio.Task[None]) -> None:
        """A call ran past `tool_timeout`: cancel it and answer that it did."""
        if task.done():
            return
        task.cancel()
        self._tasks.pop(call_id, None)
        self._answer({"id": call_id, "error": {"why": "timeout", "message": f"{name} did not answer within the limit of "
                                                                        f"{self.limits.tool_timeout:g} seconds per tool call "
                                                                        "(Limits.tool_timeout); it was cancelled"}})

    async def _one(self, call_id: int, name: str, arguments: dict[str, Any]) -> None:
        """Run one call to its answer (a cancellation, when the run ended or the call overran,
        answers nothing here)."""
        try:
            outcome = await self.tools.call(name, arguments, log=self.effects)
        finally:
            self._tasks.pop(call_id, None)
        with self._lock:
            self._records[call_id] = outcome.record
        if self.on_call is not None:
            try:
                self.on_call(outcome.record)
            except Exception:  # the caller's display: the run goes on without it
                get_logger(__name__).exception("tool.on_call_failed", tool=name)
        if outcome.error is not None:
            self._answer({"id": call_id, "error": {"why": outcome.error.kind, "message": outcome.error.message}})
            return
        text = outcome.text if outcome.text is not None else "null"
        problem = self._result_problem(name, text)
        self._answer({"id": call_id, "error": {"why": "policy", "message": problem}} if problem else {"id": call_id, "value": text})

    def _result_problem(self, name: str, text: str) -> str | None:
        limits = self.limits
        size = len(text) if text.isascii() else len(text.encode("utf-8", "replace"))
        if limits.max_tool_bytes is not None and size > limits.max_tool_bytes:
            return (f"{name}: its result takes {size} bytes as JSON, over the limit of {limits.max_tool_bytes} per call "
                    "(Limits.max_tool_bytes): ask for less per call (a page, a filter)")
        return self._counted(name, size)

    def _answer(self, reply: ToolReply) -> None:
        """Queue the answer of a call that ran, and start the next waiting call."""
        if not self._open:
            return
        self._reply(reply)
        if self._waiting:
            self._launch((self._waiting.popleft(),))
        else:
            self._active -= 1

    def _reply(self, reply: ToolReply) -> None:
        """Queue an answer: it leaves at once when no other call of the run is running, else
        with those that complete in the same turn of the loop, in one `called` frame."""
        self._replies.append(reply)
        if not self._tasks:
            self._flush()
        elif not self._flushing:
            self._flushing = True
            self.loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flushing = False  # a turn scheduled before a flush at once finds nothing left
        replies, self._replies = self._replies, []
        if replies and self._open:
            self._send(protocol.encode(protocol.called(self.run_id, replies)))


def _disarm(timer: asyncio.TimerHandle, _: object) -> None:
    timer.cancel()


def _cancel(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
