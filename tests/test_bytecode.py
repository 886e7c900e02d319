"""The worker's compiled bundles (agent/sandbox/worker/bytecode.py): the engine's bytecode path is
the one this binding takes, a script run from bytecode behaves as its source does (values, errors,
line numbers, function sources, the memory cap), and nothing is shared between contexts but the
compiled code."""

from __future__ import annotations

import re

import _quickjs as quickjs
import pytest

from agent.sandbox import Limits, Sandbox
from agent.sandbox.worker import bytecode, intl, node

SCRIPT = """var counter = (globalThis.counter ?? 0) + 1;
function where() { return new Error("here").stack; }
function twice(x) { return 2 * x; }
var made = { list: [1, 2, 3], text: "héllo ☃" };"""


def test_the_pinned_binding_takes_the_bytecode_path() -> None:
    # If this fails, every run still works, from source, at the cost this module exists to save.
    assert bytecode.available()


def test_a_script_from_bytecode_behaves_as_its_source() -> None:
    from_source, first, second = quickjs.Context(), quickjs.Context(), quickjs.Context()
    from_source.eval(SCRIPT)
    bytecode.evaluate(first, SCRIPT)  # compiled here
    bytecode.evaluate(second, SCRIPT)  # read from this worker's bytecode
    for ctx in (first, second):
        for probe in ("counter", "twice(21)", "JSON.stringify(made)", "twice.toString()", "where().split('\\n')[1]"):
            assert ctx.eval(probe) == from_source.eval(probe), probe


def test_contexts_share_the_code_not_the_state() -> None:
    first, second = quickjs.Context(), quickjs.Context()
    bytecode.evaluate(first, SCRIPT)
    first.eval("made.list.push(4); counter = 99; Object.prototype.polluted = 1")
    bytecode.evaluate(second, SCRIPT)
    assert second.eval("JSON.stringify([made.list, counter, typeof ({}).polluted])") == '[[1,2,3],1,"undefined"]'


def test_errors_are_raised_as_the_binding_raises_them() -> None:
    with pytest.raises(quickjs.JSException, match="TypeError: boom"):
        bytecode.evaluate(quickjs.Context(), 'throw new TypeError("boom");')
    with pytest.raises(quickjs.JSException, match="SyntaxError"):
        bytecode.evaluate(quickjs.Context(), "var = 1;")
    ctx = quickjs.Context()
    bytecode.evaluate(ctx, "var n = 0; var deep = () => { n++; return deep(); };")
    with pytest.raises(quickjs.JSException, match="stack"):
        ctx.eval("deep()")  # the engine's own guard holds for code read from bytecode


def test_a_bundle_past_the_memory_cap_fails_in_its_context_only() -> None:
    source = intl.bundle("canonical.js")
    bytecode.evaluate(quickjs.Context(), source)  # compiled (and kept) in a context without a cap
    small = quickjs.Context()
    small.set_memory_limit(1 << 20)
    with pytest.raises((quickjs.JSException, MemoryError)):
        bytecode.evaluate(small, source)
    ctx = quickjs.Context()
    bytecode.evaluate(ctx, source)
    assert ctx.eval('Intl.getCanonicalLocales("EN-us")[0]') == "en-US"


def test_node_modules_keep_their_lines_past_the_codes_own() -> None:
    ctx = quickjs.Context()
    bytecode.evaluate(ctx, node.factory_script("$make"))
    stack = ctx.eval("(() => { try { __jsolve_factories.$make(null); } catch (e) { return e.stack; } })()")
    lines = [int(n) for n in re.findall(r"<input>:(\d+)", stack)]
    assert lines and lines[0] >= node.FIRST_LINE, stack  # the frame in the registry's code: errors.py tells them from the code's by this


def test_runs_see_no_trace_of_the_compiled_factories(sandbox: Sandbox) -> None:
    code = ('import util from "node:util";\nimport { createHash } from "node:crypto";\n'
            'export default [Object.getOwnPropertyNames(globalThis).filter((n) => /^__jsolve_(factories|later)/.test(n)), '
            'util.format("%d", 7), createHash("md5").update("").digest("hex")];')
    first, second = sandbox.run(code), sandbox.run(code, limits=Limits(memory_mb=64))
    assert first.value == second.value == [[], "7", "d41d8cd98f00b204e9800998ecf8427e"]
