"""Intl and the locale methods in a run's context (bundles/intl/), compiled only into runs whose
code names them.

A run whose code and check (`named`) mention `Intl` or a locale method gets js/intl.js (the
checks on locales and zones, the locale methods of Number, BigInt, Date, Array and String) and
js/intl_collate.js (the collator), plus the FormatJS bundles of the constructor families the text
names and their data for the bundled locales it writes as string literals (en always, first: the
first locale loaded is the polyfills' default). Whatever is bundled but not loaded fails loudly
when used, with a message saying to name it in the code."""

from __future__ import annotations

import functools
import json
import os
import re
from typing import NamedTuple

import _quickjs as quickjs

from agent.sandbox.worker import bytecode

_JS = os.path.join(os.path.dirname(__file__), "js")
"""The folder of the sandbox's JavaScript."""

_BUNDLES = os.path.join(_JS, "bundles", "intl")
"""The Intl bundles built by js/build.mjs."""

_TRIGGER = re.compile(r"Intl|[lL]ocale")
"""Text that can reach Intl or a locale method: `Intl`, `toLocale*`, `localeCompare` (and any
spelling that builds those names from a `locale` part)."""

_LITERAL = re.compile(r"""["'`]([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,3})["'`]""")
"""A string literal that may be a locale tag."""

_ZONE = re.compile(r"""["'`]([A-Za-z]+/[A-Za-z_]+)["'`]""")
"""A string literal that may be an IANA zone name."""


class Family(NamedTuple):
    """One Intl constructor family as js/build.mjs bundles it (a NamedTuple: making a dataclass
    took a millisecond of every worker's start)."""

    name: str
    """The bundle's name (bundles/intl/<name>.js)."""
    words: tuple[str, ...]
    """Words of the code that make a run load it."""
    needs: tuple[str, ...]
    """Families loaded before it."""
    data: bool
    """Whether it takes per-locale data chunks (bundles/intl/data/<name>/<locale>.js)."""


FAMILIES = (
    Family(name="canonical", words=("getCanonicalLocales",), needs=(), data=False),
    Family(name="supportedvaluesof", words=("supportedValuesOf",), needs=(), data=False),
    Family(name="locale", words=("Locale(", "Intl.Locale"), needs=("canonical",), data=False),
    Family(name="pluralrules", words=("PluralRules",), needs=("canonical",), data=True),
    Family(name="numberformat", words=("NumberFormat", "toLocaleString"), needs=("canonical", "pluralrules"), data=True),
    Family(name="datetimeformat", words=("DateTimeFormat", "toLocaleDateString", "toLocaleTimeString"),
           needs=("canonical", "pluralrules", "numberformat"), data=True),
    Family(name="relativetimeformat", words=("RelativeTimeFormat",), needs=("canonical", "pluralrules", "numberformat"), data=True),
    Family(name="listformat", words=("ListFormat",), needs=("canonical",), data=True),
    Family(name="displaynames", words=("DisplayNames",), needs=("canonical",), data=True),
    Family(name="segmenter", words=("Segmenter",), needs=("canonical",), data=False),
)
"""In load order: a family comes after the ones it needs."""

_BY_NAME = {family.name: family for family in FAMILIES}


@functools.cache
def _manifest() -> dict[str, object]:
    with open(os.path.join(_BUNDLES, "..", "manifest.json"), encoding="utf-8") as file:
        manifest: dict[str, object] = json.load(file)
    return manifest


@functools.cache
def _source(path: str) -> str:
    """A file of the sandbox's JavaScript, read once per worker."""
    with open(os.path.join(_JS, path), encoding="utf-8") as file:
        return file.read()


TAGS = {
    "en": "en", "en-US": "en", "en-GB": "en-GB", "en-IN": "en-IN", "de": "de", "de-DE": "de", "fr": "fr", "fr-FR": "fr",
    "es": "es", "es-ES": "es", "it": "it", "it-IT": "it", "pt": "pt", "pt-BR": "pt", "ja": "ja", "ja-JP": "ja",
    "zh": "zh", "zh-CN": "zh", "zh-Hans": "zh", "zh-Hans-CN": "zh", "ko": "ko", "ko-KR": "ko", "ru": "ru", "ru-RU": "ru",
    "nl": "nl", "nl-NL": "nl", "sv": "sv", "sv-SE": "sv", "pl": "pl", "pl-PL": "pl", "tr": "tr", "tr-TR": "tr",
}
"""Every locale tag a run accepts and the bundled data chunk that serves it: a language and the
region its chunk describes (pt is pt-BR's data, so pt-PT is refused; de-CH, en-AU and the like
format differently from their language's chunk, so they are refused too)."""

