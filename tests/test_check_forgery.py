"""A function under test runs while its check calls it, and can change any built-in then. What it
changes must not reach how the check's value is read and reported: a wrong function still fails
its hidden tests, the table of shown calls it votes with shows what it really gave, and its stack
names nothing of the check."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from agent.evals.datasets import function_check
from agent.evals.suite import Case, judge
from agent.sandbox import Limits, Sandbox

CALLS = ["square(3)", "square(4)"]
TABLE = function_check("square", CALLS)
REAL = {"square(3)": "10", "square(4)": "17"}  # what the wrong function gives
RIGHT_TABLE = {"square(3)": "9", "square(4)": "16"}
HIDDEN = Case(id="square", category="t", instruction="square", compare="tests", check=TABLE, calls=CALLS,
              grade="console.assert(square(3) === 9);\nconsole.assert(square(5) === 25);")
RIGHT = "function square(x) { return x * x; }\nexport default square;"
_FORGED_REPORT = "{ logs: [], cut: 0, value: FORGED, bigints: [] }"

# What a wrong function (x * x + 1) does while it is called, each to make its check report what a
# right one would: the report's text, the table's entries, or the value of `value(3) === 9`.
ATTACKS = {
    "stringify": "JSON.stringify = () => FORGED;",
    "report-toJSON": f"Object.prototype.toJSON = function () {{ return this.logs ? {_FORGED_REPORT} : this; }};",
    "report-toJSON-frozen": "Object.defineProperty(Object.prototype, 'toJSON', { value: function () { return this.logs ? "
                            f"{_FORGED_REPORT} : this; }}, configurable: false }});",
    "keys-map": "Object.getPrototypeOf = () => { throw new TypeError('slow path'); }; Object.keys = () => ['square(3)', 'square(4)'];"
                " Array.prototype.map = function () { return [['square(3)', '9'], ['square(4)', '16']]; };"
                " Array.prototype.join = () => ''; Array.prototype.push = () => 0;",
    "setters": "Object.getPrototypeOf = () => { throw new TypeError('slow path'); };"
               " for (const k of ['square(3)', 'square(4)']) Object.defineProperty(Object.prototype, k, { configurable: true,"
               " set(v) { Object.defineProperty(this, k, { value: k === 'square(3)' ? '9' : '16',"
               " enumerable: true, writable: true, configurable: true }); } });",
    "strings": "String.prototype.slice = String.prototype.repeat = String.prototype.concat = () => 'forged';"
               " String.prototype.toString = String.prototype.valueOf = () => 'forged'; String.prototype.toJSON = () => 'forged';"
               " RegExp.prototype.test = RegExp.prototype.exec = () => null;",
}

CHECKS = {  # a check of the caller's, what the wrong function really makes it give, and what a forgery would
    "table": (TABLE, REAL, RIGHT_TABLE),
    "boolean": ("return value(3) === 9 && value(4) === 16;", False, True),
}


def _forged(value: object) -> str:
    return json.dumps(json.dumps(value))


@pytest.fixture(scope="module")
def one():
    """One worker, so every run after an attack lands where the attack ran."""
    with Sandbox(1, limits=Limits(timeout=5.0, memory_mb=64)) as sb:
        yield sb


def _wrong(attack: str, forged: object) -> str:
    return (f"function square(x) {{ {attack.replace('FORGED', _forged(forged))} return x * x + 1; }}\n"
            "export default square;")


def _clean(sb: Sandbox) -> None:
    r = sb.run(RIGHT, check=TABLE)
    assert (r.ok, r.value) == (True, RIGHT_TABLE)
    r = sb.run("console.log('clean'); export default { n: [1, 2n] }")
    assert (r.ok, r.value, [e.text for e in r.logs]) == (True, {"n": [1, 2]}, ["clean"])


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("attack", ATTACKS)
def test_what_the_function_changes_while_called_does_not_forge_its_check(one, attack, check):
    source, real, forged = CHECKS[check]
    r = one.run(_wrong(ATTACKS[attack], forged), check=source)
    assert r.value != forged, "the check reported what a right function gives"
    if attack == "report-toJSON-frozen":  # left where the sandbox cannot take it away: the check fails
        assert r.error is not None and r.error.kind == "check" and "toJSON" in r.error.message, r.error
    else:
        assert (r.ok, r.value) == (True, real), r.error
    _clean(one)


@pytest.mark.parametrize("attack", ATTACKS)
def test_a_wrong_function_that_changes_built_ins_still_fails_its_hidden_tests(one, attack):
    for where in ("call", "load"):
        js = ATTACKS[attack].replace("FORGED", _forged(True))
        code = _wrong(js, True) if where == "call" else f"{js}\n{_wrong('', True)}"
        ok, why = asyncio.run(judge(HIDDEN, None, code, one))
        assert not ok and why and why.startswith("the tests failed"), (where, why)
    assert asyncio.run(judge(HIDDEN, None, RIGHT, one)) == (True, None)
    _clean(one)


@pytest.mark.parametrize(("source", "wrong", "real"), [
    # a BigInt is written out by the sandbox, not by BigInt.prototype.toString
    ("return BigInt(value(3));", "BigInt.prototype.toString = () => '9'; BigInt.prototype.toJSON = function () { return '9'; };", 10),
    # a check's array is not read through a toJSON the function put on Array.prototype
    ("return [value(3), value(4)];", "Array.prototype.toJSON = function () { return [9, 16]; };", [10, 17]),
    # nor a Set or Map through the iterators the function replaced
    ("return new Set([value(3)]);", "Set.prototype[Symbol.iterator] = Set.prototype.values = function* () { yield 9; };", [10]),
    ("return new Map([['a', value(3)]]);", ("Map.prototype[Symbol.iterator] = Map.prototype.entries = function* () { yield ['a', 9]; };"
                                           " Map.prototype.keys = function* () { yield 'a'; };"), {"a": 10}),
    # nor a Date through a replaced toISOString or toJSON
    ("return new Date(value(3) * 1000);", "Date.prototype.toISOString = Date.prototype.toJSON = () => '1970-01-01T00:00:09.000Z';",
     "1970-01-01T00:00:10.000Z"),
    # nor a RegExp through a replaced toString or source
    ("return new RegExp('a' + value(3));", ("RegExp.prototype.toString = () => '/a9/';"
                                            " Object.defineProperty(RegExp.prototype, 'source', { get: () => 'a9', configurable: true });"), "/a10/"),
    # nor written into arrays through index setters the function put on Array.prototype
    ("return [value(3), BigInt(value(4))];", ("for (const i of [0, 1]) Object.defineProperty(Array.prototype, i, { configurable: true,"
                                              " set(v) { Object.defineProperty(this, i, { value: 9, enumerable: true, writable: true }); } });"),
     [10, 17]),
    # nor as an Error or a Promise by a Symbol.hasInstance of the function's (a BigInt: read the long way)
    ("return { n: value(3), big: BigInt(value(4)) };",
     "for (const C of [Error, Promise]) Object.defineProperty(C, Symbol.hasInstance, { value: () => true, configurable: true });", {"n": 10, "big": 17}),
])
def test_the_checks_own_values_are_read_with_the_sandboxs_built_ins(one, source, wrong, real):
    r = one.run(_wrong(wrong, None), check=source)
    assert (r.ok, r.value) == (True, real), r.error
    _clean(one)


def test_a_getter_in_the_checks_value_cannot_change_how_the_rest_is_read(one):
    """The check returns the function's own object, whose getter runs while the value is read,
    next to values of the check's own."""
    check = "const own = value(3); return [own, [false], { ok: false }];"
    getter = "function square(x) {{ return {{ get a() {{ {} return 1; }} }}; }}\nexport default square;"
    r = one.run(getter.format("Array.prototype.toJSON = function () { return ['forged']; };"), check=check)
    assert r.value is None and r.error is not None and r.error.kind == "output" and "toJSON" in r.error.message, r.error
    r = one.run(getter.format("Object.getPrototypeOf = () => { throw new TypeError('slow path'); }; Object.keys = () => [];"
                              " Array.prototype.map = () => [['ok', true]]; Array.isArray = () => false;"), check=check)
    assert (r.ok, r.value) == (True, [{"a": 1}, [False], {"ok": False}]), r.error
    _clean(one)


