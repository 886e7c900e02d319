// Builds the sandbox's JavaScript bundles from the pinned npm packages of js/package.json.
//
//   python js/build.py          # npm ci, then this script (the usual way)
//   node js/build.mjs           # this script alone, once js/node_modules is in place
//
// Writes agent/sandbox/worker/js/bundles/: one minified bundle per Intl constructor family
// (intl/<family>.js), one locale-data chunk per family and bundled locale
// (intl/data/<family>/<locale>.js), the IANA rules of the bundled time zones (intl/data/tz.js),
// the packages' licenses (LICENSES.txt) and manifest.json (input package versions and every
// output file's SHA-256), which tests/test_bundles.py checks the committed files against. The
// output depends only on the locked packages: building twice gives the same bytes.

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

import * as esbuild from "esbuild";

const HERE = dirname(fileURLToPath(import.meta.url));
const MODULES = join(HERE, "node_modules");
const OUT = join(HERE, "..", "agent", "sandbox", "worker", "js", "bundles");

// The engine is QuickJS-ng, which implements ES2023: nothing newer needs lowering.
const TARGET = "es2022";

// The locales shipped: the default (en, whose data also serves en-US) and the most used ones,
// each a few hundred KB of CLDR data over all families. Each is its own chunk per family, so a
// run parses only the locales it asks for. Node's default locale on these machines is en-US.
export const LOCALES = [
  "en", "en-GB", "en-IN", "de", "fr", "es", "it", "pt", "ja", "zh", "ko", "ru", "nl", "sv", "pl", "tr",
];

// The time zones shipped (IANA rules from the package's own tz data), the most used; UTC (and
// its aliases Etc/UTC, Etc/GMT) needs no rules and is always there.
export const ZONES = [
  "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Phoenix",
  "America/Toronto", "America/Mexico_City", "America/Sao_Paulo",
  "Europe/London", "Europe/Paris", "Europe/Berlin", "Europe/Madrid", "Europe/Rome", "Europe/Amsterdam",
  "Europe/Stockholm", "Europe/Warsaw", "Europe/Istanbul", "Europe/Moscow",
  "Asia/Tokyo", "Asia/Shanghai", "Asia/Seoul", "Asia/Kolkata", "Asia/Singapore", "Asia/Dubai",
  "Australia/Sydney",
];

// Constructor families: the package that provides each, the families it needs at run time
// (loaded before it), and whether it takes per-locale data.
export const FAMILIES = {
  canonical: { pkg: "@formatjs/intl-getcanonicallocales", entry: "polyfill-force.js", needs: [], data: false },
  supportedvaluesof: { pkg: "@formatjs/intl-supportedvaluesof", entry: "polyfill-force.js", needs: [], data: false },
  locale: { pkg: "@formatjs/intl-locale", entry: "polyfill-force.js", needs: ["canonical"], data: false },
  pluralrules: { pkg: "@formatjs/intl-pluralrules", entry: "polyfill-force.js", needs: ["canonical"], data: true },
  numberformat: { pkg: "@formatjs/intl-numberformat", entry: "polyfill-force.js", needs: ["canonical", "pluralrules"], data: true },
  datetimeformat: { pkg: "@formatjs/intl-datetimeformat", entry: "polyfill-force.js", needs: ["canonical", "pluralrules", "numberformat"], data: true },
  relativetimeformat: { pkg: "@formatjs/intl-relativetimeformat", entry: "polyfill-force.js", needs: ["canonical", "pluralrules", "numberformat"], data: true },
  listformat: { pkg: "@formatjs/intl-listformat", entry: "polyfill-force.js", needs: ["canonical"], data: true },
  displaynames: { pkg: "@formatjs/intl-displaynames", entry: "polyfill-force.js", needs: ["canonical"], data: true },
  segmenter: { pkg: "@formatjs/intl-segmenter", entry: "polyfill-force.js", needs: ["canonical"], data: false },
};

