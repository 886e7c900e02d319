// Node's built-in modules for the sandbox, from the pinned npm packages of js/package.json: called
// by build.mjs's main (`await buildNode(out)`).
//
// Writes agent/sandbox/worker/js/bundles/node/: one minified bundle per package module, each a
// CommonJS factory `function (module, exports, require, process) {...}` that the worker's module
// registry (worker/js/node.js) calls on the first `require` of it. Another built-in that a package
// requires (`buffer`, `events`, `util`) stays a `require` of the registry, so each package is
// compiled once per run however many modules use it. Also node/LICENSES.txt (the packages'
// licenses) and node/packages.json (their versions and each bundle's requires), which
// tests/test_node_bundles.py checks against the lockfile.

import { createRequire } from "node:module";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import * as esbuild from "esbuild";

const HERE = dirname(fileURLToPath(import.meta.url));
const MODULES = join(HERE, "node_modules");
const require = createRequire(join(HERE, "package.json"));

// QuickJS-ng implements ES2023: nothing newer needs lowering.
const TARGET = "es2022";

// The bundles: the entry (ESM source, resolved in js/), the packages it is built from (for the
// header and the licenses).
export const NODE_BUNDLES = {
  buffer: { entry: `module.exports = require(${JSON.stringify(require.resolve("buffer/"))});`, pkgs: ["buffer", "base64-js", "ieee754"] },
  hashes: {
    entry: [
      'export { md5, sha1, ripemd160 } from "@noble/hashes/legacy.js";',
      'export { sha224, sha256, sha384, sha512, sha512_224, sha512_256 } from "@noble/hashes/sha2.js";',
      'export { sha3_224, sha3_256, sha3_384, sha3_512 } from "@noble/hashes/sha3.js";',
      'export { hmac } from "@noble/hashes/hmac.js";',
      'export { pbkdf2 } from "@noble/hashes/pbkdf2.js";',
    ].join("\n"),
    pkgs: ["@noble/hashes"],
  },
  // path: node's own lib/path.js (path-unified: node 21.5's, as ESM), posix and win32, wired as
  // node's module is (path.posix === path, both reach each other); matchesGlob, experimental in
  // node 20, says so.
  path: {
    entry: [
      `const P = require(${JSON.stringify(join(dirname(require.resolve("path-unified")), "path.js"))});`,
      "const NAMES = ['Resolve', 'Normalize', 'IsAbsolute', 'Join', 'Relative', 'ToNamespacedPath', 'Dirname', 'Basename', 'Extname', 'Format', 'Parse'];",
      "const matchesGlob = () => { throw new Error('path.matchesGlob (experimental in node 20) is not available in the sandbox: test the path with a RegExp'); };",
      "function make(prefix) {",
      "  const path = {};",
      "  for (const name of NAMES) path[name[0].toLowerCase() + name.slice(1)] = P[prefix + name];",
      "  Object.assign(path, { matchesGlob, sep: P[prefix + 'Sep'], delimiter: P[prefix + 'Delimiter'], win32: null, posix: null });",
      "  path._makeLong = path.toNamespacedPath;",
      "  return path;",
      "}",
      "const posix = make('pos'), win32 = make('win');",
      "posix.posix = win32.posix = posix;",
      "posix.win32 = win32.win32 = win32;",
      "module.exports = posix;",
    ].join("\n"),
    pkgs: ["path-unified"],
  },
  events: { entry: `module.exports = require(${JSON.stringify(require.resolve("events/"))});`, pkgs: ["events"] },
  // util: node 8's util package (promisify, types, inherits, ...) with node's own inspect and
  // format (node-inspect-extracted) and assert's isDeepStrictEqual, three bundles together near
  // 100 KB: each is compiled by a run only when it first reads one of its functions (see
  // utilEntry), so util.format costs the inspect bundle alone.
  util_base: { entry: `module.exports = require(${JSON.stringify(require.resolve("util/"))});`, pkgs: ["util"] },
  util_inspect: { entry: `module.exports = require(${JSON.stringify(require.resolve("node-inspect-extracted"))});`, pkgs: ["node-inspect-extracted"] },
  util_compare: { entry: `module.exports = require(${JSON.stringify(require.resolve("assert/build/internal/util/comparisons.js"))});`, pkgs: ["assert"] },
  util: { entry: null, pkgs: ["util", "node-inspect-extracted", "assert"] },
  assert: { entry: `module.exports = require(${JSON.stringify(require.resolve("assert/"))});`, pkgs: ["assert"] },
  // querystring-es3 has no escape and unescape: node's, over encodeURIComponent (whose kept
  // characters are node's) and, for text that is not valid percent-encoded UTF-8, byte by byte.
  querystring: {
    entry: [
      `const qs = require(${JSON.stringify(require.resolve("querystring-es3"))});`,
      'const { Buffer } = require("buffer");',
      "const escape = (s) => encodeURIComponent(typeof s === 'string' ? s : String(s));",
      "function unescapeBuffer(s, decodeSpaces) {",
      "  const out = [];",
      "  for (let i = 0; i < s.length; i++) {",
      "    const c = s.charCodeAt(i);",
      "    if (c === 37 && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) { out.push(parseInt(s.slice(i + 1, i + 3), 16)); i += 2; }",
      "    else if (c === 43 && decodeSpaces) out.push(32);",
      "    else out.push(...Buffer.from(s[i], 'utf8'));",
      "  }",
      "  return Buffer.from(out);",
      "}",
      "function unescape(s, decodeSpaces) {",
      "  try { return decodeURIComponent(s); } catch { return unescapeBuffer(s, decodeSpaces).toString(); }",
      "}",
      "module.exports = Object.assign({}, qs, { escape, unescape, unescapeBuffer });",
    ].join("\n"),
    pkgs: ["querystring-es3"],
  },
  // The WHATWG URL classes (URL, URLSearchParams: the globals and node:url's). IDNA (tr46, 210 KB
  // of Unicode tables) is its own bundle, compiled by a run only when it parses a host that is
  // not ASCII or holds an xn-- label (whatwg-url lowercases any other host without it). The
  // query's legacy encodings (an HTML form's, not the URL API's) are left out. node 20 has no
  // URL.parse.
  whatwg_url: {
    entry: [
      `const { URL, URLSearchParams } = require(${JSON.stringify(require.resolve("whatwg-url"))});`,
      "delete URL.parse;",
      // util.inspect of them, as node 20's URL and URLSearchParams write themselves
      "const custom = Symbol.for('nodejs.util.inspect.custom');",
      "const FIELDS = ['href', 'origin', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'searchParams', 'hash'];",
      "Object.defineProperty(URL.prototype, custom, { writable: true, configurable: true, value(depth, options, inspect) {",
      "  if (typeof depth === 'number' && depth < 0) return this;",
      "  const fields = {};",
      "  for (const key of FIELDS) fields[key] = this[key];",
      "  return `${this.constructor.name} ${inspect(fields, options)}`;",
      "} });",
      "Object.defineProperty(URLSearchParams.prototype, custom, { writable: true, configurable: true, value(depth, options, inspect) {",
      "  if (typeof depth === 'number' && depth < 0) return options.stylize('[Object]', 'special');",
      "  const inner = { ...options };",
      "  if (depth !== null) inner.depth = depth - 1;",
      "  const output = [...this].map(([key, value]) => `${inspect(key, inner)} => ${inspect(value, inner)}`);",
      "  const length = output.reduce((sum, item) => sum + item.replace(/\\u001b\\[\\d\\d?m/g, '').length + 2, -2);",
      "  if (length > options.breakLength) return `${this.constructor.name} {\\n  ${output.join(',\\n  ')} }`;",
      "  return output.length ? `${this.constructor.name} { ${output.join(', ')} }` : `${this.constructor.name} {}`;",
      "} });",
      "module.exports = { URL, URLSearchParams };",
    ].join("\n"),
    pkgs: ["whatwg-url", "webidl-conversions", "@exodus/bytes"],
  },
  tr46: { entry: `module.exports = require(${JSON.stringify(require.resolve("tr46"))});`, pkgs: ["tr46"] },
  string_decoder: { entry: `module.exports = require(${JSON.stringify(require.resolve("string_decoder/"))});`, pkgs: ["string_decoder", "safe-buffer"] },
};

