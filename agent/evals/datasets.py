"""Loaders for public benchmarks; each takes a path and returns eval cases (the data stays where
it is). Formats: ../shared/datasets/README.md.

Function benchmarks (HumanEval-X JavaScript, MBJSP) ask for a module whose default export is the
named function. While solving, the model only learns whether its export is a function declared
under that name; the benchmark's own tests grade the final code in the sandbox, unseen by the
model: they are appended to the module (they call the function and its helpers by name), with
`console.assert` made to throw and a small deep-equal standing in for lodash's `_.isEqual`, both
captured before the code under test runs (`suite.graded_module`), so it cannot pass its own tests.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agent.errors import UsageError
from agent.evals.suite import Case, select_cases

__all__ = ["DATASETS", "function_module", "load_dataset"]

_REQUIRE_LODASH = re.compile(r"""(const|let|var)\s+_\s*=\s*require\(\s*["']lodash["']\s*\)\s*;?""")


def _is_function(name: str) -> str:
    """The check the model sees while solving: the export is the function, declared under its name
    (the hidden tests call it by that name). It says nothing about the tests themselves."""
    return (f"if (typeof value !== 'function') throw new TypeError('the default export must be the function "
            f"`{name}` itself: end the module with `export default {name};`');\n"
            f"if (value.name !== '{name}') throw new TypeError('the default export is a function named ' + "
            f"JSON.stringify(value.name) + ', not `{name}`: declare `function {name}(...)` and end the module with "
            f"`export default {name};`');\nreturn true;")


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
        with opener(path, "rt", encoding="utf-8") as f:  # type: ignore[operator]
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
        given = declaration[: re.search(rf"^(?:const|function)\s+{name}\b", declaration, flags=re.MULTILINE).start()].strip()
        helpers = re.findall(r"^(?:const|function)\s+(\w+)", given, flags=re.MULTILINE)
        cases.append(Case(id=row["task_id"], category="humaneval-x", instruction=_instruction(name, row["prompt"], helpers),
                          compare="tests", check=_is_function(name), grade=row["test"], given=given or None,
                          reference=function_module(row["prompt"], row["canonical_solution"], name)))
    return cases


def _mbjsp(rows: list[dict[str, Any]]) -> list[Case]:
    cases = []
    for row in rows:
        name = row["entry_point"]
        test = _REQUIRE_LODASH.sub("", row["test"])
        cases.append(Case(id=row["task_id"], category="mbjsp", instruction=_instruction(name, row["prompt"]),
                          compare="tests", check=_is_function(name),
                          grade=test,
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
