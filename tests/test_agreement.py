"""Agreement across independent programs: grouping values, the decision after a round, rounds of
several programs with scripted models (the concurrent path) and a scripted OpenAI-compatible
server (one request for n choices), min_agreement, and the precision check."""

from __future__ import annotations

import pytest
from pydantic_ai.models import override_allow_model_requests

from agent import SolveFailed, SolveSettings, UsageError, solve
from agent.core.agreement import Vote, canonical, close, group, has_majority, meets
from agent.core.failures import Failure
from agent.core.loop import decide
from agent.models.client import openai_compatible_model
from tests.fake_provider import FakeProvider
from tests.scripted import Sampler, fenced

FAILED = Failure(kind="runtime", message="x is not defined")
"""The latest failure, which a solve that stops with no passing value fails with."""

TASK = "How many Sundays fell on the first of a month from 1901 to 2000?"


def vote(plain, n: int = 1, r: int = 1):
    return Vote(plain, plain, f"export default {plain!r}", r, n)


# -- grouping ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("a", "b", "same"), [
    (2, 2.0, True), (True, 1, False), (False, 0, False), (True, True, True), (None, 0, False),
    (0.1 + 0.2, 0.3, True), (1.0, 1.0001, False), (1e-17, 0.0, True),
    ({"a": 1, "b": [1, 2]}, {"b": [1, 2.0], "a": 1}, True), ([1, 2], [2, 1], False),
    (2**64, 2**64 + 1, False), ("1", 1, False), ({"a": 1}, {"a": 1, "b": None}, False),
])
def test_values_are_the_same_by_json_equality_and_floats_by_a_small_tolerance(a, b, same):
    assert close(a, b) is same
    assert group([vote(a, 1), vote(b, 2)])[0].count == (2 if same else 1)


def test_groups_rank_by_programs_then_by_the_earliest_program():
    candidates = group([vote(171, 1), vote(172, 2), vote(172, 3), vote(170, 4), vote(171, 1, r=2)])
    assert [(c.value, c.count) for c in candidates] == [(171, 2), (172, 2), (170, 1)]
    assert candidates[0].attempts == ((1, 1), (2, 1))
    tie = group([vote("b", 2), vote("a", 1)])
    assert [c.value for c in tie] == ["a", "b"], "a tie goes to the earlier program (its round, then its place)"
    assert canonical({"b": 1.0, "a": True}) == '{"a": true, "b": 1}'


def test_a_majority_needs_two_programs_and_more_than_half_of_the_passing_ones():
    assert not has_majority(group([vote(1)]))
    assert has_majority(group([vote(1, 1), vote(1, 2)]))
    assert not has_majority(group([vote(1, 1), vote(1, 2), vote(2, 3), vote(2, 4)])), "a tie is not a majority"
    assert not has_majority(group([vote(1, 1), vote(1, 2), vote(2, 3), vote(3, 4)])), "a plurality is not a majority"
    assert has_majority(group([vote(1, 1), vote(1, 2), vote(1, 3), vote(2, 4)]))
    assert not has_majority(group([vote(1, 1), vote(1, 2), vote(1, 3), vote(2, 4)]), min_agreement=0.8)
    assert meets(group([vote(1, 1), vote(1, 2), vote(2, 3), vote(2, 4)]), 0.5), "min_agreement alone allows a tie at 0.5"
    assert not meets(group([vote(1)]), 0.1), "one program agrees with nothing"


def test_decide_is_a_pure_function_of_the_candidates_and_the_budget():
    none, one, agreed = group([]), group([vote(1)]), group([vote(1, 1), vote(1, 2)])
    assert decide(one, rounds_made=1, max_rounds=1, samples=1).action == "accept"
    assert decide(none, rounds_made=1, max_rounds=2, samples=1).action == "repair"
    assert decide(none, rounds_made=2, max_rounds=2, samples=1, last_failure=FAILED).action == "stop"
    assert decide(one, rounds_made=1, max_rounds=2, samples=4).action == "repair", "one program is not agreement"
    assert decide(agreed, rounds_made=1, max_rounds=2, samples=4).action == "accept"
    assert decide(agreed, rounds_made=1, max_rounds=2, samples=4, min_agreement=1.0).action == "accept"
    split = group([vote(1, 1), vote(1, 2), vote(2, 3)])
    assert decide(split, rounds_made=1, max_rounds=2, samples=3, min_agreement=0.7).action == "repair"
    assert decide(split, rounds_made=2, max_rounds=2, samples=3, min_agreement=0.7).action == "stop"


