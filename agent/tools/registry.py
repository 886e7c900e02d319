"""The caller's tools, on the host side: what the sandboxed program may call and how a call runs.

    tools = Tools.of([orders_in, send_email, FunctionToolset([...]), mcp_toolset], effects={"send_email"})
    async with tools:                                    # enters the toolsets (an MCP server starts)
        tools.check_names(inputs.names)                  # no tool may hide an input
        outcome = await tools.call("orders_in", {"month": "2026-03"}, log=EffectLog())

A tool is an async function of one object of named arguments. Arguments are validated before the
function runs (pydantic-ai's own validator for functions, JSON Schema for toolset tools, then the
toolset's validator); results cross as JSON data. Every call gives an `Outcome`: the JSON value,
or a `ToolError` of one of three kinds (`invalid` arguments, the tool `raised`, an `unknown`
name), and a `ToolCall` record cut to `RECORD_CHARS`. A tool with effects runs at most once per
`EffectLog` for the same arguments; later calls get the recorded outcome (`replayed=True`).

Sync functions run on a thread (pydantic-ai's, or the `executor` given), async ones on the
caller's event loop, so a slow tool does not stall other runs. Nothing here knows the sandbox.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Iterator
from concurrent.futures import Executor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self, TypeAlias

from agent.errors import UsageError
from agent.js_names import GLOBALS, RESERVED
from agent.text import fit

if TYPE_CHECKING:
    from pydantic import ValidationError
    from pydantic_ai import RunContext
    from pydantic_ai import Tool as PydanticAITool
    from pydantic_ai.toolsets import AbstractToolset, ToolsetTool

__all__ = ["ERROR_MESSAGE_CHARS", "MAX_PROBLEMS", "RECORD_CHARS", "SANDBOX_GLOBALS", "EffectLog", "ErrorKind",
           "InvalidArguments", "Outcome", "Tool", "ToolCall", "ToolError", "Tools"]

RECORD_CHARS = 2_000
"""Characters of JSON kept of a call's arguments and of its result in its `ToolCall` record: enough
to show a model what an effect did ("these effects already happened: ..."), small enough that a
few dozen records fit a repair prompt. The guest itself gets the whole result."""

ERROR_MESSAGE_CHARS = 1_000
"""Characters kept of a raised exception's message: a message that long already says what went
wrong; a longer one is usually a dump (a response body, a repr of a big object) that would crowd
the repair prompt."""

MAX_PROBLEMS = 3
"""Argument problems reported per invalid call: the first few are what a model fixes first, and a
wrong top-level type can otherwise produce one problem per field."""

TOOLS_MODULE = "jsolve:tools"
"""The module guest code imports the tools from (the worker spells it again: it imports nothing of
the host side)."""

TOOL_NAME = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*\Z")
"""A JavaScript identifier in ASCII: the name a tool is imported by (`import { name } from "jsolve:tools"`)."""


SANDBOX_GLOBALS = GLOBALS | {"tools", "inputs", "__proto__", "constructor", "prototype", "then", "toString", "valueOf", "hasOwnProperty", "toJSON"}
"""Names a tool may not take: the sandbox's globals and the platform globals code written for Node.js
or a browser expects (`agent.js_names.GLOBALS`, as for inputs), the namespaces
`tools` and `inputs`, and the names an object of tools must not own (`__proto__`, `constructor`,
`then`, which would make the module namespace a thenable, ...)."""

ErrorKind: TypeAlias = Literal["invalid", "raised", "unknown"]
"""Why a call gave no value: its arguments do not fit the tool's schema (the tool did not run), the
tool raised, or there is no tool of that name."""

Validate: TypeAlias = Callable[[dict[str, Any]], Awaitable[Any]]
Run: TypeAlias = Callable[[Any], Awaitable[Any]]
Clock: TypeAlias = Callable[[], float]


class InvalidArguments(Exception):
    """A call's arguments do not fit the tool's schema; `problems` are one line each (`args.month: ...`)."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)[:MAX_PROBLEMS] or ("the arguments do not fit the tool's schema",)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True, kw_only=True)
