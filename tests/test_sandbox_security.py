"""Attacks on the sandbox, one class at a time. Each asserts the error kind, that the run ended
within its deadline plus a margin, and that the next run in the same pool works."""

import json
import os
import signal
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.cpus import available_cpus, cgroup_cpu_quota
from agent.errors import SandboxClosed, UsageError
from agent.sandbox import Limits, NetworkPolicy, Sandbox
from agent.sandbox.pool import FETCH_PER_RUN
from tests.fixture_server import FixtureServer

TIMEOUT = 1.0
MARGIN = 2.0  # seconds past the deadline: the kill grace, a worker restart and a loaded machine
FILLING = Limits(timeout=10.0, memory_mb=64)
"""For the attacks that fill memory: time enough to reach the 64 MB cap on a slow machine (a Map
of objects took 1.2 s here on one day), so that the cap, not the clock, is what stops them."""

ATTACKS = [
    # loops and scheduling
    ("while (true) {}", "timeout"),
    ("for (;;) { Math.random() }", "timeout"),
    ("export default await new Promise(() => {})", "timeout"),
    ("function f() { Promise.resolve().then(f) } f(); export default await new Promise(() => {})", "timeout"),
    ("function f() { queueMicrotask(f) } f(); export default 1", "timeout"),
    ("setInterval(() => {}, 1); export default await new Promise(() => {})", "timeout"),
    ("export default await new Promise(r => setTimeout(r, 60000))", "timeout"),
    ("async function f() { while (true) await null } export default await f()", "timeout"),
    ("export default /(a+)+$/.test('a'.repeat(40) + 'b')", "timeout"),
    ("export default /^(a|a)*$/.test('a'.repeat(40) + 'b')", "timeout"),
    ("export default 'x'.repeat(30).replace(/(x+x+)+y/, '')", "timeout"),
    # memory bombs
    ("const a = []; while (true) a.push(new Array(1000).fill(1))", "memory"),
    ("let s = 'x'; while (true) s += s", "memory"),
    ("export default new Uint8Array(2 ** 30).length", "memory"),
    ("const m = new Map(); for (let i = 0; ; i++) m.set(i, {i})", "memory"),
    ("const a = []; while (true) a.push('x'.repeat(1000) + a.length)", "memory"),
    ("export default new ArrayBuffer(2 ** 32).byteLength", "runtime"),  # over the engine's maximum length
    ("export default new Float64Array(2 ** 27).length", "memory"),
    # recursion
    ("function f() { return f() + 1 } export default f()", "stack"),
    ("const o = { get x() { return this.x } }; export default o.x", "stack"),
    ("const p = new Proxy({}, { get(t, k, r) { return r[k] } }); export default p.x", "stack"),
    ("export default JSON.parse('['.repeat(200000) + ']'.repeat(200000))", "stack"),
    ("let a = []; const r = a; for (let i = 0; i < 200000; i++) { const n = []; a.push(n); a = n } export default JSON.stringify(r).length", "stack"),
    ("const f = (...a) => f(...a, 1); export default f()", "stack"),
    ("class A { constructor() { new A() } } export default new A()", "stack"),
    ("let v = []; for (let i = 0; i < 5000; i++) v = [v]; export default v", "output"),
    # host reach
    ("export default require('fs')", "runtime"),
    ("export default process.env", None),  # node's process, frozen, with an empty env (tests/test_node_security.py)
    ("export default std.loadFile('/etc/passwd')", "runtime"),
    ("export default os.exec(['id'])", "runtime"),
    ("import * as std from 'std'; export default std.getenv('HOME')", "policy"),
    ("import * as os from 'os'; export default os.getcwd()", "runtime"),  # node's os, which has no getcwd (nor QuickJS's)
    ("export default (await import('/etc/passwd')).default", "policy"),
    ("export default await import('data:text/javascript,export default 1')", "policy"),
    ("export default Function('return std.open(\"/etc/passwd\")')()", "runtime"),
    ("export default Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10000)", "runtime"),
    # output abuse
    ("export default 'x'.repeat(2_000_000)", "output"),
    ("export default new Array(300000).fill('abcd')", "output"),
    ("const o = {}; o.o = o; export default o", "output"),
    ("export default { get x() { throw new Error('getter') } }", "runtime"),
    ("export default new Proxy({}, { ownKeys() { throw new Error('keys') } })", "runtime"),
    ("export default Symbol('s')", "output"),
    # the sandbox's own hooks, and the built-ins it reads the result with
    ("try { __jsolve.configure({ output: null }) } catch {} export default 'x'.repeat(2_000_000)", "output"),
    ("__jsolve.result = () => '{}'; export default 1", "runtime"),
    ("JSON.stringify = () => 'x'.repeat(3e6); export default { a: 1 }", None),  # the sandbox reads with its own
    ("Object.prototype.toJSON = () => 1; export default { a: 1 }", "output"),
    ("JSON.stringify = () => '{\"logs\":[],\"cut\":0,\"value\":\"[1\",\"bigints\":[[\"b\",3]]}'; export default 2", None),
    ("JSON.stringify = () => '{\"logs\":[],\"cut\":0,\"error\":{\"kind\":\"crash\",\"name\":null,\"message\":\"m\",\"stack\":null}}'; export default 2", None),
    ("const s = JSON.stringify, big = s('x'.repeat(2_000_000)); JSON.stringify = () => s({ logs: [], cut: 0, value: big, bigints: [] }); export default 1", None),
    # TextEncoder and TextDecoder, given to code that names them
    ("new TextEncoder().encode('x'.repeat(2 ** 26))", "memory"),
    ("export default new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0x61, 0xff]))", "runtime"),
    ("export default new TextDecoder().decode({ length: 1e9, buffer: new ArrayBuffer(8) })", "runtime"),
    ("export default new TextDecoder('latin1').decode(new Uint8Array([0xe9]))", None),  # node's latin1 decoder now
    ("export default new TextEncoder().encodeInto('x'.repeat(100), new Uint8Array(new SharedArrayBuffer(8)).subarray(4))", None),
    # engine regressions of the kind quickjs-ng's tests/bug*.js cover (own equivalents)
    ("const a = [1, 2, 3]; a.sort(() => { a.length = 0; return 0 }); export default a.length", None),
    ("const ta = new Uint8Array(8); const r = ta.subarray(2); ta.buffer.transfer?.(); export default r.length", None),
    ("const a = []; a.length = 2 ** 32 - 1; export default a.length", None),
    ("let s = 'a'; export default s.padEnd(2 ** 29, 'b').length", "memory"),
    ("export default [].concat.apply([], new Array(1e6).fill([1])).length", None),
    ("const re = /(?<a>x)|(?<a>y)/; export default 'y'.replace(re, '$<a>')", None),
    ("export default Array.from({length: 1e5}, (_, i) => i).reduceRight((a, b) => a + b)", None),
]


