"""Attacks on the tool relay: guest code that tries to reach Python objects through results, to
call a tool it was not given, to forge a call frame, to flood calls, to call after its run ended,
to make another run's calls, or to pollute prototypes through arguments."""

from __future__ import annotations

import asyncio
import json
import struct
import threading
from typing import Any

import pytest
from pydantic import BaseModel

from agent.errors import UsageError
from agent.sandbox import Limits, Sandbox
from agent.sandbox.protocol import ProtocolError
from agent.sandbox.relay import ToolRelay
from agent.tools import Tool, Tools


class Secret(BaseModel):
    name: str

    def reveal(self) -> str:
        return "the caller's secret"


def secret() -> Secret:
    return Secret(name="public")


received: list[Any] = []


def echo(payload: dict[str, Any]) -> dict[str, Any]:
    received.append(payload)
    return payload


def add(a: int, b: int) -> int:
    return a + b


@pytest.fixture(scope="module")
def sb():
    with Sandbox(2) as pool:
        yield pool


def test_a_result_is_only_json_data(sb):
    code = """
const s = await tools.secret();
const probe = (o) => Object.getOwnPropertyNames(o).concat(Object.getOwnPropertySymbols(o).map(String));
export default {
  own: probe(s), proto: Object.getPrototypeOf(s) === Object.prototype, cls: s.__class__ === undefined,
  reveal: typeof s.reveal, ctor: s.constructor === Object, getters: Object.values(Object.getOwnPropertyDescriptors(s)).some((d) => d.get),
  fn: typeof tools.secret.__self__, str: String(tools.secret).includes("native") || String(tools.secret).length > 0,
};
"""
    r = sb.run(code, tools=[secret])
    assert r.value == {"own": ["name"], "proto": True, "cls": True, "reveal": "undefined", "ctor": True, "getters": False,
                       "fn": "undefined", "str": True}


def test_a_tool_not_given_cannot_be_called_or_imported(sb):
    r = sb.run("export default [typeof tools.echo, Object.keys(tools), Object.isFrozen(tools), Object.getPrototypeOf(tools)]", tools=[add])
    assert r.value == [ "undefined", ["add"], True, None]
    r = sb.run("\nexport default await tools.echo({})", tools=[add])
    assert r.error.kind == "runtime" and r.error.name == "TypeError" and r.error.line == 2
    r = sb.run('import { echo } from "jsolve:tools";\nexport default 1', tools=[add])
    assert r.error.kind == "policy" and "jsolve:tools has no 'echo'" in r.error.message and "add" in r.error.message
    r = sb.run("tools.echo = () => 1; tools.add = () => 2;\nexport default [typeof tools.echo, await tools.add({ a: 1, b: 1 })]", tools=[add])
    assert r.ok is False or r.value == ["undefined", 2]  # strict module: assigning to a frozen object throws


def test_tool_names_cannot_shadow_built_ins_inputs_or_the_namespace():
    for name in ("fetch", "console", "JSON", "tools", "inputs", "__proto__", "constructor", "then", "eval", "import", "a-b"):
        with pytest.raises(UsageError):
            Tools.of([Tool.from_function(add, name=name)])
    with Sandbox(1) as pool, pytest.raises(UsageError, match="also the name of an input"):
        pool.run("export default 1", tools=[add], inputs={"add": [1]})


def test_changed_built_ins_neither_forge_nor_break_calls(sb):
    code = """
Object.prototype.toJSON = function () { return { name: "forged", args: "{}" }; };
Array.prototype.push = function () { throw new Error("pushed"); };
JSON.stringify = () => '[[1,"echo","{}"]]';
JSON.parse = () => ({ forged: true });
Object.defineProperty(Object.prototype, "id", { set() { throw new Error("setter"); }, configurable: true });
const r = await tools.echo({ payload: { a: [1, 2], s: "x" } });
export default r.a.length + r.s;
"""
    r = sb.run(code, tools=[echo])
    assert r.value == "2x", r.error
    assert r.tool_calls[0].arguments == '{"payload":{"a":[1,2],"s":"x"}}'


def test_the_hooks_cannot_be_replaced_and_forged_answers_reach_only_the_guest_itself(sb):
    code = """
let replaced = true;
try { __jsolve.toolOutbox = () => '[[1,"nope","{}"]]'; } catch (e) { replaced = false; }
__jsolve.toolDeliver('[[999,1,{"x":1}]]');  // an id no call has: nothing happens
export default [replaced, await tools.add({ a: 1, b: 2 })];
"""
    assert sb.run(code, tools=[add]).value == [False, 3]


class _Sink:
    def __init__(self) -> None:
        self.frames: list[Any] = []

    def send(self, frame: Any, payloads: tuple[bytes, ...] = ()) -> None:
        self.frames.append(frame)


