// Compiled on first use by prelude.js: formatting a logged value that is not a primitive, and
// reading out a value that is not one (or is over the output cap) as JSON. `stringify` is the
// engine's JSON.stringify, captured before any guest code ran.
(cfg, OutputProblem, stringify) => {
  "use strict";
  function fmt(v, depth, seen) {
    switch (typeof v) {
      case "string": return depth ? stringify(v) : v;
      case "bigint": return v + "n";
      case "function": return "[Function " + (v.name || "anonymous") + "]";
      case "symbol": case "number": case "boolean": case "undefined": return String(v);
    }
    if (v === null) return "null";
    if (seen.includes(v)) return "[Circular]";
    if (depth > 3) return Array.isArray(v) ? "[Array]" : "[Object]";
    if (v instanceof Error) return v.name + ": " + v.message;
    if (v instanceof Date) return isNaN(v) ? "Invalid Date" : v.toISOString();
    seen.push(v);
    try {
      if (Array.isArray(v)) return "[ " + v.slice(0, 100).map((x) => fmt(x, depth + 1, seen)).join(", ") + (v.length > 100 ? ", ..." : "") + " ]";
      if (v instanceof Map) return "Map(" + v.size + ") " + fmt(Object.fromEntries([...v].slice(0, 100).map(([k, x]) => [String(k), x])), depth + 1, seen);
      if (v instanceof Set) return "Set(" + v.size + ") " + fmt([...v].slice(0, 100), depth + 1, seen);
      const keys = Object.keys(v).slice(0, 100);
      return "{ " + keys.map((k) => k + ": " + fmt(v[k], depth + 1, seen)).join(", ") + " }";
    } finally { seen.pop(); }
  }

  const MAX_DEPTH = 900;
  const ident = /^[A-Za-z_$][\w$]*$/;
  function toPlain(root) {
    const bigints = [], ancestors = [], ancestorPaths = [], keys = [];
    // pathSize: what the path to the current place costs in the list of BigInt paths, which
    // travels with the value and counts against the same cap (a deep value full of BigInts
    // would otherwise make a list many times the value's size).
    let size = 0, pathSize = 2;
    const cost = (k) => typeof k === "number" ? ("" + k).length + 1 : k.length + 3;
    const enter = (k) => { keys.push(k); pathSize += cost(k); };
    const leave = () => { pathSize -= cost(keys.pop()); };
    const where = () => "$" + keys.map((k) => typeof k === "number" ? "[" + k + "]" : ident.test(k) ? "." + k : "[" + stringify(k) + "]").join("");
    const grow = (n) => { size += n; if (cfg.output != null && size > cfg.output) throw new OutputProblem("the value is larger than the output cap of " + cfg.output + " bytes (the cap was reached at " + where() + ")"); };
    function walk(v) {
      switch (typeof v) {
        case "string": grow(v.length + 2); return v;
        case "number": if (!Number.isFinite(v)) throw new OutputProblem(where() + " is " + v + ", which JSON cannot carry"); grow(8); return v;
        case "boolean": grow(5); return v;
        case "bigint": { const s = v.toString(); grow(s.length + pathSize); bigints.push(keys.slice()); return s; }
        case "undefined": case "function": case "symbol": return undefined;
      }
      if (v === null) { grow(4); return null; }
      if (typeof v.toJSON === "function" && !(v instanceof Date)) { const j = v.toJSON(); if (j !== v) return walk(j); }
      const at = ancestors.indexOf(v);
      if (at >= 0) throw new OutputProblem("the value has a cycle: " + where() + " refers back to " + ancestorPaths[at]);
      if (ancestors.length >= MAX_DEPTH) throw new OutputProblem(where() + " is nested more than " + MAX_DEPTH + " levels deep");
      if (v instanceof Promise) throw new OutputProblem(where() + " is a Promise: await it before exporting");
      if (v instanceof WeakMap || v instanceof WeakSet) throw new OutputProblem(where() + " is a WeakMap or WeakSet, which cannot be read out");
      if (v instanceof Date) { if (isNaN(v)) throw new OutputProblem(where() + " is an invalid Date"); grow(26); return v.toISOString(); }
      if (v instanceof RegExp) return walk(String(v));
      if (v instanceof Error) return walk({ name: v.name, message: v.message });
      ancestors.push(v); ancestorPaths.push(where());
      try {
        let items = null;
        if (Array.isArray(v) || ArrayBuffer.isView(v)) items = v;
        else if (v instanceof ArrayBuffer) items = new Uint8Array(v);
        else if (v instanceof Set) items = [...v];
        else if (v instanceof Map && ![...v.keys()].every((k) => typeof k === "string" || typeof k === "number")) items = [...v];
        if (items !== null) {
          const out = new Array(items.length);
          grow(2);
          for (let i = 0; i < items.length; i++) { enter(i); const x = walk(items[i]); leave(); out[i] = x === undefined ? null : x; grow(1); }
          return out;
        }
        const entries = v instanceof Map ? [...v].map(([k, x]) => [String(k), x]) : Object.keys(v).map((k) => [k, v[k]]);
        const out = {};
        grow(2);
        for (const [k, x] of entries) {
          enter(k); const y = walk(x); leave();
          if (y !== undefined) { grow(k.length + 4); out[k] = y; }
        }
        return out;
      } finally { ancestors.pop(); ancestorPaths.pop(); }
    }
    return { value: walk(root), bigints };
  }

  // The value as JSON text when plain JSON.stringify reads it exactly as toPlain would;
  // undefined when anything needs toPlain (BigInt, NaN, Map, cycles, the output cap...).
  const SPECIAL = {};
  let depths = null;
  function plain(k, v) {
    const original = this[k];
    if (typeof v === "object" && v !== null) {  // nesting past toPlain's limit: let it say where
      const depth = (depths.get(this) || 0) + 1;
      if (depth > MAX_DEPTH) throw SPECIAL;
      depths.set(v, depth);
    }
    if (original !== v) {  // toJSON() replaced it: only a valid Date's ISO string is read alike
      if (!(original instanceof Date) || isNaN(original)) throw SPECIAL;
    } else if (typeof v === "object" && v !== null) {
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null && !Array.isArray(v)) throw SPECIAL;  // Map, Set, boxed, class instances...
    } else if (typeof v === "bigint" || (typeof v === "number" && !Number.isFinite(v))) throw SPECIAL;
    return v;
  }
  function plainJson(v) {
    try {
      depths = new WeakMap();
      const text = stringify(v, plain);
      if (cfg.output == null || text.length <= cfg.output) return text;
    } catch (e) {
      if (e !== SPECIAL && !(e instanceof TypeError) && !(e instanceof RangeError)) throw e;  // else: a cycle, or too deep
    }
    return undefined;
  }

  const contract = (message) => ({ error: { kind: "contract", name: null, message, stack: null } });
  const output = (message) => ({ error: { kind: "output", name: null, message, stack: null } });
  // The run's value read out: { value: JSON text, bigints: [paths] } or { error }. `v` is the
  // module's namespace when `isModule`.
  function read(v, isModule) {
    if (isModule) {
      if (!("default" in v)) return contract("the module has no `export default`: end it with `export default <value>`");
      v = v.default;
    }
    if (typeof v === "function") return contract("the default export is a function" + (v.name ? " (`" + v.name + "`)" : "") + " that was never called: export its result, e.g. `export default await " + (v.name || "main") + "()`");
    if (v === undefined) return output("the default export is undefined: export the value itself (did a function forget to `return`?)");
    if (typeof v === "symbol") return output("the default export is a Symbol, which JSON cannot carry");
    try {
      const text = plainJson(v);
      if (text !== undefined) return { value: text, bigints: [] };
      const p = toPlain(v);
      const value = stringify(p.value);
      // The cap, exactly, on what travels: the JSON text and the list of BigInt paths.
      if (cfg.output != null && value.length + (p.bigints.length ? stringify(p.bigints).length : 0) > cfg.output) {
        throw new OutputProblem("the value is larger than the output cap of " + cfg.output + " bytes (with the places of its BigInts)");
      }
      return { value, bigints: p.bigints };
    } catch (e) {
      if (e instanceof RangeError) throw new OutputProblem("reading the value out overflowed the stack: it is nested too deeply, or a getter recurses");
      throw e;
    }
  }

  return { fmt, read };
}
