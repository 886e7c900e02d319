"""The report of an eval run: per case, and over the run; as a table, JSON and an HTML page."""

from __future__ import annotations

import html
import json
import statistics
from collections import Counter
from pathlib import Path
from typing import Any

import pydantic
from rich.console import Console
from rich.table import Table

from agent.errors import UsageError
from agent.failures import well_formed

__all__ = ["Calibration", "CaseResult", "Report", "Summary", "compare_reports", "summarize"]

REPORT_VERSION = 2
"""2: cases carry their programs' agreement (`samples`, `programs`, `agreement`, `votes`,
`agreed`, `candidates`) and the summary a calibration table and the cost per case. Reports of
version 1 read with those empty."""

AGREEMENT_LEVELS = (0.5, 0.75, 1.0)
"""The `min_agreement` levels of the calibration table (0, every answer, is its first row)."""

MAX_CANDIDATE_VALUE = 300
"""Characters of a candidate value kept in a case's row."""


class CaseResult(pydantic.BaseModel):
    """What happened to one case."""

    @pydantic.model_validator(mode="before")
    @classmethod
    def _well_formed(cls, data: Any) -> Any:
        return well_formed(data)

    id: str
    category: str
    solved: bool
    """The final value passed the case's comparison."""
    attempts: int
    """Attempts the model made (0 when the model was unreachable)."""
    failure_kinds: list[str]
    """The failure kind of every failed attempt, in order."""
    final_failure: str | None
    """Why the case is not solved: the last failure's kind and message, or the comparison's verdict."""
    final_kind: str | None = None
    """The kind of `final_failure`: a solve failure kind (`runtime`, `schema`, `repeat`...), or
    `answer` when the value passed every check of the solve loop but is not the right answer."""
    input_tokens: int = 0
    output_tokens: int = 0
    model_ms: float = 0.0
    total_ms: float = 0.0
    error: str | None = None
    """Set when the case could not be run at all (the model was unreachable, or refused the request)."""
    samples: int = 1
    """Programs asked for per attempt."""
    programs: int = 0
    """Programs the model wrote in all (attempts x samples, at most)."""
    answered: bool = False
    """The solve gave a value (right or wrong), rather than failing."""
    agreement: float | None = None
    """Share of the passing programs that gave the final value (None: no value)."""
    votes: int = 0
    """Programs that gave the final value."""
    agreed: bool = False
    """At least two programs gave the final value, more than half of those that passed: what the
    CLI labels as agreed."""
    candidates: list[dict[str, Any]] = []
    """Each distinct passing value (cut to a few hundred characters) and how many programs gave it."""


class Calibration(pydantic.BaseModel):
    """Answers given at or above an agreement level, and how many were right."""

    min_agreement: float
    """0: every answer; above 0, also at least two programs agreeing."""
    answered: int
    right: int
    accuracy: float
    """right / answered (selective accuracy)."""
    coverage: float
    """answered / judged cases."""


class Summary(pydantic.BaseModel):
    """The run's figures. Rates are over the judged cases: a case the model could not be reached
    for says nothing about solving, so it counts in `errors` only."""

    cases: int
    """Cases that finished (judged, or errored)."""
    solved: int
    solve_rate: float
    """Solved within the full attempt budget."""
    pass_at_1: float
    """Solved by the first attempt alone."""
    uplift: float
    """solve_rate - pass_at_1: what the repair loop added."""
    attempts_to_success: dict[str, int]
    """How many solved cases needed 1, 2, ... attempts."""
    failure_kinds: dict[str, int]
    """Failed attempts counted by kind, over all cases."""
    final_failures: dict[str, int] = {}
    """Unsolved cases counted by the kind of their final failure (`answer`: a wrong value)."""
    latency_p50_ms: float
    latency_p95_ms: float
    input_tokens: int
    output_tokens: int
    errors: int
    """Cases that could not be run (model unreachable, or the request refused)."""
    model_ms_p50: float = 0.0
    """Median time in the model per judged case: the cost `samples` adds."""
    output_tokens_per_case: float = 0.0
    programs_per_case: float = 0.0
    calibration: list[Calibration] = []
    """Accuracy by agreement level: of the answers given with agreement >= each level, how many
    were right (empty when no case was answered)."""
    agreed: Calibration | None = None
    """The same for the answers the CLI labels as agreed."""


