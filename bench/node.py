"""What Node's built-ins cost a run, side by side with a trivial run: each case is one whole run
in the worker's code path (`agent.sandbox.worker.execute`, in this process: a fresh context, the
shims the code names, the code, its value read out), as a pool's worker pays it. Prints the
median ms and the engine memory after the run.

    python bench/node.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import asdict

from agent.sandbox import protocol
from agent.sandbox.limits import Limits
from agent.sandbox.worker import node
from agent.sandbox.worker.engine import fresh_context
from agent.sandbox.worker.execute import execute

CASES = (
    ("trivial run", "export default 1 + 1"),
    ("Buffer (global)", 'export default Buffer.from("hello").toString("base64")'),
    ("crypto sha256", 'import { createHash } from "node:crypto";\nexport default createHash("sha256").update("abc").digest("hex");'),
    ("crypto.randomUUID (global)", "export default crypto.randomUUID().length"),
    ("path.join", 'import path from "node:path";\nexport default path.join("/a", "../b");'),
    ("util.format", 'import { format } from "node:util";\nexport default format("%s=%d", "a", 1);'),
    ("events", 'import { EventEmitter } from "node:events";\nconst e = new EventEmitter();\nexport default e.emit("x");'),
    ("assert", 'import assert from "node:assert";\nassert.strictEqual(1, 1);\nexport default 1;'),
    ("fs over inputs", 'import { readdirSync } from "node:fs";\nexport default readdirSync(".");'),
    ("querystring", 'import qs from "node:querystring";\nexport default qs.stringify({ a: 1 });'),
    ("structuredClone", "export default structuredClone({ a: [1] });"),
    ("process.platform", "export default process.platform;"),
    ("URL (global)", 'export default new URL("https://example.com/a?b=1").searchParams.get("b");'),
    ("URL, IDNA host", 'export default new URL("https://münchen.de/").host;'),
)


def run_case(code: str, runs: int) -> tuple[float, int, object]:
    limits = {key: value for key, value in asdict(Limits()).items() if key != "ceiling"}  # as the pool sends them
    samples = []
    memory = 0
    value: object = None
    for run_id in range(runs):
        start = time.perf_counter()
        ctx = fresh_context()
        reply = execute(protocol.run(run_id, code, limits, None, None, network=False, inputs=None), None, ctx)  # type: ignore[arg-type]
        samples.append((time.perf_counter() - start) * 1000)
        memory = ctx.memory()["memory_used_size"]
        value = reply["error"]["message"] if reply.get("error") else reply.get("value_json")
    return statistics.median(samples), memory, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    run_case("export default 0", 5)  # warm: the scanner's patterns, the files read
    baseline = None
    print(f"{'case':28} {'median ms':>10} {'vs trivial':>10} {'memory MB':>10}  value")
    install = node.install
    node.install = lambda ctx, named, network=False: None  # type: ignore[assignment]  # the run as it was before the built-ins
    try:
        ms, memory, value = run_case(CASES[0][1], args.runs)
    finally:
        node.install = install  # type: ignore[method-assign]
    print(f"{'trivial run, no built-ins':28} {ms:10.2f} {'':>10} {memory / 2**20:10.2f}  {str(value)[:40]}")
    for name, code in CASES:
        ms, memory, value = run_case(code, args.runs)
        baseline = ms if baseline is None else baseline
        print(f"{name:28} {ms:10.2f} {ms - baseline:+10.2f} {memory / 2**20:10.2f}  {str(value)[:40]}")


if __name__ == "__main__":
    main()
