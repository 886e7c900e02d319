"""The failure kinds are one list (`agent.failure_kinds.KINDS`): the types, the hints the model
reads, the kinds the worker and the pool accept, and every kind the sandbox's JavaScript and
Python emit follow it; what is not a failure kind (an eval verdict, a fetch reply's error) has a
type of its own."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import get_args

import pydantic
import pytest

import agent.sandbox
from agent import prompts
from agent.failure_kinds import (
    HINTED_KINDS,
    KINDS,
    SANDBOX_KINDS,
    SCRIPT_KINDS,
    WORKER_KINDS,
    ErrorKind,
    FailureKind,
    Source,
)
from agent.sandbox.result import FetchErrorKind

SANDBOX = Path(agent.sandbox.__file__).parent


def test_the_types_are_the_table_and_stay_where_they_were():
    from agent import FailureKind as exported
    from agent.core.failures import FailureKind as in_failures
    from agent.sandbox import ErrorKind as in_sandbox

    assert set(get_args(FailureKind)) == set(KINDS) and len(get_args(FailureKind)) == len(KINDS)
    assert set(get_args(ErrorKind)) == SANDBOX_KINDS
    assert exported is in_failures is FailureKind and in_sandbox is ErrorKind


def test_every_kind_says_what_it_means_and_where_it_is_decided():
    for name, kind in KINDS.items():
        assert kind.meaning.strip() and "\n" not in kind.meaning and kind.meaning.endswith("."), name
        assert kind.sources and len(set(kind.sources)) == len(kind.sources) and set(kind.sources) <= set(get_args(Source)), name


def test_the_sandbox_sets_nest_as_its_parts_decide():
    assert SANDBOX_KINDS - {"crash"} == WORKER_KINDS  # the pool decides a crash
    assert WORKER_KINDS - {"check"} == SCRIPT_KINDS  # the worker decides a check's failure
    assert set(KINDS) == HINTED_KINDS


def test_hints_yaml_has_exactly_one_hint_per_kind_the_model_is_told_about():
    assert set(prompts.hints()) == HINTED_KINDS
    text = (prompts._folder() / "hints.yaml").read_text(encoding="utf-8")
    keys = re.findall(r"^(\w+):", text, re.MULTILINE)
    assert sorted(keys) == sorted(set(keys)), "a kind has two hints in hints.yaml"
    for kind, hint in prompts.hints().items():
        assert isinstance(hint, str) and hint.strip() and "\n" not in hint, kind


def test_the_worker_and_the_pool_accept_the_kinds_the_table_gives_them():
    from agent.sandbox.pool import _run_error
    from agent.sandbox.protocol import ProtocolError
    from agent.sandbox.worker.errors import _KINDS

    assert {None, *SCRIPT_KINDS} == _KINDS
    for kind in WORKER_KINDS:
        assert _run_error({"kind": kind, "message": "m"}).kind == kind
    for kind in ("crash", "network", "answer", "nope"):
        with pytest.raises(ProtocolError):
            _run_error({"kind": kind, "message": "m"})


def test_classify_gives_only_kinds_of_a_script_error():
    from agent.sandbox.worker.errors import classify

    returned = set(re.findall(r'return "(\w+)"', inspect.getsource(classify)))
    assert returned and returned <= SCRIPT_KINDS, returned - SCRIPT_KINDS
    assert classify("InternalError", "interrupted", compiling=False) == "timeout"
    assert classify("InternalError", "out of memory", compiling=False) == "memory"
    assert classify("RangeError", "Maximum call stack size exceeded", compiling=False) == "stack"
    assert classify("SyntaxError", "could not load module 'fs'", compiling=True) == "policy"
    assert classify("SyntaxError", "unexpected token", compiling=True) == "syntax"
    assert classify("TypeError", "x is not a function", compiling=False) == "runtime"


# The forms in which the sandbox's JavaScript names a kind: each either emits a literal, checked
# against its vocabulary, or passes one on. Any other use of `kind` or `jsolveKind` fails the
# test, so that a new way of emitting a kind cannot slip past it.
_EMITS = re.compile(r'(?:kind\s*:|jsolveKind\s*=)\s*"([^"]*)"')
"""`{ kind: "output", ... }` in a report; `e.jsolveKind = "policy"` on an error the report reads."""
_READS_FETCH_REPLY = re.compile(r'kind\s*===?\s*"([^"]*)"')
"""`reply.error.kind === "policy"`: a fetch reply's error, a `FetchErrorKind`."""
_PASSES_ON = re.compile(r"kind\s*:\s*(?:null\b|e\.jsolveKind\s*\|\|\s*null\b)|jsolveKind\s*\|\|\s*null\b")
"""`kind: null` (the worker classifies the error) and `kind: e.jsolveKind || null`."""
_COMMENT = re.compile(r"/\*[\s\S]*?\*/|(?<![:\\\"'])//[^\n]*")


