// Evaluated as a script in every fresh context before the guest's code. `cfg` is supplied by
// the worker. Defines console and timers, and the hooks the worker drives (globalThis.__jsolve).
(function (cfg) {
  "use strict";
  const g = globalThis;
  const logs = [];
  let logBytes = 0, cut = 0;
  const state = { done: false, value: undefined, error: undefined, timerError: undefined };

  function fmt(v, depth, seen) {
    switch (typeof v) {
      case "string": return depth ? JSON.stringify(v) : v;
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

  function emit(level, args) {
    if ((cfg.lines != null && logs.length >= cfg.lines) || (cfg.bytes != null && logBytes >= cfg.bytes)) { cut++; return; }
    let text = args.map((a) => fmt(a, 0, [])).join(" ");
    if (cfg.bytes != null && logBytes + text.length > cfg.bytes) { text = text.slice(0, cfg.bytes - logBytes); cut++; }
    logBytes += text.length;
    logs.push({ level, text });
  }
  const console = {};
  for (const level of ["log", "info", "warn", "error", "debug"]) console[level] = (...args) => emit(level, args);
  console.trace = console.debug; console.dir = console.log; console.table = console.log;
  console.assert = (ok, ...args) => { if (!ok) emit("error", ["Assertion failed" + (args.length ? ":" : ""), ...args]); };
  Object.defineProperty(g, "console", { value: console, writable: true, configurable: true });

  let timerSeq = 0;
  const timers = new Map();
  function addTimer(fn, ms, args, repeat) {
    if (typeof fn !== "function") throw new TypeError("the callback must be a function");
    const delay = Math.max(repeat ? 1 : 0, Number(ms) || 0);
    timers.set(++timerSeq, { due: Date.now() + delay, fn, args, every: repeat ? delay : null });
    return timerSeq;
  }
  g.setTimeout = (fn, ms, ...args) => addTimer(fn, ms, args, false);
  g.setInterval = (fn, ms, ...args) => addTimer(fn, ms, args, true);
  g.clearTimeout = g.clearInterval = (id) => { timers.delete(id); };

  const MAX_DEPTH = 1000;
  class OutputProblem { constructor(message) { this.message = message; } }
  const ident = /^[A-Za-z_$][\w$]*$/;
  function toPlain(root) {
    const bigints = [], ancestors = [], ancestorPaths = [], keys = [];
    let size = 0;
    const where = () => "$" + keys.map((k) => typeof k === "number" ? "[" + k + "]" : ident.test(k) ? "." + k : "[" + JSON.stringify(k) + "]").join("");
    const grow = (n) => { size += n; if (cfg.output != null && size > cfg.output) throw new OutputProblem("the value is larger than the output cap of " + cfg.output + " bytes (the cap was reached at " + where() + ")"); };
    function walk(v) {
      switch (typeof v) {
        case "string": grow(v.length + 2); return v;
        case "number": if (!Number.isFinite(v)) throw new OutputProblem(where() + " is " + v + ", which JSON cannot carry"); grow(8); return v;
        case "boolean": grow(5); return v;
        case "bigint": { const s = v.toString(); grow(s.length); bigints.push(keys.slice()); return s; }
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
          for (let i = 0; i < items.length; i++) { keys.push(i); const x = walk(items[i]); keys.pop(); out[i] = x === undefined ? null : x; grow(1); }
          return out;
        }
        const entries = v instanceof Map ? [...v].map(([k, x]) => [String(k), x]) : Object.keys(v).map((k) => [k, v[k]]);
        const out = {};
        grow(2);
        for (const [k, x] of entries) {
          keys.push(k); const y = walk(x); keys.pop();
          if (y !== undefined) { grow(k.length + 4); out[k] = y; }
        }
        return out;
      } finally { ancestors.pop(); ancestorPaths.pop(); }
    }
    return { value: walk(root), bigints };
  }

  const BOUNDARY = /^\s*at (eval \(native\)|jsolve_)/;
  function describe(e) {
    if (e instanceof OutputProblem) return { kind: "output", name: null, message: e.message, stack: null };
    if (e !== null && typeof e === "object" && "message" in e) {
      const lines = String(e.stack || "").split("\n");
      const end = lines.findIndex((l) => BOUNDARY.test(l));
      return { kind: e.jsolveKind || null, name: e.name === undefined ? null : String(e.name), message: String(e.message), stack: (end >= 0 ? lines.slice(0, end) : lines).join("\n").trimEnd() || null };
    }
    if (e === null) return { kind: null, name: null, message: "null", stack: null };  // how the engine reports running out of memory
    return { kind: null, name: null, message: "uncaught " + (typeof e === "string" ? JSON.stringify(e) : String(e)), stack: null };
  }

  const hooks = {
    module() { import("<input>").then((m) => { state.done = true; state.isModule = true; state.value = m; }, (e) => { state.done = true; state.error = e; }); },
    script: function jsolve_script(src) {
      let v;
      try { v = (0, eval)(src); } catch (e) {
        if (e instanceof SyntaxError && /^\s*at eval \(native\)/.test(String(e.stack).split("\n")[1] || "")) e.jsolveKind = "syntax";
        state.done = true; state.error = e; return;
      }
      Promise.resolve(v).then((x) => { state.done = true; state.value = x; }, (e) => { state.done = true; state.error = e; });
    },
    // -2: settled; -1: nothing left that could settle it; >= 0: ms until the next timer is due
    poll() {
      if (state.done || state.timerError !== undefined) return -2;
      if (timers.size === 0) return hooks.pending ? hooks.pending() : -1;
      let due = Infinity;
      for (const t of timers.values()) if (t.due < due) due = t.due;
      return Math.max(0, due - Date.now());
    },
    fire: function jsolve_fire() {
      const now = Date.now();
      const due = [...timers].filter(([, t]) => t.due <= now).sort((a, b) => a[1].due - b[1].due || a[0] - b[0]);
      for (const [id, t] of due) {
        if (!timers.has(id)) continue;
        if (t.every === null) timers.delete(id); else t.due = now + t.every;
        try { t.fn(...t.args); } catch (e) { state.timerError = e; return; }
      }
    },
    result() {
      const out = { logs, cut };
      try {
        if (state.timerError !== undefined) out.error = describe(state.timerError);
        else if (state.error !== undefined) out.error = describe(state.error);
        else {
          let v = state.value;
          if (state.isModule) {
            if (!("default" in v)) { out.error = { kind: "contract", name: null, message: "the module has no `export default`: end it with `export default <value>`", stack: null }; return JSON.stringify(out); }
            v = v.default;
          }
          if (typeof v === "function") out.error = { kind: "contract", name: null, message: "the default export is a function" + (v.name ? " (`" + v.name + "`)" : "") + " that was never called: export its result, e.g. `export default await " + (v.name || "main") + "()`", stack: null };
          else if (v === undefined) out.error = { kind: "output", name: null, message: "the default export is undefined: export the value itself (did a function forget to `return`?)", stack: null };
          else if (typeof v === "symbol") out.error = { kind: "output", name: null, message: "the default export is a Symbol, which JSON cannot carry", stack: null };
          else {
            let p;
            try { p = toPlain(v); } catch (e) {
              if (e instanceof RangeError) throw new OutputProblem("reading the value out overflowed the stack: it is nested too deeply, or a getter recurses");
              throw e;
            }
            out.value = JSON.stringify(p.value); out.bigints = p.bigints;
          }
        }
      } catch (e) { out.error = describe(e); }
      return JSON.stringify(out);
    },
  };
  Object.defineProperty(g, "__jsolve", { value: hooks });
})
