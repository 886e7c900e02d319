"""Code mode in the solve loop: scripted programs calling the caller's tools in the real sandbox.

The model is scripted (`tests.scripted.Script`, a pydantic-ai `FunctionModel` answering fixed
programs); the tools are real Python functions called from real QuickJS workers.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

from agent import SolveFailed, UsageError, asolve, solve
from agent.core.loop import AttemptToolCall
from agent.core.outcome import SolveOutcome
from agent.tools import Tool, Tools
from tests.scripted import Script


def ts_fenced(code: str) -> str:
    return f"Here it is:\n```ts\n{code}\n```"


def js(code: str) -> str:
    return f"```js\n{code}\n```"


class Order(BaseModel):
    """An order of a customer."""

    id: int
    customer: int
    total: float


class Customer(BaseModel):
    """A customer."""

    id: int
    name: str


ORDERS = [Order(id=1, customer=7, total=30.0), Order(id=2, customer=8, total=12.5), Order(id=3, customer=7, total=10.0)]
CUSTOMERS = {7: Customer(id=7, name="Ada"), 8: Customer(id=8, name="Grace")}


def orders_in(month: str) -> list[Order]:
    """Orders placed in one month (YYYY-MM)."""
    if month != "2026-03":
        return []
    return ORDERS


async def customer(id: int) -> Customer:
    """One customer by id."""
    await asyncio.sleep(0)
    return CUSTOMERS[id]


TOP_CUSTOMER = """import { orders_in, customer } from "jsolve:tools";
const orders = await orders_in({ month: "2026-03" });
const spent = new Map();
for (const o of orders) spent.set(o.customer, (spent.get(o.customer) ?? 0) + o.total);
const ranked = [...spent].sort((a, b) => b[1] - a[1]);
const people = await Promise.all(ranked.map(([id]) => customer({ id })));
export default people.map((p) => p.name);"""


def test_sync_and_async_tools_with_pydantic_models_in_and_out(sandbox):
    script = Script([js(TOP_CUSTOMER)])
    s = solve("Who spent the most in March 2026?", model=script.model, sandbox=sandbox, tools=[orders_in, customer], output=list[str])
    assert s.value == ["Ada", "Grace"]
    assert [(c.tool, c.attempt, c.error) for c in s.tool_calls] == [("orders_in", 1, None), ("customer", 1, None), ("customer", 1, None)]
    assert json.loads(s.tool_calls[0].arguments) == {"month": "2026-03"}
    assert json.loads(s.tool_calls[1].result or "") == {"id": 7, "name": "Ada"}
    assert s.attempts[0].tool_calls == s.tool_calls and all(isinstance(c, AttemptToolCall) for c in s.tool_calls)
    task = script.text_of(0)
    assert 'import { orders_in, customer } from "jsolve:tools";' in task
    assert "/** Orders placed in one month (YYYY-MM). */" in task and "function orders_in(args: { month: string }): Promise<" in task
    assert task.index("Who spent the most") < task.index("jsolve:tools"), "the tools come after the instruction"


def test_the_system_prompt_is_the_same_with_and_without_tools(sandbox):
    with_tools, without = Script([js(TOP_CUSTOMER)]), Script([js("export default ['Ada', 'Grace']")])
    solve("Who?", model=with_tools.model, sandbox=sandbox, tools=[orders_in, customer])
    solve("Who?", model=without.model, sandbox=sandbox)
    assert with_tools.requests[0][0].instructions == without.requests[0][0].instructions


def test_a_schema_refusal_names_the_tool_and_path_and_is_repaired(sandbox):
    wrong = 'import { orders_in } from "jsolve:tools";\nconst orders = await orders_in({ month: 3 });\nexport default orders.length;'
    right = 'import { orders_in } from "jsolve:tools";\nconst orders = await orders_in({ month: "2026-03" });\nexport default orders.length;'
    script = Script([js(wrong), js(right)])
    s = solve("How many orders in March 2026?", model=script.model, sandbox=sandbox, tools=[orders_in], output=int)
    assert s.value == 3 and len(s.attempts) == 2
    first = s.attempts[0]
    assert first.failure is not None and first.failure.kind == "runtime" and first.failure.name == "TypeError"
    assert first.failure.line == 2
    assert "orders_in" in first.feedback and "args.month" in first.feedback
    assert first.feedback in script.last_prompt(1)
    assert first.tool_calls[0].error is not None and first.tool_calls[0].error.kind == "invalid"
    assert [c.attempt for c in s.tool_calls] == [1, 2]


def test_an_uncaught_tool_error_is_its_own_kind_and_is_repaired(sandbox):
    def stock(sku: str) -> int:
        """Units in stock of one product."""
        raise LookupError(f"no product {sku}")

    wrong = 'import { stock } from "jsolve:tools";\nexport default await stock({ sku: "X-1" });'
    right = 'import { stock } from "jsolve:tools";\nlet n;\ntry { n = await stock({ sku: "X-1" }); } catch (e) { n = 0; }\nexport default n;'
    script = Script([js(wrong), js(right)])
    s = solve("Units of X-1 in stock, 0 if unknown.", model=script.model, sandbox=sandbox, tools=[stock], output=int)
    assert s.value == 0
    first = s.attempts[0]
    assert first.failure is not None and first.failure.kind == "tool"
    assert "stock raised LookupError: no product X-1" in first.feedback
    assert "Traceback" not in first.feedback


def test_an_effect_happens_once_per_solve_and_the_repair_says_so(sandbox):
    sent: list[str] = []

    def send_email(to: str, body: str) -> dict[str, int]:
        """Send an email; returns its id."""
        sent.append(to)
        return {"id": len(sent)}

    first = 'import { send_email } from "jsolve:tools";\nconst r = await send_email({ to: "a@b.c", body: "hi" });\nexport default r.nope.id;'
    second = 'import { send_email } from "jsolve:tools";\nconst r = await send_email({ to: "a@b.c", body: "hi" });\nexport default r.id;'
    script = Script([js(first), js(second)])
    tools = Tools.of([Tool.from_function(send_email, effects=True)])
    s = solve("Email a@b.c 'hi' and give the id.", model=script.model, sandbox=sandbox, tools=tools, output=int)
    assert s.value == 1 and sent == ["a@b.c"], "the second program got the recorded result; the email went once"
    one, two = s.tool_calls
    assert (one.attempt, one.replayed, two.attempt, two.replayed) == (1, False, 2, True)
    assert one.result == two.result == '{"id":1}'
    repair = script.last_prompt(1)
    assert "already happened" in repair and 'send_email({"body":"hi","to":"a@b.c"}) -> {"id":1}' in repair


def test_effects_named_when_the_tools_are_given(sandbox):
    sent: list[int] = []

    def charge(cents: int) -> str:
        """Charge the card."""
        sent.append(cents)
        return "ok"

    program = 'import { charge } from "jsolve:tools";\nawait charge({ cents: 5 });\nexport default "x";'
    script = Script([js(program), js(program.replace('"x"', '"y"'))])
    s = solve("Charge 5 cents, then say y.", model=script.model, sandbox=sandbox, tools=Tools.of([charge], effects={"charge"}),
              output=str, check='if (value !== "y") throw new Error("say y");\nreturn value;')
    assert s.value == "y" and sent == [5]


def test_solve_failed_carries_the_tool_calls_and_the_json_has_them(sandbox):
    program = 'import { orders_in } from "jsolve:tools";\nexport default (await orders_in({ month: "2026-03" })).length + "x";'
    script = Script([js(program), js(program.replace('"x"', '"y"'))])
    with pytest.raises(SolveFailed) as failed:
        solve("How many?", model=script.model, sandbox=sandbox, tools=[orders_in], output=int, max_attempts=2)
    assert [(c.tool, c.attempt) for c in failed.value.tool_calls] == [("orders_in", 1), ("orders_in", 2)]
    data = SolveOutcome.of(failed.value, total_ms=1.0).json_data()
    assert [(c["tool"], c["attempt"], c["candidate"], c["error"]) for c in data["tool_calls"]] == [("orders_in", 1, 1, None), ("orders_in", 2, 1, None)]
    assert data["attempts"][0]["tool_calls"][0]["arguments"] == '{"month":"2026-03"}'
    assert list(data)[-1] == "tool_calls", "fields are added at the end"


def test_each_call_is_told_as_it_completes_before_its_program_is_judged(sandbox):
    script = Script([js(TOP_CUSTOMER)])
    events: list[tuple[str, object]] = []
    s = solve("Who?", model=script.model, sandbox=sandbox, tools=[orders_in, customer],
              on_tool_call=lambda call: events.append(("call", (call.tool, call.attempt))),
              on_attempt=lambda attempt: events.append(("attempt", attempt.number)))
    assert events == [("call", ("orders_in", 1)), ("call", ("customer", 1)), ("call", ("customer", 1)), ("attempt", 1)]
    assert len(s.tool_calls) == 3


def test_the_live_view_shows_the_latest_call_in_its_status_line():
    from io import StringIO

    from rich.console import Console

    from agent.cli.terminal import SolveView
    from agent.tools.registry import ToolCall

    view = SolveView(console=Console(file=StringIO(), force_terminal=True))
    with view:
        for n in (1, 2):
            view.call(AttemptToolCall.of(ToolCall(tool="orders_in", arguments=f'{{"page":{n}}}', result="[]", error=None, ms=1.5), attempt=1, candidate=1))
        status = str(view._status.status)
    assert status == 'attempt 1: the program is running · 2 tool call(s), the last orders_in({"page":2}) ✓ 1.5 ms'


def test_each_call_is_logged(sandbox, caplog):
    script = Script([js(TOP_CUSTOMER)])
    with caplog.at_level(logging.INFO, logger="jsolve"):
        solve("Who?", model=script.model, sandbox=sandbox, tools=[orders_in, customer])
    calls = [r for r in caplog.records if r.getMessage() == "tool.call"]
    assert [(r.tool, r.ok, r.replayed, r.attempt) for r in calls] == [("orders_in", True, False, 1), ("customer", True, False, 1),
                                                                      ("customer", True, False, 1)]
    assert all(isinstance(r.ms, float) and r.run_id for r in calls)


TYPESCRIPT = """import { orders_in } from "jsolve:tools";
interface Order { id: number; customer: number; total: number }
const orders: readonly Order[] = await orders_in({ month: "2026-03" });
const total: number = orders.reduce((sum: number, o: Order) => sum + o.total, 0);
export default total as number;"""


def test_a_typescript_reply_is_solved_and_recorded_as_written(sandbox):
    script = Script([ts_fenced(TYPESCRIPT)])
    s = solve("Total of March 2026?", model=script.model, sandbox=sandbox, tools=[orders_in], output=float)
    assert s.value == 52.5 and s.code == TYPESCRIPT and s.attempts[0].code == TYPESCRIPT


def test_an_error_in_typescript_points_at_the_models_line(sandbox):
    wrong = "type Row = { n: number };\nconst rows: Row[] = [{ n: 1 }];\nconst bad: any = null;\nexport default rows[0].n + bad.count;"
    script = Script([ts_fenced(wrong), ts_fenced("const n: number = 1;\nexport default n;")])
    s = solve("One.", model=script.model, sandbox=sandbox, output=int)
    first = s.attempts[0]
    assert first.failure is not None and first.failure.kind == "runtime" and first.failure.line == 4
    assert "Line 4 is: export default rows[0].n + bad.count;" in first.feedback
    assert first.code == wrong


def test_typescript_that_cannot_be_erased_is_a_syntax_failure(sandbox):
    script = Script([ts_fenced("enum Color { Red }\nexport default Color.Red;"), js("export default 0;")])
    s = solve("Zero.", model=script.model, sandbox=sandbox, output=int)
    first = s.attempts[0]
    assert first.failure is not None and first.failure.kind == "syntax" and first.failure.line == 1 and "enum" in first.failure.message


def test_an_import_of_a_tool_not_given_is_refused_before_the_run(sandbox):
    script = Script([js('import { drop_tables } from "jsolve:tools";\nexport default await drop_tables({});'), js("export default 1;")])
    s = solve("One.", model=script.model, sandbox=sandbox, tools=[orders_in], output=int)
    first = s.attempts[0]
    assert first.failure is not None and first.failure.kind == "policy" and "has no `drop_tables`" in first.failure.message
    assert first.tool_calls == ()


def test_without_tools_the_tools_module_is_refused(sandbox):
    script = Script([js('import { orders_in } from "jsolve:tools";\nexport default 1;'), js("export default 1;")])
    s = solve("One.", model=script.model, sandbox=sandbox, output=int)
    assert s.attempts[0].failure is not None and "no tools" in s.attempts[0].failure.message


def test_a_tool_named_like_an_input_is_refused_before_any_model_call(sandbox):
    script = Script([])
    with pytest.raises(UsageError, match="also the name of an input"):
        solve("x", model=script.model, sandbox=sandbox, tools=[orders_in], inputs={"orders_in": [1]})
    assert script.requests == []


def test_a_toolset_is_entered_for_the_solve_and_left_after(sandbox):
    from pydantic_ai.toolsets import FunctionToolset

    events: list[str] = []

    class Watched(FunctionToolset[None]):
        async def __aenter__(self):
            events.append("enter")
            return await super().__aenter__()

        async def __aexit__(self, *args):
            events.append("exit")
            return await super().__aexit__(*args)

    toolset = Watched([orders_in])
    script = Script([js('import { orders_in } from "jsolve:tools";\nexport default (await orders_in({ month: "2026-03" })).length;')])
    assert solve("How many?", model=script.model, sandbox=sandbox, tools=toolset, output=int).value == 3
    assert events == ["enter", "exit"]


def test_a_tools_the_caller_opened_stays_open(sandbox):
    async def go() -> None:
        from pydantic_ai.toolsets import FunctionToolset

        async with Tools.of(FunctionToolset([orders_in])) as tools:
            for _ in range(2):
                script = Script([js('import { orders_in } from "jsolve:tools";\nexport default (await orders_in({ month: "2026-03" })).length;')])
                assert (await asolve("How many?", model=script.model, sandbox=sandbox, tools=tools, output=int)).value == 3
            assert tools.names == ("orders_in",)

    asyncio.run(go())


def test_one_solves_effects_are_not_another_solves(sandbox):
    sent: list[str] = []

    def send(to: str) -> int:
        """Send."""
        sent.append(to)
        return len(sent)

    program = 'import { send } from "jsolve:tools";\nexport default await send({ to: "x" });'
    tools = Tools.of([send], effects={"send"})
    values = [solve("Send.", model=Script([js(program)]).model, sandbox=sandbox, tools=tools, output=int).value for _ in range(2)]
    assert values == [1, 2] and sent == ["x", "x"], "the record of effects lives for one solve"



# -- the command line: jsolve solve --tools / --mcp, jsolve mcp --tools ------------------------------

ROOT = Path(__file__).resolve().parent.parent

SHOP = '''
"""Tools for the CLI tests."""
from pydantic import BaseModel


class Item(BaseModel):
    sku: str
    price: float


def prices(category: str) -> list[Item]:
    """The items of one category with their prices."""
    if category != "tea":
        raise ValueError(f"no category {category}")
    return [Item(sku="green", price=3.5), Item(sku="black", price=2.0)]


def _helper() -> None:
    """Not a tool: private."""
'''


def cli(provider, *args: str, cwd=None):
    """`jsolve solve ARGS` in a subprocess, its model the scripted server `provider` (as tests/test_cli_solve.py runs it)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "JSOLVE_"))}
    environment.update(OPENAI_BASE_URL=provider.base_url, OPENAI_API_KEY="test-key", JSOLVE_MODEL="openai-chat:scripted", COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "agent", "solve", *args], capture_output=True, text=True, env=environment, timeout=120,
                          cwd=cwd or ROOT)


