// Compiled only for a run that has a network policy, or whose code names fetch. With a policy:
// fetch, Headers, Response, AbortController and AbortSignal; a request is queued here and performed by the supervisor (the
// worker has no network): hooks.outbox() hands the queue to the worker and hooks.deliver()
// settles a request with the supervisor's reply. Without one: a fetch that is a `policy` error.
(g, hooks, enabled) => {
  "use strict";
  // Captured before any guest code runs: the request list the worker reads, and the replies it
  // hands back, do not go through what the code may replace. (The worker checks every field
  // of every request all the same.)
  const stringify = JSON.stringify, parse = JSON.parse;
  // An error raised here points at the guest's call, not into this file.
  const at = (e, boundary) => { if (e instanceof Error) Error.captureStackTrace(e, boundary); return e; };

  if (!enabled) {
    const fetch = function fetch(input) {
      const e = new Error("the network is off for this run, so fetch(" + JSON.stringify(String(input && input.url || input)) + ") is not allowed");
      e.name = "PolicyError"; e.jsolveKind = "policy";
      return Promise.reject(at(e, fetch));
    };
    Object.defineProperty(g, "fetch", { value: fetch, writable: true, configurable: true });
    return;
  }

  const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
  // A header as fetch takes it: a token name, a value of bytes (code points up to 0xFF) without
  // NUL, CR or LF, surrounding whitespace removed.
  function header(name, value, boundary) {
    name = String(name);
    value = String(value).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "");
    if (!TOKEN.test(name)) throw at(new TypeError("Headers: " + JSON.stringify(name) + " is not a valid header name"), boundary);
    if (/[\0\r\n]|[^\0-\xff]/.test(value)) throw at(new TypeError("Headers: the value of " + name + " has a character a header cannot carry"), boundary);
    return [name.toLowerCase(), value];
  }

  class Headers {
    #map = new Map();
    constructor(init) {
      try {
        if (init instanceof Headers) init.forEach((v, k) => this.append(k, v));
        else if (init && typeof init === "object" && Symbol.iterator in init) for (const [k, v] of init) this.append(k, v);
        else if (init && typeof init === "object") for (const k of Object.keys(init)) this.append(k, init[k]);
      } catch (e) { throw at(e, Headers); }
    }
    append(name, value) {
      const [k, v] = header(name, value, Headers.prototype.append);
      this.#map.set(k, this.#map.has(k) ? this.#map.get(k) + ", " + v : v);
    }
    set(name, value) { const [k, v] = header(name, value, Headers.prototype.set); this.#map.set(k, v); }
    get(name) { const v = this.#map.get(String(name).toLowerCase()); return v === undefined ? null : v; }
    has(name) { return this.#map.has(String(name).toLowerCase()); }
    delete(name) { this.#map.delete(String(name).toLowerCase()); }
    forEach(fn, self) { for (const [k, v] of this.entries()) fn.call(self, v, k, this); }
    *entries() { yield* [...this.#map].sort((a, b) => (a[0] < b[0] ? -1 : 1)); }
    *keys() { for (const [k] of this.entries()) yield k; }
    *values() { for (const [, v] of this.entries()) yield v; }
    [Symbol.iterator]() { return this.entries(); }
    get [Symbol.toStringTag]() { return "Headers"; }
  }

  class Response {
    #body; #used = false;
    constructor(body = null, init = {}) {
      this.#body = body === null || body === undefined ? "" : String(body);
      this.status = init.status === undefined ? 200 : init.status;
      this.statusText = init.statusText || "";
      this.headers = init.headers instanceof Headers ? init.headers : new Headers(init.headers);
      this.url = init.url || "";
      this.redirected = !!init.redirected;
      this.type = "basic";
    }
    get ok() { return this.status >= 200 && this.status < 300; }
    get bodyUsed() { return this.#used; }
    #take(boundary) {
      if (this.#used) return Promise.reject(at(new TypeError("the body of this response was already read"), boundary));
      this.#used = true;
      return Promise.resolve(this.#body);
    }
    text() { return this.#take(Response.prototype.text); }
    json() {
      const site = at(new Error(), Response.prototype.json).stack;
      return this.#take(Response.prototype.json).then((text) => {
        try { return JSON.parse(text); } catch (e) {
          const problem = new SyntaxError("the response body is not JSON (" + e.message + "); it starts " + JSON.stringify(text.slice(0, 60)) + (text.length > 60 ? "..." : ""));
          problem.stack = site;
          throw problem;
        }
      });
    }
    clone() {
      if (this.#used) throw at(new TypeError("cannot clone a response whose body was read"), Response.prototype.clone);
      return new Response(this.#body, this);
    }
    get [Symbol.toStringTag]() { return "Response"; }
  }

  // Model-written code often gives fetch a timeout with an AbortController or AbortSignal.timeout().
  const aborted = (boundary) => at(new g.DOMException("This operation was aborted", "AbortError"), boundary);
  let fire;
  class AbortSignal {
    #listeners = new Set();
    aborted = false; reason = undefined; onabort = null;
    addEventListener(type, fn) { if (type === "abort" && typeof fn === "function") this.#listeners.add(fn); }
    removeEventListener(type, fn) { this.#listeners.delete(fn); }
    throwIfAborted() { if (this.aborted) throw this.reason; }
    static abort(reason) { const signal = new AbortSignal(); fire(signal, reason === undefined ? aborted(AbortSignal.abort) : reason); return signal; }
    static timeout(ms) {
      const signal = new AbortSignal(), reason = at(new g.DOMException("The operation timed out.", "TimeoutError"), AbortSignal.timeout);
      g.setTimeout(() => fire(signal, reason), ms);
      return signal;
    }
    static {
      fire = (signal, reason) => {
        if (signal.aborted) return;
        signal.aborted = true;
        signal.reason = reason;
        const event = { type: "abort", target: signal };
        if (typeof signal.onabort === "function") signal.onabort(event);
        for (const fn of signal.#listeners) fn.call(signal, event);
      };
    }
    get [Symbol.toStringTag]() { return "AbortSignal"; }
  }
  class AbortController {
    signal = new AbortSignal();
    abort(reason) { fire(this.signal, reason === undefined ? aborted(AbortController.prototype.abort) : reason); }
  }

  const queue = [];
  const waiting = new Map();
  let seq = 0;

  function fetch(input, init = {}) {
    try {
      const isRequest = input !== null && typeof input === "object" && !(input instanceof g.URL) && "url" in input;
      const url = String(isRequest ? input.url : input);
      const method = String(init.method || (isRequest && input.method) || "GET");
      if (!TOKEN.test(method) || /^(connect|trace|track)$/i.test(method)) throw new TypeError("fetch: " + JSON.stringify(method) + " is not a method fetch can send");
      const upper = /^(delete|get|head|options|post|put|patch)$/i.test(method) ? method.toUpperCase() : method;
      const headers = new Headers(init.headers || (isRequest ? input.headers : undefined));
      let body = init.body === undefined || init.body === null ? null : init.body;
      if (body instanceof g.URLSearchParams) {
        if (!headers.has("content-type")) headers.set("content-type", "application/x-www-form-urlencoded;charset=UTF-8");
        body = body.toString();
      } else if (body !== null && typeof body !== "string") {
        throw new TypeError("fetch: the body must be a string or URLSearchParams (use JSON.stringify for objects)");
      }
      if (body !== null && (upper === "GET" || upper === "HEAD")) throw new TypeError("fetch: a " + upper + " request cannot have a body");
      if (typeof body === "string" && !headers.has("content-type")) headers.set("content-type", "text/plain;charset=UTF-8");
      const signal = init.signal || (isRequest ? input.signal : undefined);
      if (signal && signal.aborted) return Promise.reject(signal.reason);
      const id = ++seq;
      queue.push({ id, url, method: upper, headers: [...headers], body });
      const site = at(new Error(), fetch).stack;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject, site });
        if (signal && typeof signal.addEventListener === "function") signal.addEventListener("abort", () => {
          if (!waiting.delete(id)) return;  // already settled; a reply that comes later is dropped
          const queued = queue.findIndex((q) => q.id === id);
          if (queued >= 0) queue.splice(queued, 1);
          reject(signal.reason);
        });
      });
    } catch (e) {
      return Promise.reject(at(e, fetch));
    }
  }

  // "!" (not JSON) when the list cannot be written at all: toJSON of the code's that recurses, say.
  hooks.outbox = () => {
    if (!queue.length) return "";
    let out;
    try { out = stringify(queue); } catch (_) { out = "!"; }
    queue.length = 0;
    return typeof out === "string" ? out : "!";
  };
  hooks.deliver = (text) => {
    const reply = parse(text);
    const entry = waiting.get(reply.id);
    if (!entry) return;
    waiting.delete(reply.id);
    if (reply.error) {
      const policy = reply.error.kind === "policy";
      const e = policy ? new Error(reply.error.message) : new TypeError(reply.error.message);
      if (policy) { e.name = "PolicyError"; e.jsolveKind = "policy"; }
      e.stack = entry.site;  // where the guest called fetch
      entry.reject(e);
    } else {
      try {
        entry.resolve(new Response(reply.body, { status: reply.status, statusText: reply.statusText, headers: reply.headers, url: reply.url, redirected: reply.redirected }));
      } catch (e) {  // a header the server sent that a Headers cannot hold
        const failed = new TypeError("fetch failed: " + reply.url + ": the response cannot be read (" + e.message + ")");
        failed.stack = entry.site;
        entry.reject(failed);
      }
    }
  };
  hooks.inFlight = () => waiting.size + queue.length;

  for (const [name, value] of [["fetch", fetch], ["Headers", Headers], ["Response", Response], ["AbortController", AbortController], ["AbortSignal", AbortSignal]]) {
    Object.defineProperty(g, name, { value, writable: true, configurable: true });
  }
}
