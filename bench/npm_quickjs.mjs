// The npm package @sebastianwessel/quickjs, warm: the median cost of runSandboxed on the same
// module as bench/sandbox.py. Run from a scratch folder where the package is installed:
//   node bench/npm_quickjs.mjs ROUNDS   (NODE_PATH is not used by ESM: bench/sandbox.py runs it
//   with its working directory in that folder)
import variant from "@jitl/quickjs-ng-wasmfile-release-sync";
import { loadQuickJs } from "@sebastianwessel/quickjs";

const rounds = Number(process.argv[2] || 200);
const code = "const f = async () => 6 * 7;\nexport default await f();";
const { runSandboxed } = await loadQuickJs(variant);
const once = async () => {
  const result = await runSandboxed(async ({ evalCode }) => evalCode(code), {});
  if (!result.ok || result.data !== 42) throw new Error("unexpected result " + JSON.stringify(result));
};
for (let i = 0; i < 20; i++) await once();
const samples = [];
for (let i = 0; i < rounds; i++) {
  const t = process.hrtime.bigint();
  await once();
  samples.push(Number(process.hrtime.bigint() - t) / 1e6);
}
samples.sort((a, b) => a - b);
console.log(JSON.stringify({ median_ms: samples[Math.floor(samples.length / 2)] }));