// The built-ins a package may require, which stay requires of the sandbox's registry (the
// trailing-slash form, `util/`, means the npm package itself and is bundled), and tr46 (see whatwg_url).
const EXTERNAL = /^(?:node:)?(buffer|events|util|process|crypto)$|^(tr46|util_base|util_inspect|util_compare)$/;

// Where a package's output differs from node 20's (the oracle), a patch of its source, applied at
// build time; the build stops if a package's source changed so that one no longer applies.
//
// buffer@6: knows every encoding of Node's but base64url (decoding already reads the URL-safe
// alphabet: base64-js), so base64url is named next to base64 and written as base64 with - and _
// and no padding; and its UTF-8 decoder replaces each byte of a truncated sequence with U+FFFD
// where node replaces the sequence's longest valid start once (the WHATWG decoder): utf8Slice
// becomes that decoder.
const UTF8_SLICE = `function utf8Slice (buf, start, end) {
  end = Math.min(buf.length, end)
  const points = []
  let text = ''
  for (let i = start; i < end;) {
    const b = buf[i]
    let need = 0, c = b, lower = 0x80, upper = 0xbf
    if (b >= 0xc2 && b <= 0xdf) { need = 1; c = b & 0x1f }
    else if (b >= 0xe0 && b <= 0xef) { need = 2; c = b & 0xf; if (b === 0xe0) lower = 0xa0; if (b === 0xed) upper = 0x9f }
    else if (b >= 0xf0 && b <= 0xf4) { need = 3; c = b & 7; if (b === 0xf0) lower = 0x90; if (b === 0xf4) upper = 0x8f }
    else if (b >= 0x80) { points.push(0xfffd); i++; continue }
    let j = 1
    for (; j <= need; j++) {
      const next = i + j < end ? buf[i + j] : undefined
      if (next === undefined || next < lower || next > upper) break
      lower = 0x80; upper = 0xbf
      c = (c << 6) | (next & 0x3f)
    }
    if (j <= need) { points.push(0xfffd); i += j; continue }
    points.push(c)
    i += need + 1
    if (points.length >= 8192) { text += String.fromCodePoint.apply(String, points); points.length = 0 }
  }
  return text + String.fromCodePoint.apply(String, points)
}

function utf8SliceOfBuffer (buf, start, end) {`;
const PATCHES = [
  // path-unified is node 21.5's lib/path.js; node 20's names basename's second argument "suffix".
  [/[\\/]node_modules[\\/]path-unified[\\/]src[\\/]path\.js$/, [
    ["function winBasename(path, suffix) {\n  if (suffix !== undefined) validateString(suffix, 'ext');",
     "function winBasename(path, suffix) {\n  if (suffix !== undefined) validateString(suffix, 'suffix');"],
    ["function posBasename(path, suffix) {\n  if (suffix !== undefined) validateString(suffix, 'ext');",
     "function posBasename(path, suffix) {\n  if (suffix !== undefined) validateString(suffix, 'suffix');"],
  ]],
  // path-unified simplifies node's ERR_INVALID_ARG_TYPE (an Error named after its code, "Received
  // number"): node's is a TypeError with a `code` and says what it received as node 20's
  // determineSpecificType does.
  [/[\\/]node_modules[\\/]path-unified[\\/]src[\\/]validators\.js$/, [
    ["  msg += `. Received ${typeof actual}`;\n",
     "  msg += `. Received ${determineSpecificType(actual)}`;\n"],
    ["class ERR_INVALID_ARG_TYPE extends Error {",
     [
       "function inspectPrimitive(value) {",
       "  if (typeof value === 'string') {",
       "    const quote = !value.includes(\"'\") ? \"'\" : !value.includes('\"') ? '\"' : !value.includes('`') && !value.includes('${') ? '`' : \"'\";",
       "    return quote + JSON.stringify(value).slice(1, -1).replace(/\\\\\"/g, '\"').split(quote).join('\\\\' + quote) + quote;",
       "  }",
       "  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);",
       "  if (typeof value === 'bigint') return `${value}n`;",
       "  return String(value);",
       "}",
       "function determineSpecificType(value) {",
       "  if (value == null) return '' + value;",
       "  if (typeof value === 'function') return `function ${value.name}`;",
       "  if (typeof value === 'object') {",
       "    if (value.constructor?.name) return `an instance of ${value.constructor.name}`;",
       "    return Object.getPrototypeOf(value) === null && Reflect.ownKeys(value).length === 0 ? '[Object: null prototype] {}' : '[Object: null prototype]';",
       "  }",
       "  let inspected = inspectPrimitive(value);",
       "  if (inspected.length > 28) inspected = `${inspected.slice(0, 25)}...`;",
       "  return `type ${typeof value} (${inspected})`;",
       "}",
       "class ERR_INVALID_ARG_TYPE extends TypeError {",
     ].join("\n")],
    ["    super(msg);\n    this.name = 'ERR_INVALID_ARG_TYPE';\n",
     "    super(msg);\n    this.code = 'ERR_INVALID_ARG_TYPE';\n    Object.defineProperty(this, 'name', { value: 'TypeError', writable: true, configurable: true });\n"
     + "    Object.defineProperty(this, 'toString', { value() { return `${this.name} [${this.code}]: ${this.message}`; }, writable: true, configurable: true });\n"],
  ]],
  [/[\\/]node_modules[\\/]buffer[\\/]index\.js$/, [
    ["      case 'base64':\n        return base64Slice(this, start, end)\n",
     "      case 'base64':\n        return base64Slice(this, start, end)\n\n      case 'base64url':\n        return base64Slice(this, start, end).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '')\n"],
    ["    case 'base64':\n    case 'ucs2':", "    case 'base64':\n    case 'base64url':\n    case 'ucs2':"],
    ["      case 'base64':\n        return base64ToBytes(string).length", "      case 'base64':\n      case 'base64url':\n        return base64ToBytes(string).length"],
    ["      case 'base64':\n        // Warning", "      case 'base64':\n      case 'base64url':\n        // Warning"],
    ["function utf8Slice (buf, start, end) {", UTF8_SLICE],
  ]],
  // node-inspect-extracted follows node 24: node 20 writes the byteLength of an ArrayBuffer, and
  // the fields of a DataView, as plain keys (`byteLength: 2`, not `[byteLength]: 2`), and a
  // symbol key in brackets (`{ [Symbol(k)]: 1 }`); and an
  // error's stack here (QuickJS's) lacks the "Name: message" line V8's starts with.
  // whatwg-url 17 follows the URL standard of 2025, node 20 (ada) an earlier one: node's value is
  // the sandbox's. An ASCII host with an xn-- label still goes through ToASCII (which refuses one
  // whose punycode is not valid), ...
  [/[\\/]node_modules[\\/]whatwg-url[\\/]lib[\\/]url-miscellaneous\.js$/, [
    ["  if (infra.isASCIIString(domain)) {\n", "  if (infra.isASCIIString(domain) && !domain.split(\".\").some((label) => /^xn--/i.test(label))) {\n"],
    // tr46 required when first used, not when whatwg-url is loaded
    ['const tr46 = require("tr46");\n', 'let tr46$;\nconst tr46 = { toASCII: (...args) => (tr46$ ??= require("tr46")).toASCII(...args) };\n'],
  ]],
  // ... and node 20's path percent-encode set has no ^ (its userinfo set has), and a space that
  // ends an opaque path before ? or # stays a space.
  [/[\\/]node_modules[\\/]whatwg-url[\\/]lib[\\/]percent-encoding\.js$/, [
    ['new Set([p("?"), p("`"), p("{"), p("}"), p("^")]);', 'new Set([p("?"), p("`"), p("{"), p("}")]);'],
    ['p("["), p("\\\\"), p("]"), p("|")]);', 'p("["), p("\\\\"), p("]"), p("^"), p("|")]);'],
  ]],
  [/[\\/]node_modules[\\/]whatwg-url[\\/]lib[\\/]url-state-machine\.js$/, [
    ['    if (remaining === p("?") || remaining === p("#")) {\n      this.url.path += "%20";\n    } else {\n      this.url.path += " ";\n    }\n',
     '    this.url.path += " ";\n'],
  ]],
  [/[\\/]node_modules[\\/]node-inspect-extracted[\\/]dist[\\/]inspect\.js$/, [
    ["return t.indentationLvl-=2,`${t.stylize(`[${r}]`,\"string\")}: ${i}`}", "return t.indentationLvl-=2,`${r}: ${i}`}"],
    ["return n+`{ [byteLength]: ${", "return n+`{ byteLength: ${"],
    // its URL is read when an object is inspected: the global one, if the run has it (a run
    // gets URL when its code names it)
    ["878(t){t.exports=URL}", "878(t){t.exports=function URL(...a){return new globalThis.URL(...a)};Object.defineProperty(t.exports,Symbol.hasInstance,{value:(v)=>typeof globalThis.URL===\"function\"&&v instanceof globalThis.URL})}"],
    ["const e=jt(On,ae(r),Un);s=t.stylize(e,\"symbol\")}", "const e=jt(On,ae(r),Un);s=`[${t.stylize(e,\"symbol\")}]`}"],
    ["if(n){if(\"string\"==typeof n)return n;", "if(n){if(\"string\"==typeof n)return n.startsWith(M(e))?n:`${M(e)}\\n${n.replace(/\\n$/,\"\")}`;"],
  ]],
];

