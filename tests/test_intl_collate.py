"""The proof behind the sandbox's collator (agent/sandbox/worker/js/intl_collate.js): on its domain
(printable ASCII, sensitivity base/accent/case/variant, numeric on or off, the bundled locales but
Turkish) `localeCompare` and `Intl.Collator` give node's (ICU's) answer for many generated pairs
of strings, and sorting with them gives node's order; outside it they fail loudly."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from agent.sandbox import Limits, Sandbox
from tests.differential.harness import node_available, node_value

pytestmark = pytest.mark.skipif(not node_available(), reason="node is not on PATH: it is the oracle")

PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7F))
LOCALES = (None, "en", "en-US", "en-GB", "en-IN", "de", "de-DE", "fr-FR", "es-ES", "it-IT", "pt-BR", "ja-JP", "zh-CN",
           "ko-KR", "ru-RU", "nl-NL", "sv-SE", "pl-PL")
OPTIONS: tuple[dict[str, Any], ...] = tuple(
    {**({"sensitivity": s} if s else {}), **({"numeric": n} if n is not None else {})}
    for s in (None, "base", "accent", "case", "variant") for n in (None, True, False)
)


def _string(rng: random.Random) -> str:
    pools = ("abcABC", "aAbB01 ", "xyzXYZ09", PRINTABLE, "0123456789", "a1b2 10 02 007", "-_.,;:!?'\"()[]{}@*/\\&#%`^+<=>|~$ ")
    pool = rng.choice(pools)
    return "".join(rng.choice(pool) for _ in range(rng.randint(0, 8)))


def _mutate(rng: random.Random, s: str) -> str:
    """A string close to `s`: a case flip, a digit or space added, a character changed or removed."""
    if not s:
        return _string(rng)
    i = rng.randrange(len(s))
    choice = rng.randrange(6)
    if choice == 0:
        return s[:i] + s[i].swapcase() + s[i + 1:]
    if choice == 1:
        return s[:i] + rng.choice("0 9") + s[i:]
    if choice == 2:
        return s[:i] + rng.choice(PRINTABLE) + s[i + 1:]
    if choice == 3:
        return s[:i] + s[i + 1:]
    if choice == 4:
        return s.swapcase()
    return s + rng.choice(PRINTABLE)


def pairs(count: int, seed: int = 27) -> list[list[str]]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        s = _string(rng)
        out.append([s, _mutate(rng, s) if rng.random() < 0.7 else _string(rng)])
    return out


def program(pair_list: list[list[str]], words: list[str]) -> str:
    return f"""const pairs = {json.dumps(pair_list)};
const words = {json.dumps(words)};
const locales = {json.dumps(list(LOCALES))};
const options = {json.dumps(list(OPTIONS))};
const sign = (x) => (x < 0 ? "<" : x > 0 ? ">" : x === 0 ? "=" : "?");
const out = [];
for (const l of locales) for (const o of options) {{
  const c = new Intl.Collator(l === null ? undefined : l, o);
  out.push(pairs.map(([a, b]) => sign(c.compare(a, b))).join(""));
  out.push([...words].sort(c.compare).map((w) => words.indexOf(w)).join(","));
  out.push(pairs.slice(0, 200).map(([a, b]) => sign(a.localeCompare(b, l === null ? undefined : l, o))).join(""));
}}
export default out;
"""




@pytest.mark.timeout(600)
def test_comparator_equals_icu_root_on_its_domain(sandbox: Sandbox) -> None:
    pair_list = pairs(1500)
    words = sorted({w for pair in pairs(400, seed=28) for w in pair})
    code = program(pair_list, words)
    node = node_value(code)
    result = sandbox.run(code, limits=Limits(timeout=300, memory_mb=512, output_bytes=64 << 20))
    assert result.ok, result.error
    configs = [(locale, o) for locale in LOCALES for o in OPTIONS]
    for index, (expected, got) in enumerate(zip(node, result.value, strict=True)):
        if expected != got:
            locale, options = configs[index // 3]
            if index % 3 == 1:
                detail = "sorted words differ"
            else:
                at = next(i for i, (x, y) in enumerate(zip(expected, got, strict=True)) if x != y)
                detail = f"pair {pair_list[at]!r}: node {expected[at]}, sandbox {got[at]}"
            pytest.fail(f"locale {locale}, options {options}: {detail}")


@pytest.mark.parametrize("code, needle", [
    ('export default "é".localeCompare("e")', "printable ASCII"),
    ('export default ["b", "a\\u0000"].sort(new Intl.Collator().compare)', "U+0000"),
    ('export default "a".localeCompare("b", "tr")', "Turkish"),
    ('export default new Intl.Collator("en", {caseFirst: "upper"}).compare("a", "A")', "caseFirst"),
    ('export default new Intl.Collator("en", {usage: "search"}).compare("a", "A")', "usage"),
    ('export default new Intl.Collator("en", {ignorePunctuation: true}).compare("a", "A")', "ignorePunctuation"),
    ('export default "a".localeCompare("b", "fi")', "not bundled"),
    ('export default "a".localeCompare("b", "de-CH")', "not bundled"),
])
def test_outside_the_domain_fails_loudly(sandbox: Sandbox, code: str, needle: str) -> None:
    result = sandbox.run(code)
    assert not result.ok and result.error is not None, result.value
    assert needle in result.error.message


def test_collator_over_many_strings_stays_within_the_run_limits(sandbox: Sandbox) -> None:
    code = 'const c = new Intl.Collator(); const a = Array.from({length: 1000000}, (_, i) => "k" + (i * 7919 % 1000003)); a.sort(c.compare); export default a[0];'
    result = sandbox.run(code, limits=Limits(timeout=2))
    assert not result.ok and result.error is not None
    assert result.error.kind in {"timeout", "memory"}
