"""The proof behind Intl.DateTimeFormat's domain (agent/sandbox/worker/js/intl_domain.json): for
every option set (shape) and bundled locale the domain admits, the sandbox formats a spread of
dates in several zones exactly as node does, with format and formatToParts; a shape it does not
admit fails loudly.

    python -m tests.test_intl_domain --write   # measure the polyfill against node, rewrite the domain
"""

from __future__ import annotations

import argparse
import json
from itertools import product
from pathlib import Path
from typing import Any

import pytest

from agent.sandbox import Limits, Sandbox
from agent.sandbox.worker import intl
from tests.differential.harness import node_available, node_value

DOMAIN = Path(intl.__file__).resolve().parent / "js" / "intl_domain.json"
LOCALES = ("en-US", "en-GB", "en-IN", "de-DE", "fr-FR", "es-ES", "it-IT", "pt-BR", "ja-JP", "zh-CN", "ko-KR", "ru-RU",
           "nl-NL", "sv-SE", "pl-PL", "tr-TR")
"""One tag per bundled data chunk."""
ZONES = ("UTC", "America/New_York", "Asia/Kolkata", "Australia/Sydney")
DATES = ("Date.UTC(2024, 2, 15, 12, 5, 9)", "Date.UTC(2023, 11, 31, 23, 59, 1)", "Date.UTC(2024, 6, 4, 0, 30)",
         "Date.UTC(2024, 2, 10, 7, 0)", "Date.UTC(1999, 0, 1, 17, 45, 30)")
"""Morning, afternoon and evening, midnight, a year's end and a DST change in New York."""

N, D2 = "numeric", "2-digit"
DATE_PARTS: tuple[dict[str, Any], ...] = (
    {}, {"year": N, "month": N, "day": N}, {"year": N, "month": D2, "day": D2}, {"year": N, "month": "short", "day": N},
    {"year": N, "month": "long", "day": N}, {"weekday": "long", "year": N, "month": "long", "day": N},
    {"weekday": "short", "year": N, "month": "short", "day": N}, {"weekday": "long", "month": "long", "day": N},
    {"weekday": "short", "month": "short", "day": N}, {"month": "long", "day": N}, {"month": "short", "day": N},
    {"month": "long", "year": N}, {"month": "short", "year": N}, {"month": "long"}, {"month": "short"}, {"month": "narrow"},
    {"weekday": "long"}, {"weekday": "short"}, {"weekday": "narrow"}, {"year": N}, {"day": N}, {"month": D2, "day": D2},
    {"year": D2, "month": D2, "day": D2}, {"month": N, "day": N}, {"year": N, "month": N}, {"year": N, "month": D2},
)
TIME_PARTS: tuple[dict[str, Any], ...] = (
    {}, {"hour": N, "minute": D2}, {"hour": D2, "minute": D2}, {"hour": N, "minute": D2, "second": D2},
    {"hour": D2, "minute": D2, "second": D2}, {"hour": N, "minute": N, "second": N}, {"hour": N, "minute": N}, {"hour": N},
)
MODIFIERS: tuple[dict[str, Any], ...] = ({"hour12": False}, {"hour12": True}, {"hourCycle": "h23"}, {"hourCycle": "h12"},
                                         {"timeZoneName": "short"})
STYLES = ("full", "long", "medium", "short")


def shapes() -> list[dict[str, Any]]:
    """Every option set measured: date parts with time parts, time parts with a modifier, styles."""
    found: list[dict[str, Any]] = [{**d, **t} for d, t in product(DATE_PARTS, TIME_PARTS)]
    found += [{**t, **m} for t, m in product(TIME_PARTS[1:], MODIFIERS)]
    found += [{**d, **TIME_PARTS[1], **m} for d, m in product(DATE_PARTS[1:6], MODIFIERS)]
    found += [{"year": N, "month": N, "day": N, "hour": N, "minute": N, "second": N, **m} for m in MODIFIERS]
    found += [{"era": "short", "year": N}, {"era": "long", "year": N}, {"minute": D2, "second": D2, "fractionalSecondDigits": 3},
              {"hour": N, "timeZoneName": "long"}, {"hour": N, "minute": D2, "timeZoneName": "shortOffset"},
              {"hour": N, "dayPeriod": "short"}, {"timeZoneName": "short"}, {"second": N}, {"minute": N}]
    found += [{"dateStyle": s} for s in STYLES] + [{"timeStyle": s} for s in STYLES]
    found += [{"dateStyle": a, "timeStyle": b} for a, b in product(STYLES, STYLES)]
    return found


SHAPE_KEY = """const SHAPE = ["weekday", "era", "year", "month", "day", "dayPeriod", "hour", "minute", "second", "fractionalSecondDigits", "timeZoneName", "dateStyle", "timeStyle", "hour12", "hourCycle", "formatMatcher"];
const shapeOf = (o) => SHAPE.filter((k) => o[k] !== undefined).map((k) => `${k}:${k === "hour12" ? Boolean(o[k]) : String(o[k])}`).join(",");"""
"""The shape of an option set, as js/intl.js computes it."""


