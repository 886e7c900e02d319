"""The imports of the inputs and the tools: `import { rows } from "jsolve:inputs"` and
`import { orders_in } from "jsolve:tools"` rewritten to what they mean, the inputs and the global
`tools` being in place already."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Collection, Iterator
from typing import NamedTuple

from agent.sandbox.builtins import MODULES, unknown_module
from agent.sandbox.protocol import ErrorFields
from agent.sandbox.worker.errors import INPUTS_MODULE, TOOLS_MODULE, error

_IMPORT_PATTERNS = {module: (r"""import\s*\{([^{}]*)\}\s*from\s*(["'])""" + re.escape(module) + r"""\2[ \t]*;?""")
            for module in (INPUTS_MODULE, TOOLS_MODULE)}

# The tokens `_imports` tells apart: only what decides whether an `import` is one (strings,
# template literals, comments, regular expressions and brackets); a run of operator characters is
# one token (all of them are followed by an operand), anything else one character.
# Quantifiers are possessive: a literal left open ends where its line or the code does, with no
# backtracking.
_TOKEN = (r"""
    (?P<space>\s+)
  | (?P<comment>//[^\n\r\u2028\u2029]*|/\*[\s\S]*?(?:\*/|\Z))
  | (?P<string>'(?:[^'\\\n\r]++|\\[\s\S])*+'?|"(?:[^"\\\n\r]++|\\[\s\S])*+"?)
  | (?P<template>`)
  | (?P<word>[\w$\\\u0080-\uffff]+)
  | (?P<operator>[-=+*%<>!&|^~?:,@#]+)
  | (?P<other>[\s\S])
""")
_TEMPLATE_REST = (r"(?:[^`\\$]++|\\[\s\S]|\$(?!\{))*+(`|\$\{|\\?\Z)")
_REGEXP = (r"/(?![*/])(?:[^/\\\[\n\r]++|\\[^\n\r]|\[(?:[^\]\\\n\r]++|\\[^\n\r])*+\])++/[\w$]*")
_OPERAND_BEFORE = frozenset({"return", "typeof", "instanceof", "in", "of", "new", "delete", "void", "throw", "case", "do", "else",
                             "yield", "await", "extends"})
"""Words after which a `/` starts a regular expression, not a division (and a statement is not over)."""
_CONTROL = frozenset(("if", "while", "for", "with"))
"""Words whose parenthesis is followed by a statement, so a `/` after it starts a regular expression."""
_NAME = r"[A-Za-z_$][\w$]*"
_STATIC_IMPORT = (r"import\s*(?:(?P<clause>(?:" + _NAME + r")?\s*,?\s*(?:\*\s*as\s+" + _NAME + r"|\{[^{}]*\})?)\s*from\s*)?"
                  r"""(?P<quote>["'])(?P<module>[^"'\r\n]*)(?P=quote)[ \t]*;?""")
"""Any static import (`import x, { a as b } from "m";`, `import * as ns from "m"`, `import "m"`)."""
_DYNAMIC_IMPORT = r"""import\s*\(\s*(?P<quote>["'])(?P<module>[^"'\r\n]*)(?P=quote)\s*\)"""
"""A dynamic import of a string literal (`import("node:fs")`)."""
_CLAUSE = re.compile(r"\s*(?:(?P<default>" + _NAME + r")\s*,?\s*)?(?:\*\s*as\s+(?P<namespace>" + _NAME + r")|\{(?P<named>[^{}]*)\})?\s*\Z")
_SPECIFIER = re.compile(r"\s*([A-Za-z_$][\w$]*)(?:\s+as\s+([A-Za-z_$][\w$]*))?\s*\Z")


class _Scanner(NamedTuple):
    imports: dict[str, re.Pattern[str]]
    static: re.Pattern[str]
    dynamic: re.Pattern[str]
    token: re.Pattern[str]
    template_rest: re.Pattern[str]
    regexp: re.Pattern[str]


@functools.cache
def _scanner() -> _Scanner:
    """The scanner's patterns, compiled on the first run that imports from a jsolve module: they
    took 4-6 ms of every worker's start, most runs never use them."""
    return _Scanner({module: re.compile(text) for module, text in _IMPORT_PATTERNS.items()}, re.compile(_STATIC_IMPORT), re.compile(_DYNAMIC_IMPORT),
                    re.compile(_TOKEN, re.VERBOSE), re.compile(_TEMPLATE_REST), re.compile(_REGEXP))


