"""TypeScript erased in place (`agent.core.typescript`).

- Differential: every program of `typescript_corpus/programs/`, erased, gives under node the value
  that the TypeScript compiler's own output gives (`typescript_corpus/expected.json`, made by
  `typescript_corpus/make_expected.py`), and the same value in the sandbox.
- Positions: an error in erased code is reported at its line and column in the TypeScript.
- Unsupported syntax raises `TypeScriptUnsupported` at its place, saying what to write instead.
- JavaScript is never taken for TypeScript, and passes through unchanged.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from agent.core.failures import Failure
from agent.core.typescript import (
    TypeScriptUnsupported,
    erase_types,
    looks_like_typescript,
    to_javascript,
)
from agent.sandbox import Sandbox

CORPUS = Path(__file__).parent / "typescript_corpus"
PROGRAMS = sorted((CORPUS / "programs").glob("*.ts"))
EXPECTED: dict[str, Any] = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))["values"]
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed: the differential runs the erased programs under node")


def _run_under_node(modules: dict[str, str], folder: Path) -> dict[str, dict[str, Any]]:
    """Each module's default export (or error, with its line and column) under node, in one process."""
    for name, code in modules.items():
        (folder / f"{name}.mjs").write_text(code, encoding="utf-8")
    done = subprocess.run([NODE or "node", str(CORPUS / "run_modules.mjs"), str(folder)], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout)


def _same_layout(typescript: str, javascript: str) -> bool:
    """Whether the two texts have the same lines, each of the same length in characters."""
    return [len(line) for line in typescript.split("\n")] == [len(line) for line in javascript.split("\n")]


# -- the differential corpus -------------------------------------------------------------------


def test_corpus_is_complete() -> None:
    assert len(PROGRAMS) >= 40
    assert {p.stem for p in PROGRAMS} == set(EXPECTED), "run typescript_corpus/make_expected.py after changing the programs"


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.stem)
def test_corpus_program_is_typescript_and_keeps_its_layout(program: Path) -> None:
    source = program.read_text(encoding="utf-8")
    assert looks_like_typescript(source)
    erased = erase_types(source)
    assert _same_layout(source, erased)
    assert to_javascript(source) == erased


@needs_node
def test_erased_corpus_gives_the_reference_values_under_node(tmp_path: Path) -> None:
    results = _run_under_node({p.stem: erase_types(p.read_text(encoding="utf-8")) for p in PROGRAMS}, tmp_path)
    wrong = {name: (result, EXPECTED[name]) for name, result in results.items() if result.get("value", result) != EXPECTED[name]}
    assert not wrong


def test_erased_corpus_gives_the_reference_values_in_the_sandbox(sandbox: Sandbox) -> None:
    wrong = {}
    for program in PROGRAMS:
        result = sandbox.run(erase_types(program.read_text(encoding="utf-8")))
        if not result.ok or result.value != EXPECTED[program.stem]:
            wrong[program.stem] = (result.error or result.value, EXPECTED[program.stem])
    assert not wrong


# -- positions ---------------------------------------------------------------------------------

MISSING = re.compile(r"\bmissing\w*")
"""The name each position program reads without declaring it: the engine's ReferenceError points
at it, in the TypeScript as in the erased code."""

