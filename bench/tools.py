"""The cost of one tool call from guest code to a trivial Python function and back, side by side
in one run: a direct Python call (through the registry, `Tools.call`), a raw pipe round trip between
two processes (the floor of a call relayed by a worker), a `fetch` to a loopback server, and calls
from guest code (sync and async tools, one after another and 100 in one `Promise.all`), through
`Sandbox.run` (the pool's own event loop) and `run_async` (the caller's). Then one run making 1,000 calls.

    python bench/tools.py [--calls 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import http.server
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable

from agent.sandbox import Limits, NetworkPolicy, Sandbox
from agent.tools import Tools

LIMITS = Limits(timeout=300, max_tool_calls=None, max_tool_total_bytes=None, max_concurrent_tool_calls=None)


def bump(x: int) -> int:
    """A trivial sync tool."""
    return x + 1


async def abump(x: int) -> int:
    """A trivial async tool."""
    return x + 1


def sequential(name: str, calls: int) -> str:
    return f"let s = 0;\nfor (let i = 0; i < {calls}; i++) s += await tools.{name}({{ x: i }});\nexport default s"


def gathered(name: str, batches: int) -> str:
    return (f"let s = 0;\nfor (let b = 0; b < {batches}; b++) s += (await Promise.all(Array.from({{ length: 100 }}, (_, i) => tools.{name}({{ x: i }})))).length;\n"
            "export default s")


def per_call(run: Callable[[], object], count: int) -> float:
    """Microseconds per call of a run making `count` calls (the run's own cost, about 0.5 ms, included)."""
    start = time.perf_counter()
    run()
    return (time.perf_counter() - start) / count * 1e6


def direct(calls: int) -> float:
    async def main() -> float:
        async with Tools.of([abump]) as tools:
            start = time.perf_counter()
            for i in range(calls):
                await tools.call("abump", {"x": i})
            return (time.perf_counter() - start) / calls * 1e6

    took: float = asyncio.run(main())
    return took


def pipe_round_trip(count: int) -> float:
    echo = "import os,sys\nr,w=int(sys.argv[1]),int(sys.argv[2])\nwhile b:=os.read(r,64): os.write(w,b)\n"
    to_r, to_w = os.pipe()
    back_r, back_w = os.pipe()
    child = subprocess.Popen([sys.executable, "-c", echo, str(to_r), str(back_w)], pass_fds=(to_r, back_w))
    os.close(to_r)
    os.close(back_w)
    for _ in range(100):
        os.write(to_w, b"x")
        os.read(back_r, 64)
    start = time.perf_counter()
    for _ in range(count):
        os.write(to_w, b"x")
        os.read(back_r, 64)
    took = (time.perf_counter() - start) / count * 1e6
    os.close(to_w)
    child.wait()
    return took


def loopback_fetch(sb: Sandbox, count: int) -> float:
    class Quiet(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        wbufsize = 1 << 16  # the response in one write: separate small writes meet delayed ACKs (40 ms each)

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-length", "1")
            self.end_headers()
            self.wfile.write(b"1")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    policy = NetworkPolicy(allow_hosts=("127.0.0.1",), max_requests=count + 10).allowing_loopback()
    code = f"let s = 0;\nfor (let i = 0; i < {count}; i++) s += Number(await (await fetch({url!r})).text());\nexport default s"
    took = per_call(lambda: sb.run(code, network=policy, limits=LIMITS), count)
    server.shutdown()
    return took


async def _via_async(sb: Sandbox, n: int) -> float:
    start = time.perf_counter()
    await sb.run_async(sequential("abump", n), tools=[abump], limits=LIMITS)
    return (time.perf_counter() - start) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    n = args.calls
    rows: dict[str, list[float]] = {}

    def note(name: str, value: float) -> None:
        rows.setdefault(name, []).append(value)

    batches = max(1, n // 100)
    with Sandbox(1) as sb:
        sb.run(sequential("bump", 10), tools=[bump], limits=LIMITS)  # warm: the pool's loop, pydantic-ai
        for _ in range(args.rounds):
            note("direct Python call (Tools.call, async tool)", direct(n))
            note("raw pipe round trip, two processes", pipe_round_trip(n))
            note("guest -> sync tool, sequential (run)", per_call(lambda: sb.run(sequential("bump", n), tools=[bump], limits=LIMITS), n))
            note("guest -> async tool, sequential (run)", per_call(lambda: sb.run(sequential("abump", n), tools=[abump], limits=LIMITS), n))

            note("guest -> async tool, sequential (run_async)", asyncio.run(_via_async(sb, n)))
            note("guest -> sync tool, 100 per Promise.all (per call)", per_call(lambda: sb.run(gathered("bump", batches), tools=[bump], limits=LIMITS), batches * 100))
            note("guest -> async tool, 100 per Promise.all (per call)", per_call(lambda: sb.run(gathered("abump", batches), tools=[abump], limits=LIMITS), batches * 100))
            note("one Promise.all of 100 async calls (whole batch)", per_call(lambda: sb.run(gathered("abump", 1), tools=[abump], limits=LIMITS), 1))
            note("fetch to a loopback server, sequential", loopback_fetch(sb, min(n, 500)))
            start = time.perf_counter()
            sb.run(sequential("abump", 1000), tools=[abump], limits=LIMITS)
            note("a run making 1,000 calls (ms, whole run)", (time.perf_counter() - start) * 1000)
    width = max(map(len, rows))
    for name, values in rows.items():
        unit = "ms" if "ms" in name else "us"
        print(f"{name:<{width}}  median {statistics.median(values):9.1f} {unit}  (runs: {', '.join(f'{v:.1f}' for v in values)})")


if __name__ == "__main__":
    main()