function patched(path, source) {
  for (const [file, patches] of PATCHES) {
    if (!file.test(path)) continue;
    for (const [from, to] of patches) {
      if (source.split(from).length !== 2) throw new Error(`${path} changed: a patch does not apply at ${JSON.stringify(from.slice(0, 60))}`);
      source = source.replace(from, () => to);
    }
  }
  return source;
}

const plugin = {
  name: "jsolve-node",
  setup(build) {
    build.onResolve({ filter: EXTERNAL }, (args) => ({ path: args.path.replace(/^node:/, ""), external: true }));
    build.onResolve({ filter: /^@exodus\/bytes\/encoding\.js$/ }, () => ({ path: "legacy-encodings", namespace: "jsolve-empty" }));
    build.onLoad({ filter: /.*/, namespace: "jsolve-empty" }, () => ({ contents: "", loader: "js" }));
    build.onLoad({ filter: /[\\/]node_modules[\\/](buffer[\\/]index|node-inspect-extracted[\\/]dist[\\/]inspect|path-unified[\\/]src[\\/](validators|path)|whatwg-url[\\/]lib[\\/](url-miscellaneous|percent-encoding|url-state-machine))\.js$/ }, (args) => ({
      contents: patched(args.path, readFileSync(args.path, "utf8")),
      loader: "js",
    }));
  },
};

