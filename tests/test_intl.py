"""Intl in runs (agent/sandbox/worker/intl.py, js/intl.js): compiled only when the code names it,
what is not bundled or not loaded fails loudly, the locale methods are the sandbox's own, and
hostile input stays within the run's limits and leaves nothing for the next run."""

from __future__ import annotations

import pytest

from agent.sandbox import Limits, Sandbox
from agent.sandbox.worker import intl


def _value(sandbox: Sandbox, code: str) -> object:
    result = sandbox.run(code)
    assert result.ok, result.error
    return result.value


def _error(sandbox: Sandbox, code: str, limits: Limits | None = None) -> tuple[str, str]:
    result = sandbox.run(code, limits=limits)
    assert not result.ok and result.error is not None, result.value
    return result.error.kind, result.error.message


def test_code_that_names_no_locale_feature_gets_no_intl(sandbox: Sandbox) -> None:
    assert _value(sandbox, 'export default typeof globalThis["In" + "tl"]') == "undefined"
    assert intl.plan("export default 1 + 1") == []


def test_only_the_named_families_and_literal_locales_are_planned() -> None:
    files = intl.plan('new Intl.NumberFormat("de-DE").format(1)')
    assert "numberformat.js" in files and "data/numberformat/de.js" in files and "data/numberformat/en.js" in files
    assert not any("datetimeformat" in f or "fr.js" in f for f in files)
    assert files.index("data/numberformat/en.js") < files.index("data/numberformat/de.js")
    assert "data/tz.js" in intl.plan('new Date().toLocaleString("en-US", {timeZone: "Asia/Tokyo"})')
    assert "data/tz.js" not in intl.plan('new Date().toLocaleString("en-US", {timeZone: "UTC"})')


def test_the_locale_methods_give_node_values(sandbox: Sandbox) -> None:
    code = """export default [
      (1234567.891).toLocaleString(), (1234.5).toLocaleString("en-US", {style: "currency", currency: "USD"}),
      new Date(Date.UTC(2024, 2, 15, 12)).toLocaleDateString("en-US", {month: "long", day: "numeric", year: "numeric"}),
      new Date(Date.UTC(2024, 2, 18, 12)).toLocaleDateString("en-US", {weekday: "long"}),
      new Date(Date.UTC(2024, 2, 15, 12)).toLocaleTimeString("en-US", {timeZone: "America/New_York"}),
      "istanbul".toLocaleUpperCase("tr-TR"), ["b", "a", "B", "A"].sort((x, y) => x.localeCompare(y)),
    ]"""
    assert _value(sandbox, code) == ["1,234,567.891", "$1,234.50", "March 15, 2024", "Monday", "8:00:00 AM", "İSTANBUL",
                                     ["a", "A", "b", "B"]]


@pytest.mark.parametrize("code, needle", [
    ('export default (1).toLocaleString("fi-FI")', "not bundled"),
    ('export default (1).toLocaleString("pt-PT")', "not bundled"),
    ('export default (1).toLocaleString("en-US-u-nu-arab")', "not bundled"),
    ('export default new Date(0).toLocaleString("en-US", {timeZone: "Pacific/Auckland"})', "not bundled"),
    ('export default new Date(0).toLocaleString("en-US", {timeZone: "US/Eastern"})', "America/New_York"),
    ('const l = ["d", "e"].join(""); export default new Intl.NumberFormat(l).format(1)', "write \\\"de\\\" literally"),
    ('const z = ["Asia", "Tokyo"].join("/"); export default new Date(0).toLocaleString("en-US", {timeZone: z})', "literally"),
    ('export default new Intl.DateTimeFormat("en-US", {calendar: "japanese"}).format(0)', "calendar"),
    ('export default new Intl.DateTimeFormat("en").formatRange(0, 1)', "formatRange"),
    ('export default [..."今日は"].length + [...new Intl.Segmenter("ja", {granularity: "word"}).segment("今日は晴れ")].length', "dictionaries"),
    ('export default "i".toLocaleUpperCase("lt")', "Lithuanian"),
    ('export default new Intl.NumberFormat("en", {notation: "compact"}).format(1e16)', "1e15"),
])
def test_what_is_not_bundled_or_proved_fails_loudly(sandbox: Sandbox, code: str, needle: str) -> None:
    _, message = _error(sandbox, code)
    assert needle.replace("\\", "") in message


