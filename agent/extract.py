"""Find the code in a model's reply."""

from __future__ import annotations

import re

from agent.failures import Failure

__all__ = ["extract_code"]

_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w+-]*)[^\n]*\n(.*?)(?:^[ \t]*\1[ \t]*$|\Z)", re.MULTILINE | re.DOTALL)
_CODE_LANGUAGES = {"", "js", "javascript", "mjs", "jsx", "ts", "typescript", "es6", "ecmascript"}
_LOOKS_LIKE_CODE = re.compile(r"\bexport\s+default\b|^\s*(const|let|var|function|async\s+function|class)\s", re.MULTILINE)


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
