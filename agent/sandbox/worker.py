"""The worker process: runs each piece of guest code in a fresh QuickJS context.

Started by the pool as an isolated interpreter (`process.WorkerProcess`); reads `run` frames on
stdin and answers with `result` frames on stdout. It has no network and no host calls; nothing it runs can reach
the pool's process.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import resource
import signal
import sys
import time
from collections.abc import Collection, Iterator
from typing import Any, get_args

# The engine's extension itself: the `quickjs` package around it adds only a thread-pool helper
# the worker does not use, and importing that (concurrent.futures, logging) took a fifth of a
# worker's start.
import _quickjs as quickjs

from agent.sandbox.protocol import MAX_HEADER_CHARS, MAX_HEADERS, MAX_URL_CHARS, Channel, ChannelClosed
from agent.sandbox.result import MAX_ERROR_CHARS, ErrorKind, LogLevel, cut_text


def _source(name: str) -> str:
    with open(os.path.join(os.path.dirname(__file__), name), encoding="utf-8") as file:
        return file.read()


def _call(factory: str, args: str) -> str:
    """A script that calls a factory (a `*.js` file: one arrow function) with `args`. The source
    is not wrapped in parentheses: the parser scans ahead to the closing one before it parses,
    which costs a third more than the parse itself."""
    return "{ const factory = " + factory + ";\nfactory(" + args + "); }"


PRELUDE = _call(_source("prelude.js"), "__jsolve_values, __jsolve_extras") + " delete globalThis.__jsolve_values; delete globalThis.__jsolve_extras"
VALUES = _source("values.js")
EXTRAS = _source("extras.js")
CHECKS = _source("check.js")
URL = _call(_source("url.js"), "globalThis")
TEXT = _call(_source("text.js"), "globalThis")
FETCH = _source("fetch.js")

ADDRESS_SPACE_CAP = 4 << 30
"""Bytes of virtual memory the whole worker may map: a backstop behind the engine's own cap."""

COLLECT_HEADROOM = 16 << 20
"""Bytes added to the engine cap after the guest ran, so its logs and error can still be read."""

_NULL_THROWN = re.compile(r"\bthrow\s+null\b|\breject\(\s*null\s*\)")

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

_MODULE_SYNTAX = re.compile(r"(^\s*import\s*[\w{*'\"]|\bexport\s+(default\b|const\b|let\b|var\b|function\b|async\b|class\b|\{|\*))", re.MULTILINE)
_FRAME = re.compile(r"<input>:(\d+):(\d+)")

INPUTS_MODULE = "jsolve:inputs"
"""agent.sandbox.inputs.INPUTS_MODULE (not imported: the worker imports nothing of the host side)."""

_INPUTS_IMPORT = re.compile(r"""import\s*\{([^{}]*)\}\s*from\s*(["'])""" + re.escape(INPUTS_MODULE) + r"""\2[ \t]*;?""")

