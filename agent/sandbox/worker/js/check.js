// Compiled by prelude.js only for a run with a check (the caller's JS that judges the value).
// `evaluate` is the engine's eval, captured before any guest code ran.
(state, evaluate) => {
  "use strict";
  // A check of a function runs in the code's own context, after the code could change any
  // built-in. guard(), called before the code runs, keeps the built-ins' own properties and
  // prototypes; restore() puts them back before the check starts, and the check's names for
  // them are bound to the kept ones, so neither replaced methods nor the code's own global
  // bindings of the same names reach it. The check's source is compiled with the kept eval and
  // never handed to anything the code can reach; its console is silent, so it cannot leak
  // into the run's logs. A function under test still runs during the check: what it changes
  // while it is being called reaches the rest of the check, but not the check's value once it
  // is made (after() puts the built-ins back again before the value is read, with built-ins the
  // prelude took before any code ran), and nothing in the function's stack names the check.
  const NAMES = ["Object", "Function", "Array", "Number", "String", "Boolean", "Symbol", "BigInt", "Math", "JSON", "Reflect",
    "Promise", "Map", "Set", "WeakMap", "WeakSet", "Date", "RegExp", "Error", "TypeError", "RangeError", "SyntaxError",
    "ReferenceError", "Proxy", "ArrayBuffer", "Uint8Array", "isNaN", "isFinite", "parseInt", "parseFloat",
    "URL", "URLSearchParams", "TextEncoder", "TextDecoder"];
  // Added properties removed from every kept object: protocols a value's comparison goes through.
  const PROTOCOL = new Set(["then", "toJSON", "valueOf", "toString", "constructor", Symbol.toPrimitive, Symbol.iterator,
    Symbol.asyncIterator, Symbol.hasInstance, Symbol.toStringTag, Symbol.species, Symbol.isConcatSpreadable]);
  let kept = null;
  function guard() {
    if (kept) return;
    const g = globalThis, { getOwnPropertyDescriptor: own, defineProperty: define, getPrototypeOf: protoOf, setPrototypeOf: setProto, is, create } = Object;
    const ownKeys = Reflect.ownKeys, Str = String, ErrorType = Error;
    const present = NAMES.filter((name) => name in g);
    const targets = [Object.prototype, g, ...present.map((n) => g[n]).filter((x) => x !== null && (typeof x === "object" || typeof x === "function"))];
    for (const t of [...targets]) if (typeof t === "function" && t.prototype && t.prototype !== Object.prototype) targets.push(t.prototype);
    const typed = protoOf(Uint8Array);
    targets.push(typed, typed.prototype, protoOf([][Symbol.iterator]()), protoOf(protoOf([][Symbol.iterator]())),
      protoOf(new Map()[Symbol.iterator]()), protoOf(new Set()[Symbol.iterator]()), protoOf(""[Symbol.iterator]()),
      protoOf(async function () {}), protoOf(function* () {}));
    const protocol = create(null);
    for (const key of PROTOCOL) protocol[key] = true;
    // Plain arrays and null-prototype lookups, walked by index: restore() runs after the code,
    // when iterators, Map and Set may be the code's.
    const snapshots = targets.map((t) => {
      const keys = [], descriptors = [], known = create(null);
      for (const key of ownKeys(t)) {
        if (t === g && !present.includes(key)) continue;
        keys.push(key); descriptors.push(own(t, key)); known[key] = true;
      }
      return { t, proto: protoOf(t), keys, descriptors, known };
    });
    // Read directly: a descriptor's missing fields are looked up on Object.prototype, whose added
    // properties restore() has removed by the time it compares.
    const same = (a, b) => a !== undefined && is(a.value, b.value) && a.get === b.get && a.set === b.set &&
      a.writable === b.writable && a.enumerable === b.enumerable && a.configurable === b.configurable;
    const objectProto = Object.prototype;
    kept = {
      names: present, values: present.map((n) => g[n]), then: Promise.prototype.then, apply: Reflect.apply, ErrorType,
      restore() {
        const stuck = setProto([], null);  // no prototype: an index setter on Array.prototype would swallow a note
        const note = (key) => { stuck[stuck.length] = Str(key); };
        for (let i = 0; i < snapshots.length; i++) {  // Object.prototype first: descriptors read through it
          const snap = snapshots[i], t = snap.t;
          if (t !== g) {
            const now = ownKeys(t);
            for (let j = 0; j < now.length; j++) {
              const key = now[j];
              if (snap.known[key] || (t !== objectProto && !protocol[key])) continue;
              try { if (!delete t[key]) note(key); } catch (_) { note(key); }
            }
          }
          try { if (protoOf(t) !== snap.proto) setProto(t, snap.proto); } catch (_) { note("the prototype of a built-in"); }
          for (let j = 0; j < snap.keys.length; j++) {
            const key = snap.keys[j], d = snap.descriptors[j];
            if (same(own(t, key), d)) continue;
            try { define(t, key, d); } catch (_) { note(key); }
          }
        }
        return stuck;
      },
    };
  }
  const quiet = {};
  for (const level of ["log", "info", "warn", "error", "debug", "trace", "dir", "table", "assert"]) quiet[level] = () => {};
  let checked = false, called = false;
  const fail = (e) => { if (e !== null && typeof e === "object") try { e.jsolveCheck = true; } catch (_) {} return e; };
  // What restore() could not put back, named once each, at most five.
  function listed(stuck) {
    let text = "", n = 0;
    for (let i = 0; i < stuck.length && n < 5; i++) {
      let again = false;
      for (let j = 0; j < i; j++) if (stuck[j] === stuck[i]) again = true;
      if (!again) text += (n++ ? ", " : "") + stuck[i];
    }
    return text;
  }
  // Runs the caller's check, an async function body that receives the default export as `value`;
  // what it returns becomes the run's value.
  // `then` and `apply` are the kept ones: a function under test that replaces
  // Promise.prototype.then while the check calls it cannot turn the check's rejection into success.
  // The check is an async function without a name that awaits before anything else, and its
  // lines are numbered past the code's `lines`: the function under test, called from it, finds
  // in its stack no name of the check's or of the sandbox's, and the worker tells the check's
  // lines from the code's when it reports an error.
  function start(src, v, names, values, then, apply, lines) {
    state.done = false; state.isModule = false; state.value = undefined;
    let run;
    try {
      run = evaluate("\n".repeat(lines) + "\"use strict\"; (function (" + names.join(", ") + ", console) { return async function (value) { await undefined;\n" + src + "\n}; })")(...values, quiet);
    } catch (e) { state.done = true; state.error = fail(e); return; }
    apply(then, run(v), [(x) => { state.done = true; state.value = x; }, (e) => { state.done = true; state.error = fail(e); }]);
  }
  // How the check must run: "function" here (a function cannot leave this context), "value" in a
  // fresh context given the value as JSON, or "skip" (the code failed).
  function mode() {
    if (!state.done || state.error !== undefined || state.timerError !== undefined) return "skip";
    if (state.isModule && !("default" in state.value)) return "skip";
    return typeof (state.isModule ? state.value.default : state.value) === "function" ? "function" : "value";
  }
  // The check of a function, in the code's context (see guard).
  function check(src, lines) {
    if (checked || mode() !== "function") return;
    const v = state.isModule ? state.value.default : state.value;
    checked = true;
    if (!kept) { state.done = true; state.error = fail(new Error("the sandbox did not keep the built-ins for this check")); return; }
    const stuck = kept.restore();
    if (stuck.length) {
      state.done = true;
      state.error = fail(new kept.ErrorType("the code changed built-ins the check uses in a way that cannot be undone (" + listed(stuck) + "): leave them as they are"));
      return;
    }
    called = true;
    start(src, v, kept.names, kept.values, kept.then, kept.apply, lines);
  }
  // After the check of a function, before its value is read: the built-ins its function changed
  // while the check called it are put back. The error to report when some cannot be, else undefined.
  function after() {
    if (!called) return undefined;
    called = false;
    const stuck = kept.restore();
    if (!stuck.length) return undefined;
    return fail(new kept.ErrorType("the code changed built-ins while the check called it, in a way that cannot be undone (" + listed(stuck) + "): leave them as they are"));
  }
  // The check of any other value, in a fresh context no code ran in: the value arrives as JSON
  // text, with its BigInts (listed by path) made BigInts again.
  function checkValue(src, text, bigints, lines) {
    if (checked) return;
    checked = true;
    let v = JSON.parse(text);
    for (const path of bigints) {
      if (!path.length) { v = BigInt(v); continue; }
      let parent = v;
      for (let i = 0; i < path.length - 1; i++) parent = parent[path[i]];
      parent[path[path.length - 1]] = BigInt(parent[path[path.length - 1]]);
    }
    const names = NAMES.filter((name) => name in globalThis);
    start(src, v, names, names.map((n) => globalThis[n]), Promise.prototype.then, Reflect.apply, lines);
  }

  return { guard, mode, check, after, checkValue };
}
