"""The report of an eval run: per case, and over the run; as a table, JSON and an HTML page."""

from __future__ import annotations

import difflib
import html
import json
import re
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pydantic
from pydantic_core import to_jsonable_python
from rich.console import Console
from rich.table import Table
from rich.text import Text

from agent.errors import UsageError
from agent.failure_kinds import FailureKind
from agent.text import clip, json_text, shown, visible, well_formed

if TYPE_CHECKING:
    from agent.core.loop import Attempt
    from agent.tools.registry import ToolCall

__all__ = ["Calibration", "CallRecord", "CaseResult", "FinalKind", "ProgramRecord", "Report", "Summary", "Verdict", "compare_reports", "summarize"]

REPORT_VERSION = 4
"""4: cases and programs carry their tool calls (`tool_calls`, and each program's `calls`), and
the summary the calls per case. 3: cases carry their story: the instruction, the expected value and how it is compared, the
final value, and every program (`history`: code, failure, feedback, value, timings, tokens).
2: cases carry their programs' agreement (`samples`, `programs`, `agreement`, `votes`,
`agreed`, `candidates`) and the summary a calibration table and the cost per case. Older
reports read with what they lack empty."""

AGREEMENT_LEVELS = (0.5, 0.75, 1.0)
"""The `min_agreement` levels of the calibration table (0, every answer, is its first row)."""

MAX_CANDIDATE_VALUE = 300
"""Characters of a candidate value kept in a case's row."""

MAX_KEPT_VALUE = 2000
"""Characters of a final, expected or program value kept in a case's story."""

MAX_KEPT_LOGS = 20
"""Console lines of a program kept in a case's story (each cut to `MAX_KEPT_LINE`)."""

MAX_KEPT_LINE = 300

MAX_KEPT_CALLS = 30
"""Tool calls of a program kept in a case's story: enough to follow a program's loop over pages
and lookups; `ProgramRecord.tool_calls` counts them all."""

MAX_KEPT_CALL_TEXT = 300
"""Characters kept of a call's arguments, and of its result or error, in a case's story (the
solve's own record keeps `agent.tools.registry.RECORD_CHARS`; a report holds thousands)."""

Verdict = Literal["solved", "wrong", "failed", "rejected", "error"]
"""What became of a case (`CaseResult.verdict`). Not a failure kind, though a failed case has one:

- `solved`: the solve gave a value, and it is the right answer.
- `wrong`: the solve gave a value that passed every check of the solve loop, but it is not the
  right answer.
- `failed`: the solve failed; `final_kind` is its last failure's kind (`agent.failure_kinds`).
- `rejected`: the model refused this case's request (too long, say); the next case may pass.
- `error`: the case could not be run: the model could not be reached or refuses every request
  (the run stops there), or the Ray worker running it was lost twice.
"""

FinalKind = Literal[FailureKind, "answer", "rejected"]
"""`CaseResult.final_kind` as the report file holds it: the last failure's kind of a `failed`
case, `answer` for a `wrong` one, `rejected` for a `rejected` one (see `Verdict`)."""


def cut_value(value: Any, limit: int = MAX_KEPT_VALUE) -> Any:
    """`value` as JSON data, or its JSON text cut to `limit` characters and marked with "..."."""
    data = to_jsonable_python(value)
    text = json_text(data)
    return data if len(text) <= limit else clip(text, limit)