class Tool:
    """One function the guest may call: its name, its description and schemas (for the declaration
    the model reads) and how to validate and run a call. Build it with `from_function` or
    `from_pydantic_ai`; toolset tools are built by `Tools.open`."""

    name: str
    """The name the guest imports it by: a JavaScript identifier."""
    description: str | None
    """What it does (the function's docstring, or the toolset's description), shown as a comment."""
    parameters: dict[str, Any]
    """JSON Schema of the one object of named arguments."""
    returns: dict[str, Any] | None
    """JSON Schema of the result, when known (`None`: anything)."""
    effects: bool = False
    """Whether a call changes the world: it then runs at most once per `EffectLog` for the same arguments."""
    source: str = "function"
    """Where it comes from, for messages: "function", or "toolset <label>"."""
    validate: Validate = field(repr=False, compare=False)
    """Checks the arguments and returns them in the form `run` takes; raises `InvalidArguments`."""
    run: Run = field(repr=False, compare=False)
    """Runs the tool on validated arguments and returns its raw result."""

    async def call(self, arguments: dict[str, Any]) -> Any:
        """Validate, run, and return the result as JSON data (pydantic models, dataclasses and
        TypedDicts dumped). Raises `InvalidArguments`, or what the tool raised."""
        return json.loads(_to_json(await self.run(await self.validate(arguments))))

    @classmethod
    def from_function(cls, function: Callable[..., Any], *, name: str | None = None, description: str | None = None,
                      effects: bool = False, executor: Executor | None = None) -> Tool:
        """A tool of a Python function, sync or async, with type hints and a docstring; its schemas
        come from pydantic-ai's function-schema machinery (`pydantic_ai.Tool`). `name` renames it."""
        from pydantic.errors import PydanticSchemaGenerationError, PydanticUserError
        from pydantic_ai import Tool as PydanticAITool
        from pydantic_ai.exceptions import UserError

        if not callable(function):
            raise UsageError(f"a tool must be a function, a pydantic_ai.Tool or a toolset, got {type(function).__name__}")
        try:
            tool: PydanticAITool[Any] = PydanticAITool(function, name=name, description=description)
        except (UserError, PydanticUserError, PydanticSchemaGenerationError) as error:
            raise UsageError(f"cannot make a tool of {getattr(function, '__qualname__', function)!r}: {error}") from error
        return cls.from_pydantic_ai(tool, effects=effects, executor=executor)

    @classmethod
    def from_pydantic_ai(cls, tool: PydanticAITool[Any], *, effects: bool = False, executor: Executor | None = None) -> Tool:
        """A tool of a `pydantic_ai.Tool` (its `prepare` is not used); one that requires approval
        counts as having effects. A tool that takes a `RunContext` gets one with `deps=None`."""
        schema = tool.function_schema
        context = _context(tool.name, approved=True)
        custom = tool.args_validator

        async def validate(arguments: dict[str, Any]) -> Any:
            validated = _pydantic_validate(schema.validator, arguments)
            if custom is not None:
                await _custom_validate(custom, context, validated)
            return validated

        async def run(validated: Any) -> Any:
            with _thread_executor(executor):
                return await schema.call(validated, context)

        return cls(name=tool.name, description=tool.description, parameters=dict(schema.json_schema),
                   returns=schema.return_schema or None, effects=effects or tool.requires_approval, validate=validate, run=run)


@dataclass(frozen=True, kw_only=True)
class ToolError:
    """Why a call gave no value, as the guest learns it: `invalid` and `unknown` reject with a
    `TypeError`, `raised` with an `Error` named after the exception."""

    kind: ErrorKind
    """What went wrong (see `ErrorKind`)."""
    message: str
    """The whole message: the tool, then each argument problem on its own line, or the exception's
    type and message (never a traceback), or the names there are."""
    exception: str | None = None
    """For `raised`: the exception's type name (`ValueError`)."""
    problems: tuple[str, ...] = ()
    """For `invalid`: one line per problem (`args.month: Input should be a valid string`), at most `MAX_PROBLEMS`."""

    @property
    def js_type(self) -> str:
        """The JavaScript error the guest's promise rejects with."""
        return "Error" if self.kind == "raised" else "TypeError"