function sha256(bytes) {
  return createHash("sha256").update(bytes).digest("hex");
}

function packageJson(pkg) {
  return JSON.parse(readFileSync(join(MODULES, pkg, "package.json"), "utf8"));
}

function header(pkgs) {
  const names = pkgs.map((pkg) => `${pkg}@${packageJson(pkg).version}`).join(", ");
  return `/* Built by js/build.mjs from ${names} (licenses in LICENSES.txt). Do not edit. */`;
}

// intl-getcanonicallocales sorts its ~900 language-alias rules when it is loaded: 17 ms in
// QuickJS, in every fresh context, more than the whole target for a first use. The rules depend
// only on the package's data, so they are computed here once, shipped as JSON and parsed the
// first time a tag is canonicalized. The build refuses to go on unless the patched code gives
// the same canonical form as the original for every alias and a list of ordinary tags.
const RULES_START = "const languageAliasRules = Object.keys(languageAlias)";
const RULES_END = "}, Object.create(null));";

function scriptOf(source) {
  return source.replace(/^import .*$/gm, "").replace(/^export \{[^}]*\};?$/gm, "");
}

function canonicalizeAll(source, tags, expose = "") {
  const context = vm.createContext({});
  vm.runInContext(scriptOf(source), context);
  vm.runInContext(`${expose} globalThis.__aliases = Object.keys(languageAlias)`, context);
  const result = tags(context).map((tag) => {
    try {
      return vm.runInContext(`getCanonicalLocales(${JSON.stringify(tag)})[0]`, context);
    } catch (error) {
      return `${error.name}`;
    }
  });
  return { context, result };
}

const CHECK_TAGS = ["en", "EN-us", "de-de", "zh-hans-cn", "iw", "in", "sh", "no-bok", "und-x-private", "valueOf", "toString", "en-u-ca-gregory-nu-latn", "x-abc", "123"];

function precomputeRules(source) {
  const start = source.indexOf(RULES_START);
  const end = source.indexOf(RULES_END, start);
  if (start < 0 || end < 0) throw new Error("intl-getcanonicallocales changed: the language-alias rules were not found");
  const tags = (context) => [...CHECK_TAGS, ...context.__aliases];
  const original = canonicalizeAll(source, tags, "globalThis.__rules = languageAliasRules;");
  const json = JSON.stringify(JSON.stringify(original.context.__rules));
  const lazy = `let languageAliasRules$parsed;\nconst languageAliasRules$get = () => languageAliasRules$parsed ??= Object.assign(Object.create(null), JSON.parse(${json}));`;
  const rest = source.slice(end + RULES_END.length).replace(/\blanguageAliasRules\b(?!\$)/g, "languageAliasRules$get()");
  const patched = source.slice(0, start) + lazy + rest;
  const check = canonicalizeAll(patched, () => tags(original.context));
  if (JSON.stringify(check.result) !== JSON.stringify(original.result)) {
    throw new Error("the precomputed language-alias rules canonicalize differently from the package's own");
  }
  return patched;
}

const precomputedRules = {
  name: "precomputed-language-alias-rules",
  setup(build) {
    build.onLoad({ filter: /intl-getcanonicallocales[\\/](index|polyfill-force|polyfill)\.js$/ }, (args) => ({
      contents: precomputeRules(readFileSync(args.path, "utf8")),
      loader: "js",
    }));
  },
};

