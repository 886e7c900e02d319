"""How big the report of a large run is, and how fast a browser opens its page.

    python bench/report_size.py [--cases 1000] [--attempts 4] [--repeat 5]

Builds the report of a run of `--cases` unsolved cases of `--attempts` programs each (code,
feedback and values of the sizes the embedded model writes: about 600 and 450 characters),
writes report.json and report.html, and prints their sizes. With chromium installed, it times
headless chromium opening the page against an empty page, side by side (medians): the wall time
of `chromium --dump-dom` (browser start included), and, read inside the page, the time to its
`load` event and the time to open the first case (its story rendered and laid out). The page as
written (its stories rendered when a case is opened, past `EAGER_STORIES`) is measured beside
the same page with every story in its rows.

"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from agent.evals.report import CaseResult, ProgramRecord, Report, render_html, summarize

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


PROBE = """<script>addEventListener('load', () => {
  const loaded = performance.getEntriesByType('navigation')[0].loadEventStart, started = performance.now();
  const row = document.querySelector('#cases details');
  row.open = true;
  row.dispatchEvent(new Event('toggle'));
  void row.getBoundingClientRect().height;
  const open = performance.now() - started;
  document.title = JSON.stringify({load: loaded, open, programs: row.querySelectorAll('pre.code').length});
});</script>"""
"""Measures, inside the page, the time to its load event and to open its first case."""


def opened(chromium: str, page: Path) -> tuple[float, float, float, int]:
    """Wall ms of `--dump-dom`, the page's own load and open times in ms, and the programs the
    opened case shows (its story was rendered)."""
    started = time.perf_counter()
    done = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                           "--no-first-run", "--dump-dom", page.as_uri()], capture_output=True, text=True, check=True, timeout=120)
    wall = (time.perf_counter() - started) * 1000
    found = re.search(r"<title>(\{.*?\})</title>", done.stdout)
    inner = json.loads(found.group(1)) if found else {"load": float("nan"), "open": float("nan"), "programs": 0}
    return wall, inner["load"], inner["open"], inner["programs"]


def main(cases: int, attempts: int, repeat: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="jsolve-bench-report-"))
    run = report(cases, attempts)
    data, page = run.write(folder)
    eager = folder / "eager.html"
    eager.write_text(render_html([run], lazy=False))
    print(f"{cases} cases x {attempts} programs: report.json {data.stat().st_size / 1e6:.1f} MB, "
          f"report.html {page.stat().st_size / 1e6:.1f} MB (every story in its rows: {eager.stat().st_size / 1e6:.1f} MB)")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if chromium is None:
        print("no chromium on PATH: page load not timed")
        return
    empty = folder / "empty.html"
    empty.write_text("<!doctype html><title>empty</title><div id=cases><details><summary>x</summary>y</details></div>")
    pages = {"empty page": empty, "report.html": page, "stories in rows": eager}
    probed = {name: folder / f"probed-{path.name}" for name, path in pages.items()}
    for name, path in pages.items():
        probed[name].write_text(path.read_text().replace("</body>", PROBE + "</body>") if "</body>" in path.read_text()
                                else path.read_text() + PROBE)
    times: dict[str, list[tuple[float, float, float, int]]] = {name: [] for name in pages}
    for _ in range(repeat):
        for name in pages:
            times[name].append(opened(chromium, probed[name]))
    base = statistics.median(t[0] for t in times["empty page"])
    for name, values in times.items():
        wall, load, open_ = (statistics.median(t[i] for t in values) for i in range(3))
        print(f"  {name:16} chromium --dump-dom {wall:6.0f} ms ({wall - base:+6.0f} ms against the empty page), "
              f"in the page: load event at {load:6.0f} ms, opening a case {open_:5.1f} ms (it shows {values[0][3]} programs)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--attempts", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    main(args.cases, args.attempts, args.repeat)