@dataclass(frozen=True, kw_only=True)
class ToolCall:
    """The record of one call, for logs, the repair prompt and tests; JSON texts cut to `RECORD_CHARS`."""

    tool: str
    """The tool's name."""
    arguments: str
    """The arguments as canonical JSON (sorted keys), cut."""
    result: str | None
    """The result as JSON, cut; `None` when the call failed."""
    error: ToolError | None
    """Why the call failed; `None` when it gave a value."""
    ms: float
    """How long the call took, in milliseconds (a replay takes about none)."""
    replayed: bool = False
    """Whether the outcome came from the `EffectLog` instead of running the tool again."""

    def describe(self) -> str:
        """One line: `send_email({"to":"a@b.c"}) -> {"id":7}` or `-> raised ValueError: ...`."""
        if self.error is None:
            return f"{self.tool}({self.arguments}) -> {self.result}"
        shown = self.error.message.replace("\n", " ")
        return f"{self.tool}({self.arguments}) -> {self.error.kind}: {fit(shown, RECORD_CHARS)}"


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """What a call gave: a JSON value, or an error; and its record."""

    value: Any = None
    """The result as JSON data (`None` when the call failed, or when the tool returned nothing)."""
    text: str | None = None
    """The result as JSON text (for the relay's byte cap), `None` when the call failed."""
    error: ToolError | None = None
    """Why the call failed; `None` when it gave a value."""
    record: ToolCall
    """The call's record."""

    @property
    def ok(self) -> bool:
        """Whether the call gave a value."""
        return self.error is None


class EffectLog:
    """The calls of effectful tools within one solve, keyed by tool and canonical JSON arguments:
    the first call with given arguments runs (as its own task, so it completes and is recorded even
    when the program that asked is stopped), and every later or concurrent one gets its outcome.
    A call that raised is recorded too: it may have acted before raising, and at most once is the promise."""

    def __init__(self) -> None:
        self._calls: dict[tuple[str, str], asyncio.Task[Outcome]] = {}

    def __len__(self) -> int:
        return len(self._calls)

    def effects(self) -> tuple[ToolCall, ...]:
        """The effectful calls that completed, in the order they started (never a replay)."""
        return tuple(task.result().record for task in self._calls.values() if task.done() and not task.cancelled())

    def describe(self) -> str:
        """The effects for a repair prompt, one per line (empty when none happened)."""
        return "\n".join(call.describe() for call in self.effects())

    async def once(self, key: tuple[str, str], run: Callable[[], Awaitable[Outcome]]) -> tuple[Outcome, bool]:
        """The outcome of the call under `key`, running `run` only if no call with that key started;
        the flag says whether it was replayed."""
        task = self._calls.get(key)
        if task is not None:
            return await asyncio.shield(task), True
        task = self._calls[key] = asyncio.ensure_future(run())
        return await asyncio.shield(task), False


