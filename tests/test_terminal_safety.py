"""No text of a model or a program reaches the terminal as a command or as markup: the commands
`jsolve run`, `jsolve solve` and `jsolve eval` show escape sequences that programs build at run
time as visible escapes, print `[/]` and `[link=...]` as the text they are, and `--json` stays
the exact JSON of the real values."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic_ai.messages import ModelResponse, TextPart
from pydantic_ai.models.function import FunctionModel

from agent.evals import Case, Report, run_cases
from tests.fake_provider import FakeProvider
from tests.scripted import fenced, task_of

UNSEEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""What a terminal acts on instead of showing: C0 controls but tab and newline, DEL, C1
controls, bidirectional overrides and isolates."""

ESCAPES = "const esc = String.fromCharCode(27), bel = String.fromCharCode(7), csi = String.fromCharCode(0x9b);\n"
"""The escape characters, built at run time: the code the model writes holds none of them."""

CLIPBOARD = 'esc + "]52;c;cm0gLXJmIH4=" + bel'
"""An OSC 52 clipboard write (of `rm -rf ~`)."""

MARKUP = "[/] [link=http://x]y[/link]"

CLIPBOARD_SHOWN = "\\u001b]52;c;cm0gLXJmIH4=\\u0007"
"""The clipboard write as the terminal must show it."""

REAL_CLIPBOARD = "\x1b]52;c;cm0gLXJmIH4=\x07"


def assert_inert(*outputs: str) -> None:
    for text in outputs:
        found = UNSEEN.search(text)
        assert found is None, f"{found.group()!r} reached the terminal: {text[max(0, found.start() - 60):found.end() + 60]!r}"


