"""Eval throughput with a scripted model (instant replies: what remains is jsolve's own cost per
case), side by side in one run: the local runner, and a local Ray instance with 1 and 2 actors.
Each setting runs `--rounds` times, interleaved; prints the median cases/s, the ratio to the local
runner, and what Ray adds per case.

    python bench/ray.py [--cases 2000] [--rounds 3] [--concurrency 8]

Run it with nothing else busy on the machine. The local Ray instance is started once, before
the timings (about 5 s here), and is not part of them; the actors' start is.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import time
from pathlib import Path

# This file is named ray.py, and a script's folder comes first on sys.path: without this line,
# `import ray` would import this file instead of Ray.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import ray
from pydantic_ai.messages import ModelResponse, TextPart
from pydantic_ai.models.function import FunctionModel
from ray import cloudpickle

from agent.evals import Case, run_cases
from agent.evals.ray_backend import RayBackend

cloudpickle.register_pickle_by_value(sys.modules[__name__])


def instant_model() -> FunctionModel:
    def answer(messages, info):
        number = re.search(r"Task (\d+)", str(messages[0].parts[-1].content)).group(1)
        return ModelResponse(parts=[TextPart(f"```js\nexport default {number};\n```")])

    return FunctionModel(answer, model_name="instant")


async def timed(cases: list[Case], concurrency: int, workers: int | None) -> float:
    backend = RayBackend("auto", workers=workers) if workers else None
    started = time.perf_counter()
    report = await run_cases(cases, model=instant_model(), concurrency=concurrency, max_attempts=1, backend=backend)
    elapsed = time.perf_counter() - started
    assert report.summary.solved == len(cases), report.summary
    return len(cases) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8, help="cases in flight (per actor on Ray)")
    args = parser.parse_args()
    cases = [Case(id=f"c{i}", instruction=f"Task {i}: give the number", output={"type": "integer"}, expected=i) for i in range(args.cases)]
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="WARNING")
    settings = {"local runner": None, "Ray, 1 actor": 1, "Ray, 2 actors": 2}
    rates: dict[str, list[float]] = {name: [] for name in settings}
    try:
        for _ in range(args.rounds):
            for name, workers in settings.items():
                rates[name].append(asyncio.run(timed(cases, args.concurrency, workers)))
    finally:
        ray.shutdown()
    local = statistics.median(rates["local runner"])
    print(f"{args.cases} cases, {args.rounds} rounds, {args.concurrency} in flight (per actor), medians:")
    for name, values in rates.items():
        rate = statistics.median(values)
        extra = (1 / rate - 1 / local) * 1000
        print(f"  {name:14} {rate:7.1f} cases/s  {rate / local:5.2f}x local  {extra:+6.2f} ms/case against local")


if __name__ == "__main__":
    main()