POSITION_PROGRAMS = {
    "after_annotations": 'const a: number = 1;\nlet b: string[] = ["x"];\nexport default a + missingOne;\n',
    "same_line": 'const total: Record<string, number> = { a: 1 }; const t: number = total.a + missingSameLine;\nexport default t;\n',
    "after_interface": "interface Row {\n  id: number;\n  name?: string;\n}\ntype Alias = Row[];\nconst rows: Alias = [];\nexport default rows.length + missingAfter;\n",
    "typed_function": "function f(a: number, b?: string): number { return a + missingInFunction; }\nexport default f(1);\n",
    "after_as": "const x: unknown = { y: 2 };\nconst q = (x as { y: number }).y satisfies number; export default q + missingAfterAs;\n",
    # Characters outside ASCII only in the types: the sandbox's engine counts the columns of a line in
    # UTF-8 bytes, so that the erased line, all ASCII, shows whether a type's characters became as many spaces.
    "unicode_type": 'const s: "é" | "日本語" = "\\u00e9"; const n: Array<"ü"> = []; export default s + missingUnicode;\n',
    "class_member": "class K<T> implements Iterable<T> {\n  private readonly items: T[] = [];\n  public size(this: K<T>): number { return this.items.length + missingMember; }\n"
                    "  *[Symbol.iterator](): Iterator<T> { yield* this.items; }\n}\nexport default new K<number>().size();\n",
    "multiline_return": "const g = (a: number): Array<\n  number\n> => [a, missingArrow];\nexport default g(1);\n",
    "multiline_generics": "const h = async <\n  T\n>(v: T): Promise<T> => v;\nexport default (await h<number>(1)) + missingGeneric;\n",
    "after_overloads": "function p(x: string): string;\nfunction p(x: number): number;\nfunction p(x: any): any { return x; }\n"
                       "export default p(1) + p(missingOverload as number);\n",
    "removed_statements_no_semicolons": "let v = 1\ntype T = number\ninterface I { a: T }\nexport default v + missingNoSemicolon\n",
}


def _marker(source: str) -> tuple[int, int]:
    found = MISSING.search(source)
    assert found is not None
    line_start = source.rfind("\n", 0, found.start()) + 1
    return source.count("\n", 0, found.start()) + 1, found.start() - line_start + 1


@pytest.mark.parametrize("name", sorted(POSITION_PROGRAMS))
def test_runtime_error_points_at_the_typescript_line_and_column(sandbox: Sandbox, name: str) -> None:
    source = POSITION_PROGRAMS[name]
    assert looks_like_typescript(source)
    erased = to_javascript(source)
    assert isinstance(erased, str) and _same_layout(source, erased)
    result = sandbox.run(erased)
    assert result.error is not None and result.error.name == "ReferenceError", result
    assert (result.error.line, result.error.column) == _marker(source)


@needs_node
def test_runtime_errors_point_at_the_typescript_line_and_column_under_node(tmp_path: Path) -> None:
    erased = {name: erase_types(source) for name, source in POSITION_PROGRAMS.items()}
    results = _run_under_node(erased, tmp_path)
    places = {name: (result["error"]["line"], result["error"]["column"]) for name, result in results.items()}
    assert places == {name: _marker(source) for name, source in POSITION_PROGRAMS.items()}


SYNTAX_ERRORS = {
    "after_types": ("const a: number = 1;\nconst b: string = (1 +;\nexport default a;\n", 2, 23),
    "inside_typed_function": ("function f(x: number): number {\n  return x * ;\n}\nexport default f(2);\n", 2, 14),
}
"""TypeScript with a syntax error of its own: erased still, so that the engine names it at its place
(not at the first `:` of a type, as it would in the code as written)."""


@pytest.mark.parametrize("name", sorted(SYNTAX_ERRORS))
def test_syntax_error_in_typescript_points_at_its_place(sandbox: Sandbox, name: str) -> None:
    source, line, column = SYNTAX_ERRORS[name]
    assert looks_like_typescript(source)
    erased = to_javascript(source)
    assert isinstance(erased, str) and _same_layout(source, erased)
    result = sandbox.run(erased)
    assert result.error is not None and result.error.kind == "syntax", result
    assert (result.error.line, result.error.column) == (line, column)


# -- unsupported syntax ------------------------------------------------------------------------