// intl-datetimeformat parses, when a locale's first formatter is made, every skeleton and pattern
// of its calendar (about 25 ms for en in QuickJS), and for each the interval patterns, after
// searching its nearest interval format by parsing every interval skeleton (more than 100 ms).
// Only formatRange and formatRangeToParts read the interval patterns, which js/intl.js refuses,
// so the bundle is built without them; and the parsed gregorian formats come with the locale's
// data, computed here by the package's own code (see withParsedFormats), so a run parses none. The
// build stops if the package's code changes under these patches.
const NO_INTERVALS = [
  ["parseDateTimeSkeleton(pattern, pattern, findIntervalFormat(pattern, intervalFormats), intervalFormats.intervalFormatFallback)",
   "parseDateTimeSkeleton(pattern, pattern)"],
  ["return parsed ??= Object.keys(formats[calendar]).map((skeleton) => parseDateTimeSkeleton(skeleton, formats[calendar][skeleton], calendarIntervals[skeleton] || findIntervalFormat(skeleton, calendarIntervals), calendarIntervals.intervalFormatFallback));",
   "return parsed ??= ((list, raw = formats[calendar], skeletons = Object.keys(raw)) => list ? list.map(([pattern, pattern12, fields], i) => " +
   "Object.assign(Object.create(null), { pattern, pattern12, skeleton: skeletons[i], rawPattern: raw[skeletons[i]], rangePatterns: Object.create(null), " +
   "rangePatterns12: Object.create(null) }, fields)) : skeletons.map((skeleton) => parseDateTimeSkeleton(skeleton, raw[skeleton])))(d.$parsed?.[calendar]);"],
];

function withoutIntervals(source) {
  for (const [from, to] of NO_INTERVALS) {
    if (source.split(from).length !== 2) throw new Error(`intl-datetimeformat changed: a patch does not apply at ${JSON.stringify(from.slice(0, 60))}`);
    source = source.replace(from, () => to);
  }
  return source;
}

const noIntervals = {
  name: "datetimeformat-without-intervals",
  setup(build) {
    build.onLoad({ filter: /intl-datetimeformat[\\/]polyfill-force\.js$/ }, (args) => ({
      contents: withoutIntervals(readFileSync(args.path, "utf8")),
      loader: "js",
    }));
  },
};

async function bundle(contents, banner) {
  const result = await esbuild.build({
    stdin: { contents, resolveDir: HERE, loader: "js" },
    bundle: true,
    minify: true,
    format: "iife",
    target: TARGET,
    legalComments: "none",
    charset: "utf8",
    write: false,
    plugins: [precomputedRules, noIntervals],
    banner: { js: banner },
  });
  return result.outputFiles[0].text;
}

async function minifyScript(source, banner) {
  const result = await esbuild.transform(source, { minify: true, target: TARGET, legalComments: "none", charset: "utf8", banner });
  return result.code;
}

function inputPackages(pkg) {
  const seen = new Set();
  const visit = (name) => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const dep of Object.keys(packageJson(name).dependencies ?? {})) visit(dep);
  };
  visit(pkg);
  return [...seen].sort();
}

function pickZones(source) {
  const match = source.match(/__addTZData\((\{[\s\S]*\})\)/);
  const data = vm.runInNewContext(`(${match[1]})`);
  const zones = data.zones.filter((zone) => ZONES.includes(zone.split("|")[0]));
  const found = zones.map((zone) => zone.split("|")[0]);
  const missing = ZONES.filter((zone) => !found.includes(zone));
  if (missing.length) throw new Error(`time zones not in the package's data: ${missing.join(", ")}`);
  return `Intl.DateTimeFormat.__addTZData(${JSON.stringify({ ...data, zones })});`;
}

class Output {
  constructor() {
    this.files = {};
  }

