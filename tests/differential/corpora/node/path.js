// === join
import path from "node:path";
export default [path.join("/a/b", "../c", "./d"), path.join("a", "", "b/"), path.join(""), path.join("a/", "/b"), path.join("..", "a")];
// === normalize
import { normalize } from "path";
export default ["/a//b/../c/.", "a/../../b", "./", "", "/..", "a/b/c/../../"].map(normalize);
// === resolve absolute parts
import path from "node:path";
export default [path.resolve("/a/b", "c"), path.resolve("/a/b", "/c", "d"), path.resolve("/x", "..", "..")];
// === basename dirname extname
import path from "node:path";
export default ["/a/b/c.txt", "/a/b/", "c", ".bashrc", "a.b.c", "/"].map((p) => [path.basename(p), path.dirname(p), path.extname(p)]);
// === basename with extension
import { basename } from "node:path";
export default [basename("/a/file.txt", ".txt"), basename("/a/file.txt", "txt"), basename("file.txt", "file.txt")];
// === relative
import path from "node:path";
export default [path.relative("/a/b/c", "/a/d"), path.relative("/a", "/a"), path.relative("/a/b", "/a/b/c/d"), path.relative("/", "/x")];
// === parse and format
import path from "node:path";
const p = path.parse("/home/u/file.tar.gz");
export default [p, path.format({ dir: "/x", name: "y", ext: ".z" }), path.format({ root: "/", base: "b.txt" })];
// === isAbsolute sep delimiter
import path from "node:path";
export default [path.isAbsolute("/a"), path.isAbsolute("a"), path.sep, path.delimiter, path.posix.sep];
// === posix namespace
import { posix } from "node:path";
export default posix.join("a", "b");
// === path/posix module
import p from "node:path/posix";
export default p.normalize("a//b");
// === trailing slashes
import path from "node:path";
export default [path.dirname("/a/b/"), path.basename("/a/b//"), path.extname("a."), path.extname(".a.")];
// === toNamespacedPath
import path from "node:path";
export default path.toNamespacedPath("/a/b");
// === win32 join and normalize
import path from "node:path";
export default [path.win32.join("C:\\a", "..\\b", "c/d"), path.win32.normalize("C:/x//y/../z"), path.win32.normalize("\\\\server\\share\\a\\..\\b"), path.win32.join("a", "", "b\\")];
// === win32 resolve with drives
import { win32 } from "node:path";
export default [win32.resolve("C:\\a", "b"), win32.resolve("C:\\a", "D:\\b", "c"), win32.resolve("\\\\srv\\share", "x"), win32.resolve("C:\\a", "/b")];
// === win32 parse and format
import path from "node:path";
export default [path.win32.parse("C:\\Users\\me\\file.tar.gz"), path.win32.parse("\\\\srv\\share\\x.txt"), path.win32.format({ root: "C:\\", name: "a", ext: ".b" })];
// === win32 basename dirname extname
import path from "node:path";
export default ["C:\\a\\b.txt", "C:\\", "C:", "a\\b\\", "\\\\srv\\share\\f.js", "C:/mixed\\seps.md"].map((p) => [path.win32.basename(p), path.win32.dirname(p), path.win32.extname(p)]);
// === win32 relative and isAbsolute
import path from "node:path";
export default [path.win32.relative("C:\\a\\b", "C:\\a\\c\\d"), path.win32.relative("C:\\a", "D:\\b"), path.win32.relative("c:\\A\\b", "C:\\a\\B\\c"),
  ["C:\\x", "C:x", "\\x", "/x", "x", "\\\\srv\\share"].map((p) => path.win32.isAbsolute(p))];
// === win32 namespaced paths and separators
import path from "node:path";
export default [path.win32.toNamespacedPath("C:\\a\\b"), path.win32.toNamespacedPath("\\\\srv\\share\\x"), path.win32.sep, path.win32.delimiter, path.win32.win32 === path.win32, path.win32.posix === path.posix, path.posix === path];
// === path/win32 module
import w from "node:path/win32";
export default [w.basename("C:\\temp\\myfile.html"), w.join("C:\\", "x")];
// === win32 resolve relative uses the working folder
import path from "node:path";
const r = path.win32.resolve("a\\b");
export default [path.win32.isAbsolute(r), r.endsWith("\\a\\b")];
// === the module's keys
import path from "node:path";
export default [Object.keys(path), Object.keys(path.win32)];
// === arguments of the wrong type
import path from "node:path";
const errors = [];
for (const f of [() => path.join("a", 1), () => path.win32.basename(null), () => path.parse({}), () => path.basename("a", 5n), () => path.format("x"), () => path.win32.relative("a", Object.create(null))]) {
  try { f(); } catch (e) { errors.push([e.name, e.code, e.message, String(e), e instanceof TypeError]); }
}
export default errors;
