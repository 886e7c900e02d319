// Compiled on first use by prelude.js: timers, describing a thrown error, the caller's check.
// Most runs use none of these, and compiling costs more than running small code.
(cfg, state, OutputProblem) => {
  "use strict";
  let timerSeq = 0;
  const timers = new Map();
  function add(fn, ms, args, repeat) {
    if (typeof fn !== "function") throw new TypeError("the callback must be a function");
    const delay = Math.max(repeat ? 1 : 0, Number(ms) || 0);
    timers.set(++timerSeq, { due: Date.now() + delay, fn, args, every: repeat ? delay : null });
    return timerSeq;
  }
  // ms until the next timer is due, or -1 when none is pending
  function nextDue() {
    if (timers.size === 0) return -1;
    let due = Infinity;
    for (const t of timers.values()) if (t.due < due) due = t.due;
    return Math.max(0, due - Date.now());
  }
  function jsolve_fire() {
    const now = Date.now();
    const due = [...timers].filter(([, t]) => t.due <= now).sort((a, b) => a[1].due - b[1].due || a[0] - b[0]);
    for (const [id, t] of due) {
      if (!timers.has(id)) continue;
      if (t.every === null) timers.delete(id); else t.due = now + t.every;
      try { t.fn(...t.args); } catch (e) { state.timerError = e; return; }
    }
  }

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

  // Runs the caller's check, an async function body that receives the default export as `value`
  // (a function is allowed here); what it returns becomes the run's value.
  function check(src, v) {
    state.done = false; state.isModule = false; state.value = undefined;
    const fail = (e) => { if (e !== null && typeof e === "object") try { e.jsolveCheck = true; } catch (_) {} return e; };
    let run;
    try { run = (0, eval)("(async function jsolve_check(value) {\n" + src + "\n})"); } catch (e) { state.done = true; state.error = fail(e); return; }
    run(v).then((x) => { state.done = true; state.value = x; }, (e) => { state.done = true; state.error = fail(e); });
  }

  return { add, clear: (id) => { timers.delete(id); }, nextDue, fire: jsolve_fire, describe, check };
}
