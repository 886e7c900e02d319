"""The tool calls of one run, on the pool's side: the guest's `call` frames checked, each call run
by the caller's `Tools` on an event loop, the answers sent back in `called` frames.

A run's conversation with its worker is held by one thread (the session's, `pool._Session`); the
tools run on an event loop (the caller's for `run_async`, the pool's own for `run`). The session
starts calls on the loop (one hand-over per `call` frame, however many calls it holds) and the
loop hands answers back through a pipe the session waits on beside the worker's: answers that
complete together travel in one `called` frame. Only the session thread writes to the worker.

Every limit is applied here, whatever the guest's side already refused: calls per run, bytes of
arguments and of results (per call and per run, as UTF-8 JSON), calls out at once (the others wait
in the run's queue), and seconds per call. A frame that is not one the sandbox's JavaScript writes
(a call of a tool the run does not have, an id used twice, arguments that are not a JSON object) is
a `ProtocolError`: the worker is retired.

Imported only by a run that has tools: it imports asyncio.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import threading
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from agent.sandbox import protocol
from agent.sandbox.protocol import (
    MAX_CALL_ID,
    MAX_TOOL_NAME_CHARS,
    Channel,
    ProtocolError,
    ToolReply,
)

if TYPE_CHECKING:
    from agent.sandbox.limits import Limits
    from agent.tools.registry import EffectLog, ToolCall, Tools

__all__ = ["ToolRelay"]


class ToolRelay:
    """The tool calls of one run: `start` a `call` frame's calls (on the session's thread), `flush`
    the answers ready (there too, when `wake_fd` is readable), `close` when the run ends."""

    def __init__(self, *, tools: Tools, effects: EffectLog | None, loop: asyncio.AbstractEventLoop, run_id: int,
                 channel: Channel, limits: Limits) -> None:
        self.tools = tools
        self.names = frozenset(tools.names)
        self.effects = effects
        self.loop = loop
        self.run_id = run_id
        self.channel = channel
        self.limits = limits
        self.wake_fd, self._wake_write = os.pipe()
        os.set_blocking(self._wake_write, False)
        self._lock = threading.Lock()
        self._open = True
        self._woken = False
        self._ready: list[ToolReply] = []
        self._waiting: deque[tuple[int, str, dict[str, Any]]] = deque()
        self._active = 0
        self._calls = 0
        self._bytes = 0
        self._last_id = 0
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._records: dict[int, ToolCall] = {}

    @property
    def records(self) -> tuple[ToolCall, ...]:
        """The calls that got an outcome, in the order the guest issued them."""
        with self._lock:
            return tuple(record for _, record in sorted(self._records.items()))

    def start(self, frame: dict[str, Any]) -> None:
        """Check a `call` frame and start its calls (those over a limit are answered at once)."""
        calls = frame.get("calls")
        if not isinstance(calls, list) or not calls:
            raise ProtocolError("a call frame without calls")
        launch: list[tuple[int, str, dict[str, Any]]] = []
        refused: list[ToolReply] = []
        for item in calls:
            call_id, name, arguments = self._checked(item)
            problem = self._admit(name, arguments)
            if problem is not None:
                refused.append({"id": call_id, "error": {"why": "policy", "message": problem}})
                continue
            try:
                parsed = json.loads(arguments)
            except (ValueError, RecursionError):
                raise ProtocolError("tool arguments that are not JSON") from None
            if not isinstance(parsed, dict):
                raise ProtocolError("tool arguments that are not a JSON object")
            launch.append((call_id, name, parsed))
        with self._lock:
            self._ready += refused
            cap = self.limits.max_concurrent_tool_calls
            now = launch if cap is None else launch[:max(0, cap - self._active)]
            self._waiting.extend(launch[len(now):])
            self._active += len(now)
        if now:
            self._hand_over(now)
        if refused:
            self.flush()

    def flush(self) -> None:
        """Send the answers ready in one `called` frame (a no-op when there are none)."""
        try:
            os.read(self.wake_fd, 4096)
        except BlockingIOError:
            pass
        with self._lock:
            replies, self._ready = self._ready, []
            self._woken = False
        if replies:
            self.channel.send(protocol.called(self.run_id, replies))

    def close(self) -> None:
        """The run ended: its waiting calls are dropped, its running ones cancelled (an effectful
        call completes all the same, shielded by the `EffectLog`), and no answer is sent after."""
        with self._lock:
            self._open = False
            self._waiting.clear()
            tasks = list(self._tasks.values())
            for fd in (self.wake_fd, self._wake_write):  # under the lock: no answer writes to a closed (or reused) descriptor
                os.close(fd)
        try:
            self.loop.call_soon_threadsafe(_cancel, tasks, self._tasks)
        except RuntimeError:  # the loop is closed: nothing runs on it any more
            pass

    # -- the session's thread --

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
        size = len(arguments.encode("utf-8", "replace"))
        with self._lock:
            self._calls += 1
            if limits.max_tool_calls is not None and self._calls > limits.max_tool_calls:
                return (f"{name}: the run made more tool calls than the limit of {limits.max_tool_calls} (Limits.max_tool_calls): "
                        "call fewer times, e.g. ask for more per call")
            if limits.max_tool_bytes is not None and size > limits.max_tool_bytes:
                return (f"{name}: the arguments take {size} bytes as JSON, over the limit of {limits.max_tool_bytes} per call "
                        "(Limits.max_tool_bytes)")
            if limits.max_tool_total_bytes is not None and self._bytes + size > limits.max_tool_total_bytes:
                return (f"{name}: the run's tool calls passed more than the limit of {limits.max_tool_total_bytes} bytes "
                        "of arguments and results (Limits.max_tool_total_bytes)")
            self._bytes += size
        return None

    def _hand_over(self, calls: list[tuple[int, str, dict[str, Any]]]) -> None:
        try:
            self.loop.call_soon_threadsafe(self._launch, calls)
        except RuntimeError:  # the caller's loop is closed: answer as a tool that could not run
            for call_id, name, _ in calls:
                self._answer({"id": call_id, "error": {"why": "raised", "message": f"{name} raised RuntimeError: the event loop the tools run on is closed"}})

    # -- the event loop --

    def _launch(self, calls: Iterable[tuple[int, str, dict[str, Any]]]) -> None:
        timeout = self.limits.tool_timeout
        for call_id, name, arguments in calls:
            with self._lock:
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
        if outcome.error is not None:
            self._answer({"id": call_id, "error": {"why": outcome.error.kind, "message": outcome.error.message}})
            return
        text = outcome.text if outcome.text is not None else "null"
        problem = self._result_problem(name, text)
        self._answer({"id": call_id, "error": {"why": "policy", "message": problem}} if problem else {"id": call_id, "value": text})

    def _result_problem(self, name: str, text: str) -> str | None:
        limits = self.limits
        size = len(text) if text.isascii() else len(text.encode("utf-8", "replace"))
        with self._lock:
            if limits.max_tool_bytes is not None and size > limits.max_tool_bytes:
                return (f"{name}: its result takes {size} bytes as JSON, over the limit of {limits.max_tool_bytes} per call "
                        "(Limits.max_tool_bytes): ask for less per call (a page, a filter)")
            if limits.max_tool_total_bytes is not None and self._bytes + size > limits.max_tool_total_bytes:
                return (f"{name}: the run's tool calls passed more than the limit of {limits.max_tool_total_bytes} bytes "
                        "of arguments and results (Limits.max_tool_total_bytes)")
            self._bytes += size
        return None

    def _answer(self, reply: ToolReply) -> None:
        """Queue an answer for the session's thread, wake it, and start the next waiting call."""
        with self._lock:
            if not self._open:
                return
            self._ready.append(reply)
            following = self._waiting.popleft() if self._waiting else None
            if following is None:
                self._active -= 1
            if not self._woken:
                self._woken = True
                try:
                    os.write(self._wake_write, b"!")
                except OSError:  # the pipe is full: the session is awake already
                    pass
        if following is not None:
            self._launch((following,))


def _disarm(timer: asyncio.TimerHandle, _: object) -> None:
    timer.cancel()


def _cancel(tasks: list[asyncio.Task[None]], running: dict[int, asyncio.Task[None]]) -> None:
    """Cancel a run's calls (on the loop): those handed over before it ended, and any launched since."""
    for task in [*tasks, *running.values()]:
        task.cancel()
