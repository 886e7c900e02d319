"""Eval runner throughput with a scripted model: cases/s through one sandbox pool on this machine.

    python bench/evals.py [--cases 400] [--concurrency 32] [--rounds 5]

The model answers every case of the project's suite with its reference solution at once, so the
figure is the runner's own cost: solving (the round loop, extraction, pre-validation, the
sandbox run, the output check) and judging. Also prints the same cases through the sandbox alone,
side by side, so the ratio shows what the loop costs on top of running the code. A first round
warms the caches (output shapes, the agent) and is not counted.

Other load on the machine lowers the wall-clock figure (the load average is printed with it), so
the CPU time the run used is measured too (this process and its sandbox workers, from /proc): it
does not depend on other load, and gives what idle cores would sustain, bounded by the one
event-loop process.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from pathlib import Path

from pydantic_ai.messages import ModelResponse, TextPart, UserPromptPart
from pydantic_ai.models.function import FunctionModel

from agent.evals import load_suite, run_cases
from agent.sandbox import Sandbox

SUITE = Path(__file__).resolve().parents[1] / "evals" / "suite.yaml"


def cpu_seconds() -> tuple[float, float]:
    """CPU time used so far by this process, and by its live child processes (the sandbox workers)."""
    tick, me, children = os.sysconf("SC_CLK_TCK"), os.getpid(), 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me:  # the parent pid; then user and system time in clock ticks
            children += (int(fields[11]) + int(fields[12])) / tick
    return time.process_time(), children


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with Sandbox(1) as probe:  # the runner's cost is the point: keep the cases whose code runs in under 2 ms
        suite = [c for c in load_suite(SUITE) if not c.network and min(probe.run(c.reference).duration_ms for _ in range(3)) < 2.0]
    cases = [suite[i % len(suite)].model_copy(update={"id": f"{suite[i % len(suite)].id}#{i}"}) for i in range(args.cases)]
    replies = {c.instruction: f"```js\n{c.reference}```" for c in suite}

    by_prompt: dict[str, str] = {}

    async def answer(messages, info):  # async: a sync function would run on a thread per request
        prompt = next(p.content for p in messages[0].parts if isinstance(p, UserPromptPart))  # a repair adds feedback after it
        if prompt not in by_prompt:
            by_prompt[prompt] = next(reply for instruction, reply in replies.items() if prompt.startswith(f"Task: {instruction}\n"))
        return ModelResponse(parts=[TextPart(by_prompt[prompt])])

    model = FunctionModel(answer, model_name="reference")
    with Sandbox() as sandbox:
        async def sandbox_only() -> float:
            gate = asyncio.Semaphore(args.concurrency)

            async def one(code: str) -> None:
                async with gate:
                    await sandbox.run_async(code)

            t = time.perf_counter()
            await asyncio.gather(*(one(c.reference) for c in cases))
            return len(cases) / (time.perf_counter() - t)

        asyncio.run(run_cases(cases, model=model, sandbox=sandbox, concurrency=args.concurrency))  # warm-up
        rates, raw, main_cpu, worker_cpu, solved = [], [], [], [], 0
        for _ in range(args.rounds):
            t, (main0, workers0) = time.perf_counter(), cpu_seconds()
            report = asyncio.run(run_cases(cases, model=model, sandbox=sandbox, concurrency=args.concurrency))
            rates.append(len(cases) / (time.perf_counter() - t))
            main1, workers1 = cpu_seconds()
            main_cpu.append((main1 - main0) / len(cases))
            worker_cpu.append((workers1 - workers0) / len(cases))
            solved = report.summary.solved
            raw.append(asyncio.run(sandbox_only()))
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")
    print(f"{len(cases)} cases drawn from {len(suite)} suite cases whose code runs in under 2 ms, {sandbox.size} workers, concurrency {args.concurrency}, {args.rounds} rounds; solved {solved}/{len(cases)}")
    print(f"  eval runner:   median {statistics.median(rates):6.0f} cases/s   (runs: {', '.join(f'{r:.0f}' for r in rates)})   target >= 200")
    print(f"  sandbox alone: median {statistics.median(raw):6.0f} runs/s    (the loop costs {statistics.median(raw) / statistics.median(rates):.1f}x the runs)")
    main, workers = statistics.median(main_cpu), statistics.median(worker_cpu)
    cores = os.cpu_count() or 1
    idle = min(cores / (main + workers), 1 / main)
    print(f"  CPU per case:  {main * 1000:.2f} ms in the runner's process + {workers * 1000:.2f} ms in the workers"
          f"   -> {cores} idle cores would sustain about {idle:.0f} cases/s")


if __name__ == "__main__":
    main()