def _relay(limits: Limits | None = None) -> tuple[ToolRelay, asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    tools = Tools.of([add])
    relay = ToolRelay(tools=tools, effects=None, loop=loop, run_id=7, channel=_Sink(), limits=limits or Limits(), max_frame=None)  # type: ignore[arg-type]
    return relay, loop


@pytest.mark.parametrize("frame", [
    {"op": "call", "run_id": 7},
    {"op": "call", "run_id": 7, "calls": []},
    {"op": "call", "run_id": 7, "calls": [{"id": 1, "name": "add", "args": "{}"}]},
    {"op": "call", "run_id": 7, "calls": [[1, "add"]]},
    {"op": "call", "run_id": 7, "calls": [[2**60, "add", "{}"]]},
    {"op": "call", "run_id": 7, "calls": [[0, "add", "{}"]]},
    {"op": "call", "run_id": 7, "calls": [[True, "add", "{}"]]},
    {"op": "call", "run_id": 7, "calls": [[1, "add", "{}"], [1, "add", "{}"]]},
    {"op": "call", "run_id": 7, "calls": [[1, "echo", "{}"]]},
    {"op": "call", "run_id": 7, "calls": [[1, "x" * 10_000, "{}"]]},
    {"op": "call", "run_id": 7, "calls": [[1, "add", {"a": 1}]]},
    {"op": "call", "run_id": 7, "calls": [[1, "add", "[1, 2]"]]},
    {"op": "call", "run_id": 7, "calls": [[1, "add", "{not json"]]},
])
def test_a_forged_call_frame_is_a_protocol_error(frame):
    relay, loop = _relay()
    try:
        with pytest.raises(ProtocolError):
            relay.start(frame)
    finally:
        relay.close()
        loop.close()


def test_a_worker_that_forges_a_frame_of_another_run_is_retired():
    # A worker is as trusted as the guest it ran: a `call` frame with another run's id ends the run as a crash.
    with Sandbox(1) as pool:
        r = pool.run("export default await tools.add({ a: 1, b: 1 })", tools=[add])
        assert r.value == 2
        real = ToolRelay.serve

        def with_forgery(self, deadline):
            forged_frame = json.dumps({"op": "call", "run_id": self.run_id + 1000, "calls": [[1, "add", "{}"]]}).encode()
            self.channel._pending += struct.pack(">I", len(forged_frame)) + forged_frame  # as if the worker had sent it first
            return real(self, deadline)

        ToolRelay.serve = with_forgery  # type: ignore[method-assign]
        try:
            r = pool.run("export default 1", tools=[add])
        finally:
            ToolRelay.serve = real  # type: ignore[method-assign]
        assert r.error.kind == "crash" and "for run" in r.error.message
        assert pool.run("export default 2", tools=[add]).value == 2  # a fresh worker


def test_flooding_past_every_cap_reaches_no_more_than_the_caps():
    calls: list[int] = []

    def count(i: int) -> int:
        calls.append(i)
        return i

    code = """
const results = await Promise.allSettled([...Array(5000).keys()].map((i) => tools.count({ i })));
export default [results.filter((r) => r.status === "fulfilled").length, results.filter((r) => r.reason && r.reason.name === "PolicyError").length];
"""
    with Sandbox(1) as pool:
        r = pool.run(code, tools=[count], limits=Limits(max_tool_calls=50, timeout=30))
    assert r.value == [50, 4950] and len(calls) == 50 and len(r.tool_calls) == 50


def test_a_call_left_pending_when_the_run_ends_is_dropped_and_later_runs_see_nothing_of_it():
    gate = threading.Event()
    done: list[str] = []

    async def slow(tag: str) -> str:
        while not gate.is_set():
            await asyncio.sleep(0.01)
        done.append(tag)
        return tag

    with Sandbox(1) as pool:
        first = pool.run('tools.slow({ tag: "late" }); setInterval(() => tools.slow({ tag: "timer" }), 1);\nexport default 1',
                         tools=[slow])
        gate.set()
        second = pool.run('export default await tools.slow({ tag: "second" })', tools=[slow])
    assert first.value == 1 and first.tool_calls == ()
    assert second.value == "second" and [c.result for c in second.tool_calls] == ['"second"']
    assert "timer" not in done


def test_two_concurrent_runs_see_only_their_own_tools():
    def alpha() -> str:
        return "alpha"

    def beta() -> str:
        return "beta"

    code = "const out = []; for (let i = 0; i < 20; i++) out.push(await (tools.alpha || tools.beta)());\nexport default [Object.keys(tools), [...new Set(out)]]"
    results: dict[str, Any] = {}
    with Sandbox(2) as pool:
        threads = [threading.Thread(target=lambda fn=fn: results.__setitem__(fn.__name__, pool.run(code, tools=[fn]))) for fn in (alpha, beta)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert results["alpha"].value == [["alpha"], ["alpha"]] and results["beta"].value == [["beta"], ["beta"]]
    assert {c.tool for c in results["alpha"].tool_calls} == {"alpha"}


def test_proto_keys_in_arguments_are_plain_keys_on_both_sides(sb):
    received.clear()
    code = """
const arg = JSON.parse('{"payload": {"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 2}}}}');
const back = await tools.echo(arg);
export default [({}).polluted === undefined, Object.getPrototypeOf(back) === Object.prototype, Object.keys(back), back.__proto__ === Object.prototype];
"""
    r = sb.run(code, tools=[echo])
    assert r.value[0] is True and r.value[1] is True and sorted(r.value[2]) == ["__proto__", "constructor"]
    assert received == [{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 2}}}]
    assert not hasattr({}, "polluted") and type(received[0]) is dict
