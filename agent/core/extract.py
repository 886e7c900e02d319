"""Find the code in a model's reply."""

from __future__ import annotations

import re

from agent.core.failures import Failure

__all__ = ["extract_code"]

# Possessive `++` and `*+`, and `[^\S\n]` (a space but not a line break) at line starts: with plain
# `*` and `\s*`, a reply of 20,000 blank lines or backticks took seconds, as every line start
# re-scanned the rest of the reply; the matches are the same.
_FENCE = re.compile(r"^[ \t]*+(`{3,}+|~{3,}+)[ \t]*+([\w+-]*+)[^\n]*+\n(.*?)(?:^[ \t]*\1[ \t]*$|\Z)", re.MULTILINE | re.DOTALL)
_CODE_LANGUAGES = {"", "js", "javascript", "mjs", "jsx", "ts", "typescript", "es6", "ecmascript"}
_LOOKS_LIKE_CODE = re.compile(r"\bexport\s+default\b|^[^\S\n]*+(const|let|var|function|async\s+function|class)\s", re.MULTILINE)


def extract_code(reply: str) -> str | Failure:
    """The module in `reply`: the fenced block (the one with `export default` when there are
    several), or the whole reply when it is code; prose around it is ignored."""
    blocks = [m[3] for m in _FENCE.finditer(reply) if m[2].lower() in _CODE_LANGUAGES and m[3].strip()]
    if blocks:
        exporting = [b for b in blocks if "export default" in b]
        return (exporting or blocks)[-1].strip("\n")
    if _LOOKS_LIKE_CODE.search(reply) and not reply.lstrip().startswith(("```", "~~~")):
        return reply.strip("\n")
    return Failure(kind="extract", message="the reply contains no JavaScript code block")
