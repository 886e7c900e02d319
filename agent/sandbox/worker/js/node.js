// Compiled only for a run whose code names one of Node's built-ins (worker/node.py): the registry
// of the built-in modules, and `process`. Each module is a CommonJS factory
// `function (module, exports, require, process)` (the bundles of bundles/node/ and the node_*.js
// files here), defined by the worker before the code runs and called on its first `require`:
// a module the code never reaches costs its compiling only.
//
// `specifiers`: what the code may import (`fs/promises`) -> [registry module, export of it or null];
// `modules`: the names that exist, for messages; `seed`: 64 hex digits from the worker's
// os.urandom, the source of every random byte (node_crypto.js); `cwd`: the virtual folder of the
// run's inputs (node_fs.js); `firstLine`: the line the modules start at (worker/node.py FIRST_LINE).
(g, specifiers, modules, seed, cwd, firstLine) => {
  "use strict";
  const factories = { __proto__: null }, cache = { __proto__: null }, namespaces = { __proto__: null };
  const freeze = Object.freeze, define = Object.defineProperty, keys = Object.keys;

  // Sources compiled only when first required (tr46): `\n` * firstLine - 1 first, so that the
  // stack frames in them are told from the code's (see worker/node.py FIRST_LINE).
  const lazy = { __proto__: null }, evaluate = g.eval, blank = "\n".repeat(firstLine - 1);
  function require(name) {
    const found = cache[name];
    if (found !== undefined) return found.exports;
    if (factories[name] === undefined && lazy[name] !== undefined) {
      factories[name] = evaluate(blank + "{ const factory = " + lazy[name] + ";\nfactory }");
      delete lazy[name];
    }
    const factory = factories[name];
    if (factory === undefined) throw new Error(`the sandbox's module ${name} was not compiled into this run`);
    const module = { exports: {} };
    cache[name] = module;
    factory.call(module.exports, module, module.exports, require, name === "process" ? undefined : require("process"));
    return module.exports;
  }

  const missing = (specifier) => {
    const e = new Error(`Cannot find module '${specifier}': the sandbox has no such module (it has ${modules.join(", ")}, as node:X or X)`);
    e.code = "ERR_MODULE_NOT_FOUND";
    return e;
  };

  // The namespace object of `import * as x from "node:x"`: the module's own enumerable
  // properties and `default` (module.exports), as node gives for its built-ins.
  function namespace(specifier) {
    const name = String(specifier).replace(/^node:/, "");
    const cached = namespaces[name];
    if (cached !== undefined) return cached;
    const target = specifiers[name];
    if (target === undefined) throw missing(specifier);
    let exported = require(target[0]);
    if (target[1] !== null) exported = exported[target[1]];
    if (exported === null || exported === undefined) throw missing(specifier);
    const ns = { __proto__: null };
    for (const key of keys(exported)) {
      // a getter stays one (read when the code reads it, not when the module is imported)
      if ("get" in Object.getOwnPropertyDescriptor(exported, key)) define(ns, key, { get: () => exported[key], enumerable: true });
      else ns[key] = exported[key];
    }
    ns.default = exported;
    return (namespaces[name] = freeze(ns));
  }

  // `import { a, b } from "node:x"`: the namespace, after checking that it has every name.
  function imported(specifier, ...names) {
    const ns = namespace(specifier);
    for (const name of names) {
      if (!(name in ns)) {
        const e = new SyntaxError(`The requested module '${specifier}' does not provide an export named '${name}'`);
        Error.captureStackTrace(e, imported);
        throw e;
      }
    }
    return ns;
  }
  // `import("node:x")`: a promise of the namespace (a rejected one for a module that is not here).
  const load = (specifier) => { try { return Promise.resolve(namespace(specifier)); } catch (e) { return Promise.reject(e); } };
  define(imported, "load", { value: load });
  define(g, "__jsolve_node", { value: freeze(imported) });

  // The frozen `process`: no environment, no exit, the virtual folder as its working directory.
  factories.process = function (module) {
    const refuse = (what) => () => { throw new TypeError(`${what}: process.env is read-only in the sandbox (and empty): pass data as inputs`); };
    const env = new Proxy(freeze({ __proto__: null }), {
      set: refuse("cannot set a variable"), defineProperty: refuse("cannot define a variable"), deleteProperty: refuse("cannot delete a variable"),
    });
    const hrtime = (previous) => {
      const now = performance.now(), seconds = Math.floor(now / 1000), nanos = Math.floor((now % 1000) * 1e6);
      if (!Array.isArray(previous)) return [seconds, nanos];
      let s = seconds - previous[0], n = nanos - previous[1];
      if (n < 0) { s--; n += 1e9; }
      return [s, n];
    };
    hrtime.bigint = () => BigInt(Math.floor(performance.now() * 1e6));
    // nextTick as node orders it: after the job that queued it and the promise jobs it queued (the
    // module's code runs as one), before any timer; after a timer's callback, before the promise
    // jobs it queued. Ticks run on a timer of their own, and every timer's callback runs the
    // pending ones before and after it.
    const ticks = [], setTimer = g.setTimeout, setRepeat = g.setInterval;
    let scheduled = false;
    const drain = () => { scheduled = false; while (ticks.length) { const [fn, args] = ticks.shift(); fn(...args); } };
    function nextTick(fn, ...args) {
      if (typeof fn !== "function") throw new TypeError(`The "callback" argument must be of type function. Received ${typeof fn}`);
      ticks.push([fn, args]);
      if (!scheduled) { scheduled = true; setTimer(drain, 0); }
    }
    const around = (fn) => typeof fn !== "function" ? fn : function (...args) { drain(); try { return fn.apply(this, args); } finally { drain(); } };
    g.setTimeout = function setTimeout(fn, ms, ...args) { return setTimer(around(fn), ms, ...args); };
    g.setInterval = function setInterval(fn, ms, ...args) { return setRepeat(around(fn), ms, ...args); };
    const unavailable = (name) => () => {
      throw new Error(`process.${name} is not available in the sandbox: end the module with \`export default <value>\` instead`);
    };
    module.exports = freeze({
      __proto__: null,
      env, argv: freeze(["/usr/local/bin/node", cwd + "/main.mjs"]), argv0: "node", execArgv: freeze([]),
      platform: "linux", arch: "x64", version: "v20.20.2", versions: freeze({ node: "20.20.2" }), release: freeze({ name: "node" }),
      pid: 1, ppid: 0, title: "node", exitCode: undefined,
      cwd: () => cwd, uptime: () => performance.now() / 1000, hrtime, memoryUsage: () => ({ rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 }),
      nextTick,
      emitWarning: (warning) => console.warn(String(warning && warning.message || warning)),
      exit: unavailable("exit"), abort: unavailable("abort"), kill: unavailable("kill"), chdir: unavailable("chdir"),
      on() { return this; }, once() { return this; }, off() { return this; },
      stdout: freeze({ write: (s) => { console.log(String(s).replace(/\n$/, "")); return true; } }),
      stderr: freeze({ write: (s) => { console.error(String(s).replace(/\n$/, "")); return true; } }),
    });
  };

  // `timers` and `timers/promises`, on the sandbox's own timers (honoured within the deadline).
  factories.timers = function (module) {
    const setImmediate = (fn, ...args) => g.setTimeout(fn, 0, ...args);
    const aborted = (signal) => { const e = new Error("The operation was aborted"); e.name = "AbortError"; e.code = "ABORT_ERR"; e.cause = signal.reason; return e; };
    const wait = (ms, value, options) => new Promise((resolve, reject) => {
      const signal = options && options.signal;
      if (signal && signal.aborted) return reject(aborted(signal));
      const id = g.setTimeout(() => resolve(value), ms);
      if (signal) signal.addEventListener("abort", () => { g.clearTimeout(id); reject(aborted(signal)); }, { once: true });
    });
    async function* setInterval(ms, value) { for (;;) yield await wait(ms, value); }
    const promises = freeze({ setTimeout: wait, setImmediate: (value, options) => wait(0, value, options), setInterval,
      scheduler: freeze({ wait: (ms, options) => wait(ms, undefined, options), yield: () => wait(0) }) });
    module.exports = { setTimeout: g.setTimeout, clearTimeout: g.clearTimeout, setInterval: g.setInterval, clearInterval: g.clearInterval,
      setImmediate, clearImmediate: g.clearTimeout, promises };
  };

  // `os`: the constant facts of the sandbox's platform (a Linux machine with nothing on it).
  factories.os = function (module) {
    const nothing = (name) => () => { throw new Error(`os.${name} is not available in the sandbox`); };
    module.exports = {
      EOL: "\n", devNull: "/dev/null", platform: () => "linux", type: () => "Linux", arch: () => "x64", machine: () => "x86_64",
      endianness: () => "LE", homedir: () => "/home/sandbox", tmpdir: () => "/tmp", hostname: () => "sandbox",
      release: nothing("release"), cpus: nothing("cpus"), totalmem: nothing("totalmem"), freemem: nothing("freemem"),
      networkInterfaces: nothing("networkInterfaces"), userInfo: nothing("userInfo"), loadavg: nothing("loadavg"), uptime: nothing("uptime"),
      availableParallelism: () => 1,
      constants: freeze({ signals: freeze({ SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 }), errno: freeze({}), priority: freeze({}) }),
    };
  };

  // `url`: the WHATWG classes (whatwg-url, as the URL global) and the file-URL conversions of node's.
  factories.url = function (module, exports, require) {
    const { URL, URLSearchParams } = require("whatwg_url");
    const fail = (code, message) => { const e = new TypeError(message); e.code = code; return e; };
    function fileURLToPath(input) {
      const url = typeof input === "string" ? new URL(input) : input;
      if (!(url instanceof URL)) throw fail("ERR_INVALID_ARG_TYPE", 'The "path" argument must be of type string or an instance of URL.');
      if (url.protocol !== "file:") throw fail("ERR_INVALID_URL_SCHEME", "The URL must be of scheme file");
      if (url.hostname !== "") throw fail("ERR_INVALID_FILE_URL_HOST", 'File URL host must be "localhost" or empty on linux');
      const path = url.pathname;
      if (/%2f/i.test(path)) throw fail("ERR_INVALID_FILE_URL_PATH", "File URL path must not include encoded / characters");
      return decodeURIComponent(path);
    }
    // node's: the path resolved, `%`, `\\`, newlines and tabs escaped, then the URL path
    // percent-encode set (controls, space, " # < > ? ` { } and every non-ASCII character).
    function pathToFileURL(path) {
      const text = String(path);
      const parts = [];
      for (const part of (text.startsWith("/") ? text : cwd + "/" + text).split("/")) {
        if (part === "..") parts.pop(); else if (part !== "." && part !== "") parts.push(part);
      }
      const trailing = (text.endsWith("/") || /(^|\/)\.{1,2}$/.test(text)) && parts.length ? "/" : "";
      const escaped = ("/" + parts.join("/") + trailing).replace(/%/g, "%25").replace(/\\/g, "%5C").replace(/\n/g, "%0A").replace(/\r/g, "%0D").replace(/\t/g, "%09");
      let encoded = "";
      for (const c of escaped) encoded += /[\u0000-\u0020"#<>?`{}\u007f-\u{10ffff}]/u.test(c) ? encodeURIComponent(c) : c;
      const href = "file://" + encoded;
      const url = new URL(href);
      if (url.href !== href) throw new Error(`pathToFileURL: the sandbox's URL cannot hold ${href} exactly`);
      return url;
    }
    const legacy = (name) => () => { throw new Error(`url.${name} (the legacy API) is not available in the sandbox: use new URL(...)`); };
    module.exports = { URL, URLSearchParams, fileURLToPath, pathToFileURL, parse: legacy("parse"), format: legacy("format"), resolve: legacy("resolve"),
      domainToASCII: legacy("domainToASCII"), domainToUnicode: legacy("domainToUnicode") };
  };

  factories.registry = function (module) { module.exports = freeze({ cwd }); };

  // Random bytes: SHA-512 of the worker's seed (from os.urandom, new every run) and a counter.
  factories.random = function (module, exports, require) {
    const { sha512 } = require("hashes");
    const key = new Uint8Array(40);
    for (let i = 0; i < 32; i++) key[i] = parseInt(seed.slice(2 * i, 2 * i + 2), 16);
    let counter = 0, pool = new Uint8Array(0), used = 0;
    // `bytes`: a Uint8Array, filled in place.
    module.exports = function fill(bytes) {
      for (let at = 0; at < bytes.length;) {
        if (used === pool.length) {
          counter++;
          for (let k = 0, c = counter; k < 8; k++, c = Math.floor(c / 256)) key[32 + k] = c % 256;
          pool = sha512(key);
          used = 0;
        }
        const n = Math.min(pool.length - used, bytes.length - at);
        bytes.set(pool.subarray(used, used + n), at);
        used += n;
        at += n;
      }
      return bytes;
    };
  };

  return freeze({
    define(name, factory) { factories[name] = factory; },
    later(name, source) { lazy[name] = source; },
    // A global of node's, made on first read (its module's factory runs then, inside the code's
    // run, where an error is the code's), then a plain property as node's.
    global(name, read) {
      const plain = (value) => define(g, name, { value, writable: true, enumerable: false, configurable: true });
      define(g, name, { configurable: true, enumerable: false, get() { const value = read(); plain(value); return value; }, set: plain });
    },
    require,
    seed, cwd,
  });
}