@pytest.fixture(scope="module")
def pool():
    with Sandbox(2, limits=Limits(timeout=TIMEOUT, memory_mb=64)) as sb:
        yield sb


@pytest.mark.parametrize(("code", "kind"), ATTACKS, ids=[f"{i:02d}" for i in range(len(ATTACKS))])
def test_attack_is_contained(pool, code, kind):
    limits = FILLING if kind == "memory" else None
    r = pool.run(code, limits=limits)
    # duration_ms runs from the hand-over to a ready worker: starting a replacement worker after
    # the previous attack (slow on a loaded machine) is not part of this run's deadline
    assert r.duration_ms / 1000 < (limits.timeout if limits else TIMEOUT) + MARGIN
    if kind is None:
        assert r.ok or r.error.kind in ("runtime", "memory"), r.error
    else:
        assert not r.ok and r.error.kind == kind, r.error
    assert pool.run("export default 'alive'").value == "alive"


def test_error_stacks_show_no_host_paths(pool):
    for code in ("null.x", "export default JSON.parse('{')", "new Function('return null.y')()", "import x from '/usr/lib/x'"):
        r = pool.run(code)
        text = f"{r.error.message}\n{r.error.stack or ''}"
        assert "/work" not in text and "site-packages" not in text and ".py" not in text


def test_function_constructor_reaches_only_the_sandbox_global(pool):
    r = pool.run("const g = Function('return this')(); export default [typeof g.std, typeof g.os, typeof g.require, typeof g.process, g === globalThis]")
    assert r.value == ["undefined", "undefined", "undefined", "undefined", True]