def test_date_methods_throw_for_bad_options_and_say_invalid_date_only_for_invalid_dates(sandbox: Sandbox) -> None:
    assert _value(sandbox, 'export default new Date(NaN).toLocaleDateString("en-US")') == "Invalid Date"
    _, message = _error(sandbox, 'export default new Date(0).toLocaleString("en-US", {timeZone: "Mars/Base"})')
    assert "Mars/Base" in message
    assert _value(sandbox, 'export default (() => { try { Date.prototype.toLocaleString.call({}); } catch (e) { return e.name; } })()') == "TypeError"
    assert _value(sandbox, 'export default (() => { try { Number.prototype.toLocaleString.call("1"); } catch (e) { return e.name; } })()') == "TypeError"


def test_a_ten_megabyte_locale_string_is_refused_quickly(sandbox: Sandbox) -> None:
    for code in ('const t = "a".repeat(10 << 20); export default (1).toLocaleString(t)',
                 'const t = "en-" + "x".repeat(10 << 20); export default new Intl.Collator(t).compare("a", "b")',
                 'const t = "tr-" + "a".repeat(10 << 20); export default "i".toLocaleUpperCase(t)'):
        kind, message = _error(sandbox, code, Limits(timeout=5))
        assert kind == "runtime" and "Incorrect locale information" in message


def test_a_format_to_parts_loop_stops_at_the_deadline(sandbox: Sandbox) -> None:
    code = 'const f = new Intl.DateTimeFormat("en-US", {dateStyle: "long"}); let n = 0; while (true) n += f.formatToParts(n).length; export default n'
    kind, _ = _error(sandbox, code, Limits(timeout=1))
    assert kind == "timeout"


def test_prototype_polluting_tags_and_options_are_plain_input(sandbox: Sandbox) -> None:
    for tag in ("__proto__", "constructor", "toString", "hasOwnProperty"):
        _, message = _error(sandbox, f'export default (1).toLocaleString("{tag}")')
        assert "not bundled" in message or "Incorrect locale" in message
    code = """Object.prototype.timeZone = "Asia/Tokyo"; Object.prototype["en-us"] = {tag: "xx", data: "xx"};
    Array.prototype[0] = "fr"; export default [(1234.5).toLocaleString(), new Intl.DateTimeFormat().resolvedOptions().timeZone]"""
    result = sandbox.run(code)
    assert not result.ok or result.value == ["1,234.5", "Asia/Tokyo"] or result.value == ["1,234.5", "UTC"]
    code = 'export default (1).toLocaleString("en", {get style() { throw new Error("from a getter"); }})'
    assert "from a getter" in _error(sandbox, code)[1]


def test_changes_to_intl_do_not_reach_the_next_run() -> None:
    with Sandbox(1) as one:
        first = one.run("""Object.defineProperty(Intl.NumberFormat.prototype, "format", {get: () => () => "hacked"}); Intl.NumberFormat = null;
          String.prototype.localeCompare = () => 0; Number.prototype.toLocaleString = () => "x"; export default 1""")
        assert first.ok
        again = one.run('export default [new Intl.NumberFormat("en-US").format(1234), (5).toLocaleString(), "a".localeCompare("b")]')
        assert again.ok and again.value == ["1,234", "5", -1]


def test_the_collator_and_case_mapping_need_no_bundle() -> None:
    assert intl.plan('export default "a".localeCompare("b")') == []
    assert intl.plan('export default "i".toLocaleUpperCase("tr")') == []