def matrix_program(locales: tuple[str, ...] = LOCALES, only: list[tuple[str, dict[str, Any]]] | None = None) -> str:
    """A program whose value maps `locale|shape|zone` to the formatted dates and parts."""
    cases = only if only is not None else [(locale, shape) for locale in locales for shape in shapes()]
    return f"""{SHAPE_KEY}
const cases = {json.dumps(cases)};
const zones = {json.dumps(ZONES)};
const dates = [{", ".join(DATES)}].map((t) => new Date(t));
const out = {{}};
for (const [locale, shape] of cases) for (const timeZone of zones) {{
  const key = `${{locale}}|${{shapeOf(shape)}}|${{timeZone}}`;
  try {{
    const f = new Intl.DateTimeFormat(locale, {{ ...shape, timeZone }});
    out[key] = dates.map((d) => f.format(d) + " || " + f.formatToParts(d).map((p) => p.type + "=" + p.value).join("|"));
  }} catch (e) {{ out[key] = "throws " + e.name; }}
}}
export default out;
"""




def run_unchecked(program: str) -> dict[str, Any]:
    """The polyfill's own answers: the bundles and wiring compiled with no domain check."""
    import _quickjs

    ctx = _quickjs.Context()
    named = program + json.dumps(list(LOCALES))
    files = intl.plan(named)
    for path in files:
        ctx.eval(intl.bundle(path))
    ctx.eval(intl.wires())
    ctx.eval(intl.wiring(named, intl.families(named), "data/tz.js" in files, checked=False))
    body = program.replace("export default out;", "JSON.stringify(out)")
    value: dict[str, Any] = json.loads(ctx.eval(body))
    return value


def measure() -> dict[str, list[str]]:
    """The domain: each shape with the chunks where every zone and date matched node."""
    program = matrix_program()
    node, ours = node_value(program), run_unchecked(program)
    failed: set[tuple[str, str]] = set()
    seen: set[tuple[str, str]] = set()
    for key, value in node.items():
        locale, shape, _ = key.split("|")
        seen.add((shape, locale))
        if ours.get(key) != value or isinstance(value, str):
            failed.add((shape, locale))
    chunks = {locale: intl.TAGS[locale] for locale in LOCALES}
    domain: dict[str, list[str]] = {}
    for shape, locale in sorted(seen - failed):
        domain.setdefault(shape, []).append(chunks[locale])
    return {shape: sorted(found) for shape, found in sorted(domain.items())}


pytestmark = pytest.mark.skipif(not node_available(), reason="node is not on PATH: it is the oracle")


@pytest.mark.timeout(600)
def test_every_admitted_shape_formats_as_node_does(sandbox: Sandbox) -> None:
    domain = json.loads(DOMAIN.read_text(encoding="utf-8"))
    by_chunk = {chunk: locale for locale, chunk in ((loc, intl.TAGS[loc]) for loc in LOCALES)}
    index = {}
    for shape in shapes():
        key = ",".join(f"{k}:{str(v).lower() if isinstance(v, bool) else v}" for k, v in _ordered(shape))
        index[key] = shape
    cases = [(by_chunk[chunk], index[key]) for key, chunks in domain.items() for chunk in chunks]
    assert len(cases) > 500
    program = matrix_program(only=cases)
    node = node_value(program)
    result = sandbox.run(program, limits=Limits(timeout=300, memory_mb=1024, output_bytes=64 << 20))
    assert result.ok, result.error
    differ = [key for key in node if result.value.get(key) != node[key]]
    assert not differ, f"{len(differ)} admitted formats differ from node, e.g. {differ[:5]}"


def test_a_shape_outside_the_domain_fails_loudly(sandbox: Sandbox) -> None:
    result = sandbox.run('export default new Intl.DateTimeFormat("en-US", {dayPeriod: "short", hour: "numeric", timeZone: "UTC"}).format(0)')
    assert not result.ok and result.error is not None
    assert "not supported in this sandbox" in result.error.message and "dateStyle" in result.error.message


def _ordered(shape: dict[str, Any]) -> list[tuple[str, Any]]:
    order = ["weekday", "era", "year", "month", "day", "dayPeriod", "hour", "minute", "second", "fractionalSecondDigits",
             "timeZoneName", "dateStyle", "timeStyle", "hour12", "hourCycle", "formatMatcher"]
    return [(k, shape[k]) for k in order if k in shape]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="rewrite js/intl_domain.json")
    args = parser.parse_args()
    domain = measure()
    admitted = sum(len(chunks) for chunks in domain.values())
    print(f"{len(shapes())} shapes x {len(LOCALES)} locales measured; admitted {admitted} (shape, locale) pairs over {len(domain)} shapes")
    if args.write:
        DOMAIN.write_text(json.dumps(domain, indent=0, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
