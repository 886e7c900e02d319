"""`sandbox_toolset` inside a pydantic-ai Agent: a scripted model sends failing code, reads the
retry (the feedback text `solve` sends its own model) and sends working code."""

from __future__ import annotations

import json

import pytest
from pydantic_ai import Agent
from pydantic_ai.exceptions import UnexpectedModelBehavior
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel

from agent.core.failures import feedback, from_run_error
from agent.errors import UsageError
from agent.sandbox import Limits, NetworkPolicy
from agent.toolset import failure_text, sandbox_toolset

FAILING = "const rows = null;\nexport default rows.length"
WORKING = "console.log('counting');\nexport default [1, 2, 3].length"


class Coder:
    """A model that calls run_javascript with each of `programs` in turn, recording what it is
    sent back, then answers in words."""

    def __init__(self, *calls: dict) -> None:
        self.calls = list(calls)
        self.seen: list[ModelRequest] = []

    def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        last = messages[-1]
        assert isinstance(last, ModelRequest)
        self.seen.append(last)
        if self.calls:
            return ModelResponse(parts=[ToolCallPart("run_javascript", self.calls.pop(0))])
        return ModelResponse(parts=[TextPart("done")])

    def returns(self, *, retried: bool) -> list[ToolReturnPart]:
        """What the tool sent back: retries (a `ModelRetry`, marked `retried`), or results."""
        parts = [part for request in self.seen for part in request.parts if isinstance(part, ToolReturnPart)]
        return [part for part in parts if (part.outcome == "retried") is retried]


def test_the_agent_repairs_its_code_from_the_retry(sandbox):
    coder = Coder({"code": FAILING}, {"code": WORKING})
    agent = Agent(FunctionModel(coder), toolsets=[sandbox_toolset(sandbox=sandbox)])
    assert agent.run_sync("How many rows?").output == "done"

    (retry,) = coder.returns(retried=True)
    assert retry.tool_name == "run_javascript" and retry.retry.cause == "model_retry"
    assert "runtime error at line 2, column 16: TypeError: cannot read property 'length' of null" in retry.content
    assert "Line 2 is: export default rows.length" in retry.content
    failed = sandbox.run(FAILING)
    assert retry.content == failure_text(failed, FAILING) == feedback(from_run_error(failed.error), FAILING)

    (returned,) = coder.returns(retried=False)
    assert returned.content["ok"] is True and returned.content["value"] == 3
    assert returned.content["logs"] == [{"level": "log", "text": "counting"}]


def test_the_tool_is_described_with_its_sandbox(sandbox):
    definitions: list = []

    def look(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        definitions.extend(info.function_tools)
        return ModelResponse(parts=[TextPart("ok")])

    toolset = sandbox_toolset(network=NetworkPolicy(allow_hosts=["api.github.com"]), limits=Limits(timeout=2), inputs={"rows": [1]}, sandbox=sandbox)
    Agent(FunctionModel(look), toolsets=[toolset]).run_sync("hi")
    (tool,) = definitions
    assert tool.name == "run_javascript"
    assert set(tool.parameters_json_schema["properties"]) == {"code", "timeout"} and tool.parameters_json_schema["required"] == ["code"]
    for words in ("ES module", "export default", "no Node.js", "fetch() reaches only api.github.com", "2 s",
                  'import { rows } from "jsolve:inputs";'):
        assert words in tool.description, words


def test_the_callers_limits_network_and_inputs_hold(sandbox):
    coder = Coder(
        {"code": "while (true) {}", "timeout": 60},  # asks for more time than the toolset gives
        {"code": "export default (await fetch('https://example.org/')).status"},  # a host not allowed
        {"code": "import { rows } from \"jsolve:inputs\";\nexport default rows.reduce((a, b) => a + b, 0)"},  # as described
    )
    toolset = sandbox_toolset(network=NetworkPolicy(allow_hosts=["api.github.com"]), limits=Limits(timeout=0.5),
                              inputs={"rows": [1, 2, 3]}, sandbox=sandbox)
    Agent(FunctionModel(coder), toolsets=[toolset]).run_sync("go")
    timeout, refused = coder.returns(retried=True)
    assert timeout.content.startswith("Your code failed. timeout error")
    assert "policy error at line 1" in refused.content and "example.org" in refused.content
    (returned,) = coder.returns(retried=False)
    assert returned.content["value"] == 6
    assert returned.content["duration_ms"] < 1000


def test_repairs_are_bounded_by_max_retries(sandbox):
    coder = Coder({"code": FAILING}, {"code": FAILING}, {"code": FAILING})
    agent = Agent(FunctionModel(coder), toolsets=[sandbox_toolset(sandbox=sandbox, max_retries=1)])
    with pytest.raises(UnexpectedModelBehavior, match="exceeded max retries count of 1"):
        agent.run_sync("go")
    assert len(coder.returns(retried=True)) == 1


def test_bad_arguments_are_usage_errors():
    with pytest.raises(UsageError, match="max_retries"):
        sandbox_toolset(max_retries=-1)
    with pytest.raises(UsageError, match="NetworkPolicy"):
        sandbox_toolset(network=["api.github.com"])
    with pytest.raises(UsageError, match=r"not a JavaScript identifier|identifier"):
        sandbox_toolset(inputs={"not a name": 1})
    assert json.dumps(sandbox_toolset().tools["run_javascript"].name) == '"run_javascript"'
