"""How big the report of a large run is, and how fast a browser opens its page.

    python bench/report_size.py [--cases 1000] [--attempts 4] [--repeat 5]

Builds the report of a run of `--cases` unsolved cases of `--attempts` programs each (code,
feedback and values of the sizes the embedded model writes: about 600 and 450 characters),
writes report.json and report.html, and prints their sizes. With chromium installed, it times
headless chromium loading the page to its DOM against an empty page, side by side (medians).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from agent.evals.report import CaseResult, ProgramRecord, Report, summarize

CODE = """function main() {
  const rows = [];
  for (let year = 1901; year <= 2000; year++) {
    for (let month = 0; month < 12; month++) {
      const day = new Date(Date.UTC(year, month, 1)).getUTCDay();
      if (day === 0) rows.push(`${year}-${String(month + 1).padStart(2, "0")}`);
    }
  }
  // count the first-of-month Sundays, as the task asks, and check the bounds once more
  return rows.filter((r) => r >= "1901-01" && r <= "2000-12").length;
}
export default main();
"""

FEEDBACK = ("Your code failed. runtime error at line 6, column 22: TypeError: cannot read property 'push' of undefined\n"
            "Line 6 is: if (day === 0) rows.push(`${year}-${String(month + 1).padStart(2, \"0\")}`);\n"
            "Hint: Read the error and the line, then fix the logic that leads there.\n"
            "Write the whole module again, fixed, in one ```js code block.")


def report(cases: int, attempts: int) -> Report:
    results = []
    for i in range(cases):
        history = [ProgramRecord(number=n, code=CODE.replace("1901", str(1901 + n)), failure_kind="runtime",
                                 failure="cannot read property 'push' of undefined", feedback=FEEDBACK, model_ms=9000.0, run_ms=1.2,
                                 output_tokens=180) for n in range(1, attempts + 1)]
        results.append(CaseResult(id=f"case-{i:04d}", category=f"category {i % 12}", solved=False, attempts=attempts,
                                  failure_kinds=["runtime"] * attempts, final_failure="runtime: cannot read property 'push' of undefined",
                                  final_kind="runtime", instruction="How many Sundays fell on the first of a month from 1901 to 2000? " * 2,
                                  compare="exact", expected=171, history=history, total_ms=36000.0))
    return Report(model="bench", settings={}, started="", duration_s=0.0, summary=summarize(results), results=results)


def load_ms(chromium: str, page: Path) -> float:
    started = time.perf_counter()
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri()],
                   capture_output=True, check=True, timeout=120)
    return (time.perf_counter() - started) * 1000


def main(cases: int, attempts: int, repeat: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="jsolve-bench-report-"))
    data, page = report(cases, attempts).write(folder)
    print(f"{cases} cases x {attempts} programs: report.json {data.stat().st_size / 1e6:.1f} MB, report.html {page.stat().st_size / 1e6:.1f} MB")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if chromium is None:
        print("no chromium on PATH: page load not timed")
        return
    empty = folder / "empty.html"
    empty.write_text("<!doctype html><title>empty</title>")
    times: dict[str, list[float]] = {"empty page": [], "report.html": []}
    for _ in range(repeat):
        times["empty page"].append(load_ms(chromium, empty))
        times["report.html"].append(load_ms(chromium, page))
    base = statistics.median(times["empty page"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  headless chromium to DOM, {name:12} median {median:7.0f} ms  (the page's own share: {median - base:+.0f} ms)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--attempts", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    main(args.cases, args.attempts, args.repeat)
