"""The sandbox's contract: values, error kinds, positions, console, script mode, the pool."""

import asyncio
import json
import os
import subprocess
import sys
import threading
import time

import pytest

from agent.errors import SandboxClosed, UsageError
from agent.sandbox import Limits, Sandbox


def test_module_with_top_level_await(sandbox):
    r = sandbox.run("const f = async () => 6 * 7; export default await f();")
    assert (r.ok, r.value, r.error) == (True, 42, None)


def test_script_last_expression_is_the_value(sandbox):
    assert sandbox.run("const x = 5;\nx * 2").value == 10


def test_script_returning_a_promise_is_awaited(sandbox):
    assert sandbox.run("async function main() { return 'ok' }\nmain()").value == "ok"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("export default 2n ** 100n", 2**100),
        ("export default {a: [1n, {b: -3n}]}", {"a": [1, {"b": -3}]}),
        ("export default new Date(Date.UTC(2024, 0, 2))", "2024-01-02T00:00:00.000Z"),
        ("export default new Map([['a', 1], ['b', 2]])", {"a": 1, "b": 2}),
        ("export default new Map([[{}, 1]])", [[{}, 1]]),
        ("export default new Set([3, 1, 3])", [3, 1]),
        ("export default new Uint8Array([1, 2])", [1, 2]),
        ("export default /a+/g", "/a+/g"),
        ("export default {u: undefined, f() {}, n: null}", {"n": None}),
        ("export default [undefined, 1]", [None, 1]),
        ("export default new RangeError('r')", {"name": "RangeError", "message": "r"}),
        ("export default {toJSON() { return 'custom' }}", "custom"),
        ("export default 'héllo ✓ 𝄞'", "héllo ✓ 𝄞"),
        ("export default -0", 0),
        ("async function main() { return [1, 2] }\nexport default main()", [1, 2]),
        ("export default new Promise((r) => setTimeout(() => r({ late: true }), 5))", {"late": True}),
    ],
)
def test_values_cross_as_documented(sandbox, code, expected):
    r = sandbox.run(code)
    assert r.ok, r.error
    assert r.value == expected


@pytest.mark.parametrize(
    ("code", "kind", "fragment"),
    [
        ("export default 1 +;", "syntax", "unexpected token"),
        ("const x = 1;\nfoo(", "syntax", ""),
        ("const a = 1;\nnull.x", "runtime", "cannot read property"),
        ("export default JSON.parse('{')", "runtime", ""),
        ("export const x = 1", "contract", "no `export default`"),
        ("function main() { return 1 }\nexport default main", "contract", "never called"),
        ("export default NaN", "output", "$ is NaN"),
        ("export default {a: [Infinity]}", "output", "$.a[0] is Infinity"),
        ("const o = {}; o.self = {o}; export default o", "output", "$.self.o refers back to $"),
        ("export default undefined", "output", "undefined"),
        ("export default {p: Promise.resolve(1)}", "output", "$.p is a Promise"),
        ("async function main() { throw new TypeError('no rows') }\nexport default main()", "runtime", "no rows"),
        ("export default new Promise(() => {})", "timeout", "never settle"),
        ("export default (async () => () => 1)()", "contract", "never called"),
        ("export default new Date(NaN)", "output", "invalid Date"),
        ("import _ from 'lodash'; export default 1", "policy", "'lodash'"),
        ("export default await import('child_process')", "policy", "'child_process'"),
        ("export default await new Promise(() => {})", "timeout", "never settle"),
    ],
)
def test_error_kinds(sandbox, code, kind, fragment):
    r = sandbox.run(code)
    assert not r.ok and r.value is None
    assert r.error.kind == kind, r.error
    assert fragment in r.error.message


def test_runtime_error_position_is_in_the_users_code(sandbox):
    r = sandbox.run("const a = 1;\nconst b = 2;\nfunction f() {\n  throw new TypeError('bad');\n}\nexport default f()")
    assert (r.error.kind, r.error.name, r.error.line, r.error.column) == ("runtime", "TypeError", 4, 13)
    assert r.error.stack.splitlines() == ["    at f (<input>:4:13)", "    at <anonymous> (<input>:6:16)"]