class Tools:
    """The tools of a run: functions and pydantic-ai tools known at once, toolsets listed when
    opened (`async with tools:` or `await tools.open()`; an MCP server starts then). Names are
    checked as tools are added: a JavaScript identifier, no reserved word, no sandbox global, no
    duplicate; `check_names` refuses the run's input names too."""

    def __init__(self, tools: Iterable[Tool] = (), toolsets: Iterable[AbstractToolset[Any]] = (), *,
                 effects: Collection[str] = (), executor: Executor | None = None, clock: Clock = time.perf_counter) -> None:
        self._tools: dict[str, Tool] = {}
        self._toolsets = tuple(toolsets)
        self._effects = frozenset(effects)
        self._executor = executor
        self._clock = clock
        self._entered: list[AbstractToolset[Any]] = []
        self._opened = not self._toolsets
        for tool in tools:
            self._add(dataclasses.replace(tool, effects=True) if tool.name in self._effects else tool)
        self._own = dict(self._tools)

    @classmethod
    def of(cls, spec: Any, *, effects: Collection[str] = (), executor: Executor | None = None) -> Tools:
        """The tools of `spec`: None, a Python function, a `Tool`, a `pydantic_ai.Tool`, a pydantic-ai
        toolset (`FunctionToolset`, `MCPToolset`, any `AbstractToolset`), or a list mixing them.
        `effects` names the tools that change the world (with `Tool.from_function(effects=True)` and
        pydantic-ai tools that require approval); `executor` runs sync functions (default: a thread)."""
        if isinstance(spec, Tools):
            return spec
        from pydantic_ai import Tool as PydanticAITool
        from pydantic_ai.toolsets import AbstractToolset

        items: Iterable[Any] = () if spec is None else [spec] if not isinstance(spec, list | tuple) else spec
        tools: list[Tool] = []
        toolsets: list[AbstractToolset[Any]] = []
        for item in items:
            if isinstance(item, Tool):
                tools.append(item)
            elif isinstance(item, AbstractToolset):
                toolsets.append(item)
            elif isinstance(item, PydanticAITool):
                tools.append(Tool.from_pydantic_ai(item, executor=executor))
            elif callable(item) and not isinstance(item, type):
                tools.append(Tool.from_function(item, executor=executor))
            else:
                raise UsageError(f"a tool must be a function, a pydantic_ai.Tool or a pydantic-ai toolset, got {type(item).__name__}: "
                                 "pass a list of them")
        return cls(tools, toolsets, effects=effects, executor=executor)

    async def open(self) -> None:
        """Enter the toolsets and list their tools (idempotent)."""
        if self._opened:
            return
        self._tools = dict(self._own)
        try:
            for toolset in self._toolsets:
                await toolset.__aenter__()
                self._entered.append(toolset)
                await self._add_toolset(toolset)
        except BaseException:
            await self.close()
            raise
        self._opened = True

    async def close(self) -> None:
        """Leave the toolsets entered by `open`, last first."""
        while self._entered:
            await self._entered.pop().__aexit__(None, None, None)
        self._opened = not self._toolsets

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None) -> None:
        await self.close()

    @property
    def names(self) -> tuple[str, ...]:
        """The tools' names, in the order they were given."""
        self._require_open()
        return tuple(self._tools)

    def __iter__(self) -> Iterator[Tool]:
        self._require_open()
        return iter(tuple(self._tools.values()))

    def __len__(self) -> int:
        self._require_open()
        return len(self._tools)

    def get(self, name: str) -> Tool | None:
        """The tool named `name`, or None."""
        self._require_open()
        return self._tools.get(name)

    def check_names(self, reserved: Collection[str]) -> None:
        """Refuse a tool named like one of `reserved` (the run's input names): the guest imports both
        by name, and one would hide the other."""
        for name in self.names:
            if name in reserved:
                raise UsageError(f"the tool name {name!r} is also the name of an input: rename the input, or the tool "
                                 f"({_rename_hint(self._tools[name])})")

    async def call(self, name: str, arguments: Any, *, log: EffectLog | None = None) -> Outcome:
        """Call tool `name` with `arguments` (the guest's one object); never raises for the tool's
        sake: bad arguments, a raising tool and an unknown name are `Outcome.error`s. An effectful
        tool given a `log` runs at most once per distinct arguments."""
        start = self._clock()
        canonical = _canonical(arguments)
        tool = self.get(name)
        if tool is None:
            known = ", ".join(self._tools) or "none"
            error = ToolError(kind="unknown", message=f"there is no tool named {name!r}; the tools are: {known}")
            return self._failed(name, canonical, error, start)
        if not isinstance(arguments, dict):
            invalid = InvalidArguments([f"args: expected an object of named arguments, got {_json_type(arguments)}"])
            return self._failed(name, canonical, _invalid(name, invalid), start)
        try:
            validated = await tool.validate(arguments)
        except InvalidArguments as problem:
            return self._failed(name, canonical, _invalid(name, problem), start)
        if not tool.effects or log is None:
            return await self._run(tool, validated, canonical, start)
        outcome, replayed = await log.once((name, canonical), lambda: self._run(tool, validated, canonical, start))
        if not replayed:
            return outcome
        record = dataclasses.replace(outcome.record, ms=_ms(self._clock() - start), replayed=True)
        return dataclasses.replace(outcome, record=record)

    async def _run(self, tool: Tool, validated: Any, canonical: str, start: float) -> Outcome:
        try:
            result = await tool.run(validated)
            text = _to_json(result)
        except InvalidArguments as problem:
            return self._failed(tool.name, canonical, _invalid(tool.name, problem), start)
        except Exception as error:
            return self._failed(tool.name, canonical, _raised(tool.name, error), start)
        record = ToolCall(tool=tool.name, arguments=fit(canonical, RECORD_CHARS), result=fit(text, RECORD_CHARS), error=None,
                          ms=_ms(self._clock() - start))
        return Outcome(value=json.loads(text), text=text, record=record)

    def _failed(self, name: str, canonical: str, error: ToolError, start: float) -> Outcome:
        record = ToolCall(tool=name, arguments=fit(canonical, RECORD_CHARS), result=None, error=error, ms=_ms(self._clock() - start))
        return Outcome(error=error, record=record)

    def _require_open(self) -> None:
        if not self._opened:
            raise UsageError("the toolsets' tools are listed when the tools are opened: use `async with tools:` or `await tools.open()` first")

    def _add(self, tool: Tool) -> None:
        _check_name(tool)
        if tool.name in self._tools:
            other = self._tools[tool.name]
            raise UsageError(f"two tools are named {tool.name!r} (from {other.source} and {tool.source}): rename one "
                             f"({_rename_hint(tool)})")
        self._tools[tool.name] = tool

    async def _add_toolset(self, toolset: AbstractToolset[Any]) -> None:
        context = _context(None, approved=True)
        for name, toolset_tool in (await toolset.get_tools(context)).items():
            tool = _toolset_tool(toolset, name, toolset_tool, effects=name in self._effects, executor=self._executor)
            self._add(tool)


