"""Cost per run of the sandbox, side by side in one run: the pool with 1 worker and with its
default size (inter-process hop included), the bare binding in process (the floor), a new `node`
process per run, and the npm package `@sebastianwessel/quickjs` warm (installed into a scratch
folder when npm can reach its registry); then runs/s through the pool.

    python bench/sandbox.py [--runs N] [--npm-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import threading
import time
from pathlib import Path

import quickjs

from agent.sandbox import Sandbox

CODE = "const f = async () => 6 * 7; export default await f();"


def per_run_ms(fn, runs: int) -> float:
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


def bare() -> None:
    ctx = quickjs.Context()
    ctx.module(CODE)
    ctx.eval('globalThis.r = null; import("<input>").then(m => { r = JSON.stringify(m.default) })')
    while ctx.execute_pending_job():
        pass
    assert ctx.eval("r") == "42"


def throughput(sb: Sandbox, threads: int, seconds: float = 2.0) -> float:
    count = [0] * threads
    stop = time.monotonic() + seconds

    def loop(i: int) -> None:
        while time.monotonic() < stop:
            sb.run("export default 1")
            count[i] += 1

    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(count) / seconds


def npm_package_ms(folder: Path) -> float | None:
    """The npm package's warm median per run, or None when it cannot be installed."""
    script = Path(__file__).with_name("npm_quickjs.mjs")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / "node_modules" / "@sebastianwessel" / "quickjs").is_dir():
            subprocess.run(["npm", "init", "-y"], cwd=folder, check=True, capture_output=True, timeout=60)
            subprocess.run(["npm", "install", "@sebastianwessel/quickjs", "@jitl/quickjs-ng-wasmfile-release-sync"],
                           cwd=folder, check=True, capture_output=True, timeout=300)
        shutil.copy(script, folder / script.name)
        done = subprocess.run(["node", script.name, "300"], cwd=folder, check=True, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.SubprocessError):
        return None
    return json.loads(done.stdout)["median_ms"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--npm-dir", type=Path, default=Path("/tmp/jsolve-bench-npm"), help="scratch folder for the npm package")
    args = parser.parse_args()
    floor = per_run_ms(bare, args.runs)
    with Sandbox(1) as sb:
        sb.run(CODE)
        pool = per_run_ms(lambda: sb.run(CODE), args.runs)
        one = throughput(sb, 1)
    with Sandbox() as sb:
        sb.run(CODE)
        # Runs one after another alternate between the workers: each makes its next context
        # while the other serves, as a pool does when callers leave it a moment between runs.
        pool_n = per_run_ms(lambda: sb.run(CODE), args.runs)
        n = throughput(sb, sb.size)
        over = throughput(sb, sb.size * 2)
        size = sb.size
    print(f"in-process binding (floor): {floor:.3f} ms/run (median of {args.runs})")
    print(f"pool, 1 worker:             {pool:.3f} ms/run  = {pool / floor:.1f}x the floor")
    print(f"pool, {size} workers:            {pool_n:.3f} ms/run  = {pool_n / floor:.1f}x the floor")
    if shutil.which("node"):
        node = per_run_ms(lambda: subprocess.run(["node", "--input-type=module", "-e", "const f = async () => 6 * 7; console.log(await f());"], check=True, capture_output=True), 20)
        print(f"new node process per run:   {node:.1f} ms/run  = pool is {node / pool:.0f}x faster")
    npm = npm_package_ms(args.npm_dir) if shutil.which("npm") else None
    if npm is None:
        print("@sebastianwessel/quickjs warm: not measured (npm or its registry is not available)")
    else:
        print(f"@sebastianwessel/quickjs warm: {npm:.3f} ms/run = pool is {npm / pool:.1f}x faster")
    print(f"throughput: {one:.0f} runs/s with 1 worker, {n:.0f} runs/s with {size} workers "
          f"({over:.0f} runs/s with {size * 2} callers sharing them)")


if __name__ == "__main__":
    main()
