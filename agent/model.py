"""Which model writes the code, and the HTTP transport that rides out provider hiccups.

A model is named the pydantic-ai way (`openai:gpt-4.1`, `openai-chat:NAME` for OpenAI-compatible
servers, `anthropic:...`, `ollama:...`), given as a pydantic-ai `Model`, or taken from the
environment. Requests to providers go through `RetryingTransport`: rate limits, 5xx answers,
timeouts and resets are retried with backoff (honouring `Retry-After`) and never reach the
repair loop; when they persist, the caller gets `ModelUnavailable`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import tenacity
from pydantic_ai.exceptions import UserError
from pydantic_ai.models import Model, infer_model
from pydantic_ai.providers import Provider, infer_provider_class
from pydantic_ai.retries import wait_retry_after

from agent.errors import UsageError
from agent.logs import get_logger

__all__ = ["MODEL_ENV", "RetryingTransport", "openai_compatible_model", "resolve_model", "retrying_http_client"]

MODEL_ENV = "JSOLVE_MODEL"
"""The environment variable naming the model when the caller names none."""

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
    "OPENAI_BASE_URL pointing at an OpenAI-compatible server, or {MODEL_ENV}=gguf:/path/model.gguf), "
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

    client = AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=0, http_client=retrying_http_client(one_at_a_time=one_at_a_time))
    return OpenAIChatModel(name, provider=OpenAIProvider(openai_client=client))


def _provider(name: str) -> Provider[Any]:
    provider_class = infer_provider_class(name)
    try:
        provider = provider_class(http_client=retrying_http_client())  # type: ignore[call-arg]
    except TypeError:  # a provider that builds its own client
        return provider_class()
    client = getattr(provider, "_client", None)
    if client is not None and hasattr(client, "with_options") and hasattr(client, "max_retries"):
        provider._client = client.with_options(max_retries=0)  # type: ignore[attr-defined]  # the transport retries
    return provider


def resolve_model(model: str | Model | None, *, progress: Callable[[int, int], None] | None = None) -> Model:
    """The model to use: `model` if given, else the one named by $JSOLVE_MODEL, else the embedded
    local model when installed. `gguf:/path/model.gguf` runs a GGUF file like the embedded one.
    `progress` sees the bytes done while the embedded model file is assembled on first use."""
    if isinstance(model, Model):
        return model
    if model is not None and not isinstance(model, str):
        raise UsageError(f"model must be a model name or a pydantic-ai Model, got {type(model).__name__}")
    name = (model or os.environ.get(MODEL_ENV, "")).strip()
    if name.startswith("gguf:") or not name:
        from agent import local_model

        if name:
            return local_model.local_model(Path(name.removeprefix("gguf:")).expanduser())
        if local_model.is_installed():
            return local_model.local_model(progress=progress)
        raise UsageError(_NO_MODEL)
    try:
        return infer_model(name, provider_factory=_provider)
    except (UserError, ValueError) as exc:  # ValueError: a provider prefix pydantic-ai does not know
        raise UsageError(f"cannot use the model {name!r}: {str(exc).split(' To try Pydantic AI')[0]}") from None
