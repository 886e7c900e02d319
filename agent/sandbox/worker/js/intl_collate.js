// Intl.Collator and String.prototype.localeCompare: ICU's root collation (what node uses for the
// bundled locales but Turkish) on the one domain where a small comparator is proved equal to it
// by tests/test_intl_collate.py against node over many generated strings: strings of printable
// ASCII (U+0020 to U+007E), sensitivity base, accent, case or variant, numeric true or false.
// On that domain every character is one collation element: spaces and punctuation, then digits,
// then letters; a letter's case is a tertiary difference (lower before upper), compared only
// once the primary weights are all equal. Anything else throws: no maintained implementation of
// the Unicode Collation Algorithm is bundled, and a code-unit order would be a silent divergence.
(requested, define, at) => {
  // Printable ASCII in root order; a letter and its capital share a primary weight.
  const ORDER = " _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789aAbBcCdDeEfFgGhHiIjJkKlLmMnNoOpPqQrRsStTuUvVwWxXyYzZ";
  const PRIMARY = new Int32Array(128).fill(-1);
  const UPPER = new Uint8Array(128);
  let rank = 0;
  for (const ch of ORDER) {
    const c = ch.charCodeAt(0);
    if (c >= 65 && c <= 90) { PRIMARY[c] = PRIMARY[c + 32]; UPPER[c] = 1; } else PRIMARY[c] = ++rank;
  }
  const ZERO = PRIMARY[48];
  const MAX_DIGITS = 254;

  const SUPPORTED = "strings of printable ASCII characters (space to ~), the options sensitivity and numeric, and the bundled locales but Turkish";
  const HINT = "compare with < and > (UTF-16 code-unit order) if that is the order you want, or write the order yourself (for example strip accents with s.normalize(\"NFD\").replace(/[\\u0300-\\u036f]/g, \"\") before comparing)";

  function outside(s, i) {
    const c = s.charCodeAt(i);
    return new RangeError(`localeCompare and Intl.Collator in this sandbox support only ${SUPPORTED}; the string ${JSON.stringify(s.length > 40 ? s.slice(0, 40) + "..." : s)} has U+${c.toString(16).toUpperCase().padStart(4, "0")} at index ${i}: ${HINT}`);
  }

  function code(s, i) {
    const c = s.charCodeAt(i);
    if (c > 126 || PRIMARY[c] < 0) throw outside(s, i);
    return c;
  }

  // The end of the run of digits starting at i.
  function digitsEnd(s, i) {
    let j = i;
    while (j < s.length && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
    if (j - i > MAX_DIGITS) throw new RangeError(`numeric collation in this sandbox supports runs of at most ${MAX_DIGITS} digits: compare such long numbers as BigInt or strings yourself`);
    return j;
  }

  function compareNumbers(a, i, ie, b, j, je) {
    while (i < ie - 1 && a.charCodeAt(i) === 48) i++;
    while (j < je - 1 && b.charCodeAt(j) === 48) j++;
    if (ie - i !== je - j) return ie - i < je - j ? -1 : 1;
    for (; i < ie; i++, j++) {
      const d = a.charCodeAt(i) - b.charCodeAt(j);
      if (d) return d < 0 ? -1 : 1;
    }
    return 0;
  }

  // Both strings are checked whole first: a character outside the domain can change the order
  // even after the first difference (a contraction, an expansion), so it is never skipped.
  function check(s) {
    for (let i = 0; i < s.length; i++) code(s, i);
  }

  function primary(a, b, numeric) {
    check(a);
    check(b);
    let i = 0, j = 0;
    while (i < a.length && j < b.length) {
      const ca = a.charCodeAt(i), cb = b.charCodeAt(j);
      if (numeric && ca >= 48 && ca <= 57 && cb >= 48 && cb <= 57) {
        const ie = digitsEnd(a, i), je = digitsEnd(b, j);
        const d = compareNumbers(a, i, ie, b, j, je);
        if (d) return d;
        i = ie; j = je;
        continue;
      }
      const pa = numeric && ca >= 48 && ca <= 57 ? ZERO : PRIMARY[ca];
      const pb = numeric && cb >= 48 && cb <= 57 ? ZERO : PRIMARY[cb];
      if (pa !== pb) return pa < pb ? -1 : 1;
      i++; j++;
    }
    return i < a.length ? 1 : j < b.length ? -1 : 0;
  }

  // Once the primary weights are equal, the letters line up: the first case difference decides.
  function tertiary(a, b) {
    let i = 0, j = 0;
    while (true) {
      while (i < a.length && !isLetter(a.charCodeAt(i))) i++;
      while (j < b.length && !isLetter(b.charCodeAt(j))) j++;
      if (i >= a.length || j >= b.length) return 0;
      const d = UPPER[a.charCodeAt(i)] - UPPER[b.charCodeAt(j)];
      if (d) return d < 0 ? -1 : 1;
      i++; j++;
    }
  }
  const isLetter = (c) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

  const SENSITIVITY = ["base", "accent", "case", "variant"];
  const slots = new WeakMap();

  function option(o, key, allowed, fallback) {
    const v = o[key];
    if (v === undefined) return fallback;
    const s = String(v);
    if (!allowed.includes(s)) {
      throw new RangeError(`the Intl.Collator option ${key}: ${JSON.stringify(s)} is not supported in this sandbox (supported: ${allowed.join(", ")}); it supports ${SUPPORTED}: ${HINT}`);
    }
    return s;
  }

  function resolvedLocale(tag) {
    if (tag === "en-US" || tag.startsWith("zh")) return tag;
    return tag.split("-")[0];
  }

  class Collator {
    constructor(locales, options) {
      const tags = requested(locales);
      const locale = tags.length ? tags[0] : "en-US";
      if (locale.startsWith("tr")) {
        throw new RangeError(`Turkish collation (dotted and dotless i) is not supported in this sandbox; it supports ${SUPPORTED}: ${HINT}`);
      }
      if (options === null) throw new TypeError("Cannot convert undefined or null to object");
      const o = options === undefined ? {} : Object(options);
      const usage = option(o, "usage", ["sort"], "sort");
      const numericValue = o.numeric;
      const numeric = numericValue === undefined ? false : Boolean(numericValue);
      const caseFirst = option(o, "caseFirst", ["false"], "false");
      const sensitivity = option(o, "sensitivity", SENSITIVITY, "variant");
      const ignore = o.ignorePunctuation;
      if (ignore !== undefined && Boolean(ignore)) option({ ignorePunctuation: "true" }, "ignorePunctuation", ["false"], "false");
      option(o, "collation", ["default"], "default");
      const tertiaryToo = sensitivity === "case" || sensitivity === "variant";
      const compare = (x, y) => {
        const a = String(x), b = String(y);
        try {
          const p = primary(a, b, numeric);
          return p || !tertiaryToo ? p : tertiary(a, b);
        } catch (e) { throw at(e, compare); }
      };
      slots.set(this, { compare, options: { locale: resolvedLocale(locale), usage, sensitivity, ignorePunctuation: false, collation: "default", numeric, caseFirst } });
    }

    get compare() {
      const slot = slots.get(this);
      if (!slot) throw new TypeError("Intl.Collator.prototype.compare called on an object that is not an Intl.Collator");
      return slot.compare;
    }

    resolvedOptions() {
      const slot = slots.get(this);
      if (!slot) throw new TypeError("Intl.Collator.prototype.resolvedOptions called on an object that is not an Intl.Collator");
      return { ...slot.options };
    }

    static supportedLocalesOf(locales) {
      return requested(locales).filter((tag) => !tag.startsWith("tr"));
    }
  }
  Object.defineProperty(Collator.prototype, Symbol.toStringTag, { value: "Intl.Collator", configurable: true });
  // Callable without new, as node's is.
  const traps = {
    apply(target, self, args) { try { return new Collator(...args); } catch (e) { throw at(e, traps.apply); } },
    construct(target, args, newTarget) { try { return Reflect.construct(target, args, newTarget); } catch (e) { throw at(e, traps.construct); } },
  };
  const Callable = new Proxy(Collator, traps);
  define(Collator.prototype, "constructor", Callable);
  return Callable;
}
