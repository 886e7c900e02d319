"""The caller's data attacked: a str that names a file, files that are not files or lie about
their size, CSV cells that break number parsing, and text that looks like an import of the
inputs. Real files, pipes and devices, the real CLI, the real sandbox."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

import agent.core.data as inputs_module
from agent import solve
from agent.core.data import load_inputs, read_file, read_table
from agent.core.validate import prevalidate
from agent.errors import UsageError
from tests.scripted import Script, fenced

ROOT = Path(__file__).resolve().parent.parent
SECRET = "s3cr3t-token-7f2c"


def jsolve(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`jsolve` in a subprocess, its address space capped at 3 GiB (soft, so workers may set
    their own): reading a device without end fails there instead of filling the machine."""
    def cap() -> None:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, hard))

    return subprocess.run([sys.executable, "-m", "agent", *args], check=False, capture_output=True, text=True, timeout=60,
                          cwd=cwd or ROOT, preexec_fn=cap)


# --- 1. a str is text, never a file ----------------------------------------------------------


@pytest.mark.parametrize("suffix", [".json", ".csv", ".txt", ".log", ".yaml"])
def test_a_str_naming_a_file_is_that_text_and_the_file_is_not_read(tmp_path, suffix):
    secret = tmp_path / f"secret{suffix}"
    secret.write_text(json.dumps(SECRET) if suffix == ".json" else f"key\n{SECRET}\n")
    for given in (str(secret), secret.name):  # absolute, and relative to base
        loaded = load_inputs({"note": given}, base=tmp_path)
        assert loaded["note"] == given and loaded.files == {}
        assert SECRET not in json.dumps(loaded["note"])


def test_untrusted_text_passed_to_solve_reaches_neither_the_code_nor_the_model_as_a_file(tmp_path):
    secret = tmp_path / "credentials.csv"
    secret.write_text(f"user,token\nroot,{SECRET}\n")
    script = Script([fenced("export default JSON.stringify(note);")])
    solution = solve("Echo the note.", inputs={"note": str(secret)}, model=script.model)
    assert solution.value == json.dumps(str(secret))
    assert SECRET not in script.text_of(0) and "read from" not in script.text_of(0)


def test_a_path_or_any_path_like_is_read_as_a_file(tmp_path):
    class Location:  # an os.PathLike that is not a pathlib.Path
        def __init__(self, path: Path) -> None:
            self.path = path

        def __fspath__(self) -> str:
            return str(self.path)

    (tmp_path / "o.csv").write_text("a\n1\n")
    (tmp_path / "c.json").write_text('{"k": 2}')
    loaded = load_inputs({"rows": Path("o.csv"), "cfg": Location(tmp_path / "c.json")}, base=tmp_path)
    assert loaded["rows"] == [{"a": 1}] and loaded["cfg"] == {"k": 2}
    assert loaded.files == {"rows": "o.csv", "cfg": "c.json"}


