"""Text that came from a model or a program, made fit for a person's terminal.

rich is imported where something is shown, not on import: `jsolve run` uses `visible` and starts
in a fraction of the time rich takes to import."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.text import Text

__all__ = ["shown", "visible"]

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
