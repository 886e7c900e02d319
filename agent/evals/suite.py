"""Eval cases: what to ask, what shape the answer has, and how to tell it is right."""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import os
import random
import re
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pydantic
import yaml

from agent.core.agreement import canonical, close
from agent.core.failures import Failure
from agent.core.shape import OutputShape
from agent.errors import UsageError
from agent.sandbox import Sandbox
from agent.sandbox.inputs import check_name

__all__ = ["Case", "ToolModule", "bundled", "graded_module", "judge", "load_suite", "select_cases", "tools_of"]

def bundled() -> Path:
    """The folder of the suite and fixtures jsolve ships (`suite.yaml`, `fixtures/`): inside the
    package when installed from a wheel (`agent/_evals`), else the repository's `evals/`."""
    packaged = Path(__file__).resolve().parents[1] / "_evals"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "evals"


Compare = Literal["exact", "approx", "unordered", "js", "tests"]


class Case(pydantic.BaseModel, extra="forbid", frozen=True):
    """One eval case."""

    id: str = pydantic.Field(min_length=1)
    """Unique within a suite."""
    category: str = "uncategorized"
    """For grouping in reports."""
    instruction: str = pydantic.Field(pattern=r"\S")
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
    """For js: the body of an async JS function given `value` and `expected` (as data: integers
    past 2^53 are BigInts); throws when wrong."""
    reference: str | None = None
    """A module known to be right, proven by the suite's own test."""
    network: bool = False
    """The case fetches from the fixture server the runner starts."""
    inputs: dict[str, str] | None = None
    """Input names of the code and the files they are read from, relative to the suite file's
    folder and inside it (`fixtures/orders.csv`); the model sees their schema and first rows, the
    code the data."""
    tools: str | None = None
    """A Python module of tools the code may call (`fixtures/shop.py`), relative to the suite
    file's folder and inside it (the rules of `inputs`); the tools are its `TOOLS` list, else its
    public functions (`tools_of`). The module runs in the eval's process, as the suite's own code
    does: run a suite that names tools only when you trust it."""
    check: str | None = None
    """JS `check` handed to `solve` (the model sees its failures), e.g. "the export is a function"."""
    grade: str | None = None
    """For tests: JS appended to the final code (it calls the functions by name) that throws when
    the code is wrong. Hidden from the model."""
    calls: list[str] | None = None
    """For tests: calls of the function shown in the problem, whose results `check` returns as the
    value, so that independent programs can agree on them (`samples`); without, a function task
    keeps one program per attempt."""
    given: str | None = None
    """For tests: code the benchmark gives with the problem (helper functions, which its tests may
    call too). When the final code declares none of its functions, it is added for grading, as the
    benchmark itself runs the given code with the solution."""

    @pydantic.model_validator(mode="after")
    def _complete(self) -> Case:
        """Each comparison has what it needs, so a case fails when the suite loads, not mid-run."""
        if self.compare in ("exact", "approx", "unordered") and "expected" not in self.model_fields_set:
            raise ValueError(f"compare: {self.compare} needs `expected` (the right answer)")
        if self.compare == "unordered" and not isinstance(self.expected, list):
            raise ValueError("compare: unordered needs `expected` to be a list")
        if self.compare == "approx" and self.tolerance < 0:
            raise ValueError("`tolerance` must not be negative")
        if self.compare == "js" and not self.checker:
            raise ValueError("compare: js needs a `checker` (JS that throws when `value` is wrong)")
        if self.compare == "tests" and not self.grade:
            raise ValueError("compare: tests needs `grade` (JS tests that throw when the code is wrong)")
        try:
            shape = OutputShape.of(self.output)
        except UsageError as exc:
            raise ValueError(str(exc)) from None
        if self.compare in ("exact", "approx", "unordered") and isinstance(mismatch := shape.check(self.expected), Failure):
            raise ValueError(f"`expected` does not fit `output`, so no answer could pass: {mismatch.message}")
        return self

    def with_base(self, base: str) -> Case:
        """The case with `{base}` replaced by the fixture server's URL."""
        return self.model_copy(update={"instruction": self.instruction.replace("{base}", base),
                                       "reference": self.reference.replace("{base}", base) if self.reference else None})