def test_error_thrown_from_a_timer_callback(sandbox):
    r = sandbox.run("setTimeout(() => { throw new Error('late') }, 1);\nexport default await new Promise(r => setTimeout(r, 50, 1))")
    assert (r.error.kind, r.error.message, r.error.line) == ("runtime", "late", 1)


def test_syntax_error_position(sandbox):
    r = sandbox.run("export default 1 +;")
    assert (r.error.line, r.error.column) == (1, 19)


def test_set_timeout_is_honoured(sandbox):
    r = sandbox.run("export default await new Promise(r => setTimeout(() => r('done'), 30))")
    assert r.value == "done" and r.duration_ms >= 30


def test_set_interval_and_clear(sandbox):
    code = "let n = 0; export default await new Promise(r => { const id = setInterval(() => { if (++n === 3) { clearInterval(id); r(n) } }, 2) })"
    assert sandbox.run(code).value == 3


def test_console_is_captured_in_order_with_levels(sandbox):
    r = sandbox.run("console.log('a', 1, {b: [2]}); console.warn('w'); console.error(new Error('e')); console.debug(3n); export default 0")
    assert [(e.level, e.text) for e in r.logs] == [("log", "a 1 { b: [ 2 ] }"), ("warn", "w"), ("error", "Error: e"), ("debug", "3n")]


def test_console_is_kept_when_the_code_fails(sandbox):
    r = sandbox.run("console.log('before'); throw new Error('x')")
    assert not r.ok and [e.text for e in r.logs] == ["before"]


def test_console_cap_says_what_it_cut(sandbox):
    r = sandbox.run("for (let i = 0; i < 50; i++) console.log(i); export default 1", limits=Limits(console_lines=10))
    assert r.ok and len(r.logs) == 11
    assert "40 more line(s)" in r.logs[-1].text and r.logs[-1].level == "warn"


def test_output_cap_is_an_error_not_a_truncation(sandbox):
    r = sandbox.run("export default 'x'.repeat(5000)", limits=Limits(output_bytes=1000))
    assert r.error.kind == "output" and "output cap of 1000 bytes" in r.error.message


def test_runs_do_not_share_state(sandbox):
    assert sandbox.run("globalThis.leak = 1; Array.prototype.evil = 1; export default 1").ok
    assert sandbox.run("export default [typeof leak, [].evil === undefined]").value == ["undefined", True]


