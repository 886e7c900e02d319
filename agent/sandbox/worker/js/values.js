// Compiled on first use by prelude.js: formatting a logged value that is not a primitive, and
// reading out a value that is not one (or is over the output cap) as JSON. `I` holds the
// built-ins the prelude took before any guest code ran: this file may be compiled after the
// code replaced any of its globals, and a value is read after the code (or, in a check, the
// function under test) could change any built-in. So reading a value uses only those, knows
// a Map, Set, Date, RegExp or buffer by its internal slots (not instanceof, which the code can
// answer with a Symbol.hasInstance), and builds what it writes out of objects and arrays
// without a prototype. What it still calls of the value's own is JSON's: its getters, and a
// toJSON of the value's own class.
(cfg, OutputProblem, I) => {
  "use strict";
  const { stringify, apply, keys, isArray, isFinite, isView, protoOf, setProto, create, hasOwn, isPrototypeOf } = I;
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
  const list = () => setProto([], null);
  const inherits = (proto, v) => apply(isPrototypeOf, proto, [v]);
  const branded = (slot, v) => { try { apply(slot, v, []); return true; } catch (_) { return false; } };
  const timeOf = (v) => { try { return apply(I.getTime, v, []); } catch (_) { return undefined; } };  // undefined: not a Date
  // The items of a Map's or Set's iterator, read with the iterator's own next.
  const drain = (iterator, next) => { const out = list(); for (let s = apply(next, iterator, []); !s.done; s = apply(next, iterator, [])) out[out.length] = s.value; return out; };
  // Where a toJSON comes from: one on a built-in prototype (Object.prototype, Array.prototype...)
  // is the code's change to a built-in, which would make every value of that kind anything.
  function addedToBuiltin(v) {
    for (let o = v, hops = 0; o !== null && hops < MAX_DEPTH; o = protoOf(o), hops++) {
      if (!apply(hasOwn, o, ["toJSON"])) continue;
      for (let i = 0; i < I.builtins.length; i++) if (I.builtins[i] === o) return true;
      return false;
    }
    return false;
  }
  function toPlain(root) {
    const bigints = list(), ancestors = list(), ancestorPaths = list(), path = list();
    // pathSize: what the path to the current place costs in the list of BigInt paths, which
    // travels with the value and counts against the same cap (a deep value full of BigInts
    // would otherwise make a list many times the value's size).
    let size = 0, pathSize = 2;
    const cost = (k) => typeof k === "number" ? ("" + k).length + 1 : k.length + 3;
    const enter = (k) => { path[path.length] = k; pathSize += cost(k); };
    const leave = () => { pathSize -= cost(path[path.length - 1]); path.length = path.length - 1; };
    const where = () => {
      let text = "$";
      for (let i = 0; i < path.length; i++) {
        const k = path[i];
        text += typeof k === "number" ? "[" + k + "]" : apply(I.exec, ident, [k]) !== null ? "." + k : "[" + stringify(k) + "]";
      }
      return text;
    };
    const grow = (n) => { size += n; if (cfg.output != null && size > cfg.output) throw new OutputProblem("the value is larger than the output cap of " + cfg.output + " bytes (the cap was reached at " + where() + ")"); };
    function walk(v) {
      switch (typeof v) {
        case "string": grow(v.length + 2); return v;
        case "number": if (!isFinite(v)) throw new OutputProblem(where() + " is " + v + ", which JSON cannot carry"); grow(8); return v;
        case "boolean": grow(5); return v;
        case "bigint": {
          const s = "" + v, at = list();
          grow(s.length + pathSize);
          for (let i = 0; i < path.length; i++) at[i] = path[i];
          bigints[bigints.length] = at;
          return s;
        }
        case "undefined": case "function": case "symbol": return undefined;
      }
      if (v === null) { grow(4); return null; }
      const time = timeOf(v);
      if (time === undefined) {
        const toJSON = v.toJSON;
        if (typeof toJSON === "function") {
          if (addedToBuiltin(v)) throw new OutputProblem(where() + " would be read through a toJSON the code put on a built-in prototype: leave the built-ins as they are, and give the value's own class a toJSON instead");
          const j = apply(toJSON, v, []);
          if (j !== v) return walk(j);
        }
      }
      for (let i = 0; i < ancestors.length; i++) {
        if (ancestors[i] === v) throw new OutputProblem("the value has a cycle: " + where() + " refers back to " + ancestorPaths[i]);
      }
      if (ancestors.length >= MAX_DEPTH) throw new OutputProblem(where() + " is nested more than " + MAX_DEPTH + " levels deep");
      if (inherits(I.promiseProto, v)) throw new OutputProblem(where() + " is a Promise: await it before exporting");
      if (inherits(I.weakMapProto, v) || inherits(I.weakSetProto, v)) throw new OutputProblem(where() + " is a WeakMap or WeakSet, which cannot be read out");
      if (time !== undefined) { if (time !== time) throw new OutputProblem(where() + " is an invalid Date"); grow(26); return apply(I.toISOString, v, []); }
      if (branded(I.source, v) && v !== I.regexpProto) return walk("/" + apply(I.source, v, []) + "/" + apply(I.flags, v, []));
      if (inherits(I.errorProto, v)) return walk({ __proto__: null, name: v.name, message: v.message });
      ancestors[ancestors.length] = v; ancestorPaths[ancestorPaths.length] = where();
      try {
        let items = null, entries = null;
        if (isArray(v)) items = v;
        else if (isView(v)) items = branded(I.typedLength, v) ? v : list();  // a DataView has no items
        else if (branded(I.bufferSize, v)) items = new I.Bytes(v);
        else if (branded(I.setSize, v)) items = drain(apply(I.setValues, v, []), I.setNext);
        else if (branded(I.mapSize, v)) {
          entries = drain(apply(I.mapEntries, v, []), I.mapNext);
          for (let i = 0; i < entries.length; i++) {
            const k = entries[i][0];
            if (typeof k !== "string" && typeof k !== "number") { items = entries; break; }
          }
        }
        if (items !== null) {
          const n = isArray(items) ? items.length : apply(I.typedLength, items, []), out = list();
          grow(2);
          for (let i = 0; i < n; i++) { enter(i); const x = walk(items[i]); leave(); out[i] = x === undefined ? null : x; grow(1); }
          return out;
        }
        if (entries === null) {
          const names = keys(v);
          entries = list();
          for (let i = 0; i < names.length; i++) entries[i] = [names[i], v[names[i]]];
        }
        const out = create(null);
        grow(2);
        for (let i = 0; i < entries.length; i++) {
          const k = "" + entries[i][0], x = entries[i][1];
          enter(k); const y = walk(x); leave();
          if (y !== undefined) { grow(k.length + 4); out[k] = y; }
        }
        return out;
      } finally { ancestors.length = ancestors.length - 1; ancestorPaths.length = ancestorPaths.length - 1; }
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
      const depth = (apply(I.weakGet, depths, [this]) || 0) + 1;
      if (depth > MAX_DEPTH) throw SPECIAL;
      apply(I.weakSet, depths, [v, depth]);
    }
    if (original !== v) {  // toJSON() replaced it: only a valid Date's ISO string is read alike
      let iso;
      try { iso = apply(I.toISOString, original, []); } catch (_) { throw SPECIAL; }  // not a Date, or an invalid one
      if (iso !== v) throw SPECIAL;
    } else if (typeof v === "object" && v !== null) {
      const proto = protoOf(v);
      if (proto !== I.objectProto && proto !== null && !isArray(v)) throw SPECIAL;  // Map, Set, boxed, class instances...
    } else if (typeof v === "bigint" || (typeof v === "number" && !isFinite(v))) throw SPECIAL;
    return v;
  }
  function plainJson(v) {
    try {
      depths = new I.WeakMap();
      const text = stringify(v, plain);
      if (typeof text === "string" && (cfg.output == null || text.length <= cfg.output)) return text;
    } catch (_) {}  // SPECIAL, a cycle, too deep, or a getter that throws: toPlain says which
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
      if (inherits(I.rangeErrorProto, e)) throw new OutputProblem("reading the value out overflowed the stack: it is nested too deeply, or a getter recurses");
      throw e;
    }
  }

  return { fmt, read };
}
