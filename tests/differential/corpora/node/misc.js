// === querystring parse and stringify
import qs from "node:querystring";
export default [qs.parse("a=1&b=2&a=3&c=&d"), qs.stringify({ x: [1, 2], y: "a b&c", z: "" }), qs.escape("a b/ü"), qs.unescape("a%20b")];
// === querystring custom separators
import { parse, stringify } from "querystring";
export default [parse("a:1;b:2", ";", ":"), stringify({ a: 1, b: 2 }, ";", ":")];
// === querystring plus and encoded
import { parse } from "node:querystring";
export default parse("q=a+b%2Bc&r=%E2%9C%93");
// === string_decoder split utf8
import { StringDecoder } from "node:string_decoder";
const d = new StringDecoder("utf8");
const euro = Buffer.from("€");
export default [d.write(euro.subarray(0, 1)), d.write(euro.subarray(1)), d.end()];
// === string_decoder hex and base64
import { StringDecoder } from "string_decoder";
export default [new StringDecoder("hex").write(Buffer.from("ab")), new StringDecoder("base64").end(Buffer.from("abcd"))];
// === url fileURLToPath and pathToFileURL
import { fileURLToPath, pathToFileURL } from "node:url";
export default [fileURLToPath("file:///tmp/a%20b.txt"), pathToFileURL("/tmp/a b#c.txt").href];
// === url URL class
import { URL } from "node:url";
const u = new URL("https://example.com:8080/p/a?x=1#h");
export default [u.host, u.pathname, u.searchParams.get("x"), u.hash];
// === timers promises
import { setTimeout as sleep } from "node:timers/promises";
const v = await sleep(5, "done");
export default v;
// === timers module
import { setTimeout as st, setImmediate } from "node:timers";
const order = [];
await new Promise((resolve) => { st(() => { order.push("timeout"); resolve(); }, 5); setImmediate(() => order.push("immediate")); });
export default order;
// === os constants
import os from "node:os";
export default [os.EOL, os.platform(), os.type(), os.endianness()];
// === process basics
export default [typeof process.env, process.platform, typeof process.nextTick, Array.isArray(process.argv), typeof process.version];
// === process nextTick order
const order = [];
process.nextTick(() => order.push("tick"));
Promise.resolve().then(() => order.push("promise"));
order.push("sync");
await new Promise((r) => setTimeout(r, 5));
export default order;
// === structuredClone deep copy
const src = { a: [1, { b: new Date(0) }], m: new Map([["k", new Set([1])]]) };
const c = structuredClone(src);
export default [c.a[1].b instanceof Date, c.a[1].b.getTime(), c.m.get("k").has(1), c !== src, c.a !== src.a];
// === structuredClone cycles
const a = { x: 1 };
a.self = a;
const c = structuredClone(a);
export default [c.self === c, c !== a];
// === structuredClone drops prototypes
class P { constructor() { this.v = 1; } get g() { return 2; } }
const c = structuredClone(new P());
export default [c instanceof P, c.v, c.g, Object.getPrototypeOf(c) === Object.prototype];
// === structuredClone refuses functions
let m;
try { structuredClone({ f() {} }); } catch (e) { m = e.name; }
export default m;
// === TextDecoder latin1
export default [new TextDecoder("latin1").decode(Uint8Array.of(0xe9, 0x41)), new TextDecoder("utf-16le").decode(Uint8Array.of(0x41, 0)), new TextDecoder("utf-16be").decode(Uint8Array.of(0, 0x41))];
// === TextDecoder fatal
let m;
try { new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.of(0xff)); } catch (e) { m = e.name; }
export default m;
// === TextDecoder encodings names
export default ["utf8", "latin1", "ascii", "utf-16", "UTF-16BE"].map((l) => new TextDecoder(l).encoding);
// === global is globalThis
export default global === globalThis;
// === CustomEvent detail
const t = new EventTarget();
let d;
t.addEventListener("c", (e) => { d = e.detail; });
t.dispatchEvent(new CustomEvent("c", { detail: { n: 1 } }));
export default d;
// === import of process module
import process from "node:process";
export default [process.platform, typeof process.cwd()];