class CallRecord(pydantic.BaseModel):
    """One tool call of a program, as a case's story shows it (`agent.tools.ToolCall`, cut)."""

    tool: str
    arguments: str
    """The arguments as JSON, cut to `MAX_KEPT_CALL_TEXT` characters."""
    result: str | None = None
    """The result as JSON, cut; None when the call failed."""
    error: str | None = None
    """Why the call failed (`invalid`, `raised` or `unknown`, and the message), cut; None when it gave a value."""
    ms: float = 0.0
    replayed: bool = False
    """The result came from the solve's record of effects instead of running the tool again."""

    @classmethod
    def of(cls, call: ToolCall) -> CallRecord:
        """The record of one call, its texts cut to the report's limits."""
        error = f"{call.error.kind}: {call.error.message}" if call.error is not None else None
        return cls(tool=call.tool, arguments=clip(call.arguments, MAX_KEPT_CALL_TEXT), result=None if call.result is None else clip(call.result, MAX_KEPT_CALL_TEXT),
                   error=None if error is None else clip(error, MAX_KEPT_CALL_TEXT), ms=call.ms, replayed=call.replayed)

    def describe(self) -> str:
        """One line: `orders_in({"month":"2026-03"}) -> {...}`."""
        outcome = self.result if self.error is None else f"✗ {self.error}"
        return f"{self.tool}({self.arguments}) -> {outcome}" + (" (replayed)" if self.replayed else "")


class ProgramRecord(pydantic.BaseModel):
    """One program of a case, as a person debugging the case reads it.

    The report's own form of a solve's attempt (`agent.core.outcome.AttemptRecord` is what
    `jsolve solve --json` prints of one): the failure flat (`failure_kind`, and its message as
    `failure`), the passing value kept (cut), the logs cut, no validation time or input tokens,
    times unrounded. Report files of version 3 hold this shape, and `Report.read` reads them."""

    number: int
    """The attempt (round) it was written in."""
    candidate: int = 1
    """Its place in the round (with `samples` > 1)."""
    code: str | None
    """The module extracted from the reply (None: the reply held none)."""
    failure_kind: FailureKind | None = None
    failure: str | None = None
    """What went wrong (the failure's message); None when the program passed."""
    feedback: str | None = None
    """The text about its failure, as the model was sent it."""
    value: Any = None
    """Its checked value, when it passed (cut to `MAX_KEPT_VALUE` characters of JSON)."""
    logs: list[str] = []
    """What it printed: the first `MAX_KEPT_LOGS` lines, each cut to `MAX_KEPT_LINE` characters."""
    model_ms: float = 0.0
    """Time waiting for the model's reply (a request for several programs counts on its first)."""
    run_ms: float = 0.0
    """Time to run it in the sandbox and check its value."""
    output_tokens: int = 0
    """Tokens of the reply (on a request's first program only)."""
    tool_calls: int = 0
    """Tool calls it made (replays of recorded effects included)."""
    calls: list[CallRecord] = []
    """Its first `MAX_KEPT_CALLS` tool calls, in the order it made them, each cut."""

    @classmethod
    def of(cls, attempt: Attempt) -> ProgramRecord:
        """The record of one of a solve's programs, its value, logs and calls cut to the report's limits."""
        failure = attempt.failure
        return cls(number=attempt.number, candidate=attempt.candidate, code=attempt.code,
                   failure_kind=failure.kind if failure else None, failure=failure.message if failure else None,
                   feedback=attempt.feedback, value=cut_value(attempt.value) if attempt.ok else None,
                   logs=[line[:MAX_KEPT_LINE] for line in attempt.logs[:MAX_KEPT_LOGS]], model_ms=attempt.model_ms,
                   run_ms=attempt.run_ms, output_tokens=attempt.usage.output_tokens, tool_calls=len(attempt.tool_calls),
                   calls=[CallRecord.of(call) for call in attempt.tool_calls[:MAX_KEPT_CALLS]])


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
    failure_kinds: list[FailureKind]
    """The failure kind of every failed attempt, in order."""
    final_failure: str | None
    """Why the case is not solved: the last failure's kind and message, or the comparison's verdict."""
    final_kind: FinalKind | None = None
    """The kind of `final_failure`, by the case's `verdict`: a failure kind when it `failed`,
    `answer` when it is `wrong`, `rejected` when `rejected`; None otherwise."""
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
    instruction: str = ""
    """What the model was asked (a benchmark problem's prompt)."""
    expected: Any = None
    """The right answer, when the case has one (cut like values)."""
    compare: str = ""
    """How the answer is compared: exact, approx, unordered, js, or tests (a function graded by
    the benchmark's tests, which are not shown here)."""
    value: Any = None
    """The final value the solve answered with (cut like values)."""
    history: list[ProgramRecord] = []
    """Every program the model wrote for the case, in order."""
    tool_calls: int = 0
    """Tool calls made by all of its programs (each program's are in `history`)."""

    @property
    def verdict(self) -> Verdict:
        """What became of the case, from what the report file holds."""
        if self.solved:
            return "solved"
        if self.error is not None:
            return "rejected" if self.final_kind == "rejected" else "error"
        return "wrong" if self.final_kind == "answer" else "failed"


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
    tool_calls_per_case: float = 0.0
    """Tool calls per judged case, over all its programs."""
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
                r.answered = r.verdict in ("solved", "wrong")
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
        """The report at `path`: a `report.json`, or a report folder (its `report.json`, or the
        `results.jsonl` of a run that was stopped before it wrote one)."""
        path = Path(path)
        if path.is_dir():
            if not (path / "report.json").exists() and (path / "results.jsonl").exists():
                return cls._from_results(path / "results.jsonl")
            path = path / "report.json"
        try:
            return cls.model_validate_json(path.read_text())
        except OSError as exc:
            raise UsageError(f"cannot read the report {path}: {exc.strerror}") from None
        except pydantic.ValidationError as exc:
            raise UsageError(f"{path} is not a jsolve eval report: {exc.errors()[0]['msg']}") from None

    @classmethod
    def _from_results(cls, path: Path) -> Report:
        results = []
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                results.append(CaseResult.model_validate_json(line))
            except pydantic.ValidationError as exc:
                if number == len(lines):
                    break  # the line being written when the run was killed
                raise UsageError(f"{path}: line {number} is not a case result: {exc.errors()[0]['msg']}") from None
        return cls(model="(read from results.jsonl)", settings={}, started="", duration_s=0.0, planned=len(results), interrupted=True,
                   summary=summarize(results), results=results)


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
        tool_calls_per_case=sum(r.tool_calls for r in judged) / n if n else 0.0,
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
    """The report as tables on the terminal; its texts (a report file may be anyone's) are shown
    `visible`, never as markup."""
    console = console or Console()
    s = report.summary
    stopped = " (interrupted)" if report.interrupted else " (stopped: model unreachable)" if report.model_unavailable else ""
    table = Table(title=shown(f"{report.model}: {s.solved}/{s.cases - s.errors} solved{stopped}"), show_header=False)
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
        table.add_row(label, shown(value))
    console.print(table)
    if s.calibration:
        console.print(calibration_table(s))
    failed = [r for r in report.results if not r.solved]
    if failed:
        cases = Table(title="not solved", show_lines=False)
        for column in ("case", "attempts", "final failure"):
            cases.add_column(column)
        for r in failed[:50]:
            cases.add_row(shown(r.id), str(r.attempts), shown((r.error or r.final_failure or "")[:100]))
        console.print(cases)


