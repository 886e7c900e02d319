"""The `jsolve` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from agent.errors import UsageError

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Run model-written JavaScript safely.")

EXIT_FAILED = 1
EXIT_USAGE = 2


@app.command()
def run(
    file: Annotated[str, typer.Argument(help="A .js file, or - to read the code from stdin.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object (ok, value, error, logs, duration_ms).")] = False,
    timeout: Annotated[Optional[float], typer.Option(help="Wall-clock seconds for the run.")] = None,
    memory: Annotated[Optional[int], typer.Option(help="MiB of memory the engine may allocate.")] = None,
    allow_net: Annotated[Optional[list[str]], typer.Option("--allow-net", help="A host fetch may reach (repeatable).")] = None,
) -> None:
    """Run a JavaScript module in the sandbox and print its default export."""
    from agent.sandbox import Limits, Sandbox

    if allow_net:
        typer.echo("error: --allow-net is not available yet: the sandbox has no network in this version", err=True)
        raise typer.Exit(EXIT_USAGE)
    try:
        code = sys.stdin.read() if file == "-" else Path(file).read_text()
    except OSError as exc:
        typer.echo(f"error: cannot read {file}: {exc.strerror}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    overrides = {k: v for k, v in {"timeout": timeout, "memory_mb": memory}.items() if v is not None}
    try:
        limits = Limits(**overrides)
    except UsageError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    with Sandbox(1) as sandbox:
        result = sandbox.run(code, limits=limits)
    if as_json:
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        for entry in result.logs:
            typer.echo(entry.text, err=entry.level in ("warn", "error"))
        if result.ok:
            typer.echo(json.dumps(result.value, ensure_ascii=False, indent=2))
        else:
            assert result.error is not None
            where = f" (line {result.error.line}, column {result.error.column})" if result.error.line else ""
            name = f"{result.error.name}: " if result.error.name else ""
            typer.echo(f"{result.error.kind} error{where}: {name}{result.error.message}", err=True)
    raise typer.Exit(0 if result.ok else EXIT_FAILED)


@app.command()
def solve(
    instruction: Annotated[str, typer.Argument(help="What the code should compute.")],
) -> None:
    """Have a model write, check and repair JavaScript until it answers INSTRUCTION."""
    typer.echo("error: `jsolve solve` is not available yet in this version (the repair loop has not landed)", err=True)
    raise typer.Exit(EXIT_USAGE)
if __name__ == "__main__":
    app()
