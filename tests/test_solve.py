"""The repair loop, with scripted models and the real sandbox."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from openai import AsyncOpenAI
from pydantic import BaseModel
from pydantic_ai.messages import ModelResponse
from pydantic_ai.models import override_allow_model_requests
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider

from agent import ModelUnavailable, SolveFailed, SolveSettings, UsageError, asolve, solve
from agent.core.failures import feedback
from agent.models.client import retrying_http_client
from agent.sandbox import Limits
from tests.scripted import Script, fenced

GOOD = "const primes = [2, 3, 5, 7];\nexport default primes.reduce((a, b) => a + b, 0);"


def solved(script: Script, sandbox, **options):
    return solve("Sum the primes below 10.", model=script.model, sandbox=sandbox, **options)


def test_a_right_first_answer_is_one_attempt(sandbox):
    script = Script([fenced(GOOD)])
    s = solved(script, sandbox, output=int)
    assert s.value == 17 and s.code == GOOD
    assert len(s.attempts) == 1 and s.attempts[0].ok and s.attempts[0].feedback is None
    assert s.usage.requests == 1 and s.usage.output_tokens > 0
    assert s.model_name == "scripted"
    sent = script.text_of(0)
    assert "Sum the primes below 10." in sent and '{"type":"integer"}' in sent


# One case per failure kind: the first reply fails that way, the second is right.
FIRST_WRONG = [
    ("extract", "I think the answer is 17.", None),
    ("syntax", "const x = (1 +;\nexport default x", "syntax error at line 1, column 15: SyntaxError: unexpected token in expression: ';'"),
    ("policy", "const fs = require('fs');\nexport default 1", "policy error at line 1, column 12: `require` does not exist"),
    ("policy", "import { exec } from 'child_process';\nexport default 1", "`import` of 'child_process'"),
    ("policy", "import _ from 'lodash';\nexport default _.sum([1])", "`import` of 'lodash'"),
    ("policy", "export default await fetch('https://example.com')", "`fetch` is not available: the network is off"),
    ("contract", "const total = 17;", "the module has no `export default`"),
    ("contract", "export default function main() { return 17 }", "`export default function main() { return 17 }` exports the function itself, which is never called: remove `export default` from the function and end the module with `export default main();`"),
    ("runtime", "const rows = undefined;\nexport default rows.length", "TypeError: cannot read property 'length' of undefined"),
    ("timeout", "let n = 0;\nwhile (true) n++;\nexport default n", "timeout error"),
    ("memory", "const a = [];\nwhile (true) a.push(new Array(1e6).fill(1));\nexport default a.length", "ran out of memory"),
    ("stack", "const f = (n) => f(n + 1) + 1;\nexport default f(0)", "stack error"),
    ("output", "export default 0 / 0", "NaN"),
    ("schema", "export default '17'", 'at $: input should be a valid integer, got string "17"'),
]


@pytest.mark.parametrize(("kind", "wrong", "expected_text"), FIRST_WRONG, ids=[f"{k}-{i}" for i, (k, *_) in enumerate(FIRST_WRONG)])
def test_each_failure_kind_is_fed_back_and_repaired(sandbox, kind, wrong, expected_text):
    script = Script([wrong if kind == "extract" else fenced(wrong), fenced(GOOD)])
    s = solved(script, sandbox, output=int, limits=Limits(timeout=1.0, memory_mb=32))
    assert s.value == 17 and len(s.attempts) == 2
    first, second = s.attempts
    assert first.failure is not None and first.failure.kind == kind
    assert first.feedback == feedback(first.failure, first.code)
    if expected_text:
        assert expected_text in first.feedback
    assert first.feedback in script.last_prompt(1), "the model must see exactly the recorded feedback"
    assert first.code == (None if kind == "extract" else wrong)
    assert second.ok and second.value == 17


def test_the_feedback_quotes_the_line_the_error_points_at(sandbox):
    wrong = "const rows = [1, 2];\nconst total = rows.reduce((a, b) => a + b.weight.kg, 0);\nexport default total;"
    script = Script([fenced(wrong), fenced(GOOD)])
    s = solved(script, sandbox)
    first = s.attempts[0].feedback
    assert "runtime error at line 2" in first
    assert "Line 2 is: const total = rows.reduce((a, b) => a + b.weight.kg, 0);" in first
    assert first in script.last_prompt(1)


def test_console_output_is_part_of_the_feedback(sandbox):
    script = Script([fenced("console.log('rows:', 3);\nconsole.warn('careful');\nthrow new Error('bad row 2');\nexport default 1"), fenced(GOOD)])
    s = solved(script, sandbox)
    assert "rows: 3\n[warn] careful" in s.attempts[0].feedback
    assert "Error: bad row 2" in s.attempts[0].feedback


def test_check_failure_is_fed_back(sandbox):
    script = Script([fenced("export default (a, b) => a - b"), fenced("export default (a, b) => a + b")])
    s = solve("Export a function that adds two numbers.", model=script.model, sandbox=sandbox,
              check="if (value(2, 3) !== 5) throw new Error('add(2, 3) returned ' + value(2, 3));\nreturn true")
    assert s.value is True and len(s.attempts) == 2
    assert s.attempts[0].failure.kind == "check" and "add(2, 3) returned -1" in s.attempts[0].feedback


def test_repeat_of_a_failed_attempt_is_caught_before_running(sandbox):
    wrong = "export default '17'"
    script = Script([fenced(wrong), fenced(wrong + "\n\n"), fenced(GOOD)])
    s = solved(script, sandbox, output=int)
    assert [a.failure.kind if a.failure else None for a in s.attempts] == ["schema", "repeat", None]
    assert s.attempts[1].run_ms == 0.0, "a repeat is not run again"
    assert ('same code as attempt 1, which failed with: schema error: the value does not match the required shape: '
            'at $: input should be a valid integer, got string "17"') in script.last_prompt(2)


class RegionTotal(BaseModel):
    region: str
    total: float


def test_schema_mismatch_on_a_pydantic_model_then_fix(sandbox):
    wrong = "export default [{region: 'north', total: '12.5'}]"
    right = "export default [{region: 'north', total: 12.5}, {region: 'south', total: 3}]"
    script = Script([fenced(wrong), fenced(right)])
    s = solve("Totals per region.", output=list[RegionTotal], model=script.model, sandbox=sandbox)
    assert s.value == [RegionTotal(region="north", total=12.5), RegionTotal(region="south", total=3.0)]
    assert 'at $[0].total: input should be a valid number, got string "12.5"' in s.attempts[0].feedback
    assert '"region":{"type":"string"}' in script.text_of(0)


def test_json_schema_output(sandbox):
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"], "additionalProperties": False}
    script = Script([fenced("export default {n: 1, extra: true}"), fenced("export default {n: 1}")])
    s = solve("n", output=schema, model=script.model, sandbox=sandbox)
    assert s.value == {"n": 1}
    assert "Additional properties are not allowed ('extra' was unexpected)" in s.attempts[0].feedback


def test_budget_spent_raises_solve_failed_with_everything(sandbox):
    script = Script([fenced("export default 'a'"), fenced("export default 'b'"), fenced("export default 'c'")])
    with pytest.raises(SolveFailed) as caught:
        solved(script, sandbox, output=int, max_attempts=3)
    failed = caught.value
    assert len(failed.attempts) == 3 and failed.failure.kind == "schema"
    assert failed.code == "export default 'c'"
    assert failed.usage.requests == 3
    assert failed.usage.output_tokens == sum(a.usage.output_tokens for a in failed.attempts) > 0
    assert not script.replies and len(script.requests) == 3, "no request beyond the budget"


def test_history_keeps_the_instruction_and_only_the_latest_failure(sandbox):
    codes = [f"const wrong = {i};\nexport default 'wrong ' + wrong" for i in range(3)]
    script = Script([fenced(c) for c in codes] + [fenced(GOOD)])
    s = solved(script, sandbox, output=int, max_attempts=4, settings=SolveSettings(show_failed_code=True))
    assert len(s.attempts) == 4
    third = script.text_of(2)
    assert "Sum the primes below 10." in third
    assert "const wrong = 1;" in third and "const wrong = 0;" not in third
    assert len(script.requests[3]) == 3


def test_a_repair_can_show_only_the_feedback_not_the_failed_code(sandbox):
    wrong = "const xs = [1, 2, 3];\nexport default xs.missing.length;"
    script = Script([fenced(wrong), fenced(GOOD)])
    s = solved(script, sandbox, settings=SolveSettings(show_failed_code=False))
    assert s.value == 17
    second = script.text_of(1)
    assert "Sum the primes below 10." in second
    assert "const xs = [1, 2, 3];" not in second, "the failed module is not shown again"
    assert "Line 2 is: export default xs.missing.length;" in second, "the feedback still quotes the failing line"
    assert not any(isinstance(m, ModelResponse) for m in script.requests[1])


def test_temperature_rises_after_each_failure(sandbox):
    script = Script([fenced("export default 'x'"), fenced("export default 'y'"), fenced(GOOD)])
    settings = SolveSettings(temperature=0.1, temperature_step=0.4, max_temperature=0.7, max_tokens=300)
    solved(script, sandbox, output=int, settings=settings)
    assert [s["temperature"] for s in script.settings] == pytest.approx([0.1, 0.5, 0.7])
    assert {s["max_tokens"] for s in script.settings} == {300}


def test_usage_is_summed_over_attempts(sandbox):
    script = Script([fenced("export default 'x'"), fenced(GOOD)])
    s = solved(script, sandbox, output=int)
    assert s.usage.requests == 2
    assert s.usage.input_tokens == sum(a.usage.input_tokens for a in s.attempts)
    assert all(a.usage.requests == 1 for a in s.attempts)
    assert s.attempts[1].usage.input_tokens > s.attempts[0].usage.input_tokens  # the repair prompt is longer


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"instruction": "  "}, "instruction must be a non-empty string"),
    ({"max_attempts": 0}, "max_attempts must be a positive integer"),
    ({"max_attempts": -2}, "max_attempts must be a positive integer"),
    ({"output": {"type": "no-such-type"}}, "not a valid JSON Schema"),
    ({"output": object()}, "output must be a Python type"),
    ({"model": "no-such-provider:model"}, "cannot use the model 'no-such-provider:model'"),
    ({"model": 42}, "model must be a model name"),
])
def test_bad_input_is_a_usage_error_before_any_model_call(sandbox, kwargs, message):
    script = Script([fenced(GOOD)])
    options = {"instruction": "Sum the primes below 10.", "model": script.model, "sandbox": sandbox, **kwargs}
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace("$", r"\$")):
        solve(options.pop("instruction"), **options)
    assert script.requests == []


def test_no_model_configured_says_how_to_configure_one(monkeypatch, sandbox):
    monkeypatch.delenv("JSOLVE_MODEL", raising=False)
    from agent.models import local as local_model

    if local_model.is_installed():
        pytest.skip("the embedded model is installed here, so it is the default")
    with pytest.raises(UsageError, match=r"no model is configured.*JSOLVE_MODEL.*pip install") as caught:
        solve("Sum the primes below 10.", sandbox=sandbox)
    assert "{" not in str(caught.value) and "JSOLVE_MODEL=gguf:/path/model.gguf" in str(caught.value)


def test_the_no_model_message_names_every_way_to_configure_one():
    from agent.models.client import _NO_MODEL

    assert "{" not in _NO_MODEL, "no template placeholder left in the message"
    assert "JSOLVE_MODEL=openai-chat:" in _NO_MODEL and "JSOLVE_MODEL=gguf:" in _NO_MODEL


def test_async_entry_point_and_many_concurrent_solves_share_one_pool(sandbox):
    async def main():
        scripts = [Script([fenced(f"export default 'n{i}'"), fenced(f"export default {i} * 2")]) for i in range(24)]
        results = await asyncio.gather(*(asolve(f"twice {i}", output=int, model=s.model, sandbox=sandbox) for i, s in enumerate(scripts)))
        return [r.value for r in results], [len(r.attempts) for r in results]

    values, attempts = asyncio.run(main())
    assert values == [i * 2 for i in range(24)]
    assert attempts == [2] * 24


def test_solve_works_inside_a_running_event_loop(sandbox):
    async def main():
        return solve("x", output=int, model=Script([fenced(GOOD)]).model, sandbox=sandbox).value

    assert asyncio.run(main()) == 17


# Provider failures: a real OpenAI-compatible client over a scripted HTTP transport.

def _completion(text: str) -> dict:
    return {"id": "c1", "object": "chat.completion", "created": 0, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}


def _provider_model(statuses: list[int], waits: list[float], *, replies: list[str]):
    calls = []

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        status = statuses.pop(0) if statuses else 200
        if status != 200:
            return httpx.Response(status, headers={"Retry-After": "7"} if status == 429 else {}, json={"error": {"message": "busy"}})
        return httpx.Response(200, json=_completion(replies.pop(0)))

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    client = AsyncOpenAI(base_url="http://provider.test/v1", api_key="k", max_retries=0,
                         http_client=retrying_http_client(httpx.MockTransport(handle), attempts=4, sleep=sleep))
    return OpenAIChatModel("m", provider=OpenAIProvider(openai_client=client)), calls


def test_rate_limit_then_success_is_retried_outside_the_budget(sandbox):
    waits: list[float] = []
    model, calls = _provider_model([429, 503], waits, replies=[fenced("export default 'x'"), fenced(GOOD)])
    with override_allow_model_requests(True):
        s = solve("Sum the primes below 10.", output=int, model=model, sandbox=sandbox, max_attempts=2)
    assert s.value == 17 and len(s.attempts) == 2, "transport retries do not spend attempts"
    assert len(calls) == 4
    assert waits[0] == 7.0, "Retry-After is honoured"
    assert all("busy" not in (a.feedback or "") for a in s.attempts)


def test_persistent_server_errors_raise_model_unavailable(sandbox):
    waits: list[float] = []
    model, calls = _provider_model([500] * 10, waits, replies=[])
    with override_allow_model_requests(True), pytest.raises(ModelUnavailable, match="could not be reached") as caught:
        solve("Sum the primes below 10.", output=int, model=model, sandbox=sandbox)
    assert not isinstance(caught.value, SolveFailed)
    assert len(calls) == 4 and len(waits) == 3


def test_a_request_body_is_resent_intact_on_retry(sandbox):
    waits: list[float] = []
    model, calls = _provider_model([502], waits, replies=[fenced(GOOD)])
    with override_allow_model_requests(True):
        solve("Sum the primes below 10.", output=int, model=model, sandbox=sandbox)
    assert json.loads(calls[0].content) == json.loads(calls[1].content)


def test_a_model_named_by_a_string_is_built_once_per_event_loop(monkeypatch):
    import sys

    solve_module = sys.modules["agent.core.loop"]  # `agent.core.loop` is also the function's name

    built = []
    real = solve_module.resolve_model
    monkeypatch.setattr(solve_module, "resolve_model", lambda name: built.append(name) or real(name))
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")

    async def twice():
        return await solve_module._model_named("openai-chat:gpt-4.1-mini"), await solve_module._model_named("openai-chat:gpt-4.1-mini")

    a, b = asyncio.run(twice())
    assert a is b and built == ["openai-chat:gpt-4.1-mini"], "one HTTP client per provider and loop, not one per solve"
    c, _ = asyncio.run(twice())
    assert c is not a and len(built) == 2, "another event loop gets its own client"


@pytest.mark.parametrize(("reply", "kind", "message"), [
    ("", "extract", "the reply was empty"),
    (("Here is the module:\n```js\nconst xs = [1, 2, 3", "length"), "syntax", "cut at the token limit before the module ended"),
    (("I will write", "length"), "extract", "cut at the token limit"),
    (("", "content_filter"), "extract", "content filter stopped the reply"),
])
def test_blank_cut_or_filtered_replies_are_failures_that_say_why(reply, kind, message):
    from agent.models.client import openai_compatible_model
    from tests.fake_provider import FakeProvider

    provider = FakeProvider([reply, fenced(GOOD)])
    try:
        model = openai_compatible_model("m", base_url=provider.base_url)
        with override_allow_model_requests(True):
            s = solve("Sum the primes below 10.", output=int, model=model)
    finally:
        provider.close()
    assert s.value == 17 and s.attempts[0].failure.kind == kind and message in s.attempts[0].failure.message


@pytest.mark.parametrize(("status", "every"), [(401, True), (404, True), (400, False)])
def test_a_refused_request_raises_model_rejected_at_once(sandbox, status, every):
    from agent import ModelRejected

    waits: list[float] = []
    model, calls = _provider_model([status] * 5, waits, replies=[])
    with override_allow_model_requests(True), pytest.raises(ModelRejected, match="refused the request") as caught:
        solve("Sum the primes below 10.", output=int, model=model, sandbox=sandbox)
    assert caught.value.every_request is every
    assert len(calls) == 1 and waits == [], "a refusal is not retried"