@pytest.fixture
def anyio_backend():
    return "asyncio"


CHEAPEST = 'import { prices } from "jsolve:tools";\nconst items = await prices({ category: "tea" });\nexport default [...items].sort((a, b) => a.price - b.price)[0].sku;'


def test_jsolve_solve_with_a_tools_file(tmp_path):
    from tests.fake_provider import FakeProvider

    (tmp_path / "shop_api.py").write_text(SHOP)
    provider = FakeProvider([js('import { prices } from "jsolve:tools";\nexport default (await prices({ category: "cake" })).length;'),
                             js(CHEAPEST)])
    try:
        done = cli(provider, "The cheapest tea?", "--tools", str(tmp_path / "shop_api.py"), "--output", "str", "--json")
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        assert report["value"] == "black"
        assert report["attempts"][0]["failure"]["kind"] == "tool"
        assert [(c["tool"], c["attempt"], c["error"]["kind"] if c["error"] else None) for c in report["tool_calls"]] == [
            ("prices", 1, "raised"), ("prices", 2, None)]
        task = json.dumps(provider.requests[0]["messages"])
        assert "function prices(args: { category: string })" in task and "_helper" not in task
        assert "prices raised ValueError: no category cake" in json.dumps(provider.requests[1]["messages"])
    finally:
        provider.close()


