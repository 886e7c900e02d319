// Intl and the locale methods, wired to the bundled FormatJS polyfills (bundles/intl/) and the
// sandbox's own collator (intl_collate.js). Runs after the polyfills a run's code needs, before
// the code. The rule: node's value, or a loud error that says what to do instead. So every
// locale and time zone is checked against what is bundled and loaded here (the polyfills would
// fall back to English or accept zones they have no rules for: a silent divergence), and the
// Date, Number, BigInt, Array and String locale methods are our own.
//
// cfg: { tags: every accepted tag and its data chunk, loaded: data locales whose chunks were compiled, zones: whether the zone rules were,
//        bundledZones: the zone names shipped, families: the Intl families compiled }
(g, cfg, collate) => {
  const define = (o, k, v) => Object.defineProperty(o, k, { value: v, writable: true, configurable: true, enumerable: false });
  // An error raised here points at the guest's call, not into this file.
  const at = (e, boundary) => { if (e instanceof Error && Error.captureStackTrace) Error.captureStackTrace(e, boundary); return e; };
  const guarded = (fn) => {
    const outer = function (...args) { try { return fn.apply(this, args); } catch (e) { throw at(e, outer); } };
    Object.defineProperty(outer, "name", { value: fn.name, configurable: true });
    Object.defineProperty(outer, "length", { value: fn.length, configurable: true });
    return outer;
  };
  const method = (o, k, fn) => define(o, k, guarded(fn));
  const Intl = g.Intl || (g.Intl = {});
  if (!Object.prototype.hasOwnProperty.call(g, "Intl")) define(g, "Intl", Intl);
  try { Object.defineProperty(Intl, Symbol.toStringTag, { value: "Intl", configurable: true }); } catch {}

  // Every tag accepted, lower-cased, with its canonical spelling and the data chunk that serves it.
  const TAGS = {};
  for (const [tag, data] of Object.entries(cfg.tags)) TAGS[tag.toLowerCase()] = { tag, data };
  const BUNDLED = Object.values(TAGS).map((t) => t.tag).join(", ");
  const loaded = new Set(cfg.loaded);
  const MAX_TAG = 255;

  function tagOf(value) {
    if (typeof value === "string") return value;
    if (value !== null && typeof value === "object") return String(value);
    throw new TypeError("a locale must be a string or an Intl.Locale");
  }

  // The requested locales as canonical tags, each one bundled: a list (empty for the default).
  function requested(locales) {
    if (locales === undefined) return [];
    const list = typeof locales === "string" || (locales !== null && typeof locales === "object" && !Array.isArray(locales) && typeof locales.length !== "number")
      ? [locales] : Array.from(Object(locales));
    const out = [];
    for (const item of list) {
      const raw = tagOf(item);
      if (raw.length > MAX_TAG || !/^[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*$/.test(raw)) {
        throw new RangeError(`Incorrect locale information provided: ${JSON.stringify(raw.slice(0, 40))}${raw.length > 40 ? "..." : ""} is not a BCP 47 language tag`);
      }
      const known = TAGS[raw.toLowerCase()];
      if (!known) {
        throw new RangeError(`the locale ${JSON.stringify(raw)} is not bundled in this sandbox (bundled: ${BUNDLED}; no Unicode extensions such as -u-nu-): use one of these, or format the value yourself`);
      }
      if (!out.includes(known.tag)) out.push(known.tag);
    }
    return out;
  }

  // Requested locales whose data chunk this run compiled; the first one is what is used.
  function withData(locales) {
    const tags = requested(locales);
    for (const tag of tags) {
      const data = TAGS[tag.toLowerCase()].data;
      if (!loaded.has(data)) {
        throw new RangeError(`the locale ${JSON.stringify(tag)} is bundled but its data was not loaded: the sandbox loads the locales the code names as string literals, so write ${JSON.stringify(tag)} literally in the code`);
      }
    }
    return tags.length ? tags : ["en-US"];
  }

  const ZONES = {};
  for (const zone of ["UTC", "Etc/UTC", "GMT", "Etc/GMT"]) ZONES[zone.toLowerCase()] = "UTC";
  for (const zone of cfg.bundledZones) ZONES[zone.toLowerCase()] = zone;
  ZONES["asia/calcutta"] = "Asia/Kolkata";
  const REPORTED_ZONE = { "Asia/Kolkata": "Asia/Calcutta" };

  function zoneOf(value) {
    if (value === undefined) return undefined;
    const raw = String(value);
    const zone = ZONES[raw.toLowerCase()];
    if (!zone) {
      throw new RangeError(`the time zone ${JSON.stringify(raw.slice(0, 60))} is not bundled in this sandbox (bundled: UTC, ${cfg.bundledZones.join(", ")}): use one of these, or apply the offset yourself`);
    }
    if (zone !== "UTC" && !cfg.zones) {
      throw new RangeError(`the time zone ${JSON.stringify(zone)} is bundled but its rules were not loaded: the sandbox loads them when the code names a zone as a string literal, so write ${JSON.stringify(zone)} literally in the code`);
    }
    return zone;
  }

  const ONLY = { calendar: ["gregory"], numberingSystem: ["latn"] };
  function checkedOptions(options, zones) {
    if (options === undefined) return undefined;
    if (options === null) throw new TypeError("Cannot convert undefined or null to object");
    const o = Object(options);
    for (const [key, allowed] of Object.entries(ONLY)) {
      const v = o[key];
      if (v !== undefined && !allowed.includes(String(v))) {
        throw new RangeError(`the option ${key}: ${JSON.stringify(String(v))} is not supported in this sandbox (only ${allowed.join(", ")})`);
      }
    }
    if (!zones) return o;
    const copy = Object.create(o);
    const zone = zoneOf(o.timeZone);
    if (zone !== undefined) define(copy, "timeZone", zone);
    return copy;
  }

  // The tag each instance was asked for: the polyfills get the data chunk's own name (an exact
  // match: their best-fit matcher would need Intl.Locale), node reports the requested tag.
  const asked = new WeakMap();

  // Option sets whose data differs between the bundled CLDR release and node's ICU in one locale
  // (found by tests/test_intl_formats.py): refused there.
  const DIFFERS = {
    NumberFormat: { tr: (o) => (o.currencyDisplay === "name" ? "currencyDisplay: \"name\"" : o.currencySign === "accounting" ? "currencySign: \"accounting\"" : "") },
    RelativeTimeFormat: { nl: (o) => (o.style === "narrow" ? "style: \"narrow\"" : "") },
  };
  function refuseDiffering(name, chunk, tag, options) {
    const test = DIFFERS[name] && DIFFERS[name][chunk];
    const what = test && options !== undefined && options !== null ? test(Object(options)) : "";
    if (what) throw new RangeError(`Intl.${name} with ${what} in ${tag} is not supported in this sandbox (its data differs from node's there): use other options, or another locale`);
  }

  function wrap(name, zones, data, report) {
    const Original = Intl[name];
    if (typeof Original !== "function") return;
    const make = (list, build) => {
      const tags = data ? withData(list[0]) : requested(list[0]);
      const tag = tags.length ? tags[0] : "en-US";
      const chunk = TAGS[tag.toLowerCase()].data;
      refuseDiffering(name, chunk, tag, list[1]);
      const made = build([name === "PluralRules" ? chunk.split("-")[0] : chunk, checkedOptions(list[1], zones)]);
      if (made !== null && typeof made === "object") asked.set(made, report(tag));
      return made;
    };
    const traps = {
      construct(target, list, newTarget) {
        try { return make(list, (a) => Reflect.construct(target, a, newTarget === Wrapped ? target : newTarget)); } catch (e) { throw at(e, traps.construct); }
      },
      apply(target, self, list) {
        try { return make(list, (a) => Reflect.apply(target, self, a)); } catch (e) { throw at(e, traps.apply); }
      },
    };
    const Wrapped = new Proxy(Original, traps);
    define(Wrapped, "supportedLocalesOf", function supportedLocalesOf(locales) { return locales === undefined ? [] : data ? withData(locales) : requested(locales); });
    define(Intl, name, Wrapped);
    define(Original.prototype, "constructor", Wrapped);
    const resolved = Original.prototype.resolvedOptions;
    define(Original.prototype, "resolvedOptions", function resolvedOptions() {
      const options = resolved.call(this);
      if (asked.has(this)) options.locale = asked.get(this);
      if (REPORTED_ZONE[options.timeZone]) options.timeZone = REPORTED_ZONE[options.timeZone];
      return options;
    });
    return Wrapped;
  }

  const families = new Set(cfg.families);
  const same = (tag) => tag;
  wrap("NumberFormat", false, true, same);
  wrap("PluralRules", false, true, (tag) => tag.split("-")[0]);
  wrap("DateTimeFormat", true, true, same);
  wrap("RelativeTimeFormat", false, true, same);
  wrap("ListFormat", false, true, same);
  wrap("DisplayNames", false, true, same);
  wrap("Segmenter", false, false, same);

  // DateTimeFormat: the polyfill's pattern matching and its CLDR release differ from node's ICU
  // for some option sets and locales, so a formatter is made only for the option sets (shapes)
  // tests/test_intl_domain.py proved equal to node in that locale (cfg.domain: shape -> data
  // chunks); node's format() writes a space where the data has U+202F (before AM/PM), its formatToParts keeps it.
  const SHAPE = ["weekday", "era", "year", "month", "day", "dayPeriod", "hour", "minute", "second", "fractionalSecondDigits", "timeZoneName", "dateStyle", "timeStyle", "hour12", "hourCycle", "formatMatcher"];
  const shapeOf = (o) => SHAPE.filter((k) => o[k] !== undefined).map((k) => `${k}:${k === "hour12" ? Boolean(o[k]) : String(o[k])}`).join(",");
  if (Intl.DateTimeFormat) {
    const Checked = Intl.DateTimeFormat;
    const examples = "{dateStyle: \"long\"}, {year: \"numeric\", month: \"long\", day: \"numeric\"}, {weekday: \"long\"}, {hour: \"numeric\", minute: \"2-digit\"} (most locales), {timeStyle: \"short\"}";
    let domain;
    const check = (list) => {
      if (!cfg.domain) return;
      domain ??= JSON.parse(cfg.domain);
      const tags = withData(list[0]);
      const o = list[1] === undefined || list[1] === null ? {} : Object(list[1]);
      const shape = shapeOf(o);
      const chunk = TAGS[tags[0].toLowerCase()].data;
      if (!Object.prototype.hasOwnProperty.call(domain, shape) || !domain[shape].includes(chunk)) {
        throw new RangeError(`Intl.DateTimeFormat with the options {${shape}} in ${tags[0]} is not supported in this sandbox: its output is proved equal to node's only for common option sets, such as ${examples}. Use one of those, or build the text from getUTCFullYear(), getUTCMonth() and the like`);
      }
    };
    const traps = {
      construct(target, list, newTarget) {
        try { check(list); } catch (e) { throw at(e, traps.construct); }
        return Reflect.construct(target, list, newTarget === Domain ? target : newTarget);
      },
      apply(target, self, list) {
        try { check(list); } catch (e) { throw at(e, traps.apply); }
        return Reflect.apply(target, self, list);
      },
    };
    const Domain = new Proxy(Checked, traps);
    define(Intl, "DateTimeFormat", Domain);
    const proto = Checked.prototype;
    define(proto, "constructor", Domain);
    const fix = (text) => String(text).replace(/\u202f/g, " ");
    const getter = Object.getOwnPropertyDescriptor(proto, "format").get;
    const bound = new WeakMap();
    Object.defineProperty(proto, "format", {
      configurable: true, enumerable: false,
      get() {
        const format = getter.call(this);
        if (!bound.has(this)) bound.set(this, (date) => fix(format(date)));
        return bound.get(this);
      },
    });
    for (const name of ["formatRange", "formatRangeToParts"]) {
      define(proto, name, function () { throw new RangeError(`Intl.DateTimeFormat.prototype.${name} is not supported in this sandbox: format both dates with format() and join them yourself`); });
    }
  }

  if (Intl.PluralRules) {
    // node (ICU) lists the categories alphabetically with "other" last.
    const proto = Intl.PluralRules.prototype;
    const resolved = proto.resolvedOptions;
    define(proto, "resolvedOptions", function resolvedOptions() {
      const options = resolved.call(this);
      if (Array.isArray(options.pluralCategories)) {
        options.pluralCategories = options.pluralCategories.filter((c) => c !== "other").sort().concat(options.pluralCategories.includes("other") ? ["other"] : []);
      }
      return options;
    });
  }

  if (Intl.NumberFormat) {
    // Past 1e15 the polyfill's compact notation drops the grouping node keeps, and at 1e21 and
    // beyond its plural operands differ: refused rather than formatted differently.
    const proto = Intl.NumberFormat.prototype;
    const getter = Object.getOwnPropertyDescriptor(proto, "format").get;
    const checkValue = (nf, x) => {
      const v = typeof x === "bigint" ? x : Number(x);
      if (typeof v === "number" && !Number.isFinite(v)) return;
      const big = typeof v === "bigint" ? (v < 0n ? -v : v) >= 10n ** 15n : Math.abs(v) >= 1e15;
      if (!big) return;
      const o = nf.resolvedOptions();
      const huge = typeof v === "bigint" ? (v < 0n ? -v : v) >= 10n ** 21n : Math.abs(v) >= 1e21;
      if (o.notation === "compact" || huge) {
        throw new RangeError(`Intl.NumberFormat in this sandbox formats ${o.notation === "compact" ? "compact numbers below 1e15" : "numbers below 1e21"}: format ${String(x).slice(0, 30)} yourself (for example with toExponential)`);
      }
    };
    const bound = new WeakMap();
    Object.defineProperty(proto, "format", {
      configurable: true, enumerable: false,
      get() {
        const format = getter.call(this);
        if (!bound.has(this)) bound.set(this, (x) => { checkValue(this, x); return format(x); });
        return bound.get(this);
      },
    });
    const parts = proto.formatToParts;
    define(proto, "formatToParts", function formatToParts(x) { checkValue(this, x); return parts.call(this, x); });
  }

  if (Intl.Segmenter) {
    // The polyfill splits words by the UAX #29 rules alone; ICU (node) uses dictionaries for
    // Chinese, Japanese, Thai, Lao, Khmer and Burmese: those would differ silently.
    const DICTIONARY = /[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/;
    const proto = Intl.Segmenter.prototype;
    const segment = proto.segment;
    define(proto, "segment", function (input) {
      const text = String(input);
      if (this.resolvedOptions().granularity === "word" && DICTIONARY.test(text)) {
        throw new RangeError("word segmentation of Chinese, Japanese, Thai, Lao, Khmer or Burmese text is not supported in this sandbox (node uses dictionaries): segment by grapheme, or split the text yourself");
      }
      return segment.call(this, text);
    });
  }

  if (Intl.supportedValuesOf) {
    const original = Intl.supportedValuesOf;
    const keep = {
      timeZone: () => cfg.bundledZones.map((z) => REPORTED_ZONE[z] || z).sort(),
      calendar: () => ["gregory"],
      numberingSystem: () => ["latn"],
    };
    define(Intl, "supportedValuesOf", function supportedValuesOf(key) {
      const k = String(key);
      original(k);
      if (keep[k]) return keep[k]();
      throw new RangeError(`Intl.supportedValuesOf(${JSON.stringify(k)}) is not supported in this sandbox (its lists differ from node's): it answers timeZone, calendar and numberingSystem; for a currency or unit, use the code you need and catch the RangeError if it is unknown`);
    });
  }

  // Families the code did not name: a function that fails loudly when called or constructed,
  // never a half-working constructor (and `instanceof` still works on it). Not Locale: the
  // polyfills probe `Intl.Locale?.prototype.toString`, and an absent Locale is loud enough.
  for (const name of ["NumberFormat", "DateTimeFormat", "PluralRules", "RelativeTimeFormat", "ListFormat", "DisplayNames", "Segmenter", "getCanonicalLocales", "supportedValuesOf"]) {
    if (Object.prototype.hasOwnProperty.call(Intl, name)) continue;
    const missing = function () { throw new ReferenceError(`Intl.${name} is loaded only into runs whose code names it: write Intl.${name} literally in the code`); };
    define(missing, "name", name);
    define(Intl, name, missing);
  }

  // The collator (intl_collate.js) and the methods built on it.
  const Collator = collate(requested, define, at);
  define(Intl, "Collator", Collator);
  let plain;
  method(String.prototype, "localeCompare", function localeCompare(that, locales, options) {
    if (this === undefined || this === null) throw new TypeError("String.prototype.localeCompare called on null or undefined");
    const collator = locales === undefined && options === undefined ? (plain ??= new Collator()) : new Collator(locales, options);
    return collator.compare(String(this), String(that));
  });

  // Locale case mapping: only Turkish and Azeri (dotted and dotless i) differ from the default in
  // ICU for these methods; Lithuanian's rules are not implemented, so it is refused.
  function caseLanguage(locales) {
    if (locales === undefined) return "en";
    const list = typeof locales === "string" ? [locales] : Array.from(Object(locales));
    if (!list.length) return "en";
    const raw = tagOf(list[0]);
    if (raw.length > MAX_TAG || !/^[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*$/.test(raw)) throw new RangeError("Incorrect locale information provided");
    const language = raw.split(/[-_]/)[0].toLowerCase();
    if (language === "lt") throw new RangeError("Lithuanian case mapping is not supported in this sandbox: use toUpperCase()/toLowerCase() if the text has no i or j with accents, or map those yourself");
    return language;
  }
  const turkic = (language) => language === "tr" || language === "az";
  const thisString = (self, name) => {
    if (self === undefined || self === null) throw new TypeError(`String.prototype.${name} called on null or undefined`);
    return String(self);
  };
  method(String.prototype, "toLocaleUpperCase", function toLocaleUpperCase(locales) {
    const s = thisString(this, "toLocaleUpperCase");
    return turkic(caseLanguage(locales)) ? s.replace(/i/g, "\u0130").toUpperCase() : s.toUpperCase();
  });
  method(String.prototype, "toLocaleLowerCase", function toLocaleLowerCase(locales) {
    const s = thisString(this, "toLocaleLowerCase");
    if (!turkic(caseLanguage(locales))) return s.toLowerCase();
    return s.replace(/I\u0307/g, "i").replace(/\u0130/g, "i").replace(/I/g, "\u0131").toLowerCase();
  });

  // Number, BigInt, Date, Array and typed-array locale methods, wired to the wrapped constructors.
  const refuse = (what, family) => () => {
    throw new ReferenceError(`${what} needs Intl.${family}, which is loaded only when the code names it: write new Intl.${family}(...) or ${what} literally in the code`);
  };
  const numberValue = Number.prototype.valueOf;
  if (families.has("numberformat")) {
    method(Number.prototype, "toLocaleString", function toLocaleString(locales, options) {
      return new Intl.NumberFormat(locales, options).format(numberValue.call(this));
    });
    if (typeof BigInt === "function") {
      const bigintValue = BigInt.prototype.valueOf;
      method(BigInt.prototype, "toLocaleString", function toLocaleString(locales, options) {
        return new Intl.NumberFormat(locales, options).format(bigintValue.call(this));
      });
    }
  } else {
    define(Number.prototype, "toLocaleString", refuse("Number.prototype.toLocaleString", "NumberFormat"));
    if (typeof BigInt === "function") define(BigInt.prototype, "toLocaleString", refuse("BigInt.prototype.toLocaleString", "NumberFormat"));
  }

  const time = Date.prototype.getTime;
  const DATE = ["weekday", "year", "month", "day"];
  const TIME = ["dayPeriod", "hour", "minute", "second", "fractionalSecondDigits"];
  function dateOptions(options, required, defaults, method) {
    const o = options === undefined ? {} : options === null ? (() => { throw new TypeError("Cannot convert undefined or null to object"); })() : Object(options);
    const copy = Object.create(o);
    if (required === "date" && o.timeStyle !== undefined) throw new TypeError(`Invalid option : timeStyle (${method} formats only the date)`);
    if (required === "time" && o.dateStyle !== undefined) throw new TypeError(`Invalid option : dateStyle (${method} formats only the time)`);
    let need = true;
    if (required !== "time" && DATE.some((k) => o[k] !== undefined)) need = false;
    if (required !== "date" && TIME.some((k) => o[k] !== undefined)) need = false;
    if (o.dateStyle !== undefined || o.timeStyle !== undefined) need = false;
    if (need && defaults !== "time") for (const k of ["year", "month", "day"]) define(copy, k, "numeric");
    if (need && defaults !== "date") for (const k of ["hour", "minute", "second"]) define(copy, k, "numeric");
    return copy;
  }
  const dateMethod = (name, required, defaults) => families.has("datetimeformat")
    ? guarded({ [name](locales, options) {
      const t = time.call(this);
      if (Number.isNaN(t)) return "Invalid Date";
      return new Intl.DateTimeFormat(locales, dateOptions(options, required, defaults, name)).format(t);
    } }[name])
    : refuse(`Date.prototype.${name}`, "DateTimeFormat");
  define(Date.prototype, "toLocaleString", dateMethod("toLocaleString", "any", "all"));
  define(Date.prototype, "toLocaleDateString", dateMethod("toLocaleDateString", "date", "date"));
  define(Date.prototype, "toLocaleTimeString", dateMethod("toLocaleTimeString", "time", "time"));

  const active = new Set();
  function listToLocaleString(locales, options) {
    const list = Object(this);
    if (active.has(list)) return "";
    active.add(list);
    try {
      const n = Math.min(Number(list.length) || 0, 2 ** 32);
      let out = "";
      for (let i = 0; i < n; i++) {
        if (i) out += ",";
        const item = list[i];
        if (item !== undefined && item !== null) out += String(Object(item).toLocaleString(locales, options));
      }
      return out;
    } finally {
      active.delete(list);
    }
  }
  method(Array.prototype, "toLocaleString", listToLocaleString);
  method(Object.getPrototypeOf(Uint8Array.prototype), "toLocaleString", listToLocaleString);
}
