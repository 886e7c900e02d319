"""Differential runs: each program of a corpus in node (the oracle) and in the sandbox.

A corpus is a folder of `*.js` files under tests/differential/corpora/<name>/, or one file there
holding many programs, each after a line `// === <program name>`. A corpus folder may hold
`inputs.json` (input name -> JSON value): every program of it then runs with those inputs, in the
sandbox as the run's inputs and in node as files of its working directory, named as the sandbox's
`fs` shows them (`<name>.json`, and `<name>.txt` for a string). A program is an ES module
ending in `export default <JSON-able value>`. Each program is classified:

- `same`: the sandbox gave node's value;
- `loud`: the sandbox failed with an error (whatever node did): the model hears of it;
- `silent`: the sandbox gave a value that is not node's, or a value where node threw: the failure
  this harness exists to find.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from agent.sandbox import Inputs, Sandbox

CORPORA = Path(__file__).resolve().parent / "corpora"
NODE_RUNNER = Path(__file__).resolve().parent / "node_runner.mjs"
PROGRAM_MARK = "// === "
"""Starts a program in a many-program corpus file; the rest of the line is its name."""
BIGINT_MARK = "\u0000bigint:"
"""How node_runner.mjs writes a BigInt (JSON has none); the sandbox gives a Python int."""
NODE_ENV = {"TZ": "UTC", "LANG": "en_US.UTF-8", "LC_ALL": "en_US.UTF-8"}
"""The sandbox's defaults (time zone UTC, locale en-US), given to node so both start alike."""
NODE_TIMEOUT_S = 120
"""The whole corpus in one node process: far more than it takes (about a second)."""

Verdict = Literal["same", "loud", "silent"]


@dataclass(frozen=True, slots=True)
class Program:
    name: str
    code: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """One run's end: a value, or an error's text."""

    ok: bool
    value: Any = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Comparison:
    program: Program
    node: Outcome
    sandbox: Outcome
    verdict: Verdict


def node_available() -> bool:
    return shutil.which("node") is not None


INPUTS_FILE = "inputs.json"
"""The inputs of every program of a corpus, in its folder."""


def node_value(program: str) -> Any:
    """What one ES module ending in `export default out;` gives under node (with `NODE_ENV`): the
    matrix tests' oracle, for programs too big to classify one by one."""
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".mjs", delete=False, encoding="utf-8") as file:
        file.write(program.replace("export default out;", "console.log(JSON.stringify(out));"))
    try:
        done = subprocess.run(["node", file.name], capture_output=True, text=True, check=True, timeout=NODE_TIMEOUT_S * 3,
                              env={**os.environ, **NODE_ENV}, encoding="utf-8")
    finally:
        os.unlink(file.name)
    return json.loads(done.stdout)


def corpus_inputs(name: str) -> dict[str, Any]:
    """The inputs of corpus `name` (none when it has no inputs.json)."""
    path = CORPORA / name / INPUTS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def load_corpus(name: str) -> list[Program]:
    """The programs of corpus `name`, in file order then in order within a file."""
    folder = CORPORA / name
    programs: list[Program] = []
    for path in sorted(folder.glob("*.js")):
        programs.extend(_split(path))
    names = [program.name for program in programs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"corpus {name} names programs twice: {duplicates}")
    return programs


def _split(path: Path) -> list[Program]:
    """One program per file, or one per `// === <name>` line, named `<file>/<name>`."""
    text = path.read_text(encoding="utf-8")
    if PROGRAM_MARK not in text:
        return [Program(path.stem, text)]
    programs: list[Program] = []
    title: str | None = None
    body: list[str] = []
    for line in [*text.splitlines(keepends=True), PROGRAM_MARK + "\n"]:
        if line.startswith(PROGRAM_MARK):
            if title is not None:
                programs.append(Program(f"{path.stem}/{title}", "".join(body)))
            title, body = line[len(PROGRAM_MARK):].strip(), []
        else:
            body.append(line)
    return programs


def run_node(programs: list[Program], inputs: dict[str, Any] | None = None) -> list[Outcome]:
    """Every program in one node process, in order (in a folder holding the inputs' files)."""
    listed = [{"name": p.name, "code": p.code} for p in programs]
    corpus = json.dumps({"programs": listed, "inputs": inputs} if inputs else listed)
    done = subprocess.run(["node", str(NODE_RUNNER)], input=corpus, capture_output=True, text=True,
                          timeout=NODE_TIMEOUT_S, check=True, encoding="utf-8",
                          env={**os.environ, **NODE_ENV})
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [row["name"] for row in rows] == [p.name for p in programs], "node_runner.mjs lost programs"
    return [Outcome(True, _bigints(row["value"])) if row["ok"] else Outcome(False, error=row["error"]) for row in rows]


def _bigints(value: Any) -> Any:
    """node_runner.mjs's BigInt marks as Python ints, as the sandbox gives them."""
    if isinstance(value, str) and value.startswith(BIGINT_MARK):
        return int(value[len(BIGINT_MARK):])
    if isinstance(value, list):
        return [_bigints(item) for item in value]
    if isinstance(value, dict):
        return {key: _bigints(item) for key, item in value.items()}
    return value


def run_sandbox(programs: list[Program], sandbox: Sandbox, inputs: dict[str, Any] | None = None) -> list[Outcome]:
    given = Inputs(inputs) if inputs else None
    outcomes = []
    for program in programs:
        result = sandbox.run(program.code, inputs=given) if given is not None else sandbox.run(program.code)
        if result.ok:
            outcomes.append(Outcome(True, result.value))
        else:
            assert result.error is not None
            outcomes.append(Outcome(False, error=f"{result.error.kind}: {result.error.message}"))
    return outcomes


def verdict(node: Outcome, sandbox: Outcome) -> Verdict:
    if not sandbox.ok:
        return "loud"
    if node.ok and _same(node.value, sandbox.value):
        return "same"
    return "silent"


def _same(a: Any, b: Any) -> bool:
    """Equal JSON values; 1 and 1.0 are one JSON number, True is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def compare(programs: list[Program], sandbox: Sandbox, inputs: dict[str, Any] | None = None) -> list[Comparison]:
    node = run_node(programs, inputs)
    guest = run_sandbox(programs, sandbox, inputs)
    return [Comparison(p, n, g, verdict(n, g)) for p, n, g in zip(programs, node, guest, strict=True)]


def counts(comparisons: list[Comparison]) -> dict[Verdict, int]:
    tally = Counter(c.verdict for c in comparisons)
    return {"same": tally["same"], "loud": tally["loud"], "silent": tally["silent"]}


def describe(comparison: Comparison) -> str:
    """One line a reader can act on: the program, node's end and the sandbox's."""
    def end(outcome: Outcome) -> str:
        return json.dumps(outcome.value, ensure_ascii=False) if outcome.ok else f"error {outcome.error}"
    return f"{comparison.verdict:6} {comparison.program.name}: node {end(comparison.node)} | sandbox {end(comparison.sandbox)}"
