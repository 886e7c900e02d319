"""Node's built-in modules in the sandbox: how code imports them (`node:X` and `X`, static and
dynamic), that a run gets only what its code names, the globals, fs over the inputs, and the
`policy` failure of every other module (in the worker and in the check before a run)."""

from __future__ import annotations

import pytest

from agent.core.validate import prevalidate
from agent.sandbox import Inputs, Sandbox
from agent.sandbox.worker import node
from agent.sandbox.worker.imports import import_builtins


def value(sandbox: Sandbox, code: str, **kwargs: object) -> object:
    result = sandbox.run(code, **kwargs)  # type: ignore[arg-type]
    assert result.ok, result.error
    return result.value


def failure(sandbox: Sandbox, code: str, **kwargs: object) -> tuple[str, str]:
    result = sandbox.run(code, **kwargs)  # type: ignore[arg-type]
    assert not result.ok and result.error is not None, result.value
    return result.error.kind, result.error.message


SHA256_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


@pytest.mark.parametrize("code", [
    'import { createHash } from "node:crypto";\nexport default createHash("sha256").update("abc").digest("hex");',
    'import crypto from "crypto";\nexport default crypto.createHash("sha256").update("abc").digest("hex");',
    'import * as c from "node:crypto";\nexport default c.createHash("sha256").update("abc").digest("hex");',
    'import c, { createHash as h } from "crypto";\nexport default c.createHash === h && h("sha256").update("abc").digest("hex");',
    'const { createHash } = await import("node:crypto");\nexport default createHash("sha256").update("abc").digest("hex");',
    'const c = await import("crypto");\nexport default c.default.createHash("sha256").update("abc").digest("hex");',
    'import {\n  createHash,\n} from "node:crypto";\nexport default createHash("sha256").update("abc").digest("hex");',
])
def test_every_import_form_reaches_the_module(sandbox: Sandbox, code: str) -> None:
    assert value(sandbox, code) == SHA256_ABC


def test_a_module_without_exports_stays_a_module_after_its_imports_are_rewritten(sandbox: Sandbox) -> None:
    # top-level await needs a module: the import was what made it one
    result = sandbox.run('import { setTimeout as sleep } from "node:timers/promises";\nawait sleep(1);\nconsole.log("x")')
    assert result.error is not None and result.error.kind == "contract" and [entry.text for entry in result.logs] == ["x"]


def test_rewriting_keeps_every_later_line_number(sandbox: Sandbox) -> None:
    code = 'import {\n  createHash\n} from "node:crypto";\nconst x = 1;\nnull.boom;\nexport default x;'
    result = sandbox.run(code)
    assert result.error is not None and result.error.line == 5


def test_imports_in_strings_comments_and_properties_are_left_alone() -> None:
    code = '// import x from "net"\nconst s = "import y from \'fs\'";\nconst o = { import: (m) => m };\nexport default o.import("fs");'
    assert import_builtins(code) == (code, None)


def test_an_export_the_module_does_not_have_is_nodes_syntax_error(sandbox: Sandbox) -> None:
    kind, message = failure(sandbox, 'import { nope } from "node:path";\nexport default 1;')
    assert kind == "runtime" and message == "The requested module 'node:path' does not provide an export named 'nope'"


@pytest.mark.parametrize("module", ["child_process", "node:net", "worker_threads", "vm", "module", "./local.js", "lodash", "path/glob"])
def test_any_other_module_is_a_policy_failure_naming_the_ones_that_exist(sandbox: Sandbox, module: str) -> None:
    kind, message = failure(sandbox, f'import x from "{module}";\nexport default 1;')
    assert kind == "policy" and repr(module) in message and "crypto" in message and "fs/promises" in message
    failed = prevalidate(f'import x from "{module}";\nexport default 1;')
    assert failed is not None and failed.kind == "policy" and "crypto" in failed.message


@pytest.mark.parametrize("module", ["node:http", "https", "node-fetch", "axios", "node:fetch"])
def test_an_import_of_a_request_library_says_what_to_use_instead(module: str) -> None:
    code = f'import {{ get }} from "{module}";\nexport default 1;'
    with_network, without = prevalidate(code, network=True), prevalidate(code, network=False)
    assert with_network is not None and with_network.kind == "policy" and repr(module) in with_network.message
    assert "`fetch` is a global here, call `await fetch(url)` without importing anything" in with_network.message
    assert without is not None and without.kind == "policy" and "the network is off for this task" in without.message


def test_a_dynamic_import_of_another_module_fails_loudly_too(sandbox: Sandbox) -> None:
    kind, message = failure(sandbox, 'const m = await import("child_process");\nexport default 1;')
    assert kind == "policy" and "'child_process'" in message and "crypto" in message