# The tokens `_inputs_imports` tells apart: only what decides whether an `import` is one (strings,
# template literals, comments, regular expressions and brackets); a run of operator characters is
# one token (all of them are followed by an operand), anything else one character.
# Quantifiers are possessive: a literal left open ends where its line or the code does, with no
# backtracking.
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<comment>//[^\n\r\u2028\u2029]*|/\*[\s\S]*?(?:\*/|\Z))
  | (?P<string>'(?:[^'\\\n\r]++|\\[\s\S])*+'?|"(?:[^"\\\n\r]++|\\[\s\S])*+"?)
  | (?P<template>`)
  | (?P<word>[\w$\\\u0080-\uffff]+)
  | (?P<operator>[-=+*%<>!&|^~?:,@#]+)
  | (?P<other>[\s\S])
""", re.VERBOSE)
_TEMPLATE_REST = re.compile(r"(?:[^`\\$]++|\\[\s\S]|\$(?!\{))*+(`|\$\{|\\?\Z)")
_REGEXP = re.compile(r"/(?![*/])(?:[^/\\\[\n\r]++|\\[^\n\r]|\[(?:[^\]\\\n\r]++|\\[^\n\r])*+\])++/[\w$]*")
_OPERAND_BEFORE = frozenset({"return", "typeof", "instanceof", "in", "of", "new", "delete", "void", "throw", "case", "do", "else",
                             "yield", "await", "extends"})
"""Words after which a `/` starts a regular expression, not a division (and a statement is not over)."""
_CONTROL = frozenset(("if", "while", "for", "with"))
"""Words whose parenthesis is followed by a statement, so a `/` after it starts a regular expression."""
_SPECIFIER = re.compile(r"\s*([A-Za-z_$][\w$]*)(?:\s+as\s+([A-Za-z_$][\w$]*))?\s*\Z")
_BOUNDARY = re.compile(r"^\s*at (eval \(native\)|jsolve_)")


def _die_with_parent() -> None:
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def classify(name: str | None, message: str, *, compiling: bool) -> str:
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


def _position(stack: str | None, message: str) -> tuple[int | None, int | None]:
    match = _FRAME.search(stack or "") or _FRAME.search(message)
    return (int(match[1]), int(match[2])) if match else (None, None)


def _lines(code: str) -> int:
    """The lines of `code`: a check's lines are numbered past them (check.js), so that the stack
    of a function under check names nothing of the check's, and its frames can still be told apart."""
    return code.count("\n") + 1


def _error(kind: str | None, name: str | None, message: str, stack: str | None, *, compiling: bool = False,
           last_line: int | None = None) -> dict[str, Any]:
    """The error frame's fields. With `last_line` (a run with a check), the stack ends at the first
    frame past the code's last line: the check's, or the sandbox's."""
    name, message = (cut_text(name) if name is not None else None), cut_text(message)
    stack = cut_text(stack) if stack is not None else None
    kind = kind or classify(name, message, compiling=compiling)
    if kind == "policy" and "could not load module" in message:
        module = re.search(r"'([^']*)'", message)
        if module and module[1] == INPUTS_MODULE:
            message = f"import the inputs by name, at the top level of the module, on a line of its own: import {{ name }} from \"{INPUTS_MODULE}\""
        else:
            message = f"imports are not available in the sandbox (module {module[1] if module else '?'!r}): write the code without modules"
    elif kind == "memory":
        message = "the code ran out of memory (the engine's allowance was exceeded)"
    elif kind == "timeout" and message in ("", "interrupted"):
        message = "the code ran longer than its time limit"
    if stack:
        lines = stack.split("\n")
        end = next((i for i, text in enumerate(lines) if _BOUNDARY.match(text)
                    or (last_line is not None and (frame := _FRAME.search(text)) is not None and int(frame[1]) > last_line)), len(lines))
        stack = "\n".join(lines[:end]).rstrip() or None
    line, column = _position(stack, message) if kind not in ("memory", "timeout") else _position(stack, "")
    return {"kind": kind, "name": name, "message": message, "line": line, "column": column, "stack": stack}


def import_inputs(code: str, names: Collection[str]) -> tuple[str, dict[str, Any] | None]:
    """`code` with its imports from `jsolve:inputs` (`_inputs_imports`) replaced by what they mean,
    and the `policy` error of one that names no input. The inputs are already globals, so
    importing one by its name is removed and `a as b` becomes `const b = a;`, in the import's
    place (every line and column after it stays). Only what the run's inputs are can be
    imported: an import gives the code nothing else."""
    pieces, end = [], 0
    for match in _inputs_imports(code):
        aliases = []
        for specifier in filter(str.strip, match[1].split(",")):
            named = _SPECIFIER.match(specifier)
            if named is None or named[1] not in names:
                offered = f"this run's inputs are {', '.join(sorted(names))}" if names else "this run has no inputs"
                error = _error("policy", None, f"{INPUTS_MODULE} has no {specifier.strip()!r}: {offered}", None)
                return code, {**error, "line": code.count("\n", 0, match.start()) + 1, "column": match.start() - code.rfind("\n", 0, match.start())}
            if named[2] and named[2] != named[1]:
                aliases.append(f"{named[2]} = {named[1]}")
        pieces += [code[end:match.start()], _blanked(match[0], f"const {', '.join(aliases)};" if aliases else "")]
        end = match.end()
    return "".join(pieces) + code[end:], None


def _blanked(statement: str, replacement: str) -> str:
    """`replacement` in place of `statement`, padded with spaces and keeping its line breaks, so
    that everything after it keeps its line and column. (One `const` is always shorter than the
    import it comes from, so on one line it fits.)"""
    lines = re.sub(r"[^\r\n]", " ", statement).split("\n")
    lines[0] = replacement + lines[0][len(replacement):]
    return "\n".join(lines)


def _inputs_imports(code: str) -> Iterator[re.Match[str]]:
    """The imports from `jsolve:inputs` that are statements of the module: at its top level, first
    on their line, after the end of a statement; not text inside a string, a template literal, a
    comment or a regular expression that looks like one.

    A scan of the tokens that matter, not a parse: whether a `/` starts a regular expression is
    told from the token before it, as parsers do (the one place JavaScript's tokens need the
    grammar). Where it guesses wrong, on code a model does not write (`}` before a division), an
    import can be missed, which the engine then refuses as a policy error."""
    brackets: list[str] = []  # "(", "[", "{", "c" (the parenthesis of if/while/for/with), "`" (a `${` of a template)
    regexp = statement = True  # a "/" here starts a regular expression; a statement may start here
    after_dot = control = False
    at, last = 0, code.rfind(INPUTS_MODULE)  # no import of the inputs starts past the last mention
    while at <= last:
        token = _TOKEN.match(code, at)
        assert token is not None  # the last alternative takes any character
        kind, text = token.lastgroup, token[0]
        at = token.end()
        if kind in ("space", "comment"):
            continue
        if kind == "template" or (text == "}" and brackets and brackets[-1] == "`"):
            if kind != "template":
                brackets.pop()
            rest = _TEMPLATE_REST.match(code, at)
            assert rest is not None  # it stops only where its last group matches
            at = rest.end()
            if rest[1] == "${":
                brackets.append("`")
                regexp, statement = True, False
            else:
                regexp, statement = False, True
        elif kind == "word":
            if (text == "import" and statement and not brackets and not code[code.rfind("\n", 0, token.start()) + 1:token.start()].strip(" \t")
                    and (found := _INPUTS_IMPORT.match(code, token.start())) is not None):
                yield found
                at = found.end()
                regexp = statement = True
            else:
                keyword = not after_dot and text in _OPERAND_BEFORE
                regexp, statement = keyword, not keyword
            control = not after_dot and text in _CONTROL
            after_dot = False
            continue
        elif kind == "string":
            regexp, statement = False, True
        elif kind == "operator":
            regexp, statement = True, False
        elif text == "/" and regexp and (literal := _REGEXP.match(code, token.start())) is not None:
            at = literal.end()
            regexp, statement = False, True
        elif text in "([{":
            brackets.append("c" if text == "(" and control else text)
            regexp, statement = True, False
        elif text in ")]}":
            opened = brackets.pop() if brackets else ""
            regexp = text == "}" or opened == "c"
            statement = not regexp or text == "}"
        else:
            regexp, statement = True, text == ";"
        after_dot, control = text == ".", False