def test_threads_share_one_pool():
    results = []
    with Sandbox(2) as sb:
        def work(i):
            results.append(sb.run(f"export default {i} * 2").value)
        threads = [threading.Thread(target=work, args=(i,)) for i in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(results) == [i * 2 for i in range(20)]


def test_run_async_many_concurrent_callers():
    async def main():
        with Sandbox(2) as sb:
            return await asyncio.gather(*(sb.run_async(f"export default await Promise.resolve({i})") for i in range(30)))
    assert [r.value for r in asyncio.run(main())] == list(range(30))


def test_closing_leaves_no_child_processes():
    sb = Sandbox(2)
    assert sb.run("export default 1").ok
    pids = [w.process.pid for w in sb._all]
    sb.close()
    for pid in pids:
        assert subprocess.run(["kill", "-0", str(pid)], capture_output=True).returncode != 0
    with pytest.raises(SandboxClosed):
        sb.run("export default 1")


@pytest.mark.parametrize("bad", [dict(timeout=0), dict(memory_mb=-1), dict(stack_kb=True)])
def test_bad_limits_are_usage_errors(bad):
    with pytest.raises(UsageError, match="positive"):
        Limits(**bad)


def test_cli_json_contract(tmp_path):
    file = tmp_path / "a.js"
    file.write_text("console.info('hi'); export default {n: 2n ** 64n}")
    out = subprocess.run([sys.executable, "-m", "agent", "run", str(file), "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) == {"ok", "value", "error", "logs", "duration_ms"}
    assert data["value"] == {"n": 2**64} and data["logs"] == [{"level": "info", "text": "hi"}]


def test_cli_failure_and_usage_exit_codes(tmp_path):
    file = tmp_path / "b.js"
    file.write_text("const a = 1;\nthrow new TypeError('nope')")
    out = subprocess.run([sys.executable, "-m", "agent", "run", str(file), "--json"], capture_output=True, text=True)
    assert out.returncode == 1
    assert json.loads(out.stdout)["error"] | {"stack": None} == {"kind": "runtime", "name": "TypeError", "message": "nope", "line": 2, "column": 11, "stack": None}
    missing = subprocess.run([sys.executable, "-m", "agent", "run", str(tmp_path / "none.js")], capture_output=True, text=True)
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def test_cli_run_help_and_bad_options_come_from_the_run_command_itself(tmp_path):
    from typer.testing import CliRunner

    from agent.cli.app import app

    help_text = subprocess.run([sys.executable, "-m", "agent", "run", "--help"], capture_output=True, text=True)
    assert help_text.returncode == 0 and "--allow-net" in help_text.stdout and "--input" in help_text.stdout
    bad = subprocess.run([sys.executable, "-m", "agent", "run", "a.js", "--timeout", "soon"], capture_output=True, text=True)
    assert bad.returncode == 2 and "--timeout: invalid float value: 'soon'" in bad.stderr
    listed = CliRunner().invoke(app, ["--help"])
    assert listed.exit_code == 0 and "run" in listed.stdout and "default export" in listed.stdout
    file = tmp_path / "c.js"
    file.write_text("export default [1, 2n]")
    forwarded = CliRunner().invoke(app, ["run", str(file), "--json", "--timeout", "5"])
    assert forwarded.exit_code == 0 and json.loads(forwarded.stdout)["value"] == [1, 2]


def test_a_worker_started_early_is_the_one_the_first_pool_takes():
    from agent.sandbox import process

    process.start_early()
    early = process._early[0]
    try:
        with Sandbox(1) as sandbox:
            assert {worker.process.pid for worker in sandbox._all} == {early.process.pid} and not process._early
            assert sandbox.run("export default 6 * 7").value == 42
        assert early.process.poll() is not None, "closing the pool ends the worker it took"
    finally:
        early.kill()


def test_a_worker_started_early_that_no_pool_takes_ends_with_its_process():
    started = subprocess.run([sys.executable, "-c", "from agent.sandbox import process\nprocess.start_early()\n"
                              "print(process._early[0].process.pid)"], capture_output=True, text=True, timeout=60)
    pid = int(started.stdout)
    deadline = time.monotonic() + 30
    while os.path.exists(f"/proc/{pid}") and "zombie" not in _state(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not os.path.exists(f"/proc/{pid}") or "zombie" in _state(pid), "the worker outlived the process that started it"


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/status") as status:
            return next((line for line in status if line.startswith("State:")), "").lower()
    except OSError:
        return ""


def test_check_receives_the_default_export_even_a_function(sandbox):
    r = sandbox.run("export default function add(a, b) { return a + b }", check="return [value(2, 3), typeof value]")
    assert r.ok, r.error
    assert r.value == [5, "function"]


def test_check_that_throws_is_a_check_error(sandbox):
    r = sandbox.run("export default (a, b) => a - b", check="if (value(2, 3) !== 5) throw new Error('add(2, 3) should be 5')\nreturn true")
    assert not r.ok and r.error.kind == "check"
    assert r.error.message == "add(2, 3) should be 5"


def test_check_keeps_limits_and_user_errors_in_user_frames(sandbox):
    r = sandbox.run("export default function f() { while (true) {} }", check="return value()", limits=Limits(timeout=0.3))
    assert not r.ok and r.error.kind == "timeout"
    r = sandbox.run("export default function f(o) { return o.a.b }", check="return value({})")
    assert r.error.kind == "check" and r.error.name == "TypeError"
    assert "jsolve" not in (r.error.stack or "") and "at f (<input>:1:" in r.error.stack


def test_check_is_not_run_when_the_code_failed(sandbox):
    r = sandbox.run("throw new RangeError('early'); export default 1", check="return 'reached'")
    assert r.error.kind == "runtime" and r.error.message == "early"


@pytest.mark.parametrize(("code", "expected"), [
    ("export default {a: [1, {b: 'x'}], c: null, d: new Date(Date.UTC(2024, 1, 29))}", {"a": [1, {"b": "x"}], "c": None, "d": "2024-02-29T00:00:00.000Z"}),
    ("class P { constructor() { this.x = 1 } }\nexport default [new P()]", [{"x": 1}]),
    ("export default {n: new Number(3), s: new String('s')}", {"n": {}, "s": {"0": "s"}}),
    ("export default {t: {toJSON() { return 'custom' }}}", {"t": "custom"}),
    ("export default [new Map([['k', 1n]])]", [{"k": 1}]),
    ("const o = Object.create(null); o.k = [undefined, () => 1];\nexport default o", {"k": [None, None]}),
    ("export default {u: undefined, f() {}, big: 2n ** 64n}", {"big": 2**64}),
])
def test_plain_and_special_values_read_the_same_way(sandbox, code, expected):
    """Plain JSON data takes a fast path; anything special goes through the full reader. Both
    must give what the documented mapping says, also when mixed in one value."""
    r = sandbox.run(code)
    assert r.ok, r.error
    assert r.value == expected



@pytest.mark.parametrize(("depth", "ok"), [(900, True), (901, False), (5000, False)])
def test_nesting_is_capped_below_what_the_host_can_decode(sandbox, depth, ok):
    r = sandbox.run(f"let a = []; const r = a; for (let i = 1; i < {depth}; i++) {{ const n = []; a.push(n); a = n }} export default r")
    assert r.ok is ok
    if not ok:
        assert r.error.kind == "output" and "nested more than 900 levels" in r.error.message


def test_recursion_over_a_thousand_frames_deep_fits_the_default_stack(sandbox):
    r = sandbox.run("function h(n) { return n === 0 ? 0 : 1 + h(n - 1) }\nexport default h(1200)")
    assert r.ok and r.value == 1200


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("export default new TextEncoder().encode('héllo ✓ 𝄞').length", len("héllo ✓ 𝄞".encode())),
        ("export default [...new TextEncoder().encode('a\\uD800b')]", list("a\ufffdb".encode())),
        ("export default new TextDecoder().decode(new TextEncoder().encode('héllo ✓ 𝄞'))", "héllo ✓ 𝄞"),
        ("export default new TextDecoder().decode(new Uint8Array([0xEF, 0xBB, 0xBF, 0x68, 0x69]))", "hi"),
        ("export default new TextDecoder('utf-8', { ignoreBOM: true }).decode(new Uint8Array([0xEF, 0xBB, 0xBF, 0x68]))", "\ufeffh"),
        ("export default new TextDecoder().decode(new Uint8Array([0x61, 0xC3, 0x28, 0xE2, 0x82, 0xF0, 0x9F, 0x98]).buffer)",
         bytes([0x61, 0xC3, 0x28, 0xE2, 0x82, 0xF0, 0x9F, 0x98]).decode("utf-8", errors="replace")),
        ("export default new TextDecoder().decode(new Uint8Array([0xED, 0xA0, 0x80, 0xC0, 0xAF]))",
         bytes([0xED, 0xA0, 0x80, 0xC0, 0xAF]).decode("utf-8", errors="replace")),
        ("export default new TextDecoder().decode(new DataView(new Uint8Array([0x78, 0x79, 0x7A]).buffer, 1))", "yz"),
        ("const d = new Uint8Array(4); export default new TextEncoder().encodeInto('a✓b', d)", {"read": 2, "written": 4}),
        ("export default new TextDecoder().decode(new Uint8Array(20000).fill(0x41)).length", 20000),
    ],
)
def test_text_encoder_and_decoder_are_utf8_as_the_standard_says(sandbox, code, expected):
    r = sandbox.run(code)
    assert r.ok, r.error
    assert r.value == expected


def test_code_that_does_not_name_the_text_classes_does_not_get_them(sandbox):
    assert sandbox.run("export default typeof globalThis['Text' + 'Encoder']").value == "undefined"
