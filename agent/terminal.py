"""What `jsolve solve` shows: each attempt as it is judged, then the answer (or one JSON object);
and `visible`, which every text of a model or a program passes through before a terminal shows it.

rich is imported where something is shown, not on import: `jsolve run` uses `visible` and starts
in a fraction of the time rich takes to import."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from agent.sandbox.result import json_text

if TYPE_CHECKING:
    from rich.console import Console
    from rich.status import Status
    from rich.table import Table
    from rich.text import Text

    from agent.agreement import Candidate
    from agent.errors import SolveFailed
    from agent.solve import Attempt, Solution

MAX_CELL = 80
"""Characters of a value or failure shown in a round's table."""

_UNSEEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""What a terminal acts on or reorders instead of showing: the C0 controls but tab and newline
(ESC starts clipboard writes, links, title changes and clears; CR and backspace overwrite what
was shown), DEL, the C1 controls (U+009B is a one-character ESC [), and the bidirectional
embeddings, overrides and isolates (text shown in another order than it is)."""

__all__ = ["SolveView", "json_text", "model_loading", "report", "shown", "visible"]


def visible(text: str) -> str:
    """`text` from a model, a program or a report file, fit to show on a terminal: each character
    of `_UNSEEN` is written as its escape (`\\u001b` for ESC), so the text can neither command
    the terminal nor hide part of itself. Tab and newline stay, for layout. The escape is the one
    JSON and JavaScript read: JSON text stays the same JSON, and code the same code inside its
    strings."""
    return _UNSEEN.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def shown(text: str, style: str = "") -> Text:
    """`text` made `visible`, as rich text: rich never reads it as markup (`[/]`, `[link=...]`)."""
    from rich.text import Text

    return Text(visible(text), style=style)


@contextlib.contextmanager
def model_loading(console: Console | None = None) -> Iterator[Callable[[int, int], None]]:
    """Progress on stderr while the model gets ready: a bar for assembling the embedded model file
    (first use only), a spinner while it loads. Yields the callback `resolve_model` reports to.
    Nothing shows when the model is ready at once (a remote model)."""
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, SpinnerColumn, TextColumn, TimeRemainingColumn

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

    def __enter__(self) -> SolveView:
        self._started = time.perf_counter()
        self._waiting(1)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop()

    def _waiting(self, number: int) -> None:
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
        if attempt.failure is not None:
            problem = (attempt.feedback or "").splitlines()[0].removeprefix("Your code failed. ")
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

    def report(self, solution: Solution | None, error: SolveFailed | None) -> dict[str, Any]:
        """The `--json` object."""
        attempts = solution.attempts if solution is not None else error.attempts if error is not None else []
        usage = solution.usage if solution is not None else error.usage if error is not None else None
        total_ms = solution.duration_ms if solution is not None else (time.perf_counter() - self._started) * 1000
        return report(solution, attempts, usage, total_ms, error.candidates if error is not None else [])


def round_table(attempts: list[Attempt]) -> Table:
    """One round's programs side by side: what each gave, or how it failed."""
    from pydantic_core import to_jsonable_python
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"attempt {attempts[0].number}: {len(attempts)} programs", title_justify="left", show_lines=False)
    for column in ("#", "result", "value or failure", "lines", "tokens"):
        table.add_column(column)
    for a in attempts:
        if a.failure is None:
            mark, what = Text("✓", style="bold green"), json_text(to_jsonable_python(a.value))
        else:
            mark, what = Text("✗", style="bold red"), f"{a.failure.kind}: {a.failure.message}"
        lines = str(len(a.code.splitlines())) if a.code else "-"
        table.add_row(str(a.candidate), mark, Text(_cut(visible(what))), lines, str(a.usage.output_tokens) if a.usage.requests else "")
    return table


def agreement_label(candidates: list[Candidate]) -> str:
    """How strongly the programs agree, in words: `3 of 4 independent programs agree`."""
    passing = sum(c.count for c in candidates)
    if not candidates or candidates[0].count < 2:
        return "only one program gave this value: not confirmed" if passing <= 1 else \
            f"{passing} programs gave {len(candidates)} different values: not confirmed"
    return f"{candidates[0].count} of {passing} independent programs agree"


def _cut(text: str) -> str:
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def _summary(attempts: list[Attempt], usage: Any, total_ms: float, model_name: str | None) -> str:
    model_ms = sum(a.model_ms for a in attempts)
    who = f" · {model_name}" if model_name else ""
    return (f"{len(attempts)} attempt(s) · {usage.input_tokens} tokens in, {usage.output_tokens} out · "
            f"{total_ms / 1000:.1f} s ({model_ms / 1000:.1f} s in the model){who}")


def report(solution: Solution | None, attempts: list[Attempt], usage: Any, total_ms: float,
           candidates: Sequence[Candidate] = ()) -> dict[str, Any]:
    """A solve as plain JSON data; the shape is stable (fields are added, never renamed).
    `candidates` are a failed solve's passing values, when it has any."""
    from pydantic_core import to_jsonable_python

    return {
        "ok": solution is not None,
        "value": to_jsonable_python(solution.value) if solution is not None else None,
        "code": solution.code if solution is not None else (attempts[-1].code if attempts else None),
        "model": solution.model_name if solution is not None else None,
        "agreement": round(solution.agreement, 4) if solution is not None else None,
        "agreed": solution.agreed if solution is not None else False,
        "candidates": [{"value": to_jsonable_python(c.value), "count": c.count, "code": c.code}
                       for c in (solution.candidates if solution is not None else candidates)],
        "attempts": [
            {
                "number": a.number,
                "candidate": a.candidate,
                "code": a.code,
                "failure": None if a.failure is None else {"kind": a.failure.kind, "message": a.failure.message, "line": a.failure.line, "column": a.failure.column},
                "feedback": a.feedback,
                "logs": list(a.logs),
                "model_ms": round(a.model_ms, 2),
                "validate_ms": round(a.validate_ms, 3),
                "run_ms": round(a.run_ms, 3),
                "input_tokens": a.usage.input_tokens,
                "output_tokens": a.usage.output_tokens,
            }
            for a in attempts
        ],
        "usage": {"requests": usage.requests, "input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens} if usage is not None else None,
        "timings": {
            "total_ms": round(total_ms, 2),
            "model_ms": round(sum(a.model_ms for a in attempts), 2),
            "validate_ms": round(sum(a.validate_ms for a in attempts), 3),
            "run_ms": round(sum(a.run_ms for a in attempts), 3),
        },
    }