def _split_exception(exc: Exception) -> tuple[str | None, str, str | None]:
    text = str(exc).rstrip("\n")
    head, _, stack = text.partition("\n")
    name, sep, message = head.partition(": ")
    if not sep:
        return None, head, stack or None
    return name, message, stack or None


def fresh_context() -> quickjs.Context:
    """A new runtime and context with the prelude in place, that no code has run in yet."""
    ctx = quickjs.Context()
    ctx.set("__jsolve_values", VALUES)
    ctx.set("__jsolve_extras", EXTRAS)
    ctx.eval(PRELUDE)
    return ctx


def _shims(ctx: quickjs.Context, named: str, network: bool) -> None:
    """Compile the shims `named` (code and check) asks for. They cost more to compile than
    small code costs to run: only a run whose code names them gets them (URL and fetch also
    every run that has a network). Without a network, code that names fetch gets one that
    refuses, and any other code finds no fetch at all: either way there is no way out."""
    if network or "URL" in named:
        ctx.eval(URL)
    if "TextEncoder" in named or "TextDecoder" in named:
        ctx.eval(TEXT)
    if network or "fetch" in named:
        ctx.eval(_call(FETCH, f"globalThis, __jsolve, {json.dumps(network)}"))


def _prepare(ctx: quickjs.Context, limits: dict[str, Any], named: str, network: bool, token: int) -> None:
    if limits.get("memory_mb"):
        ctx.set_memory_limit(limits["memory_mb"] << 20)
    if limits.get("stack_kb"):
        ctx.set_max_stack_size(limits["stack_kb"] << 10)
    _shims(ctx, named, network)
    cfg = {"lines": limits.get("console_lines"), "bytes": limits.get("console_bytes"), "output": limits.get("output_bytes"),
           "error": MAX_ERROR_CHARS, "token": token}
    ctx.eval(f"__jsolve.configure({json.dumps(cfg)})")


