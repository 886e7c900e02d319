"""What a suite and the code under evaluation can reach of the caller's machine: fetch cases reach
the fixture server and no other loopback server, a suite's input files stay inside its folder,
and `compare: js` checkers see values exactly. Real sandbox, real loopback servers, scripted
models."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from pydantic_ai import models
from pydantic_ai.messages import ModelResponse, TextPart
from pydantic_ai.models.function import FunctionModel

from agent.errors import UsageError
from agent.evals import Case, load_suite, run_cases
from agent.evals.runner import fetch_network, to_fixtures
from agent.evals.suite import judge
from agent.sandbox import NetworkPolicy
from tests.fixture_server import FixtureServer
from tests.scripted import fenced, task_of

models.ALLOW_MODEL_REQUESTS = False

TITLE = "jsolve fixture: the QuickJS page"


@pytest.fixture
def other_server():
    """Another HTTP server on loopback (standing in for a Ray dashboard or a local model server)."""
    server = FixtureServer()
    yield server
    server.close()


# --- fetch cases reach the fixture server's origin only -------------------------------------

def test_a_fetch_case_reaches_the_fixture_server_but_no_other_loopback_server(sandbox, other_server):
    probe = (f"let other;\n"
             f"try {{ const r = await fetch('{other_server.url}/echo', {{method: 'POST', body: '{{\"entrypoint\": \"id\"}}'}}); other = 'reached ' + r.status; }}\n"
             f"catch (e) {{ other = e.name + ': ' + e.message; }}\n"
             "const page = await (await fetch('BASE/page.html')).text();\n"
             "export default [other, page.match(/<title>(.*)<\\/title>/)[1]];")

    def answer(messages, info):
        base = task_of(messages).split("title of ")[1].split("/page.html")[0]
        return ModelResponse(parts=[TextPart(fenced(probe.replace("BASE", base)))])

    case = Case(id="probe", instruction="Task: the title of {base}/page.html, and whether another server answers",
                output={"type": "array", "items": {"type": "string"}}, compare="js", expected=TITLE, network=True,
                checker="if (value[1] !== expected || !value[0].startsWith('PolicyError')) throw new Error(value.join(' | '));")
    report = asyncio.run(run_cases([case], model=FunctionModel(answer, model_name="scripted"), sandbox=sandbox, max_attempts=1))
    result = report.results[0]
    assert other_server.hits == []
    assert result.value[1] == TITLE, result.final_failure
    assert result.value[0].startswith("PolicyError: refused ") and f"the port {other_server.port} is not on the allow list" in result.value[0]
    assert result.solved


def test_the_fixture_policy_names_one_origin_and_follows_no_redirect_to_another_port(sandbox, other_server):
    fixtures = FixtureServer()
    try:
        policy = to_fixtures(fetch_network(), fixtures.url)
        assert policy.allow_hosts == ("127.0.0.1",) and policy.allow_ports == (fixtures.port,) and policy.loopback_allowed
        code = (f"const r = await fetch('{fixtures.url}/to?url=' + encodeURIComponent('{other_server.url}/echo') + '&status=307',"
                " {method: 'POST', body: 'x'});\nexport default r.status;")
        r = sandbox.run(code, network=policy)
        assert not r.ok and r.error.kind == "policy" and f"the port {other_server.port} is not on the allow list" in r.error.message
        assert other_server.hits == [] and [hit[1].split("?")[0] for hit in fixtures.hits] == ["/to"]
        same = sandbox.run(f"export default (await fetch('{fixtures.url}/redirect/2')).url", network=policy)
        assert same.ok and same.value == f"{fixtures.url}/page"
    finally:
        fixtures.close()


@pytest.mark.parametrize("ports", [[], [0], [65536], [True], "80", [80.0]])
def test_allow_ports_must_list_real_ports(ports):
    with pytest.raises(UsageError, match="allow_ports must list ports from 1 to 65535"):
        NetworkPolicy(allow_hosts=["127.0.0.1"], allow_ports=ports)


def test_a_fetch_case_needs_the_fixture_servers_url():
    with pytest.raises(UsageError, match="needs the fixture server's URL"):
        to_fixtures(fetch_network(), "")


# --- a suite's input files stay inside its folder -------------------------------------------

def _suite(folder: Path, file: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "suite.yaml"
    path.write_text(f"cases:\n- id: leak\n  instruction: sum the rows\n  expected: 1\n  inputs: {{rows: {file!r}}}\n")
    return path


@pytest.mark.parametrize("file, why", [
    ("/proc/self/environ", "an absolute path"),
    ("../secret.json", "leads out of the suite's folder"),
    ("fixtures/../../secret.json", "leads out of the suite's folder"),
])
def test_a_suite_cannot_name_a_file_outside_its_folder(tmp_path, file, why):
    (tmp_path / "secret.json").write_text('{"token": "s3cret"}')
    suite = _suite(tmp_path / "suite", file)
    with pytest.raises(UsageError) as error:
        load_suite(suite)
    message = str(error.value)
    assert "case leak" in message and f"the input rows names {file}" in message and why in message


def test_a_suite_cannot_reach_outside_its_folder_through_a_symbolic_link(tmp_path):
    (tmp_path / "secret.json").write_text('{"token": "s3cret"}')
    (tmp_path / "suite" / "fixtures").mkdir(parents=True)
    os.symlink(tmp_path / "secret.json", tmp_path / "suite" / "fixtures" / "rows.json")
    os.symlink(tmp_path, tmp_path / "suite" / "up")
    for file in ("fixtures/rows.json", "up/secret.json"):
        with pytest.raises(UsageError, match=f"case leak: the input rows names {file}, a symbolic link to .*outside the suite's folder"):
            load_suite(_suite(tmp_path / "suite", file))


def test_a_suite_may_name_files_and_links_inside_its_folder(tmp_path):
    folder = tmp_path / "suite"
    (folder / "fixtures").mkdir(parents=True)
    (folder / "fixtures" / "rows.json").write_text("[1, 2]")
    os.symlink("rows.json", folder / "fixtures" / "alias.json")
    for file in ("fixtures/rows.json", "fixtures/alias.json", "fixtures/../fixtures/rows.json"):
        [case] = load_suite(_suite(folder, file))
        assert case.inputs == {"rows": str(folder / file)}


def test_a_linked_suite_folder_still_reads_its_own_files(tmp_path):
    real = tmp_path / "real"
    (real / "fixtures").mkdir(parents=True)
    (real / "fixtures" / "rows.json").write_text("[1, 2]")
    _suite(real, "fixtures/rows.json")
    os.symlink(real, tmp_path / "linked")
    [case] = load_suite(tmp_path / "linked" / "suite.yaml")
    assert case.inputs == {"rows": str(tmp_path / "linked" / "fixtures/rows.json")}


# --- compare: js checkers see the values exactly --------------------------------------------

EXACT = "if (value !== expected) throw new Error(`got ${value} (${typeof value}), expected ${expected} (${typeof expected})`);"


def test_a_js_checker_tells_integers_past_2_53_apart(sandbox):
    case = Case(id="big", instruction="2 ** 70", compare="js", expected=2**70, checker=EXACT)
    ok, why = asyncio.run(judge(case, 2**70 + 1, "", sandbox))
    assert not ok and "got 1180591620717411303425 (bigint), expected 1180591620717411303424 (bigint)" in why
    assert asyncio.run(judge(case, 2**70, "", sandbox)) == (True, None)
    negative = Case(id="neg", instruction="-(2 ** 60)", compare="js", expected=-(2**60), checker=EXACT)
    assert not asyncio.run(judge(negative, -(2**60) - 1, "", sandbox))[0]


def test_a_run_whose_bigint_answer_is_one_off_is_not_solved(sandbox):
    replies = {"off": "export default 2n ** 70n + 1n;", "right": "export default 2n ** 70n;"}

    def answer(messages, info):
        return ModelResponse(parts=[TextPart(fenced(replies["off" if "BigInt: off" in task_of(messages) else "right"]))])

    cases = [Case(id=name, instruction=f"Compute 2 to the power 70 as a BigInt: {name}", compare="js", expected=2**70, checker=EXACT)
             for name in replies]
    report = asyncio.run(run_cases(cases, model=FunctionModel(answer, model_name="scripted"), sandbox=sandbox, max_attempts=1))
    assert {r.id: r.solved for r in report.results} == {"off": False, "right": True}


def test_a_js_checker_keeps_small_numbers_as_numbers_inside_nested_data(sandbox):
    checker = ("const kinds = (x) => Array.isArray(x) ? x.map(kinds) : x !== null && typeof x === 'object' ? "
               "Object.fromEntries(Object.entries(x).map(([k, v]) => [k, kinds(v)])) : typeof x;\n"
               "const seen = JSON.stringify([kinds(value), kinds(expected)]);\n"
               "if (seen !== JSON.stringify([{a: ['number', 'number', 'bigint', 'string'], b: 'object'}, "
               "{a: ['number', 'number', 'bigint', 'string'], b: 'object'}])) throw new Error(seen);\n"
               "if (value.a[2] === expected.a[2] || value.a[3] !== expected.a[3]) throw new Error('compared wrong');")
    data = {"a": [42, 1.5e300, 2**64, "é\u2028\"</script>"], "b": None}
    case = Case(id="nested", instruction="data", compare="js", expected=data, checker=checker)
    assert asyncio.run(judge(case, {"a": [42, 1.5e300, 2**64 + 1, "é\u2028\"</script>"], "b": None}, "", sandbox)) == (True, None)
