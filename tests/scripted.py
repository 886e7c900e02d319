"""A scripted model for the solve tests: it answers with the given replies, in order, and
records every request it received."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, TextPart, UserPromptPart
from pydantic_ai.models.function import AgentInfo, FunctionModel


def task_of(messages: list[ModelMessage]) -> str:
    """The task text of a request: a repair request may carry the feedback after it in the same message."""
    return next(str(p.content) for p in messages[0].parts if isinstance(p, UserPromptPart))


def fenced(code: str) -> str:
    return f"Here is the module:\n```js\n{code}\n```\nIt computes the answer."


@dataclass
class Script:
    replies: list[str]
    requests: list[list[ModelMessage]] = field(default_factory=list)
    settings: list[dict] = field(default_factory=list)

    @property
    def model(self) -> FunctionModel:
        return FunctionModel(self._answer, model_name="scripted")

    def _answer(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.requests.append(list(messages))
        self.settings.append(dict(info.model_settings or {}))
        if not self.replies:
            raise AssertionError("the script ran out of replies")
        return ModelResponse(parts=[TextPart(self.replies.pop(0))])

    def text_of(self, request_index: int) -> str:
        """Everything the model was sent in one request, as one string."""
        parts = []
        for message in self.requests[request_index]:
            for part in message.parts:
                content = getattr(part, "content", "")
                parts.append(content if isinstance(content, str) else str(content))
        return "\n".join(parts)

    def last_prompt(self, request_index: int) -> str:
        """The text of the newest request message the model saw in one request."""
        message = self.requests[request_index][-1]
        assert isinstance(message, ModelRequest)
        return "\n".join(str(getattr(p, "content", "")) for p in message.parts)


@dataclass
class Sampler:
    """A scripted model for rounds of several programs: requests at temperature 0 (a round's
    first program in round one) take the next of `greedy`, warmer ones the next of `sampled`,
    whatever order concurrent requests arrive in."""

    greedy: list[str]
    sampled: list[str]
    requests: list[list[ModelMessage]] = field(default_factory=list)
    temperatures: list[float] = field(default_factory=list)

    @property
    def model(self) -> FunctionModel:
        return FunctionModel(self._answer, model_name="sampler")

    def _answer(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.requests.append(list(messages))
        temperature = float((info.model_settings or {}).get("temperature", 0.0))
        self.temperatures.append(temperature)
        replies = self.greedy if temperature == 0.0 else self.sampled
        if not replies:
            raise AssertionError(f"the script ran out of replies at temperature {temperature}")
        return ModelResponse(parts=[TextPart(replies.pop(0))])

    def last_prompt(self, request_index: int) -> str:
        message = self.requests[request_index][-1]
        return "\n".join(str(getattr(p, "content", "")) for p in message.parts)
