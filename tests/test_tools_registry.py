"""The host side of code-mode tools: building tools from functions, pydantic-ai tools and toolsets
(a real `FunctionToolset` and a real MCP server over stdio), validating and running calls, the
name rules, effects replay, and the TypeScript declarations with their size budget. No model, no
sandbox."""

from __future__ import annotations

import asyncio
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Self

import pytest
from pydantic import BaseModel, Field
from pydantic_ai import Tool as PydanticAITool
from pydantic_ai.tools import RunContext, ToolDefinition
from pydantic_ai.toolsets import AbstractToolset, FunctionToolset, ToolsetTool
from pydantic_core import SchemaValidator, core_schema
from typing_extensions import TypedDict

from agent.errors import UsageError
from agent.tools import EffectLog, Tool, Tools, declare
from agent.tools.declarations import COLLAPSED_DEPTH
from agent.tools.registry import ERROR_MESSAGE_CHARS, RECORD_CHARS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def anyio_backend():
    return "asyncio"


pytestmark = pytest.mark.anyio


# -- tools of every shape --------------------------------------------------------------------


class Item(BaseModel):
    """A line of an order."""

    sku: str
    qty: int = Field(description="How many")


class Order(BaseModel):
    id: int
    status: Literal["open", "shipped"]
    items: list[Item]
    note: str | None = None


class Filter(TypedDict):
    status: Literal["open", "shipped"]
    min_items: int


@dataclass
class Total:
    orders: int
    items: int


ORDERS = [Order(id=1, status="open", items=[Item(sku="a", qty=2)]), Order(id=2, status="shipped", items=[], note="gift")]


def orders_in(month: str, limit: int = 10) -> list[Order]:
    """Orders placed in one month (YYYY-MM).

    Args:
        month: the month, YYYY-MM
        limit: at most this many
    """
    assert isinstance(month, str) and isinstance(limit, int)
    return ORDERS[:limit]


async def filtered(filter: Filter) -> list[int]:
    """Ids of the orders that pass a filter."""
    assert isinstance(filter, dict)
    return [order.id for order in ORDERS if order.status == filter["status"] and len(order.items) >= filter["min_items"]]


def totals(order: Order) -> Total:
    """Counts of one order (the argument is a model: its fields are the arguments)."""
    assert isinstance(order, Order)
    return Total(orders=1, items=sum(item.qty for item in order.items))


def explode(reason: str) -> None:
    raise KeyError(reason)


async def test_functions_sync_and_async_models_typeddicts_and_dataclasses_in_and_out():
    async with Tools.of([orders_in, filtered, totals]) as tools:
        assert tools.names == ("orders_in", "filtered", "totals")
        got = await tools.call("orders_in", {"month": "2026-03", "limit": 1})
        assert got.ok and got.value == [{"id": 1, "status": "open", "items": [{"sku": "a", "qty": 2}], "note": None}]
        assert got.text is not None and got.text.startswith('[{"id":1')
        assert (got.record.tool, got.record.arguments, got.record.replayed) == ("orders_in", '{"limit":1,"month":"2026-03"}', False)
        assert (await tools.call("filtered", {"status": "open", "min_items": 1})).value == [1]  # one TypedDict: its keys are the arguments
        assert (await tools.call("totals", {"id": 9, "status": "open", "items": [{"sku": "b", "qty": 3}]})).value == {"orders": 1, "items": 3}
        tool = tools.get("orders_in")
        assert tool is not None and tool.description == "Orders placed in one month (YYYY-MM)."
        assert tool.parameters["required"] == ["month"] and tool.returns is not None and tool.returns["type"] == "array"
        assert await tool.call({"month": "2026-03", "limit": 0}) == []


async def test_a_pydantic_ai_tool_keeps_its_name_and_approval_means_effects():
    tool = PydanticAITool(orders_in, name="orders", requires_approval=True)
    tools = Tools.of([tool, Tool.from_function(explode, name="blow_up")])
    assert tools.names == ("orders", "blow_up")
    assert tools.get("orders").effects and not tools.get("blow_up").effects  # type: ignore[union-attr]


