// Put before the code under test when a benchmark's tests grade it: it captures, before that code
// runs, everything the tests use, so code that replaces console.assert, Object.is, JSON.stringify,
// a prototype's method or toJSON cannot make wrong answers pass. The tests call
// `__jsolve_grade.console.assert` and the like in place of the globals (graded_module in suite.py).
const __jsolve_grade = (() => {
  "use strict";
  const apply = Reflect.apply, keys = Object.keys, isArray = Array.isArray, is = Object.is, freeze = Object.freeze;
  const hasOwn = Object.prototype.hasOwnProperty, charCodeAt = String.prototype.charCodeAt, getPrototypeOf = Object.getPrototypeOf;
  const ErrorType = Error, MapType = Map, SetType = Set, fromMap = Map.prototype.entries, fromSet = Set.prototype.values;
  const mapSize = Object.getOwnPropertyDescriptor(Map.prototype, "size").get, setSize = Object.getOwnPropertyDescriptor(Set.prototype, "size").get;
  const mapNext = getPrototypeOf(new Map().entries()).next, setNext = getPrototypeOf(new Set().values()).next;
  const isMap = (v) => { try { apply(mapSize, v, []); return true; } catch { return false; } };
  const isSet = (v) => { try { apply(setSize, v, []); return true; } catch { return false; } };
  const list = (iterator, next) => {
    const out = [];
    for (let step = apply(next, iterator, []); !step.done; step = apply(next, iterator, [])) out[out.length] = step.value;
    return out;
  };
  const names = Object.getOwnPropertyNames(Math), math = {};
  for (let i = 0; i < names.length; i++) math[names[i]] = Math[names[i]];
  freeze(math);
  const HEX = "0123456789abcdef";

  function quote(s) {
    let out = '"';
    for (let i = 0; i < s.length; i++) {
      const c = apply(charCodeAt, s, [i]);
      if (c === 34) out += '\\"';
      else if (c === 92) out += "\\\\";
      else if (c < 32) out += c === 10 ? "\\n" : c === 13 ? "\\r" : c === 9 ? "\\t" : c === 8 ? "\\b" : c === 12 ? "\\f" : "\\u00" + HEX[c >> 4] + HEX[c & 15];
      else out += s[i];
    }
    return out + '"';
  }

  // JSON.stringify's output for plain data, reading only own properties and calling no method of
  // the value (no toJSON, no getters of a prototype the code may have changed).
  function stringify(v, depth = 0) {
    if (depth > 200) throw new ErrorType("the value is nested too deeply to compare");
    switch (typeof v) {
      case "string": return quote(v);
      case "number": return v === v && v !== Infinity && v !== -Infinity ? `${v}` : "null";
      case "boolean": return v ? "true" : "false";
      case "undefined": case "function": case "symbol": return undefined;
      case "bigint": throw new ErrorType("a BigInt cannot be written as JSON");
    }
    if (v === null) return "null";
    if (isArray(v)) {
      let out = "[";
      for (let i = 0; i < v.length; i++) { const x = stringify(v[i], depth + 1); out += (i ? "," : "") + (x === undefined ? "null" : x); }
      return out + "]";
    }
    if (isMap(v) || isSet(v)) return "{}";
    let out = "{", first = true;
    const own = keys(v);
    for (let i = 0; i < own.length; i++) {
      const k = own[i], x = stringify(v[k], depth + 1);
      if (x !== undefined) { out += (first ? "" : ",") + quote(k) + ":" + x; first = false; }
    }
    return out + "}";
  }

  // lodash's isEqual as far as the benchmarks use it: plain data, Maps and Sets.
  function isEqual(a, b, depth = 0) {
    if (is(a, b) || a === b) return true;
    if (typeof a !== "object" || typeof b !== "object" || a === null || b === null || depth > 200) return false;
    if (isArray(a) !== isArray(b)) return false;
    if (isMap(a) || isMap(b)) return isMap(a) && isMap(b) && isEqual(list(apply(fromMap, a, []), mapNext), list(apply(fromMap, b, []), mapNext), depth + 1);
    if (isSet(a) || isSet(b)) return isSet(a) && isSet(b) && isEqual(list(apply(fromSet, a, []), setNext), list(apply(fromSet, b, []), setNext), depth + 1);
    if (!isArray(a) && getPrototypeOf(a) !== getPrototypeOf(b)) return false;
    const ka = keys(a), kb = keys(b);
    if (ka.length !== kb.length) return false;
    for (let i = 0; i < ka.length; i++) {
      if (!apply(hasOwn, b, [ka[i]]) || !isEqual(a[ka[i]], b[ka[i]], depth + 1)) return false;
    }
    return true;
  }

  const assert = (ok, ...what) => {
    if (!ok) throw new ErrorType("assertion failed" + (what.length ? ": " + what.join(" ") : ""));
  };
  return freeze({
    console: freeze({ assert, log() {}, error() {}, warn() {}, info() {} }),
    JSON: freeze({ stringify: (v) => stringify(v), parse: JSON.parse }),
    lodash: freeze({ isEqual: (a, b) => isEqual(a, b) }),
    Math: math,
  });
})();
