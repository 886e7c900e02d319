"""NumberFormat, RelativeTimeFormat, ListFormat, PluralRules and DisplayNames over every bundled
locale and a spread of options and values: the sandbox gives node's value for each, or fails
loudly for it (never a different value)."""

from __future__ import annotations

import pytest

from agent.sandbox import Limits, Sandbox
from tests.differential.harness import node_available, node_value

pytestmark = pytest.mark.skipif(not node_available(), reason="node is not on PATH: it is the oracle")

PROGRAM = r"""
const L = ["en-US", "en-GB", "en-IN", "de-DE", "fr-FR", "es-ES", "it-IT", "pt-BR", "ja-JP", "zh-CN", "ko-KR", "ru-RU", "nl-NL", "sv-SE", "pl-PL", "tr-TR"];
const N = [0, -0, 1, -1234.5, 1234567.891, 0.000123, 0.5, 2.5, 99999.995, 1e21, 12345678901234, NaN, Infinity];
const NO = [{}, {style: "currency", currency: "USD"}, {style: "currency", currency: "EUR"}, {style: "currency", currency: "JPY"},
  {style: "currency", currency: "GBP", currencyDisplay: "name"}, {style: "currency", currency: "USD", currencySign: "accounting"},
  {style: "percent"}, {style: "percent", maximumFractionDigits: 2}, {notation: "compact"}, {notation: "compact", compactDisplay: "long"},
  {notation: "scientific"}, {notation: "engineering"}, {style: "unit", unit: "kilometer-per-hour"}, {style: "unit", unit: "liter", unitDisplay: "long"},
  {style: "unit", unit: "megabyte", unitDisplay: "narrow"}, {minimumFractionDigits: 2}, {maximumSignificantDigits: 3}, {minimumIntegerDigits: 3},
  {useGrouping: false}, {signDisplay: "always"}, {signDisplay: "exceptZero"}, {maximumFractionDigits: 0, roundingMode: "floor"}];
const attempt = (f) => { try { return f(); } catch (e) { return "throws"; } };
const out = {};
for (const l of L) for (const [i, o] of NO.entries()) out[`N ${l} ${i}`] = N.map((n) => attempt(() => new Intl.NumberFormat(l, o).format(n)));
for (const l of L) out[`NP ${l}`] = attempt(() => new Intl.NumberFormat(l, {style: "currency", currency: "EUR"}).formatToParts(-1234.5));
for (const l of L) out[`R ${l}`] = attempt(() => [[-1, "day"], [2, "week"], [0, "year"], [-3, "month"], [1, "quarter"], [-10, "second"]].map(([v, u]) =>
  [new Intl.RelativeTimeFormat(l, {numeric: "auto"}).format(v, u), new Intl.RelativeTimeFormat(l).format(v, u), new Intl.RelativeTimeFormat(l, {style: "narrow"}).format(v, u)]));
for (const l of L) out[`L ${l}`] = [new Intl.ListFormat(l).format(["a", "b", "c"]), new Intl.ListFormat(l, {type: "disjunction"}).format(["a", "b"]),
  new Intl.ListFormat(l, {style: "narrow", type: "unit"}).format(["a", "b", "c"]), new Intl.ListFormat(l, {style: "short"}).format(["a", "b"])];
for (const l of L) out[`P ${l}`] = [new Intl.PluralRules(l).resolvedOptions().pluralCategories, [0, 1, 2, 3, 5, 11, 21, 22, 101, 1.5, 0.1].map((n) => new Intl.PluralRules(l).select(n)),
  [1, 2, 3, 4, 11, 21, 22, 23].map((n) => new Intl.PluralRules(l, {type: "ordinal"}).select(n))];
for (const l of L) out[`DN ${l}`] = [new Intl.DisplayNames(l, {type: "region"}).of("DE"), new Intl.DisplayNames(l, {type: "language"}).of("fr-CA"),
  new Intl.DisplayNames(l, {type: "currency"}).of("JPY"), new Intl.DisplayNames(l, {type: "script"}).of("Latn"), new Intl.DisplayNames(l, {type: "language"}).of("en-US")];
export default out;
"""




@pytest.mark.timeout(600)
def test_formats_are_node_values_or_loud(sandbox: Sandbox) -> None:
    node = node_value(PROGRAM)
    result = sandbox.run(PROGRAM, limits=Limits(timeout=300, memory_mb=1024, output_bytes=16 << 20))
    assert result.ok, result.error
    silent = []
    for key, expected in node.items():
        got = result.value[key]
        pairs = zip(expected, got, strict=True) if isinstance(expected, list) and key.startswith("N ") else [(expected, got)]
        silent += [(key, e, g) for e, g in pairs if g != e and g != "throws"]
    assert not silent, f"{len(silent)} values differ from node: {sorted({k for k, _, _ in silent})}, e.g. {silent[:5]}"
