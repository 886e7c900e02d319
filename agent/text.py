"""Text helpers, one of each: cutting text (`clip`), the first line of a text or an exception
(`first_line`), lone surrogates (`LONE_SURROGATE`, `clean_text`, `well_formed`), the integers a
JavaScript Number holds exactly (`MAX_SAFE_INTEGER`), JSON text of any value (`json_text`), and
text made fit for a person's terminal (`visible`, `shown`).

Standard library only, and cheap: a sandbox worker imports this module (through
`agent.sandbox.result`). rich is imported where something is shown, not on import: `jsolve run`
uses `visible` and starts in a fraction of the time rich takes to import."""

from __future__ import annotations

import json
import os
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.text import Text

__all__ = ["CUT_AT", "LONE_SURROGATE", "MAX_SAFE_INTEGER", "clean_text", "clip", "first_line", "fit", "json_text", "shown",
           "visible", "well_formed"]

MAX_SAFE_INTEGER = 2**53 - 1
"""JavaScript's `Number.MAX_SAFE_INTEGER`: past it, a Number cannot hold every integer, so an
integer's digits read as exact and are not (inputs refuse such ints, results flag them)."""

CUT_AT = "... [cut at {size} characters]"
"""The `clip` marker of text cut for a cap a reader should know of: an error's message, a
console line."""


def clip(text: str, size: int, *, marker: str = "...") -> str:
    """`text` if it has at most `size` characters, else its first `size` characters followed by
    `marker`, which may name `{size}` and the text's `{length}` (see `CUT_AT`): text kept for a
    model, a log or a report, where the cut is said."""
    if len(text) <= size:
        return text
    return text[:size] + (marker.format(size=size, length=len(text)) if "{" in marker else marker)


def fit(text: str, width: int, *, strip: bool = False) -> str:
    """`text` in at most `width` characters, its last one `…` when it is cut: a terminal cell, a
    one-line record. With `strip`, the spaces before the `…` are dropped."""
    if len(text) <= width:
        return text
    kept = text[: width - 1]
    return (kept.rstrip() if strip else kept) + "…"


def first_line(source: str | BaseException | None) -> str:
    """The first line of `source` without the blank lines and spaces around it: of a text (empty
    for a blank one), or of an exception's message (its type's name when the message is blank)."""
    if isinstance(source, str):
        return (source.strip().splitlines() or [""])[0]
    return (str(source).strip().splitlines() or [type(source).__name__])[0]


LONE_SURROGATE = re.compile("[\ud800-\udfff]")
"""A lone UTF-16 surrogate: half of a character, which JavaScript strings (and a model's JSON
`\\ud800`) may hold and UTF-8 cannot. A Python str read from JSON or the engine holds a pair as one
code point, so any surrogate left in it is a lone one."""


def clean_text(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD, as the WHATWG encoders do, so that it
    encodes (a frame, a terminal, a report file). Two halves written apart are joined."""
    if LONE_SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def well_formed(value: Any) -> Any:
    """`value` (JSON data) with `clean_text` applied to every string in it, keys too."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [well_formed(x) for x in value]
    if isinstance(value, dict):
        return {well_formed(k): well_formed(x) for k, x in value.items()}
    return value


def json_text(value: Any, *, indent: int | None = None) -> str:
    """`value` as JSON for the terminal. A BigInt answer may have any number of digits, and
    Python writes no int past 4,300 of them (`sys.get_int_max_str_digits`): such ints are
    written here, in pieces, and put in place, so that the process-wide limit is never lifted
    (which no other thread could rely on meanwhile). Other values are written as `json.dumps`
    writes them."""
    try:
        return json.dumps(value, ensure_ascii=False, indent=indent)
    except ValueError:
        marker = f"jsolve-int-{os.urandom(8).hex()}-"
        digits: list[str] = []
        marked = _mark_long_ints(value, marker, digits)
        if not digits:
            raise
        text = json.dumps(marked, ensure_ascii=False, indent=indent)
        return re.sub(f'"{marker}([0-9]+)"', lambda found: digits[int(found[1])], text)


_SHORT_INT_BITS = 1900
"""Bits of an int `str()` writes whatever the process's digit limit: 572 digits, under the least
limit Python allows (640)."""


def _mark_long_ints(value: Any, marker: str, digits: list[str]) -> Any:
    """`value` with each int too long for `str()` replaced by `marker` and the index of its
    digits, appended to `digits`."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > _SHORT_INT_BITS:
        digits.append(_int_text(value))
        return f"{marker}{len(digits) - 1}"
    if isinstance(value, (list, tuple)):
        return [_mark_long_ints(item, marker, digits) for item in value]
    if isinstance(value, dict):
        return {key: _mark_long_ints(item, marker, digits) for key, item in value.items()}
    return value


def _int_text(number: int) -> str:
    """`number`'s decimal digits, however many, written in halves of at most 572 digits each."""
    if number < 0:
        return "-" + _int_text(-number)
    if number.bit_length() <= _SHORT_INT_BITS:
        return str(number)
    low = int(number.bit_length() * 0.30103) // 2  # half of its digits, at most
    high, rest = divmod(number, 10**low)
    return _int_text(high) + _int_text(rest).rjust(low, "0")


_UNSEEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""What a terminal acts on or reorders instead of showing: the C0 controls but tab and newline
(ESC starts clipboard writes, links, title changes and clears; CR and backspace overwrite what
was shown), DEL, the C1 controls (U+009B is a one-character ESC [), and the bidirectional
embeddings, overrides and isolates (text shown in another order than it is)."""


def visible(text: str) -> str:
    """`text` from a model, a program or a report file, fit to show on a terminal: each character
    of `_UNSEEN` is written as its escape (`\\u001b` for ESC), so the text can neither command
    the terminal nor hide part of itself. Tab and newline stay, for layout. The escape is the one
    JSON and JavaScript read: JSON text stays the same JSON, and code the same code inside its
    strings."""
    return _UNSEEN.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def shown(text: str, style: str = "") -> Text:
    """`text` made `visible`, as rich text: rich never reads it as markup (`[/]`, `[link=...]`)."""
    from rich.text import Text

    return Text(visible(text), style=style)
