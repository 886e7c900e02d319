"""Attacks through Node's built-ins: memory and time past the caps, fs paths that leave the virtual
folder of the inputs, prototype pollution through util.inspect, structuredClone and
querystring.parse, a process the code cannot change, randomness that is not a fixed seed, and
nothing of a module's state carried into the next run."""

from __future__ import annotations

import time

import pytest

from agent.sandbox import Inputs, Limits, Sandbox

TIMEOUT = 1.0
MARGIN = 2.0  # seconds past the deadline: the kill grace, a worker restart and a loaded machine


def outcome(sandbox: Sandbox, code: str, **kwargs: object) -> tuple[bool, object]:
    result = sandbox.run(code, **kwargs)  # type: ignore[arg-type]
    return result.ok, result.value if result.ok else (result.error.kind if result.error else None, result.error.message if result.error else "")


def test_buffer_past_the_memory_cap_is_a_memory_failure(sandbox: Sandbox) -> None:
    result = sandbox.run("export default Buffer.alloc(512 * 2 ** 20).length", limits=Limits(memory_mb=64))
    assert result.error is not None and result.error.kind == "memory"
    result = sandbox.run("export default Buffer.alloc(2 ** 33).length")
    assert result.error is not None and result.error.kind in ("runtime", "memory")
    assert sandbox.run('export default Buffer.from("ok").toString()').value == "ok"


def test_a_hash_of_100_mb_ends_within_the_time_limit(sandbox: Sandbox) -> None:
    code = 'import { createHash } from "node:crypto";\nexport default createHash("sha256").update("x".repeat(100 * 2 ** 20)).digest("hex");'
    started = time.monotonic()
    result = sandbox.run(code, limits=Limits(timeout=TIMEOUT, memory_mb=512))
    assert time.monotonic() - started < TIMEOUT + MARGIN
    assert result.error is not None and result.error.kind in ("timeout", "memory")
    assert sandbox.run('import { createHash } from "node:crypto";\nexport default createHash("md5").update("").digest("hex");').value == \
        "d41d8cd98f00b204e9800998ecf8427e"


PATHS = [
    '"../etc/passwd"', '"/etc/passwd"', '"/inputs/../etc/passwd"', '"/inputs/../../etc/passwd"', '"../../../../../../etc/passwd"',
    'new URL("file:///etc/passwd")', '"file:///etc/passwd"', 'Buffer.from("/etc/passwd")', '"/proc/self/environ"', '"/proc/self/cmdline"',
    '"orders.json/../../etc/passwd"', '"./orders.json\\u0000.txt"', '"/inputs/orders.json\\u0000"', '"~/.ssh/id_rsa"', '"/"', '".."',
    'new URL("file:///inputs/../etc/passwd")', '"%2e%2e/etc/passwd"', '"\\\\etc\\\\passwd"',
]


@pytest.mark.parametrize("path", PATHS)
def test_fs_never_reads_outside_the_inputs(sandbox: Sandbox, path: str) -> None:
    inputs = Inputs({"orders": [1, 2]})
    for reader in ["fs.readFileSync(p, 'utf8')", "fs.readdirSync(p).join(',')", "fs.statSync(p).size", "await fs.promises.readFile(p, 'utf8')"]:
        code = f'import fs from "node:fs";\nconst p = {path};\nexport default String({reader});'
        ok, got = outcome(sandbox, code, inputs=inputs)
        if ok:
            # only the virtual folder and its parents can be read: nothing of the host
            assert got in ("inputs", "orders.json", "4096"), (path, reader, got)
        else:
            assert isinstance(got, tuple) and got[0] == "runtime", (path, reader, got)
            assert "root:" not in got[1] and "PATH=" not in got[1]


def test_nul_bytes_are_refused_as_node_refuses_them(sandbox: Sandbox) -> None:
    ok, got = outcome(sandbox, 'import fs from "node:fs";\nlet code;\ntry { fs.readFileSync("orders.json\\u0000x") } catch (e) { code = e.code }\nexport default code;',
                      inputs=Inputs({"orders": [1]}))
    assert ok and got == "ERR_INVALID_ARG_VALUE"


def test_the_root_shows_only_the_virtual_folder(sandbox: Sandbox) -> None:
    ok, got = outcome(sandbox, 'import fs from "node:fs";\nexport default [fs.readdirSync("/"), fs.existsSync("/etc/passwd"), fs.existsSync("/tmp")];')
    assert ok and got == [["inputs"], False, False]


POLLUTERS = [
    'import util from "node:util";\nutil.inspect(JSON.parse(\'{"__proto__": {"polluted": 1}, "a": {"__proto__": {"polluted": 1}}}\'), { depth: 5, showHidden: true });',
    'structuredClone(JSON.parse(\'{"__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 1}}}\'));',
    'import qs from "node:querystring";\nqs.parse("__proto__[polluted]=1&__proto__=x&constructor[prototype][polluted]=1&a[__proto__][polluted]=1");',
    'import util from "node:util";\nutil.format("%o %O %j", JSON.parse(\'{"__proto__": {"polluted": 1}}\'), JSON.parse(\'{"__proto__": {"polluted": 1}}\'), {});',
    'import { isDeepStrictEqual } from "node:util";\nisDeepStrictEqual(JSON.parse(\'{"__proto__": {"polluted": 1}}\'), {});',
]


@pytest.mark.parametrize("polluter", POLLUTERS)
def test_no_prototype_pollution(sandbox: Sandbox, polluter: str) -> None:
    code = polluter + "\nexport default [({}).polluted, Object.prototype.polluted, [].polluted, Object.keys(Object.prototype)];"
    ok, got = outcome(sandbox, code)
    assert ok and got == [None, None, None, []], got


