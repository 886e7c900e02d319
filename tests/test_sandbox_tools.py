"""The caller's tools inside the sandbox, relayed by real workers: calls by import and through the
global `tools`, sync and async functions, pydantic models both ways, refusals at the call's line,
raising tools, every limit, cancellation, batching and the record of calls."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from pydantic import BaseModel

from agent.errors import UsageError
from agent.sandbox import Limits, Sandbox
from agent.tools import EffectLog, Tool, Tools


class Order(BaseModel):
    id: int
    customer: int
    total: float


class Query(BaseModel):
    month: str
    min_total: float = 0


ORDERS = [Order(id=i, customer=i % 3, total=10.0 * i) for i in range(1, 7)]


def orders_in(query: Query) -> list[Order]:
    """Orders placed in one month, at least `min_total`."""
    return [o for o in ORDERS if o.total >= query.min_total] if query.month == "2026-03" else []


async def customer(id: int) -> dict[str, object]:
    """One customer."""
    await asyncio.sleep(0)
    return {"id": id, "name": f"customer {id}"}


def add(a: int, b: int) -> int:
    return a + b


def fails(reason: str) -> int:
    raise ValueError(reason)


@pytest.fixture(scope="module")
def sb():
    with Sandbox(2) as pool:
        yield pool


def test_import_and_the_global_call_sync_and_async_tools_with_models_both_ways(sb):
    code = """
import { orders_in, customer as who } from "jsolve:tools";
const orders = await orders_in({ query: { month: "2026-03", min_total: 30 } });
const people = await Promise.all(orders.map((o) => who({ id: o.customer })));
export default { totals: orders.map((o) => o.total), names: people.map((p) => p.name), same: tools.orders_in === orders_in };
"""
    r = sb.run(code, tools=[orders_in, customer])
    assert r.ok, r.error
    assert r.value == {"totals": [30, 40, 50, 60], "names": ["customer 0", "customer 1", "customer 2", "customer 0"], "same": True}
    assert [c.tool for c in r.tool_calls] == ["orders_in", "customer", "customer", "customer", "customer"]
    assert r.tool_calls[0].arguments == '{"query":{"min_total":30,"month":"2026-03"}}' and r.tool_calls[0].error is None
    assert r.to_json()["tool_calls"][1]["tool"] == "customer"


def test_run_async_runs_tools_on_the_callers_loop(sb):
    seen: list[object] = []

    async def where() -> str:
        seen.append(asyncio.get_running_loop())
        return "here"

    async def main():
        r = await sb.run_async('export default await tools.where()', tools=[where])
        return r, asyncio.get_running_loop()

    r, loop = asyncio.run(main())
    assert r.value == "here" and seen == [loop]


def test_an_open_tools_is_used_as_it_is_and_no_argument_means_an_empty_object(sb):
    async def main():
        async with Tools.of([Tool.from_function(add, name="plus")]) as tools:
            return await sb.run_async("export default [await tools.plus({ a: 2, b: 3 }), typeof tools.add]", tools=tools)

    assert asyncio.run(main()).value == [5, "undefined"]
    r = sb.run("export default await tools.add()", tools=[add])
    assert r.error.kind == "runtime" and "args.a: Field required" in r.error.message


def test_results_are_frozen_json(sb):
    code = """
