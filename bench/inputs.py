"""What inputs cost: a run's overhead with a 1 MB and a 20 MB input, and the prompt's size.

    python bench/inputs.py [--repeat 7] [--tokenize]

Per-run time, side by side in one run on one warm worker: the same trivial module without
inputs, then with a JSON document (an array of objects) and with the rows of a CSV file of about
1 MB and 20 MB as JSON, the same `Inputs` each time (so the worker keeps the text and only parses
and freezes it; the first run, which also sends it, is reported apart). Then the task prompt of
a 100,000-row CSV task described (`describe_inputs`) against the same prompt with the file pasted.
Tokens are counted by the embedded model's tokenizer with --tokenize (the `local` extra: the
model is loaded, nothing is generated), else estimated at 4 characters a token.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from agent.core.data import describe_inputs, load_inputs
from agent.core.loop import _task
from agent.core.shape import OutputShape
from agent.sandbox import Sandbox
from agent.sandbox.inputs import Inputs

CODE = "export default typeof data === 'undefined' ? 0 : data.length;"


def table(rows: int, seed: int = 1) -> list[dict]:
    rng = random.Random(seed)
    return [{"id": i, "date": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", "region": rng.choice(["north", "south", "east", "west"]),
             "customer": f"C{rng.randint(1, 5000):05d}", "amount": round(rng.uniform(1, 500), 2), "note": rng.choice(["", "gift", "repeat order"])}
            for i in range(rows)]


def write_csv(rows: list[dict], path: Path) -> Path:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def rows_for(megabytes: float) -> int:
    per_row = len(json.dumps(table(200), separators=(",", ":"))) / 200
    return int(megabytes * 1e6 / per_row)


def timed(sandbox: Sandbox, inputs: Inputs | None, repeat: int) -> tuple[float, list[float]]:
    started = time.perf_counter()
    first = sandbox.run(CODE, inputs=inputs)
    first_ms = (time.perf_counter() - started) * 1000
    assert first.ok, first.error
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        assert sandbox.run(CODE, inputs=inputs).ok
        times.append((time.perf_counter() - started) * 1000)
    return first_ms, times


def token_counter(tokenize: bool):
    if not tokenize:
        return lambda text: len(text) / 4, "estimated at 4 chars/token"
    import httpx

    from agent.models.local import shared_server

    server = shared_server()
    root = server.base_url.removesuffix("/v1")
    client = httpx.Client(headers={"Authorization": f"Bearer {server.api_key}"}, timeout=600)
    return lambda text: len(client.post(f"{root}/tokenize", json={"content": text}).json()["tokens"]), "the embedded model's tokenizer"


def main(repeat: int, tokenize: bool) -> None:
    folder = Path(tempfile.mkdtemp(prefix="jsolve-bench-inputs-"))
    cases: list[tuple[str, Inputs]] = []
    for megabytes in (1, 20):
        rows = table(rows_for(megabytes))
        cases.append((f"JSON {megabytes} MB", Inputs({"data": rows})))
        loaded = load_inputs({"data": write_csv(rows, folder / f"t{megabytes}.csv")})
        cases.append((f"CSV {megabytes} MB", loaded))
    with Sandbox(1) as sandbox:
        sandbox.run(CODE)
        _, base = timed(sandbox, None, repeat)
        base_ms = statistics.median(base)
        print(f"per-run time, median of {repeat} on one warm worker (first run, which sends the text, apart)")
        print(f"  {'no input':14} {base_ms:9.1f} ms")
        for label, inputs in cases:
            first_ms, times = timed(sandbox, inputs, repeat)
            median = statistics.median(times)
            print(f"  {label:14} {median:9.1f} ms  overhead {median - base_ms:8.1f} ms  ({median / base_ms:6.0f}x)  "
                  f"first run {first_ms:8.1f} ms  JSON {inputs.bytes / 1e6:5.1f} MB  engine limit {inputs.widen(sandbox.limits).memory_mb} MiB")
    rows = table(100_000)
    path = write_csv(rows, folder / "sales.csv")
    instruction = "Total amount per region, largest first."
    shape = OutputShape.of(None)
    loaded = load_inputs({"sales": path})
    started = time.perf_counter()
    described = _task(instruction, shape, describe_inputs(loaded))
    describe_ms = (time.perf_counter() - started) * 1000
    pasted = _task(f"{instruction}\n\n{path.read_text()}", shape)
    count, how = token_counter(tokenize)
    described_tokens, pasted_tokens = count(described), count(pasted)
    print(f"prompt of a 100,000-row CSV task ({path.stat().st_size / 1e6:.1f} MB), tokens {how}:")
    print(f"  described: {len(described):,} chars, {described_tokens:,.0f} tokens (described in {describe_ms:.0f} ms)")
    print(f"  pasted:    {len(pasted):,} chars, {pasted_tokens:,.0f} tokens ({pasted_tokens / described_tokens:,.0f}x)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--tokenize", action="store_true")
    args = parser.parse_args()
    main(args.repeat, args.tokenize)
