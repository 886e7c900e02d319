// === readFileSync json input
import { readFileSync } from "node:fs";
export default JSON.parse(readFileSync("orders.json", "utf8"));
// === readFileSync buffer
import fs from "fs";
const b = fs.readFileSync("config.json");
export default [Buffer.isBuffer(b), JSON.parse(b.toString())];
// === text input
import { readFileSync } from "node:fs";
export default readFileSync("notes.txt", "utf8").split("\n");
// === encoding option object
import { readFileSync } from "node:fs";
export default readFileSync("./notes.txt", { encoding: "utf8" }).length;
// === existsSync
import { existsSync } from "node:fs";
export default [existsSync("orders.json"), existsSync("missing.json"), existsSync("."), existsSync("notes.txt")];
// === missing file error code
import { readFileSync } from "node:fs";
let code;
try { readFileSync("missing.json"); } catch (e) { code = [e.code, e.syscall, e.errno]; }
export default code;
// === readdirSync
import { readdirSync } from "node:fs";
export default readdirSync(".");
// === statSync
import { statSync } from "node:fs";
const s = statSync("orders.json");
export default [s.isFile(), s.isDirectory(), statSync(".").isDirectory(), statSync("nope", { throwIfNoEntry: false })];
// === stat size in bytes
import { statSync, readFileSync } from "node:fs";
export default statSync("notes.txt").size === Buffer.byteLength(readFileSync("notes.txt", "utf8"));
// === promises readFile
import { readFile } from "node:fs/promises";
const text = await readFile("config.json", "utf8");
export default JSON.parse(text).name;
// === fs.promises
import fs from "node:fs";
export default JSON.parse(await fs.promises.readFile("orders.json", "utf8")).length;
// === callback readFile
import fs from "node:fs";
const v = await new Promise((resolve) => fs.readFile("config.json", "utf8", (err, data) => resolve([err, JSON.parse(data).retries])));
export default v;
// === callback error
import fs from "node:fs";
const v = await new Promise((resolve) => fs.readFile("none.txt", (err) => resolve(err.code)));
export default v;
// === dynamic import
const { readFileSync } = await import("node:fs");
export default JSON.parse(readFileSync("orders.json", "utf8"))[1].city;
// === readFileSync with latin1 and base64
import { readFileSync } from "node:fs";
export default [readFileSync("config.json", "base64"), readFileSync("config.json", "hex").length];
// === directory read is an error
import { readFileSync } from "node:fs";
let code;
try { readFileSync("."); } catch (e) { code = e.code; }
export default code;
// === readdir with file types
import { readdirSync } from "node:fs";
export default readdirSync(".", { withFileTypes: true }).map((d) => [d.name, d.isFile()]);
// === promises stat and access
import { stat, access } from "node:fs/promises";
await access("orders.json");
export default (await stat("orders.json")).isFile();