def _load_inputs(ctx: quickjs.Context, inputs: list[tuple[str, str]]) -> dict[str, Any] | None:
    """Bind each input to its global in `ctx`; the `memory` error when the engine cannot hold them."""
    for name, text in inputs:
        try:
            ctx.set("__jsolve_input", text)
            ctx.eval(f"__jsolve.input({json.dumps(name)}, __jsolve_input); delete globalThis.__jsolve_input")
        except (quickjs.JSException, MemoryError) as exc:
            error = _error("memory", None, "", None) if isinstance(exc, MemoryError) else _error(None, *_split_exception(exc))
            if error["kind"] == "memory":
                error["message"] = f"the input {name} does not fit in the engine's memory: raise the memory limit or pass less data"
            return error
    return None


def execute(request: dict[str, Any], channel: Channel | None = None, ctx: quickjs.Context | None = None,
            inputs: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """Run one piece of guest code in `ctx` (a `fresh_context()`, made here when not given) and
    return the `result` frame. With a network, requests go to the supervisor over `channel` as
    `fetch` frames and come back as `fetched` frames. `inputs` (name, JSON text) become read-only
    globals before the code runs (and can be imported by name, see `import_inputs`); when there are any, a `loaded` frame says they are in place
    (the run's time limit starts then, on both sides).

    A check of a function runs in the code's context, on the built-ins kept before the code ran
    (extras.js); a check of any other value runs in a fresh context that is given the value as
    JSON, where nothing the code did can reach it. Its source is compiled from a literal in the
    script that starts it, never set as a global the code could read."""
    limits = request["limits"]
    code: str = request["code"]
    check: str | None = request.get("check")
    timeout = limits.get("timeout")
    deadline = time.monotonic() + timeout if timeout else None
    ctx = ctx or fresh_context()
    network = channel if request.get("network") else None
    net = _NetLimits(request.get("network"))
    token = int.from_bytes(os.urandom(7)) >> 4  # 52 random bits: exact as a JS Number
    _prepare(ctx, limits, code + (check or ""), network is not None, token)
    run_id = request.get("run_id")
    error: dict[str, Any] | None = _load_inputs(ctx, inputs) if inputs else None
    if inputs and channel is not None:
        channel.send({"op": "loaded", "run_id": run_id})
        deadline = time.monotonic() + timeout if timeout else None
    if check is not None:  # before the code runs: the check's built-ins are kept now
        ctx.set("__jsolve_checks", CHECKS)
        ctx.eval("__jsolve.guard()")
    if timeout:
        ctx.set_time_limit(timeout)
    first: dict[str, Any] | None = None  # the code's own report, when its value is checked elsewhere
    if error is None and INPUTS_MODULE in code:
        code, error = import_inputs(code, [name for name, _ in inputs or ()])
    try:
        if error is not None:
            pass
        elif (lone := _LONE_SURROGATE.search(code)) is not None:
            # The engine takes UTF-8, which cannot hold one: the binding fails (a SystemError from
            # ctx.set, UnicodeEncodeError from ctx.module) and the worker would die with it.
            error = _lone_surrogate(code, lone.start())
        elif _MODULE_SYNTAX.search(code):
            ctx.module(code)
            ctx.eval("__jsolve.module()")
        else:
            ctx.set("__jsolve_src", code)
            ctx.eval("__jsolve.script(__jsolve_src)")
    except quickjs.JSException as exc:
        error = _error(None, *_split_exception(exc), compiling=True)
    try:
        if error is None:
            error = _settle(ctx, deadline, network, run_id, net)
        if error is None and check is not None:
            mode = ctx.eval("__jsolve.checkMode()")
            if mode == "function":
                ctx.eval(f"__jsolve.check({json.dumps(check)}, {token}, {_lines(code)})")
                error = _settle(ctx, deadline, network, run_id, net)
            elif mode == "value":
                first = _report(ctx, limits, code)
                if "error" not in first:
                    ctx = fresh_context()
                    _prepare(ctx, limits, check, False, token)
                    # The check reads the inputs it names (to compare the value with the data).
                    error = _load_inputs(ctx, [(name, text) for name, text in inputs or () if name in check])
                    ctx.set("__jsolve_checks", CHECKS)
                    if timeout:
                        ctx.set_time_limit(timeout)
                    if error is None:
                        ctx.eval(f"__jsolve.checkValue({json.dumps(check)}, {json.dumps(first['value'])}, {json.dumps(first['bigints'])}, {_lines(code)})")
                        error = _settle(ctx, deadline, None, run_id, net)
    except quickjs.JSException as exc:
        # Raised by the sandbox's own hooks (the guest's errors settle its promise instead): the
        # stack's lines are the sandbox's, which would read as lines of the guest's code.
        name, message, _ = _split_exception(exc)
        error = _error(None, name, message, None)
    outcome = first if first is not None and "error" in first else _report(ctx, limits, code)
    if first is not None:
        outcome = {**outcome, "logs": first["logs"], "cut": first["cut"]}  # the check's console is silent
    if error is None and "error" in outcome:
        err = outcome["error"]
        kind = err["kind"]
        if err.get("check") and classify(err["name"], err["message"], compiling=False) == "runtime":
            kind = "check"
        error = _error(kind, err["name"], err["message"], err["stack"], last_line=_lines(code) if check is not None else None)
    result: dict[str, Any] = {"op": "result", "run_id": run_id, "logs": outcome["logs"], "cut": outcome["cut"], "error": error}
    if error is None:
        result["value_json"] = outcome["value"]
        result["bigints"] = outcome["bigints"]
    return result


def _lone_surrogate(code: str, index: int) -> dict[str, Any]:
    """The `syntax` error of code holding a lone surrogate (which no source text can hold)."""
    line = code.count("\n", 0, index) + 1
    column = index - (code.rfind("\n", 0, index) + 1) + 1
    return {"kind": "syntax", "name": "SyntaxError", "line": line, "column": column, "stack": None,
            "message": f"the code holds a lone surrogate (U+{ord(code[index]):04X}) at line {line}, column {column}: write it as an escape such as \\u{ord(code[index]):04x}"}


def _report(ctx: quickjs.Context, limits: dict[str, Any], code: str) -> dict[str, Any]:
    """The prelude's report of the run in `ctx`, checked (`_outcome`), read with the limits lifted."""
    ctx.set_time_limit(-1)
    if limits.get("memory_mb"):
        ctx.set_memory_limit((limits["memory_mb"] << 20) + COLLECT_HEADROOM)
    try:
        outcome = _outcome(ctx.eval("__jsolve.result()"), limits)
    except quickjs.JSException as exc:
        outcome = {"logs": [], "cut": 0, "error": dict(zip(("name", "message", "stack"), _split_exception(exc)), kind=None)}
    except UnicodeDecodeError:  # a lone surrogate in text the engine hands over raw: only replaced built-ins get here
        return _TAMPERED
    err = outcome.get("error")
    if isinstance(err, dict) and err.pop("null", False) and err.get("kind") is None:
        # The engine throws null when it cannot even make the error for running out of memory,
        # so null means memory unless the code throws it itself.
        if _NULL_THROWN.search(code):
            outcome = {**outcome, "error": {**err, "kind": "runtime", "message": "the code threw null; throw an Error instead, e.g. `throw new Error(\"why\")`"}}
        else:
            outcome = {**outcome, "error": {**err, "kind": "memory"}}
    return outcome


class _NetLimits:
    """What the worker checks of a request before it leaves: the supervisor checks it again."""

    def __init__(self, network: Any) -> None:
        body = network.get("max_request_bytes") if isinstance(network, dict) else None
        self.max_request_bytes: int | None = body if isinstance(body, int) else None


def _requests(text: Any, net: _NetLimits) -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:
    """The guest's request list (fetch.js's outbox), read field by field: the frames to send and
    the replies to deliver at once (a request that is malformed or over a cap). None when the
    list itself is not one fetch.js writes: the code changed built-ins fetch uses.

    Only the fields named here go into a frame, each of the type and size the protocol allows,
    so nothing in the list can make a frame of another kind or for another run."""
    try:
        items = json.loads(text) if isinstance(text, str) else None
    except (ValueError, RecursionError):
        return None
    if not isinstance(items, list):
        return None
    frames: list[dict[str, Any]] = []
    replies: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, dict) or isinstance(rid := item.get("id"), bool) or not isinstance(rid, int):
            return None
        url, method, headers, body = item.get("url"), item.get("method"), item.get("headers"), item.get("body")
        well_formed = (isinstance(url, str) and len(url) <= MAX_URL_CHARS and isinstance(method, str) and len(method) <= 64
                       and isinstance(headers, list) and len(headers) <= MAX_HEADERS
                       and all(isinstance(h, list) and len(h) == 2 and all(isinstance(x, str) for x in h)
                               and len(h[0]) + len(h[1]) <= MAX_HEADER_CHARS for h in headers)
                       and (body is None or isinstance(body, str)))
        if not well_formed:
            replies.append({"id": rid, "error": {"kind": "network", "message": "fetch failed: the request is malformed"}})
            continue
        cap = net.max_request_bytes
        if cap is not None and body is not None and len(body) > cap // 3 and (size := len(body.encode("utf-8", "replace"))) > cap:
            replies.append({"id": rid, "error": {"kind": "policy", "message": f"refused {url[:200]}: its body is {size} bytes, over the cap of {cap} bytes per request"}})
            continue
        frames.append({"id": rid, "url": url, "method": method, "headers": [[k, v] for k, v in headers], "body": body})
    return frames, replies