class Report(pydantic.BaseModel):
    """A whole run; `Report.model_validate_json` reads one back."""

    version: int = REPORT_VERSION
    model: str
    settings: dict[str, Any]
    """The knobs of the run: attempts budget, concurrency, sampling, source of the cases."""
    started: str
    duration_s: float
    planned: int = 0
    """Cases the run was asked to do; `summary.cases` finished."""
    interrupted: bool = False
    """Ctrl-C stopped the run; the report holds the cases that finished."""
    model_unavailable: str | None = None
    """The model could not be reached (after the provider retries), so the run stopped there."""
    summary: Summary
    results: list[CaseResult]

    @pydantic.model_validator(mode="after")
    def _older_versions(self) -> Report:
        """A version-1 report has no `answered`: its answered cases are the solved ones and the
        wrong answers."""
        if self.version < 2:
            for r in self.results:
                r.answered = r.solved or r.final_kind == "answer"
        return self

    def write(self, folder: Path) -> tuple[Path, Path]:
        """Write `report.json` and `report.html` into `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        data, page = folder / "report.json", folder / "report.html"
        data.write_text(self.model_dump_json(indent=1))
        page.write_text(render_html([self]))
        return data, page

    @classmethod
    def read(cls, path: Path) -> Report:
        try:
            return cls.model_validate_json(Path(path).read_text())
        except OSError as exc:
            raise UsageError(f"cannot read the report {path}: {exc.strerror}") from None
        except pydantic.ValidationError as exc:
            raise UsageError(f"{path} is not a jsolve eval report: {exc.errors()[0]['msg']}") from None


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def summarize(results: list[CaseResult]) -> Summary:
    judged = [r for r in results if r.error is None]
    n = len(judged)
    solved = [r for r in judged if r.solved]
    first = sum(1 for r in solved if r.attempts == 1)
    latencies = [r.total_ms for r in judged]
    return Summary(
        cases=len(results), solved=len(solved), solve_rate=len(solved) / n if n else 0.0, pass_at_1=first / n if n else 0.0,
        uplift=(len(solved) - first) / n if n else 0.0,
        attempts_to_success={str(k): v for k, v in sorted(Counter(r.attempts for r in solved).items())},
        failure_kinds=dict(Counter(kind for r in results for kind in r.failure_kinds).most_common()),
        final_failures=dict(Counter(r.final_kind for r in judged if not r.solved and r.final_kind).most_common()),
        latency_p50_ms=_percentile(latencies, 50), latency_p95_ms=_percentile(latencies, 95),
        input_tokens=sum(r.input_tokens for r in results), output_tokens=sum(r.output_tokens for r in results),
        errors=sum(1 for r in results if r.error is not None),
        model_ms_p50=_percentile([r.model_ms for r in judged], 50),
        output_tokens_per_case=sum(r.output_tokens for r in judged) / n if n else 0.0,
        programs_per_case=sum(r.programs for r in judged) / n if n else 0.0,
        calibration=[_calibrated(judged, level, lambda r, level=level: level == 0 or (r.votes >= 2 and (r.agreement or 0) >= level))
                     for level in (0.0, *AGREEMENT_LEVELS)] if any(r.answered for r in judged) else [],
        agreed=_calibrated(judged, 0.5, lambda r: r.agreed) if any(r.answered for r in judged) else None,
    )


def _calibrated(judged: list[CaseResult], level: float, counts: Any) -> Calibration:
    given = [r for r in judged if r.answered and counts(r)]
    right = sum(1 for r in given if r.solved)
    return Calibration(min_agreement=level, answered=len(given), right=right, accuracy=right / len(given) if given else 0.0,
                       coverage=len(given) / len(judged) if judged else 0.0)


def print_report(report: Report, console: Console | None = None) -> None:
    """The report as tables on the terminal."""
    console = console or Console()
    s = report.summary
    stopped = " (interrupted)" if report.interrupted else " (stopped: model unreachable)" if report.model_unavailable else ""
    table = Table(title=f"{report.model}: {s.solved}/{s.cases - s.errors} solved{stopped}", show_header=False)
    for label, value in [
        ("solve rate (full budget)", f"{s.solve_rate:.1%}"), ("pass@1 (first attempt)", f"{s.pass_at_1:.1%}"),
        ("uplift from repair", f"{s.uplift:+.1%}"), ("attempts to success", ", ".join(f"{k}: {v}" for k, v in s.attempts_to_success.items()) or "-"),
        ("failure kinds", ", ".join(f"{k}: {v}" for k, v in s.failure_kinds.items()) or "-"),
        ("unsolved, by final failure", ", ".join(f"{k}: {v}" for k, v in s.final_failures.items()) or "-"),
        ("cases finished / planned", f"{s.cases} / {report.planned or s.cases}"),
        ("latency p50 / p95", f"{s.latency_p50_ms / 1000:.2f} s / {s.latency_p95_ms / 1000:.2f} s"),
        ("model time p50, per case", f"{s.model_ms_p50 / 1000:.2f} s"),
        ("tokens in / out", f"{s.input_tokens} / {s.output_tokens}"),
        ("programs per case", f"{s.programs_per_case:.1f}"),
        ("agreed answers right", _calibration_text(s.agreed) if s.agreed else "-"),
        ("model unreachable", report.model_unavailable or "-"),
        ("settings", json.dumps(report.settings)), ("wall time", f"{report.duration_s:.1f} s"),
    ]:
        table.add_row(label, value)
    console.print(table)
    if s.calibration:
        console.print(calibration_table(s))
    failed = [r for r in report.results if not r.solved]
    if failed:
        cases = Table(title="not solved", show_lines=False)
        for column in ("case", "attempts", "final failure"):
            cases.add_column(column)
        for r in failed[:50]:
            cases.add_row(r.id, str(r.attempts), (r.error or r.final_failure or "")[:100])
        console.print(cases)


def _calibration_text(c: Calibration) -> str:
    return f"{c.right}/{c.answered} ({c.accuracy:.0%}), covering {c.coverage:.0%} of the cases"


def calibration_table(s: Summary) -> Table:
    """Accuracy by agreement level, as a table."""
    table = Table(title="answers by agreement (selective accuracy)")
    for column in ("min agreement", "answered", "right", "accuracy", "coverage"):
        table.add_column(column)
    for c in s.calibration:
        table.add_row("any" if c.min_agreement == 0 else f">= {c.min_agreement:.2f}, 2+ programs", str(c.answered), str(c.right),
                      f"{c.accuracy:.1%}", f"{c.coverage:.1%}")
    if s.agreed is not None:
        table.add_row("agreed (CLI label)", str(s.agreed.answered), str(s.agreed.right), f"{s.agreed.accuracy:.1%}", f"{s.agreed.coverage:.1%}")
    return table


def compare_reports(a: Report, b: Report) -> dict[str, Any]:
    """Side by side: the headline figures of two runs, and the cases whose outcome changed."""
    before, after = {r.id: r for r in a.results}, {r.id: r for r in b.results}
    common = sorted(before.keys() & after.keys())
    return {
        "a": {"model": a.model, **a.summary.model_dump(include=_COMPARED)},
        "b": {"model": b.model, **b.summary.model_dump(include=_COMPARED)},
        "newly_solved": [i for i in common if after[i].solved and not before[i].solved],
        "newly_failed": [i for i in common if before[i].solved and not after[i].solved],
        "only_in_a": sorted(before.keys() - after.keys()),
        "only_in_b": sorted(after.keys() - before.keys()),
    }


_COMPARED = {"cases", "solve_rate", "pass_at_1", "uplift", "latency_p50_ms", "model_ms_p50", "output_tokens",
             "output_tokens_per_case", "programs_per_case"}


def print_comparison(a: Report, b: Report, console: Console | None = None) -> None:
    console = console or Console()
    diff = compare_reports(a, b)
    table = Table(title="A vs B")
    for column in ("", "A", "B"):
        table.add_column(column)
    table.add_row("model", a.model, b.model)
    for key, fmt in [("cases", "{}"), ("solve_rate", "{:.1%}"), ("pass_at_1", "{:.1%}"), ("uplift", "{:+.1%}"), ("latency_p50_ms", "{:.0f} ms"),
                     ("model_ms_p50", "{:.0f} ms"), ("output_tokens", "{}"), ("output_tokens_per_case", "{:.0f}"), ("programs_per_case", "{:.1f}")]:
        table.add_row(key, fmt.format(diff["a"][key]), fmt.format(diff["b"][key]))
    for label, get in [("agreed answers right", lambda s: _calibration_text(s.agreed) if s.agreed else "-")]:
        table.add_row(label, get(a.summary), get(b.summary))
    console.print(table)
    console.print(f"newly solved in B: {', '.join(diff['newly_solved']) or '-'}")
    console.print(f"newly failed in B: {', '.join(diff['newly_failed']) or '-'}")


def _bars(title: str, series: list[dict[str, int]], names: list[str]) -> str:
    """An inline SVG bar chart: one group per key, one bar per run."""
    keys = sorted({k for s in series for k in s}, key=lambda k: (not k.isdigit(), int(k) if k.isdigit() else 0, k))
    if not keys:
        return f"<h3>{html.escape(title)}</h3><p>none</p>"
    top = max(v for s in series for v in s.values()) or 1
    colors = ["#3b7dd8", "#e8833a", "#55a868", "#c44e52"]
    bar, gap, height = 18, 14, 160
    width = len(keys) * (len(series) * bar + gap) + 40
    parts = [f'<svg width="{width}" height="{height + 40}" role="img" aria-label="{html.escape(title)}">']
    for i, key in enumerate(keys):
        x0 = 30 + i * (len(series) * bar + gap)
        for j, s in enumerate(series):
            v = s.get(key, 0)
            h = int(height * v / top)
            parts.append(f'<rect x="{x0 + j * bar}" y="{height - h + 10}" width="{bar - 2}" height="{h}" fill="{colors[j % 4]}">'
                         f"<title>{html.escape(names[j])}: {v}</title></rect>")
            parts.append(f'<text x="{x0 + j * bar + bar / 2 - 1}" y="{height - h + 6}" font-size="10" text-anchor="middle">{v}</text>')
        parts.append(f'<text x="{x0 + len(series) * bar / 2}" y="{height + 26}" font-size="11" text-anchor="middle">{html.escape(key)}</text>')
    parts.append("</svg>")
    return f"<h3>{html.escape(title)}</h3>" + "".join(parts)


def _agreement_cell(c: CaseResult) -> str:
    if not c.answered or c.agreement is None:
        return ""
    values = ", ".join(f"{json.dumps(x['value'], ensure_ascii=False)[:40]} ×{x['count']}" for x in c.candidates[:4])
    return html.escape(f"{c.votes} of {sum(x['count'] for x in c.candidates) or c.votes}" + (f" ({values})" if len(c.candidates) > 1 else ""))


def render_html(reports: list[Report]) -> str:
    """A self-contained page (no scripts, no network) for one run, or several side by side."""
    names = [f"{chr(65 + i)}: {r.model}" for i, r in enumerate(reports)]
    rows = "".join(
        f"<tr><th>{html.escape(label)}</th>" + "".join(f"<td>{html.escape(get(r))}</td>" for r in reports) + "</tr>"
        for label, get in [
            ("model", lambda r: r.model), ("cases", lambda r: f"{r.summary.solved} solved of {r.summary.cases - r.summary.errors} judged"
                                                                   + (f" ({r.summary.errors} not run: model unreachable)" if r.summary.errors else "")
                                                                   + (f"; {r.planned - r.summary.cases} never started" if r.planned > r.summary.cases else "")),
            ("solve rate", lambda r: f"{r.summary.solve_rate:.1%}"), ("pass@1", lambda r: f"{r.summary.pass_at_1:.1%}"),
            ("uplift from repair", lambda r: f"{r.summary.uplift:+.1%}"),
            ("unsolved, by final failure", lambda r: ", ".join(f"{k}: {v}" for k, v in r.summary.final_failures.items()) or "-"),
            ("stopped early", lambda r: "Ctrl-C" if r.interrupted else r.model_unavailable or "no"),
            ("latency p50 / p95", lambda r: f"{r.summary.latency_p50_ms / 1000:.2f} s / {r.summary.latency_p95_ms / 1000:.2f} s"),
            ("tokens in / out", lambda r: f"{r.summary.input_tokens} / {r.summary.output_tokens}"),
            ("model time p50, per case", lambda r: f"{r.summary.model_ms_p50 / 1000:.2f} s"),
            ("programs per case", lambda r: f"{r.summary.programs_per_case:.1f}"),
            ("agreed answers right", lambda r: _calibration_text(r.summary.agreed) if r.summary.agreed else "-"),
            ("settings", lambda r: json.dumps(r.settings)), ("started", lambda r: r.started),
        ]
    )
    calibration = "".join(
        f"<tr><th>{html.escape(label)}</th>" + "".join(f"<td>{html.escape(cell(r))}</td>" for r in reports) + "</tr>"
        for label, cell in [
            ("any" if level == 0 else f">= {level:.2f}, 2+ programs",
             lambda r, level=level: next((f"{c.right}/{c.answered} right ({c.accuracy:.0%}), {c.coverage:.0%} of cases"
                                          for c in r.summary.calibration if c.min_agreement == level), "-"))
            for level in (0.0, *AGREEMENT_LEVELS)
        ]
    )
    cases = "".join(
        f"<tr><td>{html.escape(c.id)}</td><td>{html.escape(c.category)}</td><td>{'✓' if c.solved else '✗'}</td><td>{c.attempts}</td>"
        f"<td>{_agreement_cell(c)}</td>"
        f"<td>{html.escape(', '.join(c.failure_kinds))}</td><td>{html.escape((c.error or c.final_failure or '')[:160])}</td></tr>"
        for c in reports[-1].results
    )
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>jsolve eval report</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}}th{{background:#f4f4f4}}.legend span{{margin-right:1.5em}}</style>
</head><body>
<h1>jsolve eval report</h1>
<table>{rows}</table>
<p class="legend">{"".join(f'<span style="color:{c}">■ {html.escape(n)}</span>' for n, c in zip(names, ["#3b7dd8", "#e8833a", "#55a868", "#c44e52"]))}</p>
{_bars("Attempts to success (solved cases)", [r.summary.attempts_to_success for r in reports], names)}
{_bars("Failure kinds (failed attempts)", [r.summary.failure_kinds for r in reports], names)}
<h3>Answers by agreement (selective accuracy)</h3>
<table>{calibration}</table>
<h2>Cases ({html.escape(names[-1])})</h2>
<table><tr><th>case</th><th>category</th><th>solved</th><th>attempts</th><th>agreement</th><th>failure kinds</th><th>final failure</th></tr>{cases}</table>
</body></html>
"""