def test_the_check_before_a_run_accepts_the_built_ins_and_process() -> None:
    for code in ['import { join } from "node:path";\nexport default join("a", "b");', 'import fs from "fs";\nexport default 1;',
                 'const m = await import("node:util");\nexport default 1;', "export default process.platform;"]:
        assert prevalidate(code) is None, code
    failed = prevalidate('const fs = require("fs");\nexport default 1;')
    assert failed is not None and "node:crypto" in failed.message


def test_a_run_that_names_nothing_of_node_gets_nothing_of_it(sandbox: Sandbox) -> None:
    names = value(sandbox, "export default Object.getOwnPropertyNames(globalThis)")
    assert isinstance(names, list) and not {"__jsolve_node", "Buffer", "structuredClone", "AbortController", "EventTarget"} & set(names)
    assert node.script("export default 1 + 1", "00" * 32) is None


def test_globals_are_there_when_named(sandbox: Sandbox) -> None:
    assert value(sandbox, 'export default [Buffer.from("hi").toString("hex"), typeof process.nextTick, global === globalThis, typeof setImmediate]') == [
        "6869", "function", True, "function"]


def test_only_the_modules_named_are_compiled() -> None:
    _, modules, globals_ = node.needed('import { join } from "node:path"')
    assert modules == ["path"] and not globals_
    _, modules, globals_ = node.needed('import { createHash } from "crypto"; Buffer')
    assert set(modules) == {"buffer", "hashes", "crypto"} and globals_ == ["Buffer"]


def test_fs_reads_the_inputs_by_file_name(sandbox: Sandbox) -> None:
    inputs = Inputs({"orders": [{"id": 1}], "notes": "a\nb"})
    code = ('import fs from "node:fs";\nexport default [fs.readdirSync("."), JSON.parse(fs.readFileSync("orders.json", "utf8")), '
            'fs.readFileSync("/inputs/notes.txt", "utf8"), fs.existsSync("nope.json"), process.cwd()];')
    assert value(sandbox, code, inputs=inputs) == [["notes.json", "notes.txt", "orders.json"], [{"id": 1}], "a\nb", False, "/inputs"]


def test_a_missing_file_names_the_inputs(sandbox: Sandbox) -> None:
    kind, message = failure(sandbox, 'import { readFileSync } from "node:fs";\nexport default readFileSync("data.csv", "utf8");',
                            inputs=Inputs({"rows": [1]}))
    assert kind == "runtime" and message.startswith("ENOENT: no such file or directory, open 'data.csv'") and "/inputs/rows.json" in message


def test_writing_a_file_fails_and_says_what_to_do(sandbox: Sandbox) -> None:
    kind, message = failure(sandbox, 'import { writeFileSync } from "node:fs";\nwriteFileSync("out.json", "{}");\nexport default 1;')
    assert kind == "runtime" and message.startswith("EROFS") and "export default" in message


def test_crypto_offers_what_it_lacks_loudly(sandbox: Sandbox) -> None:
    kind, message = failure(sandbox, 'import { createCipheriv } from "node:crypto";\nexport default createCipheriv("aes-256-cbc", "k", "iv");')
    assert kind == "runtime" and "createCipheriv is not available" in message and "createHash" in message


def test_text_decoder_reads_nodes_other_encodings_and_refuses_the_rest(sandbox: Sandbox) -> None:
    assert value(sandbox, 'export default new TextDecoder("utf-16le").decode(Uint8Array.of(0x68, 0, 0x69, 0))') == "hi"
    kind, message = failure(sandbox, 'export default new TextDecoder("gbk").decode(Uint8Array.of(0x41))')
    assert kind == "runtime" and "gbk" in message and "utf-16le" in message


def test_next_tick_runs_before_an_earlier_timer_and_after_promises(sandbox: Sandbox) -> None:
    code = ('const order = [];\nsetTimeout(() => order.push("timeout"), 0);\nprocess.nextTick(() => order.push("tick"));\n'
            'Promise.resolve().then(() => order.push("promise"));\nawait new Promise((r) => setTimeout(r, 5));\nexport default order;')
    assert value(sandbox, code) == ["promise", "tick", "timeout"]


def test_an_error_inside_a_module_is_placed_at_the_codes_line(sandbox: Sandbox) -> None:
    result = sandbox.run("const b = Buffer.alloc(2);\nfunction f() {\n  return b.readUInt32BE(0);\n}\nexport default f();")
    assert result.error is not None and (result.error.line, result.error.column) == (3, 12)
    assert result.error.stack is not None and str(node.FIRST_LINE // 10) not in result.error.stack
    checked = sandbox.run('export default (s) => Buffer.from(s, "nope");', check="value('x'); return 1;")
    assert checked.error is not None and checked.error.kind == "check" and "Unknown encoding" in checked.error.message


def test_a_re_export_of_a_built_in_says_how_to_import_it(sandbox: Sandbox) -> None:
    kind, message = failure(sandbox, 'export { join } from "node:path";\nexport default 1;')
    assert kind == "policy" and 'import { name } from "node:path"' in message
