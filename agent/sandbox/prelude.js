// Evaluated as a script in every fresh context before the guest's code. `cfg` is supplied by
// the worker. Defines console and timers, and the hooks the worker drives (globalThis.__jsolve).
(function (cfg, valuesSource) {
  "use strict";
  const g = globalThis;
  class OutputProblem { constructor(message) { this.message = message; } }
  // values.js (formatting for console, reading the value out) is compiled only when a run
  // needs it: most runs log strings and export primitives, and parsing costs more than running.
  let values = null;
  const lib = () => values || (values = (0, eval)(valuesSource)(cfg, OutputProblem));
  const fmt = (v, depth, seen) => typeof v === "string" && !depth ? v : lib().fmt(v, depth, seen);
  const toPlain = (v) => v === null || (typeof v === "string" && (cfg.output == null || v.length + 2 <= cfg.output)) || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v)) ? { value: v, bigints: [] } : lib().toPlain(v);
  const logs = [];
  let logBytes = 0, cut = 0;
  const state = { done: false, value: undefined, error: undefined, timerError: undefined };

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

  const BOUNDARY = /^\s*at (eval \(native\)|jsolve_)/;
  function describe(e) {
    if (e instanceof OutputProblem) return { kind: "output", name: null, message: e.message, stack: null };
    if (e !== null && typeof e === "object" && "message" in e) {
      const lines = String(e.stack || "").split("\n");
      const end = lines.findIndex((l) => BOUNDARY.test(l));
      return { kind: e.jsolveKind || null, check: !!e.jsolveCheck, name: e.name === undefined ? null : String(e.name), message: String(e.message), stack: (end >= 0 ? lines.slice(0, end) : lines).join("\n").trimEnd() || null };
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
    // Runs the caller's check, an async function body that receives the default export as `value`
    // (a function is allowed here); what it returns becomes the run's value.
    check(src) {
      if (state.error !== undefined || state.timerError !== undefined) return;
      let v = state.value;
      if (state.isModule) {
        if (!("default" in v)) return;
        v = v.default;
      }
      state.done = false; state.isModule = false; state.value = undefined;
      const fail = (e) => { if (e !== null && typeof e === "object") try { e.jsolveCheck = true; } catch (_) {} return e; };
      let run;
      try { run = (0, eval)("(async function jsolve_check(value) {\n" + src + "\n})"); } catch (e) { state.done = true; state.error = fail(e); return; }
      run(v).then((x) => { state.done = true; state.value = x; }, (e) => { state.done = true; state.error = fail(e); });
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
