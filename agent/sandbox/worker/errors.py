"""The error frames the worker reports: the kind of a JS error, its message for the model, its
place in the guest's code."""

from __future__ import annotations

import re

from agent.sandbox.builtins import MODULES, unknown_module
from agent.sandbox.protocol import ErrorFields
from agent.sandbox.result import MAX_ERROR_CHARS, SCRIPT_KINDS, ErrorKind
from agent.sandbox.worker.node import FIRST_LINE
from agent.text import CUT_AT, clip

INPUTS_MODULE = "jsolve:inputs"
"""agent.sandbox.inputs.INPUTS_MODULE (not imported: the worker imports nothing of the host side)."""

TOOLS_MODULE = "jsolve:tools"
"""The module the guest imports the run's tools from (`import { orders_in } from "jsolve:tools"`)."""

_KINDS = {None, *SCRIPT_KINDS}  # what the prelude may report (None: `classify` decides); a check's failure is decided here, a crash in the pool

_FRAME = re.compile(r"<input>:(\d+):(\d+)")
_BOUNDARY = re.compile(r"^\s*at (eval \(native\)|jsolve_)")


def classify(name: str | None, message: str, *, compiling: bool) -> ErrorKind:
    """The error kind of a JS error, from its name and message."""
    if name == "InternalError" and message == "interrupted":
        return "timeout"
    if message.strip() == "null" or (name == "InternalError" and message in ("out of memory", "string too long")):
        return "memory"
    if "Maximum call stack size exceeded" in message or message == "stack overflow":
        return "stack"
    if "could not load module" in message:
        return "policy"
    if compiling and name == "SyntaxError":
        return "syntax"
    return "runtime"


def split_exception(exc: Exception) -> tuple[str | None, str, str | None]:
    """An engine exception's name, message and stack."""
    text = str(exc).rstrip("\n")
    head, _, stack = text.partition("\n")
    name, sep, message = head.partition(": ")
    if not sep:
        return None, head, stack or None
    return name, message, stack or None


def _position(stack: str | None, message: str) -> tuple[int | None, int | None]:
    match = next((frame for frame in _FRAME.finditer(stack or "") if int(frame[1]) < FIRST_LINE), None) or _FRAME.search(message)
    return (int(match[1]), int(match[2])) if match else (None, None)


def _in_modules(line: str) -> bool:
    """Whether a stack line is a frame in the sandbox's Node modules (node.FIRST_LINE)."""
    frame = _FRAME.search(line)
    return frame is not None and int(frame[1]) >= FIRST_LINE


def lines(code: str) -> int:
    """The lines of `code`: a check's lines are numbered past them (check.js), so that the stack
    of a function under check names nothing of the check's, and its frames can still be told apart."""
    return code.count("\n") + 1


def error(kind: str | None, name: str | None, message: str, stack: str | None, *, compiling: bool = False,
          last_line: int | None = None) -> ErrorFields:
    """The error frame's fields. With `last_line` (a run with a check), the stack ends at the first
    frame past the code's last line: the check's, or the sandbox's."""
    name = clip(name, MAX_ERROR_CHARS, marker=CUT_AT) if name is not None else None
    message = clip(message, MAX_ERROR_CHARS, marker=CUT_AT)
    stack = clip(stack, MAX_ERROR_CHARS, marker=CUT_AT) if stack is not None else None
    kind = kind or classify(name, message, compiling=compiling)
    if kind == "policy" and "could not load module" in message:
        module = re.search(r"'([^']*)'", message)
        if module and module[1] == INPUTS_MODULE:
            message = f"import the inputs by name, at the top level of the module, on a line of its own: import {{ name }} from \"{INPUTS_MODULE}\""
        elif module and module[1] == TOOLS_MODULE:
            message = f"import the tools by name, at the top level of the module, on a line of its own: import {{ name }} from \"{TOOLS_MODULE}\""
        else:
            name = module[1] if module else "?"
            message = (f"{name} is one of the sandbox's modules, but only an import statement or import() of its name as a string "
                       f"reaches it: write `import {{ name }} from \"{name}\"` (not `export ... from`)" if name.removeprefix("node:") in MODULES
                       else unknown_module(name))
    elif kind == "memory":
        message = "the code ran out of memory (the engine's allowance was exceeded)"
    elif kind == "timeout" and message in ("", "interrupted"):
        message = "the code ran longer than its time limit"
    if stack:
        stack_lines = stack.split("\n")
        end = next((i for i, text in enumerate(stack_lines) if _BOUNDARY.match(text)
                    or (last_line is not None and (frame := _FRAME.search(text)) is not None and last_line < int(frame[1]) < FIRST_LINE)), len(stack_lines))
        stack = "\n".join(text for text in stack_lines[:end] if not _in_modules(text)).rstrip() or None
    line, column = _position(stack, message) if kind not in ("memory", "timeout") else _position(stack, "")
    return {"kind": kind, "name": name, "message": message, "line": line, "column": column, "stack": stack}


def lone_surrogate(code: str, index: int) -> ErrorFields:
    """The `syntax` error of code holding a lone surrogate (which no source text can hold)."""
    line = code.count("\n", 0, index) + 1
    column = index - (code.rfind("\n", 0, index) + 1) + 1
    return {"kind": "syntax", "name": "SyntaxError", "line": line, "column": column, "stack": None,
            "message": f"the code holds a lone surrogate (U+{ord(code[index]):04X}) at line {line}, column {column}: write it as an escape such as \\u{ord(code[index]):04x}"}