def test_the_cli_input_option_still_reads_its_file_relative_to_the_working_directory(tmp_path):
    (tmp_path / "sales.csv").write_text("region,amount\nN,3\nS,4\n")
    (tmp_path / "m.js").write_text("export default sales.reduce((t, r) => t + r.amount, 0);")
    done = jsolve("run", "m.js", "--input", "sales=sales.csv", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["value"] == 7


# --- 2. only regular files, read within the cap ------------------------------------------------


def test_a_named_pipe_is_refused_at_once_instead_of_blocking(tmp_path):
    pipe = tmp_path / "rows.csv"
    os.mkfifo(pipe)
    (tmp_path / "m.js").write_text("export default rows.length;")
    done = jsolve("run", "m.js", "--input", f"rows={pipe}", cwd=tmp_path)  # no writer ever opens the pipe
    assert done.returncode == 2, done.stderr
    assert f"error: {pipe} is a named pipe, not a regular file" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(("device", "what"), [("/dev/zero", "a character device"), ("/dev/urandom", "a character device")])
def test_a_device_without_end_is_refused_before_it_is_read(tmp_path, device, what):
    (tmp_path / "m.js").write_text("export default x.length;")
    done = jsolve("run", "m.js", "--input", f"x={device}", cwd=tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert f"error: {device} is {what}, not a regular file" in done.stderr and "Traceback" not in done.stderr


def test_a_directory_is_refused(tmp_path):
    with pytest.raises(UsageError, match=r"is a directory, not a regular file"):
        read_file(tmp_path)


def test_a_file_that_understates_its_size_is_still_capped_while_read(monkeypatch):
    # Files of /proc say they hold 0 bytes and hold more: the size is not what the cap is held to.
    status = Path("/proc/self/status")
    assert os.stat(status).st_size == 0 and len(status.read_bytes()) > 200
    monkeypatch.setattr(inputs_module, "MAX_INPUT_BYTES", 200)
    with pytest.raises(UsageError, match=r"/proc/self/status holds more bytes than it said it had, over the cap of 200 bytes on inputs"):
        read_file(status)
    monkeypatch.setattr(inputs_module, "MAX_INPUT_BYTES", 1 << 20)
    assert "Name:" in read_file(status)


def test_a_file_exactly_at_the_cap_is_read_and_one_byte_more_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(inputs_module, "MAX_INPUT_BYTES", 100)
    (tmp_path / "at.txt").write_text("x" * 100)
    (tmp_path / "past.txt").write_text("x" * 101)
    assert read_file(tmp_path / "at.txt") == "x" * 100
    with pytest.raises(UsageError, match=r"past\.txt is 101 bytes, over the cap of 100 bytes"):
        read_file(tmp_path / "past.txt")


# --- 3. CSV numbers -----------------------------------------------------------------------------


def test_a_cell_of_thousands_of_digits_stays_text_without_a_traceback(tmp_path):
    huge = "9" * 5000
    (tmp_path / "ids.csv").write_text(f"id,n\n{huge},1\n7,2\n")
    assert read_file(tmp_path / "ids.csv") == [{"id": huge, "n": 1}, {"id": "7", "n": 2}]
    assert read_table(f"x\n-{huge}\n") == [{"x": f"-{huge}"}]


def test_only_ascii_digits_make_numbers():
    assert read_table("code,n\n1\u0662\u0663,1\n\uff14\uff12,2\n") == [{"code": "1\u0662\u0663", "n": 1}, {"code": "\uff14\uff12", "n": 2}]
    assert read_table("x\n1.\u0665\n") == [{"x": "1.\u0665"}]


def test_a_number_past_the_float_range_keeps_its_column_as_text_and_the_file_loads(tmp_path):
    (tmp_path / "m.csv").write_text("name,measure,ok\na,1e400,1.5\nb,2.5,-1e308\n")
    loaded = load_inputs({"rows": tmp_path / "m.csv"})
    assert loaded["rows"] == [{"name": "a", "measure": "1e400", "ok": 1.5}, {"name": "b", "measure": "2.5", "ok": -1e308}]
    assert read_table("x\n-1e99999999999999999999\n") == [{"x": "-1e99999999999999999999"}]


def test_numbers_at_the_edges_still_read_as_numbers():
    assert read_table("a,b,c\n9007199254740991,1e308,0.5\n-9007199254740991,1e-400,-0\n") == [
        {"a": 2**53 - 1, "b": 1e308, "c": 0.5}, {"a": -(2**53 - 1), "b": 0.0, "c": 0}]
    assert read_table("a\n9007199254740992\n") == [{"a": "9007199254740992"}]  # past 2^53: an id, kept as text


# --- 4. only real imports of the inputs are rewritten ---------------------------------------------

LOOKALIKES = '''import { rows } from "jsolve:inputs";
const template = `
import { rows } from "jsolve:inputs";
`;
const nested = `a ${`
import { rows as r } from "jsolve:inputs";
`} b`;
const continued = "\\
import { rows } from 'jsolve:inputs'";
// import { secret } from "jsolve:inputs";
/*
import { secret } from "jsolve:inputs";
*/
export default [template, nested, continued, rows.length];
'''


def test_text_that_looks_like_an_import_in_strings_templates_and_comments_stays_as_written(sandbox):
    result = sandbox.run(LOOKALIKES, inputs={"rows": [1, 2, 3]})
    assert result.ok, result.error
    assert result.value == ['\nimport { rows } from "jsolve:inputs";\n', 'a \nimport { rows as r } from "jsolve:inputs";\n b',
                            "import { rows } from 'jsolve:inputs'", 3]
    assert prevalidate(LOOKALIKES, inputs=["rows"]) is None


def test_a_regular_expression_with_a_quote_or_backtick_does_not_hide_a_real_import(sandbox):
    code = ('const tick = /`/g, quote = /["\']/, slash = /[/]`/;\n'
            'import { rows as data } from "jsolve:inputs";\n'
            "export default [data.length, 'a`b'.replace(tick, ''), quote.test('\"'), slash.source];")
    result = sandbox.run(code, inputs={"rows": [1, 2]})
    assert result.ok and result.value == [2, "ab", True, "[/]`"], result.error


def test_an_import_under_a_control_statement_is_not_turned_into_valid_code(sandbox):
    code = 'let n = 0;\nif (false)\nimport { rows } from "jsolve:inputs";\nn = 1;\nexport default n;'
    result = sandbox.run(code, inputs={"rows": [1]})
    assert not result.ok and result.error.kind in ("syntax", "policy"), result
    failure = prevalidate(code, inputs=["rows"])
    assert failure is not None and failure.kind == "policy" and failure.line == 3 and "at the top level" in failure.message


def test_columns_after_an_import_on_its_line_stay_where_they_were(sandbox):
    code = 'import { rows as r, cfg as c } from "jsolve:inputs"; export default missing;'
    error = sandbox.run(code, inputs={"rows": [1], "cfg": {}}).error
    assert error.kind == "runtime" and error.line == 1 and error.column == code.index("missing") + 1, error


@pytest.mark.parametrize("code", [
    'const n = 1; import { rows } from "jsolve:inputs";\nexport default rows',
    '/* data */ import { rows } from "jsolve:inputs";\nexport default rows',
    'import { rows /* data */ } from "jsolve:inputs";\nexport default rows',
])
def test_the_pre_run_check_refuses_what_the_worker_will_not_take_as_an_import(sandbox, code):
    failure = prevalidate(code, inputs=["rows"])
    assert failure is not None and failure.kind == "policy" and "on a line of its own" in failure.message
    assert sandbox.run(code, inputs={"rows": [1]}).error.kind == "policy"
