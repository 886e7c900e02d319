"""The caller's data as inputs: read from files, checked, bound as frozen globals in the real
sandbox (and attacked there), described to the model within a fixed budget, and used by
`solve` and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import agent.core.data as inputs_module
import agent.sandbox.inputs as sandbox_inputs
from agent import solve
from agent.core.data import describe_inputs, load_inputs, read_file, read_table
from agent.errors import SolveFailed, UsageError
from agent.sandbox import Limits, Sandbox
from agent.sandbox.inputs import GLOBALS, Inputs, check_name
from agent.sandbox.worker import engine as worker_module
from agent.sandbox.worker import node
from tests.scripted import Sampler, Script, fenced

ROWS = [{"id": i, "region": "north" if i % 3 else "south", "amount": i * 1.5, "nested": {"tags": ["a", "b"]}} for i in range(50)]


# --- in the sandbox -----------------------------------------------------------------------


def test_inputs_are_globals_of_their_names(sandbox):
    result = sandbox.run("export default [rows.length, rows[4].amount, cfg.unit, typeof globalThis.rows]",
                         inputs={"rows": ROWS, "cfg": {"unit": "EUR"}})
    assert result.ok and result.value == [50, 6.0, "EUR", "object"]


def test_inputs_can_be_imported_by_name_and_are_the_same_values(sandbox):
    code = ('import { rows, cfg as settings } from "jsolve:inputs";\n'
            "export default [rows === globalThis.rows, rows.length, settings.unit, Object.isFrozen(rows[0])]")
    assert sandbox.run(code, inputs={"rows": ROWS, "cfg": {"unit": "EUR"}}).value == [True, 50, "EUR", True]
    spread = "import {\n  rows,\n  cfg,\n} from 'jsolve:inputs'\nconst total = rows.length;\nexport default total + missing;"
    error = sandbox.run(spread, inputs={"rows": ROWS, "cfg": {}}).error
    assert error.kind == "runtime" and error.line == 6, "an import over several lines keeps the lines after it where they were"


@pytest.mark.parametrize("name", ["constructor", "__proto__", "toString", "globalThis", "__jsolve", "eval", "secret", "default"])
def test_an_import_from_the_inputs_gives_nothing_but_inputs(sandbox, name):
    result = sandbox.run(f'import {{ rows, {name} }} from "jsolve:inputs";\nexport default typeof {name}', inputs={"rows": [1]})
    assert result.error.kind == "policy" and result.error.line == 1
    assert f"jsolve:inputs has no '{name}': this run's inputs are rows" in result.error.message


def test_other_imports_of_the_inputs_and_of_other_modules_are_refused(sandbox):
    for code in ('import * as all from "jsolve:inputs";\nexport default all.rows', 'import rows from "jsolve:inputs";\nexport default rows',
                 'export default (await import("jsolve:inputs")).rows', 'const n = 1; import { rows } from "jsolve:inputs";\nexport default rows'):
        error = sandbox.run(code, inputs={"rows": [1]}).error
        assert error.kind == "policy" and "import the inputs by name" in error.message, (code, error)
    none = sandbox.run('import { rows } from "jsolve:inputs";\nexport default rows').error
    assert none.kind == "policy" and "this run has no inputs" in none.message
    other = sandbox.run('import { rows } from "jsolve:inputs";\nimport _ from "lodash";\nexport default rows', inputs={"rows": [1]}).error
    assert other.kind == "policy" and "'lodash'" in other.message


def test_importing_an_input_under_a_sandbox_name_reaches_no_sandbox_internals(sandbox):
    code = ('import { rows as __jsolve } from "jsolve:inputs";\n'
            "export default [Array.isArray(__jsolve), __jsolve.length, typeof globalThis.__jsolve]")
    result = sandbox.run(code, inputs={"rows": [1, 2]})
    assert result.ok and result.value[:2] == [True, 2]
    assert sandbox.run("export default 41 + 1").value == 42, "the sandbox's hooks still work in the next run"


MUTATIONS = [
    "rows.push(1)",
    "rows.sort((a, b) => b.id - a.id)",
    "rows.splice(0, 1)",
    "rows.reverse()",
    "rows.length = 0",
    "rows[0].amount = -1",
    "rows[0].nested.tags.push('c')",
    "rows[0].nested.tags[0] = 'z'",
    "delete rows[0].region",
    "Object.defineProperty(rows[0], 'amount', { value: -1 })",
    "Object.setPrototypeOf(rows[0], null)",
    "Object.assign(rows[1], { region: 'x' })",
    "rows = []",
    "globalThis.rows = []",
    "Object.defineProperty(globalThis, 'rows', { value: [] })",
    "delete globalThis.rows",
]


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_code_cannot_change_an_input_for_itself_or_the_next_run(sandbox, mutation):
    inputs = Inputs({"rows": ROWS})
    # As a module (strict): the change throws a TypeError the model can read.
    attacked = sandbox.run(f"{mutation};\nexport default 1", inputs=inputs)
    assert not attacked.ok and attacked.error.name == "TypeError", attacked
    # As a sloppy script, where a failed assignment is silent: the data is unchanged all the same.
    sloppy = sandbox.run(f"try {{ {mutation} }} catch (e) {{}}\nJSON.stringify(rows)", inputs=inputs)
    assert sloppy.ok and json.loads(sloppy.value) == ROWS
    for _ in range(2):  # whichever worker runs next, it sees the caller's data
        after = sandbox.run("export default rows", inputs=inputs)
        assert after.ok and after.value == ROWS


def test_every_object_and_array_of_an_input_is_frozen(sandbox):
    code = """
    const all = [];
    const walk = (v) => { if (v && typeof v === 'object') { all.push(v); Object.values(v).forEach(walk); } };
    walk(rows);
    export default [all.length, all.every(Object.isFrozen)];
    """
    assert sandbox.run(code, inputs={"rows": ROWS}).value == [1 + 50 * 3, True]


def test_json_keys_that_name_prototypes_are_plain_data(sandbox):
    data = [{"__proto__": {"polluted": True}, "constructor": {"prototype": {"polluted": True}}, "prototype": 1}]
    code = """
    const row = data[0];
    export default [({}).polluted === undefined, Object.getPrototypeOf(row) === Object.prototype,
                    Object.keys(row), row.__proto__.polluted, row.constructor.prototype.polluted,
                    typeof Object.prototype.polluted, [].polluted === undefined];
    """
    result = sandbox.run(code, inputs={"data": data})
    assert result.ok and result.value == [True, True, ["__proto__", "constructor", "prototype"], True, True, "undefined", True]


def test_a_csv_header_naming_prototypes_pollutes_nothing(sandbox, tmp_path):
    file = tmp_path / "evil.csv"
    file.write_text("__proto__,constructor,prototype\nx,y,z\n")
    loaded = load_inputs({"rows": file})
    result = sandbox.run("export default [rows[0].__proto__, rows[0].constructor, ({}).x, Object.getPrototypeOf(rows[0]) === Object.prototype]",
                         inputs=loaded)
    assert result.ok and result.value == ["x", "y", None, True]


def test_a_value_shaped_like_a_property_descriptor_stays_data(sandbox):
    shaped = {"get": "() => 42", "set": "(v) => {}", "value": 5, "writable": True, "configurable": True, "enumerable": False}
    result = sandbox.run("export default [typeof d.get, d.value, Object.getOwnPropertyDescriptor(globalThis, 'd').writable,"
                         " Object.getOwnPropertyDescriptor(d, 'get').writable]", inputs={"d": shaped})
    assert result.ok and result.value == ["string", 5, False, False]
    top = [{"get": 1}, {"length": 99}]
    assert sandbox.run("export default [a.length, Array.isArray(a), a[1].length]", inputs={"a": top}).value == [2, True, 99]


def test_one_run_never_sees_another_runs_inputs():
    with Sandbox(1) as sb:  # one worker: every run reuses it
        assert sb.run("export default secret.pin", inputs={"secret": {"pin": 1234}}).value == 1234
        assert sb.run("export default typeof secret").value == "undefined"
        assert sb.run("export default [typeof secret, other]", inputs={"other": 7}).value == ["undefined", 7]
        assert sb.run("export default Object.keys(globalThis).filter((k) => k === 'secret' || k === 'other')").value == []


def test_a_worker_keeps_its_last_inputs_and_is_sent_only_new_ones():
    inputs = Inputs({"a": list(range(1000)), "b": "text", "c": "text"})  # b and c: one text, sent once
    with Sandbox(1) as sb:
        assert sb.run("export default [a.length, b, c]", inputs=inputs).value == [1000, "text", "text"]
        (worker,) = sb._all
        assert worker.held == {e.digest for e in inputs.entries()} and len(worker.held) == 2
        assert sb.run("export default a[999] + b.length + c.length", inputs=inputs).value == 1007  # nothing resent
        assert sb.run("export default a.length", inputs={"a": [1, 2]}).value == 2
        assert sb.run("export default [a.length, b]", inputs=inputs).value == [1000, "text"]


def test_a_replaced_worker_gets_the_inputs_again():
    inputs = Inputs({"rows": ROWS})
    with Sandbox(1) as sb:
        assert sb.run("export default rows.length", inputs=inputs).value == 50
        stuck = sb.run("while (rows.length) {}", inputs=inputs, limits=Limits(timeout=0.3))
        assert stuck.error.kind == "timeout"
        (first,) = sb._all
        first.process.kill()  # and then the worker dies while idle
        first.process.wait()
        assert sb.run("export default rows[49].id", inputs=inputs).value == 49


def test_the_inputs_loading_does_not_count_against_the_timeout():
    big = Inputs({"big": [{"i": i, "text": "x" * 40} for i in range(150_000)]})  # about 9 MB of JSON
    with Sandbox(1) as sb:
        result = sb.run("export default big.length", inputs=big, limits=Limits(timeout=0.05))
        assert result.ok and result.value == 150_000, result.error


def test_inputs_raise_the_engine_memory_within_a_cap(monkeypatch):
    text = ["y" * 1000] * 4000  # 4 MB of JSON
    assert Inputs({"t": text}).widen(Limits()).memory_mb == 128 + 31
    assert Inputs({"t": text}).widen(Limits(memory_mb=None)).memory_mb is None
    monkeypatch.setattr(sandbox_inputs, "MAX_MEMORY_MB", 4)
    capped = Inputs({"t": text})
    assert capped.widen(Limits(memory_mb=2)).memory_mb == 4
    with Sandbox(1) as sb:
        result = sb.run("export default t.length", inputs=capped, limits=Limits(memory_mb=2))
        assert result.error.kind == "memory" and "the input t does not fit in the engine's memory" in result.error.message
        assert sb.run("export default 1 + 1").value == 2  # the worker is fine


def test_inputs_over_the_size_cap_are_refused_before_any_run():
    with pytest.raises(UsageError, match=r"more than 1,000 bytes as JSON \(at 'b'\), the cap on inputs"):
        Inputs({"a": "x" * 500, "b": "y" * 600}, max_bytes=1000)


def test_a_check_reads_the_inputs_it_names(sandbox):
    inputs = {"rows": ROWS}
    ok = sandbox.run("export default rows.length", inputs=inputs, check="if (value !== rows.length) throw new Error('count'); return value")
    assert ok.ok and ok.value == 50
    refused = sandbox.run("export default 49", inputs=inputs, check="if (value !== rows.length) throw new Error('count'); return value")
    assert refused.error.kind == "check"


# --- names and values ---------------------------------------------------------------------


@pytest.mark.parametrize(("name", "why"), [
    ("2rows", "not a JavaScript identifier"), ("my-data", "not a JavaScript identifier"), ("", "not a JavaScript identifier"),
    (3, "not a JavaScript identifier"), ("class", "reserved word"), ("let", "reserved word"), ("eval", "reserved word"),
    ("JSON", "hide the built-in"), ("Math", "hide the built-in"), ("fetch", "hide the built-in"), ("console", "hide the built-in"),
    ("undefined", "hide the built-in"), ("__jsolve", "hide the built-in"), ("__jsolve_input", "hide the built-in"),
    ("process", "hide the built-in"), ("require", "hide the built-in"),
])
def test_bad_input_names_are_usage_errors(name, why):
    with pytest.raises(UsageError, match=why):
        check_name(name)


def test_no_input_can_hide_a_global_of_the_sandbox():
    ctx = worker_module.fresh_context()
    for shim in (worker_module.TEXT, worker_module._call(worker_module.FETCH, "globalThis, __jsolve, false")):
        ctx.eval(shim)
    node.install(ctx, " ".join(GLOBALS) + ' "node:fs"', network=True)  # every global of Node's the sandbox has
    names = set(json.loads(ctx.eval("JSON.stringify(Object.getOwnPropertyNames(globalThis))")))
    assert names - GLOBALS <= {"__jsolve", "__jsolve_node"}  # which check_name refuses by their prefix


@pytest.mark.parametrize(("value", "message"), [
    ({"a": {1, 2}}, r"input rows\.a: a set is not JSON data"),
    ([1, float("nan")], r"input rows\[1\]: nan is not a JSON number"),
    ({"id": 2**60}, r"input rows\.id: the integer 1152921504606846976 is past 2\^53"),
    ({1: "x"}, r"input rows: the key 1 is not a str"),
    ({"odd key": [b"x"]}, r'input rows\["odd key"\]\[0\]: a bytes is not JSON data'),
    (["\ud800"], r"input rows\[0\]: a lone surrogate"),
    (object(), r"input rows: a object is not JSON data"),
])
def test_values_that_are_not_json_data_are_usage_errors_naming_the_place(value, message):
    with pytest.raises(UsageError, match=message):
        Inputs({"rows": value})


def test_nesting_past_the_depth_cap_is_a_usage_error():
    deep: list = []
    for _ in range(600):
        deep = [deep]
    with pytest.raises(UsageError, match="nested more than 500 levels"):
        Inputs({"deep": deep})


# --- files --------------------------------------------------------------------------------


def test_csv_quoted_fields_missing_cells_and_typed_columns(tmp_path):
    file = tmp_path / "orders.csv"
    file.write_text('\ufeffid,customer,note,qty,price,zip,ref\n'
                    '1,"Smith, Ann","said ""hi""\nthen left",3,2.50,02134,9007199254740993\n'
                    '2,Bo,,,1e3,10001,5\n'
                    '\n'
                    '3,Cy\n', encoding="utf-8")
    rows = read_file(file)
    assert rows == [
        {"id": 1, "customer": "Smith, Ann", "note": 'said "hi"\nthen left', "qty": 3, "price": 2.5, "zip": "02134", "ref": "9007199254740993"},
        {"id": 2, "customer": "Bo", "note": None, "qty": None, "price": 1000.0, "zip": "10001", "ref": "5"},
        {"id": 3, "customer": "Cy", "note": None, "qty": None, "price": None, "zip": None, "ref": None},
    ]


def test_a_column_with_one_word_in_it_stays_text():
    assert read_table("n,v\n1,2\nx,3\n") == [{"n": "1", "v": 2}, {"n": "x", "v": 3}]


def test_tsv_jsonl_json_and_text_files(tmp_path):
    (tmp_path / "s.tsv").write_text("name\tscore\nA, B\t9.5\n")
    (tmp_path / "e.jsonl").write_text('{"u": 1}\n\n[2]\n')
    (tmp_path / "d.json").write_text('{"a": [1, {"b": null}]}')
    (tmp_path / "app.log").write_text("line 1\nline 2\n")
    assert read_file(tmp_path / "s.tsv") == [{"name": "A, B", "score": 9.5}]
    assert read_file(tmp_path / "e.jsonl") == [{"u": 1}, [2]]
    assert read_file(tmp_path / "d.json") == {"a": [1, {"b": None}]}
    assert read_file(tmp_path / "app.log") == "line 1\nline 2\n"


@pytest.mark.parametrize(("name", "content", "message"), [
    ("bad.json", '{"a": [1, 2,]}', r"bad\.json: line 1, column 13: malformed JSON"),
    ("nan.json", '{"a": NaN}', r"nan\.json: malformed JSON \(NaN is not JSON\)"),
    ("bad.jsonl", '{"a": 1}\n{"a": \n', r"bad\.jsonl: line 2: malformed JSON"),
    ("wide.csv", "a,b\n1,2\n1,2,3\n", r"wide\.csv: line 3: 3 cells, but the header has 2 columns"),
    ("twice.csv", "a,b,a\n1,2,3\n", r"twice\.csv: line 1: the column 'a' is named twice"),
    ("blank.csv", "a,,c\n1,2,3\n", r"blank\.csv: line 1: column 2 of the header has no name"),
    ("empty.csv", "", r"empty\.csv: the file is empty"),
    ("quote.csv", 'a,b\n"1,2\n', r"quote\.csv: line \d+: malformed CSV"),
])
def test_malformed_files_are_usage_errors_with_the_line(tmp_path, name, content, message):
    (tmp_path / name).write_text(content)
    with pytest.raises(UsageError, match=message):
        read_file(tmp_path / name)


def test_unreadable_missing_and_oversized_files(tmp_path, monkeypatch):
    (tmp_path / "latin.csv").write_bytes(b"a\nok\ncaf\xe9\n")
    with pytest.raises(UsageError, match=r"latin\.csv: line 3 is not UTF-8 text"):
        read_file(tmp_path / "latin.csv")
    with pytest.raises(UsageError, match=r"cannot read the input file .*nope\.csv: No such file"):
        load_inputs({"rows": tmp_path / "nope.csv"})
    (tmp_path / "big.txt").write_text("x" * 2000)
    monkeypatch.setattr(inputs_module, "MAX_INPUT_BYTES", 1000)
    with pytest.raises(UsageError, match=r"big\.txt is 2,000 bytes, over the cap of 1,000 bytes on inputs"):
        read_file(tmp_path / "big.txt")


def test_a_path_is_a_file_read_from_base_and_a_str_is_text(tmp_path):
    (tmp_path / "o.csv").write_text("a\n1\n")
    loaded = load_inputs({"rows": Path("o.csv"), "word": "hello", "name": "o.csv"}, base=tmp_path)
    assert loaded["rows"] == [{"a": 1}] and loaded["word"] == "hello" and loaded["name"] == "o.csv"
    assert loaded.files == {"rows": "o.csv"}


# --- what the model is told ---------------------------------------------------------------


def rows(n: int) -> list[dict]:
    return [{"order": f"A{i:06d}", "region": ["north", "south", "east"][i % 3], "total": round(i * 1.37, 2),
             "note": "very long free text " * 20 if i == 0 else None} for i in range(n)]


def test_the_description_has_a_fixed_size_however_large_the_data():
    small = describe_inputs(Inputs({"orders": rows(10)}))
    large = describe_inputs(Inputs({"orders": rows(100_000)}))
    assert abs(len(large) - len(small)) <= 12, (small, large)
    assert "A099999" not in large and "A000003" not in large  # the data beyond the first rows never reaches the model
    assert '"order": "A000000"' in large and "an array of 100,000 objects" in large and "MB as JSON" in large
    assert '"note":{"type":["null","string"]}' in large.replace(" ", "") or '"note":{"type":["string","null"]}' in large.replace(" ", "")
    assert "very long free text very long free text very long free text very long free text very long free text" not in large
    assert "(400 chars)" in large  # a long string is cut, and says how long it was


def test_the_prompt_imports_every_input_and_copies_each_kind_in_a_way_that_works_on_it():
    text = describe_inputs(load_inputs({"inventory": {"bolts": {"qty": 3}}, "orders": [{"id": 1}], "notes": "a\nb"}))
    assert 'import { inventory, orders, notes } from "jsolve:inputs";' in text
    assert "[...orders].sort(...)` for an array" in text and "{ ...inventory }` for an object" in text and "[...inventory]" not in text
    text = describe_inputs(load_inputs({"log": "GET /\nPOST /a"}))
    assert "[...rows]" in text and "{ ...obj }" in text and "[...log]" not in text


def test_only_a_small_input_is_shown_whole():
    text = describe_inputs(Inputs({"cfg": {"currency": "EUR", "rate": 1.08}, "log": "x" * 500 + "\nsecond line"}))
    assert '{"currency":"EUR","rate":1.08}' in text
    assert "a string of 512 characters in 2 lines" in text and "x" * 100 not in text


# --- solve and the CLI ---------------------------------------------------------------------


def test_solve_gives_the_code_the_data_and_the_model_its_description(tmp_path):
    file = tmp_path / "sales.csv"
    file.write_text("region,amount\n" + "".join(f"{'NS'[i % 2]},{i}\n" for i in range(2000)))
    script = Script([fenced("const t = {};\nfor (const r of sales) t[r.region] = (t[r.region] || 0) + r.amount;\nexport default t;")])
    solution = solve("Total amount per region.", inputs={"sales": file}, model=script.model, output=dict[str, int])
    assert solution.value == {"N": sum(range(0, 2000, 2)), "S": sum(range(1, 2000, 2))}
    prompt = script.text_of(0)
    assert "`sales` (read from sales.csv): an array of 2,000 objects" in prompt and '"amount":{"type":"integer"}' in prompt
    assert "N,1998" not in prompt and '"amount": 1999' not in prompt


def test_bad_inputs_fail_before_any_model_call(tmp_path):
    script = Script([])  # a request would fail the test: the script has no reply
    for bad, message in [({"JSON": [1]}, "hide the built-in"), ({"rows": {1, 2}}, "not JSON data"),
                         ({"rows": tmp_path / "missing.json"}, "cannot read the input file"), ([1, 2], "must be a mapping")]:
        with pytest.raises(UsageError, match=message):
            solve("Count the rows.", inputs=bad, model=script.model)
    assert script.requests == []


def test_changing_an_input_is_repaired_with_a_hint():
    script = Script([fenced("export default rows.sort((a, b) => a - b)[0];"),
                     fenced("export default [...rows].sort((a, b) => a - b)[0];")])
    solution = solve("The smallest number.", inputs={"rows": [3, 1, 2]}, model=script.model, output=int)
    assert solution.value == 1 and len(solution.attempts) == 2
    assert "the inputs are frozen: copy one before changing it" in solution.attempts[0].feedback
    assert "the inputs are frozen" in script.last_prompt(1)


def test_inputs_work_with_samples_and_a_check():
    sampler = Sampler(greedy=[fenced("export default rows.length;")],
                      sampled=[fenced("export default rows.filter(() => true).length;"), fenced("export default 99;")])
    solution = solve("How many rows?", inputs={"rows": list(range(7))}, model=sampler.model, samples=3,
                     check="if (value > rows.length) throw new Error('more than the rows'); return value")
    assert solution.value == 7 and solution.votes == 2
    assert [a.failure.kind if a.failure else None for a in solution.attempts] == [None, None, "check"]


def test_an_input_is_read_once_per_solve(tmp_path, monkeypatch):
    file = tmp_path / "n.json"
    file.write_text("[1, 2, 3]")
    reads = []
    real = inputs_module.read_file
    monkeypatch.setattr(inputs_module, "read_file", lambda path: reads.append(path) or real(path))
    script = Script([fenced("export default n.length + 'x';"), fenced("export default 'x';"), fenced("export default n.length;")])
    assert solve("Count.", inputs={"n": file}, model=script.model, output=int).value == 3
    assert reads == [file]


def jsolve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agent", *args], capture_output=True, text=True, timeout=60)


def test_jsolve_run_reads_input_files(tmp_path):
    (tmp_path / "sales.csv").write_text('region,amount\nN,"1,5"\nS,2\n')
    (tmp_path / "cfg.json").write_text('{"k": 2}')
    module = tmp_path / "m.js"
    module.write_text("export default [sales.length, sales[0].amount, cfg.k];")
    done = jsolve("run", str(module), "--input", f"sales={tmp_path / 'sales.csv'}", "--input", f"cfg={tmp_path / 'cfg.json'}", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["value"] == [2, "1,5", 2]


@pytest.mark.parametrize(("spec", "message"), [
    ("sales", "--input takes NAME=FILE"), ("JSON=x.csv", "hide the built-in global JSON"),
    ("rows={missing}", "cannot read the input file"),
])
def test_jsolve_bad_inputs_exit_2_with_a_clear_message(tmp_path, spec, message):
    module = tmp_path / "m.js"
    module.write_text("export default 1;")
    for command in (["run", str(module)], ["solve", "Count the rows."]):
        done = jsolve(*command, "--input", spec.format(missing=tmp_path / "missing.csv"))
        assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_a_failed_solve_over_inputs_reports_normally():
    script = Script([fenced("export default rows.nope.length;")] * 2)
    with pytest.raises(SolveFailed, match="runtime"):
        solve("Count.", inputs={"rows": [1]}, model=script.model, max_attempts=2)


def test_jsolve_solve_reads_input_files_for_the_code_and_describes_them_to_the_model(tmp_path):
    import os

    from tests.fake_provider import FakeProvider

    (tmp_path / "sales.csv").write_text("region,amount\n" + "".join(f"{'NS'[i % 2]},{i}\n" for i in range(500)))
    provider = FakeProvider([fenced("export default sales.filter((r) => r.region === 'N').length;")])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "JSOLVE_"))}
    env.update(OPENAI_BASE_URL=provider.base_url, OPENAI_API_KEY="k", JSOLVE_MODEL="openai-chat:scripted")
    try:
        done = subprocess.run([sys.executable, "-m", "agent", "solve", "How many sales in the north?", "--output", "int", "--json",
                               "--input", f"sales={tmp_path / 'sales.csv'}"], capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["value"] == 250
        prompt = json.dumps(provider.requests[0]["messages"])
        assert "(read from sales.csv): an array of 500 objects" in prompt and "N,498" not in prompt
    finally:
        provider.close()


def test_code_that_declares_an_input_anew_is_sent_back_before_it_runs():
    script = Script([fenced("const rows = [{ n: 1 }, { n: 2 }];\nexport default rows.length;"), fenced("export default rows.length;")])
    solution = solve("How many rows?", inputs={"rows": [{"n": i} for i in range(30)]}, model=script.model, output=int)
    assert solution.value == 30 and solution.attempts[0].failure.kind == "contract"
    assert "hides the input `rows`" in solution.attempts[0].feedback and "Line 1 is: const rows = [{ n: 1 }, { n: 2 }];" in solution.attempts[0].feedback
    hint = solution.attempts[0].feedback.split("Hint:")[1]
    assert 'Import it (`import { rows } from "jsolve:inputs";`) and use `rows` as it is' in hint and "export default" not in hint


def test_the_model_is_shown_the_import_of_its_inputs_and_code_that_imports_them_runs():
    script = Script([fenced('import { rows } from "jsolve:inputs";\nexport default rows.length;')])
    solution = solve("How many rows?", inputs={"rows": [{"n": i} for i in range(30)]}, model=script.model, output=int)
    assert solution.value == 30 and len(solution.attempts) == 1
    assert 'import { rows } from "jsolve:inputs";' in script.text_of(0)


def test_no_reference_of_the_suite_declares_its_inputs():
    from agent.core.validate import prevalidate
    from agent.evals.suite import load_suite

    cases = [c for c in load_suite(Path(__file__).resolve().parents[1] / "evals" / "suite.yaml") if c.inputs]
    assert len(cases) >= 12
    assert [c.id for c in cases if prevalidate(c.reference, inputs=tuple(c.inputs)) is not None] == []