def command(*args: str, provider: FakeProvider | None = None, cwd: Path | None = None) -> tuple[int, str, str]:
    """A real `python -m agent ...`; its output decoded as it was written (no newline translation,
    which would turn a carriage return into a line break)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "JSOLVE_", "FORCE_COLOR", "TTY_"))}
    env["COLUMNS"] = "200"
    if provider is not None:
        env.update(OPENAI_BASE_URL=provider.base_url, OPENAI_API_KEY="k", JSOLVE_MODEL="openai-chat:scripted")
    done = subprocess.run([sys.executable, "-m", "agent", *args], capture_output=True, env=env, timeout=180, cwd=cwd)
    return done.returncode, done.stdout.decode(), done.stderr.decode()


@pytest.fixture
def provider(request):
    fake = FakeProvider(request.param)
    yield fake
    fake.close()


def test_jsolve_run_shows_what_the_program_built_as_escapes(tmp_path):
    module = tmp_path / "evil.js"
    module.write_text(ESCAPES + f'console.log("clip " + {CLIPBOARD} + " {MARKUP}");\n'
                      'console.error("title " + esc + "]0;owned" + bel + " back" + String.fromCharCode(13) + "over");\n'
                      'export default { link: esc + "]8;;http://x" + esc + "\\\\y", clear: csi + "2J", flip: String.fromCharCode(0x202e) + "txt" };')
    real = {"link": "\x1b]8;;http://x\x1b\\y", "clear": "\x9b2J", "flip": "\u202etxt"}
    code, out, err = command("run", str(module))
    assert code == 0, err
    assert_inert(out, err)
    log, value = out.split("\n", 1)
    assert log == f"clip {CLIPBOARD_SHOWN} {MARKUP}"
    assert "title \\u001b]0;owned\\u0007 back\\u000dover" in err
    assert json.loads(value) == real, "the value shown is the same JSON"
    code, out, err = command("run", str(module), "--json")
    assert code == 0, err
    assert_inert(out)
    result = json.loads(out)
    assert result["value"] == real and result["logs"][0]["text"] == f"clip {REAL_CLIPBOARD} {MARKUP}"


def test_jsolve_run_shows_a_thrown_message_as_escapes(tmp_path):
    module = tmp_path / "throws.js"
    module.write_text(ESCAPES + f'throw new Error("boom " + {CLIPBOARD});\nexport default 1;')
    code, out, err = command("run", str(module))
    assert code == 1
    assert_inert(out, err)
    assert f"Error: boom {CLIPBOARD_SHOWN}" in err


THROWS = fenced(ESCAPES + "// a title change written into the code itself: \x1b]0;owned\x07\n"
                f'export default (() => {{ throw new Error("{MARKUP} " + {CLIPBOARD}); }})();')
GIVES = fenced(ESCAPES + 'console.log("log " + esc + "]0;t" + bel);\n'
               f'export default "{MARKUP} " + {CLIPBOARD} + csi + "2J" + String.fromCharCode(0x2066);')
GIVEN = f"{MARKUP} {REAL_CLIPBOARD}\x9b2J\u2066"


@pytest.mark.parametrize("provider", [[THROWS, GIVES]], indirect=True)
def test_jsolve_solve_shows_code_errors_and_the_answer_as_text(provider):
    code, out, err = command("solve", "A string.", "--output", "str", provider=provider)
    assert code == 0, err
    assert_inert(out, err)
    assert "// a title change written into the code itself: \\u001b]0;owned\\u0007" in out
    assert re.search(r"✗ runtime error at line 3, column \d+: Error: " + re.escape(f"{MARKUP} {CLIPBOARD_SHOWN}\n"), out)
    assert f'Answer: "{MARKUP} {CLIPBOARD_SHOWN}\\u009b2J\\u2066"' in out


@pytest.mark.parametrize("provider", [[THROWS, GIVES]], indirect=True)
def test_jsolve_solve_json_is_the_exact_json_of_the_real_values(provider):
    code, out, err = command("solve", "A string.", "--output", "str", "--json", provider=provider)
    assert code == 0, err
    assert_inert(out)
    report = json.loads(out)
    assert report["value"] == GIVEN
    assert report["attempts"][0]["failure"]["message"] == f"{MARKUP} {REAL_CLIPBOARD}"
    assert "\x1b]0;owned\x07" in report["attempts"][0]["code"] and report["attempts"][1]["logs"] == ["log \x1b]0;t\x07"]


@pytest.mark.parametrize("provider", [[GIVES, GIVES]], indirect=True)
def test_jsolve_solve_samples_tabulates_values_as_text(provider):
    code, out, err = command("solve", "A string.", "--output", "str", "--samples", "2", provider=provider)
    assert code == 0, err
    assert_inert(out, err)
    assert out.count(f'"{MARKUP} {CLIPBOARD_SHOWN}') == 3  # in the table's two rows and the answer
    assert "(2 of 2 independent programs agree)" in out


@pytest.mark.parametrize("provider", [[THROWS, THROWS]], indirect=True)
def test_jsolve_solve_not_solved_shows_the_failure_as_text(provider):
    code, out, err = command("solve", "A string.", "--output", "str", "--max-attempts", "2", provider=provider)
    assert code == 1, err
    assert_inert(out, err)
    assert out.count(f"{MARKUP} {CLIPBOARD_SHOWN}") >= 2 and "Not solved: " in out


def hostile_suite(folder: Path) -> Path:
    cases = [Case(id="markup", instruction="Task markup", output={"type": "string"}, expected="plain"),
             Case(id="thrower", instruction="Task thrower", output={"type": "integer"}, expected=1)]
    suite = folder / "suite.yaml"
    suite.write_text(json.dumps({"cases": [c.model_dump(exclude_none=True) for c in cases]}))
    return suite


def test_jsolve_eval_writes_its_report_and_shows_the_summary_as_text(tmp_path):
    out_folder = tmp_path / "out"
    fake = FakeProvider([GIVES, THROWS])
    try:
        code, out, err = command("eval", str(hostile_suite(tmp_path)), "--concurrency", "1", "--max-attempts", "1",
                                 "--report", str(out_folder), provider=fake)
    finally:
        fake.close()
    assert code == 0, err
    assert (out_folder / "report.json").exists() and (out_folder / "report.html").exists()
    assert_inert(out, err)
    assert "0/2 solved" in out and f'got "{MARKUP} \\u001b]52' in out
    report = Report.read(out_folder)
    assert {r.id: r.value for r in report.results}["markup"] == GIVEN, "the report keeps the real value"


def test_jsolve_eval_writes_its_report_even_when_nothing_can_be_shown(tmp_path):
    """`jsolve eval ... | head`: the reader of stdout is gone before the tables are printed."""
    out_folder = tmp_path / "out"
    fake = FakeProvider([fenced("export default 1")])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "JSOLVE_"))}
    env.update(OPENAI_BASE_URL=fake.base_url, OPENAI_API_KEY="k", JSOLVE_MODEL="openai-chat:scripted")
    suite = tmp_path / "suite.yaml"
    suite.write_text(json.dumps({"cases": [{"id": "one", "instruction": "Task one", "output": {"type": "integer"}, "expected": 1}]}))
    reader, writer = os.pipe()
    os.close(reader)
    try:
        done = subprocess.run([sys.executable, "-m", "agent", "eval", str(suite), "--report", str(out_folder)],
                              stdout=writer, stderr=subprocess.PIPE, env=env, timeout=180)
    finally:
        os.close(writer)
        fake.close()
    assert "Traceback" not in done.stderr.decode()
    assert Report.read(out_folder / "report.json").summary.solved == 1 and (out_folder / "report.html").exists()


def hostile_model() -> FunctionModel:
    replies = {"Task markup": [GIVES], "Task thrower": [THROWS]}

    def answer(messages, info) -> ModelResponse:
        return ModelResponse(parts=[TextPart(next(r for name, r in replies.items() if name in task_of(messages)).pop(0))])

    return FunctionModel(answer, model_name=f"scripted {MARKUP} \x1b]0;model\x07")


@pytest.fixture(scope="module")
def hostile_report(sandbox, tmp_path_factory) -> Path:
    cases = [Case(id="markup", instruction="Task markup", output={"type": "string"}, expected="plain"),
             Case(id="thrower", instruction="Task thrower", output={"type": "integer"}, expected=1)]
    report = asyncio.run(run_cases(cases, model=hostile_model(), sandbox=sandbox, max_attempts=1, source="test"))
    folder = tmp_path_factory.mktemp("hostile")
    report.write(folder)
    return folder


def test_jsolve_eval_show_tells_hostile_stories_as_text(hostile_report):
    code, out, err = command("eval", "show", str(hostile_report))
    assert code == 0, err
    assert_inert(out, err)
    assert f'got: "{MARKUP} {CLIPBOARD_SHOWN}\\u009b2J\\u2066"' in out
    assert "console: log \\u001b]0;t\\u0007" in out
    assert "// a title change written into the code itself: \\u001b]0;owned\\u0007" in out
    assert f"{MARKUP} {CLIPBOARD_SHOWN}" in out.split("feedback sent to the model", 1)[1]


def test_jsolve_eval_compare_shows_model_names_as_text(hostile_report):
    code, out, err = command("eval", "compare", str(hostile_report), str(hostile_report))
    assert code == 0, err
    assert_inert(out, err)
    assert f"scripted {MARKUP} \\u001b]0;model\\u0007" in out and "newly solved in B: -" in out


def test_visible_keeps_layout_and_json():
    from agent.text import visible

    text = json.dumps({"a": "\x1b[2J\x9b\u202e\x7f", "b": ["\t"]}, ensure_ascii=False, indent=2)
    shown = visible(text)
    assert UNSEEN.search(shown) is None and json.loads(shown) == json.loads(text) and shown.count("\n") == text.count("\n")
    assert visible("tab\there\nnext \\u001b") == "tab\there\nnext \\u001b"