# -- rounds with a scripted model (k concurrent requests) ---------------------------------------

def test_programs_that_agree_answer_after_one_round(sandbox):
    sampler = Sampler([fenced("export default 171")], [fenced("export default 170 + 1"), fenced("export default 172"),
                                                       fenced("export default 'x'.length + 170")])
    s = solve(TASK, output=int, model=sampler.model, sandbox=sandbox, samples=4)
    assert s.value == 171 and s.agreement == 0.75 and s.votes == 3 and s.agreed
    assert [(c.value, c.count) for c in s.candidates] == [(171, 3), (172, 1)]
    assert s.candidates[0].code == "export default 171", "the first program that gave the value"
    assert [(a.number, a.candidate) for a in s.attempts] == [(1, 1), (1, 2), (1, 3), (1, 4)]
    assert s.attempts[0].code == "export default 171", "the round's first program is the greedy one"
    assert sorted(sampler.temperatures) == [0.0, 0.8, 0.8, 0.8]
    assert s.usage.requests == 4 and len(sampler.requests) == 4


def test_failed_programs_do_not_vote_and_their_feedback_repairs_the_next_round(sandbox):
    sampler = Sampler([fenced("export default rows.length")],
                      [fenced("export default 171"), fenced("export default 'many'"), fenced("export default 170 + 1")])
    s = solve(TASK, output=int, model=sampler.model, sandbox=sandbox, samples=2, max_attempts=3)
    assert s.value == 171 and s.votes == 2
    round_one = [a for a in s.attempts if a.number == 1]
    assert [a.failure.kind if a.failure else None for a in round_one] == ["runtime", None]
    repair = next(i for i, r in enumerate(sampler.requests) if len(r) > 1)
    assert "rows" in sampler.last_prompt(repair), "round two is told how round one's first program failed"


def test_disagreement_is_fed_back_and_a_repair_round_settles_it(sandbox):
    sampler = Sampler([fenced("export default 171")], [fenced("export default 172"),
                                                      fenced("export default 171 + 0"), fenced("export default 171 * 1")])
    s = solve(TASK, output=int, model=sampler.model, sandbox=sandbox, samples=2, max_attempts=2)
    assert s.value == 171 and s.votes == 3 and s.agreement == 0.75
    repairs = [sampler.last_prompt(i) for i, r in enumerate(sampler.requests) if len(r) > 1]
    assert len(repairs) == 2 and all("independent programs for this task gave different values: 171 (1 program); 172 (1 program)" in t
                                     for t in repairs)
    assert "disagree error" in repairs[0] and "check the boundaries" in repairs[0]


def test_without_repair_disagreement_the_first_round_with_a_value_ends_the_solve(sandbox):
    split = group([vote(1, 1), vote(2, 2)])
    assert decide(split, rounds_made=1, max_rounds=3, samples=2, repair_disagreement=False).action == "stop"
    assert decide(group([]), rounds_made=1, max_rounds=3, samples=2, repair_disagreement=False).action == "repair"
    sampler = Sampler([fenced("export default rows")], [fenced("export default nope"), fenced("export default 172"),
                                                       fenced("export default 171")])
    s = solve(TASK, output=int, model=sampler.model, sandbox=sandbox, max_attempts=3,
              settings=SolveSettings(samples=2, repair_disagreement=False))
    assert [a.number for a in s.attempts] == [1, 1, 2, 2], "a round where nothing passed is repaired; one with values ends it"
    assert s.value == 172 and not s.agreed and [(c.value, c.count) for c in s.candidates] == [(172, 1), (171, 1)]
    with pytest.raises(SolveFailed) as caught:
        solve(TASK, output=int, model=Sampler([fenced("export default 1")], [fenced("export default 2")]).model, sandbox=sandbox,
              max_attempts=3, settings=SolveSettings(samples=2, repair_disagreement=False, min_agreement=0.5))
    assert caught.value.failure.kind == "disagree" and len(caught.value.attempts) == 2