def import_inputs(code: str, names: Collection[str]) -> tuple[str, ErrorFields | None]:
    """`code` with its imports from `jsolve:inputs` (`_imports`) replaced by what they mean,
    and the `policy` error of one that names no input. The inputs are already globals, so
    importing one by its name is removed and `a as b` becomes `const b = a;`, in the import's
    place (every line and column after it stays). Only what the run's inputs are can be
    imported: an import gives the code nothing else."""
    pieces, end = [], 0
    for match in _imports(code, INPUTS_MODULE):
        aliases = []
        for specifier in filter(str.strip, match[1].split(",")):
            named = _SPECIFIER.match(specifier)
            if named is None or named[1] not in names:
                return code, _missing(code, match, INPUTS_MODULE, specifier, "inputs", names)
            if named[2] and named[2] != named[1]:
                aliases.append(f"{named[2]} = {named[1]}")
        pieces += [code[end:match.start()], _blanked(match[0], f"const {', '.join(aliases)};" if aliases else "")]
        end = match.end()
    return "".join(pieces) + code[end:], None


def import_tools(code: str, names: Collection[str]) -> tuple[str, ErrorFields | None]:
    """`code` with its imports from `jsolve:tools` replaced by what they mean: the tools are the
    properties of the frozen global `tools`, so `import { a, b as c } from "jsolve:tools"` becomes
    `const{a,b:c}=globalThis.tools;` in the import's place (every line and column after it stays;
    `globalThis`, as code may name a binding of its own `tools`). Only the run's tools can be
    imported; anything else is the `policy` error that names them."""
    pieces, end = [], 0
    for match in _imports(code, TOOLS_MODULE):
        bound = []
        for specifier in filter(str.strip, match[1].split(",")):
            named = _SPECIFIER.match(specifier)
            if named is None or named[1] not in names:
                return code, _missing(code, match, TOOLS_MODULE, specifier, "tools", names)
            bound.append(named[1] if not named[2] or named[2] == named[1] else f"{named[1]}:{named[2]}")
        pieces += [code[end:match.start()], _blanked(match[0], f"const{{{','.join(bound)}}}=globalThis.tools;" if bound else "")]
        end = match.end()
    return "".join(pieces) + code[end:], None


def import_builtins(code: str) -> tuple[str, ErrorFields | None]:
    """`code` with its imports of Node's built-ins (`node:crypto` or `crypto`, see agent.sandbox.builtins.MODULES)
    replaced by reads of the registry node.py put in place: `import x, { a, b as c } from
    "node:m"` becomes `const x=__jsolve_node("node:m").default,{a,b:c}=__jsolve_node("node:m","a","b");export {};`
    (which throws node's SyntaxError for a name the module does not export), `import * as ns`
    the namespace itself, and `import("node:m")` a promise of it. Line breaks stay, so every
    later line keeps its number. A static import of any other module is the `policy` error that
    names the modules that exist (`jsolve:inputs` and `jsolve:tools` are rewritten before)."""
    scanner = _scanner()
    pieces, end = [], 0
    for kind, match in _statements(code, code.rfind("import"), scanner.static, scanner.dynamic, first_on_line=False):
        module = match["module"]
        if module in (INPUTS_MODULE, TOOLS_MODULE):
            continue
        if module.removeprefix("node:") not in MODULES:
            if kind == "dynamic":
                continue  # rejected by the engine when it runs, with the same message (errors.error)
            return code, _at(code, match, unknown_module(module))
        if kind == "dynamic":
            replacement = f"__jsolve_node.load({json.dumps(module)})"
        else:
            clause = _CLAUSE.match(match["clause"] or "")
            if clause is None:
                return code, _at(code, match, f"this import of {module} could not be read: write it as `import name from \"{module}\"`, "
                                              f"`import {{ a, b }} from \"{module}\"` or `import * as name from \"{module}\"`")
            replacement, failed = _builtin_bindings(code, match, module, clause)
            if failed is not None:
                return code, failed
        pieces += [code[end:match.start()], _kept_lines(match[0], replacement)]
        end = match.end()
    return "".join(pieces) + code[end:], None


def _builtin_bindings(code: str, match: re.Match[str], module: str, clause: re.Match[str]) -> tuple[str, ErrorFields | None]:
    """The `const` (or the bare call, for `import "m"`) that binds what an import names."""
    load = f"__jsolve_node({json.dumps(module)})"
    declared = []
    if clause["default"]:
        declared.append(f"{clause['default']}={load}.default")
    if clause["namespace"]:
        declared.append(f"{clause['namespace']}={load}")
    if clause["named"] is not None:
        bound, names = [], []
        for specifier in filter(str.strip, clause["named"].split(",")):
            named = _SPECIFIER.match(specifier)
            if named is None:
                return "", _at(code, match, f"the import specifier {specifier.strip()!r} of {module} could not be read: write `name` or `name as alias`")
            bound.append(named[1] if not named[2] or named[2] == named[1] else f"{named[1]}:{named[2]}")
            if named[1] != "default":
                names.append(json.dumps(named[1]))
        if bound:
            declared.append(f"{{{','.join(bound)}}}=__jsolve_node({','.join([json.dumps(module), *names])})")
    # `export {}` (which exports nothing) keeps the code a module once it has no import left.
    return (f"const {','.join(declared)};" if declared else f"{load};") + "export {};", None


