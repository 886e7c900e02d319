"""Eval reports a person can debug from: every case's story (instruction, expected, got, each
program's code and feedback) in the report, the HTML page and `jsolve eval show`; suites from a
folder."""

from __future__ import annotations

import asyncio
import html
import json
import re
import subprocess
import sys

import pytest

from agent.errors import UsageError
from agent.evals import Case, Report, load_suite, run_cases
from agent.evals.report import CaseResult, ProgramRecord, render_html, summarize
from tests.test_evals_runner import CASES, scripted_model


@pytest.fixture(scope="module")
def report(sandbox) -> Report:
    return asyncio.run(run_cases(CASES, model=scripted_model(), sandbox=sandbox, concurrency=3, source="test"))


def test_each_case_keeps_its_whole_story(report):
    by_id = {r.id: r for r in report.results}
    repaired = by_id["repaired"]
    assert repaired.instruction == "Task repaired: 2 + 2" and repaired.compare == "exact" and repaired.expected == 4 and repaired.value == 4
    first, second = repaired.history
    assert (first.number, first.code, first.failure_kind) == (1, "export default null.x", "runtime")
    assert "cannot read property 'x' of null" in first.feedback and first.value is None
    assert (second.code, second.failure_kind, second.value, second.feedback) == ("export default 2 + 2", None, 4, None)
    wrong = by_id["wrong"]
    assert (wrong.expected, wrong.value, wrong.final_kind) == (2, 3, "answer")
    assert [p.failure_kind for p in by_id["failed"].history] == ["runtime", "repeat", "repeat", "repeat"]
    assert all(p.model_ms >= 0 and p.code for p in by_id["failed"].history)


def test_a_report_of_an_older_version_still_reads(report, tmp_path):
    old = json.loads(report.model_dump_json())
    old["version"] = 2
    for case in old["results"]:
        for key in ("instruction", "expected", "compare", "value", "history"):
            case.pop(key)
    (tmp_path / "report.json").write_text(json.dumps(old))
    again = Report.read(tmp_path)
    assert [r.id for r in again.results] == [r.id for r in report.results] and all(r.history == [] for r in again.results)


def hostile_report() -> Report:
    code = 'const s = "</script><img src=x onerror=alert(1)>";\nexport default s;'
    case = CaseResult(id="evil<b>", category="x", solved=False, attempts=1, failure_kinds=["schema"], final_failure="schema: <img onerror=1>",
                      final_kind="schema", instruction="Say </script><img onerror=alert(2)>", compare="exact", expected="<i>",
                      history=[ProgramRecord(number=1, code=code, failure_kind="schema", failure="not <i>", feedback="Your code failed: </script>")])
    return Report(model="m", settings={}, started="", duration_s=0, summary=summarize([case]), results=[case])


def stories_of(page: str) -> dict[str, str]:
    """Each case's story as the page holds it: in its row, or in the inert script a row renders it from."""
    rows = re.findall(r"<details ([^>]*)><summary>.*?<b>(.*?)</b>.*?</summary>(.*?)</details>", page, re.S)
    if 'type="text/x-story"' not in page:
        return {case: body for _, case, body in rows}
    stories = dict(re.findall(r'<script type="text/x-story" id="story-(\d+)">(.*?)</script>', page, re.S))
    return {case: stories[re.search(r'data-story="(\d+)"', attributes).group(1)] for attributes, case, _ in rows}


@pytest.mark.parametrize("lazy", [False, True])
def test_the_page_holds_every_case_and_every_program_and_escapes_them(report, lazy):
    page = render_html([report], lazy=lazy)
    stories = stories_of(page)
    assert sorted(stories) == sorted(case.id for case in report.results)
    for case in report.results:
        assert case.history and all(html.escape(program.code) in re.sub(r"<[^>]+>", "", stories[case.id]) for program in case.history)
    evil = render_html([hostile_report()], lazy=lazy)
    scripts = 3 if lazy else 1  # the page's own: the filters, and with lazy stories its one story and their renderer
    assert evil.count("</script>") == scripts and evil.count("<script") == scripts
    assert "<img" not in evil and "<i>" not in evil
    story = stories_of(evil)["evil&lt;b&gt;"]
    assert "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in story and "<img" not in story and "<i>" not in story


