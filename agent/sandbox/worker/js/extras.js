// Compiled on first use by prelude.js: timers and describing a thrown error. Most runs use
// neither, and compiling costs more than running small code. `stringify` is the engine's
// JSON.stringify, captured before any guest code ran.
(cfg, state, OutputProblem, stringify) => {
  "use strict";
  let timerSeq = 0;
  const timers = new Map();
  // An error raised here points at the guest's call (`boundary` is setTimeout or setInterval),
  // not into this file, whose lines would read as the guest's.
  function add(fn, ms, args, repeat, boundary) {
    if (typeof fn !== "function") {
      const e = new TypeError((repeat ? "setInterval" : "setTimeout") + ": the callback must be a function, not " + typeof fn);
      Error.captureStackTrace(e, boundary);
      throw e;
    }
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
  // Texts are cut one past the cap the worker applies, so it can tell it cut them: an error
  // message of 40 MB would otherwise travel whole to the supervisor and into a repair prompt.
  const cap = (text) => cfg.error != null && text.length > cfg.error ? text.slice(0, cfg.error + 1) : text;
  function describe(e) {
    if (e instanceof OutputProblem) return { kind: "output", name: null, message: e.message, stack: null };
    if (e !== null && typeof e === "object" && "message" in e) {
      const lines = cap(String(e.stack || "")).split("\n");
      const end = lines.findIndex((l) => BOUNDARY.test(l));
      return { kind: e.jsolveKind || null, check: !!e.jsolveCheck, name: e.name === undefined ? null : cap(String(e.name)), message: cap(String(e.message)), stack: (end >= 0 ? lines.slice(0, end) : lines).join("\n").trimEnd() || null };
    }
    if (e === null) return { kind: null, name: null, message: "null", stack: null, null: true };  // also how the engine reports running out of memory
    return { kind: null, name: null, message: cap("uncaught " + (typeof e === "string" ? stringify(e) : String(e))), stack: null };
  }

  return { add, clear: (id) => { timers.delete(id); }, nextDue, fire: jsolve_fire, describe };
}