def _js_kinds() -> list[tuple[str, str, str]]:
    """(file:line, form, literal) of every use of a kind in the sandbox's JavaScript."""
    found = []
    files = sorted(p for p in SANDBOX.rglob("*.js") if "bundles" not in p.parts)  # third-party bundles emit no kinds
    assert {"extras.js", "values.js", "fetch.js", "prelude.js"} <= {f.name for f in files}
    for file in files:
        source = _COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m[0]), file.read_text(encoding="utf-8"))
        for use in re.finditer(r"\b(?:jsolveKind|kind)\b", source):
            where = f"{file.name}:{source.count(chr(10), 0, use.start()) + 1}"
            if match := _EMITS.match(source, use.start()):
                found.append((where, "emits", match[1]))
            elif match := _READS_FETCH_REPLY.match(source, use.start()):
                found.append((where, "reads a fetch reply", match[1]))
            elif _PASSES_ON.match(source, use.start()):
                found.append((where, "passes on", ""))
            else:
                line = source[source.rfind("\n", 0, use.start()) + 1:source.find("\n", use.start())].strip()
                found.append((where, "unknown", line))
    return found


def test_every_kind_the_sandbox_javascript_emits_is_in_the_vocabulary():
    uses = _js_kinds()
    unknown = [(where, line) for where, form, line in uses if form == "unknown"]
    assert not unknown, f'name kinds as `kind: "<kind>"` or `e.jsolveKind = "<kind>"` (see _EMITS), or add the new form here: {unknown}'
    emitted = {(where, kind) for where, form, kind in uses if form == "emits"}
    assert {kind for _, kind in emitted} >= {"output", "contract", "policy", "syntax"}, emitted
    assert not [(where, kind) for where, kind in emitted if kind not in SCRIPT_KINDS]
    read = {kind for _, form, kind in uses if form == "reads a fetch reply"}
    assert read and read <= set(get_args(FetchErrorKind)), read


def test_every_kind_the_sandbox_python_writes_is_in_the_vocabulary():
    written = {}
    for file in sorted(SANDBOX.rglob("*.py")):
        text = file.read_text(encoding="utf-8")
        for match in re.finditer(r"""["']kind["']\s*:\s*["'](\w*)["']|\bkind\s*=\s*["'](\w*)["']""", text):
            written[f"{file.name}:{text.count(chr(10), 0, match.start()) + 1}"] = match[1] or match[2]
    assert "network" in written.values() and "output" in written.values()
    allowed = SANDBOX_KINDS | set(get_args(FetchErrorKind))
    assert not {where: kind for where, kind in written.items() if kind not in allowed}


# ---- what is not a failure kind ----


def test_a_fetch_reply_error_and_an_eval_verdict_are_not_failure_kinds():
    from agent.evals.report import FinalKind, Verdict

    assert not set(get_args(FetchErrorKind)) <= set(KINDS)
    assert set(get_args(FinalKind)) == set(KINDS) | {"answer", "rejected"} and not {"answer", "rejected"} & set(KINDS)
    assert not set(get_args(Verdict)) & set(KINDS)


def _case(**fields):
    from agent.evals.report import CaseResult

    return CaseResult(**{"id": "c", "category": "x", "solved": False, "attempts": 1, "failure_kinds": [], "final_failure": None, **fields})


@pytest.mark.parametrize(("fields", "verdict"), [
    ({"solved": True}, "solved"),
    ({"final_failure": "wrong answer: expected 2, got 3", "final_kind": "answer", "answered": True}, "wrong"),
    ({"failure_kinds": ["repeat"], "final_failure": "repeat: same code", "final_kind": "repeat"}, "failed"),
    ({"attempts": 0, "error": "the provider refused the request", "final_kind": "rejected"}, "rejected"),
    ({"attempts": 0, "error": "the model could not be reached"}, "error"),
    ({"attempts": 0, "error": "the Ray worker running this case was lost twice"}, "error"),
])
def test_a_case_result_says_its_verdict(fields, verdict):
    assert _case(**fields).verdict == verdict
    assert "verdict" not in _case(**fields).model_dump()  # read from the report file's fields, not written to it


def test_a_report_holds_no_failure_kind_outside_the_vocabulary():
    with pytest.raises(pydantic.ValidationError):
        _case(failure_kinds=["answer"])
    with pytest.raises(pydantic.ValidationError):
        _case(final_kind="network")
    assert _case(final_kind="answer").final_kind == "answer"
