"""First-use cost of Intl in a fresh context, as a run pays it: each case puts in place what
`agent.sandbox.worker.intl.install` compiles for the case's code (the bundles it plans and the
wiring, js/intl.js and js/intl_collate.js) into a new `_quickjs.Context()` and makes one first
call. Prints the median ms, the engine memory after the call and the bytes parsed, next to a
trivial context (install compiles nothing: the code names no locale feature).

    python bench/intl.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import _quickjs

from agent.sandbox.worker import intl

INTL = Path(__file__).resolve().parent.parent / "agent" / "sandbox" / "worker" / "js" / "bundles" / "intl"

NOON = "new Date(Date.UTC(2024, 2, 15, 12))"


@dataclass(frozen=True)
class Case:
    name: str
    files: tuple[str, ...]
    """The bundles the first call needs, evaluated alone (the "bundles" column)."""
    first_call: str
    """The case's code: what install plans from, and the call measured."""


NUMBER = ("canonical.js", "pluralrules.js", "data/pluralrules/en.js", "numberformat.js", "data/numberformat/en.js")
CASES = (
    Case("trivial context", (), "1 + 1"),
    Case("getCanonicalLocales", ("canonical.js",), 'Intl.getCanonicalLocales("EN-us")[0]'),
    Case("PluralRules en", ("canonical.js", "pluralrules.js", "data/pluralrules/en.js"), 'new Intl.PluralRules("en-US").select(1)'),
    Case("NumberFormat en currency", NUMBER, 'new Intl.NumberFormat("en-US", {style: "currency", currency: "USD"}).format(1234.5)'),
    Case("NumberFormat en + de", (*NUMBER, "data/pluralrules/de.js", "data/numberformat/de.js"), 'new Intl.NumberFormat("de-DE").format(1234567.891)'),
    Case("DateTimeFormat en UTC", (*NUMBER, "datetimeformat.js", "data/datetimeformat/en.js"),
         f'new Intl.DateTimeFormat("en-US", {{dateStyle: "long", timeZone: "UTC"}}).format({NOON})'),
    Case("DateTimeFormat en New_York", (*NUMBER, "datetimeformat.js", "data/datetimeformat/en.js", "data/tz.js"),
         f'new Intl.DateTimeFormat("en-US", {{timeStyle: "long", timeZone: "America/New_York"}}).format({NOON})'),
    Case("RelativeTimeFormat en", (*NUMBER, "relativetimeformat.js", "data/relativetimeformat/en.js"),
         'new Intl.RelativeTimeFormat("en", {numeric: "auto"}).format(-1, "day")'),
    Case("ListFormat en", ("canonical.js", "listformat.js", "data/listformat/en.js"), 'new Intl.ListFormat("en").format(["a", "b", "c"])'),
    Case("Segmenter graphemes", ("canonical.js", "segmenter.js"), '[...new Intl.Segmenter("en", {granularity: "grapheme"}).segment("e\\u0301!")].length'),
    Case("DisplayNames en", ("canonical.js", "displaynames.js", "data/displaynames/en.js"), 'new Intl.DisplayNames("en", {type: "region"}).of("DE")'),
    Case("Locale", ("canonical.js", "locale.js"), 'new Intl.Locale("en-Latn-US").maximize().toString()'),
    Case("localeCompare (own collator)", (), '["b", "a", "B"].sort((x, y) => x.localeCompare(y)).join()'),
    Case("toLocaleUpperCase tr", (), '"istanbul".toLocaleUpperCase("tr-TR")'),
    Case("Number toLocaleString", NUMBER, '(1234567.891).toLocaleString()'),
    Case("Date toLocaleDateString", (), f'{NOON}.toLocaleDateString("en-US", {{month: "long", day: "numeric", year: "numeric"}})'),
)


def _median(first_use: object, runs: int) -> tuple[float, int, object]:
    samples, memory, value = [], 0, None
    for _ in range(runs):
        start = time.perf_counter()
        ctx, value = first_use()  # type: ignore[operator]
        samples.append((time.perf_counter() - start) * 1000)
        memory = ctx.memory()["memory_used_size"]
    return statistics.median(samples), memory, value


def run_raw(case: Case, runs: int) -> tuple[float, int, object]:
    """The bundles alone, evaluated as they are (no wiring): the cost before runs used them."""
    sources = [(INTL / name).read_text(encoding="utf-8") for name in case.files]

    def first_use() -> tuple[_quickjs.Context, object]:
        ctx = _quickjs.Context()
        for source in sources:
            ctx.eval(source)
        try:
            return ctx, ctx.eval(case.first_call)
        except _quickjs.JSException as exc:
            return ctx, f"error: {str(exc).splitlines()[0]}"

    return _median(first_use, runs)


def run_wired(case: Case, runs: int) -> tuple[float, int, object]:
    """What a run compiles for the case's code (intl.install), then the first call."""
    intl.install(_quickjs.Context(), case.first_call)  # the worker's file cache, warm as in its later runs

    def first_use() -> tuple[_quickjs.Context, object]:
        ctx = _quickjs.Context()
        intl.install(ctx, case.first_call)
        return ctx, ctx.eval(case.first_call)

    return _median(first_use, runs)


def parsed_kb(case: Case) -> float:
    planned = intl.plan(case.first_call)
    size = sum((INTL / name).stat().st_size for name in planned)
    if intl._TRIGGER.search(case.first_call):
        size += len(intl.wires().encode()) + len(intl.wiring(case.first_call, intl.families(case.first_call), "data/tz.js" in planned).encode())
    return size / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(f"{'case':30} {'bundles ms':>10} {'MB':>6} | {'wired ms':>9} {'MB':>6} {'parsed KB':>9}  first value (wired)")
    for case in CASES:
        raw_ms, raw_mem, _ = run_raw(case, args.runs) if case.files or case.name == "trivial context" else (float("nan"), 0, None)
        ms, memory, value = run_wired(case, args.runs)
        print(f"{case.name:30} {raw_ms:10.1f} {raw_mem / 2**20:6.2f} | {ms:9.1f} {memory / 2**20:6.2f} {parsed_kb(case):9.0f}  {value!r}")


if __name__ == "__main__":
    main()