def test_no_story_can_end_its_script_element_early():
    from agent.evals.report import _as_script_data

    text = _as_script_data('<p>a</p></SCRIPT><img src=x onerror=alert(1)><!--<script></script x>')
    assert "</script" not in text.lower() and "<!--" not in text and text.startswith("<p>a</p>")


def test_a_large_run_s_page_renders_stories_when_opened_and_a_small_one_in_its_rows(report):
    assert 'type="text/x-story"' not in render_html([report])
    large = report.model_copy(deep=True)
    program = large.results[0].history[0]
    large.results[0].history = [program.model_copy(update={"code": "let x = 1;\n" * 100_000})]
    page = render_html([large])
    assert page.count('type="text/x-story"') == len(large.results) and "<noscript>" in page


def test_a_comparison_lists_the_flipped_cases_first(report):
    better = report.model_copy(deep=True)
    wrong = next(r for r in better.results if r.id == "wrong")
    wrong.solved = True
    page = render_html([report, better])
    assert "newly solved in B</b>: wrong" in page
    cases = page.split('<div id="cases">')[1]
    assert cases.index("<b>wrong</b>") < cases.index("<b>failed</b>") < cases.index("<b>right</b>")


def jsolve_eval(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agent", "eval", *args], capture_output=True, text=True, timeout=60,
                          env={"COLUMNS": "160", "PATH": "/usr/bin:/bin"})


def test_jsolve_eval_show_tells_the_unsolved_stories(report, tmp_path):
    report.write(tmp_path)
    done = jsolve_eval("show", str(tmp_path))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "failed" in out and "wrong" in out and "right ·" not in out  # only the unsolved
    assert "export default undefinedName" in out and "feedback sent to the model" in out and "expected (exact): 2" in out
    one = jsolve_eval("show", str(tmp_path / "report.json"), "--case", "repaired")
    assert one.returncode == 0 and "export default null.x" in one.stdout and "export default 2 + 2" in one.stdout
    missing = jsolve_eval("show", str(tmp_path), "--case", "repair")
    assert missing.returncode == 2 and "no case 'repair'; did you mean repaired?" in missing.stderr


def test_show_reads_the_results_of_a_run_killed_before_its_report(report, tmp_path):
    lines = [r.model_dump_json() for r in report.results]
    (tmp_path / "results.jsonl").write_text("\n".join(lines) + '\n{"id": "half-writ')
    again = Report.read(tmp_path)
    assert [r.id for r in again.results] == [r.id for r in report.results] and again.interrupted


def test_a_folder_of_suites_is_one_run(tmp_path):
    one = "cases:\n- {id: a, instruction: x, expected: 1}\n"
    (tmp_path / "one.yaml").write_text(one)
    (tmp_path / "two.yml").write_text("cases:\n- {id: b, instruction: y, expected: 2}\n")
    (tmp_path / "notes.txt").write_text("not a suite")
    assert [c.id for c in load_suite(tmp_path)] == ["a", "b"]
    (tmp_path / "three.yaml").write_text(one)
    with pytest.raises(UsageError, match=r"three\.yaml: the case id 'a' appears twice \(also in .*one\.yaml\)"):
        load_suite(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UsageError, match="holds no suite files"):
        load_suite(empty)
    assert jsolve_eval(str(empty)).returncode == 2


def test_the_project_suite_folder_loads_whole():
    assert {c.id for c in load_suite("evals")} == {c.id for c in load_suite("evals/suite.yaml")}
    assert isinstance(load_suite("evals")[0], Case)


def test_code_is_highlighted_and_escaped():
    from agent.evals.report import highlighted

    text = highlighted('const s = "<b>" + 42; // </script>')
    assert text.startswith("<i class=k>const</i> s = <i class=s>&quot;&lt;b&gt;&quot;</i> + <i class=n>42</i>;")
    assert text.endswith("<i class=c>// &lt;/script&gt;</i>") and "<b>" not in text