def load_suite(path: str | Path) -> list[Case]:
    """The cases of a suite file (YAML with a top-level `cases` list), or of every `*.yaml` and
    `*.yml` file in a folder, in name order (case ids unique across them)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        if not files:
            raise UsageError(f"the folder {path} holds no suite files (*.yaml, *.yml)")
    else:
        files = [path]
    cases: list[Case] = []
    where: dict[str, Path] = {}
    for file in files:
        for case in _suite_file(file):
            if case.id in where:
                raise UsageError(f"{file}: the case id {case.id!r} appears twice" + (f" (also in {where[case.id]})" if where[case.id] != file else ""))
            where[case.id] = file
            cases.append(case)
    return cases


def _suite_file(path: Path) -> list[Case]:
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
            case = Case.model_validate(raw)
            if case.inputs:
                case = case.model_copy(update={"inputs": _input_files(case.inputs, path.parent)})
            if case.tools:
                case = case.model_copy(update={"tools": _tools_file(case.tools, path.parent)})
            cases.append(case)
        except UsageError as exc:
            name = raw.get("id", f"#{index + 1}") if isinstance(raw, dict) else f"#{index + 1}"
            raise UsageError(f"{path}: case {name}: {exc}") from None
        except pydantic.ValidationError as exc:
            first = exc.errors()[0]
            where = "".join(f"{part}: " for part in first["loc"])
            name = raw.get("id", f"#{index + 1}") if isinstance(raw, dict) else f"#{index + 1}"
            message = first["msg"].removeprefix("Value error, ")
            raise UsageError(f"{path}: case {name}: {where}{message}") from None
    return cases


def _input_files(inputs: dict[str, str], folder: Path) -> dict[str, str]:
    """A case's input files as paths from the working directory, each checked to be a file inside
    the suite's folder (`_contained`)."""
    files = {}
    for name, file in inputs.items():
        check_name(name)
        files[name] = _contained(f"the input {name}", file, folder)
    return files


def _contained(what: str, file: str, folder: Path) -> str:
    """`file` (named by `what` of a case: an input, the tools module) as a path from the working
    directory, checked to be a file inside the suite's folder. A suite may come from anyone (a
    shared benchmark, a colleague's YAML), and its files reach the code, the model's prompt and
    the report: an absolute path, a `..` or a symbolic link leading out of the folder is refused,
    so no suite can name `/proc/self/environ` or `~/.aws/credentials`."""
    root = Path(os.path.realpath(folder))
    if "\0" in file:
        raise UsageError(f"{what} names {file!r}, which holds a NUL character: name a file inside the suite's folder {folder}")
    if Path(file).anchor:
        raise UsageError(f"{what} names {file}, an absolute path: name a file inside the suite's folder {folder}, "
                         "relative to it (fixtures/orders.csv)")
    full = folder / file
    if not _inside(Path(os.path.normpath(root / file)), root):
        raise UsageError(f"{what} names {file}, which leads out of the suite's folder {folder} (`..`): "
                         "keep a suite's files in its folder")
    real = Path(os.path.realpath(full))
    if not _inside(real, root):
        raise UsageError(f"{what} names {file}, a symbolic link to {real}, outside the suite's folder {folder}: "
                         "copy the file into the folder")
    if not real.is_file():
        raise UsageError(f"{what} names {file}, which is not a file in {folder}")
    return str(full)


def _tools_file(file: str, folder: Path) -> str:
    """A case's tools module as a path from the working directory: a `.py` file inside the suite's
    folder (`_contained`)."""
    if not file.endswith(".py"):
        raise UsageError(f"the tools module names {file}, which is not a Python file: name a .py file inside the suite's folder "
                         f"{folder} (fixtures/shop.py)")
    return _contained("the tools module", file, folder)


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


