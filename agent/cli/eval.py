"""`jsolve eval`: run a suite or a benchmark, or compare two reports."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import signal
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from agent.arguments import positive_count
from agent.cli.run import EXIT_USAGE
from agent.defaults import DEFAULT_ATTEMPTS, DEFAULT_CONCURRENCY, DEFAULT_RAY_WORKERS
from agent.errors import ClusterUnavailable, ModelUnavailable, UsageError

if TYPE_CHECKING:
    from pydantic_ai.models import Model

    from agent.core.loop import SolveSettings
    from agent.evals.ray_backend import RayBackend
    from agent.evals.report import CaseResult, Report
    from agent.evals.suite import Case

EXIT_MODEL_UNAVAILABLE = 3
"""The model or the Ray cluster could not be reached (`jsolve solve` and `jsolve eval`)."""
EXIT_INTERRUPTED = 130
"""Ctrl-C or SIGTERM, after the report of the finished cases is written (the shell's code for SIGINT)."""


def eval_command(
    args: Annotated[list[str] | None, typer.Argument(help="SUITE.yaml or a folder of suites (default: the suite jsolve ships, evals/suite.yaml), or the dataset file with --dataset; or: show REPORT; or: compare A B (report folders or report.json files)")] = None,
    dataset: Annotated[str | None, typer.Option("--dataset", help="humaneval-x, mbjsp or gsm8k: read the file given as argument.")] = None,
    limit: Annotated[int | None, typer.Option(help="Run only the first N cases.")] = None,
    sample: Annotated[int | None, typer.Option(help="Run N cases drawn at random (see --seed).")] = None,
    seed: Annotated[int, typer.Option(help="Seed for --sample.")] = 0,
    model: Annotated[str | None, typer.Option("--model", help="The model (default: $JSOLVE_MODEL, then the embedded model).")] = None,
    concurrency: Annotated[int, typer.Option(help="Cases in flight at once.")] = DEFAULT_CONCURRENCY,
    max_attempts: Annotated[int, typer.Option("--max-attempts", help="Attempts per case.")] = DEFAULT_ATTEMPTS,
    report: Annotated[Path | None, typer.Option("--report", help="Folder for report.json, report.html and results.jsonl (written as cases finish).")] = None,
    case: Annotated[str | None, typer.Option("--case", help="With show: the one case to show (solved or not).")] = None,
    ray: Annotated[str | None, typer.Option("--ray", help="Run on Ray (the ray extra): local (a Ray instance of this run), auto (the running cluster, or $RAY_ADDRESS) or a cluster address, HOST:PORT or ray://HOST:10001.")] = None,
    workers: Annotated[int | None, typer.Option("--workers", help=f"With --ray: worker actors (default {DEFAULT_RAY_WORKERS}), each with its own sandbox pool and model client, solving --concurrency cases at a time.")] = None,
    setting: Annotated[list[str] | None, typer.Option("--setting", help="NAME=VALUE of a solve setting for this run, repeatable (samples, sample_temperature, min_agreement, repair_disagreement, temperature, temperature_step, max_temperature, max_tokens, show_failed_code); recorded in the report.")] = None,
) -> None:
    """Run many instructions and report the solve rate, pass@1 and what the repair loop added.

    Exit codes: 0 the run finished (whatever it solved), 2 bad usage, 3 the model (or the Ray
    cluster) could not be reached (the run stopped; finished cases are reported), 130 Ctrl-C
    (likewise)."""
    from agent.cli.terminal import model_loading
    from agent.evals.report import (
        Report,
        print_comparison,
        print_report,
        print_stories,
        render_html,
    )
    from agent.models.client import resolve_model
    from agent.text import shown, visible

    console = Console()
    args = args or []
    try:
        if report is not None:
            _report_folder(report)
        if args[:1] == ["show"]:
            if len(args) != 2:
                raise UsageError("usage: jsolve eval show REPORT [--case ID] (a report folder or its report.json)")
            print_stories(Report.read(Path(args[1])), console, case=case)
            return
        if case is not None:
            raise UsageError("--case goes with jsolve eval show")
        if args[:1] == ["compare"]:
            if len(args) != 3:
                raise UsageError("usage: jsolve eval compare A B (report folders or report.json files)")
            a, b = Report.read(Path(args[1])), Report.read(Path(args[2]))
            if report is not None:
                (report / "compare.html").write_text(render_html([a, b]))
            print_comparison(a, b, console)
            return
        cases, source = _cases(args, dataset, limit, sample, seed)
        selection = {k: v for k, v in {"limit": limit, "sample": sample, "seed": seed if sample is not None else None}.items() if v is not None}
        positive_count(concurrency, "--concurrency")
        positive_count(max_attempts, "--max-attempts")
        settings = _settings(setting or [])
        if ray is None:
            if workers is not None:
                raise UsageError("--workers goes with --ray")
            backend: RayBackend | None = None
            resolved: Model | str | None
            with model_loading() as progress:
                resolved = resolve_model(model, progress=progress)
        else:  # each worker resolves the model where it runs
            from agent.evals.ray_backend import RayBackend

            backend, resolved = RayBackend(ray, workers=DEFAULT_RAY_WORKERS if workers is None else workers), model
            backend.connect()
    except UsageError as exc:
        typer.echo(f"error: {visible(str(exc))}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    except (ModelUnavailable, ClusterUnavailable) as exc:
        typer.echo(f"error: {visible(str(exc))}", err=True)
        raise typer.Exit(EXIT_MODEL_UNAVAILABLE) from None
    except KeyboardInterrupt:
        typer.echo("interrupted before the first case", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    try:
        result = _run(cases, resolved, settings, max_attempts, concurrency, source, selection, report, backend)
    except KeyboardInterrupt:  # a second Ctrl-C while the first was winding down
        typer.echo("interrupted" + (f"; finished cases are in {report / 'results.jsonl'}" if report else ""), err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    finally:
        if backend is not None:
            backend.close()
    written = result.write(report) if report is not None else None  # before anything is shown, which may fail
    print_report(result, console)
    if written is not None:
        console.print(shown(f"wrote {written[0]} and {written[1]}"))
    if result.model_unavailable:
        typer.echo(f"error: {visible(result.model_unavailable)}", err=True)
        raise typer.Exit(EXIT_MODEL_UNAVAILABLE)
    if result.interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)


def _report_folder(folder: Path) -> None:
    """Create the report folder now, so a path that cannot hold the report fails before the run."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot use {folder} as the report folder: {exc.strerror or exc}; give --report a folder path") from None


def _cases(args: list[str], dataset: str | None, limit: int | None, sample: int | None, seed: int) -> tuple[list[Case], str]:
    from agent.evals.datasets import load_dataset
    from agent.evals.suite import bundled, load_suite, select_cases

    if len(args) > 1:
        raise UsageError("give one suite or dataset file")
    if dataset is not None:
        if not args:
            raise UsageError(f"--dataset {dataset} needs the path of its file")
        return load_dataset(dataset, args[0], limit=limit, sample=sample, seed=seed), f"{dataset}:{args[0]}"
    path = Path(args[0]) if args else bundled() / "suite.yaml"
    return select_cases(load_suite(path), limit=limit, sample=sample, seed=seed), str(path)


def _settings(pairs: list[str]) -> SolveSettings:
    """SolveSettings from NAME=VALUE pairs, each value read as its field's type."""
    from agent.core.loop import SolveSettings

    types = typing.get_type_hints(SolveSettings)
    names = ", ".join(f.name for f in dataclasses.fields(SolveSettings))
    values: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or name not in types:
            raise UsageError(f"--setting {pair!r}: give NAME=VALUE, where NAME is one of {names}")
        values[name] = _read_setting(name, text.strip(), types[name])
    return SolveSettings(**values)


def _read_setting(name: str, text: str, kind: object) -> object:
    if text.lower() == "none" and type(None) in _typing_args(kind):
        return None
    if kind is bool:
        if text.lower() not in ("true", "false"):
            raise UsageError(f"--setting {name}: give true or false, got {text!r}")
        return text.lower() == "true"
    number = int if int in _typing_args(kind) else float
    try:
        return number(text)
    except ValueError:
        raise UsageError(f"--setting {name}: give a number{' or none' if type(None) in _typing_args(kind) else ''}, got {text!r}") from None


def _typing_args(kind: object) -> tuple[object, ...]:
    return typing.get_args(kind) or (kind,)


def _run(cases: list[Case], model: Model | str | None, settings: SolveSettings, max_attempts: int, concurrency: int, source: str,
         selection: dict[str, Any], folder: Path | None, backend: RayBackend | None) -> Report:
    import asyncio

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from agent.evals.runner import run_cases

    solved = 0
    log = (folder / "results.jsonl").open("w") if folder is not None else None
    columns = (TextColumn("[bold]eval"), BarColumn(), MofNCompleteColumn(), TextColumn("solved {task.fields[solved]}"),
               TextColumn("{task.fields[speed]}"), TimeElapsedColumn())
    # On stderr, as a passing display: stdout holds the report's tables alone, and a closed stdout
    # (`jsolve eval ... | head`) fails the tables, after the report is written, not the run.
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("cases", total=len(cases), solved="0", speed="")

        def done(result: CaseResult) -> None:
            nonlocal solved
            solved += result.solved
            finished = progress.tasks[0].completed + 1
            elapsed = progress.tasks[0].elapsed or 0.0
            speed = f"{finished / elapsed:.1f} cases/s" if elapsed >= 1 else ""
            progress.update(task, advance=1, solved=f"{solved} ({solved / finished:.0%})", speed=speed)
            if log is not None:
                log.write(json.dumps(result.model_dump()) + "\n")
                log.flush()

        async def until_stopped() -> Report:
            # Ctrl-C and SIGTERM (a job runner, `kill`; a job started with `&` ignores Ctrl-C) stop
            # the run the same way, through the loop's signal handling: the finished cases are
            # reported; a second one stops at once. (Left to asyncio.run's own Ctrl-C handler, a
            # SIGINT was sometimes never acted on in full test runs, and the CLI waited on.)
            main, signals = asyncio.current_task(), 0

            def stop() -> None:
                nonlocal signals
                signals += 1
                if signals > 1:
                    raise KeyboardInterrupt
                main.cancel()  # type: ignore[union-attr]

            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not on Windows, or not the main thread
                for number in (signal.SIGTERM, signal.SIGINT):
                    asyncio.get_running_loop().add_signal_handler(number, stop)
            return await run_cases(cases, model=model, max_attempts=max_attempts, concurrency=concurrency,
                                   settings=settings, source=source, selection=selection, on_result=done, backend=backend)

        try:
            return asyncio.run(until_stopped())
        finally:
            if log is not None:
                log.close()