_TAG_INDEX = {tag.lower(): data for tag, data in TAGS.items()}


def _zones() -> list[str]:
    zones = _manifest()["zones"]
    assert isinstance(zones, list)
    return [str(zone) for zone in zones]


def families(named: str) -> list[str]:
    """The families `named` asks for, with the ones they need, in load order."""
    wanted: set[str] = set()

    def want(name: str) -> None:
        if name not in wanted:
            wanted.add(name)
            for need in _BY_NAME[name].needs:
                want(need)

    for family in FAMILIES:
        if any(word in named for word in family.words):
            want(family.name)
    if "toLocaleString" in named and "Date" in named:
        want("datetimeformat")
    return [family.name for family in FAMILIES if family.name in wanted]


def data_locales(named: str) -> list[str]:
    """The data chunks `named` asks for: en first, then each bundled locale written as a literal."""
    found = ["en"]
    for match in _LITERAL.finditer(named):
        locale = _TAG_INDEX.get(match.group(1).replace("_", "-").lower())
        if locale and locale not in found:
            found.append(locale)
    return found


def wants_zones(named: str) -> bool:
    """Whether `named` writes a bundled zone (or Asia/Calcutta) as a literal."""
    zones = {zone.lower() for zone in _zones()} | {"asia/calcutta"}
    return any(match.group(1).lower() in zones for match in _ZONE.finditer(named))


def plan(named: str) -> list[str]:
    """The bundle files (under bundles/intl/) a run of `named` compiles, in order."""
    files = []
    locales = data_locales(named)
    chosen = families(named)
    for name in chosen:
        files.append(f"{name}.js")
        if _BY_NAME[name].data:
            files.extend(f"data/{name}/{locale}.js" for locale in locales
                         if os.path.exists(os.path.join(_BUNDLES, "data", name, f"{locale}.js")))
    if "datetimeformat" in chosen and wants_zones(named):
        files.append("data/tz.js")
    return files


@functools.cache
def domain() -> dict[str, list[str]]:
    """The DateTimeFormat option sets (shapes) proved equal to node, each with the data chunks it
    is proved in (js/intl_domain.json, written and checked by tests/test_intl_domain.py)."""
    with open(os.path.join(_JS, "intl_domain.json"), encoding="utf-8") as file:
        shapes: dict[str, list[str]] = json.load(file)
    return shapes


def bundle(path: str) -> str:
    """A bundle file as a run compiles it."""
    return _source(os.path.join("bundles", "intl", path))


@functools.cache
def _domain_text() -> str:
    """The domain as JSON text, which the wiring parses when a DateTimeFormat is first made:
    JSON.parse is about twice as fast as the engine's parse of the same object literal."""
    return json.dumps(domain(), separators=(",", ":"))


@functools.cache
def wires() -> str:
    """The script that puts the wiring's two factories (js/intl.js and js/intl_collate.js) in
    `__jsolve_intl`: the same text in every run, so it runs from the worker's bytecode."""
    return "globalThis.__jsolve_intl = [" + _source("intl.js") + ",\n" + _source("intl_collate.js") + "];"


def wiring(named: str, chosen: list[str], zones: bool, *, checked: bool = True) -> str:
    """The script that wires what was compiled, after `wires()`; `checked=False` leaves
    DateTimeFormat's options unchecked (only to measure the polyfill against node, as
    tests/test_intl_domain.py does)."""
    cfg = {"tags": TAGS, "loaded": data_locales(named), "zones": zones, "bundledZones": _zones(), "families": chosen,
           "domain": _domain_text() if checked and "datetimeformat" in chosen else None}
    return ("{ const [factory, collate] = globalThis.__jsolve_intl; delete globalThis.__jsolve_intl;\n"
            f"factory(globalThis, {json.dumps(cfg)}, collate); }}")


def install(ctx: quickjs.Context, named: str) -> None:
    """Put in place what of Intl the code and check (`named`) can reach."""
    if not _TRIGGER.search(named):
        return
    files = plan(named)
    for path in files:
        bytecode.evaluate(ctx, bundle(path))
    bytecode.evaluate(ctx, wires())
    ctx.eval(wiring(named, families(named), "data/tz.js" in files))