@dataclass(frozen=True, kw_only=True)
class ToolModule:
    """A case's tools module as read where the cases are chosen: what a Ray driver sends its
    workers, which then need the package but not the suite's folder."""

    path: str
    """The file, as the case names it from the working directory (for messages and tracebacks)."""
    source: str
    """Its Python source."""

    @classmethod
    def read(cls, path: str) -> ToolModule:
        """The module at `path` (a case's `tools`, already checked to be inside its suite's folder)."""
        try:
            return cls(path=path, source=Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read the tools module {path}: {getattr(exc, 'strerror', None) or exc}") from None


def tools_of(module: ToolModule) -> list[Any]:
    """The tools of `module`, for `asolve(tools=...)`: its `TOOLS` list when it has one (functions,
    `agent.tools.Tool`s, pydantic-ai tools and toolsets), else its public functions (those defined
    in it whose names do not start with `_`). Functions and tools are made `Tool`s here, once, so
    the solves that share them do not build their schemas again; toolsets are left for each
    solve to open. The module runs as a fresh module object, outside `sys.modules`."""
    from pydantic_ai.toolsets import AbstractToolset

    from agent.tools.registry import Tools

    namespace = _execute(module)
    spec = namespace.get("TOOLS")
    if spec is None:
        spec = [value for name, value in namespace.items()
                if not name.startswith("_") and inspect.isfunction(value) and value.__module__ == namespace["__name__"]]
    elif not isinstance(spec, list | tuple):
        raise UsageError(f"the tools module {module.path}: TOOLS must be a list of tools, got {type(spec).__name__}")
    if not spec:
        raise UsageError(f"the tools module {module.path} holds no tools: define public functions, or a TOOLS list")
    toolsets = [item for item in spec if isinstance(item, AbstractToolset)]
    try:
        tools = list(Tools.of([item for item in spec if not isinstance(item, AbstractToolset)]))
    except UsageError as exc:
        raise UsageError(f"the tools module {module.path}: {exc}") from None
    return [*tools, *toolsets]


def _execute(module: ToolModule) -> dict[str, Any]:
    """Run the module's source in a module object of its own and return its namespace; what it
    raises is a `UsageError` naming the module. The module is entered in `sys.modules` under a
    name of its source's hash (as an import would, under its own name), since pydantic resolves a
    class's annotations through its module there; a module of the suite never replaces one of
    the program's own."""
    name = "jsolve_suite_tools_" + hashlib.sha256(module.source.encode()).hexdigest()[:16]
    namespace = types.ModuleType(name)
    namespace.__file__ = module.path
    sys.modules[name] = namespace
    try:
        exec(compile(module.source, module.path, "exec"), namespace.__dict__)  # the suite's own tools, trusted as its code
    except Exception as exc:
        del sys.modules[name]
        raise UsageError(f"the tools module {module.path} raised {type(exc).__name__} while loading: {exc}") from exc
    return namespace.__dict__


def select_cases(cases: list[Case], *, limit: int | None = None, sample: int | None = None, seed: int = 0) -> list[Case]:
    """A `sample` of the cases drawn with `seed` (the same seed, the same cases), then the first `limit`."""
    for name, n in (("limit", limit), ("sample", sample)):
        if n is not None and n < 1:
            raise UsageError(f"{name} must be at least 1, got {n}")
    if sample is not None:
        cases = random.Random(seed).sample(cases, min(sample, len(cases)))
    return cases[:limit] if limit is not None else cases


@functools.cache
def _grading() -> str:
    """Put before the code under test: what the tests use, captured before that code can change
    it (`grading.js` on one line), read on first use."""
    return _one_line((Path(__file__).with_name("grading.js")).read_text(encoding="utf-8"))

_CAPTURED = re.compile(r"(?<![\w$.])(console\.assert|JSON\.stringify|JSON\.parse|_\.isEqual|Math\.\w+)\b")
_STAND_IN = {"console": "console", "JSON": "JSON", "_": "lodash", "Math": "Math"}


def graded_module(code: str, tests: str, given: str | None = None) -> str:
    """`code` with a benchmark's tests appended, so they see its functions by name; with the
    `given` code between them when `code` declares none of the given functions. The tests call
    the grading prologue's `console.assert`, `JSON.stringify`, `_.isEqual` and `Math.*`, captured
    before `code` ran, so code under test cannot grade itself. They stay at the module's top level
    (some benchmark solutions call a helper the tests declare)."""
    names = re.findall(r"^(?:async\s+)?(?:function\*?|const|let|var|class)\s+([\w$]+)", given or "", flags=re.MULTILINE)
    declared = any(re.search(rf"\b(?:function\*?|const|let|var|class)\s+{re.escape(n)}\b", code) for n in names)
    middle = f"\n;\n{given}" if names and not declared else ""
    captured = _CAPTURED.sub(lambda m: "__jsolve_grade." + _STAND_IN[m[1].split(".")[0]] + "." + m[1].split(".", 1)[1], tests)
    return f"{_grading()}\n{code}{middle}\n;\n{captured}\n"


def _one_line(js: str) -> str:
    """The prologue on one line (its comments dropped), so the code under test keeps its line
    numbers but one."""
    return " ".join(line.strip() for line in js.splitlines() if line.strip() and not line.strip().startswith("//"))


_PLAIN = pydantic.TypeAdapter(Any)

_EXACT_REVIVER = ("(key, v, context) => typeof v === 'number' && !Number.isSafeInteger(v) && typeof context?.source === 'string' "
                  "&& /^-?[0-9]+$/.test(context.source) ? BigInt(context.source) : v")
"""Reads a JSON integer that a Number cannot hold exactly (past 2^53) from its source text, as a
BigInt; other numbers stay Numbers (Python writes floats with a `.` or an exponent)."""


def _exact_json(value: Any) -> str:
    """JS that makes `value` (JSON data) in the engine, exactly: its JSON text as a string, parsed
    there, with the integers past 2^53 made BigInts (a checker comparing 2^70 + 1 with 2^70 sees
    them differ). Data, not source: nothing of the value is read as code."""
    return f"JSON.parse({json.dumps(json.dumps(value))}, {_EXACT_REVIVER})"


async def judge(case: Case, value: Any, code: str, sandbox: Sandbox) -> tuple[bool, str | None]:
    """Whether `value` (produced by `code`) answers `case`, and why not."""
    plain = _PLAIN.dump_python(value, mode="json")
    if case.compare == "exact":
        ok = canonical(plain) == canonical(case.expected)
    elif case.compare == "approx":
        ok = close(plain, case.expected, case.tolerance, case.tolerance, exact_integers=False)
    elif case.compare == "unordered":
        ok = isinstance(plain, list) and sorted(map(canonical, plain)) == sorted(map(canonical, case.expected))
    elif case.compare == "js":
        result = await sandbox.run_async(f"export default {_exact_json(plain)};",
                                         check=f"const expected = {_exact_json(case.expected)};\n{case.checker}\nreturn true;")
        return result.ok, None if result.ok else f"the checker refused it: {result.error.message if result.error else ''}"
    else:
        result = await sandbox.run_async(graded_module(code, case.grade or "", case.given), check="return true;")
        return result.ok, None if result.ok else f"the tests failed: {result.error.kind}: {result.error.message}" if result.error else "the tests failed"
    return ok, None if ok else f"expected {json.dumps(case.expected)[:200]}, got {json.dumps(plain)[:200]}"
