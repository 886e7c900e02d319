// Runs each program of a corpus under node and prints one JSON line per program, in order:
// {"name", "ok": true, "value"} or {"name", "ok": false, "error": "<name>: <message>"}.
// Reads the corpus as JSON ([{name, code}], or {programs, inputs}) on stdin; with inputs, the
// programs run in a new temporary folder holding each input as the sandbox's fs shows it
// (<name>.json, and <name>.txt for a string). Each program is an ES module imported
// from a data: URL, so top-level await and `export default` work as in the sandbox.
// A BigInt in a value is written as "<BIGINT_MARK><digits>" (JSON has no BigInt).

const BIGINT_MARK = "\u0000bigint:";

function toJson(value) {
  return JSON.stringify(value, (_key, item) => (typeof item === "bigint" ? BIGINT_MARK + item.toString() : item));
}

async function runOne({ name, code }) {
  try {
    const module = await import(`data:text/javascript;charset=utf-8,${encodeURIComponent(code)}`);
    const text = toJson(module.default);
    return { name, ok: true, value: text === undefined ? null : JSON.parse(text) };
  } catch (error) {
    return { name, ok: false, error: `${error?.name}: ${error?.message}` };
  }
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const corpus = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const programs = Array.isArray(corpus) ? corpus : corpus.programs;
  if (!Array.isArray(corpus) && corpus.inputs) {
    const { mkdtempSync, rmSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const folder = mkdtempSync(join(tmpdir(), "jsolve-inputs-"));
    for (const [name, value] of Object.entries(corpus.inputs)) {
      writeFileSync(join(folder, `${name}.json`), JSON.stringify(value));
      if (typeof value === "string") writeFileSync(join(folder, `${name}.txt`), value);
    }
    process.chdir(folder);
    process.on("exit", () => rmSync(folder, { recursive: true, force: true }));
  }
  for (const program of programs) process.stdout.write(`${JSON.stringify(await runOne(program))}\n`);
}

await main();
