// === relative time yesterday
export default new Intl.RelativeTimeFormat("en", { numeric: "auto" }).format(-1, "day");
// === relative time in 3 weeks
export default new Intl.RelativeTimeFormat("en").format(3, "week");
// === relative time de
export default new Intl.RelativeTimeFormat("de", { numeric: "auto" }).format(2, "day");
// === relative time short
export default new Intl.RelativeTimeFormat("en", { style: "short" }).format(-5, "minute");
// === relative time formatToParts
export default new Intl.RelativeTimeFormat("en").formatToParts(100, "day");
// === plural cardinal en
export default [0, 1, 2, 1.5].map((n) => new Intl.PluralRules("en-US").select(n));
// === plural ordinal suffixes
export default [1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101].map((n) => ({ one: "st", two: "nd", few: "rd", other: "th" })[new Intl.PluralRules("en-US", { type: "ordinal" }).select(n)]);
// === plural pl few many
export default [1, 2, 5, 22, 25].map((n) => new Intl.PluralRules("pl-PL").select(n));
// === plural ru
export default [1, 3, 5, 21, 1.5].map((n) => new Intl.PluralRules("ru").select(n));
// === plural categories
export default new Intl.PluralRules("fr").resolvedOptions().pluralCategories;
// === list conjunction
export default new Intl.ListFormat("en", { style: "long", type: "conjunction" }).format(["apples", "pears", "plums"]);
// === list disjunction
export default new Intl.ListFormat("en", { type: "disjunction" }).format(["tea", "coffee"]);
// === list de
export default new Intl.ListFormat("de").format(["Äpfel", "Birnen", "Pflaumen"]);
// === list unit narrow
export default new Intl.ListFormat("en", { style: "narrow", type: "unit" }).format(["5 ft", "2 in"]);
// === list formatToParts
export default new Intl.ListFormat("en").formatToParts(["a", "b"]);
// === segmenter graphemes
export default [...new Intl.Segmenter("en", { granularity: "grapheme" }).segment("e\u0301👍🏽🇩🇪")].map((s) => s.segment);
// === segmenter words
export default [...new Intl.Segmenter("en", { granularity: "word" }).segment("Hello, world! It's 3.5 km.")].filter((s) => s.isWordLike).map((s) => s.segment);
// === segmenter sentences
export default [...new Intl.Segmenter("en", { granularity: "sentence" }).segment("Hi there. How are you? Fine!")].map((s) => s.segment);
// === grapheme count of emoji family
export default [...new Intl.Segmenter().segment("👨‍👩‍👧‍👦x")].length;
// === display names region
export default new Intl.DisplayNames(["en"], { type: "region" }).of("DE");
// === display names language
export default new Intl.DisplayNames(["en"], { type: "language" }).of("fr-CA");
// === display names currency
export default new Intl.DisplayNames(["en"], { type: "currency" }).of("JPY");
// === display names in de
export default new Intl.DisplayNames(["de"], { type: "region" }).of("US");
// === display names script
export default new Intl.DisplayNames(["en"], { type: "script" }).of("Cyrl");
// === getCanonicalLocales
export default Intl.getCanonicalLocales(["EN-us", "de-de", "zh-hans-cn"]);
// === Locale maximize
export default new Intl.Locale("zh-CN").maximize().toString();
// === Locale parts
export default (({ language, region, script }) => ({ language, region, script }))(new Intl.Locale("sr-Latn-RS"));
// === supportedValuesOf currency includes EUR
export default Intl.supportedValuesOf("currency").includes("EUR");
// === NumberFormat supportedLocalesOf
export default Intl.NumberFormat.supportedLocalesOf(["en-US", "de-DE"]);
// === invalid locale tag throws
let out; try { new Intl.NumberFormat("en_US"); out = "no error"; } catch (e) { out = e.name; } export default out;
