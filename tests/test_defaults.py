"""One home per decision: the defaults every front end reads (`agent.defaults`), the meaning of a
model name (`agent.models.names.model_named`), the rule that a client may only lower the timeout
(`agent.sandbox.limits.lowered_timeout`), the checks of configuration values (`agent.arguments`)
and the files written whole (`agent.files`)."""

from __future__ import annotations

import inspect
import os
import stat
from pathlib import Path

import pytest

from agent import defaults
from agent.arguments import at_least, between, instance, positive_count, seconds, whole_count
from agent.errors import UsageError
from agent.files import replacing, write_whole
from agent.models.names import MODEL_ENV, ModelName, model_named
from agent.sandbox.limits import MAX_TIMEOUT, Limits, lowered_timeout


def default_of(function: object, name: str) -> object:
    return inspect.signature(function).parameters[name].default  # type: ignore[arg-type]


# -- the defaults ---------------------------------------------------------------------------------


def test_every_front_end_reads_the_attempt_budget_and_the_sampling_defaults_from_one_module():
    from agent.cli import app
    from agent.cli import eval as eval_cli
    from agent.core.loop import SolveSettings, asolve
    from agent.evals.ray_backend import RayBackend
    from agent.evals.runner import run_cases
    from agent.mcp.server import ServerConfig
    from agent.toolset import sandbox_toolset

    assert default_of(asolve, "max_attempts") == default_of(run_cases, "max_attempts") == defaults.DEFAULT_ATTEMPTS
    assert default_of(app.solve, "max_attempts") == default_of(app.mcp, "max_attempts") == defaults.DEFAULT_ATTEMPTS
    assert default_of(eval_cli.eval_command, "max_attempts") == ServerConfig().max_attempts == defaults.DEFAULT_ATTEMPTS
    assert default_of(app.mcp, "max_samples") == ServerConfig().max_samples == defaults.DEFAULT_MAX_SAMPLES
    assert default_of(eval_cli.eval_command, "concurrency") == default_of(run_cases, "concurrency") == defaults.DEFAULT_CONCURRENCY
    assert RayBackend("local").workers == defaults.DEFAULT_RAY_WORKERS
    assert default_of(sandbox_toolset, "max_retries") == defaults.DEFAULT_TOOL_RETRIES == defaults.DEFAULT_ATTEMPTS - 1
    settings = SolveSettings()
    assert (settings.samples, settings.sample_temperature, settings.min_agreement) == (
        defaults.DEFAULT_SAMPLES, defaults.DEFAULT_SAMPLE_TEMPERATURE, defaults.DEFAULT_MIN_AGREEMENT)


def test_every_default_says_why():
    source = Path(defaults.__file__).read_text()
    for name in defaults.__all__:
        after = source.split(f"\n{name} = ", 1)[1].split("\n", 1)[1]
        assert after.startswith('"""'), f"{name} has no docstring"


# -- model names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("model", "environ", "expected"), [
    (None, {}, ModelName(kind="embedded", name="")),
    ("  ", {}, ModelName(kind="embedded", name="")),
    (None, {MODEL_ENV: " openai-chat:qwen "}, ModelName(kind="provider", name="openai-chat:qwen", provider="openai-chat", from_env=True)),
    ("anthropic:claude", {MODEL_ENV: "openai:gpt-4.1"}, ModelName(kind="provider", name="anthropic:claude", provider="anthropic")),
    ("test", {}, ModelName(kind="provider", name="test")),
    ("gguf:/models/m.gguf", {}, ModelName(kind="gguf", name="gguf:/models/m.gguf", path=Path("/models/m.gguf"))),
    (None, {MODEL_ENV: "gguf:/models/m.gguf"}, ModelName(kind="gguf", name="gguf:/models/m.gguf", path=Path("/models/m.gguf"), from_env=True)),
])
def test_a_model_name_means_one_thing_wherever_it_is_read(model, environ, expected):
    assert model_named(model, environ) == expected


def test_a_gguf_path_is_expanded_and_a_bad_name_is_a_usage_error():
    assert model_named("gguf:~/m.gguf", {}).path == Path.home() / "m.gguf"
    with pytest.raises(UsageError, match="names no file"):
        model_named("gguf: ", {})
    with pytest.raises(UsageError, match="model must be a model name or a pydantic-ai Model, got int"):
        model_named(42, {})  # type: ignore[arg-type]


def test_the_environment_is_read_when_no_name_is_given(monkeypatch):
    monkeypatch.setenv(MODEL_ENV, "groq:llama")
    assert model_named(None) == ModelName(kind="provider", name="groq:llama", provider="groq", from_env=True)
    monkeypatch.delenv(MODEL_ENV)
    assert model_named(None).kind == "embedded"