function packageJson(pkg) {
  return JSON.parse(readFileSync(join(MODULES, pkg, "package.json"), "utf8"));
}

function header(pkgs) {
  const names = pkgs.map((pkg) => `${pkg}@${packageJson(pkg).version}`).join(", ");
  return `/* Built by js/build.mjs from ${names} (licenses in node/LICENSES.txt). Do not edit. */`;
}

async function bundle(contents) {
  const result = await esbuild.build({
    stdin: { contents, resolveDir: HERE, loader: "js" },
    bundle: true,
    minify: true,
    format: "cjs",
    platform: "browser",
    keepNames: true,  // util.inspect and error messages name classes and functions as node does
    target: TARGET,
    legalComments: "none",
    charset: "utf8",
    write: false,
    metafile: true,
    plugins: [plugin],
    define: { global: "globalThis" },
  });
  const requires = [...new Set(Object.values(result.metafile.inputs).flatMap((input) => input.imports.filter((i) => i.external && !i.path.startsWith("<")).map((i) => i.path)))].sort();
  return { text: result.outputFiles[0].text, requires };
}

// Every package that went into a bundle: the bundle's own and what they depend on.
function inputPackages(pkgs) {
  const seen = new Set();
  const visit = (name) => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const dep of Object.keys(packageJson(name).dependencies ?? {})) visit(dep);
  };
  pkgs.forEach(visit);
  return [...seen].sort();
}

