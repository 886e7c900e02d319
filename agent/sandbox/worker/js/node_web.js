// The web globals node has and the engine lacks: structuredClone, EventTarget and Event (and
// CustomEvent), AbortController and AbortSignal (AbortSignal.timeout on the sandbox's timers, so
// within the run's deadline). The worker makes globals of the ones the code names.
function (module) {
  "use strict";
  const g = globalThis;
  const defineOwn = (o, k, v) => Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
  const domError = (message, name) => new DOMException(message, name);
  const at = (e, boundary) => { if (e instanceof Error) Error.captureStackTrace(e, boundary); return e; };

  // structuredClone: node's (V8's) serializer, by value. Own enumerable string keys only (a
  // "__proto__" key stays an own property, never a prototype), prototypes dropped, cycles kept.
  const ERRORS = { __proto__: null, Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };
  const tag = (v) => Object.prototype.toString.call(v).slice(8, -1);
  const DISPATCH = Symbol("dispatch"), DONE = Symbol("done");
  function structuredClone(value, options) {
    if (arguments.length === 0) throw new TypeError("The \"value\" argument must be specified");
    if (options !== undefined && options !== null && options.transfer !== undefined && options.transfer.length) {
      throw domError("structuredClone: transferring is not available in the sandbox", "DataCloneError");
    }
    const seen = new Map();
    const clone = (v) => {
      if (typeof v === "function" || typeof v === "symbol") throw domError(`${String(v)} could not be cloned.`, "DataCloneError");
      if (v === null || typeof v !== "object") return v;
      if (seen.has(v)) return seen.get(v);
      const tagName = tag(v);
      let out;
      switch (tagName) {
        case "Date": out = new Date(v.getTime()); seen.set(v, out); return out;
        case "RegExp": out = new RegExp(v.source, v.flags); seen.set(v, out); return out;
        case "Boolean": case "Number": case "String": case "BigInt": out = Object(v.valueOf()); seen.set(v, out); return out;
        case "ArrayBuffer": out = v.slice(0); seen.set(v, out); return out;
        case "Map": out = new Map(); seen.set(v, out); for (const [k, x] of v) out.set(clone(k), clone(x)); return out;
        case "Set": out = new Set(); seen.set(v, out); for (const x of v) out.add(clone(x)); return out;
        case "Error": {
          const ctor = ERRORS[v.name] || Error;
          out = new ctor(String(v.message));
          seen.set(v, out);
          if (typeof v.stack === "string") out.stack = v.stack;
          if ("cause" in v) out.cause = clone(v.cause);
          return out;
        }
        default:
      }
      if (ArrayBuffer.isView(v)) {
        const buffer = clone(v.buffer);
        out = tagName === "DataView" ? new DataView(buffer, v.byteOffset, v.byteLength) : new v.constructor(buffer, v.byteOffset, v.length);
        seen.set(v, out);
        return out;
      }
      if (tagName === "WeakMap" || tagName === "WeakSet" || tagName === "Promise" || tagName === "WeakRef") {
        throw domError(`#<${tagName}> could not be cloned.`, "DataCloneError");
      }
      out = Array.isArray(v) ? new Array(v.length) : {};
      seen.set(v, out);
      for (const key of Object.keys(v)) defineOwn(out, key, clone(v[key]));
      return out;
    };
    return clone(value);
  }

  // Every field private, as node's: an event has no own property (JSON.stringify gives {}).
  class Event {
    #type; #cancelable; #bubbles; #canceled = false; #stopped = false; #time = performance.now(); #target = null; #current = null;
    constructor(type, init = {}) {
      if (arguments.length === 0) throw new TypeError('The "type" argument must be specified');
      this.#type = String(type);
      this.#cancelable = Boolean(init && init.cancelable);
      this.#bubbles = Boolean(init && init.bubbles);
    }
    get target() { return this.#target; }
    get currentTarget() { return this.#current; }
    get srcElement() { return this.#target; }
    [DISPATCH](target) { this.#target = this.#current = target; }
    [DONE]() { this.#current = null; }
    get type() { return this.#type; }
    get cancelable() { return this.#cancelable; }
    get bubbles() { return this.#bubbles; }
    get defaultPrevented() { return this.#canceled; }
    get timeStamp() { return this.#time; }
    get isTrusted() { return false; }
    get eventPhase() { return this.#current ? 2 : 0; }
    preventDefault() { if (this.#cancelable) this.#canceled = true; }
    stopPropagation() {}
    stopImmediatePropagation() { this.#stopped = true; }
    get [Symbol.for("jsolve.stopped")]() { return this.#stopped; }
    composedPath() { return this.#current ? [this.#current] : []; }
  }
  class CustomEvent extends Event {
    #detail;
    constructor(type, init = {}) { super(type, init); this.#detail = init && init.detail !== undefined ? init.detail : null; }
    get detail() { return this.#detail; }
  }
  const STOPPED = Symbol.for("jsolve.stopped");

  class EventTarget {
    #listeners = new Map();
    addEventListener(type, listener, options) {
      if (listener === null || listener === undefined) return;
      const once = Boolean(options && typeof options === "object" && options.once);
      const capture = typeof options === "boolean" ? options : Boolean(options && options.capture);
      const signal = options && typeof options === "object" ? options.signal : undefined;
      if (signal && signal.aborted) return;
      const list = this.#listeners.get(type) || [];
      if (list.some((l) => l.listener === listener && l.capture === capture)) return;
      const entry = { listener, once, capture, removed: false };
      list.push(entry);
      this.#listeners.set(type, list);
      if (signal) signal.addEventListener("abort", () => this.removeEventListener(type, listener, options), { once: true });
    }
    removeEventListener(type, listener, options) {
      const capture = typeof options === "boolean" ? options : Boolean(options && options.capture);
      const list = this.#listeners.get(type);
      if (!list) return;
      const at = list.findIndex((l) => l.listener === listener && l.capture === capture);
      if (at >= 0) { list[at].removed = true; list.splice(at, 1); }
    }
    dispatchEvent(event) {
      if (!(event instanceof Event)) throw new TypeError('The "event" argument must be an instance of Event. Received ' + typeof event);
      event[DISPATCH](this);
      const handler = this["on" + event.type];
      const list = [...(this.#listeners.get(event.type) || [])];
      for (const entry of list) {
        if (entry.removed) continue;
        if (entry.once) this.removeEventListener(event.type, entry.listener, entry.capture);
        call(entry.listener, this, event);
        if (event[STOPPED]) break;
      }
      if (typeof handler === "function" && !event[STOPPED] && !list.some((l) => l.listener === handler)) call(handler, this, event);
      event[DONE]();
      return !event.defaultPrevented;
    }
  }
  // A listener's error is the run's, as an uncaught exception is node's: thrown after this job.
  function call(listener, target, event) {
    try {
      if (typeof listener === "function") listener.call(target, event);
      else if (listener && typeof listener.handleEvent === "function") listener.handleEvent(event);
    } catch (e) {
      g.setTimeout(() => { throw e; }, 0);
    }
  }

  class AbortSignal extends EventTarget {
    #aborted = false; #reason = undefined; #onabort = null;
    constructor(key) {
      super();
      if (key !== PRIVATE) throw new TypeError("Illegal constructor");
    }
    get onabort() { return this.#onabort; }
    set onabort(handler) { this.#onabort = typeof handler === "function" ? handler : null; }
    get aborted() { return this.#aborted; }
    get reason() { return this.#reason; }
    throwIfAborted() { if (this.#aborted) throw this.#reason; }
    static abort(reason) {
      const s = new AbortSignal(PRIVATE);
      s[ABORT](reason === undefined ? at(domError("This operation was aborted", "AbortError"), AbortSignal.abort) : reason);
      return s;
    }
    // The reason is made now, so that its stack is the code's call (where a run's error points).
    static timeout(ms) {
      const s = new AbortSignal(PRIVATE), reason = at(domError("The operation was aborted due to timeout", "TimeoutError"), AbortSignal.timeout);
      g.setTimeout(() => s[ABORT](reason), ms);
      return s;
    }
    static any(signals) {
      const s = new AbortSignal(PRIVATE);
      for (const one of signals) {
        if (one.aborted) { s[ABORT](one.reason); return s; }
      }
      for (const one of signals) one.addEventListener("abort", () => { if (!s.aborted) s[ABORT](one.reason); }, { once: true });
      return s;
    }
    [Symbol.for("jsolve.abort")](reason) {
      if (this.#aborted) return;
      this.#aborted = true;
      this.#reason = reason === undefined ? domError("This operation was aborted", "AbortError") : reason;
      this.dispatchEvent(new Event("abort"));
    }
  }
  const ABORT = Symbol.for("jsolve.abort");
  const PRIVATE = Symbol("AbortSignal");
  class AbortController {
    #signal = new AbortSignal(PRIVATE);
    get signal() { return this.#signal; }
    abort(reason) { this.#signal[ABORT](reason === undefined ? at(domError("This operation was aborted", "AbortError"), AbortController.prototype.abort) : reason); }
  }

  module.exports = { structuredClone, Event, CustomEvent, EventTarget, AbortSignal, AbortController };
}