UNSUPPORTED = [
    ("enum", "const a = 1;\nenum Color { Red, Green }\nexport default Color.Red;\n", 2, 1, "enums are not supported"),
    ("const enum", "const enum Flag { On = 1 }\nexport default Flag.On;\n", 1, 1, "use a const object"),
    ("exported enum", "export enum E { A }\nexport default 1;\n", 1, 8, "enums are not supported"),
    ("namespace", "let x = 1;\n  namespace N { export const v = 1; }\nexport default N.v;\n", 2, 3, "namespace with values"),
    ("nested namespace", "namespace A.B { export function f() { return 1; } }\nexport default 1;\n", 1, 1, "namespace with values"),
    ("module", "module M { export let v = 2; }\nexport default 1;\n", 1, 1, "namespace with values"),
    ("parameter property", "class P {\n  constructor(private x: number, y: string) {}\n}\nexport default 1;\n", 2, 15, "parameter properties"),
    ("readonly parameter property", "class P {\n  constructor(readonly x: number) {}\n}\nexport default 1;\n", 2, 15, "assign it in the constructor"),
    ("import require", 'const a: number = 1;\nimport fs = require("fs");\nexport default a;\n', 2, 1, "import x = require"),
    ("import alias", "namespace N { export type T = 1 }\nimport Z = N.T;\nexport default 1;\n", 2, 1, "const x = a.b"),
    ("export equals", "const k: number = 1;\nexport = k;\n", 2, 1, "export default"),
    ("legacy cast", "const v: unknown = 1;\nconst n = 2 * <number>v;\nexport default n;\n", 2, 15, "value as T"),
    ("regrouping as", "const a: number = 1;\nexport default a + 1 as number * 2;\n", 2, 16, "parentheses"),
    ("regrouping nullish", "const a: any = null;\nexport default a ?? 1 as any || 2;\n", 2, 16, "parentheses"),
    ("as continued on the next line", "const a: any = [1];\nconst b = a as number[]\n[0].toString();\nexport default b;\n", 2, 11, "with `;`"),
]


@pytest.mark.parametrize(("name", "source", "line", "column", "words"), UNSUPPORTED, ids=[case[0] for case in UNSUPPORTED])
def test_unsupported_syntax_says_where_and_what_to_write(name: str, source: str, line: int, column: int, words: str) -> None:
    with pytest.raises(TypeScriptUnsupported) as raised:
        erase_types(source)
    assert (raised.value.line, raised.value.column) == (line, column)
    assert words in raised.value.message
    assert isinstance(raised.value, ValueError)
    failure = to_javascript(source)
    assert isinstance(failure, Failure)
    assert (failure.kind, failure.line, failure.column, failure.message) == ("syntax", line, column, raised.value.message)


def test_erasable_declarations_are_not_unsupported() -> None:
    source = ("declare enum D { A }\ndeclare namespace N { const v: number }\nnamespace T { export type X = 1; export interface Y {} }\n"
              "declare module \"m\" { export const v: number }\nclass C { constructor(x: number, public_y?: string) {} }\nexport default 1;\n")
    erased = erase_types(source)
    assert _same_layout(source, erased)
    assert "enum" not in erased and "namespace" not in erased and "module" not in erased


# -- JavaScript passes through -----------------------------------------------------------------

