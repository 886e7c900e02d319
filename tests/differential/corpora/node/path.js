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