def test_a_repeated_program_from_an_earlier_round_adds_no_vote(sandbox):
    sampler = Sampler([fenced("export default 171")], [fenced("export default 172"), fenced("export default 171"),
                                                      fenced("export default 172")])
    with pytest.raises(SolveFailed) as caught:
        solve(TASK, output=int, model=sampler.model, sandbox=sandbox, samples=2, max_attempts=2, min_agreement=0.6)
    attempts = caught.value.attempts
    assert [a.failure.kind if a.failure else None for a in attempts] == [None, None, "repeat", "repeat"]
    assert sorted(a.failure.message for a in attempts[2:]) == [
        "this is the same code as attempt 1 (program 1), whose value 171 other programs did not confirm",
        "this is the same code as attempt 1 (program 2), whose value 172 other programs did not confirm"]
    assert attempts[2].run_ms == attempts[3].run_ms == 0.0, "a repeat is not run again"
    assert caught.value.failure.kind == "disagree"


def test_when_the_rounds_are_spent_the_most_common_value_is_answered_and_said_to_be_weak(sandbox):
    sampler = Sampler([fenced("export default 1")], [fenced("export default 2"), fenced("export default 3")])
    s = solve(TASK, output=int, model=sampler.model, sandbox=sandbox, samples=3, max_attempts=1)
    assert s.value == 1 and s.agreement == pytest.approx(1 / 3) and s.votes == 1 and not s.agreed
    assert s.candidates[0].value == 1 and sorted(c.value for c in s.candidates) == [1, 2, 3], "a tie goes to the greedy program"


def test_min_agreement_refuses_a_guess(sandbox):
    sampler = Sampler([fenced("export default 1")], [fenced("export default 2"), fenced("export default 1 + 1 - 1 + 1")])
    with pytest.raises(SolveFailed) as caught:
        solve(TASK, output=int, model=sampler.model, sandbox=sandbox, samples=3, max_attempts=1, min_agreement=0.75)
    failed = caught.value
    assert failed.failure.kind == "disagree"
    assert "gave different values: 2 (2 programs); 1 (1 program)" in failed.failure.message
    assert [(c.value, c.count) for c in failed.candidates] == [(2, 2), (1, 1)]
    assert "min_agreement 0.75" in str(failed)


def test_min_agreement_never_answers_with_one_program(sandbox):
    sampler = Sampler([fenced("export default 1")], [fenced("export default nope")])
    with pytest.raises(SolveFailed) as caught:
        solve(TASK, output=int, model=sampler.model, sandbox=sandbox, samples=2, max_attempts=1, min_agreement=0.5)
    assert caught.value.failure.kind == "disagree" and "only one program gave a value" in caught.value.failure.message


def test_all_programs_failing_is_a_solve_failure_with_the_last_failure(sandbox):
    sampler = Sampler([fenced("export default 'a'")], [fenced("export default 'b'")])
    with pytest.raises(SolveFailed) as caught:
        solve(TASK, output=int, model=sampler.model, sandbox=sandbox, samples=2, max_attempts=1)
    assert caught.value.failure.kind == "schema" and caught.value.candidates == []


@pytest.mark.parametrize(("options", "message"), [
    ({"samples": 0}, "samples must be a positive integer"),
    ({"samples": 2.5}, "samples must be a positive integer"),
    ({"min_agreement": 0.5}, "min_agreement needs samples >= 2"),
    ({"samples": 3, "min_agreement": 1.5}, "min_agreement is a share"),
    ({"settings": {"samples": 2}}, "settings must be a SolveSettings"),
])
def test_bad_sampling_options_are_usage_errors_before_any_model_call(sandbox, options, message):
    sampler = Sampler([fenced("export default 1")], [])
    with pytest.raises(UsageError, match=message):
        solve(TASK, model=sampler.model, sandbox=sandbox, **options)
    assert sampler.requests == []


