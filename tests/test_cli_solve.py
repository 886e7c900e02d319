"""`jsolve solve` end to end: a real subprocess talking to a scripted OpenAI-compatible server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from agent.cli.app import parse_output_type
from agent.errors import UsageError
from tests.fake_provider import FakeProvider
from tests.scripted import fenced


def jsolve(provider: FakeProvider | None, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "JSOLVE_"))}
    if provider is not None:
        environment.update(OPENAI_BASE_URL=provider.base_url, OPENAI_API_KEY="test-key", JSOLVE_MODEL="openai-chat:scripted")
    environment.update(COLUMNS="200", **(env or {}))
    return subprocess.run([sys.executable, "-m", "agent", "solve", *args], capture_output=True, text=True, env=environment, timeout=120)


@pytest.fixture
def provider(request):
    fake = FakeProvider(request.param)
    yield fake
    fake.close()


@pytest.mark.parametrize("provider", [[fenced("export default '17'"), fenced("export default 2 + 3 + 5 + 7")]], indirect=True)
def test_json_output_shows_the_repair(provider):
    done = jsolve(provider, "Sum the primes below 10.", "--output", "int", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is True and report["value"] == 17 and report["model"] == "scripted"
    assert [a["failure"]["kind"] if a["failure"] else None for a in report["attempts"]] == ["schema", None]
    assert report["usage"] == {"requests": 2, "input_tokens": 100, "output_tokens": 40}
    assert set(report["timings"]) == {"total_ms", "model_ms", "validate_ms", "run_ms"}
    assert report["code"] == "export default 2 + 3 + 5 + 7"
    # the second request carried the feedback of the first
    assert 'input should be a valid integer, got string \\"17\\"' in json.dumps(provider.requests[1]["messages"])


@pytest.mark.parametrize("provider", [[fenced("const rows = null;\nexport default rows.length"), fenced("export default [1, 2]")]], indirect=True)
def test_console_view_shows_attempts_and_answer(provider):
    done = jsolve(provider, "Give me one and two.", "--output", "list[int]")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "attempt 1" in out and "attempt 2" in out
    assert "✗ runtime error at line 2, column 16: TypeError: cannot read property 'length' of null" in out and "cannot read property 'length' of null" in out
    assert "Answer: [\n  1,\n  2\n]" in out and "2 attempt(s)" in out


@pytest.mark.parametrize("provider", [[fenced("export default 'a'")] * 2], indirect=True)
def test_budget_spent_exits_1(provider):
    done = jsolve(provider, "A number.", "--output", "int", "--max-attempts", "2", "--json")
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["ok"] is False and len(report["attempts"]) == 2 and report["value"] is None


@pytest.mark.parametrize("provider", [[503] * 20], indirect=True)
def test_unreachable_model_exits_3(provider):
    done = jsolve(provider, "A number.", "--output", "int")
    assert done.returncode == 3, done.stderr
    assert "could not be reached" in done.stderr
    assert len(provider.requests) == 5  # retried with Retry-After: 0, then given up


@pytest.mark.parametrize(("args", "message"), [
    (["x", "--output", "list[int", "--model", "test"], "not a type expression"),
    (["x", "--output", "set[int]", "--model", "test"], "use int, float, str"),
    (["x", "--output", "int", "--schema", "s.json", "--model", "test"], "not both"),
    (["x", "--schema", "/no/such/schema.json", "--model", "test"], "cannot read /no/such/schema.json"),
    (["x", "--model", "nope:model"], "cannot use the model 'nope:model'"),
    (["x", "--max-attempts", "0", "--model", "test"], "max_attempts must be a positive integer"),
    (["", "--model", "test"], "instruction must be a non-empty string"),
    (["x", "--log-format", "xml", "--model", "test"], "console or json"),
])
def test_usage_errors_exit_2_with_a_clear_message(args, message):
    done = jsolve(None, *args)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert message in done.stderr and "Traceback" not in done.stderr


def test_verbose_json_logs_carry_run_id_and_attempt():
    fake = FakeProvider([fenced("export default 1")])
    try:
        done = jsolve(fake, "One.", "-v", "--log-format", "json", "--json")
    finally:
        fake.close()
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    names = [e["event"] for e in events]
    assert names[0] == "solve.start" and "attempt.passed" in names and names[-1] == "solve.done"
    assert len({e["run_id"] for e in events}) == 1
    assert next(e for e in events if e["event"] == "attempt.passed")["attempt"] == 1


@pytest.mark.parametrize(("text", "expected"), [
    ("int", int), ("list[int]", list[int]), ("dict[str, float]", dict[str, float]),
    ("list[dict[str, any]]", list[dict[str, Any]]), ("tuple[int, str]", tuple[int, str]),
])
def test_output_type_expressions(text, expected):
    assert parse_output_type(text) == expected


@pytest.mark.parametrize("text", ["__import__('os')", "os.system", "list[int]()", "lambda: 1"])
def test_output_type_expressions_evaluate_nothing(text):
    with pytest.raises(UsageError):
        parse_output_type(text)


@pytest.mark.parametrize("provider", [[fenced("export default 170 + 1"), fenced("export default 171")]], indirect=True)
def test_samples_show_how_many_programs_agree(provider):
    done = jsolve(provider, "How many Sundays?", "--output", "int", "--samples", "2", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["value"] == 171 and report["agreement"] == 1.0 and report["agreed"] is True
    assert [(c["value"], c["count"]) for c in report["candidates"]] == [(171, 2)]
    assert [(a["number"], a["candidate"]) for a in report["attempts"]] == [(1, 1), (1, 2)]
    assert sorted(r["temperature"] for r in provider.requests) == [0.0, 0.8]


@pytest.mark.parametrize("provider", [[fenced("export default 171")] * 2], indirect=True)
def test_the_console_view_labels_an_agreed_answer(provider):
    done = jsolve(provider, "How many Sundays?", "--output", "int", "--samples", "2")
    assert done.returncode == 0, done.stderr
    assert "attempt 1: 2 programs" in done.stdout
    assert "Answer: 171   (2 of 2 independent programs agree)" in done.stdout


@pytest.mark.parametrize("provider", [[fenced("export default 1"), fenced("export default 2")]], indirect=True)
def test_min_agreement_not_reached_exits_1_with_the_competing_values(provider):
    done = jsolve(provider, "A number.", "--output", "int", "--samples", "2", "--max-attempts", "1", "--min-agreement", "0.5", "--json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is False and sorted(c["value"] for c in report["candidates"]) == [1, 2]


def test_jsolve_run_prints_a_bigint_of_any_length(tmp_path):
    module = tmp_path / "big.js"
    module.write_text("export default 10n ** 5000n + 1n")
    done = subprocess.run([sys.executable, "-m", "agent", "run", str(module), "--json"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    sys.set_int_max_str_digits(0)
    try:
        assert json.loads(done.stdout)["value"] == 10**5000 + 1
    finally:
        sys.set_int_max_str_digits(4300)


def test_printing_a_long_bigint_leaves_the_process_digit_limit_as_it_was(tmp_path):
    from typer.testing import CliRunner

    from agent.cli.app import app

    module = tmp_path / "big.js"
    module.write_text("export default 10n ** 5000n")
    before = sys.get_int_max_str_digits()
    done = CliRunner().invoke(app, ["run", str(module)])
    assert done.exit_code == 0 and done.stdout.strip() == "1" + "0" * 5000
    assert sys.get_int_max_str_digits() == before, "a library caller's process keeps its own limit"