// Packages whose tarball has no license file: the license their package.json names, with the
// notice of the code they copy.
const UNSHIPPED_LICENSES = {
  "path-unified": [
    "path-unified's package.json says MIT. Its src/path.js is Node.js's lib/path.js (v21.5.0) as an",
    "ES module; Node.js's license for that file:",
    "",
    "Copyright Joyent, Inc. and other Node contributors.",
    "",
    "Permission is hereby granted, free of charge, to any person obtaining a copy of this software",
    "and associated documentation files (the \"Software\"), to deal in the Software without",
    "restriction, including without limitation the rights to use, copy, modify, merge, publish,",
    "distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the",
    "Software is furnished to do so, subject to the following conditions:",
    "",
    "The above copyright notice and this permission notice shall be included in all copies or",
    "substantial portions of the Software.",
    "",
    "THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING",
    "BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND",
    "NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,",
    "DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,",
    "OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.",
  ].join("\n"),
};

function licenses(pkgs) {
  return pkgs.map((pkg) => {
    const dir = join(MODULES, pkg);
    const file = readdirSync(dir).find((name) => /^licen[cs]e/i.test(name));
    const text = file ? readFileSync(join(dir, file), "utf8").trim() : UNSHIPPED_LICENSES[pkg];
    if (!text) throw new Error(`${pkg} ships no license file: add its license to UNSHIPPED_LICENSES`);
    return `${pkg}@${packageJson(pkg).version} (${packageJson(pkg).license})\n\n${text}\n`;
  }).join(`\n${"=".repeat(78)}\n\n`);
}

