"""`code_mode(toolset)`: a pydantic-ai agent's one `run_javascript` tool whose program calls the
wrapped toolset's tools, driven by a scripted `FunctionModel` agent and the real sandbox."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from pydantic_ai import Agent, RunContext
from pydantic_ai.messages import (
    ModelMessage,
    ModelResponse,
    RetryPromptPart,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.toolsets import FunctionToolset

from agent.errors import UsageError
from agent.toolset import code_mode


@dataclass
class Shop:
    """The agent's dependencies: the wrapped tools read them from their RunContext."""

    stock: dict[str, int]
    sent: list[str]


def in_stock(ctx: RunContext[Shop], sku: str) -> int:
    """Units in stock of one product."""
    return ctx.deps.stock[sku]


def skus(ctx: RunContext[Shop]) -> list[str]:
    """Every product's SKU."""
    return sorted(ctx.deps.stock)


def notify(ctx: RunContext[Shop], to: str) -> str:
    """Send a notification (changes the world)."""
    ctx.deps.sent.append(to)
    return f"sent to {to}"


def shop_tools() -> FunctionToolset[Shop]:
    return FunctionToolset([in_stock, skus, notify])


TOTAL = """import { skus, in_stock } from "jsolve:tools";
const all = await skus({});
const counts = await Promise.all(all.map((sku) => in_stock({ sku })));
export default counts.reduce((a, b) => a + b, 0);"""


def scripted(programs: list[str], seen: list[tuple[list[ModelMessage], AgentInfo]]) -> FunctionModel:
    """A model that calls run_javascript with each program in turn, then answers with the last tool result."""
    queue = list(programs)

    def answer(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen.append((list(messages), info))
        if queue:
            return ModelResponse(parts=[ToolCallPart("run_javascript", {"code": queue.pop(0)})])
        last = next(p for p in reversed(messages[-1].parts) if isinstance(p, ToolReturnPart))
        return ModelResponse(parts=[TextPart(json.dumps(last.content["value"]))])

    return FunctionModel(answer, model_name="scripted")


def test_an_agent_program_calls_two_tools_of_the_toolset(sandbox):
    seen: list[tuple[list[ModelMessage], AgentInfo]] = []
    agent = Agent(scripted([TOTAL], seen), deps_type=Shop, toolsets=[code_mode(shop_tools(), sandbox=sandbox)])
    result = agent.run_sync("How many units in stock?", deps=Shop(stock={"a": 2, "b": 5}, sent=[]))
    assert result.output == "7"
    returned = next(p for m in result.all_messages() for p in m.parts if isinstance(p, ToolReturnPart))
    calls = returned.content["tool_calls"]
    assert [c["tool"] for c in calls] == ["skus", "in_stock", "in_stock"]
    tools = seen[0][1].function_tools
    assert [t.name for t in tools] == ["run_javascript"], "one tool: the wrapped ones are reached only from code"
    description = tools[0].description or ""
    assert "/** Units in stock of one product. */" in description and "function in_stock(args: { sku: string }): Promise<number>" in description
    assert 'import { in_stock, skus, notify } from "jsolve:tools";' in description


def test_a_failed_program_is_a_retry_the_agent_repairs(sandbox):
    wrong = 'import { in_stock } from "jsolve:tools";\nexport default await in_stock({ sku: 7 });'
    seen: list[tuple[list[ModelMessage], AgentInfo]] = []
    agent = Agent(scripted([wrong, TOTAL], seen), deps_type=Shop, toolsets=[code_mode(shop_tools(), sandbox=sandbox)])
    result = agent.run_sync("How many?", deps=Shop(stock={"a": 1}, sent=[]))
    assert result.output == "1"
    retry = next(p for m in result.all_messages() for p in m.parts if isinstance(p, ToolReturnPart | RetryPromptPart))
    assert getattr(retry, "retry", None) is not None and retry.retry.cause == "model_retry"
    assert "runtime error at line 2" in str(retry.content) and "TypeError: in_stock(args): invalid arguments" in str(retry.content)
    assert "args.sku" in str(retry.content)


def test_typescript_is_accepted(sandbox):
    typed = TOTAL.replace("const all =", "const all: string[] =")
    agent = Agent(scripted([typed], []), deps_type=Shop, toolsets=[code_mode(shop_tools(), sandbox=sandbox)])
    assert agent.run_sync("How many?", deps=Shop(stock={"a": 3}, sent=[])).output == "3"


def test_an_effect_happens_once_per_agent_run(sandbox):
    send = 'import { notify } from "jsolve:tools";\nexport default await notify({ to: "ops" });'
    deps = Shop(stock={}, sent=[])
    toolset = code_mode(shop_tools(), sandbox=sandbox, effects={"notify"})
    agent = Agent(scripted([send, send], []), deps_type=Shop, toolsets=[toolset])
    assert agent.run_sync("Notify ops.", deps=deps).output == '"sent to ops"'
    assert deps.sent == ["ops"], "the second program in the same run got the recorded result"
    again = Agent(scripted([send], []), deps_type=Shop, toolsets=[toolset])
    again.run_sync("Notify ops.", deps=deps)
    assert deps.sent == ["ops", "ops"], "another agent run is another record"


def test_tools_that_need_approval_are_not_reachable_from_code(sandbox):
    def wipe(ctx: RunContext[Shop]) -> str:
        """Delete everything."""
        ctx.deps.stock.clear()
        return "wiped"

    toolset = FunctionToolset([in_stock])
    toolset.add_function(wipe, requires_approval=True)
    seen: list[tuple[list[ModelMessage], AgentInfo]] = []
    attack = 'import { wipe } from "jsolve:tools";\nexport default await wipe({});'
    calls_wipe_through_the_global = "export default await globalThis.tools?.wipe?.({}) ?? 'none';"
    deps = Shop(stock={"a": 1}, sent=[])
    agent = Agent(scripted([attack, calls_wipe_through_the_global], seen), deps_type=Shop, toolsets=[code_mode(toolset, sandbox=sandbox)])
    assert agent.run_sync("Wipe.", deps=deps).output == '"none"'
    assert deps.stock == {"a": 1}
    assert "wipe" not in (seen[0][1].function_tools[0].description or "")


def test_code_mode_wants_a_toolset():
    with pytest.raises(UsageError, match="toolset"):
        code_mode([in_stock])  # type: ignore[arg-type]
