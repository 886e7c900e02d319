// Imports every .mjs module of a folder, in name order, and prints one JSON object: for each
// module (by name, without .mjs), {"value": <its default export, awaited>} or {"error": {...}}
// with the line and column of the error's frame in that module, as node reports them.
// Usage: node run_modules.mjs FOLDER
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const folder = resolve(process.argv[2]);
const results = {};
for (const file of readdirSync(folder).filter((f) => f.endsWith(".mjs")).sort()) {
  const url = pathToFileURL(join(folder, file)).href;
  const name = file.slice(0, -".mjs".length);
  try {
    const module = await import(url);
    const value = await module.default;
    results[name] = { value: value === undefined ? null : JSON.parse(JSON.stringify(value)) };
  } catch (error) {
    const frame = String(error?.stack ?? "").split("\n").map((l) => l.match(/(\d+):(\d+)\)?$/) && l.includes(url) ? l : null).find((l) => l);
    const where = frame ? frame.match(/:(\d+):(\d+)\)?$/) : null;
    results[name] = { error: { name: error?.name ?? "Error", message: String(error?.message ?? error),
                               line: where ? Number(where[1]) : null, column: where ? Number(where[2]) : null } };
  }
}
process.stdout.write(JSON.stringify(results));