_OUTBOX_TAMPERED = _error("runtime", None, "the code's fetch requests could not be read: it changed built-ins fetch uses "
                          "(such as Object.prototype.toJSON or Array.prototype[Symbol.iterator]); leave those as they are", None)


_KINDS = {None, *get_args(ErrorKind)} - {"crash", "check"}  # what the prelude may report: the rest is decided here or in the pool
_LEVELS = set(get_args(LogLevel))
_TAMPERED = {"logs": [], "cut": 0, "error": {
    "kind": "output", "name": None, "stack": None,
    "message": "the result could not be read out: the code changed built-ins the sandbox reads it with "
               "(such as JSON.stringify or Object.prototype.toJSON); leave those as they are"}}


def _outcome(text: Any, limits: dict[str, Any]) -> dict[str, Any]:
    """The prelude's report of the run (logs, then the value as JSON text or the error), checked.
    Code that replaces built-ins can make the report anything, so what does not have its shape,
    or is over the caps, is reported as an `output` error rather than trusted."""
    try:
        outcome = json.loads(text) if isinstance(text, str) else None
    except (ValueError, RecursionError):
        return _TAMPERED
    if not isinstance(outcome, dict) or not isinstance(outcome.get("cut"), int) or not isinstance(logs := outcome.get("logs"), list):
        return _TAMPERED
    if not all(isinstance(e, dict) and e.get("level") in _LEVELS and isinstance(e.get("text"), str) for e in logs):
        return _TAMPERED
    lines, size = limits.get("console_lines"), limits.get("console_bytes")
    if (lines is not None and len(logs) > lines) or (size is not None and sum(len(e["text"]) for e in logs) > size):
        return _TAMPERED
    if isinstance(err := outcome.get("error"), dict):
        fields_ok = isinstance(err.get("message"), str) and all(isinstance(err.get(k), (str, type(None))) for k in ("name", "stack"))
        return outcome if fields_ok and err.get("kind") in _KINDS else _TAMPERED
    value, bigints = outcome.get("value"), outcome.get("bigints")
    if not isinstance(value, str) or not isinstance(bigints, list):
        return _TAMPERED
    if not all(isinstance(path, list) and all(isinstance(k, (str, int)) for k in path) for path in bigints):
        return _TAMPERED
    if (cap := limits.get("output_bytes")) is not None and len(value) > cap:
        return _TAMPERED
    return outcome