def test_jsolve_solve_shows_the_calls_in_the_live_view(tmp_path):
    from tests.fake_provider import FakeProvider

    (tmp_path / "shop_api.py").write_text(SHOP)
    provider = FakeProvider([js(CHEAPEST)])
    try:
        done = cli(provider, "The cheapest tea?", "--tools", "shop_api:prices", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert '↳ prices({"category":"tea"}) ✓' in done.stdout and "Answer: \"black\"" in done.stdout
    finally:
        provider.close()


def test_jsolve_solve_help_says_loading_tools_runs_them():
    done = subprocess.run([sys.executable, "-m", "agent", "solve", "--help"], capture_output=True, text=True, env={"COLUMNS": "300", "PATH": ""},
                          timeout=60, cwd=ROOT)
    assert "--tools" in done.stdout and "--mcp" in done.stdout
    assert "RUNS that Python code in this process" in " ".join(done.stdout.split())


@pytest.mark.parametrize("spec", ["no_such_module:x", "/no/such/file.py", "json", "json:nope"])
def test_bad_tools_options_are_usage_errors(spec, tmp_path):
    from agent.tools.loading import load_tools

    with pytest.raises(UsageError, match="--tools"):
        load_tools(spec)


def test_jsolve_solve_with_a_real_mcp_server():
    from tests.fake_provider import FakeProvider

    program = 'import { weather, bump } from "jsolve:tools";\nconst w = await weather({ city: "Oslo" });\nawait bump({ key: "k" });\nexport default w.degrees;'
    provider = FakeProvider([js(program)])
    try:
        done = cli(provider, "Oslo's temperature?", "--mcp", f"{sys.executable} tests/tools_mcp_server.py", "--output", "float", "--json")
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        assert report["value"] == 21.5
        assert [c["tool"] for c in report["tool_calls"]] == ["weather", "bump"]
        assert "function weather(args: {" in json.dumps(provider.requests[0]["messages"])
    finally:
        provider.close()


def test_a_missing_mcp_extra_is_a_usage_error(monkeypatch):
    import builtins

    real = builtins.__import__

    def no_mcp(name, *args, **kwargs):
        if name == "mcp" or name.startswith("mcp."):
            raise ImportError("No module named 'mcp'")
        return real(name, *args, **kwargs)

    from agent.tools.mcp import stdio_toolset

    monkeypatch.setattr(builtins, "__import__", no_mcp)
    with pytest.raises(UsageError, match=r"jsolve\[mcp\]"):
        asyncio.run(Tools.of(stdio_toolset("python server.py")).open())


@pytest.mark.anyio
async def test_jsolve_mcp_tools_through_a_real_client(tmp_path):
    from mcp import Client, StdioServerParameters

    from tests.test_mcp import server_env

    (tmp_path / "shop_api.py").write_text(SHOP)
    params = StdioServerParameters(command=sys.executable, args=["-m", "agent", "mcp", "--workers", "1", "--tools", str(tmp_path / "shop_api.py")],
                                   env=server_env(), cwd=str(ROOT))
    async with Client(params) as client:
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert "function prices(args: { category: string })" in (listed["run_javascript"].description or "")
        assert "function prices(args: { category: string })" in (listed["solve"].description or "")
        ran = await client.call_tool("run_javascript", {"code": CHEAPEST})
        assert not ran.is_error and ran.structured_content["value"] == "black"
        assert ran.structured_content["tool_calls"][0]["tool"] == "prices"
        typed = await client.call_tool("run_javascript", {"code": CHEAPEST.replace("const items =", "const items: { sku: string }[] =")})
        assert typed.structured_content["value"] == "black", "TypeScript is erased"
        bad = await client.call_tool("run_javascript", {"code": 'import { prices } from "jsolve:tools";\nexport default await prices({ category: 1 });'})
        assert bad.is_error and "args.category" in "\n".join(block.text for block in bad.content)


@pytest.mark.parametrize("suffix", [".ts", ".js"])
def test_jsolve_run_erases_typescript_and_keeps_the_lines(tmp_path, suffix):
    module = tmp_path / f"typed{suffix}"
    module.write_text("interface P { x: number }\nconst p: P = { x: 2 };\nconst q: any = null;\nexport default p.x + q.y;\n")
    done = subprocess.run([sys.executable, "-m", "agent", "run", str(module), "--json"], capture_output=True, text=True, timeout=60, cwd=ROOT)
    error = json.loads(done.stdout)["error"]
    assert done.returncode == 1 and (error["kind"], error["line"], error["column"]) == ("runtime", 4, 22)
    module.write_text("const n: number = 41;\nexport default n + 1;\n")
    done = subprocess.run([sys.executable, "-m", "agent", "run", str(module)], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0 and done.stdout.strip() == "42"
    module.write_text("enum A { B }\nexport default A.B;\n")
    done = subprocess.run([sys.executable, "-m", "agent", "run", str(module)], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 1 and "syntax error (line 1, column 1)" in done.stderr and "enum" in done.stderr
