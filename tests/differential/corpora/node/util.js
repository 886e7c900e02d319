// === format specifiers
import util from "node:util";
export default [util.format("%s %d %i %f %j %o %O %%", "s", 42.5, 42.5, "1.5", { a: 1 }, [1], { b: 2 }), util.format("%s", null, undefined, 3)];
// === format with fewer and extra arguments
import { format } from "node:util";
export default [format("%s-%s", "a"), format("a", "b", { c: 1 }), format(1, 2), format("%d", "x"), format("%c%s", "css", "t")];
// === format of objects
import { format } from "node:util";
export default format("%s", { a: [1, { b: 2 }] }, [1, 2], new Map([[1, 2]]));
// === inspect nested depth
import { inspect } from "node:util";
export default [inspect({ a: { b: { c: { d: 1 } } } }), inspect({ a: { b: { c: { d: 1 } } } }, { depth: 0 }), inspect({ a: { b: { c: {} } } }, { depth: null })];
// === inspect collections
import { inspect } from "node:util";
export default [inspect(new Map([["a", 1], ["b", { c: 2 }]])), inspect(new Set([1, "x"])), inspect([1, , 3]), inspect(new Array(5))];
// === inspect strings numbers and specials
import { inspect } from "node:util";
export default [inspect("it's"), inspect('a"b\'c'), inspect(-0), inspect(10n), inspect(Symbol("s")), inspect(null), inspect(undefined), inspect(NaN)];
// === inspect functions and classes
import { inspect } from "node:util";
class Foo { constructor() { this.x = 1; } }
export default [inspect(function named() {}), inspect(() => {}), inspect(Foo), inspect(new Foo()), inspect(async () => {})];
// === inspect dates and regexps
import { inspect } from "node:util";
export default [inspect(new Date(0)), inspect(/a+/gi), inspect(new Error("boom")).split("\n")[0]];
// === inspect long arrays
import { inspect } from "node:util";
export default [inspect(Array.from({ length: 120 }, (_, i) => i)), inspect("x".repeat(20000)).length];
// === inspect breakLength and compact
import { inspect } from "node:util";
const o = { alpha: "aaaaaaaaaa", beta: "bbbbbbbbbb", gamma: "cccccccccc", delta: "dddddddddd", epsilon: "eeeeeeeeee" };
export default [inspect(o), inspect(o, { compact: false }), inspect(o, { breakLength: Infinity })];
// === inspect circular
import { inspect } from "node:util";
const a = { name: "a" };
a.self = a;
export default inspect(a);
// === inspect custom
import { inspect } from "node:util";
const o = { [inspect.custom]() { return "CUSTOM"; } };
export default [inspect(o), inspect({ o })];
// === inspect typed arrays and buffers
import { inspect } from "node:util";
export default [inspect(new Uint8Array([1, 2])), inspect(Buffer.from("ab")), inspect(new ArrayBuffer(2))];
// === isDeepStrictEqual
import { isDeepStrictEqual } from "node:util";
export default [isDeepStrictEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }), isDeepStrictEqual([1], ["1"]), isDeepStrictEqual(new Map([[1, 2]]), new Map([[1, 2]])), isDeepStrictEqual(NaN, NaN), isDeepStrictEqual({}, [])];
// === promisify
import { promisify } from "node:util";
const f = (x, cb) => setTimeout(() => cb(null, x * 2), 1);
const g = (cb) => cb(new Error("bad"));
let m;
try { await promisify(g)(); } catch (e) { m = e.message; }
export default [await promisify(f)(21), m];
// === callbackify
import { callbackify } from "node:util";
const v = await new Promise((resolve) => callbackify(async (x) => x + 1)(1, (err, r) => resolve([err, r])));
export default v;
// === types
import { types } from "node:util";
export default [types.isDate(new Date()), types.isRegExp(/a/), types.isPromise(Promise.resolve()), types.isMap(new Map()), types.isTypedArray(new Uint8Array()), types.isAsyncFunction(async () => {}), types.isGeneratorFunction(function* () {})];
// === util/types module
import { isSet } from "node:util/types";
export default isSet(new Set());
// === inherits
import { inherits } from "node:util";
function A() {}
A.prototype.hi = () => "hi";
function B() {}
inherits(B, A);
export default [new B().hi(), B.super_ === A];
// === stripVTControlCharacters
import { stripVTControlCharacters } from "node:util";
export default stripVTControlCharacters("\u001b[31mred\u001b[39m");
// === inspect with sorted keys and getters
import { inspect } from "node:util";
export default [inspect({ b: 1, a: 2 }, { sorted: true }), inspect({ get x() { return 1; } }), inspect({ get x() { return 1; } }, { getters: true })];
// === inspect null prototype and symbols keys
import { inspect } from "node:util";
const o = Object.create(null);
o.a = 1;
export default [inspect(o), inspect({ [Symbol("k")]: 1 })];
