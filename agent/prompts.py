"""The prompt templates: files in `prompts/`, filled in by one function that refuses gaps.

A template marks a variable as `{{name}}`; braces and `${...}` that belong to JavaScript stay as
they are. Rendering fails when a variable is missing or not used, so a renamed variable cannot
silently leave a hole in what the model reads.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

__all__ = ["fixed_start", "hints", "render", "shared_prefix", "system"]

_VARIABLE = re.compile(r"\{\{(\w+)\}\}")


def _folder() -> Path:
    packaged = Path(__file__).with_name("_prompts")  # where a wheel puts them
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "prompts"


@functools.cache
def _template(name: str) -> str:
    return (_folder() / f"{name}.md").read_text(encoding="utf-8").strip()


def render(name: str, **values: Any) -> str:
    """The template `prompts/<name>.md` with every `{{variable}}` replaced by `values`."""
    text = _template(name)
    wanted = set(_VARIABLE.findall(text))
    if missing := wanted - values.keys():
        raise KeyError(f"prompt {name!r} needs {sorted(missing)}")
    if unused := values.keys() - wanted:
        raise KeyError(f"prompt {name!r} has no variable {sorted(unused)}")
    return _VARIABLE.sub(lambda m: str(values[m[1]]), text)


def fixed_start(name: str) -> str:
    """The text of `prompts/<name>.md` before its first `{{variable}}`: what every rendering shares."""
    text = _template(name)
    first = _VARIABLE.search(text)
    return text[:first.start()] if first else text


@functools.cache
def hints() -> dict[str, str]:
    """One line of advice per failure kind (`prompts/hints.yaml`)."""
    loaded: dict[str, str] = yaml.safe_load((_folder() / "hints.yaml").read_text(encoding="utf-8"))
    return loaded


def system(hosts: Sequence[str] | None) -> str:
    """The system prompt of a solve whose code may fetch from `hosts`, or not at all (None)."""
    network = render("network-off") if hosts is None else render("network-on", hosts=", ".join(hosts))
    return render("system", network=network)


def shared_prefix() -> list[dict[str, str]]:
    """How every request of a solve without network access begins, as chat messages: the system
    prompt and the task template's text before the instruction. A local model server keeps it
    computed between starts (`agent.models.saved_prefix`)."""
    return [{"role": "system", "content": system(None)}, {"role": "user", "content": fixed_start("task")}]
