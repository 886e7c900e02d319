// Compiled only when the run has a network policy: fetch, Headers and Response. A request is
// queued here and performed by the supervisor (the worker has no network); hooks.outbox() hands
// the queue to the worker and hooks.deliver() settles a request with the supervisor's reply.
(function (g, hooks) {
  "use strict";
  const norm = (name) => String(name).toLowerCase();

  class Headers {
    #map = new Map();
    constructor(init) {
      if (init instanceof Headers) init.forEach((v, k) => this.append(k, v));
      else if (Array.isArray(init)) for (const [k, v] of init) this.append(k, v);
      else if (init && typeof init === "object") for (const k of Object.keys(init)) this.append(k, init[k]);
    }
    append(name, value) { const k = norm(name); this.#map.set(k, this.#map.has(k) ? this.#map.get(k) + ", " + String(value) : String(value)); }
    set(name, value) { this.#map.set(norm(name), String(value)); }
    get(name) { const v = this.#map.get(norm(name)); return v === undefined ? null : v; }
    has(name) { return this.#map.has(norm(name)); }
    delete(name) { this.#map.delete(norm(name)); }
    forEach(fn, self) { for (const [k, v] of this.entries()) fn.call(self, v, k, this); }
    *entries() { yield* [...this.#map].sort((a, b) => (a[0] < b[0] ? -1 : 1)); }
    *keys() { for (const [k] of this.entries()) yield k; }
    *values() { for (const [, v] of this.entries()) yield v; }
    [Symbol.iterator]() { return this.entries(); }
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
    #take() {
      if (this.#used) return Promise.reject(new TypeError("the body of this response was already read"));
      this.#used = true;
      return Promise.resolve(this.#body);
    }
    text() { return this.#take(); }
    json() { return this.#take().then((t) => JSON.parse(t)); }
    clone() { if (this.#used) throw new TypeError("cannot clone a response whose body was read"); return new Response(this.#body, this); }
  }

  const queue = [];
  const waiting = new Map();
  let seq = 0;

  function fetch(input, init = {}) {
    try {
      const isRequest = input !== null && typeof input === "object" && !(input instanceof g.URL) && "url" in input;
      const url = String(isRequest ? input.url : input);
      const method = String(init.method || (isRequest && input.method) || "GET").toUpperCase();
      const headers = new Headers(init.headers || (isRequest ? input.headers : undefined));
      let body = init.body === undefined || init.body === null ? null : init.body;
      if (body instanceof g.URLSearchParams) {
        if (!headers.has("content-type")) headers.set("content-type", "application/x-www-form-urlencoded;charset=UTF-8");
        body = body.toString();
      } else if (body !== null && typeof body !== "string") {
        throw new TypeError("fetch: the body must be a string or URLSearchParams (use JSON.stringify for objects)");
      }
      if (body !== null && (method === "GET" || method === "HEAD")) throw new TypeError("fetch: a " + method + " request cannot have a body");
      if (typeof body === "string" && !headers.has("content-type")) headers.set("content-type", "text/plain;charset=UTF-8");
      const id = ++seq;
      queue.push({ id, url, method, headers: [...headers], body });
      return new Promise((resolve, reject) => waiting.set(id, { resolve, reject }));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  hooks.outbox = () => { if (!queue.length) return ""; const out = JSON.stringify(queue); queue.length = 0; return out; };
  hooks.deliver = (reply) => {
    const entry = waiting.get(reply.id);
    if (!entry) return;
    waiting.delete(reply.id);
    if (reply.error) {
      const e = reply.error.kind === "policy" ? new Error(reply.error.message) : new TypeError(reply.error.message);
      if (reply.error.kind === "policy") { e.name = "PolicyError"; e.jsolveKind = "policy"; }
      e.stack = "";  // made here, not in the guest's code: no position to report
      entry.reject(e);
    } else {
      entry.resolve(new Response(reply.body, { status: reply.status, statusText: reply.statusText, headers: reply.headers, url: reply.url }));
    }
  };
  hooks.inFlight = () => waiting.size + queue.length;

  for (const [name, value] of [["fetch", fetch], ["Headers", Headers], ["Response", Response]]) {
    Object.defineProperty(g, name, { value, writable: true, configurable: true });
  }
})
