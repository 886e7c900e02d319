"""Loaders for public benchmarks; each takes a path and returns eval cases (the data stays where
it is). Formats: ../shared/datasets/README.md.

Function benchmarks (HumanEval-X JavaScript, MBJSP) ask for a module whose default export is the
named function. While solving, the model only learns whether its export is a function declared
under that name; the benchmark's own tests grade the final code in the sandbox, unseen by the
model: they are appended to the module (they call the function and its helpers by name), with
`console.assert` made to throw and a small deep-equal standing in for lodash's `_.isEqual`, both
captured before the code under test runs (`suite.graded_module`), so it cannot pass its own tests.

So that independent programs can agree on what their functions do, the check also calls the
function on the calls the problem itself shows (`shown_calls`: `hasCloseElements([1.0, 2.0], 0.5)`,
those whose arguments are plain data) and returns what each gave, as text: that is the value the
programs of a solve vote with. A problem that shows no such call keeps one program per attempt.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agent.core.validate import is_literal_call
from agent.errors import UsageError
from agent.evals.suite import Case, select_cases

__all__ = ["DATASETS", "function_check", "function_module", "load_dataset", "shown_calls"]

_REQUIRE_LODASH = re.compile(r"""(const|let|var)\s+_\s*=\s*require\(\s*["']lodash["']\s*\)\s*;?""")


MAX_SHOWN_CALLS = 10
"""Calls of the problem's examples a function is probed with, at most."""

MAX_OUTPUT_TEXT = 1000
"""Characters of one call's result kept for the vote."""

_PROBE = """const { apply } = Reflect, { stringify } = JSON, { keys, create, getOwnPropertyDescriptor: own } = Object, { isArray } = Array;
const { isInteger, isFinite } = Number, { toPrecision } = Number.prototype, Str = String, { isPrototypeOf } = Object.prototype, errorProto = Error.prototype;
const { push, pop, sort, join, includes } = Array.prototype, { slice } = String.prototype, mapEach = Map.prototype.forEach, setEach = Set.prototype.forEach;
const mapSize = own(Map.prototype, "size").get, setSize = own(Set.prototype, "size").get;
const is = (0, (size, v) => { try { apply(size, v, []); return true; } catch (_) { return false; } });
const describe = (0, (v, seen) => {
  if (v === undefined) return "undefined";
  if (v === null) return "null";
  switch (typeof v) {
    case "number": return isInteger(v) || !isFinite(v) ? "" + v : "" + +apply(toPrecision, v, [12]);
    case "bigint": return v + "n";
    case "string": return stringify(v);
    case "boolean": return "" + v;
    case "symbol": return apply(Str, undefined, [v]);
    case "function": return "function";
  }
  if (apply(includes, seen, [v])) return "[Circular]";
  if (seen.length > 20) return "...";
  apply(push, seen, [v]);
  try {
    const parts = [];
    if (isArray(v)) {
      for (let i = 0; i < v.length; i++) apply(push, parts, [describe(v[i], seen)]);
      return "[" + apply(join, parts, [","]) + "]";
    }
    if (is(mapSize, v)) {
      apply(mapEach, v, [(x, k) => apply(push, parts, [describe(k, seen) + ":" + describe(x, seen)])]);
      return "Map{" + apply(join, apply(sort, parts, []), [","]) + "}";
    }
    if (is(setSize, v)) {
      apply(setEach, v, [(x) => apply(push, parts, [describe(x, seen)])]);
      return "Set{" + apply(join, apply(sort, parts, []), [","]) + "}";
    }
    const names = apply(sort, keys(v), []);
    for (let i = 0; i < names.length; i++) apply(push, parts, [stringify(names[i]) + ":" + describe(v[names[i]], seen)]);
    return "{" + apply(join, parts, [","]) + "}";
  } finally { apply(pop, seen, []); }
});
const thrown = (0, (e) => { try { return "throws " + (apply(isPrototypeOf, errorProto, [e]) ? "" + e.name : typeof e); } catch (_) { return "throws"; } });
const results = create(null);
for (let i = 0; i < calls.length; i++) {
  let text;
  try { text = describe(await apply(value, undefined, calls[i][1]()), []); } catch (e) { text = thrown(e); }
  results[calls[i][0]] = text.length > LIMIT ? apply(slice, text, [0, LIMIT]) + "... (" + text.length + " characters)" : text;
}
return results;"""
"""Calls the function on each shown call and describes each result as text that equal results
share: object keys sorted, Sets and Maps in any order, fractions to 12 significant digits
(programs that add in another order agree). The built-ins it uses are taken before the function
is first called (Maps and Sets known by their internal slots, not by an instanceof the function
could answer), and the arguments of every call are made afresh, so what one call changes does
not reach how the next is made or read. Its helpers are functions without a name (`(0, ...)`):
the function's stack, when one of them reads its result, names nothing of the check's."""


def function_check(name: str, calls: list[str] | None = None) -> str:
    """The check the model sees while solving: the export is the function, declared under its
    name (the hidden tests call it by that name). With `calls` (literal calls of it shown in the
    problem), the check's value is what the function gave on each, as text (a throw is recorded as
    `throws Name`, not a failure: some right solutions throw on a shown call); without, `true`. It
    says nothing about the hidden tests."""
    head = (f"if (typeof value !== 'function') throw new TypeError('the default export must be the function "
            f"`{name}` itself: end the module with `export default {name};`');\n"
            f"if (value.name !== '{name}') throw new TypeError('the default export is a function named ' + "
            f"JSON.stringify(value.name) + ', not `{name}`: declare `function {name}(...)` and end the module with "
            f"`export default {name};`');\n")
    if not calls:
        return head + "return true;"
    probes = ",\n".join(f"  [{json.dumps(call)}, () => [{call[call.index('(') + 1:-1]}]]" for call in calls)
    return head + f"const LIMIT = {MAX_OUTPUT_TEXT};\nconst calls = [\n{probes}\n];\n" + _PROBE


def _closing(text: str, start: int) -> int | None:
    """Where the bracket at `start` closes (quotes respected), or None when the line ends first."""
    depth, quote, i = 0, "", start
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = ""
        elif c in "'\"`":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return i
        elif c == "\n":
            return None
        i += 1
    return None


def shown_calls(prompt: str, name: str) -> list[str]:
    """The calls of `name` a problem shows whose arguments are plain data (`f([1, 2], 'a')`, not
    `f(a)` or the declaration `function f(x, y)`), each once, in order, at most `MAX_SHOWN_CALLS`."""
    calls: list[str] = []
    for match in re.finditer(rf"(?<![\w$.]){re.escape(name)}\s*\(", prompt):
        end = _closing(prompt, match.end() - 1)
        if end is None:
            continue
        call = prompt[match.start(): end + 1]
        if call not in calls and is_literal_call(call, name):
            calls.append(call)
    return calls[:MAX_SHOWN_CALLS]


def _instruction(name: str, prompt: str, helpers: list[str] | None = None) -> str:
    keep = f" The functions given above it ({', '.join(f'`{h}`' for h in helpers)}) are part of the problem: keep them in the module." if helpers else ""
    return (f"Write the JavaScript function `{name}` described below, and export the function itself: end the module "
            f"with `export default {name};`.{keep}\n\n```js\n{prompt.strip()}\n```")


def function_module(prompt: str, body: str, name: str) -> str:
    """A benchmark's prompt and solution body as a module exporting the function."""
    return f"{prompt}{body}\nexport default {name};\n"


def _read_lines(path: Path) -> list[dict[str, Any]]:
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path} is not JSON lines: {exc}") from None


def _humaneval(rows: list[dict[str, Any]]) -> list[Case]:
    cases = []
    for row in rows:
        names = re.findall(r"(?:const|function)\s+(\w+)", row["declaration"])
        if not names:
            raise UsageError(f"HumanEval-X item {row.get('task_id')} has no function declaration")
        name = names[-1]  # helpers come first, the function under test last
        declaration = row["declaration"]
        found = re.search(rf"^(?:const|function)\s+{name}\b", declaration, flags=re.MULTILINE)
        given = declaration[: found.start() if found else 0].strip()
        helpers = re.findall(r"^(?:const|function)\s+(\w+)", given, flags=re.MULTILINE)
        calls = shown_calls(row["prompt"], name)
        cases.append(Case(id=row["task_id"], category="humaneval-x", instruction=_instruction(name, row["prompt"], helpers),
                          compare="tests", check=function_check(name, calls), calls=calls or None, grade=row["test"], given=given or None,
                          reference=function_module(row["prompt"], row["canonical_solution"], name)))
    return cases


def _mbjsp(rows: list[dict[str, Any]]) -> list[Case]:
    cases = []
    for row in rows:
        name = row["entry_point"]
        test = _REQUIRE_LODASH.sub("", row["test"])
        calls = shown_calls(row["prompt"], name)
        cases.append(Case(id=row["task_id"], category="mbjsp", instruction=_instruction(name, row["prompt"]),
                          compare="tests", check=function_check(name, calls), calls=calls or None, grade=test,
                          reference=function_module(row["prompt"], row["canonical_solution"], name) if row.get("canonical_solution") else None))
    return cases


def _gsm8k(rows: list[dict[str, Any]]) -> list[Case]:
    cases = []
    for index, row in enumerate(rows):
        answer = row["answer"].rpartition("####")[2].strip().replace(",", "")
        try:
            expected = int(answer) if re.fullmatch(r"-?\d+", answer) else float(answer)
        except ValueError:
            raise UsageError(f"GSM8K item {index + 1} has no number after ####: {answer!r}") from None
        cases.append(Case(id=f"gsm8k/{index}", category="gsm8k", instruction=row["question"], output={"type": "number"},
                          expected=expected, compare="approx", tolerance=1e-6))
    return cases


DATASETS: dict[str, Callable[[list[dict[str, Any]]], list[Case]]] = {"humaneval-x": _humaneval, "mbjsp": _mbjsp, "gsm8k": _gsm8k}
"""The benchmarks a loader exists for."""


def load_dataset(name: str, path: str | Path, *, limit: int | None = None, sample: int | None = None, seed: int = 0) -> list[Case]:
    """The cases of benchmark `name` read from `path`: the first `limit`, or a `sample` drawn with `seed`."""
    if name not in DATASETS:
        raise UsageError(f"unknown dataset {name!r}: choose one of {', '.join(DATASETS)}")
    try:
        cases = DATASETS[name](_read_lines(Path(path)))
    except KeyError as exc:
        raise UsageError(f"{path} does not look like {name}: its items have no {exc.args[0]!r} field") from None
    return select_cases(cases, limit=limit, sample=sample, seed=seed)
