"""The imports of the inputs: `import { rows } from "jsolve:inputs"` rewritten to what it means,
the inputs being globals already."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator

from agent.sandbox.protocol import ErrorFields
from agent.sandbox.worker.errors import INPUTS_MODULE, error

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


def import_inputs(code: str, names: Collection[str]) -> tuple[str, ErrorFields | None]:
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
                found = error("policy", None, f"{INPUTS_MODULE} has no {specifier.strip()!r}: {offered}", None)
                return code, {**found, "line": code.count("\n", 0, match.start()) + 1, "column": match.start() - code.rfind("\n", 0, match.start())}
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
