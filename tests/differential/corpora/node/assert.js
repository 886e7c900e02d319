// === passing asserts return undefined
import assert from "node:assert";
export default [assert(true), assert.ok(1), assert.equal(1, "1"), assert.deepStrictEqual({ a: [1] }, { a: [1] }), assert.notStrictEqual(1, 2)];
// === strictEqual message
import assert from "node:assert";
let e;
try { assert.strictEqual(1, 2); } catch (x) { e = [x.name, x.code, x.actual, x.expected, x.operator]; }
export default e;
// === custom message
import assert from "node:assert";
let m;
try { assert.equal(1, 2, "they differ"); } catch (x) { m = [x.message, x.generatedMessage]; }
export default m;
// === throws
import assert from "node:assert";
assert.throws(() => { throw new TypeError("bad"); }, TypeError);
assert.throws(() => { throw new Error("bad thing"); }, /bad/);
let m;
try { assert.throws(() => {}); } catch (x) { m = x.message; }
export default m;
// === rejects
import assert from "node:assert";
await assert.rejects(Promise.reject(new Error("x")), { message: "x" });
export default "ok";
// === strict mode
import assert from "node:assert/strict";
let m;
try { assert.equal(1, "1"); } catch (x) { m = x.code; }
export default m;
// === deepEqual loose and strict
import assert from "node:assert";
let strict = "passed";
assert.deepEqual({ a: 1 }, { a: "1" });
try { assert.deepStrictEqual({ a: 1 }, { a: "1" }); } catch (x) { strict = x.code; }
export default strict;
// === AssertionError class
import { AssertionError } from "node:assert";
const e = new AssertionError({ actual: 1, expected: 2, operator: "strictEqual", message: "m" });
export default [e.name, e.code, e.operator, e.actual, e.expected, e instanceof Error];
// === ok with falsy
import assert from "node:assert";
let m;
try { assert.ok(0, "zero"); } catch (x) { m = x.message; }
export default m;
// === fail
import assert from "node:assert";
let m;
try { assert.fail("nope"); } catch (x) { m = [x.message, x.code]; }
export default m;
// === match
import assert from "node:assert";
assert.match("abc", /b/);
let m;
try { assert.doesNotMatch("abc", /b/); } catch (x) { m = x.code; }
export default m;
