"""Pipeline overhead per attempt with a scripted model, and solves/s through one sandbox pool.

    python bench/solve.py [--rounds 300] [--concurrency 16]

Prints medians of: extract + pre-validate, sandbox run + output check, the stages together
(the pipeline's own overhead), and a whole solve with an instant model (adding the round
loop); then solves/s with N concurrent solves on one pool. Measured side by side in one run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from pydantic_ai.messages import ModelResponse, TextPart
from pydantic_ai.models.function import FunctionModel

from agent import asolve
from agent.core.extract import extract_code
from agent.core.shape import OutputShape
from agent.core.validate import prevalidate
from agent.sandbox import Sandbox

MODULE = """\
// Totals per region from inline CSV, rounded to cents.
const csv = `region,amount
north,12.50
south,3.25
north,7.10
east,4.00
south,1.15
west,9.99
east,0.01`;

function parse(text) {
  const [header, ...lines] = text.trim().split("\\n");
  const keys = header.split(",");
  return lines.map((line) => {
    const cells = line.split(",");
    return Object.fromEntries(keys.map((k, i) => [k, cells[i]]));
  });
}

const totals = new Map();
for (const row of parse(csv)) {
  const amount = Number(row.amount);
  totals.set(row.region, (totals.get(row.region) ?? 0) + amount);
}

const result = [...totals]
  .map(([region, total]) => ({ region, total: Math.round(total * 100) / 100 }))
  .sort((a, b) => a.region.localeCompare(b.region));

export default result;
"""
REPLY = f"Here it is:\n```js\n{MODULE}```\n"
SHAPE = {"type": "array", "items": {"type": "object", "properties": {"region": {"type": "string"}, "total": {"type": "number"}},
                                    "required": ["region", "total"]}}


def instant_model() -> FunctionModel:
    return FunctionModel(lambda messages, info: ModelResponse(parts=[TextPart(REPLY)]), model_name="instant")


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    assert MODULE.count("\n") == 30
    shape = OutputShape.of(SHAPE)
    with Sandbox() as sandbox:
        for _ in range(20):
            sandbox.run(MODULE)
        validate, run, stages, whole = [], [], [], []
        model = instant_model()

        async def one_solve() -> None:
            s = await asolve("Totals per region.", output=SHAPE, model=model, sandbox=sandbox)
            assert len(s.attempts) == 1

        loop = asyncio.new_event_loop()
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            code = extract_code(REPLY)
            assert isinstance(code, str) and prevalidate(code) is None
            t1 = time.perf_counter()
            result = sandbox.run(code)
            assert result.ok and not hasattr(shape.check(result.value), "kind")
            t2 = time.perf_counter()
            loop.run_until_complete(one_solve())
            t3 = time.perf_counter()
            validate.append(t1 - t0)
            run.append(t2 - t1)
            stages.append(t2 - t0)
            whole.append(t3 - t2)
        print(f"30-line module, {args.rounds} rounds, medians:")
        print(f"  extract + pre-validate        {median_ms(validate):7.3f} ms")
        print(f"  sandbox run + output check    {median_ms(run):7.3f} ms")
        print(f"  pipeline overhead per attempt {median_ms(stages):7.3f} ms   (target < 2 ms)")
        print(f"  whole solve, instant model    {median_ms(whole):7.3f} ms   ({median_ms(whole) / median_ms(stages):.2f}x the stages: the round loop)")

        async def many(n: int) -> float:
            semaphore = asyncio.Semaphore(args.concurrency)

            async def guarded() -> None:
                async with semaphore:
                    await one_solve()

            t = time.perf_counter()
            await asyncio.gather(*(guarded() for _ in range(n)))
            return n / (time.perf_counter() - t)

        rates = [loop.run_until_complete(many(400)) for _ in range(3)]
        print(f"  solves/s, {sandbox.size} workers, {args.concurrency} concurrent: median {statistics.median(rates):.0f} (runs: {', '.join(f'{r:.0f}' for r in rates)})")
        loop.close()


if __name__ == "__main__":
    main()