def _at(code: str, match: re.Match[str], message: str) -> ErrorFields:
    """The `policy` error `message`, at the import `match`."""
    found = error("policy", None, message, None)
    return {**found, "line": code.count("\n", 0, match.start()) + 1, "column": match.start() - code.rfind("\n", 0, match.start())}


def _kept_lines(statement: str, replacement: str) -> str:
    """`replacement` in place of `statement`, keeping its line breaks (so later lines keep their
    numbers), padded with spaces when it is shorter."""
    breaks = statement.count("\n")
    first = statement.split("\n", 1)[0]
    return replacement + " " * max(0, len(first) - len(replacement)) + "\n" * breaks


def _missing(code: str, match: re.Match[str], module: str, specifier: str, what: str, names: Collection[str]) -> ErrorFields:
    """The `policy` error of an import that names no input (no tool), at the import."""
    offered = f"this run's {what} are {', '.join(sorted(names))}" if names else f"this run has no {what}"
    found = error("policy", None, f"{module} has no {specifier.strip()!r}: {offered}", None)
    return {**found, "line": code.count("\n", 0, match.start()) + 1, "column": match.start() - code.rfind("\n", 0, match.start())}


def _blanked(statement: str, replacement: str) -> str:
    """`replacement` in place of `statement`, padded with spaces and keeping its line breaks, so
    that everything after it keeps its line and column. (One `const` is always shorter than the
    import it comes from, so on one line it fits.)"""
    lines = re.sub(r"[^\r\n]", " ", statement).split("\n")
    lines[0] = replacement + lines[0][len(replacement):]
    return "\n".join(lines)


def _imports(code: str, module: str) -> Iterator[re.Match[str]]:
    """The imports from `module` (`jsolve:inputs`, `jsolve:tools`) that are statements of the
    module, first on their line (see `_statements`)."""
    scanner = _scanner()
    for _, found in _statements(code, code.rfind(module), scanner.imports[module], None, first_on_line=True):
        yield found


def _statements(code: str, last: int, static: re.Pattern[str], dynamic: re.Pattern[str] | None, *,
                first_on_line: bool) -> Iterator[tuple[str, re.Match[str]]]:
    """The imports `static` matches that are statements of the module: at its top level (first on
    their line when `first_on_line`), after the end of a statement; and, with `dynamic`, the
    `import(...)` calls it matches anywhere; not text inside a string, a template literal, a
    comment or a regular expression that looks like one. Yields ("static" or "dynamic", match),
    up to the position `last`.

    A scan of the tokens that matter, not a parse: whether a `/` starts a regular expression is
    told from the token before it, as parsers do (the one place JavaScript's tokens need the
    grammar). Where it guesses wrong, on code a model does not write (`}` before a division), an
    import can be missed, which the engine then refuses as a policy error."""
    brackets: list[str] = []  # "(", "[", "{", "c" (the parenthesis of if/while/for/with), "`" (a `${` of a template)
    regexp = statement = True  # a "/" here starts a regular expression; a statement may start here
    after_dot = control = False
    at = 0
    scanner = _scanner()
    while at <= last:
        token = scanner.token.match(code, at)
        assert token is not None  # the last alternative takes any character
        kind, text = token.lastgroup, token[0]
        at = token.end()
        if kind in ("space", "comment"):
            continue
        if kind == "template" or (text == "}" and brackets and brackets[-1] == "`"):
            if kind != "template":
                brackets.pop()
            rest = scanner.template_rest.match(code, at)
            assert rest is not None  # it stops only where its last group matches
            at = rest.end()
            if rest[1] == "${":
                brackets.append("`")
                regexp, statement = True, False
            else:
                regexp, statement = False, True
        elif kind == "word":
            if (text == "import" and statement and not brackets
                    and (not first_on_line or not code[code.rfind("\n", 0, token.start()) + 1:token.start()].strip(" \t"))
                    and (found := static.match(code, token.start())) is not None):
                yield "static", found
                at = found.end()
                regexp = statement = True
            elif text == "import" and not after_dot and dynamic is not None and (found := dynamic.match(code, token.start())) is not None:
                yield "dynamic", found
                at = found.end()
                regexp, statement = False, True
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
        elif text == "/" and regexp and (literal := scanner.regexp.match(code, token.start())) is not None:
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
