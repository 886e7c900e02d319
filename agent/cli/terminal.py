"""What `jsolve solve` shows: each attempt as it is judged, then the answer (or one JSON object).
Every text of a model or a program passes through `agent.text.visible` before it is shown.

rich is imported where something is shown, not on import."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from agent.errors import SolveFailed
from agent.text import first_line, fit, json_text, shown, visible

if TYPE_CHECKING:
    from rich.console import Console
    from rich.status import Status
    from rich.table import Table
    from rich.text import Text

    from agent.core.agreement import Candidate
    from agent.core.loop import Attempt, AttemptToolCall, Solution
    from agent.core.outcome import SolveOutcome

MAX_CELL = 80
"""Characters of a value or failure shown in a round's table."""

MAX_SHOWN_CALLS = 12
"""Tool calls listed under a program (the first ones; the rest are counted): a program that calls a
tool in a loop would otherwise push its own code off the screen. `--json` has every call."""

MAX_SHOWN_ARGUMENTS = 60
"""Characters of a call's arguments shown in its line."""

__all__ = ["SolveView", "json_text", "model_loading", "shown", "visible"]


@contextlib.contextmanager
def model_loading(console: Console | None = None) -> Iterator[Callable[[int, int], None]]:
    """Progress on stderr while the model gets ready: a bar for assembling the embedded model file
    (first use only), a spinner while it loads. Yields the callback `resolve_model` reports to.
    Nothing shows when the model is ready at once (a remote model)."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    console = console or Console(stderr=True)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("getting the model ready", total=None)

        def report(done: int, total: int) -> None:
            progress.update(task, description="assembling the embedded model (first use only)", total=total, completed=done)
            if done >= total:
                progress.update(task, description="loading the model", total=None)

        yield report


class SolveView:
    """A live view of one solve. With `quiet`, it shows nothing (the caller prints JSON). With
    `samples` > 1, each round's programs are shown side by side, as a table of their values.
    Everything of the model's or the programs' is shown `visible`, never as markup."""

    def __init__(self, *, quiet: bool = False, samples: int = 1, console: Console | None = None) -> None:
        from rich.console import Console

        self.quiet = quiet
        self.samples = samples
        self.console = console or Console(highlight=False)
        self._status: Status | None = None
        self._started = time.perf_counter()
        self._round: list[Attempt] = []
        self._calls = 0

    def __enter__(self) -> SolveView:
        self._started = time.perf_counter()
        self._waiting(1)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop()

    def _waiting(self, number: int) -> None:
        self._calls = 0
        if self.quiet:
            return
        what = "code" if self.samples == 1 else f"{self.samples} programs"
        self._status = self.console.status(f"attempt {number}: the model is writing {what}…" if number == 1 else
                                           f"attempt {number}: the model is repairing its {what}…")
        self._status.start()

    def _stop(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    def call(self, call: AttemptToolCall) -> None:
        """Show a tool call as it completes, in the status line (the program's panel lists its
        calls when it is judged); called by the solve loop, on its event loop's thread."""
        self._calls += 1
        if self._status is None:
            return
        outcome = "✓" if call.error is None else f"✗ {call.error.kind}"
        self._status.update(shown(f"attempt {call.attempt}: the program is running · {self._calls} tool call(s), the last "
                                  f"{call.tool}({fit(call.arguments, MAX_SHOWN_ARGUMENTS)}) {outcome} {call.ms:.1f} ms"))

    def attempt(self, attempt: Attempt) -> None:
        """Show one judged attempt; called by the solve loop."""
        if self.quiet:
            return
        if self.samples > 1:
            self._round.append(attempt)
            if attempt.candidate == self.samples:
                self._stop()
                self.console.print(round_table(self._round))
                self._round = []
                self._waiting(attempt.number + 1)
            return
        from rich.panel import Panel
        from rich.syntax import Syntax
        from rich.text import Text

        self._stop()
        title = f"attempt {attempt.number} · model {attempt.model_ms / 1000:.1f} s · {attempt.usage.output_tokens} tokens"
        body: Any = Syntax(visible(attempt.code), "javascript", line_numbers=True, word_wrap=True) if attempt.code else Text("(no code in the reply)", style="italic")
        self.console.print(Panel(body, title=title, title_align="left", border_style="green" if attempt.ok else "red"))
        for line in call_lines(attempt):
            self.console.print(line)
        if attempt.failure is not None:
            problem = first_line(attempt.feedback or "").removeprefix("Your code failed. ")
            self.console.print(Text("✗ ", style="bold red") + shown(problem))
            self._waiting(attempt.number + 1)
        else:
            self.console.print(Text(f"✓ ran in {attempt.run_ms:.1f} ms and matched the requested shape", style="bold green"))

    def solved(self, solution: Solution) -> None:
        from pydantic_core import to_jsonable_python
        from rich.text import Text

        self._stop()
        answer = Text("Answer: ", style="bold") + shown(json_text(to_jsonable_python(solution.value), indent=2))
        if self.samples > 1:
            answer += Text(f"   ({agreement_label(solution.candidates)})", style="bold green" if solution.agreed else "bold yellow")
        self.console.print(answer)
        self.console.print(shown(_summary(solution.attempts, solution.usage, solution.duration_ms, solution.model_name), style="dim"))

    def failed(self, error: SolveFailed) -> None:
        self._stop()
        self.console.print(shown(f"Not solved: {error}", style="bold red"))
        self.console.print(shown(_summary(error.attempts, error.usage, (time.perf_counter() - self._started) * 1000, None), style="dim"))

    def outcome(self, result: Solution | SolveFailed) -> SolveOutcome:
        """The `--json` object; a failure's time runs from when the view was entered."""
        from agent.core.outcome import SolveOutcome  # pydantic: imported when the JSON is made

        if isinstance(result, SolveFailed):
            return SolveOutcome.of(result, total_ms=(time.perf_counter() - self._started) * 1000)
        return SolveOutcome.of(result)