def print_stories(report: Report, console: Console | None = None, *, case: str | None = None) -> None:
    """Each case's story on the terminal: the unsolved cases (or the one named `case`), each with
    its instruction, what was expected and what came out, and every program with its code and
    the feedback the model was sent. What the report holds is shown `visible`, never as markup."""
    from rich.panel import Panel
    from rich.syntax import Syntax

    console = console or Console()
    if case is not None:
        chosen = [r for r in report.results if r.id == case]
        if not chosen:
            near = [r.id for r in report.results if case in r.id][:5]
            raise UsageError(f"the report has no case {case!r}" + (f"; did you mean {', '.join(near)}?" if near else ""))
    else:
        chosen = [r for r in report.results if not r.solved]
        if not chosen:
            console.print(f"every case of the {len(report.results)} in the report was solved")
            return
    for r in chosen:
        verdict = Text("solved", style="green") if r.solved else Text.assemble(("not solved", "red"), visible(f" ({r.final_kind or 'error'})"))
        console.rule(Text.assemble((visible(r.id), "bold"), visible(f" · {r.category} · "), verdict,
                                   f" · {r.attempts} attempt(s), {r.programs or r.attempts} program(s)"))
        if r.instruction:
            console.print(Panel(shown(clip(r.instruction, 1500, marker=" ...")), title="instruction", title_align="left"))
        if r.compare:
            expected = json_text(r.expected, indent=None) if r.compare != "tests" else "(graded by the benchmark's tests)"
            console.print(Text.assemble(("expected", "bold"), visible(f" ({r.compare}): {expected}")))
        if r.answered and (r.history or r.value is not None):
            console.print(Text.assemble(("got", "bold"), visible(f": {json_text(r.value)}"),
                                        f"   (agreement {r.agreement:.2f}, {r.votes} program(s))" if r.agreement is not None else ""))
        if r.error or r.final_failure:
            console.print(Text.assemble(("final", "bold"), visible(f": {r.error or r.final_failure}")))
        if not r.history and r.attempts:
            console.print("[dim](this report predates per-attempt stories: no code recorded)[/]")
        for p in r.history:
            label = f"attempt {p.number}" + (f", program {p.candidate}" if r.samples > 1 else "")
            outcome = (Text.assemble(("✓", "green"), visible(f" {json_text(p.value)}")) if p.failure_kind is None
                       else Text.assemble((visible(f"✗ {p.failure_kind}"), "red"), visible(f": {p.failure}")))
            console.print(Text.assemble("\n", (label, "bold"), "  ", outcome, "  ", (f"({p.model_ms / 1000:.1f} s model, {p.output_tokens} tokens)", "dim")))
            if p.code is not None:
                console.print(Syntax(visible(p.code), "javascript", line_numbers=True, word_wrap=True))
            for line in p.logs:
                console.print(shown("console: " + line, style="dim"))
            for call in p.calls:
                console.print(shown("call: " + call.describe(), style="green"))
            if p.tool_calls > len(p.calls):
                console.print(f"[dim]... and {p.tool_calls - len(p.calls)} more tool call(s)[/]")
            if p.feedback:
                console.print(Panel(shown(p.feedback), title="feedback sent to the model", title_align="left", style="yellow"))


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
    table.add_row("model", shown(a.model), shown(b.model))
    for key, fmt in [("cases", "{}"), ("solve_rate", "{:.1%}"), ("pass_at_1", "{:.1%}"), ("uplift", "{:+.1%}"), ("latency_p50_ms", "{:.0f} ms"),
                     ("model_ms_p50", "{:.0f} ms"), ("output_tokens", "{}"), ("output_tokens_per_case", "{:.0f}"), ("programs_per_case", "{:.1f}")]:
        table.add_row(key, fmt.format(diff["a"][key]), fmt.format(diff["b"][key]))
    agreed = [_calibration_text(s.agreed) if s.agreed else "-" for s in (a.summary, b.summary)]
    table.add_row("agreed answers right", *agreed)
    console.print(table)
    console.print(shown(f"newly solved in B: {', '.join(diff['newly_solved']) or '-'}"))
    console.print(shown(f"newly failed in B: {', '.join(diff['newly_failed']) or '-'}"))