def _toolset_tool(toolset: AbstractToolset[Any], name: str, toolset_tool: ToolsetTool[Any], *, effects: bool,
                  executor: Executor | None) -> Tool:
    """A `Tool` calling through `toolset.call_tool`: arguments checked against the tool's JSON Schema
    (Draft 2020-12), then by the toolset's own validator (which converts them for `call_tool`)."""
    definition = toolset_tool.tool_def
    needs_approval = definition.kind == "unapproved"
    context = _context(name, approved=True)
    check = _schema_checker(definition.parameters_json_schema)
    custom = toolset_tool.args_validator_func

    async def validate(arguments: dict[str, Any]) -> Any:
        problems = check(arguments)
        if problems:
            raise InvalidArguments(problems)
        validated = _pydantic_validate(toolset_tool.args_validator, arguments)
        if custom is not None:
            await _custom_validate(custom, context, validated)
        return validated

    async def run(validated: Any) -> Any:
        with _thread_executor(executor):
            return await toolset.call_tool(name, validated, context, toolset_tool)

    return Tool(name=name, description=definition.description, parameters=dict(definition.parameters_json_schema),
                returns=definition.return_schema or None, effects=effects or needs_approval, source=f"toolset {toolset.label}",
                validate=validate, run=run)


def _check_name(tool: Tool) -> None:
    name = tool.name
    if not TOOL_NAME.match(name):
        problem = "is not a JavaScript identifier (letters, digits, _ and $, not starting with a digit)"
    elif name in RESERVED:
        problem = "is a reserved word in JavaScript"
    elif name in SANDBOX_GLOBALS:
        problem = "would hide a global of the sandbox (or a name code expects to exist)"
    else:
        return
    raise UsageError(f"the tool name {name!r} {problem}: rename it ({_rename_hint(tool)})")


def _rename_hint(tool: Tool) -> str:
    if tool.source == "function":
        return "`Tool.from_function(fn, name=...)` or `pydantic_ai.Tool(fn, name=...)`"
    return f"wrap the toolset: `toolset.renamed({{'new_name': {tool.name!r}}})` or `toolset.prefixed('...')`"


def _context(tool_name: str | None, *, approved: bool) -> RunContext[None]:
    """The minimal `RunContext` a tool or toolset is called with outside an agent run: no deps, a
    placeholder model (nothing is ever requested from it), fresh usage."""
    from pydantic_ai import RunContext
    from pydantic_ai.models.test import TestModel
    from pydantic_ai.usage import RunUsage

    return RunContext(deps=None, model=TestModel(), usage=RunUsage(), tool_name=tool_name, tool_call_approved=approved)