def test_a_worker_killed_by_the_os_is_a_crash_and_the_next_run_works():
    import threading

    with Sandbox(1, limits=Limits(timeout=5)) as sb:
        assert sb.run("export default 1").ok
        worker = next(iter(sb._all))
        threading.Timer(0.2, lambda: os.kill(worker.process.pid, signal.SIGKILL)).start()
        r = sb.run("while (true) {}")
        assert r.error.kind == "crash"
        assert sb.run("export default 'next'").value == "next"


def test_a_worker_that_stops_answering_is_killed_at_the_deadline():
    with Sandbox(1, limits=Limits(timeout=0.5)) as sb:
        assert sb.run("export default 1").ok
        worker = next(iter(sb._all))
        os.kill(worker.process.pid, signal.SIGSTOP)
        started = time.monotonic()
        r = sb.run("export default 2")
        assert r.error.kind == "timeout" and time.monotonic() - started < 0.5 + MARGIN
        assert sb.run("export default 3").value == 3


def test_the_code_cannot_lift_its_own_console_caps(pool):
    r = pool.run("try { __jsolve.configure({ lines: null, bytes: null }) } catch {}\n"
                 "for (let i = 0; i < 5000; i++) console.log(i); export default 1")
    assert r.value == 1
    assert len(r.logs) == Limits().console_lines + 1 and "console output cut" in r.logs[-1].text


def test_decoding_a_flood_of_bytes_ends_at_a_cap(pool):
    started = time.monotonic()
    r = pool.run("export default new TextDecoder().decode(new Uint8Array(2 ** 25).fill(0xff)).length")
    assert not r.ok and r.error.kind in ("timeout", "memory"), r.error
    assert time.monotonic() - started < TIMEOUT + MARGIN
    assert pool.run("export default 'alive'").value == "alive"


# --- issue 11: nothing the guest can touch is trusted ----------------------------------------



@pytest.fixture(scope="module")
def server():
    fixture = FixtureServer()
    yield fixture
    fixture.close()


@pytest.fixture(scope="module")
def net():
    return NetworkPolicy(allow_hosts=["127.0.0.1"]).allowing_loopback()


@pytest.fixture(scope="module")
def one():
    """One worker: every run after an attack lands on the worker the attack ran in (or its replacement)."""
    with Sandbox(1, limits=Limits(timeout=TIMEOUT, memory_mb=64)) as sb:
        yield sb


def _clean(sb, net=None):
    """The next run is untouched by whatever ran before: its own value, logs and error."""
    r = sb.run("console.log('clean'); export default { n: 41 + 1 }", network=net)
    assert (r.ok, r.value, [e.text for e in r.logs], r.error) == (True, {"n": 42}, ["clean"], None)
    r = sb.run("export default 'second'", network=net)
    assert r.value == "second"


_FORGED = {"op": "result", "logs": [], "cut": 0, "error": None, "value_json": '"poisoned"', "bigints": [], "rss": 0}

FORGERIES = [
    # the reported one: JSON.stringify replaced before fetch (the sandbox now writes with its own)
    """const real = JSON.stringify;
JSON.stringify = (x, ...r) => Array.isArray(x) && x[0]?.url
  ? (JSON.stringify = real, real([FORGED]))
  : real(x, ...r);
fetch("URL/x").catch(() => {});
export default await new Promise(() => {});""",
    # toJSON on the request list: the list's text is the guest's
    "Array.prototype.toJSON = function () { return [FORGED] }; fetch('URL/x').catch(() => {}); export default 'attacker'",
    # a request carrying the keys of a result frame (and a later run's id) next to its own
    "Object.prototype.toJSON = function () { return this.url ? { ...this, ...FORGED, run_id: 99999 } : this }; fetch('URL/echo').catch(() => {}); export default 'attacker'",
    # a result frame's fields in every item, and items that are no request at all
    "Array.prototype.toJSON = function () { return [1, 'x', null, [FORGED], { id: 'a' }] }; fetch('URL/x').catch(() => {}); export default 'attacker'",
]