def _bars(title: str, series: list[dict[str, int]], names: list[str], order: list[str] | None = None) -> str:
    """An inline SVG bar chart: one group per key (in `order`, else numbers then names), one bar per run."""
    keys = sorted({k for s in series for k in s}, key=lambda k: (order.index(k),) if order and k in order else (not k.isdigit(), int(k) if k.isdigit() else 0, k))
    if not keys:
        return f'<div class="chart"><h3>{html.escape(title)}</h3><p>none</p></div>'
    top = max(v for s in series for v in s.values()) or 1
    colors = ["#3b7dd8", "#e8833a", "#55a868", "#c44e52"]
    bar, gap, height, top_margin = 18, 14, 120, 16
    group = max(len(series) * bar, 8 * max(len(k) for k in keys))  # room for the key's label under its bars
    width = len(keys) * (group + gap) + 40
    parts = [f'<svg width="{width}" height="{height + top_margin + 40}" role="img" aria-label="{html.escape(title)}">']
    for i, key in enumerate(keys):
        x0 = 30 + i * (group + gap) + (group - len(series) * bar) / 2
        for j, s in enumerate(series):
            v = s.get(key, 0)
            h = int(height * v / top)
            parts.append(f'<rect x="{x0 + j * bar}" y="{height - h + top_margin}" width="{bar - 2}" height="{h}" fill="{colors[j % 4]}">'
                         f"<title>{html.escape(names[j])}: {v}</title></rect>")
            parts.append(f'<text x="{x0 + j * bar + bar / 2 - 1}" y="{height - h + top_margin - 4}" font-size="10" text-anchor="middle">{v}</text>')
        parts.append(f'<text x="{x0 + len(series) * bar / 2}" y="{height + top_margin + 18}" font-size="11" text-anchor="middle">{html.escape(key)}</text>')
    parts.append("</svg>")
    return f'<div class="chart"><h3>{html.escape(title)}</h3>' + "".join(parts) + "</div>"