def test_a_local_server_and_jsolve_serve_key_a_gguf_file_alike(tmp_path):
    from agent.models.local import local_server, model_file
    from agent.models.served import model_key

    (tmp_path / "real.gguf").write_bytes(b"GGUF")
    (tmp_path / "link.gguf").symlink_to(tmp_path / "real.gguf")
    server = local_server(tmp_path / "link.gguf", threads=1)  # built, not started
    assert server.gguf == model_file(tmp_path / "link.gguf") == tmp_path / "real.gguf" and server.name == "real"
    assert model_key(tmp_path / "link.gguf") == model_key(str(tmp_path / "real.gguf")) == str(tmp_path / "real.gguf")
    assert server.prefix and server.model_id is None and not server.running


def test_a_server_that_does_not_answer_is_not_healthy():
    from agent.models.local import healthy

    assert healthy("http://127.0.0.1:9/v1", timeout=1.0) is False


# -- the timeout a client may ask for -------------------------------------------------------------


@pytest.mark.parametrize(("limit", "asked", "expected"), [
    (5.0, None, 5.0),
    (5.0, 1, 1.0),
    (5.0, 0.3, 0.3),
    (5.0, 60, 5.0),  # more than the limit: the limit
    (5.0, 0, 5.0),
    (5.0, -1, 5.0),
    (5.0, float("nan"), 5.0),
    (5.0, float("inf"), 5.0),
    (5.0, True, 5.0),  # not a number of seconds
    (5.0, "1", 5.0),
    (None, 30, 30.0),  # no limit: any finite time is lower
    (None, 1e12, None),  # past what a deadline can hold: still no limit, not an error
    (None, None, None),
])
def test_a_client_may_only_lower_the_timeout(limit, asked, expected):
    limits = Limits(timeout=limit, memory_mb=64)
    lowered = lowered_timeout(limits, asked)
    assert lowered.timeout == expected and lowered.memory_mb == 64
    assert lowered_timeout(limits, MAX_TIMEOUT * 2).timeout == limit


# -- checks of configuration values -----------------------------------------------------------------


@pytest.mark.parametrize(("check", "message"), [
    (lambda: positive_count(0, "samples", meaning="programs per round"), "samples must be a positive integer (programs per round), got 0"),
    (lambda: positive_count(True, "max_attempts"), "max_attempts must be a positive integer, got True"),
    (lambda: positive_count(1.5, "Limits.memory_mb", optional=True), "Limits.memory_mb must be a positive number or None (no limit), got 1.5; a whole number"),
    (lambda: positive_count(10, "Limits.stack_kb", optional=True, at_most=5), "Limits.stack_kb must be at most 5, got 10; pass None for no limit"),
    (lambda: whole_count(-1, "max_retries"), "max_retries must be 0 or more, got -1"),
    (lambda: at_least(0, "workers", 1), "workers must be at least 1, got 0"),
    (lambda: seconds("5", "NetworkPolicy.request_timeout"), "NetworkPolicy.request_timeout must be a positive number or None (no limit), got '5'"),
    (lambda: seconds(float("inf"), "Limits.timeout", at_most=60), "Limits.timeout must be at most 60 seconds, got inf; pass None for no limit"),
    (lambda: between(3, "sample_temperature", 0, 2), "sample_temperature must be between 0 and 2, got 3"),
    (lambda: instance({}, "settings", int, "a SolveSettings"), "settings must be a SolveSettings, got dict"),
])
def test_a_value_that_cannot_work_is_a_usage_error_naming_the_field(check, message):
    with pytest.raises(UsageError) as caught:
        check()
    assert str(caught.value) == message


def test_values_that_work_pass_every_check():
    positive_count(None, "max_tokens", optional=True)
    positive_count(3, "samples")
    whole_count(0, "max_retries")
    seconds(None, "Limits.timeout")
    seconds(0.5, "Limits.timeout", at_most=60)
    between(0, "min_agreement", 0, 1)
    instance(None, "limits", Limits, "a Limits")


# -- files written whole ----------------------------------------------------------------------------


def test_a_file_is_written_whole_private_and_over_a_planted_link_not_through_it(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("keep")
    target = tmp_path / "state.json"
    target.symlink_to(victim)
    write_whole(target, '{"a": 1}')
    assert target.read_text() == '{"a": 1}' and not target.is_symlink() and victim.read_text() == "keep"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert set(os.listdir(tmp_path)) == {"victim", "state.json"}, "no scratch file left"


def test_a_write_that_fails_leaves_the_old_file_and_no_scratch(tmp_path):
    target = tmp_path / "model.gguf"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), replacing(target, durable=True) as file:
        file.write(b"new but wrong")
        raise RuntimeError("the hash does not match")
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["model.gguf"]
