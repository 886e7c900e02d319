"""Eval cases: what to ask, what shape the answer has, and how to tell it is right."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Literal

import pydantic
import yaml

from agent.errors import UsageError
from agent.sandbox import Sandbox

__all__ = ["Case", "graded_module", "judge", "load_suite"]

Compare = Literal["exact", "approx", "unordered", "js", "tests"]


class Case(pydantic.BaseModel, extra="forbid", frozen=True):
    """One eval case."""

    id: str
    """Unique within a suite."""
    category: str = "uncategorized"
    """For grouping in reports."""
    instruction: str
    """What the model is asked; `{base}` is replaced by the fixture server's URL."""
    output: dict[str, Any] | None = None
    """JSON Schema of the answer (None: any JSON value)."""
    expected: Any = None
    """The right answer (for exact, approx and unordered comparison, and JS checkers)."""
    compare: Compare = "exact"
    """exact: equal as JSON; approx: numbers within `tolerance` (relative or absolute), anywhere in
    the value; unordered: equal as lists in any order; js: `checker` decides; tests: `grade`
    decides (function problems)."""
    tolerance: float = 1e-6
    """For approx."""
    checker: str | None = None
    """For js: the body of an async JS function given `value` and `expected`; throws when wrong."""
    reference: str | None = None
    """A module known to be right, proven by the suite's own test."""
    network: bool = False
    """The case fetches from the fixture server the runner starts."""
    check: str | None = None
    """JS `check` handed to `solve` (the model sees its failures), e.g. "the export is a function"."""
    grade: str | None = None
    """For tests: JS appended to the final code (it calls the functions by name) that throws when
    the code is wrong. Hidden from the model."""

    def with_base(self, base: str) -> Case:
        """The case with `{base}` replaced by the fixture server's URL."""
        return self.model_copy(update={"instruction": self.instruction.replace("{base}", base),
                                       "reference": self.reference.replace("{base}", base) if self.reference else None})


def load_suite(path: str | Path) -> list[Case]:
    """The cases of a suite file (YAML with a top-level `cases` list)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read the suite {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise UsageError(f"the suite {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise UsageError(f"the suite {path} must be a mapping with a `cases` list")
    cases = []
    for index, raw in enumerate(data["cases"]):
        try:
            cases.append(Case.model_validate(raw))
        except pydantic.ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(map(str, first["loc"])) or "case"
            name = raw.get("id", f"#{index + 1}") if isinstance(raw, dict) else f"#{index + 1}"
            raise UsageError(f"{path}: case {name}: {where}: {first['msg']}") from None
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise UsageError(f"{path}: the case id {case.id!r} appears twice")
        seen.add(case.id)
    return cases


def graded_module(code: str, tests: str) -> str:
    """`code` with a benchmark's tests appended, so they see its functions by name."""
    return f"{code}\n;\n{tests}\n"


def _close(a: Any, b: Any, tolerance: float) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=tolerance, abs_tol=tolerance)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y, tolerance) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], tolerance) for k in a)
    return a == b


async def judge(case: Case, value: Any, code: str, sandbox: Sandbox) -> tuple[bool, str | None]:
    """Whether `value` (produced by `code`) answers `case`, and why not."""
    plain = pydantic.TypeAdapter(Any).dump_python(value, mode="json")
    if case.compare == "exact":
        ok = plain == case.expected
    elif case.compare == "approx":
        ok = _close(plain, case.expected, case.tolerance)
    elif case.compare == "unordered":
        key = lambda x: json.dumps(x, sort_keys=True)  # noqa: E731
        ok = isinstance(plain, list) and isinstance(case.expected, list) and sorted(map(key, plain)) == sorted(map(key, case.expected))
    elif case.compare == "js":
        result = await sandbox.run_async(f"export default {json.dumps(plain)};",
                                         check=f"const expected = {json.dumps(case.expected)};\n{case.checker}\nreturn true;")
        return result.ok, None if result.ok else f"the checker refused it: {result.error.message if result.error else ''}"
    else:
        result = await sandbox.run_async(graded_module(code, case.grade or ""), check="return true;")
        return result.ok, None if result.ok else f"the tests failed: {result.error.kind}: {result.error.message}" if result.error else "the tests failed"
    return ok, None if ok else f"expected {json.dumps(case.expected)[:200]}, got {json.dumps(plain)[:200]}"