// The util module: a getter per export, each requiring the bundle that holds it on first read.
function utilEntry() {
  const from = { inspect: "util_inspect", format: "util_inspect", formatWithOptions: "util_inspect", stripVTControlCharacters: "util_inspect",
    isDeepStrictEqual: "util_compare" };
  for (const key of Object.keys(require("util/"))) from[key] ??= "util_base";
  const lines = Object.entries(from).map(([key, bundle]) => `  ${JSON.stringify(key)}: ${JSON.stringify(bundle)},`);
  return [
    "const from = {", ...lines, "};",
    "const exported = {};",
    "for (const [key, bundle] of Object.entries(from)) {",
    "  Object.defineProperty(exported, key, { enumerable: true, configurable: true, get: () => require(bundle)[key],",
    "    set: (value) => Object.defineProperty(exported, key, { value, writable: true, enumerable: true, configurable: true }) });",
    "}",
    "module.exports = exported;",
  ].join("\n");
}

export async function buildNode(out) {
  const modules = {};
  const all = new Set();
  for (const [name, { entry, pkgs }] of Object.entries(NODE_BUNDLES)) {
    const used = inputPackages(pkgs);
    used.forEach((pkg) => all.add(pkg));
    const { text, requires } = await bundle(entry ?? utilEntry());
    // A factory expression, compiled by the worker as `const factory = <this>`.
    out.write(`node/${name}.js`, `${header(used)}\nfunction (module, exports, require, process) {\n${text}}\n`);
    modules[name] = { requires: entry === null ? ["util_base", "util_compare", "util_inspect"] : requires };  // util's are required by name
  }
  const pkgs = [...all].sort();
  out.write("node/LICENSES.txt", licenses(pkgs));
  const packages = Object.fromEntries(pkgs.map((pkg) => [pkg, packageJson(pkg).version]));
  out.write("node/packages.json", `${JSON.stringify({ packages, modules }, null, 2)}\n`);
}
