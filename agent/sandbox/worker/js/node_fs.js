// node:fs and node:fs/promises over the run's inputs, read-only: a virtual folder (the registry's
// `cwd`, also process.cwd()) holds one file per input, `<name>.json` (its JSON text) and, for an
// input that is a string, `<name>.txt` (the string). No path reaches anything else: a path is
// resolved as text (never by the host), and whatever does not name one of these files does not
// exist. Writing fails with EROFS.
function (module, exports, require) {
  "use strict";
  const { Buffer } = require("buffer");
  const { cwd } = require("registry");
  const g = globalThis, stringify = JSON.stringify;
  const describe = Object.getOwnPropertyDescriptor;

  // The inputs: the globals the worker bound before the code ran (enumerable, read-only, permanent).
  let files = null;
  function listing() {
    if (files !== null) return files;
    files = new Map();
    for (const name of Object.getOwnPropertyNames(g)) {
      const d = describe(g, name);
      if (d && "value" in d && d.enumerable && !d.writable && !d.configurable) {
        files.set(`${name}.json`, () => stringify(d.value));
        if (typeof d.value === "string") files.set(`${name}.txt`, () => d.value);
      }
    }
    return files;
  }
  const names = () => [...listing().keys()].sort();
  const known = () => (listing().size ? `the run's inputs are ${names().map((n) => cwd + "/" + n).join(", ")}` : "this run has no inputs");

  const systemError = (code, errno, text, syscall, path, boundary, hint) => {
    const e = new Error(`${code}: ${text}, ${syscall} '${path}'${hint ? ` (${hint})` : ""}`);
    e.errno = errno; e.code = code; e.syscall = syscall; e.path = path;
    if (boundary) Error.captureStackTrace(e, boundary);
    return e;
  };
  const invalid = (message, boundary) => {
    const e = new TypeError(message);
    e.code = "ERR_INVALID_ARG_TYPE";
    if (boundary) Error.captureStackTrace(e, boundary);
    return e;
  };

  // The path as text: a string, a Buffer (UTF-8) or a file: URL; NUL bytes refused as node does.
  function pathText(path, boundary) {
    let text;
    if (typeof path === "string") text = path;
    else if (path instanceof Uint8Array) text = Buffer.from(path).toString("utf8");
    else if (path !== null && typeof path === "object" && typeof path.href === "string" && typeof path.protocol === "string") {
      if (path.protocol !== "file:") {
        const e = new TypeError("The URL must be of scheme file");
        e.code = "ERR_INVALID_URL_SCHEME";
        Error.captureStackTrace(e, boundary);
        throw e;
      }
      if (path.hostname !== "") {
        const e = new TypeError('File URL host must be "localhost" or empty on linux');
        e.code = "ERR_INVALID_FILE_URL_HOST";
        Error.captureStackTrace(e, boundary);
        throw e;
      }
      text = decodeURIComponent(path.pathname);
    } else {
      throw invalid(`The "path" argument must be of type string or an instance of Buffer or URL. Received ${path === null ? "null" : typeof path}`, boundary);
    }
    if (text.includes("\u0000")) {
      const e = new TypeError(`The argument 'path' must be a string, Uint8Array, or URL without null bytes. Received ${stringify(text)}`);
      e.code = "ERR_INVALID_ARG_VALUE";
      Error.captureStackTrace(e, boundary);
      throw e;
    }
    return text;
  }
  // The absolute, normalized path (as node's path.resolve from the virtual folder).
  function resolve(text) {
    const parts = [];
    for (const part of (text.startsWith("/") ? text : cwd + "/" + text).split("/")) {
      if (part === "..") parts.pop();
      else if (part !== "" && part !== ".") parts.push(part);
    }
    return "/" + parts.join("/");
  }
  // What `path` names: "dir" (the virtual folder), "root" (its parents), a file's reader, or null.
  function lookup(path, boundary) {
    const text = pathText(path, boundary);
    const full = resolve(text);
    if (full === cwd) return { text, full, type: "dir" };
    if (cwd.startsWith(full === "/" ? "/" : full + "/")) return { text, full, type: "root" };
    const slash = full.lastIndexOf("/");
    const read = full.slice(0, slash) === cwd ? listing().get(full.slice(slash + 1)) : undefined;
    return { text, full, type: read === undefined ? null : "file", read };
  }
  const encodingOf = (options) => (typeof options === "string" ? options : options && options.encoding) || null;

  function readFileSync(path, options) {
    if (typeof path === "number") throw systemError("EBADF", -9, "bad file descriptor", "read", String(path), readFileSync);
    const found = lookup(path, readFileSync);
    if (found.type === "dir" || found.type === "root") throw systemError("EISDIR", -21, "illegal operation on a directory", "read", found.text, readFileSync);
    if (found.type === null) throw systemError("ENOENT", -2, "no such file or directory", "open", found.text, readFileSync, known());
    const text = found.read();
    const encoding = encodingOf(options);
    if (encoding === "utf8" || encoding === "utf-8") return text;
    const bytes = Buffer.from(text, "utf8");
    return encoding === null || encoding === "buffer" ? bytes : bytes.toString(encoding);
  }
  class Stats {
    #type;
    constructor(type, size) {
      this.#type = type;
      const epoch = new Date(0);
      Object.assign(this, { dev: 1, mode: type === "file" ? 0o100444 : 0o40555, nlink: 1, uid: 0, gid: 0, rdev: 0, blksize: 4096, ino: 0, size,
        blocks: Math.ceil(size / 512), atimeMs: 0, mtimeMs: 0, ctimeMs: 0, birthtimeMs: 0, atime: epoch, mtime: epoch, ctime: epoch, birthtime: epoch });
    }
    isFile() { return this.#type === "file"; }
    isDirectory() { return this.#type !== "file"; }
    isSymbolicLink() { return false; }
    isFIFO() { return false; }
    isSocket() { return false; }
    isBlockDevice() { return false; }
    isCharacterDevice() { return false; }
  }
  function statSync(path, options) {
    const found = lookup(path, statSync);
    if (found.type === null) {
      if (options && options.throwIfNoEntry === false) return undefined;
      throw systemError("ENOENT", -2, "no such file or directory", "stat", found.text, statSync, known());
    }
    return new Stats(found.type === "file" ? "file" : "dir", found.type === "file" ? Buffer.byteLength(found.read(), "utf8") : 4096);
  }
  function existsSync(path) {
    try { return lookup(path, existsSync).type !== null; } catch { return false; }
  }
  function accessSync(path, mode) {
    const found = lookup(path, accessSync);
    if (found.type === null) throw systemError("ENOENT", -2, "no such file or directory", "access", found.text, accessSync, known());
    if (mode & 2) throw systemError("EROFS", -30, "read-only file system", "access", found.text, accessSync, "the sandbox's files are read-only");
  }
  class Dirent {
    constructor(name, type) { this.name = name; this.parentPath = this.path = cwd; this.#type = type; }
    #type;
    isFile() { return this.#type === "file"; }
    isDirectory() { return this.#type === "dir"; }
    isSymbolicLink() { return false; }
  }
  function readdirSync(path, options) {
    const found = lookup(path, readdirSync);
    if (found.type === null) throw systemError("ENOENT", -2, "no such file or directory", "scandir", found.text, readdirSync, known());
    if (found.type === "file") throw systemError("ENOTDIR", -20, "not a directory", "scandir", found.text, readdirSync);
    const entries = found.type === "dir" ? names() : [cwd.slice(found.full === "/" ? 1 : found.full.length + 1).split("/")[0]];
    const withTypes = options && typeof options === "object" && options.withFileTypes;
    return withTypes ? entries.map((name) => new Dirent(name, found.type === "dir" ? "file" : "dir")) : entries;
  }
  const realpathSync = (path) => {
    const found = lookup(path, realpathSync);
    if (found.type === null) throw systemError("ENOENT", -2, "no such file or directory", "realpath", found.text, realpathSync, known());
    return resolve(found.text);
  };
  const readOnly = (name, syscall) => function (path) {
    const shown = typeof path === "string" ? path : String(path);
    throw systemError("EROFS", -30, "read-only file system", syscall, shown, null,
      `the sandbox's files are the run's inputs, read-only: return what the code makes with \`export default\` instead of fs.${name}`);
  };
  const WRITERS = { writeFileSync: "open", appendFileSync: "open", mkdirSync: "mkdir", rmSync: "rm", unlinkSync: "unlink", renameSync: "rename",
    copyFileSync: "copyfile", rmdirSync: "rmdir", openSync: "open", createWriteStream: "open", createReadStream: "open", watch: "watch", symlinkSync: "symlink",
    chmodSync: "chmod", mkdtempSync: "mkdtemp", truncateSync: "open", cpSync: "cp" };

  // The callback and promise forms, settled after the current job as node's are.
  const callbackForm = (sync) => function (...args) {
    const callback = args.pop();
    if (typeof callback !== "function") throw invalid(`The "cb" argument must be of type function. Received ${typeof callback}`, null);
    let value, error = null;
    try { value = sync(...args); } catch (e) { error = e; }
    g.setTimeout(() => callback(error, value), 0);
  };
  const promiseForm = (sync) => (...args) => new Promise((resolveIt, reject) => {
    try { resolveIt(sync(...args)); } catch (e) { reject(e); }
  });
  const promises = {
    readFile: promiseForm(readFileSync), stat: promiseForm(statSync), lstat: promiseForm(statSync), readdir: promiseForm(readdirSync),
    access: promiseForm(accessSync), realpath: promiseForm(realpathSync),
  };
  const fs = {
    readFileSync, statSync, lstatSync: statSync, existsSync, accessSync, readdirSync, realpathSync,
    readFile: callbackForm(readFileSync), stat: callbackForm(statSync), lstat: callbackForm(statSync), readdir: callbackForm(readdirSync),
    access: callbackForm(accessSync), realpath: callbackForm(realpathSync),
    exists: (path, callback) => { const found = existsSync(path); g.setTimeout(() => callback(found), 0); },
    constants: Object.freeze({ F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1 }), Stats, Dirent, promises,
  };
  for (const [name, syscall] of Object.entries(WRITERS)) {
    fs[name] = readOnly(name, syscall);
    const plain = name.replace(/Sync$/, "");
    if (plain !== name) {
      fs[plain] = readOnly(plain, syscall);
      promises[plain] = async (path) => readOnly(plain, syscall)(path);
    }
  }
  promises.constants = fs.constants;
  Object.freeze(promises);
  module.exports = fs;
}