const rows = await tools.orders_in({ query: { month: "2026-03" } });
let threw = false;
try { rows[0].total = 1; } catch (e) { threw = e instanceof TypeError; }
export default [Object.isFrozen(rows), Object.isFrozen(rows[0]), threw, Object.getPrototypeOf(rows[0]) === Object.prototype];
"""
    assert sb.run(code, tools=[orders_in]).value == [True, True, True, True]


@pytest.mark.parametrize(("argument", "says"), [
    ("{ a: 1, b: () => 2 }", "add(args): args.b: a function is not JSON"),
    ("{ a: 1, b: 2n }", "add(args): args.b: a BigInt is not JSON"),
    ("{ a: 1, b: [Symbol('s')] }", "add(args): args.b[0]: a Symbol is not JSON"),
    ("(() => { const o = { a: 1 }; o.b = o; return o; })()", "add(args): args.b: the arguments hold a cycle"),
    ("{ a: 1, b: NaN }", "add(args): args.b: NaN is not JSON"),
    ("{ a: 1, b: new Map() }", "add(args): args.b: a Map is not JSON"),
    ("[1, 2]", "add(args): args: expected one object of named arguments"),
    ("7", "add(args): args: expected one object of named arguments"),
    ('{ a: 1, b: "x" }', "add(args): invalid arguments\n  args.b: Input should be a valid integer"),
    ("{ a: 1 }", "args.b: Field required"),
])
def test_a_bad_call_is_a_type_error_at_the_callers_line(sb, argument, says):
    code = f"const x = 1;\n\nconst y = await tools.add({argument});\nexport default y"
    r = sb.run(code, tools=[add])
    assert not r.ok and r.error.kind == "runtime" and r.error.name == "TypeError", r.error
    assert says in r.error.message and r.error.line == 3
    assert r.tool_calls == () or r.tool_calls[0].error.kind == "invalid"


def test_a_raising_tool_is_a_tool_error_catchable_and_uncaught_a_tool_failure(sb):
    caught = sb.run("""