async def test_bad_arguments_name_the_tool_the_path_and_what_was_expected():
    tools = Tools.of([orders_in, filtered, totals])
    wrong_type = await tools.call("orders_in", {"month": 3})
    assert wrong_type.error is not None and wrong_type.error.kind == "invalid" and wrong_type.error.js_type == "TypeError"
    assert wrong_type.error.problems == ("args.month: Input should be a valid string (got 3)",)
    assert wrong_type.error.message.startswith("orders_in(args): invalid arguments\n  args.month:")
    missing = await tools.call("orders_in", {})
    assert missing.error is not None and missing.error.problems == ("args.month: Field required",)
    extra = await tools.call("orders_in", {"month": "2026-03", "mnth": 1})  # pydantic-ai's validator refuses extras
    assert extra.error is not None and extra.error.problems == ("args.mnth: Extra inputs are not permitted (got 1)",)
    enum = await tools.call("filtered", {"status": "lost", "min_items": "x"})
    assert enum.error is not None and len(enum.error.problems) == 2
    assert enum.error.problems[0] == "args.status: Input should be 'open' or 'shipped' (got \"lost\")"
    nested = await tools.call("totals", {"id": 1, "status": "open", "items": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": "many"}]})
    assert nested.error is not None and nested.error.problems[0].startswith("args.items[1].qty: Input should be a valid integer")
    not_object = await tools.call("orders_in", ["2026-03"])
    assert not_object.error is not None and not_object.error.problems == ("args: expected an object of named arguments, got an array",)
    many = await tools.call("orders_in", {"month": 1, "a": 1, "b": 2, "c": 3, "d": 4})
    assert many.error is not None and len(many.error.problems) == 3  # at most MAX_PROBLEMS
    ignored = await tools.call("filtered", {"status": "open", "min_items": 0, "other": 1})  # a TypedDict ignores extras (pydantic's default)
    assert ignored.value == [1]
    unknown = await tools.call("order_in", {})
    assert unknown.error is not None and unknown.error.kind == "unknown" and "orders_in, filtered, totals" in unknown.error.message


async def test_a_raising_tool_gives_its_type_and_message_without_a_traceback():
    def long_failure() -> None:
        raise RuntimeError("x" * 50_000)

    tools = Tools.of([explode, long_failure])
    failed = await tools.call("explode", {"reason": "gone"})
    assert failed.error is not None and failed.error.kind == "raised" and failed.error.js_type == "Error"
    assert (failed.error.exception, failed.error.message) == ("KeyError", "explode raised KeyError: 'gone'")
    assert "Traceback" not in failed.error.message and "File " not in failed.error.message
    long = await tools.call("long_failure", {})
    assert long.error is not None and len(long.error.message) < ERROR_MESSAGE_CHARS + 100


async def test_results_that_are_not_json_data_and_big_records():
    def opaque() -> Any:
        return object()

    def big() -> str:
        return "y" * 100_000

    tools = Tools.of([opaque, big])
    bad = await tools.call("opaque", {})
    assert bad.error is not None and bad.error.exception == "TypeError" and "not JSON data" in bad.error.message
    large = await tools.call("big", {})
    assert large.value == "y" * 100_000  # the guest gets it all (the sandbox caps bytes)
    assert large.record.result is not None and len(large.record.result) == RECORD_CHARS


async def test_sync_tools_run_off_the_event_loop_and_on_a_given_executor():
    started, release = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        return "released" if release.wait(5) else "timed out"

    def where() -> str:
        return threading.current_thread().name

    call = asyncio.ensure_future(Tools.of([slow]).call("slow", {}))
    while not started.is_set():  # the loop keeps running while the tool blocks its thread
        await asyncio.sleep(0.005)
    release.set()
    assert (await call).value == "released"

    with ThreadPoolExecutor(1, thread_name_prefix="caller-pool") as executor:
        assert (await Tools.of([where], executor=executor).call("where", {})).value.startswith("caller-pool")
    assert (await Tools.of([where]).call("where", {})).value != threading.current_thread().name


# -- names -----------------------------------------------------------------------------------


def named(name: str) -> Tool:
    return Tool.from_function(orders_in, name=name)


@pytest.mark.parametrize(("name", "words"), [
    ("2fast", "not a JavaScript identifier"), ("get-orders", "not a JavaScript identifier"),
    ("class", "reserved word"), ("await", "reserved word"),
    ("fetch", "global of the sandbox"), ("JSON", "global of the sandbox"), ("then", "global of the sandbox"),
    ("__proto__", "global of the sandbox"), ("tools", "global of the sandbox"),
])
def test_tool_names_that_cannot_be_imported_are_refused(name, words):
    with pytest.raises(UsageError, match=words) as refused:
        Tools.of([named(name)])
    assert "name=" in str(refused.value)  # says how to rename


def test_duplicates_and_input_names_are_refused():
    with pytest.raises(UsageError, match="two tools are named 'orders_in'"):
        Tools.of([orders_in, named("orders_in")])
    tools = Tools.of([orders_in])
    tools.check_names({"rows", "limit"})
    with pytest.raises(UsageError, match="also the name of an input"):
        tools.check_names({"orders_in"})
    with pytest.raises(UsageError, match="a tool must be"):
        Tools.of([orders_in, 42])


# -- toolsets --------------------------------------------------------------------------------


async def test_a_function_toolset_is_listed_when_opened_and_called_through():
    toolset = FunctionToolset([orders_in, PydanticAITool(explode, requires_approval=True)])
    tools = Tools.of([filtered, toolset])
    with pytest.raises(UsageError, match="async with tools"):
        _ = tools.names
    async with tools:
        assert tools.names == ("filtered", "orders_in", "explode")
        assert tools.get("explode").effects and not tools.get("orders_in").effects  # type: ignore[union-attr]
        got = await tools.call("orders_in", {"month": "2026-03", "limit": 1})
        assert got.ok and got.value[0]["id"] == 1
        bad = await tools.call("orders_in", {"month": 3})  # JSON Schema first, then the toolset's own validator
        assert bad.error is not None and bad.error.problems == ("args.month: 3 is not of type 'string'",)
        extra = await tools.call("orders_in", {"month": "m", "x": 1})  # additionalProperties: false
        assert extra.error is not None and extra.error.problems == ("args.x: Extra inputs are not permitted",)
        missing = await tools.call("orders_in", {})
        assert missing.error is not None and missing.error.problems == ("args.month: Field required",)
        raised = await tools.call("explode", {"reason": "r"})
        assert raised.error is not None and raised.error.exception == "KeyError"
    async with tools:  # opened again: listed again, no duplicates
        assert tools.names == ("filtered", "orders_in", "explode")


async def test_a_toolset_tool_with_a_bad_name_says_to_rename_the_toolset():
    toolset = FunctionToolset([PydanticAITool(orders_in, name="orders-in")])
    with pytest.raises(UsageError, match=r"toolset\.renamed"):
        await Tools.of(toolset).open()
    async with Tools.of(toolset.renamed({"orders": "orders-in"})) as tools:
        assert tools.names == ("orders",) and (await tools.call("orders", {"month": "m", "limit": 0})).value == []


class StdioMCPToolset(AbstractToolset[Any]):
    """A pydantic-ai toolset over the `mcp` SDK's own client (pydantic-ai's `MCPToolset` needs
    fastmcp, which is not installed here): any toolset works the same way."""

    def __init__(self, script: Path) -> None:
        self._script = script
        self._stack: AsyncExitStack | None = None
        self._client: Any = None

    @property
    def id(self) -> str | None:
        return "stdio-test"

    async def __aenter__(self) -> Self:
        from mcp import Client, StdioServerParameters

        self._stack = AsyncExitStack()
        params = StdioServerParameters(command=sys.executable, args=[str(self._script)], cwd=str(ROOT))
        self._client = await self._stack.enter_async_context(Client(params))
        return self

    async def __aexit__(self, *args: object) -> None:
        assert self._stack is not None
        await self._stack.aclose()

    async def get_tools(self, ctx: RunContext[Any]) -> dict[str, ToolsetTool[Any]]:
        listed = (await self._client.list_tools()).tools
        anything = SchemaValidator(core_schema.dict_schema())
        return {tool.name: ToolsetTool(toolset=self, max_retries=0, args_validator=anything,
                                       tool_def=ToolDefinition(name=tool.name, description=tool.description, parameters_json_schema=tool.input_schema,
                                                               return_schema=tool.output_schema)) for tool in listed}

    async def call_tool(self, name: str, tool_args: dict[str, Any], ctx: RunContext[Any], tool: ToolsetTool[Any]) -> Any:
        result = await self._client.call_tool(name, tool_args)
        text = "\n".join(getattr(block, "text", "") for block in result.content)
        if result.is_error:
            raise RuntimeError(text)
        return result.structured_content if result.structured_content is not None else text


async def test_a_real_mcp_server_over_stdio():
    async with Tools.of(StdioMCPToolset(ROOT / "tests" / "tools_mcp_server.py"), effects={"bump"}) as tools:
        assert tools.names == ("weather", "broken", "bump")
        weather = await tools.call("weather", {"city": "Oslo", "units": "f"})
        assert weather.value == {"city": "Oslo", "degrees": 70.7, "units": "f"}
        bad = await tools.call("weather", {"city": "Oslo", "units": "k"})
        assert bad.error is not None and bad.error.problems[0].startswith("args.units: 'k' is not one of ['c', 'f']")
        broken = await tools.call("broken", {"reason": "tests"})
        assert broken.error is not None and broken.error.kind == "raised" and "broken because tests" in broken.error.message
        log = EffectLog()
        first, again = await tools.call("bump", {"key": "k"}, log=log), await tools.call("bump", {"key": "k"}, log=log)
        assert (first.value, again.value, again.record.replayed) == ({"result": 1}, {"result": 1}, True)
        assert (await tools.call("bump", {"key": "k"})).value == {"result": 2}  # no log: it runs
        text = declare(tools).text
        assert "/** The current weather in a city. */\nfunction weather(args: {" in text
        assert 'units?: "c" | "f";' in text and "interface Weather {" in text


async def test_pydantic_ais_own_mcp_toolset_when_fastmcp_is_installed():
    pytest.importorskip("fastmcp")
    from pydantic_ai.mcp import MCPToolset

    async with Tools.of(MCPToolset(str(ROOT / "tests" / "tools_mcp_server.py"))) as tools:
        assert set(tools.names) == {"weather", "broken", "bump"}
        assert (await tools.call("weather", {"city": "Oslo"})).value["units"] == "c"


# -- effects ---------------------------------------------------------------------------------


async def test_an_effectful_call_runs_once_per_arguments_even_concurrently():
    sent: list[str] = []
    gate = asyncio.Event()

    async def send_email(to: str, body: str) -> dict[str, int]:
        """Send an email."""
        await gate.wait()
        sent.append(to)
        return {"id": len(sent)}

    def count(n: int) -> int:
        sent.append(f"count {n}")
        return n

    tools = Tools.of([Tool.from_function(send_email, effects=True), count])
    log = EffectLog()
    calls = [asyncio.ensure_future(tools.call("send_email", {"to": "a@b.c", "body": "hi"}, log=log)) for _ in range(3)]
    await asyncio.sleep(0)
    gate.set()
    outcomes = await asyncio.gather(*calls)
    assert sent == ["a@b.c"] and [o.value for o in outcomes] == [{"id": 1}] * 3
    assert sorted(o.record.replayed for o in outcomes) == [False, True, True]
    later = await tools.call("send_email", {"body": "hi", "to": "a@b.c"}, log=log)  # same arguments, other key order
    assert later.record.replayed and sent == ["a@b.c"]
    other = await tools.call("send_email", {"to": "x@y.z", "body": "hi"}, log=log)
    assert not other.record.replayed and sent == ["a@b.c", "x@y.z"]
    await tools.call("count", {"n": 1}, log=log)
    await tools.call("count", {"n": 1}, log=log)
    assert sent.count("count 1") == 2  # no effects: always runs
    assert [call.tool for call in log.effects()] == ["send_email", "send_email"]
    assert log.describe() == 'send_email({"body":"hi","to":"a@b.c"}) -> {"id":1}\nsend_email({"body":"hi","to":"x@y.z"}) -> {"id":2}'
    invalid = await tools.call("send_email", {"to": 1}, log=log)  # never ran: not recorded
    assert invalid.error is not None and len(log) == 2
    other_solve = await tools.call("send_email", {"to": "a@b.c", "body": "hi"}, log=EffectLog())
    assert not other_solve.record.replayed and len(sent) == 5


async def test_an_effect_whose_program_is_stopped_still_completes_and_is_recorded():
    gate = asyncio.Event()

    async def charge(amount: int) -> str:
        await gate.wait()
        return f"charged {amount}"

    tools, log = Tools.of([Tool.from_function(charge, effects=True)]), EffectLog()
    call = asyncio.ensure_future(tools.call("charge", {"amount": 5}, log=log))
    await asyncio.sleep(0)
    call.cancel()
    gate.set()
    replay = await tools.call("charge", {"amount": 5}, log=log)
    assert replay.value == "charged 5" and replay.record.replayed
    assert log.describe() == 'charge({"amount":5}) -> "charged 5"'


# -- declarations ----------------------------------------------------------------------------


async def _nothing(arguments: dict[str, Any]) -> Any:
    return arguments


def schema_tool(name: str, parameters: dict[str, Any], returns: dict[str, Any] | None = None, description: str | None = None) -> Tool:
    return Tool(name=name, description=description, parameters=parameters, returns=returns, validate=_nothing, run=_nothing)


def test_declarations_of_functions_with_models():
    text = declare(Tools.of([orders_in, totals, filtered])).text
    assert text == '''\
/** A line of an order. */
interface Item {
  sku: string;
  /** How many */
  qty: number;
}
interface Order {
  id: number;
  status: "open" | "shipped";
  items: Item[];
  note?: string | null;
}
interface Total {
  orders: number;
  items: number;
}
/** Orders placed in one month (YYYY-MM). */
function orders_in(args: {
  /** the month, YYYY-MM */
  month: string;
  /** at most this many (default 10) */
  limit?: number;
}): Promise<Order[]>;
/** Counts of one order (the argument is a model: its fields are the arguments). */
function totals(args: { id: number; status: "open" | "shipped"; items: Item[]; note?: string | null }): Promise<Total>;
/** Ids of the orders that pass a filter. */
function filtered(args: { status: "open" | "shipped"; min_items: number }): Promise<number[]>;'''


def test_declarations_of_representative_schemas():
    tools = [
        schema_tool("search", {"type": "object", "properties": {
            "query": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}},
            "kind": {"enum": ["a", "b", 3]}, "exact": {"const": True},
            "when": {"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]},
            "size": {"type": ["integer", "null"]}, "pair": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "number"}], "items": False},
            "meta": {"type": "object", "additionalProperties": {"type": "number"}},
            "with-dash": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "number"}]}}]},
            "any": {}, "odd": {"type": "string", "nullable": True},
        }, "required": ["query", "tags"]}, {"type": "array", "items": {"$ref": "#/$defs/Hit"}, "$defs": {
            "Hit": {"type": "object", "description": "One match.", "properties": {"id": {"type": "integer"}, "score": {"type": "number", "description": "0 to 1"},
                                                                                       "extra": {"$ref": "#/$defs/Extra"}},
                    "required": ["id"], "additionalProperties": {"type": "string"}},
            "Extra": {"enum": ["x", "y"]}}}, "Search the catalog."),
        schema_tool("nothing", {"type": "object", "properties": {}}, {"type": "null"}),
    ]
    text = declare(tools).text
    assert text == '''\
type Extra = "x" | "y";
/** One match. */
interface Hit {
  id: number;
  /** 0 to 1 */
  score?: number;
  extra?: Extra;
  [key: string]: string;
}
/** Search the catalog. */
function search(args: { query: string; tags: string[]; kind?: "a" | "b" | 3; exact?: true; when?: string | null; \
size?: number | null; pair?: [string, number]; meta?: Record<string, number>; "with-dash"?: string | (string | number)[]; \
any?: unknown; odd?: string | null }): Promise<Hit[]>;
function nothing(args?: {}): Promise<null>;'''