def test_structured_clone_keeps_a_proto_key_an_own_property(sandbox: Sandbox) -> None:
    code = ('const c = structuredClone(JSON.parse(\'{"__proto__": {"x": 1}}\'));\n'
            'export default [Object.getPrototypeOf(c) === Object.prototype, Object.keys(c), c.x];')
    assert outcome(sandbox, code) == (True, [True, ["__proto__"], None])


@pytest.mark.parametrize("attempt", [
    'process.env.SECRET = "1"', 'delete process.env.PATH', 'Object.defineProperty(process.env, "X", { value: 1 })',
    'process.platform = "win32"', 'process.exit(0)', 'process.chdir("/")', 'process.env = { X: 1 }',
])
def test_process_is_frozen(sandbox: Sandbox, attempt: str) -> None:
    for code in [f'{attempt};\nexport default [process.platform, Object.keys(process.env).length];',  # a module: strict
                 f'{attempt};\n[process.platform, Object.keys(process.env).length]']:  # a script: sloppy
        ok, got = outcome(sandbox, code)
        assert (ok and got == ["linux", 0]) or (not ok and isinstance(got, tuple) and got[0] == "runtime"), (code, got)
    assert outcome(sandbox, "export default Object.isFrozen(process) && Object.keys(process.env).length === 0") == (True, True)


def test_nothing_of_a_modules_state_reaches_the_next_run(sandbox: Sandbox) -> None:
    spoil = ('import crypto from "node:crypto";\nimport path from "node:path";\nimport util from "node:util";\n'
             'crypto.createHash = () => "spoiled";\npath.join = () => "spoiled";\nutil.format = () => "spoiled";\n'
             'Buffer.prototype.toString = () => "spoiled";\nglobalThis.leak = 1;\nexport default 1;')
    check = ('import crypto from "node:crypto";\nimport path from "node:path";\nimport util from "node:util";\n'
             'export default [typeof crypto.createHash("md5"), path.join("a", "b"), util.format("%d", 1), Buffer.from("x").toString(), typeof leak];')
    for _ in range(4):  # every worker of the pool
        assert outcome(sandbox, spoil) == (True, 1)
        assert outcome(sandbox, check) == (True, ["object", "a/b", "1", "x", "undefined"])


def test_randomness_is_new_in_every_run(sandbox: Sandbox) -> None:
    code = 'import { randomBytes } from "node:crypto";\nexport default [randomBytes(16).toString("hex"), crypto.randomUUID(), crypto.getRandomValues(new Uint32Array(2)).join()];'
    seen = [outcome(sandbox, code)[1] for _ in range(6)]
    for column in range(3):
        values = [row[column] for row in seen]  # type: ignore[index]
        assert len(set(values)) == len(values), values


def test_many_uuids_are_distinct(sandbox: Sandbox) -> None:
    ok, got = outcome(sandbox, "const s = new Set();\nfor (let i = 0; i < 5000; i++) s.add(crypto.randomUUID());\nexport default s.size;")
    assert ok and got == 5000


def test_the_registry_hands_out_only_the_public_modules(sandbox: Sandbox) -> None:
    for name in ["random", "registry", "hashes", "web"]:
        ok, got = outcome(sandbox, f'"node:path";\nexport default __jsolve_node("{name}");')
        assert not ok and isinstance(got, tuple) and "Cannot find module" in got[1]
    ok, got = outcome(sandbox, 'import fs from "fs";\n"use strict";\n__jsolve_node.extra = 1;\nexport default [Object.isFrozen(__jsolve_node), __jsolve_node.extra];')
    assert (ok and got == [True, None]) or not ok


def test_an_abort_timeout_past_the_deadline_is_the_runs_timeout(sandbox: Sandbox) -> None:
    started = time.monotonic()
    result = sandbox.run("const s = AbortSignal.timeout(10 ** 9);\nawait new Promise((r) => s.addEventListener('abort', r));\nexport default 1;",
                         limits=Limits(timeout=TIMEOUT))
    assert time.monotonic() - started < TIMEOUT + MARGIN
    assert result.error is not None and result.error.kind == "timeout"


def test_random_bytes_past_the_cap_are_refused(sandbox: Sandbox) -> None:
    ok, got = outcome(sandbox, 'import { randomBytes } from "node:crypto";\nexport default randomBytes(2 ** 32).length;')
    assert not ok and isinstance(got, tuple) and got[0] in ("runtime", "memory")
    ok, got = outcome(sandbox, "export default crypto.getRandomValues(new Uint8Array(65537)).length;")
    assert not ok and isinstance(got, tuple) and "65536" in got[1]


def test_modules_that_do_not_fit_the_memory_cap_are_the_runs_memory_failure(sandbox: Sandbox) -> None:
    code = ('import util from "node:util";\nimport assert from "node:assert";\nimport crypto from "node:crypto";\n'
            'export default util.format("%d", 1) + crypto.createHash("md5").update("").digest("hex");')
    for memory_mb in (1, 2):  # the modules fail to compile at once (1), or the ones compiled on first use do (2)
        result = sandbox.run(code, limits=Limits(memory_mb=memory_mb))
        assert result.error is not None and result.error.kind == "memory", memory_mb
    names = sandbox.run('import util from "node:util";\nexport default Object.getOwnPropertyNames(globalThis).filter((n) => n.startsWith("__jsolve_later"));',
                        limits=Limits(memory_mb=1))
    assert names.error is not None or names.value == []
    assert sandbox.run(code).value == "1d41d8cd98f00b204e9800998ecf8427e"