@pytest.mark.parametrize("code", FORGERIES, ids=["stringify", "list-toJSON", "item-keys", "junk-items"])
def test_forged_frames_in_the_request_list_do_not_reach_another_run(one, server, net, code):
    code = code.replace("FORGED", json.dumps(_FORGED)).replace("URL", server.url)
    r = one.run(code, network=net)
    assert r.value != "poisoned"
    assert r.ok or r.error.kind in ("timeout", "runtime"), r.error
    _clean(one, net)
    _clean(one)


def test_a_request_list_the_worker_cannot_read_ends_only_that_run(one, server, net):
    r = one.run("Array.prototype.toJSON = function () { return { op: 'result' } }; await fetch('URL/x'); export default 1".replace("URL", server.url), network=net)
    assert r.error.kind == "runtime" and "fetch requests could not be read" in r.error.message
    _clean(one, net)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 2**60) | st.sampled_from(["result", "fetch", "fetched", "ready", "run", "poisoned", "http://127.0.0.1:9/"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["op", "run_id", "id", "url", "method", "headers", "body", "logs", "cut", "error", "value_json", "bigints", "rss", "kind"]),
        inner, max_size=6),
    max_leaves=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(outboxes=st.lists(_JSON, min_size=1, max_size=3))
def test_no_sequence_of_request_lists_changes_another_runs_result(one, net, outboxes):
    """Whatever the guest makes its request list serialize to (toJSON on the list makes it any
    JSON), the next run gets its own result."""
    for outbox in outboxes:
        one.run(f"let first = true; Array.prototype.toJSON = function () {{ if (!first) return this; first = false; return {json.dumps(outbox)} }};\n"
                "fetch('http://127.0.0.1:9/').catch(() => {}); export default 'attacker'", network=net)
    r = one.run("export default [1, 2n, 'three']", network=net)
    assert (r.ok, r.value, r.logs) == (True, [1, 2, "three"], [])


SECRET = "expected-answer-31337"
CHECK = f"// {SECRET}\nif (value(2, 3) !== 5) throw new Error('add(2, 3) is not 5');\nreturn true"

CHECK_ATTACKS = [
    # a replaced eval receives the check's source and hands back a check that passes
    "globalThis.eval = (src) => { console.log(src); return () => async () => true }; export default (a, b) => a - b",
    # the same through Function and indirect eval, kept on the global
    "const real = eval; globalThis.eval = function (s) { console.log(String(s)); return real(s) }; export default (a, b) => a - b",
    # a replaced then turns the check's rejection into success (replaced at load, and while being called)
    "const t = Promise.prototype.then; Promise.prototype.then = function (ok, bad) { return t.call(this, ok, ok) }; export default (a, b) => a - b",
    "const t = Promise.prototype.then; export default function sub(a, b) { Promise.prototype.then = function (ok) { return t.call(this, ok, ok) }; return a - b }",
    # the hooks are reachable: start the module again, or a check of the code's own
    "export default function sub(a, b) { try { __jsolve.module() } catch {} try { __jsolve.check('return true', 0) } catch {} return a - b }",
    "queueMicrotask(() => { try { __jsolve.check('return true', 1) } catch {} }); export default (a, b) => a - b",
    # the globals the check reads its source from, and the check's own log
    "Object.defineProperty(globalThis, '__jsolve_check', { set(v) { console.log(v) }, get() { return 'return true' } }); export default (a, b) => a - b",
    # a frozen replacement that cannot be undone
    "Object.defineProperty(Promise.prototype, 'then', { value: function (ok) { ok(true) }, writable: false, configurable: false }); export default (a, b) => a - b",
]


@pytest.mark.parametrize("code", CHECK_ATTACKS, ids=[f"{i}" for i in range(len(CHECK_ATTACKS))])
def test_the_code_under_test_cannot_pass_or_read_the_check(one, code):
    r = one.run(code, check=CHECK)
    assert not r.ok, "wrong code passed the check"
    assert r.error.kind in ("check", "timeout", "runtime"), r.error
    shown = json.dumps(r.to_json())
    assert SECRET not in shown, "the check's source reached the code or its logs"
    assert one.run("export default (a, b) => a + b", check=CHECK).value is True
    _clean(one)