def test_samples_one_is_the_loop_as_before(sandbox):
    sampler = Sampler([fenced("export default 'a'")], [fenced("export default 171")])
    s = solve(TASK, output=int, model=sampler.model, sandbox=sandbox, settings=SolveSettings(temperature_step=0.5))
    assert s.value == 171 and len(s.attempts) == 2 and s.agreement == 1.0 and s.votes == 1 and not s.agreed
    assert sampler.temperatures == [0.0, 0.5]


# -- one request for n choices (an OpenAI-compatible server) --------------------------------------

def test_a_chat_completions_server_is_asked_once_for_the_extra_programs():
    provider = FakeProvider([fenced("export default 171"), [fenced("export default 171"), fenced("export default 172"),
                                                            fenced("export default 171")]])
    try:
        model = openai_compatible_model("m", base_url=provider.base_url, one_at_a_time=True)  # in order, as to the local server
        with override_allow_model_requests(True):
            s = solve(TASK, output=int, model=model, samples=4)
        assert s.value == 171 and s.votes == 3
        assert len(provider.requests) == 2
        assert [r.get("n") for r in provider.requests] == [None, 3]
        assert [r["temperature"] for r in provider.requests] == [0.0, 0.8]
        assert provider.requests[0]["messages"] == provider.requests[1]["messages"], "one prompt for every program"
        assert s.usage.requests == 2 and s.usage.output_tokens == 20 + 60, "each request counted once"
        assert [a.usage.requests for a in s.attempts] == [1, 1, 0, 0]
    finally:
        provider.close()


def test_a_server_that_ignores_n_is_topped_up_and_then_asked_concurrently():
    provider = FakeProvider([fenced("export default 171"), fenced("export default 171"), fenced("export default 171"),
                             fenced("export default 1"), fenced("export default 1"), fenced("export default 1")])
    try:
        model = openai_compatible_model("m", base_url=provider.base_url, one_at_a_time=True)
        with override_allow_model_requests(True):
            first = solve(TASK, output=int, model=model, samples=3)
            second = solve(TASK, output=int, model=model, samples=3)
        assert first.votes == 3 and second.value == 1 and second.votes == 3
        assert [r.get("n") for r in provider.requests] == [None, 2, None, None, None, None]
    finally:
        provider.close()


# -- the precision check ----------------------------------------------------------------------------

def test_an_integer_past_2_53_computed_with_number_is_repaired_to_bigint(sandbox):
    sampler = Sampler([fenced("let p = 1;\nfor (let i = 0; i < 64; i++) p *= 2;\nexport default p - 1;")],
                      [fenced("export default 2n ** 64n - 1n;")])
    s = solve("What is 2^64 - 1?", output=int, model=sampler.model, sandbox=sandbox)
    assert s.value == 2**64 - 1 and len(s.attempts) == 2
    first = s.attempts[0]
    assert first.failure.kind == "precision" and "at $" in first.failure.message and "BigInt" in first.feedback


def test_the_precision_check_names_each_path_and_ignores_bigints_floats_and_strings(sandbox):
    run = sandbox.run("export default {exact: 2n ** 70n, ok: 2 ** 53 - 1, big: [1, 2 ** 60], huge: 1e300, s: '12345678901234567890'}")
    assert run.ok and run.unsafe_integers == ("$.big[1]",)
    assert sandbox.run("export default -(2 ** 54)").unsafe_integers == ("$",)
    assert sandbox.run("export default 9007199254740991").unsafe_integers == ()


def test_llama_cpp_s_tokens_of_the_other_choices_are_estimated_not_dropped():
    replies = [fenced("export default 171"), fenced("export default 171"), fenced("export default 100 + 71")]
    provider = FakeProvider([fenced("export default 171"), replies], llama=True)
    try:
        model = openai_compatible_model("m", base_url=provider.base_url, one_at_a_time=True)
        with override_allow_model_requests(True):
            s = solve(TASK, output=int, model=model, samples=4)
    finally:
        provider.close()
    per_char = 20 / len(replies[0])
    estimated = 20 + round(len(replies[1]) * per_char) + round(len(replies[2]) * per_char)
    assert s.attempts[1].usage.output_tokens == estimated > 20, "the server said 20, for the first choice alone"
    assert s.usage.output_tokens == 20 + estimated
