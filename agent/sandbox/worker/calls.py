"""The guest's tool calls in the worker: read out of tools.js's queue field by field, sent to the
pool in one `call` frame per drain of the job queue, and the pool's answers handed back."""

from __future__ import annotations

import json
from typing import Any

import _quickjs as quickjs

from agent.sandbox.protocol import MAX_CALL_ID, MAX_TOOL_NAME_CHARS, RunLimits
from agent.sandbox.worker.errors import error

TAMPERED = error("runtime", None, "the code's tool calls could not be read: it changed the sandbox's hooks or built-ins the calls "
                 "use; leave those as they are", None)


class ToolCalls:
    """One run's tool calls on the worker's side: the names it has, the ids seen, the per-call cap."""

    def __init__(self, names: list[str], limits: RunLimits) -> None:
        self.names = frozenset(names)
        self.max_bytes = limits.get("max_tool_bytes")
        self.last_id = 0
        self._hooks: tuple[Any, Any, Any] | None = None

    def bind(self, ctx: quickjs.Context) -> None:
        """Take tools.js's hooks out of `ctx` as functions: calling one costs a third of
        evaluating a script that calls it (no compiling), and an answer goes in as an argument."""
        self._hooks = (ctx.eval("__jsolve.toolOutbox"), ctx.eval("__jsolve.toolDeliver"), ctx.eval("__jsolve.toolsInFlight"))

    def outbox(self) -> Any:
        assert self._hooks is not None, "bound to the run's context first"
        return self._hooks[0]()

    def deliver(self, answers: list[str]) -> None:
        """Hand answers (each the JSON text of `[id, 1, result]` or `[id, 0, why, message]`) to tools.js."""
        assert self._hooks is not None, "bound to the run's context first"
        self._hooks[1]("[" + ",".join(answers) + "]")

    def in_flight(self) -> int:
        assert self._hooks is not None, "bound to the run's context first"
        count = self._hooks[2]()
        return count if isinstance(count, int) else 0

    def read(self, text: Any) -> tuple[list[list[Any]], list[list[Any]]] | None:
        """The calls of tools.js's outbox, `[[id, name, arguments], ...]`: those to send, and the
        answers to give at once (arguments over the per-call cap). None when the outbox is not
        one tools.js writes: only a call whose every field is of the type and size the protocol
        allows, of a tool of this run, with an id past the last one, goes into a frame."""
        items = outbox_list(text)
        if items is None:
            return None
        calls: list[list[Any]] = []
        refused: list[list[Any]] = []
        for item in items:
            if not isinstance(item, list) or len(item) != 3:
                return None
            call_id, name, arguments = item
            if (isinstance(call_id, bool) or not isinstance(call_id, int) or not self.last_id < call_id <= MAX_CALL_ID
                    or not isinstance(name, str) or len(name) > MAX_TOOL_NAME_CHARS or name not in self.names or not isinstance(arguments, str)):
                return None
            self.last_id = call_id
            if self.max_bytes is not None and len(arguments) > self.max_bytes:
                refused.append([call_id, 0, "policy", f"{name}: the arguments are over the limit of {self.max_bytes} bytes per call (Limits.max_tool_bytes)"])
                continue
            calls.append([call_id, name, arguments])
        return calls, refused


def outbox_list(text: Any) -> list[Any] | None:
    """An outbox's text (the JSON list a sandbox hook wrote) read as a list, or None when it is not
    one: the code changed built-ins the hook uses."""
    try:
        items = json.loads(text) if isinstance(text, str) else None
    except (ValueError, RecursionError):
        return None
    return items if isinstance(items, list) else None


def answers(replies: Any) -> list[str]:
    """A `called` frame's replies as tools.js reads them: a result's JSON text goes in as it is."""
    texts: list[str] = []
    for reply in replies if isinstance(replies, list) else ():
        call_id = reply.get("id") if isinstance(reply, dict) else None
        if isinstance(call_id, bool) or not isinstance(call_id, int):
            continue
        value = reply.get("value")
        if isinstance(value, str):
            texts.append(f"[{call_id},1,{value}]")
        else:
            err = reply.get("error") if isinstance(reply.get("error"), dict) else {}
            texts.append(json.dumps([call_id, 0, str(err.get("why")), str(err.get("message"))]))
    return texts


def refused(items: list[list[Any]]) -> list[str]:
    """Answers decided in the worker, as `answers` gives them."""
    return [json.dumps(item) for item in items]