  write(path, text) {
    const file = join(OUT, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    this.files[path] = { sha256: sha256(Buffer.from(text)), bytes: Buffer.byteLength(text) };
  }
}

async function buildFamilies(out) {
  for (const [family, { pkg, entry }] of Object.entries(FAMILIES)) {
    const text = await bundle(`import "${pkg}/${entry}";`, header(inputPackages(pkg)));
    out.write(`intl/${family}.js`, text);
  }
}

// Whether JSON text carries `value` whole: nothing but strings, finite numbers, booleans, null,
// arrays and plain objects (made in another context: no prototype check).
function isJson(value) {
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (typeof value !== "object") return false;
  if (Array.isArray(value)) return value.every(isJson);
  return Object.getOwnPropertySymbols(value).length === 0 && Object.keys(value).every((key) => key !== "__proto__" && isJson(value[key]));
}

// The data a locale-data chunk adds, and the constructor it adds it to.
function capture(source) {
  const constructor = source.match(/Intl\.(\w+)(?:\.|\[["'])__addLocaleData/)?.[1];
  if (!constructor) throw new Error("a locale-data chunk without __addLocaleData");
  const added = [];
  vm.runInNewContext(source, { Intl: { [constructor]: { __addLocaleData: (...data) => added.push(...data) } } });
  if (added.length === 0) throw new Error(`a locale-data chunk of Intl.${constructor} added nothing`);
  return { constructor, added };
}

function jsonChunk({ constructor, added }) {
  return `Intl.${constructor}.__addLocaleData(${added.map((data) => `JSON.parse(${JSON.stringify(JSON.stringify(data))})`).join(", ")});`;
}

// The gregorian formats of a locale as the built DateTimeFormat bundle parses them (`prelude`:
// the bundles it runs after, and itself), in node, as plain objects: each a skeleton's fields
// and patterns, with no interval patterns.
function gregorianFormats(prelude, chunk, locale) {
  const context = vm.createContext({});
  for (const source of [...prelude, chunk]) vm.runInContext(source, context);
  return vm.runInContext(`Intl.DateTimeFormat.localeData[${JSON.stringify(locale)}].formats.gregory`, context);
}

// A parsed format as [pattern, pattern12, fields]: its skeleton and raw pattern are the data's own
// (the formats come in the order of the data's skeletons), its interval patterns are none.
const FORMAT_HEAD = ["pattern", "pattern12", "skeleton", "rawPattern", "rangePatterns", "rangePatterns12"];

function compactFormat(format, i, raw) {
  const keys = Object.keys(format);
  if (JSON.stringify(keys.slice(0, FORMAT_HEAD.length)) !== JSON.stringify(FORMAT_HEAD) || format.rawPattern !== raw[format.skeleton] ||
      Object.keys(raw)[i] !== format.skeleton || Object.keys(format.rangePatterns).length || Object.keys(format.rangePatterns12).length) {
    throw new Error(`a parsed format is not laid out as expected: ${format.skeleton}`);
  }
  const fields = {};
  for (const key of keys.slice(FORMAT_HEAD.length)) {
    if (typeof format[key] !== "string" && typeof format[key] !== "boolean") throw new Error(`a parsed format's ${key} is not a string: ${format.skeleton}`);
    fields[key] = format[key];
  }
  return [format.pattern, format.pattern12, fields];
}

// A DateTimeFormat chunk without the interval formats (the bundle reads none but their fallback)
// and with `$parsed.gregory`, the formats its locale's first formatter would otherwise parse;
// checked: the bundle given them has, field for field and in order, what it parses itself.
function withParsedFormats(prelude, captured) {
  for (const entry of captured.added) entry.data.intervalFormats = { intervalFormatFallback: entry.data.intervalFormats.intervalFormatFallback };
  const chunk = jsonChunk(captured);
  for (const entry of captured.added) {
    const raw = entry.data.formats.gregory;
    entry.data.$parsed = { gregory: gregorianFormats(prelude, chunk, entry.locale).map((format, i) => compactFormat(format, i, raw)) };
  }
  const withParsed = jsonChunk(captured);
  for (const entry of captured.added) {
    const parsed = gregorianFormats(prelude, chunk, entry.locale), given = gregorianFormats(prelude, withParsed, entry.locale);
    const same = parsed.length === given.length && parsed.every((format, i) => {
      const keys = Object.keys(format), other = given[i];
      return JSON.stringify(keys) === JSON.stringify(Object.keys(other)) && Object.getPrototypeOf(other) === null &&
        keys.every((key) => (typeof format[key] === "object"
          ? Object.getPrototypeOf(other[key]) === null && Object.keys(other[key]).length === 0
          : format[key] === other[key]));
    });
    if (!same) throw new Error(`the precomputed DateTimeFormat formats of ${entry.locale} differ from the package's parse`);
  }
  return withParsed;
}

// A locale-data chunk as the package writes it adds its data as an object literal, twice (once
// for a loaded polyfill, once queued for a later one). Runs load a family before its data, so the
// chunk here adds it once, parsed from JSON text: QuickJS parses JSON about twice as fast as the
// same object as code, and these chunks are most of a first use's parsing (numberformat's en was
// 87 KB). A chunk whose data is not plain JSON (plural rules carry functions) is kept as it is.
function localeDataChunk(family, source) {
  const captured = capture(source);
  if (!captured.added.every(isJson)) return source;
  if (family !== "datetimeformat") return jsonChunk(captured);
  const prelude = ["canonical", "pluralrules", "numberformat", "datetimeformat"].map((name) => readFileSync(join(OUT, "intl", `${name}.js`), "utf8"));
  return withParsedFormats(prelude, captured);
}

async function buildLocaleData(out) {
  for (const [family, { pkg, data }] of Object.entries(FAMILIES)) {
    if (!data) continue;
    for (const locale of LOCALES) {
      const path = join(MODULES, pkg, "locale-data", `${locale}.js`);
      if (!existsSync(path)) {
        // Data kept per language only (plural rules): the language's chunk serves the region.
        if (locale.includes("-")) continue;
        throw new Error(`${pkg} has no data for ${locale}`);
      }
      const source = readFileSync(path, "utf8");
      out.write(`intl/data/${family}/${locale}.js`, await minifyScript(localeDataChunk(family, source), header([pkg])));
    }
  }
}

async function buildZones(out) {
  const pkg = FAMILIES.datetimeformat.pkg;
  const source = readFileSync(join(MODULES, pkg, "add-all-tz.js"), "utf8");
  out.write("intl/data/tz.js", await minifyScript(pickZones(source), header([pkg])));
}

function licenses(pkgs) {
  return pkgs.map((pkg) => {
    const dir = join(MODULES, pkg);
    const file = readdirSync(dir).find((name) => /^licen[cs]e/i.test(name));
    if (!file) throw new Error(`${pkg} ships no license file`);
    return `${pkg}@${packageJson(pkg).version} (${packageJson(pkg).license})\n\n${readFileSync(join(dir, file), "utf8").trim()}\n`;
  }).join(`\n${"=".repeat(78)}\n\n`);
}

async function main() {
  rmSync(OUT, { recursive: true, force: true });
  const out = new Output();
  await buildFamilies(out);
  await buildLocaleData(out);
  await buildZones(out);
  await (await import("./node.mjs")).buildNode(out);  // Node's built-ins: bundles/node/ (js/node.mjs)
  const pkgs = [...new Set(Object.values(FAMILIES).flatMap(({ pkg }) => inputPackages(pkg)))].sort();
  out.write("LICENSES.txt", licenses(pkgs));
  const manifest = {
    packages: Object.fromEntries([...pkgs, "esbuild"].map((pkg) => [pkg, packageJson(pkg).version])),
    locales: LOCALES,
    zones: ZONES,
    families: Object.fromEntries(Object.entries(FAMILIES).map(([name, { needs, data }]) => [name, { needs, data }])),
    files: Object.fromEntries(Object.entries(out.files).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
  writeFileSync(join(OUT, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  const total = Object.values(out.files).reduce((sum, { bytes }) => sum + bytes, 0);
  console.log(`${Object.keys(out.files).length} files, ${total} bytes in ${relative(process.cwd(), OUT)}`);
}

await main();