def round_table(attempts: list[Attempt]) -> Table:
    """One round's programs side by side: what each gave, or how it failed."""
    from pydantic_core import to_jsonable_python
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"attempt {attempts[0].number}: {len(attempts)} programs", title_justify="left", show_lines=False)
    for column in ("#", "result", "value or failure", "lines", "tokens", "tool calls"):
        table.add_column(column)
    for a in attempts:
        if a.failure is None:
            mark, what = Text("✓", style="bold green"), json_text(to_jsonable_python(a.value))
        else:
            mark, what = Text("✗", style="bold red"), f"{a.failure.kind}: {a.failure.message}"
        lines = str(len(a.code.splitlines())) if a.code else "-"
        failed_calls = sum(call.error is not None for call in a.tool_calls)
        calls = f"{len(a.tool_calls)}" + (f" ({failed_calls} failed)" if failed_calls else "") if a.tool_calls else "-"
        table.add_row(str(a.candidate), mark, Text(fit(visible(what), MAX_CELL)), lines, str(a.usage.output_tokens) if a.usage.requests else "", calls)
    return table


def call_lines(attempt: Attempt) -> list[Text]:
    """One line per tool call of a program: the tool, its arguments cut short, ✓ or the error's
    kind, and its time; a replayed effect says so."""
    from rich.text import Text

    lines = []
    for call in attempt.tool_calls[:MAX_SHOWN_CALLS]:
        line = Text("  ↳ ", style="dim") + shown(f"{call.tool}({fit(call.arguments, MAX_SHOWN_ARGUMENTS)})")
        if call.error is None:
            line += Text(" ✓", style="green")
        else:
            line += Text(f" ✗ {call.error.kind}", style="red")
        line += Text(f" {call.ms:.1f} ms" + (" (replayed: an effect already made)" if call.replayed else ""), style="dim")
        lines.append(line)
    if len(attempt.tool_calls) > MAX_SHOWN_CALLS:
        lines.append(Text(f"  … and {len(attempt.tool_calls) - MAX_SHOWN_CALLS} more calls", style="dim"))
    return lines


def agreement_label(candidates: list[Candidate]) -> str:
    """How strongly the programs agree, in words: `3 of 4 independent programs agree`."""
    passing = sum(c.count for c in candidates)
    if not candidates or candidates[0].count < 2:
        return "only one program gave this value: not confirmed" if passing <= 1 else \
            f"{passing} programs gave {len(candidates)} different values: not confirmed"
    return f"{candidates[0].count} of {passing} independent programs agree"


def _summary(attempts: list[Attempt], usage: Any, total_ms: float, model_name: str | None) -> str:
    model_ms = sum(a.model_ms for a in attempts)
    who = f" · {model_name}" if model_name else ""
    return (f"{len(attempts)} attempt(s) · {usage.input_tokens} tokens in, {usage.output_tokens} out · "
            f"{total_ms / 1000:.1f} s ({model_ms / 1000:.1f} s in the model){who}")
