"""A soak of the sandbox pool: many mixed runs in one pool, and what the caller's process holds
before and after. Flat is the target: a leak of memory, file descriptors, threads or worker
processes shows as a figure that grows with the runs.

The mix: plain runs, timeouts (a short limit), crashes (the workers killed mid-run), fetches
to a loopback server, refused fetches, and runs with a check.

    python bench/soak.py [--runs N] [--size N]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent.sandbox import Limits, NetworkPolicy, Sandbox
from tests.fixture_server import FixtureServer

TIMEOUT_LIMIT = Limits(timeout=0.02)
"""The limit of the timeout runs: short, so they cost little wall clock."""

CRASH_EVERY = 100
"""One run in this many has its workers killed while it runs."""


def held() -> dict[str, int]:
    """What this process holds now: resident memory, open descriptors, threads, live children."""
    page = resource.getpagesize()
    with open("/proc/self/statm") as statm:
        rss = int(statm.read().split()[1]) * page
    me = str(os.getpid())
    children = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == me and fields[0] != "Z":
                children += 1
    return {"rss_mib": rss >> 20, "fds": len(os.listdir("/proc/self/fd")), "threads": threading.active_count(), "children": children}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=2, help="workers in the pool")
    args = parser.parse_args()
    server = FixtureServer()
    net = NetworkPolicy(allow_hosts=["127.0.0.1"]).allowing_loopback()
    kinds: dict[str, int] = {}
    wrong = 0
    with Sandbox(args.size) as sb:
        sb.run("export default 1")
        sb.run(f"export default (await fetch('{server.url}/json')).status", network=net)
        before = held()
        started = time.monotonic()
        for i in range(args.runs):
            slot = i % 20
            if i % CRASH_EVERY == CRASH_EVERY - 1:
                pids = [w.process.pid for w in list(sb._all)]
                killer = threading.Timer(0.05, lambda pids=pids: [os.kill(p, 9) for p in pids if _alive(p)])
                killer.start()
                r, want = sb.run("while (true) {}", limits=Limits(timeout=10)), "crash"
                killer.join()
            elif slot < 2:
                r, want = sb.run("while (true) {}", limits=TIMEOUT_LIMIT), "timeout"
            elif slot < 5:
                r, want = sb.run(f"export default (await (await fetch('{server.url}/json')).json()).items.length", network=net), 2
            elif slot < 7:
                r, want = sb.run("export default (await fetch('http://10.0.0.1/')).status", network=net), "policy"
            elif slot < 8:
                r, want = sb.run("export default (a, b) => a + b", check="if (value(2, 3) !== 5) throw new Error('no'); return true"), True
            else:
                r, want = sb.run(f"const xs = Array.from({{ length: 50 }}, (_, k) => k * {slot}); export default xs.reduce((a, b) => a + b)"), 1225 * slot
            kind = "ok" if r.ok else r.error.kind
            kinds[kind] = kinds.get(kind, 0) + 1
            if (r.value if r.ok else r.error.kind) != want:
                wrong += 1
                if wrong <= 5:
                    print(f"run {i}: expected {want!r}, got {r.value if r.ok else r.error}")
        seconds = time.monotonic() - started
        sb.run("export default 1")  # a worker killed while idle is replaced when a run next takes one
        after = held()
    server.close()
    print(f"{args.runs} runs in {seconds:.1f} s ({args.runs / seconds:.0f} runs/s), pool of {args.size}")
    print("outcomes:", ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())), f"(not as expected: {wrong})")
    for key in before:
        print(f"{key:>9}: before {before[key]:>6}  after {after[key]:>6}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


if __name__ == "__main__":
    main()