JAVASCRIPT = [
    "const a = 1, b = 2, c = 3;\nexport default a < b > c;\n",
    "const f = 1, T = 2, x = 3;\nexport default f<T>(x);\n",
    "const re = /a<b>:c?/g;\nexport default 'x a<b>:c y'.replace(re, '!');\n",
    "const o = { a: { b: null } };\nexport default [o?.a?.b ?? 'none', o.z?.(1) ?? 0, o?.['a']];\n",
    "const cond = true, b = 1;\nexport default cond ? (b) : (c) => c;\n",
    "class A { #x = 1; static y = 2; get x() { return this.#x; } *g() { yield 1; } }\nexport default [new A().x, A.y];\n",
    "// let x: number = 1; interface I {}\n/* type T = string; */\nconst s = 'a: string, b?: number';\nexport default `${s} as any`;\n",
    "outer: for (const i of [1, 2]) { for (const j of [3]) { if (j) continue outer; } }\nexport default { type: 1, interface: 2, as: 3, declare: 4 };\n",
    "const type = 1, as = 2, satisfies = 3;\nlet declare = type + as + satisfies;\nexport default declare;\n",
    "async function main() { const r = await Promise.resolve({ a: [1, 2] }); return r.a.map((x) => x ** 2); }\nexport default await main();\n",
    "const a = [1, 2, 3]\nconst b = a.map(x => x * 2)\n;[a, b].forEach(v => v.reverse())\nexport default { a, b }\n",
    "function f(a = 1, { b, c: [d] } = { b: 2, c: [3] }, ...rest) { return a + b + d + rest.length; }\nexport default f();\n",
    "const x = 5;\nlet y = x != 5 && !x;\nexport default y;\n",
    "label: { break label; }\nexport default (1, 2) < (3) > 0;\n",
    "const obj = { a: 1, 'b': 2, [`c`]: 3, async *d() {}, get e() { return 5; } };\nexport default Object.keys(obj);\n",
    "export default 1 < 2 ? 'yes' : 'no';\n",
    "const text = `<T>(x: T): T => x`;\nexport default text.length;\n",
    "let x = 1;\nlet y = (1 +;\nexport default x;\n",
]
"""JavaScript, some of it with what looks like TypeScript (`a < b > c`, regexes, `?.`, `??`,
words like `type` and `as` as names, types in strings and comments), and one with a syntax error
of its own."""


@pytest.mark.parametrize("code", JAVASCRIPT, ids=range(len(JAVASCRIPT)))
def test_javascript_is_not_taken_for_typescript(code: str) -> None:
    assert not looks_like_typescript(code)
    assert to_javascript(code) is code


def test_erasing_javascript_changes_nothing() -> None:
    for code in JAVASCRIPT:
        if "f<T>(x)" not in code:  # a generic call to TypeScript: `looks_like_typescript` keeps it as JavaScript
            assert erase_types(code) == code


# -- the rules, one by one ---------------------------------------------------------------------

RULES = [
    ("let x: string;", "let x        ;"),
    ("class C<T> extends Array<T> implements I {}", "class C    extends Array                 {}"),
    ("function m<T>(this: T, a?: string): void {}", "function m   (         a         )       {}"),
    ("a\ntype T = 1\n(b)", "a\n;         \n(b)"),
    ("x = y as T\n(b)", "x = y;    \n(b)"),
    ("let v = o!.p!;", "let v = o .p ;"),
    ("let d!: number;", "let d         ;"),
    ('import type { A } from "a";\nimport { type B, c } from "b";', '                           \nimport {         c } from "b";'),
    ('import { type B, type C } from "b";', "                                   "),
    ("export { type A, b };", "export {         b };"),
    ("class K { x = 1\n  public [k] = 2 }", "class K { x = 1\n  ;      [k] = 2 }"),
    ("class K { declare a: number; abstract b(): void; c?(): void; static readonly d?: number }",
     "class K {                  ;                   ;           ; static          d          }"),
    ("let f = (a: string): Array<\n  string\n> => [a];", "let f = (a                 \n        \n) => [a];"),
    ("let f = async <\n  T\n>(v: T) => v;", "let f = async (\n   \n  v   ) => v;"),
    ("const s = new Set<number>(), g = f<string>;", "const s = new Set        (), g = f        ;"),
    ("function p(x: string): string;\nfunction p(x: any) { return x; }", "                              \nfunction p(x     ) { return x; }"),
    ("abstract class A { private override m(): void {} }", "         class A {                  m()       {} }"),
    ("try {} catch (e: unknown) {}", "try {} catch (e         ) {}"),
    ("const r = { a: 1 } satisfies R;", "const r = { a: 1 }            ;"),
]
"""Small TypeScript inputs and their exact output: the ts-blank-space rules."""


@pytest.mark.parametrize(("typescript", "javascript"), RULES, ids=range(len(RULES)))
def test_rule(typescript: str, javascript: str) -> None:
    assert erase_types(typescript) == javascript
