// Evaluated as a script in every fresh context, before the run's code arrives: console, the timer
// functions, and the hooks the worker drives (globalThis.__jsolve). It is compiled once per run,
// and compiling costs about 40 us per KB, more than a small program costs to run: so only what
// every run needs is here. The rest is compiled on first use, from the sources passed in:
// values.js (formatting a logged object, reading out a value that is not a primitive),
// extras.js (timers, errors) and check.js (the caller's check).
(valuesSource, extrasSource) => {
  "use strict";
  const g = globalThis;
  // Captured before any guest code runs: the sandbox compiles, reads values and reports with its own.
  const stringify = JSON.stringify, evaluate = g.eval, parse = JSON.parse, freeze = Object.freeze, define = Object.defineProperty;
  const keys = Object.keys, isArray = Array.isArray, protoOf = Object.getPrototypeOf, setProto = Object.setPrototypeOf;
  const apply = Reflect.apply, join = Array.prototype.join;
  const getter = (o, k) => Object.getOwnPropertyDescriptor(o, k).get;
  // What values.js reads a value with: it is compiled on first use, when the code may have
  // replaced any of these (or, during a check, the function under test may have).
  const intrinsics = freeze({
    __proto__: null, stringify, keys, isArray, protoOf, setProto, create: Object.create, apply,
    isFinite: Number.isFinite, isView: ArrayBuffer.isView, isPrototypeOf: Object.prototype.isPrototypeOf, hasOwn: Object.prototype.hasOwnProperty,
    Bytes: Uint8Array, WeakMap, weakGet: WeakMap.prototype.get, weakSet: WeakMap.prototype.set, exec: RegExp.prototype.exec,
    getTime: Date.prototype.getTime, toISOString: Date.prototype.toISOString, source: getter(RegExp.prototype, "source"), flags: getter(RegExp.prototype, "flags"),
    mapSize: getter(Map.prototype, "size"), mapEntries: Map.prototype.entries, mapNext: protoOf(new Map().entries()).next,
    setSize: getter(Set.prototype, "size"), setValues: Set.prototype.values, setNext: protoOf(new Set().values()).next,
    bufferSize: getter(ArrayBuffer.prototype, "byteLength"), typedLength: getter(protoOf(Uint8Array.prototype), "length"),
    errorProto: Error.prototype, rangeErrorProto: RangeError.prototype, promiseProto: Promise.prototype,
    weakMapProto: WeakMap.prototype, weakSetProto: WeakSet.prototype, objectProto: Object.prototype, regexpProto: RegExp.prototype,
    // a toJSON on one of these is the code's change to a built-in, not a value's own
    builtins: freeze([Object.prototype, Array.prototype, Function.prototype, Error.prototype, Map.prototype, Set.prototype,
      Promise.prototype, RegExp.prototype, String.prototype, Number.prototype, Boolean.prototype, Symbol.prototype,
      ArrayBuffer.prototype, protoOf(Uint8Array.prototype), WeakMap.prototype, WeakSet.prototype]),
  });
  // A function's callers as objects (V8's Error.prepareStackTrace, which this engine has too)
  // would hand the code the functions that call it, a check's among them: it stays unset.
  define(Error, "prepareStackTrace", { value: undefined, writable: false, enumerable: false, configurable: false });
  class OutputProblem { constructor(message) { this.message = message; } }
  const cfg = {};
  const state = { done: false, isModule: false, value: undefined, error: undefined, timerError: undefined };
  let values = null, extras = null, checks = null;
  const lib = () => values || (values = evaluate(valuesSource)(cfg, OutputProblem, intrinsics));
  const ext = () => extras || (extras = evaluate(extrasSource)(cfg, state, OutputProblem, stringify));
  // check.js arrives only with a run that has a check, set by the worker before the code runs.
  const chk = () => checks || (checks = evaluate(g.__jsolve_checks)(state, evaluate), delete g.__jsolve_checks, checks);
  const logs = setProto([], null);  // no prototype: an index setter the code puts on Array.prototype is not reached
  let logBytes = 0, cut = 0;

  function emit(level, args) {
    if ((cfg.lines != null && logs.length >= cfg.lines) || (cfg.bytes != null && logBytes >= cfg.bytes)) { cut++; return; }
    let text = args.map((a) => typeof a === "string" ? a : typeof a === "number" || typeof a === "boolean" ? String(a) : lib().fmt(a, 0, [])).join(" ");
    if (typeof text !== "string") text = "[a line the code's own built-ins made unreadable]";
    if (cfg.bytes != null && logBytes + text.length > cfg.bytes) { text = text.slice(0, cfg.bytes - logBytes); cut++; }
    logBytes += text.length;
    logs[logs.length] = { level, text };
  }
  const console = {};
  for (const level of ["log", "info", "warn", "error", "debug"]) console[level] = (...args) => emit(level, args);
  console.trace = console.debug; console.dir = console.log; console.table = console.log;
  console.assert = (ok, ...args) => { if (!ok) emit("error", ["Assertion failed" + (args.length ? ":" : ""), ...args]); };
  Object.defineProperty(g, "console", { value: console, writable: true, configurable: true });
  g.setTimeout = function setTimeout(fn, ms, ...args) { return ext().add(fn, ms, args, false, setTimeout); };
  g.setInterval = function setInterval(fn, ms, ...args) { return ext().add(fn, ms, args, true, setInterval); };
  g.clearTimeout = g.clearInterval = (id) => { if (extras) extras.clear(id); };

  const settle = (key, x) => { state.done = true; state[key] = x; };
  // The hooks stay reachable from the code: a run starts once, so the code cannot restart it.
  let begun = false;
  const begin = () => { if (begun) throw new TypeError("__jsolve is the sandbox's, not the code's"); begun = true; };
  const hooks = {
    // Called once by the worker, right before the run's code: then the code can neither lift
    // its own caps nor replace the hooks that read its result.
    configure(c) { Object.assign(cfg, c); delete hooks.configure; Object.freeze(hooks); },
    module() {
      begin();
      import("<input>").then((m) => {
        state.isModule = true;
        // A default export that is a promise (`export default main()` of an async main) is awaited.
        if ("default" in m && m.default instanceof Promise) m.default.then((x) => settle("value", { default: x }), (e) => settle("error", e));
        else settle("value", m);
      }, (e) => settle("error", e));
    },
    script: function jsolve_script(src) {
      begin();
      let v;
      try { v = evaluate(src); } catch (e) {
        if (e instanceof SyntaxError && /^\s*at eval \(native\)/.test(String(e.stack).split("\n")[1] || "")) e.jsolveKind = "syntax";
        return settle("error", e);
      }
      Promise.resolve(v).then((x) => settle("value", x), (e) => settle("error", e));
    },
    // An input of the caller, before the code runs: parsed with the sandbox's own JSON.parse
    // (a "__proto__" key is an own property like any other), every object and array frozen, and
    // bound to a global that can be neither assigned nor redefined.
    input(name, text) {
      if (begun) throw new TypeError("__jsolve is the sandbox's, not the code's");
      const v = parse(text, (k, x) => (typeof x === "object" && x !== null ? freeze(x) : x));
      define(g, name, { value: v, enumerable: true, writable: false, configurable: false });
    },
    // The caller's check (check.js); `token` is the worker's, so the code cannot start one.
    // `lines`: the code's, which the check's lines are numbered past.
    guard() { if (!begun) chk().guard(); },
    checkMode() { return chk().mode(); },
    check(src, token, lines) { if (token === cfg.token) chk().check(src, lines); },
    checkValue(src, text, bigints, lines) { begin(); chk().checkValue(src, text, bigints, lines); },
    // -2: settled; -1: no timer pending; >= 0: ms until the next timer is due
    poll() { return state.done || state.timerError !== undefined ? -2 : extras ? extras.nextDue() : -1; },
    fire() { if (extras) extras.fire(); },
    // What the worker reads out: the logs, and the value as JSON text or the error. A check of
    // a function first puts back the built-ins its function changed while it was called.
    result() {
      let read;
      try {
        const undone = checks ? checks.after() : undefined;  // an error when they could not all be put back
        const failed = undone !== undefined ? undone : state.timerError !== undefined ? state.timerError : state.error;
        if (failed !== undefined) read = { error: ext().describe(failed) };
        else {
          const v = state.isModule ? state.value.default : state.value;
          if (v === null || typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && intrinsics.isFinite(v))) {
            read = { value: stringify(v), bigints: [] };
            if (cfg.output != null && read.value.length > cfg.output) read = lib().read(v, false);
          } else read = lib().read(state.value, state.isModule);
        }
      } catch (e) { read = { error: ext().describe(e) }; }
      const report = { __proto__: null, logs, cut }, fields = keys(read), parts = setProto([], null);
      for (let i = 0; i < fields.length; i++) report[fields[i]] = read[fields[i]];
      write(report, 0, parts);
      return apply(join, parts, [""]);  // one flat string: the worker cannot read a string the engine keeps in pieces
    },
  };
  // The report as JSON text (in `parts`), written here rather than by JSON.stringify of the
  // report: the report's objects and arrays are the sandbox's, but a toJSON or getter the code
  // put on a built-in prototype would reach them there. Only own properties are read, and the
  // engine's stringify sees nothing but strings, numbers and booleans. REPORT_DEPTH: the report
  // nests three levels (the paths of BigInts); anything deeper is not the sandbox's.
  const REPORT_DEPTH = 4;
  function write(v, depth, parts) {
    const put = (text) => { parts[parts.length] = text; };
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return put(stringify(v));
    if (v === null || typeof v !== "object" || depth > REPORT_DEPTH) return put("null");
    if (isArray(v)) {
      put("[");
      for (let i = 0; i < v.length; i++) { if (i) put(","); write(v[i], depth + 1, parts); }
      return put("]");
    }
    const names = keys(v);
    put("{");
    for (let i = 0, first = true; i < names.length; i++) {
      const x = v[names[i]];
      if (x === undefined) continue;
      put((first ? "" : ",") + stringify(names[i]) + ":");
      first = false;
      write(x, depth + 1, parts);
    }
    put("}");
  }
  Object.defineProperty(g, "__jsolve", { value: hooks });
}
