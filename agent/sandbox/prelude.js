// Evaluated as a script in every fresh context before the guest's code; `cfg` and the sources of
// the lazily compiled parts come from the worker. Defines console, the timer functions, and the
// hooks the worker drives (globalThis.__jsolve). Kept small: it is compiled on every run.
(function (cfg, valuesSource, extrasSource) {
  "use strict";
  const g = globalThis;
  class OutputProblem { constructor(message) { this.message = message; } }
  const state = { done: false, value: undefined, error: undefined, timerError: undefined };
  let values = null, extras = null;
  const lib = () => values || (values = (0, eval)(valuesSource)(cfg, OutputProblem));
  const ext = () => extras || (extras = (0, eval)(extrasSource)(cfg, state, OutputProblem));
  const fmt = (v, depth, seen) => typeof v === "string" && !depth ? v : lib().fmt(v, depth, seen);
  const logs = [];
  let logBytes = 0, cut = 0;

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
  g.setTimeout = (fn, ms, ...args) => ext().add(fn, ms, args, false);
  g.setInterval = (fn, ms, ...args) => ext().add(fn, ms, args, true);
  g.clearTimeout = g.clearInterval = (id) => { if (extras) extras.clear(id); };

  // The value as JSON text when plain JSON.stringify reads it exactly as values.js would;
  // undefined when anything needs values.js (BigInt, NaN, Map, cycles, the output cap...).
  const SPECIAL = {}, MAX_DEPTH = 900;
  let depths = null;
  function plain(k, v) {
    const original = this[k];
    if (typeof v === "object" && v !== null) {  // nesting past values.js's limit: let it say where
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
  function asJson(v) {
    try {
      depths = new WeakMap();
      const text = JSON.stringify(v, plain);
      if (cfg.output == null || text.length <= cfg.output) return text;
    } catch (e) {
      if (e !== SPECIAL && !(e instanceof TypeError) && !(e instanceof RangeError)) throw e;  // else: a cycle, or too deep
    }
    const p = lib().toPlain(v);
    return { text: JSON.stringify(p.value), bigints: p.bigints };
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
    check(src) {
      if (state.error !== undefined || state.timerError !== undefined) return;
      if (state.isModule && !("default" in state.value)) return;
      ext().check(src, state.isModule ? state.value.default : state.value);
    },
    // -2: settled; -1: no timer pending; >= 0: ms until the next timer is due
    poll() {
      if (state.done || state.timerError !== undefined) return -2;
      return extras ? extras.nextDue() : -1;
    },
    fire() { if (extras) extras.fire(); },
    result() {
      const out = { logs, cut };
      try {
        if (state.timerError !== undefined) out.error = ext().describe(state.timerError);
        else if (state.error !== undefined) out.error = ext().describe(state.error);
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
            let json;
            try { json = asJson(v); } catch (e) {
              if (e instanceof RangeError) throw new OutputProblem("reading the value out overflowed the stack: it is nested too deeply, or a getter recurses");
              throw e;
            }
            if (typeof json === "string") { out.value = json; out.bigints = []; } else { out.value = json.text; out.bigints = json.bigints; }
          }
        }
      } catch (e) { out.error = ext().describe(e); }
      return JSON.stringify(out);
    },
  };
  Object.defineProperty(g, "__jsolve", { value: hooks });
})