def test_a_check_uses_the_builtins_as_they_were_before_the_code(one):
    code = ("Object.is = () => true; JSON.stringify = () => '[]'; Array.isArray = () => true;\n"
            "Object.prototype.toJSON = function () { return 1 };\nexport default function f() { return [1, 2] }")
    check = "if (!Object.is(value()[0], 3) || JSON.stringify(value()) !== '[3,4]' || !Array.isArray(value())) throw new Error('wrong'); return true"
    r = one.run(code, check=check)
    assert r.error.kind == "check" and r.error.message == "wrong"
    assert one.run(code.replace("[1, 2]", "[3, 4]"), check=check).value is True
    _clean(one)


def test_a_check_of_a_value_runs_where_the_code_never_ran(one):
    code = "JSON.stringify = () => '42'; Object.is = () => true; globalThis.expected = 42; export default { n: 41, big: 2n ** 70n }"
    check = "if (typeof expected !== 'undefined' || !Object.is(value.n, 42) || JSON.stringify(value.n) !== '42') throw new Error('wrong: ' + typeof value.big); return true"
    r = one.run(code, check=check)
    assert r.error.kind == "check" and r.error.message == "wrong: bigint"
    assert one.run(code.replace("n: 41", "n: 42").replace("globalThis.expected = 42;", ""), check=check).value is True
    r = one.run("console.log('from the code'); export default 1", check=f"console.log('{SECRET}'); return value + 1")
    assert r.value == 2 and [e.text for e in r.logs] == ["from the code"]
    _clean(one)


def test_request_bodies_are_capped_before_they_leave(one, server):
    policy = NetworkPolicy(allow_hosts=["127.0.0.1"], max_request_bytes=1000).allowing_loopback()
    hits = len(server.hits)
    post = "export default await (await fetch('URL/echo', { method: 'POST', body: BODY })).json().then((e) => e.body.length)"
    r = one.run(post.replace("URL", server.url).replace("BODY", "'é'.repeat(501)"), network=policy)
    assert r.error.kind == "policy" and "1002 bytes, over the cap of 1000 bytes per request" in r.error.message
    r = one.run(post.replace("URL", server.url).replace("BODY", "'x'.repeat(2e7)"), network=NetworkPolicy(allow_hosts=["127.0.0.1"]).allowing_loopback(),
                limits=Limits(timeout=10, memory_mb=256))
    assert r.error.kind == "policy" and "over the cap of 1048576 bytes per request" in r.error.message
    assert len(server.hits) == hits
    assert one.run(post.replace("URL", server.url).replace("BODY", "'x'.repeat(1000)"), network=policy).value == 1000
    _clean(one, policy)


@pytest.mark.parametrize("code", [
    "throw new Error('x'.repeat(4e7))",
    "const e = new TypeError('m'); e.name = 'N'.repeat(1e6); e.stack = 's'.repeat(1e6); throw e",
    "throw 'y'.repeat(1e6)",
    "export default await Promise.reject(new RangeError('z'.repeat(1e6)))",
])
def test_error_texts_are_cut_to_a_few_kilobytes(one, code):
    r = one.run(code, limits=Limits(timeout=10, memory_mb=256))
    assert r.error.kind == "runtime", r.error
    for text in (r.error.name, r.error.message, r.error.stack):
        assert text is None or len(text) < 5000
    assert "[cut at 4096 characters]" in (r.error.name or "") + r.error.message + (r.error.stack or "")
    _clean(one)


def test_bigint_places_count_against_the_output_cap(one):
    code = "const o = {}; o['k'.repeat(2000)] = Array.from({ length: 400 }, () => 1n); export default o"
    r = one.run(code, limits=Limits(output_bytes=100_000))
    assert r.error.kind == "output" and "output cap of 100000 bytes" in r.error.message
    r = one.run(code.replace("400", "40"), limits=Limits(output_bytes=100_000))
    assert r.ok and r.value == {"k" * 2000: [1] * 40}
    _clean(one)


