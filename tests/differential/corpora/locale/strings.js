// === localeCompare sort with accents
export default ["Zoë", "adam", "Ångström", "Bob", "Chloé", "Eve", "Åsa"].sort((a, b) => a.localeCompare(b));
// === localeCompare basic
export default ["b", "a", "B", "A"].sort((a, b) => a.localeCompare(b));
// === localeCompare sign
export default [Math.sign("a".localeCompare("b")), Math.sign("b".localeCompare("a")), "a".localeCompare("a")];
// === sensitivity base
export default ["a".localeCompare("A", undefined, { sensitivity: "base" }), "a".localeCompare("á", undefined, { sensitivity: "base" })];
// === sensitivity accent
export default ["a".localeCompare("A", "en", { sensitivity: "accent" }), Math.sign("a".localeCompare("á", "en", { sensitivity: "accent" }))];
// === numeric collation
export default ["item10", "item2", "item1"].sort(new Intl.Collator("en", { numeric: true }).compare);
// === collator case first upper
export default ["a", "A", "b", "B"].sort(new Intl.Collator("en", { caseFirst: "upper" }).compare);
// === collator de
export default ["Müller", "Mueller", "Muller", "Mahler"].sort(new Intl.Collator("de").compare);
// === collator sv tailoring
export default ["ö", "z", "a", "å", "ä"].sort(new Intl.Collator("sv").compare);
// === collator ignorePunctuation
export default new Intl.Collator("en", { ignorePunctuation: true }).compare("a-b", "ab");
// === localeCompare punctuation and digits order
export default ["b", "1", "_", "A", " ", "a"].sort((a, b) => a.localeCompare(b));
// === toLocaleUpperCase tr
export default "istanbul".toLocaleUpperCase("tr-TR");
// === toLocaleLowerCase tr
export default "İSTANBUL".toLocaleLowerCase("tr-TR");
// === toLocaleUpperCase en
export default "straße".toLocaleUpperCase("en-US");
// === toLocaleLowerCase default
export default "ÀÉÎ".toLocaleLowerCase();
// === Array toLocaleString numbers
export default [1234.5, 6789].toLocaleString("de-DE");
// === Array toLocaleString default
export default [1000, 2000.5].toLocaleString();
// === URL with IDNA host
export default new URL("https://münchen.de/straße").href;
// === URL search params encoding
export default new URL("https://example.com/a b?q=ä&x=1 2#frag ment").href;
// === URL hostname punycode
export default new URL("https://bücher.example/").hostname;
