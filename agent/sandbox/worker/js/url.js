// Compiled only for a run whose code names URL (or that has a network): the engine has neither
// URL nor URLSearchParams. The parts of the WHATWG classes that model-written code uses.
(g) => {
  "use strict";
  // An error raised here points at the guest's call, not into this file.
  const at = (e, boundary) => { if (e instanceof Error) Error.captureStackTrace(e, boundary); return e; };
  const SPECIAL = { "http:": "80", "https:": "443", "ws:": "80", "wss:": "443", "ftp:": "21" };
  const enc = (s) => encodeURIComponent(s).replace(/%20/g, "+").replace(/[!'()~]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
  const dec = (s) => { try { return decodeURIComponent(s.replace(/\+/g, " ")); } catch (e) { return s; } };

  class URLSearchParams {
    #list = [];
    #onChange = null;
    constructor(init = "") {
      try {
        if (init instanceof URLSearchParams) this.#list = [...init.entries()];
        else if (typeof init === "object" && init !== null) {
          const pairs = Symbol.iterator in init ? [...init] : Object.entries(init);
          for (const pair of pairs) {
            if (pair.length !== 2) throw new TypeError("URLSearchParams: each pair needs a name and a value");
            this.#list.push([String(pair[0]), String(pair[1])]);
          }
        } else this._parse(String(init));
      } catch (e) { throw at(e, URLSearchParams); }
    }
    _parse(text) {
      this.#list = [];
      for (const part of text.replace(/^\?/, "").split("&")) {
        if (!part) continue;
        const i = part.indexOf("=");
        this.#list.push(i < 0 ? [dec(part), ""] : [dec(part.slice(0, i)), dec(part.slice(i + 1))]);
      }
    }
    _bind(onChange) { this.#onChange = onChange; }
    #changed() { if (this.#onChange) this.#onChange(this.toString()); }
    get size() { return this.#list.length; }
    append(name, value) { this.#list.push([String(name), String(value)]); this.#changed(); }
    delete(name, value) { this.#list = this.#list.filter(([k, v]) => k !== String(name) || (value !== undefined && v !== String(value))); this.#changed(); }
    get(name) { const hit = this.#list.find(([k]) => k === String(name)); return hit ? hit[1] : null; }
    getAll(name) { return this.#list.filter(([k]) => k === String(name)).map(([, v]) => v); }
    has(name, value) { return this.#list.some(([k, v]) => k === String(name) && (value === undefined || v === String(value))); }
    set(name, value) {
      const i = this.#list.findIndex(([k]) => k === String(name));
      if (i < 0) this.#list.push([String(name), String(value)]);
      else { this.#list[i][1] = String(value); this.#list = this.#list.filter(([k], j) => j <= i || k !== String(name)); }
      this.#changed();
    }
    sort() { this.#list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)); this.#changed(); }
    forEach(fn, self) { for (const [k, v] of this.#list) fn.call(self, v, k, this); }
    *entries() { for (const [k, v] of this.#list) yield [k, v]; }
    *keys() { for (const [k] of this.#list) yield k; }
    *values() { for (const [, v] of this.#list) yield v; }
    [Symbol.iterator]() { return this.entries(); }
    toString() { return this.#list.map(([k, v]) => enc(k) + "=" + enc(v)).join("&"); }
    get [Symbol.toStringTag]() { return "URLSearchParams"; }
  }

  const PATTERN = /^([A-Za-z][A-Za-z0-9+.-]*:)(?:\/\/(?:([^:@/?#]*)(?::([^@/?#]*))?@)?(\[[^\]]*\]|[^:/?#]*)(?::(\d*))?)?([^?#]*)(\?[^#]*)?(#.*)?$/;

  function normalizePath(path) {
    const out = [];
    for (const seg of path.split("/").slice(1)) {
      if (seg === "..") { if (out.length) out.pop(); }
      else if (seg !== ".") out.push(seg);
    }
    const last = path.split("/").pop();
    return "/" + out.join("/") + (last === "." || last === ".." ? (out.length ? "/" : "") : "");
  }

  class URL {
    #p;
    #params;
    constructor(input, base) {
      try { this.#init(input, base); } catch (e) { throw at(e, URL); }
    }
    #init(input, base) {
      let text = String(input).trim().replace(/[\t\n\r]/g, "");
      let m = PATTERN.exec(SPECIAL[(/^[A-Za-z][A-Za-z0-9+.-]*:/.exec(text) || [""])[0].toLowerCase()] !== undefined ? text.replace(/\\/g, "/") : text);
      if (!m || (m[1] && SPECIAL[m[1].toLowerCase()] !== undefined && m[4] === undefined)) {
        if (base === undefined) throw new TypeError("Invalid URL: " + text);
        const b = base instanceof URL ? base : new URL(base);
        text = text.replace(/\\/g, "/");
        let path, search = "", hash = "";
        const h = text.indexOf("#"); if (h >= 0) { hash = text.slice(h); text = text.slice(0, h); }
        const q = text.indexOf("?"); if (q >= 0) { search = text.slice(q); text = text.slice(0, q); }
        if (text.startsWith("//")) return this.#init(b.protocol + text + search + hash);
        if (text.startsWith("/")) path = text;
        else if (text === "") { path = b.pathname; if (q < 0) search = b.search; }
        else path = b.pathname.replace(/[^/]*$/, "") + text;
        m = PATTERN.exec(b.protocol + "//" + (b.username ? b.username + (b.password ? ":" + b.password : "") + "@" : "") + b.host + normalizePath(path) + search + hash);
      }
      const protocol = m[1].toLowerCase();
      const special = SPECIAL[protocol] !== undefined;
      if (special && !m[4]) throw new TypeError("Invalid URL: " + text);
      const port = m[5] || "";
      if (port && Number(port) > 65535) throw new TypeError("Invalid URL: " + text);
      this.#p = {
        protocol, username: m[2] || "", password: m[3] || "", hostname: (m[4] || "").toLowerCase(),
        port: port === SPECIAL[protocol] ? "" : port,
        pathname: special ? normalizePath(m[6] || "/") : (m[6] || ""), search: m[7] && m[7] !== "?" ? m[7] : "", hash: m[8] && m[8] !== "#" ? m[8] : "",
      };
      this.#params = new URLSearchParams(this.#p.search);
      this.#params._bind((s) => { this.#p.search = s ? "?" + s : ""; });
    }
    get protocol() { return this.#p.protocol; }
    get username() { return this.#p.username; }
    get password() { return this.#p.password; }
    get hostname() { return this.#p.hostname; }
    set hostname(v) { this.#p.hostname = String(v).toLowerCase(); }
    get port() { return this.#p.port; }
    set port(v) { this.#p.port = String(v) === SPECIAL[this.#p.protocol] ? "" : String(v); }
    get host() { return this.#p.hostname + (this.#p.port ? ":" + this.#p.port : ""); }
    get origin() { return SPECIAL[this.#p.protocol] !== undefined ? this.#p.protocol + "//" + this.host : "null"; }
    get pathname() { return this.#p.pathname; }
    set pathname(v) { v = String(v); this.#p.pathname = v.startsWith("/") ? v : "/" + v; }
    get search() { return this.#p.search; }
    set search(v) { v = String(v).replace(/^\?/, ""); this.#p.search = v ? "?" + v : ""; this.#params._parse(v); }
    get searchParams() { return this.#params; }
    get hash() { return this.#p.hash; }
    set hash(v) { v = String(v).replace(/^#/, ""); this.#p.hash = v ? "#" + v : ""; }
    get href() {
      const p = this.#p;
      const auth = p.username ? p.username + (p.password ? ":" + p.password : "") + "@" : "";
      return p.protocol + (SPECIAL[p.protocol] !== undefined || p.hostname ? "//" + auth + this.host : "") + p.pathname + p.search + p.hash;
    }
    toString() { return this.href; }
    toJSON() { return this.href; }
    static canParse(input, base) { try { new URL(input, base); return true; } catch (e) { return false; } }
    get [Symbol.toStringTag]() { return "URL"; }
  }
  for (const [name, value] of [["URL", URL], ["URLSearchParams", URLSearchParams]]) {
    Object.defineProperty(g, name, { value, writable: true, configurable: true });
  }
}
