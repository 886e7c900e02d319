"""Cold starts, side by side in one run: `jsolve run` of a trivial module as a new process against
`node -e`, a sandbox worker from spawn to ready, and what importing the library costs.

    python bench/coldstart.py [--repeat 15]

Each figure is the median of `--repeat` rounds, the commands interleaved round by round so a
busy moment hits them alike. Run it with nothing else busy on the machine.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from agent.sandbox.process import WorkerProcess


def wall(command: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr}")
    return elapsed


def worker_ready() -> float:
    started = time.perf_counter()
    worker = WorkerProcess()
    worker.wait_ready()
    elapsed = (time.perf_counter() - started) * 1000
    worker.kill()
    return elapsed


def main(repeat: int) -> None:
    module = Path(tempfile.mkdtemp(prefix="jsolve-bench-")) / "one.js"
    module.write_text("export default 1")
    script = Path(sys.executable).with_name("jsolve")  # the installed command, as a user runs it
    jsolve = [str(script)] if script.exists() else [sys.executable, "-m", "agent"]
    commands = {
        "jsolve run": [*jsolve, "run", str(module)],
        "jsolve run --json": [*jsolve, "run", str(module), "--json"],
        "jsolve --help": [*jsolve, "--help"],
        "python -c pass": [sys.executable, "-c", "pass"],
        "import agent.sandbox.worker": [sys.executable, "-c", "import agent.sandbox.worker"],
        "from agent import solve": [sys.executable, "-c", "from agent import solve"],
    }
    if node := shutil.which("node"):
        commands["node -e"] = [node, "-e", "console.log(1)"]
    times: dict[str, list[float]] = {name: [] for name in commands}
    times["worker spawn to ready"] = []
    for _ in range(repeat):
        for name, command in commands.items():
            times[name].append(wall(command))
        times["worker spawn to ready"].append(worker_ready())
    print(f"median of {repeat} (ms), interleaved:")
    node_ms = statistics.median(times["node -e"]) if node else None
    for name, values in times.items():
        median = statistics.median(values)
        versus = f"  {median / node_ms:5.2f}x node -e" if node_ms else ""
        print(f"  {name:28} {median:8.1f}{versus}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    main(parser.parse_args().repeat)
