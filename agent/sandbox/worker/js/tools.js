// Compiled only for a run that has tools: the frozen global `tools`, one async function per tool
// of the caller. A call is queued here and run by the supervisor, in the caller's process (the
// worker only relays it): hooks.toolOutbox() hands the queue to the worker, hooks.toolDeliver()
// settles calls with the supervisor's answers, hooks.toolsInFlight() counts the calls not settled.
// `config`: the run's tool names and the limits this side applies before a call leaves (the
// supervisor applies them again, in bytes).
(g, hooks, config) => {
  "use strict";
  // Captured before any guest code runs: arguments are written, the queue handed over and the
  // answers read with the sandbox's own built-ins, never with what the code may replace.
  const stringify = JSON.stringify, parse = JSON.parse, freeze = Object.freeze, keys = Object.keys, isArray = Array.isArray;
  const protoOf = Object.getPrototypeOf, setProto = Object.setPrototypeOf, create = Object.create, define = Object.defineProperty;
  const isFinite = Number.isFinite, apply = Reflect.apply, toISOString = Date.prototype.toISOString, dateProto = Date.prototype;
  const objectProto = Object.prototype, capture = Error.captureStackTrace, Promise_ = Promise, join = Array.prototype.join;
  const names = config.names, maxCalls = config.maxCalls, maxBytes = config.maxBytes, maxTotal = config.maxTotal;
  const MAX_DEPTH = 200;  // nesting of one call's arguments: far past real data, well within what the supervisor's JSON reader takes

  const queue = setProto([], null);  // no prototype: an index setter the code puts on Array.prototype is not reached
  const waiting = create(null);       // id -> { resolve, reject, site, name }
  let seq = 0, out = 0, calls = 0, sent = 0;

  class Refused { constructor(message) { this.message = message; } }
  function kindOf(v) {
    if (v === null) return "null";
    if (isArray(v)) return "an array";
    const t = typeof v;
    if (t === "object") { const p = protoOf(v); const c = p && p.constructor; return "a " + (typeof c === "function" && typeof c.name === "string" && c.name ? c.name : "object"); }
    return t === "bigint" ? "a BigInt" : t === "symbol" ? "a Symbol" : t === "function" ? "a function" : "undefined";
  }
  // The arguments as JSON text, written here: only strings, finite numbers, booleans, null, arrays,
  // plain objects (own enumerable keys) and Dates (as their ISO text) are JSON; anything else is
  // refused with the path to it. A `toJSON` the code defines is not called.
  function write(v, path, depth, seen) {
    switch (typeof v) {
      case "string": return stringify(v);
      case "boolean": return v ? "true" : "false";
      case "number":
        if (!isFinite(v)) throw new Refused(path + ": " + String(v) + " is not JSON (a tool takes JSON: finite numbers)");
        return stringify(v);
      case "object": break;
      default: throw new Refused(path + ": " + kindOf(v) + " is not JSON" + (typeof v === "bigint" ? " (pass it as a string, or as a Number)" : ""));
    }
    if (v === null) return "null";
    if (depth > MAX_DEPTH) throw new Refused(path + ": the arguments nest more than " + MAX_DEPTH + " levels deep");
    for (let i = 0; i < seen.length; i++) if (seen[i] === v) throw new Refused(path + ": the arguments hold a cycle (this object holds itself), which JSON cannot");
    seen[seen.length] = v;
    let text;
    if (isArray(v)) {
      text = "[";
      for (let i = 0, n = v.length; i < n; i++) {
        const x = v[i];
        text += (i ? "," : "") + (x === undefined ? "null" : write(x, path + "[" + i + "]", depth + 1, seen));
      }
      text += "]";
    } else {
      const proto = protoOf(v);
      if (proto === dateProto) text = stringify(apply(toISOString, v, []));
      else if (proto !== objectProto && proto !== null) throw new Refused(path + ": " + kindOf(v) + " is not JSON (pass a plain object or an array)");
      else {
        const fields = keys(v);
        text = "{";
        for (let i = 0, first = true; i < fields.length; i++) {
          const k = fields[i], x = v[k];
          if (x === undefined) continue;
          text += (first ? "" : ",") + stringify(k) + ":" + write(x, path + (/^[A-Za-z_$][\w$]*$/.test(k) ? "." + k : "[" + stringify(k) + "]"), depth + 1, seen);
          first = false;
        }
        text += "}";
      }
    }
    seen.length--;
    return text;
  }

  function policy(message) { const e = new Error(message); e.name = "PolicyError"; e.jsolveKind = "policy"; return e; }

  function tool(name) {
    const fn = { [name](args) {
      let text;
      try {
        if (args === undefined) text = "{}";
        else if (args === null || typeof args !== "object" || isArray(args)) {
          throw new Refused("args: expected one object of named arguments, as in " + name + "({ ... }), got " + kindOf(args));
        } else text = write(args, "args", 0, setProto([], null));
        if (maxBytes != null && text.length > maxBytes) throw policy(name + ": the arguments take " + text.length + " characters as JSON, over the limit of " + maxBytes + " bytes per call (Limits.max_tool_bytes)");
        if (maxCalls != null && calls >= maxCalls) throw policy(name + ": the run made more tool calls than the limit of " + maxCalls + " (Limits.max_tool_calls): call fewer times, e.g. ask for more per call");
        if (maxTotal != null && sent + text.length > maxTotal) throw policy(name + ": the run's tool calls passed more than the limit of " + maxTotal + " bytes of arguments and results (Limits.max_tool_total_bytes)");
      } catch (e) {
        const problem = e instanceof Refused ? new TypeError(name + "(args): " + e.message) : e;
        if (problem instanceof Error) capture(problem, fn);
        return new Promise_((_, reject) => reject(problem));
      }
      calls++; sent += text.length;
      const id = ++seq, site = new Error();
      capture(site, fn);
      queue[queue.length] = { id, name, args: text };
      out++;
      return new Promise_((resolve, reject) => { waiting[id] = { resolve, reject, site: site.stack }; });
    } }[name];
    return fn;
  }

  const namespace = create(null);
  for (let i = 0; i < names.length; i++) define(namespace, names[i], { value: tool(names[i]), enumerable: true });
  define(g, "tools", { value: freeze(namespace), enumerable: false, writable: false, configurable: false });

  // The queue as JSON text, `[[id, name, arguments as JSON text], ...]`, written by hand: a
  // toJSON the code puts on a prototype cannot reach it.
  hooks.toolOutbox = () => {
    if (!queue.length) return "";
    const parts = setProto([], null);
    for (let i = 0; i < queue.length; i++) {
      const q = queue[i];
      parts[i] = "[" + q.id + "," + stringify(q.name) + "," + stringify(q.args) + "]";
    }
    queue.length = 0;
    // One flat string: the worker cannot read a string the engine keeps in pieces (a long
    // concatenation), which killed the worker for arguments past a few hundred bytes.
    const whole = setProto(["[", apply(join, parts, [","]), "]"], null);
    return apply(join, whole, [""]);
  };
  // Answers: `[[id, 1, result], [id, 0, why, message], ...]`, parsed with every object and array
  // frozen. `why`: invalid and unknown (a TypeError, as a bad call to a function), raised (a
  // ToolError, which uncaught fails the run as `tool`), policy (a limit), timeout (the call overran).
  const freezing = (k, x) => (typeof x === "object" && x !== null ? freeze(x) : x);
  hooks.toolDeliver = (text) => {
    const answers = parse(text, freezing);
    for (let i = 0; i < answers.length; i++) {
      const a = answers[i], entry = waiting[a[0]];
      if (!entry) continue;
      delete waiting[a[0]];
      out--;
      if (a[1] === 1) { entry.resolve(a[2]); continue; }
      const why = a[2];
      let e;
      if (why === "raised") { e = new Error(a[3]); e.name = "ToolError"; e.jsolveKind = "tool"; }
      else if (why === "policy") e = policy(a[3]);
      else if (why === "timeout") { e = new Error(a[3]); e.name = "TimeoutError"; e.jsolveKind = "timeout"; }
      else e = new TypeError(a[3]);
      e.stack = entry.site;  // where the guest called the tool
      entry.reject(e);
    }
  };
  hooks.toolsInFlight = () => out + queue.length;
}
