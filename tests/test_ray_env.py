"""What of the caller's environment `--ray` sends to its workers: what the chosen model's provider
reads, and nothing else (other services' keys, the MCP server's token)."""

from __future__ import annotations

import pytest

from agent.evals.ray_backend import _forwarded_env
from tests.scripted import Script

CALLER = {
    "STRIPE_API_KEY": "sk_live_stripe", "JSOLVE_MCP_TOKEN": "mcp-token", "GITHUB_TOKEN": "ghp_x", "AWS_SECRET_ACCESS_KEY": "aws",
    "OPENAI_API_KEY": "sk-openai", "OPENAI_BASE_URL": "http://127.0.0.1:8080/v1", "ANTHROPIC_API_KEY": "sk-ant",
    "GROQ_API_KEY": "gsk", "JSOLVE_CACHE_DIR": "/cache", "JSOLVE_THREADS": "2", "HOME": "/root", "PATH": "/usr/bin",
}
"""A caller's environment: keys of several providers and services, and jsolve's own settings."""


@pytest.mark.parametrize(("model", "expected"), [
    ("openai-chat:qwen2.5-coder", {"OPENAI_API_KEY", "OPENAI_BASE_URL"}),
    ("openai:gpt-4.1", {"OPENAI_API_KEY", "OPENAI_BASE_URL"}),
    ("anthropic:claude-sonnet-4-5", {"ANTHROPIC_API_KEY"}),
    ("groq:llama-3.3-70b", {"GROQ_API_KEY"}),
    ("gguf:/models/m.gguf", {"JSOLVE_CACHE_DIR", "JSOLVE_THREADS"}),
    (None, {"JSOLVE_CACHE_DIR", "JSOLVE_THREADS"}),  # the embedded model
    ("test", set()),
])
def test_only_what_the_models_provider_reads_is_forwarded(model, expected):
    forwarded = _forwarded_env(model, CALLER)
    assert set(forwarded) == expected and all(forwarded[name] == CALLER[name] for name in forwarded)
    assert "STRIPE_API_KEY" not in forwarded and "JSOLVE_MCP_TOKEN" not in forwarded


def test_a_model_named_by_the_environment_forwards_its_name_and_its_providers_variables():
    environ = {**CALLER, "JSOLVE_MODEL": "openai-chat:qwen"}
    assert _forwarded_env(None, environ) == {"JSOLVE_MODEL": "openai-chat:qwen", "OPENAI_API_KEY": "sk-openai",
                                             "OPENAI_BASE_URL": "http://127.0.0.1:8080/v1"}
    assert _forwarded_env("anthropic:claude", environ) == {"ANTHROPIC_API_KEY": "sk-ant"}  # named by the caller: not $JSOLVE_MODEL


def test_a_model_object_forwards_nothing():
    assert _forwarded_env(Script([]).model, CALLER) == {}