let got;
try { await tools.fails({ reason: "no such month" }); } catch (e) { got = [e.name, e.message, e instanceof Error]; }
export default got""", tools=[fails])
    assert caught.value == ["ToolError", "fails raised ValueError: no such month", True]
    uncaught = sb.run('\nexport default await tools.fails({ reason: "boom" })', tools=[fails])
    assert uncaught.error.kind == "tool" and uncaught.error.name == "ToolError" and uncaught.error.line == 2
    assert "Traceback" not in uncaught.error.message and uncaught.tool_calls[0].error.exception == "ValueError"


def test_the_calls_cap_is_a_policy_failure_that_names_the_limit(sb):
    code = "let n = 0;\nfor (;;) { await tools.add({ a: n, b: 1 }); n++; }\nexport default n"
    r = sb.run(code, tools=[add], limits=Limits(max_tool_calls=5))
    assert r.error.kind == "policy" and "limit of 5" in r.error.message and "max_tool_calls" in r.error.message
    assert len(r.tool_calls) == 5


def test_the_byte_caps_in_and_out(sb):
    def big(n: int) -> str:
        return "x" * n

    limits = Limits(max_tool_bytes=1000, max_tool_total_bytes=3000)
    r = sb.run('export default await tools.big({ n: 5000 })', tools=[big], limits=limits)
    assert r.error.kind == "policy" and "result takes 5002 bytes" in r.error.message
    r = sb.run('export default await tools.big({ n: 1, pad: "y".repeat(2000) })', tools=[big], limits=limits)
    assert r.error.kind == "policy" and "max_tool_bytes" in r.error.message
    r = sb.run('const out = []; for (let i = 0; i < 10; i++) out.push((await tools.big({ n: 900 })).length);\nexport default out',
               tools=[big], limits=limits)
    assert r.error.kind == "policy" and "max_tool_total_bytes" in r.error.message


def test_concurrent_calls_are_capped_per_run(sb):
    state = {"now": 0, "most": 0}

    async def slow(i: int) -> int:
        state["now"] += 1
        state["most"] = max(state["most"], state["now"])
        await asyncio.sleep(0.01)
        state["now"] -= 1
        return i

    r = sb.run("export default (await Promise.all([...Array(20).keys()].map((i) => tools.slow({ i })))).length",
               tools=[slow], limits=Limits(max_concurrent_tool_calls=3))
    assert r.value == 20 and state["most"] == 3


def test_a_call_past_the_tool_timeout_rejects_and_is_cancelled(sb):
    cancelled = threading.Event()

    async def hangs() -> int:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return 1

    r = sb.run("\nexport default await tools.hangs()", tools=[hangs], limits=Limits(tool_timeout=0.2))
    assert r.error.kind == "timeout" and r.error.name == "TimeoutError" and "tool_timeout" in r.error.message and r.error.line == 2
    assert cancelled.wait(5)
    caught = sb.run("try { await tools.hangs() } catch (e) { var m = e.name }\nexport default m", tools=[hangs],
                    limits=Limits(tool_timeout=0.2))
    assert caught.value == "TimeoutError"


def test_the_runs_deadline_holds_while_a_tool_is_slow(sb):
    async def slow() -> int:
        await asyncio.sleep(30)
        return 1

    r = sb.run("export default await tools.slow()", tools=[slow], limits=Limits(timeout=0.5, tool_timeout=None))
    assert r.error.kind == "timeout" and r.duration_ms < 10_000


def test_cancelling_a_run_cancels_its_pending_tool_call(sb):
    started, cancelled = asyncio.Event(), []

    async def slow() -> int:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise
        return 1

    async def main():
        task = asyncio.create_task(sb.run_async("export default await tools.slow()", tools=[slow], limits=Limits(timeout=30)))
        await asyncio.wait_for(started.wait(), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        for _ in range(100):
            if cancelled:
                break
            await asyncio.sleep(0.01)

    asyncio.run(main())
    assert cancelled == [True]
    assert sb.run("export default 1").value == 1  # the pool goes on


def test_a_hundred_calls_of_one_promise_all_travel_together(sb, monkeypatch):
    from agent.sandbox import relay

    frames: list[int] = []
    answered: list[int] = []
    start, called = relay.ToolRelay.start, relay.protocol.called

    def counting(self, frame):
        frames.append(len(frame["calls"]))
        return start(self, frame)

    def counting_answers(run_id, replies):
        answered.append(len(replies))
        return called(run_id, replies)

    monkeypatch.setattr(relay.ToolRelay, "start", counting)
    monkeypatch.setattr(relay.protocol, "called", counting_answers)
    r = sb.run("export default (await Promise.all([...Array(100).keys()].map((i) => tools.add({ a: i, b: 1 })))).reduce((s, x) => s + x)",
               tools=[add], limits=Limits(max_concurrent_tool_calls=None))
    assert r.value == sum(range(1, 101)) and frames == [100] and sum(answered) == 100
    answered.clear()
    r = sb.run("export default (await Promise.all([...Array(100).keys()].map((i) => tools.customer({ id: i })))).length",
               tools=[customer], limits=Limits(max_concurrent_tool_calls=None))
    assert r.value == 100 and answered == [100]  # async calls that complete in one turn of the loop: one answer frame
    assert [c.arguments for c in r.tool_calls[:2]] == ['{"id":0}', '{"id":1}']


def test_effects_run_once_per_log_across_runs(sb):
    sent: list[str] = []

    def send(to: str) -> str:
        sent.append(to)
        return f"sent to {to}"

    log = EffectLog()
    tools = Tools.of([Tool.from_function(send, effects=True)])
    code = 'export default await tools.send({ to: "a@b.c" })'

    async def main():
        async with tools:
            first = await sb.run_async(code, tools=tools, effects=log)
            second = await sb.run_async(code, tools=tools, effects=log)
        return first, second

    first, second = asyncio.run(main())
    assert first.value == second.value == "sent to a@b.c" and sent == ["a@b.c"]
    assert second.tool_calls[0].replayed and not first.tool_calls[0].replayed


def test_a_run_without_tools_has_none(sb):
    r = sb.run("export default typeof tools")
    assert r.value == "undefined"
    r = sb.run('import { add } from "jsolve:tools";\nexport default 1')
    assert r.error.kind == "policy" and "this run has no tools" in r.error.message


def test_misuse_is_a_usage_error(sb):
    with pytest.raises(UsageError):
        sb.run("export default 1", tools=[add], effects="log")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="also the name of an input"):
        sb.run("export default 1", tools=[add], inputs={"add": 1})
    with pytest.raises(UsageError):
        sb.run("export default 1", tools=[42])
    with pytest.raises(UsageError):
        Limits(max_concurrent_tool_calls=0)
    with pytest.raises(UsageError):
        Limits(tool_timeout=-1)


def echo(text: str) -> dict[str, int]:
    """How long the text was and how many distinct characters it held."""
    return {"length": len(text), "distinct": len(set(text))}


@pytest.mark.parametrize("size", [450, 5_000, 200_000])
def test_long_arguments_and_batches_of_them_cross_whole(sb, size):
    """The queue of calls leaves the engine as one flat string: a long concatenation, which the
    binding cannot read, killed the worker once a call's arguments passed a few hundred bytes."""
    code = f"""
const text = "ab".repeat({size} / 2);
const one = await tools.echo({{ text }});
const many = await Promise.all([1, 2, 3].map((n) => tools.echo({{ text: text + n }})));
export default [one, ...many];
"""
    result = sb.run(code, tools=[echo])
    assert result.ok, result.error
    assert result.value == [{"length": size, "distinct": 2}] + [{"length": size + 1, "distinct": 3}] * 3