def _deliver(ctx: quickjs.Context, reply: dict[str, Any]) -> None:
    ctx.set("__jsolve_reply", json.dumps(reply))
    ctx.eval("__jsolve.deliver(__jsolve_reply); delete globalThis.__jsolve_reply")


def _settle(ctx: quickjs.Context, deadline: float | None, network: Channel | None, run_id: Any, net: _NetLimits) -> dict[str, Any] | None:
    """Drive the job queue, timers and requests until the guest's value settles; an error frame
    if it cannot."""
    while True:
        jobs = 0
        while ctx.execute_pending_job():
            jobs += 1
            if jobs & 0x3FF == 0 and deadline is not None and time.monotonic() > deadline:
                return _error("timeout", None, "", None)
        if network is not None and (outbox := ctx.eval("__jsolve.outbox()")):
            read = _requests(outbox, net)
            if read is None:
                return _OUTBOX_TAMPERED
            frames, replies = read
            for frame in frames:
                network.send({"op": "fetch", "run_id": run_id, **frame})
            for reply in replies:
                _deliver(ctx, reply)
            if replies:
                continue  # the guest may go on from a rejection at once
        wait = ctx.eval("__jsolve.poll()")
        if wait == -2:
            return None
        waiting_on_network = network is not None and ctx.eval("__jsolve.inFlight()") > 0
        if wait == -1 and not waiting_on_network:
            return _error("timeout", None, "the code awaits something that can never settle (no timer or request is pending)", None)
        now = time.monotonic()
        until = now + wait / 1000 if wait >= 0 else None
        if deadline is not None and (until is None or until > deadline):
            if not waiting_on_network:
                return _error("timeout", None, "", None)
            until = deadline
        if waiting_on_network:
            assert network is not None
            if until is None or network.readable(until - now):
                reply = network.recv()
                if reply.get("op") == "fetched" and reply.get("run_id") == run_id:
                    _deliver(ctx, reply)
                continue
            if deadline is not None and time.monotonic() >= deadline:
                return _error("timeout", None, "the code ran longer than its time limit while waiting for fetch", None)
        elif wait > 0:
            time.sleep(wait / 1000)
        ctx.eval("__jsolve.fire()")


