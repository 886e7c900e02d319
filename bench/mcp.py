"""Round trip of a trivial `run_javascript` through `jsolve mcp`, side by side in one run: over
stdio and over streamable HTTP on loopback (the SDK's own client, one call at a time, the server
a subprocess with the default pool), against `jsolve run` as a new process per run and
`Sandbox.run` in process (the floor). Prints the medians and their ratios to the floor.

    python bench/mcp.py [--calls 300] [--processes 15]

Run it with nothing else busy on the machine.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# This file is named mcp.py, and a script's folder comes first on sys.path: without this line,
# `import mcp` would import this file instead of the SDK.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import anyio  # noqa: E402
from mcp import Client, StdioServerParameters  # noqa: E402

from agent.sandbox import Sandbox  # noqa: E402

CODE = "export default 6 * 7"
ROOT = Path(__file__).resolve().parent.parent
WARMUP = 20


async def calls_ms(client: Client, calls: int) -> list[float]:
    samples = []
    for i in range(WARMUP + calls):
        started = time.perf_counter()
        result = await client.call_tool("run_javascript", {"code": CODE})
        elapsed = (time.perf_counter() - started) * 1000
        assert result.structured_content["value"] == 42, result
        if i >= WARMUP:
            samples.append(elapsed)
    return samples


async def over_stdio(calls: int) -> list[float]:
    params = StdioServerParameters(command=sys.executable, args=["-m", "agent", "mcp"], cwd=str(ROOT))
    async with Client(params) as client:
        return await calls_ms(client, calls)


async def over_http(calls: int) -> list[float]:
    server = subprocess.Popen([sys.executable, "-m", "agent", "mcp", "--http", "127.0.0.1:0"], cwd=ROOT,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert server.stderr is not None
    try:
        for line in server.stderr:
            if found := re.search(r"streamable HTTP at (\S+)", line):
                break
        else:
            raise SystemExit(f"jsolve mcp --http exited with {server.wait()} before listening")
        threading.Thread(target=server.stderr.read, daemon=True).start()
        async with Client(found.group(1)) as client:
            return await calls_ms(client, calls)
    finally:
        server.terminate()
        server.wait(timeout=20)


def new_processes(runs: int) -> list[float]:
    with tempfile.TemporaryDirectory() as folder:
        module = Path(folder) / "one.js"
        module.write_text(CODE)
        samples = []
        for _ in range(runs + 1):
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "agent", "run", str(module)], capture_output=True, text=True, cwd=ROOT)
            samples.append((time.perf_counter() - started) * 1000)
            assert done.returncode == 0 and done.stdout.strip() == "42", done.stderr
        return samples[1:]  # the first one warms the disk cache


def in_process(calls: int) -> list[float]:
    with Sandbox() as sandbox:
        samples = []
        for i in range(WARMUP + calls):
            started = time.perf_counter()
            result = sandbox.run(CODE)
            elapsed = (time.perf_counter() - started) * 1000
            assert result.value == 42
            if i >= WARMUP:
                samples.append(elapsed)
        return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="calls timed per MCP transport and in process")
    parser.add_argument("--processes", type=int, default=15, help="`jsolve run` processes timed")
    args = parser.parse_args()

    floor = in_process(args.calls)
    rows = [
        ("Sandbox.run in process (the floor)", floor),
        ("run_javascript over MCP stdio", anyio.run(over_stdio, args.calls)),
        ("run_javascript over MCP streamable HTTP", anyio.run(over_http, args.calls)),
        ("`jsolve run` as a new process", new_processes(args.processes)),
    ]
    base = statistics.median(floor)
    print(f"{'what':<42} {'median ms':>10} {'p90 ms':>9} {'ratio':>8}  calls")
    for name, samples in rows:
        median = statistics.median(samples)
        p90 = statistics.quantiles(samples, n=10)[-1]
        print(f"{name:<42} {median:>10.3f} {p90:>9.3f} {median / base:>7.1f}x  {len(samples)}")
    stdio, http = (statistics.median(rows[i][1]) for i in (1, 2))
    process = statistics.median(rows[3][1])
    print(f"\nover stdio a call costs {stdio - base:.2f} ms more than in process; `jsolve run` as a new process is "
          f"{process / stdio:.0f}x a call over stdio and {process / http:.0f}x one over HTTP")


if __name__ == "__main__":
    main()