# -- the transport: the tools' loop reads the worker and writes its answers --

def test_a_big_answer_the_busy_guest_has_not_read_does_not_block_the_callers_loop(sb):
    # The answer (1 MB) is more than a pipe holds; the guest reads it only after a second of its
    # own work. The caller's loop must go on meanwhile: it writes what the pipe takes and waits.
    async def blob() -> str:
        """A big result."""
        return "x" * 1_000_000

    code = """
const pending = tools.blob();
const until = Date.now() + 1000;
while (Date.now() < until) {}
const text = await pending;
export default [until, text.length];
"""

    async def main() -> tuple[float, list[int]]:
        woke: list[float] = []

        async def tick() -> None:
            await asyncio.sleep(0.2)
            woke.append(time.time() * 1000)

        ticking = asyncio.create_task(tick())
        r = await sb.run_async(code, tools=[blob], limits=Limits(max_tool_bytes=2_000_000, max_tool_total_bytes=None))
        await ticking
        return woke[0], r.value

    woke_at, (busy_until, length) = asyncio.run(main())
    assert length == 1_000_000
    assert woke_at < busy_until  # the loop ran while the guest was still busy, the answer not yet read


def test_a_run_with_tools_and_a_network_gets_both_answers(sb):
    import http.server

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"41")

        def log_message(self, *args: object) -> None:
            pass

    from agent.sandbox import NetworkPolicy

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        code = f"""
const [page, sums] = await Promise.all([fetch({url!r}).then((r) => r.text()),
                                        Promise.all([1, 2, 3].map((a) => tools.add({{ a, b: 1 }})))]);
export default [Number(page), sums];
"""
        policy = NetworkPolicy(allow_hosts=["127.0.0.1"]).allowing_loopback()
        for _ in range(3):
            assert sb.run(code, tools=[add], network=policy).value == [41, [2, 3, 4]]
    finally:
        server.shutdown()


def test_closing_the_pool_ends_a_run_waiting_on_a_tool():
    started = threading.Event()

    async def slow() -> int:
        """Never answers in time."""
        started.set()
        await asyncio.sleep(60)
        return 1

    pool = Sandbox(1)
    results: list[object] = []
    runner = threading.Thread(target=lambda: results.append(pool.run("export default await tools.slow()", tools=[slow],
                                                                     limits=Limits(timeout=120, tool_timeout=None))))
    runner.start()
    assert started.wait(30)
    pool.close()
    runner.join(30)
    assert not runner.is_alive()  # not left waiting for the tool, or to the run's deadline
    (result,) = results
    assert result.error is not None and result.error.kind == "crash"


def test_on_call_hears_of_each_call_while_the_run_goes_on(sb):
    heard: list[object] = []

    def probe(step: int) -> int:
        """How many calls the caller had heard of when this one ran."""
        return len(heard)

    r = sb.run("const a = await tools.probe({ step: 1 });\nconst b = await tools.probe({ step: 2 });\nexport default [a, b]",
               tools=[probe], on_call=heard.append)
    assert r.value == [0, 1] and heard == list(r.tool_calls)


def test_an_on_call_that_raises_does_not_end_the_run(sb):
    def broken(call: object) -> None:
        raise RuntimeError("the display broke")

    r = sb.run("export default [await tools.add({ a: 1, b: 2 }), await tools.add({ a: 3, b: 4 })]", tools=[add], on_call=broken)
    assert r.value == [3, 7] and len(r.tool_calls) == 2
