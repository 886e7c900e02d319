// Transpiles every .ts program of a folder with the TypeScript compiler's transpileModule
// (target ES2022, module ESNext), writing NAME.mjs files into another folder.
// Usage: node transpile.mjs TYPESCRIPT_PACKAGE_DIR PROGRAMS_DIR OUT_DIR
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const [typescriptDir, programs, out] = process.argv.slice(2);
const ts = createRequire(join(typescriptDir, "package.json"))(typescriptDir);
for (const file of readdirSync(programs).filter((f) => f.endsWith(".ts")).sort()) {
  const source = readFileSync(join(programs, file), "utf8");
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
    fileName: file,
  });
  writeFileSync(join(out, file.replace(/\.ts$/, ".mjs")), outputText);
}
process.stdout.write(ts.version);