def _agreement_cell(c: CaseResult) -> str:
    if not c.answered or c.agreement is None:
        return ""
    values = ", ".join(f"{json.dumps(x['value'], ensure_ascii=False)[:40]} ×{x['count']}" for x in c.candidates[:4])
    return html.escape(f"{c.votes} of {sum(x['count'] for x in c.candidates) or c.votes}" + (f" ({values})" if len(c.candidates) > 1 else ""))


def render_html(reports: list[Report], *, lazy: bool | None = None) -> str:
    """A self-contained page for one run, or several side by side, with no network. Every case is
    an expandable row with its instruction, expected and got side by side, and each program's
    code and feedback; with several runs, the cases whose verdict flipped come first.

    The stories (what a row shows when opened) are in the rows, readable with scripts off, while
    they take less than `EAGER_STORIES` characters of HTML; past that (`lazy=None`), or with
    `lazy=True`, each is kept as the text of an inert script element that its row renders when
    first opened, so a large run's page opens at once: a browser builds every node it is given,
    opened or not, while a script's text it only scans. Rows off screen are not laid out
    (`content-visibility`)."""
    names = [f"{chr(65 + i)}: {r.model}" for i, r in enumerate(reports)]
    rows = "".join(
        f"<tr><th>{html.escape(label)}</th>" + "".join(f"<td>{html.escape(get(r))}</td>" for r in reports) + "</tr>"
        for label, get in _compare_rows()
    )
    calibration = "".join(
        f"<tr><th>{html.escape(label)}</th>" + "".join(f"<td>{html.escape(cell(r))}</td>" for r in reports) + "</tr>"
        for label, cell in [("any" if level == 0 else f">= {level:.2f}, 2+ programs", _calibration_cell(level))
                            for level in (0.0, *AGREEMENT_LEVELS)]
    )
    last = reports[-1]
    flipped = ""
    if len(reports) > 1:
        diff = compare_reports(reports[0], last)
        flipped = "".join(f"<p><b>{html.escape(label)}</b>: {html.escape(', '.join(diff[key]) or '-')}</p>"
                          for label, key in (("newly solved in B", "newly_solved"), ("newly failed in B", "newly_failed")))
        first = set(diff["newly_solved"]) | set(diff["newly_failed"])
        ordered = sorted(last.results, key=lambda c: (c.id not in first, c.solved))
    else:
        ordered = sorted(last.results, key=lambda c: c.solved)
    categories = sorted({c.category for c in last.results})
    kinds = sorted({c.final_kind for c in last.results if c.final_kind})
    def options(values: Sequence[str]) -> str:
        return "".join(f'<option value="{html.escape(v)}">{html.escape(v)}</option>' for v in values)

    filters = (f'<p class="filters">verdict <select data-key="verdict"><option value="">all</option><option>solved</option><option>unsolved</option></select> '
               f'category <select data-key="category"><option value="">all</option>{options(categories)}</select> '
               f'final failure <select data-key="kind"><option value="">all</option>{options(kinds)}</select></p>')
    stories = [_story_html(c) for c in ordered]
    if lazy is None:
        lazy = sum(map(len, stories)) > EAGER_STORIES
    if lazy:
        cases = "".join(f'<details {_case_data(c)} data-story="{i}">{_case_summary(c)}</details>' for i, c in enumerate(ordered))
        cases += "".join(f'<script type="text/x-story" id="story-{i}">{_as_script_data(story)}</script>' for i, story in enumerate(stories))
        cases += (f"<script>{_STORIES_SCRIPT}</script><noscript><p>This page keeps the cases' stories for scripts to show; with "
                  f"scripts off, read them with <code>jsolve eval show</code> on the report.</p></noscript>")
    else:
        cases = "".join(f"<details {_case_data(c)}>{_case_summary(c)}{story}</details>" for c, story in zip(ordered, stories))
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>jsolve eval report</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}}th{{background:#f4f4f4;white-space:nowrap}}.charts{{display:flex;flex-wrap:wrap;gap:2em}}.chart h3{{margin-bottom:4px}}.legend span{{margin-right:1.5em}}
details{{border:1px solid #ddd;border-radius:4px;margin:4px 0;padding:4px 8px}}#cases>details{{content-visibility:auto;contain-intrinsic-size:auto 2em}}details[open]{{background:#fcfcfc}}summary{{cursor:pointer}}
.solved{{color:#1a7f37;font-weight:bold}}.unsolved{{color:#c62828;font-weight:bold}}.dim{{color:#666}}
pre{{background:#f6f8fa;padding:6px 8px;overflow-x:auto;white-space:pre-wrap;margin:4px 0}}.feedback{{background:#fff8e1}}.logs{{background:#eef}}.calls{{background:#eefbea}}
.pair{{display:flex;gap:1em}}.pair>div{{flex:1;min-width:0}}.diff{{background:#ffe0e0}}.instruction{{white-space:pre-wrap}}
.attempt{{border-left:3px solid #ddd;padding-left:8px;margin:8px 0}}i.k{{color:#8250df}}i.s{{color:#0a3069}}i.n{{color:#0550ae}}i.c{{color:#6e7781}}i{{font-style:normal}}</style>
</head><body>
<h1>jsolve eval report</h1>
<table>{rows}</table>
<p class="legend">{"".join(f'<span style="color:{c}">■ {html.escape(n)}</span>' for n, c in zip(names, ["#3b7dd8", "#e8833a", "#55a868", "#c44e52"]))}</p>
<div class="charts">{_bars("Attempts to success (solved cases)", [r.summary.attempts_to_success for r in reports], names)}
{_bars("Failure kinds (failed attempts)", [r.summary.failure_kinds for r in reports], names)}
{_bars("Time per case (s, judged cases)", [_time_buckets(r) for r in reports], names, [label for _, label in _TIME_BUCKETS])}</div>
<h3>Answers by agreement (selective accuracy)</h3>
<table>{calibration}</table>
<h2>Cases ({html.escape(names[-1])}): unsolved first</h2>
{flipped}
{filters}
<div id="cases">{cases}</div>
<script>{_FILTER_SCRIPT}</script>
</body></html>
"""


_FILTER_SCRIPT = """
for (const select of document.querySelectorAll('.filters select')) select.addEventListener('change', () => {
  const want = {};
  for (const s of document.querySelectorAll('.filters select')) want[s.dataset.key] = s.value;
  for (const c of document.querySelectorAll('#cases details')) {
    c.hidden = Object.entries(want).some(([k, v]) => v && c.dataset[k] !== v);
  }
});
"""
"""Filters of the case list: the page reads the same without it."""

EAGER_STORIES = 1_000_000
"""Characters of stories' HTML up to which a page carries them in its rows (see `render_html`)."""

_STORIES_SCRIPT = """
document.getElementById('cases').addEventListener('toggle', (event) => {
  const row = event.target;
  if (!row.open || row.dataset.story === undefined || row.dataset.shown) return;
  row.insertAdjacentHTML('beforeend', document.getElementById('story-' + row.dataset.story).textContent);
  row.dataset.shown = '1';
}, true);
"""
"""Renders a row's story, escaped HTML made by `_story_html`, when the row is first opened."""

_SCRIPT_BREAKERS = re.compile(r"<(?=/script|!--)", re.IGNORECASE)


def _as_script_data(story: str) -> str:
    """A story as the text of a script element. Every text in it is escaped already, so it holds
    no `</script` or `<!--` of its own; these are escaped again anyway, so that no story can end
    its element early whatever it holds."""
    return _SCRIPT_BREAKERS.sub("&lt;", story)

_TIME_BUCKETS = ((1, "<1"), (5, "1-5"), (15, "5-15"), (60, "15-60"), (180, "60-180"), (float("inf"), "180+"))


def _time_buckets(report: Report) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for c in report.results:
        if c.error is None:
            counts[next(label for top, label in _TIME_BUCKETS if c.total_ms / 1000 < top)] += 1
    return {label: counts[label] for _, label in _TIME_BUCKETS if counts[label]}


_JS_TOKEN = re.compile(r"""(?P<comment>//[^\n]*|/\*[\s\S]*?\*/)|(?P<string>`(?:\\[\s\S]|[^`\\])*`|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')"""
                       r"""|(?P<number>\b\d[\d_]*(?:\.\d+)?(?:[eE][-+]?\d+)?n?\b)|(?P<keyword>\b(?:"""
                       r"""await|async|break|case|catch|class|const|continue|default|delete|do|else|export|extends|false|finally|for|"""
                       r"""function|if|import|in|instanceof|let|new|null|of|return|switch|this|throw|true|try|typeof|undefined|var|void|while|yield)\b)""")


def highlighted(code: str) -> str:
    """JavaScript as escaped HTML with comments, strings, numbers and keywords marked (`<i class=k>`
    and the like: short tags, since a large run's page holds thousands of them)."""
    out, at = [], 0
    for match in _JS_TOKEN.finditer(code):
        out.append(html.escape(code[at:match.start()]))
        out.append(f"<i class={(match.lastgroup or '?')[0]}>{html.escape(match.group())}</i>")
        at = match.end()
    out.append(html.escape(code[at:]))
    return "".join(out)


def _json_block(value: Any) -> str:
    return json_text(value, indent=2) if not isinstance(value, str) or not value.endswith("...") else value


def _side_by_side(expected: Any, got: Any) -> str:
    """Expected and got as two columns, the differing lines marked."""
    left, right = _json_block(expected).splitlines(), _json_block(got).splitlines()
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    same_left: set[int] = set()
    same_right: set[int] = set()
    for block in matcher.get_matching_blocks():
        same_left.update(range(block.a, block.a + block.size))
        same_right.update(range(block.b, block.b + block.size))
    def column(lines: list[str], same: set[int]) -> str:
        return "".join(f'<div class="{"" if i in same else "diff"}">{html.escape(line) or "&nbsp;"}</div>'
                       for i, line in enumerate(lines))

    return (f'<div class="pair"><div><b>expected</b><pre>{column(left, same_left)}</pre></div>'
            f'<div><b>got</b><pre>{column(right, same_right)}</pre></div></div>')


def _case_summary(c: CaseResult) -> str:
    verdict = "solved" if c.solved else "unsolved"
    return (f'<summary><span class="{verdict}">{"✓" if c.solved else "✗"}</span> <b>{html.escape(c.id)}</b> '
            f'<span class="dim">{html.escape(c.category)} · {c.attempts} attempt(s) · {html.escape(", ".join(c.failure_kinds) or "no failures")}'
            f'{f" · {c.tool_calls} tool call(s)" if c.tool_calls else ""}'
            f'{" · " + html.escape((c.error or c.final_failure or "")[:160]) if not c.solved else ""}</span></summary>')


def _case_data(c: CaseResult) -> str:
    """The row's attributes the filters read."""
    return (f'data-verdict="{"solved" if c.solved else "unsolved"}" data-category="{html.escape(c.category)}" '
            f'data-kind="{html.escape(c.final_kind or "")}"')


def _calls_html(p: ProgramRecord) -> str:
    """A program's tool calls, one a line, with how many were left out."""
    if not p.tool_calls:
        return ""
    more = p.tool_calls - len(p.calls)
    lines = [call.describe() for call in p.calls] + ([f"... and {more} more"] if more > 0 else [])
    return f'<p class="dim">{p.tool_calls} tool call(s)</p><pre class="calls">{html.escape(chr(10).join(lines))}</pre>'


def _story_html(c: CaseResult) -> str:
    """What an opened row shows: the instruction, expected and got, and every program."""
    parts = []
    if c.instruction:
        parts.append(f'<p class="instruction">{html.escape(c.instruction)}</p>')
    agreement = _agreement_cell(c)
    if agreement:
        parts.append(f"<p>agreement: {agreement}</p>")
    if c.compare == "tests":
        parts.append("<p>graded by the benchmark's tests</p>")
    elif c.compare and c.answered:
        parts.append(f"<p>compared: {html.escape(c.compare)}</p>" + _side_by_side(c.expected, c.value))
    elif c.compare:
        parts.append(f"<p>compared: {html.escape(c.compare)}; expected</p><pre>{html.escape(_json_block(c.expected))}</pre>")
    if c.error or (c.final_failure and c.verdict != "wrong"):  # a wrong answer is the side-by-side above
        parts.append(f"<p><b>final</b>: {html.escape(c.error or c.final_failure or '')}</p>")
    for p in c.history:
        label = f"attempt {p.number}" + (f", program {p.candidate}" if c.samples > 1 else "")
        outcome = (f'<span class="solved">✓</span> {html.escape(json_text(p.value)[:300])}' if p.failure_kind is None
                   else f'<span class="unsolved">✗ {html.escape(p.failure_kind)}</span>: {html.escape(p.failure or "")}')
        code = f'<pre class="code">{highlighted(p.code)}</pre>' if p.code is not None else "<p>(no code in the reply)</p>"
        logs = f'<pre class="logs">{html.escape(chr(10).join(p.logs))}</pre>' if p.logs else ""
        sent = f'<pre class="feedback">{html.escape(p.feedback)}</pre>' if p.feedback else ""
        parts.append(f'<div class="attempt"><p><b>{label}</b> {outcome} <span class="dim">{p.model_ms / 1000:.1f} s model, '
                     f"{p.output_tokens} tokens, {p.run_ms:.0f} ms run</span></p>{code}{logs}{_calls_html(p)}{sent}</div>")
    return "".join(parts)


def _compare_rows() -> list[tuple[str, Callable[[Report], str]]]:
    """The rows of the comparison page: a label and how to read it off one report."""
    return [
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
            ("tool calls per case", lambda r: f"{r.summary.tool_calls_per_case:.1f}"),
            ("agreed answers right", lambda r: _calibration_text(r.summary.agreed) if r.summary.agreed else "-"),
            ("settings", lambda r: json.dumps(r.settings)), ("started", lambda r: r.started),
        ]


def _calibration_cell(level: float) -> Callable[[Report], str]:
    """How one report's calibration at `level` reads in the comparison page."""
    def cell(r: Report) -> str:
        return next((f"{c.right}/{c.answered} right ({c.accuracy:.0%}), {c.coverage:.0%} of cases"
                     for c in r.summary.calibration if c.min_agreement == level), "-")
    return cell