def _thread_executor(executor: Executor | None) -> AbstractContextManager[None]:
    """Where pydantic-ai runs sync functions during the call: `executor`, or its default threads."""
    if executor is None:
        return nullcontext()
    from pydantic_ai import Agent

    return Agent.using_thread_executor(executor)


def _pydantic_validate(validator: Any, arguments: dict[str, Any]) -> Any:
    """Validate with a pydantic-core validator, as pydantic-ai does; its errors become `InvalidArguments`."""
    from pydantic import ValidationError

    try:
        return validator.validate_python(arguments)
    except ValidationError as error:
        raise InvalidArguments(_pydantic_problems(error)) from error


def _pydantic_problems(error: ValidationError) -> list[str]:
    problems = []
    for detail in error.errors(include_url=False):
        shown = "" if detail["type"] == "missing" else f" (got {fit(_canonical(detail.get('input')), 60)})"
        problems.append(f"{_path(detail['loc'])}: {detail['msg']}{shown}")
    return problems


async def _custom_validate(function: Callable[..., Any], context: RunContext[Any], validated: Any) -> None:
    """A pydantic-ai tool's own `args_validator`: `ModelRetry` means the arguments are wrong."""
    from pydantic_ai import ModelRetry

    try:
        result = function(context, **validated)
        if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
            await result
    except ModelRetry as retry:
        raise InvalidArguments([f"args: {retry.message}"]) from retry


def _schema_checker(schema: dict[str, Any]) -> Callable[[dict[str, Any]], list[str]]:
    """The JSON Schema check of a toolset tool's arguments; a schema jsonschema cannot read leaves
    the check to the toolset's validator."""
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped,unused-ignore]
    from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped,unused-ignore]

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError:
        return lambda arguments: []
    validator = Draft202012Validator(schema)

    def check(arguments: dict[str, Any]) -> list[str]:
        errors = sorted(validator.iter_errors(arguments), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
        return [_schema_problem(error) for error in errors]

    return check


def _schema_problem(error: Any) -> str:
    """One jsonschema error as `args.path: message`, naming the missing or extra property itself."""
    path = list(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [name for name in error.validator_value if name not in error.instance]
        if missing:
            return f"{_path([*path, missing[0]])}: Field required"
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {}))
        extra = [name for name in error.instance if name not in known]
        if extra:
            return f"{_path([*path, extra[0]])}: Extra inputs are not permitted"
    return f"{_path(path)}: {fit(error.message, 200)}"


def _path(parts: Iterable[Any]) -> str:
    """`args.items[0].sku`, as the guest would write it."""
    text = "args"
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif isinstance(part, str) and TOOL_NAME.match(part):
            text += f".{part}"
        else:
            text += f"[{json.dumps(str(part))}]"
    return text


def _invalid(name: str, problem: InvalidArguments) -> ToolError:
    lines = "\n".join(f"  {line}" for line in problem.problems)
    return ToolError(kind="invalid", message=f"{name}(args): invalid arguments\n{lines}", problems=problem.problems)


def _raised(name: str, error: Exception) -> ToolError:
    kind = type(error).__name__
    detail = fit(str(error), ERROR_MESSAGE_CHARS)
    return ToolError(kind="raised", message=f"{name} raised {kind}: {detail}" if detail else f"{name} raised {kind}", exception=kind)


def _to_json(result: Any) -> str:
    """The JSON text of a tool's result: pydantic models, dataclasses and TypedDicts dumped, bytes
    as base64, NaN and infinities as null; a `ToolReturn` gives its `return_value`. A result that is
    not JSON data raises `TypeError`."""
    from pydantic_ai.messages import ToolReturn
    from pydantic_core import PydanticSerializationError, to_json

    if isinstance(result, ToolReturn):
        result = result.return_value
    try:
        return to_json(result, bytes_mode="base64", inf_nan_mode="null").decode()
    except PydanticSerializationError as error:
        raise TypeError(f"the result is not JSON data: {error}") from error


def _canonical(arguments: Any) -> str:
    """The arguments as canonical JSON (sorted keys, no spaces): the key of a recorded effect."""
    try:
        return json.dumps(arguments, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return json.dumps(repr(arguments))


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else type(value).__name__


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)