def test_one_run_cannot_hold_the_fetch_threads_another_needs(server):
    """A run with many requests to a server that never answers has at most FETCH_PER_RUN of them
    out; another run's request goes out at once instead of waiting for those to end."""
    policy = NetworkPolicy(allow_hosts=["127.0.0.1"]).allowing_loopback()
    with Sandbox(2) as sb:
        hog: list = []
        slow_before = sum(1 for hit in server.hits if hit[1] == "/slow")
        hogger = threading.Thread(target=lambda: hog.append(sb.run(
            f"export default await Promise.all(Array.from({{ length: 16 }}, () => fetch('{server.url}/slow')))",
            network=policy, limits=Limits(timeout=6))))
        hogger.start()
        deadline = time.monotonic() + 8
        while sum(1 for hit in server.hits if hit[1] == "/slow") - slow_before < FETCH_PER_RUN and time.monotonic() < deadline:
            time.sleep(0.01)  # waits for a condition; the test does not depend on how long it takes
        r = sb.run(f"export default (await (await fetch('{server.url}/json')).json()).items.length", network=policy, limits=Limits(timeout=3))
        assert r.value == 2, r.error
        hogger.join()
        assert hog[0].error.kind == "timeout"
        assert sum(1 for hit in server.hits if hit[1] == "/slow") - slow_before == FETCH_PER_RUN
        _clean(sb, policy)


def test_closing_wakes_the_runs_waiting_for_a_worker():
    sb = Sandbox(1, limits=Limits(timeout=30))
    assert sb.run("export default 1").ok
    outcomes: dict[str, object] = {}
    busy = threading.Event()

    def hold():
        busy.set()
        outcomes["holder"] = sb.run("while (true) {}")

    def wait():
        try:
            outcomes["waiter"] = sb.run("export default 2")
        except SandboxClosed as exc:
            outcomes["waiter"] = exc

    holder = threading.Thread(target=hold)
    holder.start()
    busy.wait()
    deadline = time.monotonic() + 10
    while sb._idle.qsize() and time.monotonic() < deadline:
        time.sleep(0.005)  # waits for the holder to take the only worker; no timing is asserted
    waiter = threading.Thread(target=wait)
    waiter.start()
    sb.close()
    waiter.join(10)
    holder.join(10)
    assert not waiter.is_alive() and not holder.is_alive()
    assert isinstance(outcomes["waiter"], SandboxClosed)
    assert outcomes["holder"].error.kind == "crash"
    with Sandbox(1) as fresh:
        _clean(fresh)


@pytest.mark.parametrize(("url", "fragment"), [
    ("http://a..com/", "empty label"),
    ("SERVER/to?url=http://[x", "is not a valid URL"),
    ("http://" + "a" * 70 + ".test/", "was not found"),
])
def test_a_request_that_fails_oddly_is_rejected_at_once(one, server, url, fragment):
    anywhere = NetworkPolicy(allow_hosts=["*"]).allowing_loopback()
    code = f"let why;\ntry {{ await fetch({json.dumps(url.replace('SERVER', server.url))}) }} catch (e) {{ why = [e.name, e.message] }}\nexport default why"
    r = one.run(code, network=anywhere, limits=Limits(timeout=30))
    assert r.ok, r.error
    assert r.value[0] in ("PolicyError", "TypeError") and fragment in r.value[1]
    _clean(one, anywhere)


def test_bigints_of_any_length_are_read(one):
    r = one.run("export default [10n ** 5000n, -(7n ** 9000n)]")
    assert r.ok and r.value == [10**5000, -(7**9000)]
    _clean(one)


@pytest.mark.parametrize("bad", [dict(memory_mb=1.5), dict(timeout=float("inf")), dict(timeout=float("nan")), dict(stack_kb=2.0),
                                 dict(console_lines=10**30), dict(timeout=1e12)])
def test_limits_that_cannot_work_are_usage_errors(bad):
    with pytest.raises(UsageError, match=r"Limits\."):
        Limits(**bad)


def test_throwing_null_is_a_runtime_error_not_memory(one):
    for code in ("throw null", "export default await Promise.reject(null)", "function f() { throw null }\nexport default f()"):
        r = one.run(code)
        assert (r.error.kind, r.error.message.startswith("the code threw null")) == ("runtime", True), (code, r.error)
    assert one.run("const m = new Map(); for (let i = 0; ; i++) m.set(i, {i})", limits=FILLING).error.kind == "memory"
    _clean(one)


