"""First-use cost of the Intl bundles (agent/sandbox/worker/js/bundles/intl/) in a fresh context,
as a run would pay it: each case loads its bundles with `ctx.eval(source)` into a new
`_quickjs.Context()` and makes one first call. Prints the median ms, the engine memory after the
call and the bytes parsed, next to a trivial context.

    python bench/intl.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import _quickjs

INTL = Path(__file__).resolve().parent.parent / "agent" / "sandbox" / "worker" / "js" / "bundles" / "intl"

NOON = "new Date(Date.UTC(2024, 2, 15, 12))"


@dataclass(frozen=True)
class Case:
    name: str
    files: tuple[str, ...]
    first_call: str


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
)


def run_case(case: Case, runs: int) -> tuple[float, int, int, object]:
    sources = [(INTL / name).read_text(encoding="utf-8") for name in case.files]
    samples = []
    memory = 0
    value: object = None
    for _ in range(runs):
        start = time.perf_counter()
        ctx = _quickjs.Context()
        for source in sources:
            ctx.eval(source)
        value = ctx.eval(case.first_call)
        samples.append((time.perf_counter() - start) * 1000)
        memory = ctx.memory()["memory_used_size"]
    return statistics.median(samples), memory, sum(len(s.encode()) for s in sources), value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(f"{'case':28} {'median ms':>10} {'memory MB':>10} {'parsed KB':>10}  first value")
    for case in CASES:
        ms, memory, parsed, value = run_case(case, args.runs)
        print(f"{case.name:28} {ms:10.1f} {memory / 2**20:10.2f} {parsed / 1024:10.0f}  {value!r}")


if __name__ == "__main__":
    main()
