// === parts of a currency
export default new Intl.NumberFormat("en-US", { style: "currency", currency: "EUR" }).formatToParts(-1234.56);
// === parts of a date in Berlin
export default new Intl.DateTimeFormat("de-DE", { dateStyle: "long", timeZone: "Europe/Berlin" }).formatToParts(new Date(Date.UTC(2024, 9, 27, 0, 30)));
// === parts of a 12-hour time
export default new Intl.DateTimeFormat("en-US", { timeStyle: "short", timeZone: "UTC" }).formatToParts(new Date(Date.UTC(2024, 0, 1, 13, 7))).map((p) => p.type);
// === DST change in New York
export default [8, 9, 10].map((d) => new Date(Date.UTC(2024, 2, d, 12)).toLocaleString("en-US", { timeZone: "America/New_York" }));
// === London summer and winter
export default [0, 6].map((m) => new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: "Europe/London" }).format(new Date(Date.UTC(2024, m, 1, 12))));
// === Asia/Calcutta is reported for Kolkata
export default new Intl.DateTimeFormat("en-US", { timeZone: "Asia/Kolkata" }).resolvedOptions().timeZone;
// === zone name case is canonicalized
export default new Intl.DateTimeFormat("en-US", { timeZone: "america/los_angeles" }).resolvedOptions().timeZone;
// === Etc/UTC resolves to UTC
export default new Intl.DateTimeFormat("en-US", { timeZone: "Etc/UTC" }).resolvedOptions().timeZone;
// === Sao Paulo date
export default new Date(Date.UTC(2024, 4, 1, 2)).toLocaleDateString("pt-BR", { timeZone: "America/Sao_Paulo" });
// === Moscow long date ru
export default new Intl.DateTimeFormat("ru-RU", { year: "numeric", month: "long", day: "numeric", timeZone: "Europe/Moscow" }).format(new Date(Date.UTC(2024, 1, 29, 22)));
// === Seoul weekday ko
export default new Date(Date.UTC(2024, 2, 15, 16)).toLocaleDateString("ko-KR", { weekday: "long", timeZone: "Asia/Seoul" });
// === relative time auto
export default [-2, -1, 0, 1, 2].map((n) => new Intl.RelativeTimeFormat("en", { numeric: "auto" }).format(n, "day"));
// === relative time parts
export default new Intl.RelativeTimeFormat("en").formatToParts(-3, "hours");
// === relative time de short
export default new Intl.RelativeTimeFormat("de-DE", { style: "short" }).format(5, "minute");
// === relative time es
export default new Intl.RelativeTimeFormat("es").format(-1, "week");
// === plural rules ordinal suffixes
export default [1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101].map((n) => ({ one: "st", two: "nd", few: "rd", other: "th" })[new Intl.PluralRules("en-US", { type: "ordinal" }).select(n)]);
// === plural rules ru
export default [1, 2, 5, 11, 21, 22, 25, 1.5].map((n) => new Intl.PluralRules("ru").select(n));
// === plural rules pl categories
export default new Intl.PluralRules("pl-PL").resolvedOptions().pluralCategories;
// === list disjunction fr
export default new Intl.ListFormat("fr", { type: "disjunction" }).format(["rouge", "vert", "bleu"]);
// === list unit narrow
export default new Intl.ListFormat("en", { style: "narrow", type: "unit" }).format(["5 lb", "12 oz"]);
// === list parts
export default new Intl.ListFormat("en-GB").formatToParts(["a", "b", "c"]);
// === list ja
export default new Intl.ListFormat("ja").format(["りんご", "みかん", "ぶどう"]);
// === segmenter words with punctuation
export default [...new Intl.Segmenter("en", { granularity: "word" }).segment("Hello, world! It's 3.14.")].filter((s) => s.isWordLike).map((s) => s.segment);
// === segmenter emoji graphemes
export default [...new Intl.Segmenter("en", { granularity: "grapheme" }).segment("👍🏽🇫🇷é!")].map((s) => s.segment);
// === segmenter sentences
export default [...new Intl.Segmenter("en", { granularity: "sentence" }).segment("One. Two? Three!")].map((s) => s.segment);
// === segmenter containing
export default new Intl.Segmenter("en", { granularity: "word" }).segment("alpha beta").containing(7);
// === display names language
export default new Intl.DisplayNames("en", { type: "language" }).of("de-AT");
// === display names region de
export default new Intl.DisplayNames("de", { type: "region" }).of("US");
// === display names currency fr
export default new Intl.DisplayNames("fr-FR", { type: "currency" }).of("USD");
// === display names script
export default new Intl.DisplayNames("en", { type: "script" }).of("Cyrl");
// === collation numeric file names
export default ["file10.txt", "file2.txt", "File1.txt", "file1.txt"].sort(new Intl.Collator("en", { numeric: true }).compare);
// === collation case variants
export default ["b", "B", "a", "A", "ab", "Ab", "aB"].sort((x, y) => x.localeCompare(y));
// === collation base equality
export default ["Apple", "apple", "APPLE"].map((s) => s.localeCompare("apple", undefined, { sensitivity: "base" }));
// === collation punctuation before digits before letters
export default ["a", "1", "_", " ", "-", "Z", "9", "#"].sort(new Intl.Collator().compare);
// === collation resolved options
export default new Intl.Collator("de-DE", { numeric: true }).resolvedOptions();
// === collation numeric leading zeros
export default ["007", "7", "08", "10"].map((s) => new Intl.Collator(undefined, { numeric: true }).compare(s, "7"));
// === Number toLocaleString de
export default (1234567.891).toLocaleString("de-DE", { maximumFractionDigits: 1 });
// === BigInt toLocaleString
export default (123456789012345678n).toLocaleString("en-US");
// === Array toLocaleString passes locales
export default [1234.5, 0.25].toLocaleString("de-DE");
// === Array toLocaleString with a date
export default [1234.5, new Date(Date.UTC(2024, 0, 2))].toLocaleString("en-US", { timeZone: "UTC" });
// === Turkish lower case
export default "İSTANBUL IŞIK".toLocaleLowerCase("tr-TR");
// === German upper case sharp s
export default "straße".toLocaleUpperCase("de-DE");
// === Locale maximize
export default new Intl.Locale("zh").maximize().toString();
// === Locale properties
export default (({ language, region, baseName }) => ({ language, region, baseName }))(new Intl.Locale("en-Latn-GB"));
// === getCanonicalLocales
export default Intl.getCanonicalLocales(["EN-us", "de-de"]);
// === supportedValuesOf timeZone has the bundled ones
export default ["UTC", "America/New_York", "Asia/Tokyo"].every((z) => Intl.supportedValuesOf("timeZone").includes(z));
// === unknown locale is refused
export default new Intl.NumberFormat("fi-FI").format(1);
// === unknown zone is refused
export default new Date(0).toLocaleString("en-US", { timeZone: "Pacific/Auckland" });
// === link zone is refused
export default new Date(0).toLocaleString("en-US", { timeZone: "US/Eastern" });
// === invalid date stays Invalid Date
export default new Date(NaN).toLocaleString("en-US");
// === toLocaleDateString on a non-date throws
export default (() => { try { return Date.prototype.toLocaleDateString.call({}); } catch (e) { return e.name; } })();
// === toLocaleDateString with timeStyle throws
export default (() => { try { return new Date(0).toLocaleDateString("en-US", { timeStyle: "short" }); } catch (e) { return e.name; } })();
// === unit formatting
export default new Intl.NumberFormat("en-US", { style: "unit", unit: "kilometer-per-hour", unitDisplay: "long" }).format(88);
// === compact long de
export default new Intl.NumberFormat("de-DE", { notation: "compact", compactDisplay: "long" }).format(2500000);
// === percent signDisplay exceptZero
export default [-0.05, 0, 0.05].map((n) => new Intl.NumberFormat("en-US", { style: "percent", signDisplay: "exceptZero" }).format(n));
// === rounding half even
export default new Intl.NumberFormat("en-US", { maximumFractionDigits: 0, roundingMode: "halfEven" }).format(2.5);
// === currency with narrow symbol
export default new Intl.NumberFormat("en-US", { style: "currency", currency: "CAD", currencyDisplay: "narrowSymbol" }).format(3);
