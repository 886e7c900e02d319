"""Model time of one round with `samples=k` against `samples=1`, on the embedded model.

    python bench/samples.py [--cases 8] [--k 4] [--suite evals/suite.yaml]

For each of the first N value cases of the suite, side by side in one run: the greedy reply
(what `samples=1` asks for first), then the k-1 extra programs of a `samples=k` round in one
request for n choices at the sample temperature (llama.cpp reads the prompt once, from its cache
after the greedy request, and decodes the replies together). Prints the medians per case and the
ratio of a k-round to a 1-round, and the output tokens. Needs the `local` extra; run it with
nothing else busy on the machine (llama.cpp's threads wait for each other).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

from pydantic_ai.messages import ModelRequest, UserPromptPart
from pydantic_ai.settings import ModelSettings

from agent.core.loop import DEFAULT_SAMPLE_TEMPERATURE, SolveSettings, _task
from agent.core.shape import OutputShape
from agent.evals.suite import load_suite
from agent.models.client import request_replies, resolve_model
from agent.prompts import system


async def main(cases: int, k: int, suite: Path) -> None:
    model = resolve_model(None)
    chosen = [c for c in load_suite(suite) if c.compare != "tests" and not c.network][:cases]
    max_tokens = SolveSettings().max_tokens
    one_ms, k_ms, one_tokens, k_tokens = [], [], [], []
    for case in chosen:
        messages = [ModelRequest(parts=[UserPromptPart(_task(case.instruction, OutputShape.of(case.output)))],
                                 instructions=system(None))]
        started = time.perf_counter()
        greedy = await request_replies(model, list(messages), ModelSettings(temperature=0.0, max_tokens=max_tokens), 1)
        one = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        extra = await request_replies(model, list(messages), ModelSettings(temperature=DEFAULT_SAMPLE_TEMPERATURE,
                                                                           max_tokens=max_tokens), k - 1)
        more = (time.perf_counter() - started) * 1000
        one_ms.append(one)
        k_ms.append(one + more)
        one_tokens.append(greedy[0].usage.output_tokens)
        k_tokens.append(sum(r.usage.output_tokens for r in greedy + extra))
        print(f"{case.id:32} samples=1 {one / 1000:6.1f} s   samples={k} {(one + more) / 1000:6.1f} s   "
              f"ratio {(one + more) / one:4.2f}   {len(extra)} extra replies", flush=True)
    m1, mk = statistics.median(one_ms), statistics.median(k_ms)
    print(f"\nmedian per case over {len(chosen)} cases: samples=1 {m1 / 1000:.1f} s, samples={k} {mk / 1000:.1f} s, "
          f"ratio of medians {mk / m1:.2f}, median of ratios {statistics.median(b / a for a, b in zip(one_ms, k_ms)):.2f}")
    print(f"output tokens per case (as the server reports them): samples=1 {statistics.median(one_tokens):.0f}, "
          f"samples={k} {statistics.median(k_tokens):.0f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=8)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--suite", type=Path, default=Path("evals/suite.yaml"))
    args = parser.parse_args()
    asyncio.run(main(args.cases, args.k, args.suite))
