"""The suite's `tools` cases solved two ways by the same model: calling the shop's tools (the case as
the suite has it), and with the shop's data pasted into the instruction as JSON instead (no tools),
where a case's answer can come from the data alone (the refund, which changes the world, cannot).
Prints, for each way: cases solved, output and input tokens, and seconds per case.

    python bench/tools_vs_data.py [--model embedded] [--limit N] [--way both|tools|pasted] [--out DIR]

The pasted data is every region, customer, product and order (with its line items) as compact
JSON, read through the tools themselves, so both ways see the same facts. One case at a time
(`--concurrency 1`): a pasted prompt takes several thousand tokens, and cases in parallel would
share a local model's context window. Each way's cases are appended to `--out`/<way>/results.jsonl as
they finish (an interrupted run keeps them), and its report written there at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import statistics
from pathlib import Path
from types import ModuleType
from typing import Any

from agent.evals import load_suite, run_cases
from agent.evals.report import Report
from agent.evals.suite import Case
from agent.sandbox import Sandbox

SUITE = Path(__file__).resolve().parents[1] / "evals" / "suite.yaml"
EFFECTS = ("issue_refund",)
"""Tools whose cases have no data-only form: their answer is what the call did."""


def shop_module(path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location("shop_for_bench", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def shop_data(shop: ModuleType) -> dict[str, Any]:
    """Every fact the tools can give, read through the tools."""
    orders: list[dict[str, Any]] = []
    for month in sorted({row[2][:7] for row in shop.ORDERS}):
        page: int | None = 1
        while page:
            listed = shop.orders_in(month, page)
            orders += [shop.order(o["id"]) for o in listed["orders"]]
            page = listed.get("next_page")
    regions = shop.regions()
    return {"regions": regions, "customers": [c for r in regions for c in shop.customers_in(r["code"])],
            "products": shop.search_products(), "orders": orders}


def pasted(case: Case, data_json: str) -> Case:
    instruction = f"{case.instruction}\n\nThe shop's data, as JSON (every region, customer, product and order):\n{data_json}"
    return case.model_copy(update={"instruction": instruction, "tools": None, "id": case.id + "-pasted"})


def summary(name: str, report: Report) -> str:
    results = report.results
    solved = sum(r.solved for r in results)
    out_tokens = sum(r.output_tokens for r in results)
    in_tokens = sum(r.input_tokens for r in results)
    seconds = statistics.median(r.total_ms / 1000 for r in results) if results else 0.0
    calls = sum(r.tool_calls for r in results)
    return (f"{name:<8} solved {solved}/{len(results)}  output tokens {out_tokens:,}  input tokens {in_tokens:,}  "
            f"tool calls {calls}  median {seconds:.1f} s/case")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=None, help="a model name (default: $JSOLVE_MODEL, then the embedded model)")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--out", type=Path, default=Path("tools_vs_data"))
    parser.add_argument("--way", choices=["both", "tools", "pasted"], default="both", help="run one way only")
    args = parser.parse_args()
    cases = [c for c in load_suite(SUITE) if c.category == "tools"][: args.limit]
    assert cases and cases[0].tools is not None
    data_json = json.dumps(shop_data(shop_module(cases[0].tools)), separators=(",", ":"))
    data_cases = [pasted(c, data_json) for c in cases if not any(name in (c.reference or "") for name in EFFECTS)]
    print(f"{len(cases)} tools cases; {len(data_cases)} with a data-only form; the pasted data is {len(data_json):,} characters of JSON")
    lines = []
    with Sandbox(1) as sandbox:
        for name, chosen in (("tools", cases), ("pasted", data_cases)):
            if args.way not in ("both", name):
                continue
            folder = args.out / name
            folder.mkdir(parents=True, exist_ok=True)
            with (folder / "results.jsonl").open("a", encoding="utf-8") as finished:  # kept if the run is interrupted
                report = asyncio.run(run_cases(chosen, model=args.model, concurrency=1, sandbox=sandbox, source=f"tools_vs_data:{name}",
                                               on_result=lambda r, out=finished: (out.write(r.model_dump_json() + "\n"), out.flush())))
            report.write(folder)
            lines.append(summary(name, report))
            print(lines[-1], flush=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
