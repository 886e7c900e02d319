"""Suite cases that call tools (`tools: fixtures/shop.py`): where a suite's tools module may be,
how it is loaded, and what the report keeps of the calls; with scripted models and the real
sandbox."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from pydantic_ai import models
from pydantic_ai.messages import ModelResponse, TextPart
from pydantic_ai.models.function import FunctionModel

from agent.errors import UsageError
from agent.evals import Case, Report, load_suite, run_cases
from agent.evals.report import MAX_KEPT_CALL_TEXT, MAX_KEPT_CALLS, CaseResult, render_html
from agent.evals.runner import CaseTools
from agent.evals.suite import ToolModule, tools_of
from agent.tools import Tool
from tests.scripted import fenced, task_of

models.ALLOW_MODEL_REQUESTS = False

SHOP = Path(__file__).resolve().parents[1] / "evals" / "fixtures" / "shop.py"

MODULE = '''
from agent.tools import Tool

def double(n: int) -> int:
    """Twice n."""
    return 2 * n

def _hidden(n: int) -> int:
    return n

def send(to: str) -> str:
    """Sends a message."""
    return "sent to " + to
'''


def _suite(folder: Path, tools: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "suite.yaml"
    path.write_text(f"cases:\n- id: leak\n  instruction: call the tools\n  expected: 1\n  tools: {tools!r}\n")
    return path


# --- where a suite's tools module may be ---------------------------------------------------

@pytest.mark.parametrize("file, why", [
    ("/tmp/evil.py", "an absolute path"),
    ("../evil.py", "leads out of the suite's folder"),
    ("fixtures/../../evil.py", "leads out of the suite's folder"),
    ("fixtures/shop.txt", "not a Python file"),
    ("fixtures/missing.py", "which is not a file in"),
    ("fixtures", "not a Python file"),
])
def test_a_suite_cannot_name_a_tools_module_outside_its_folder(tmp_path, file, why):
    (tmp_path / "evil.py").write_text("import os\nos.system('touch pwned')\n")
    (tmp_path / "suite" / "fixtures").mkdir(parents=True)
    (tmp_path / "suite" / "fixtures" / "shop.txt").write_text(MODULE)
    with pytest.raises(UsageError) as error:
        load_suite(_suite(tmp_path / "suite", file))
    message = str(error.value)
    assert "case leak" in message and "the tools module" in message and why in message
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()


def test_a_suite_cannot_reach_a_tools_module_outside_its_folder_through_a_symbolic_link(tmp_path):
    (tmp_path / "evil.py").write_text(MODULE)
    (tmp_path / "suite" / "fixtures").mkdir(parents=True)
    os.symlink(tmp_path / "evil.py", tmp_path / "suite" / "fixtures" / "shop.py")
    os.symlink(tmp_path, tmp_path / "suite" / "up")
    for file in ("fixtures/shop.py", "up/evil.py"):
        with pytest.raises(UsageError, match=f"case leak: the tools module names {file}, a symbolic link to .*outside the suite's folder"):
            load_suite(_suite(tmp_path / "suite", file))


def test_a_suite_names_a_tools_module_inside_its_folder_relative_to_it(tmp_path):
    (tmp_path / "suite" / "fixtures").mkdir(parents=True)
    (tmp_path / "suite" / "fixtures" / "tools.py").write_text(MODULE)
    os.symlink(tmp_path / "suite" / "fixtures" / "tools.py", tmp_path / "suite" / "linked.py")
    for file in ("fixtures/tools.py", "linked.py"):
        [case] = load_suite(_suite(tmp_path / "suite", file))
        assert case.tools == str(tmp_path / "suite" / file)


def test_the_bundled_tools_cases_name_the_shop():
    cases = [c for c in load_suite(SHOP.parents[1] / "suite.yaml") if c.category == "tools"]
    assert len(cases) >= 15 and {c.tools for c in cases} == {str(SHOP.parents[1] / "fixtures" / "shop.py")}
    assert all('from "jsolve:tools"' in c.reference for c in cases)


# --- how it is loaded ----------------------------------------------------------------------

def test_the_tools_are_the_modules_TOOLS_list_with_its_effects():
    tools = tools_of(ToolModule.read(str(SHOP)))
    assert all(isinstance(t, Tool) for t in tools)
    assert [t.name for t in tools] == ["orders_in", "order", "customer", "customers_in", "regions", "product", "search_products",
                                       "issue_refund"]
    assert [t.name for t in tools if t.effects] == ["issue_refund"]
    orders_in = tools[0]
    assert orders_in.description.startswith("The orders placed in one month") and orders_in.returns["title"] == "OrdersPage"


def test_without_TOOLS_the_tools_are_its_public_functions(tmp_path):
    tools = tools_of(ToolModule(path=str(tmp_path / "m.py"), source=MODULE))
    assert [t.name for t in tools] == ["double", "send"]  # not `_hidden`, not the imported `Tool`


@pytest.mark.parametrize("source, message", [
    ("def f(:\n", "raised SyntaxError while loading"),
    ("raise RuntimeError('no database')\n", "raised RuntimeError while loading: no database"),
    ("TOOLS = 'orders_in'\n", "TOOLS must be a list of tools, got str"),
    ("TOOLS = []\n", "holds no tools"),
    ("X = 1\n", "holds no tools"),
    ("def fetch(url: str) -> str:\n    return url\n", "the tool name 'fetch' would hide a global of the sandbox"),
    ("TOOLS = [1]\n", "a tool must be a function"),
])
def test_a_tools_module_that_cannot_give_tools_is_a_usage_error(tmp_path, source, message):
    with pytest.raises(UsageError, match=r"the tools module .*m\.py") as error:
        tools_of(ToolModule(path=str(tmp_path / "m.py"), source=source))
    assert message in str(error.value)


def test_a_run_loads_each_tools_module_once(tmp_path):
    counter = tmp_path / "loads"
    module = tmp_path / "m.py"
    module.write_text(f"from pathlib import Path\nPath({str(counter)!r}).open('a').write('x')\n" + MODULE)
    cases = [Case(id=f"c{i}", instruction="x", expected=1, tools=str(module)) for i in range(3)]
    case_tools = CaseTools()
    loaded = [case_tools.of(c) for c in cases]
    assert loaded[0] is loaded[1] is loaded[2] and counter.read_text() == "x"
    assert case_tools.of(Case(id="none", instruction="x", expected=1)) is None
    assert CaseTools().of(cases[0]) is not loaded[0] and counter.read_text() == "xx"  # a new run loads it again


def test_a_missing_tools_module_stops_the_run_before_any_model_call(tmp_path, sandbox):
    asked = []

    def answer(messages, info):
        asked.append(1)
        return ModelResponse(parts=[TextPart(fenced("export default 1"))])

    cases = [Case(id="ok", instruction="x", expected=1), Case(id="gone", instruction="y", expected=1, tools=str(tmp_path / "gone.py"))]
    with pytest.raises(UsageError, match="cannot read the tools module"):
        asyncio.run(run_cases(cases, model=FunctionModel(answer, model_name="scripted"), sandbox=sandbox))
    assert asked == []


# --- what the report keeps of the calls ----------------------------------------------------

REFUND = Case(id="refund", category="tools", instruction="Task refund: refund order 1018 in full", tools=str(SHOP),
              output={"type": "string"}, expected="RF-1018-35600")
MANY = Case(id="many", category="tools", instruction="Task many: the name of customer 1, looked up 40 times", tools=str(SHOP),
            output={"type": "string"}, expected="Ada Lovelace Ltd")
REFUND_CALL = 'const r = await issue_refund({ order_id: 1018, amount: 356, reason: "x".repeat(320) });\n'
SCRIPT = {
    "Task refund": [fenced('import { issue_refund } from "jsolve:tools";\n' + REFUND_CALL + "if (r) throw new Error('oops');\nexport default r.refund_id;"),
                    fenced('import { issue_refund } from "jsolve:tools";\n' + REFUND_CALL + "export default r.refund_id;")],
    "Task many": [fenced('import { customer } from "jsolve:tools";\nlet name;\n'
                         "for (let i = 0; i < 40; i++) name = (await customer({ id: 1 })).name;\nexport default name;")],
}


@pytest.fixture(scope="module")
def report(sandbox) -> Report:
    queues = {k: list(v) for k, v in SCRIPT.items()}

    def answer(messages, info):
        return ModelResponse(parts=[TextPart(next(q for k, q in queues.items() if k in task_of(messages)).pop(0))])

    return asyncio.run(run_cases([REFUND, MANY], model=FunctionModel(answer, model_name="scripted"), sandbox=sandbox))


def test_an_effect_is_recorded_once_and_replayed_to_the_repaired_program(report):
    refund = next(r for r in report.results if r.id == "refund")
    assert refund.solved and refund.failure_kinds == ["runtime"] and refund.tool_calls == 2
    first, second = refund.history
    assert (first.tool_calls, second.tool_calls) == (1, 1)
    assert [c.replayed for c in (*first.calls, *second.calls)] == [False, True]
    assert first.calls[0].result == second.calls[0].result == '{"refund_id":"RF-1018-35600","order_id":1018,"amount":356.0}'
    assert len(first.calls[0].arguments) == MAX_KEPT_CALL_TEXT + 3 and first.calls[0].arguments.endswith("...")


def test_a_program_s_calls_are_cut_and_counted(report, tmp_path):
    many = next(r for r in report.results if r.id == "many")
    [program] = many.history
    assert many.solved and many.tool_calls == program.tool_calls == 40 and len(program.calls) == MAX_KEPT_CALLS
    assert {c.describe() for c in program.calls} == {'customer({"id":1}) -> {"id":1,"name":"Ada Lovelace Ltd","region":"NE","joined":"2021-03-14"}'}
    assert report.summary.tool_calls_per_case == pytest.approx((2 + 40) / 2)
    page = render_html([report], lazy=False)
    assert "40 tool call(s)" in page and "... and 10 more" in page and "tool calls per case" in page
    assert "customer({&quot;id&quot;:1})" in page and "(replayed)" in page
    data, _ = report.write(tmp_path)
    assert Report.read(data) == report


def test_a_report_without_calls_reads_with_none():
    old = CaseResult.model_validate({"id": "a", "category": "c", "solved": True, "attempts": 1, "failure_kinds": [], "final_failure": None,
                                     "history": [{"number": 1, "code": "export default 1"}]})
    assert old.tool_calls == 0 and old.history[0].tool_calls == 0 and old.history[0].calls == []


def test_eval_show_prints_each_program_s_calls(report):
    from io import StringIO

    from rich.console import Console

    from agent.evals.report import print_stories

    out = StringIO()
    print_stories(report, Console(file=out, width=400, color_system=None), case="many")
    text = out.getvalue()
    assert text.count('call: customer({"id":1}) -> {"id":1,"name":"Ada Lovelace Ltd"') == MAX_KEPT_CALLS
    assert "... and 10 more tool call(s)" in text
    out = StringIO()
    print_stories(report, Console(file=out, width=400, color_system=None), case="refund")
    assert "(replayed)" in out.getvalue() and out.getvalue().count("call: issue_refund(") == 2