_FRAME = re.compile(r"^\s*at (.*?)(?: \((.*)\))?$")


def test_the_stack_of_a_function_under_check_names_nothing_of_the_check(one):
    code = "function square(x) { return new Error('where').stack; }\nexport default square;"
    secret = "// expected: forty-two\n"
    for source in (TABLE, secret + "return value(3);", secret + "await null; return [value(3)][0];"):
        r = one.run(code, check=source)
        assert r.ok, r.error
        stacks = list(r.value.values()) if isinstance(r.value, dict) else [r.value]
        for stack in stacks:
            stack = json.loads(stack) if stack.startswith('"') else stack
            frames = [_FRAME.match(line) for line in stack.strip().split("\n")]
            assert frames[0] and frames[0][1] == "square", stack
            # apply (native) is Reflect.apply, which any caller may use; the rest has no name
            assert {m[1] for m in frames[1:]} <= {"apply", "<anonymous>"}, stack
            assert "jsolve" not in stack and "forty-two" not in stack


def test_the_function_cannot_reach_the_check_through_its_stack(one):
    """V8's prepareStackTrace hands a function the functions that called it: the check itself,
    whose source is the caller's and which could be started again with a check of the code's."""
    code = r"""
function square(x) {
  let seen = 'none';
  try {
    Error.prepareStackTrace = (e, frames) => frames;
    const frames = new Error().stack;
    for (const f of frames) {
      const fn = f.getFunction && f.getFunction();
      if (typeof fn === 'function' && fn !== square) { seen = String(fn); console.log(seen); }
      if (typeof fn === 'function' && /^function start/.test(String(fn)))
        fn(SOURCE, null, ['x'], [1], Promise.prototype.then, Reflect.apply);
    }
  } catch (e) { seen = e.name; }
  return x * x + 1;
}
export default square;""".replace("SOURCE", json.dumps(f"await null; await null; await null; await null; return {json.dumps(RIGHT_TABLE)};"))
    secret = "// expected: forty-two\n"
    r = one.run(code, check=secret + TABLE)
    assert (r.ok, r.value) == (True, REAL), r.error
    assert "forty-two" not in json.dumps(r.to_json())
    r = one.run("Error.prepareStackTrace = (e, frames) => frames; export default typeof new Error().stack")
    assert r.error is not None and r.error.kind == "runtime" and "prepareStackTrace" in r.error.message
    _clean(one)


def test_errors_of_a_checked_function_still_point_at_its_own_lines(one):
    r = one.run("function square(x) {\n  throw new RangeError('no');\n}\nexport default square;", check="value(3); return true;")
    assert r.error is not None and (r.error.kind, r.error.line) == ("check", 2)
    assert r.error.stack is not None and re.fullmatch(r"at square \(<input>:2:\d+\)", r.error.stack.strip()), r.error.stack
    r = one.run(RIGHT, check="\n\nnull.x;\nreturn true;")
    assert r.error is not None and r.error.kind == "check" and r.error.stack is None and r.error.line is None
    r = one.run("export default 3;", check="\nconst f = () => null.x;\nf();\nreturn true;")
    assert r.error is not None and r.error.kind == "check" and r.error.stack is None and r.error.line is None