def test_a_worker_that_died_while_idle_is_replaced_before_a_run():
    with Sandbox(1) as sb:
        assert sb.run("export default 1").ok
        worker = next(iter(sb._all))
        os.kill(worker.process.pid, signal.SIGKILL)
        worker.process.wait()
        r = sb.run("export default 'fresh'")
        assert (r.ok, r.value) == (True, "fresh"), r.error
        _clean(sb)


def test_errors_raised_in_the_sandboxs_own_code_point_at_the_guests_call(one):
    r = one.run("const a = 1;\nconst b = 2;\nsetTimeout('not a function', 1)\nexport default 1")
    assert (r.error.kind, r.error.name, r.error.line) == ("runtime", "TypeError", 3)
    assert "setTimeout" in r.error.message
    _clean(one)


def test_the_pool_sizes_itself_from_the_cpus_it_may_use(tmp_path):
    assert available_cpus() <= len(os.sched_getaffinity(0))
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert cgroup_cpu_quota(tmp_path) == 2
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert cgroup_cpu_quota(tmp_path) is None
    with Sandbox() as sb:
        assert sb.size == available_cpus()


@pytest.mark.parametrize(("code", "replaced"), [
    ("export default '\\ud800'", True),
    ("export default { ['k\\udc00']: ['a\\ud83d', '\\ud83d\\ude00'] }", True),
    ("console.log('\\udfff'); console.warn({ s: '\\ud800' }); export default 1", True),
    ("throw new Error('\\ud800 lone')", True),
    ("const e = new Error('m'); e.name = 'N\\udbff'; throw e", True),
    ("throw '\\udc00'", False),  # quoted as JSON: the escape is text
    ("JSON.stringify = () => '\\ud800'; export default [1]", False),
])
def test_lone_surrogates_leave_the_sandbox_as_replacement_characters(one, code, replaced):
    r = one.run(code)
    encoded = json.dumps(r.to_json(), ensure_ascii=False).encode()
    assert ("\ufffd".encode() in encoded) is replaced
    if r.ok and isinstance(r.value, dict):
        assert r.value == {"k\ufffd": ["a\ufffd", "\U0001F600"]}
    _clean(one)


_HONEST = {"op": "result", "run_id": 1, "logs": [], "cut": 0, "error": None, "value_json": "1", "bigints": [], "rss": 0}


@pytest.mark.parametrize("forged", [
    {"value_json": json.dumps("x" * 2_000_000)},
    {"value_json": json.dumps({"k" * 2000: [str(i) for i in range(600)]}), "bigints": [["k" * 2000, i] for i in range(600)]},
    {"logs": [{"level": "log", "text": "x"}] * 1001},
    {"logs": [{"level": "log", "text": "x" * 70_000}]},
    {"logs": [{"level": "shout", "text": "x"}]},
    {"cut": -1},
    {"error": {"kind": "crash", "message": "m"}},
    {"error": {"kind": "runtime", "message": 7}},
    {"error": {"kind": "runtime", "message": "m", "line": "3"}},
    {"value_json": None},
    {"bigints": [[{"a": 1}]]},
])
def test_the_supervisor_applies_every_cap_to_what_a_worker_sends(forged):
    """The worker runs the guest, so its result frame is checked as the guest's: what an honest
    worker never sends is a protocol violation (the run is a crash and the worker retired)."""
    from agent.sandbox.pool import _result
    from agent.sandbox.protocol import ProtocolError

    with pytest.raises(ProtocolError):
        _result({**_HONEST, **forged}, 0.0, Limits())


def test_the_supervisor_cuts_and_cleans_error_texts_itself():
    from agent.sandbox.pool import _result

    r = _result({**_HONEST, "error": {"kind": "runtime", "name": "E\ud800", "message": "m" * 50_000, "stack": None}}, 0.0, Limits())
    assert r.error.name == "E\ufffd" and len(r.error.message) < 5000 and r.error.message.endswith("[cut at 4096 characters]")


@pytest.mark.parametrize("code", ["const a = 1;\nexport default 'x\ud800'", "1 +\n '\udfff'"])
def test_code_holding_a_lone_surrogate_is_a_syntax_error_not_a_crash(one, code):
    r = one.run(code)
    assert (r.error.kind, r.error.line) == ("syntax", 2), r.error
    assert "lone surrogate" in r.error.message
    json.dumps(r.to_json(), ensure_ascii=False).encode()
    _clean(one)