def main() -> None:
    _die_with_parent()
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_CAP, resource.getrlimit(resource.RLIMIT_AS)[1]))
    channel = Channel(os.dup(0), os.dup(1))
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    sys.stdout = sys.stderr
    statm = os.open("/proc/self/statm", os.O_RDONLY)
    page = resource.getpagesize()
    channel.send({"op": "ready", "pid": os.getpid()})
    ctx: quickjs.Context | None = None
    held: dict[str, str] = {}  # digest -> JSON text: the inputs of the last run, which the pool need not send again
    while True:
        # The next run's context is made while no run waits for this worker, not when one does.
        ctx = ctx or fresh_context()
        try:
            request = channel.recv()
            if request.get("op") != "run":
                continue  # a late reply to a request of a run that already ended
            now: dict[str, str] = {}
            for item in request.get("inputs") or ():
                digest = item["digest"]
                now[digest] = channel.recv_raw().decode("utf-8") if item["sent"] else now.get(digest) or held[digest]
            held = now
        except ChannelClosed:
            return
        inputs = [(item["name"], held[item["digest"]]) for item in request.get("inputs") or ()]
        try:
            reply = execute(request, channel, ctx, inputs)
        except ChannelClosed:
            return
        except MemoryError:
            reply = {"op": "result", "run_id": request.get("run_id"), "logs": [], "cut": 0, "error": _error("memory", None, "", None)}
        ctx = None  # freed before measuring what the worker holds on to
        reply["rss"] = int(os.pread(statm, 64, 0).split()[1]) * page
        channel.send(reply)


if __name__ == "__main__":
    main()