def test_named_types_are_declared_once_and_clashing_names_are_numbered():
    order = {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]}
    other = {"type": "object", "properties": {"code": {"type": "string"}}, "required": ["code"]}
    tools = [schema_tool("a", {"type": "object", "properties": {"o": {"$ref": "#/$defs/Order"}}, "$defs": {"Order": order}}, {"$ref": "#/$defs/Order", "$defs": {"Order": order}}),
             schema_tool("b", {"type": "object", "properties": {"o": {"$ref": "#/$defs/Order"}}, "$defs": {"Order": other}})]
    text = declare(tools).text
    assert text.count("interface Order {") == 1 and "interface Order2 {\n  code: string;\n}" in text
    assert "function a(args?: { o?: Order }): Promise<Order>;" in text and "function b(args?: { o?: Order2 }): Promise<unknown>;" in text


def deep(levels: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for level in range(levels):
        schema = {"type": "object", "properties": {f"level{level}": schema}, "description": "a level " * 5}
    return schema


def test_the_budget_drops_descriptions_then_collapses_nesting_then_tools():
    many = [schema_tool(f"tool_{i:03}", {"type": "object", "properties": {"x": {**deep(4), "description": "the x " * 10}}},
                        description=f"Tool number {i}.") for i in range(200)]
    full = declare(many[:2], budget=100_000)
    assert full.steps == () and full.cut == () and "/** the x" in full.text
    no_descriptions = declare(many[:2], budget=len(full.text) - 1)
    assert no_descriptions.steps == ("descriptions",) and "/** the x" not in no_descriptions.text
    assert no_descriptions.text.endswith("// property descriptions left out to fit the size budget")
    collapsed = declare(many[:2], budget=len(no_descriptions.text) - 1)
    assert collapsed.steps == ("descriptions", "nested") and collapsed.cut == ()
    assert "x?: { level3?: object }" in collapsed.text and f"deeper than {COLLAPSED_DEPTH} levels" in collapsed.text
    cut = declare(many)
    assert cut.steps == ("descriptions", "nested", "tools") and len(cut.text) <= 6_000
    assert cut.shown == tuple(tool.name for tool in many[:len(cut.shown)]) and cut.cut == tuple(tool.name for tool in many[len(cut.shown):])
    assert 20 < len(cut.shown) < 200
    last = cut.text.splitlines()[-1]
    assert last.startswith("// also: tool_") and last.endswith("(not shown: over the size budget)")
    assert f"and {len(cut.cut) - last.count(',')}" in last or all(name in last for name in cut.cut)
    assert declare(many) == cut  # deterministic
    with pytest.raises(UsageError, match="at least"):
        declare(many, budget=10)
