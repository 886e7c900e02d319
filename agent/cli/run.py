"""`jsolve run`: a JavaScript module run in the sandbox, its default export printed.

The command's entry point (`agent.__main__`) sends `jsolve run ...` here before anything else of
the command line is imported: typer builds its commands with pydantic, which costs more than
the run itself (about 0.2 s of a 0.5 s start). So this command parses its own arguments with the
standard library, and the typer app lists it through a command that forwards its arguments here.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from agent.errors import UsageError

EXIT_FAILED = 1
EXIT_USAGE = 2

DESCRIPTION = "Run a JavaScript module in the sandbox and print its default export."

INPUT_HELP = ("NAME=FILE: the file's data as the global NAME of the code (repeatable). .json, .jsonl, .csv and .tsv "
              "are read as data, anything else as text.")

ALLOW_NET_HELP = "A host fetch may reach (repeatable; '*.example.com' for a domain, '*' for any public host)."


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jsolve run", description=DESCRIPTION)
    parser.add_argument("file", help="A .js or .ts file (TypeScript has its types erased, lines and columns kept), or - to read the code from stdin.")
    parser.add_argument("--json", dest="as_json", action="store_true",
                        help="Print one JSON object (ok, value, error, logs, duration_ms).")
    parser.add_argument("--timeout", type=float, help="Wall-clock seconds for the run.")
    parser.add_argument("--memory", type=int, help="MiB of memory the engine may allocate.")
    parser.add_argument("--allow-net", action="append", metavar="HOST", help=ALLOW_NET_HELP)
    parser.add_argument("--input", action="append", dest="input_files", metavar="NAME=FILE", help=INPUT_HELP)
    return parser


def run_command(argv: list[str]) -> int:
    """`jsolve run` with the arguments after `run`; the exit status: 0 the code gave a value,
    1 it failed, 2 a usage error."""
    args = _parser().parse_args(argv)
    from agent.sandbox.pool import Sandbox

    with Sandbox(1) as sandbox:
        try:
            code = sys.stdin.read() if args.file == "-" else Path(args.file).read_text()
        except OSError as exc:
            print(f"error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
            return EXIT_USAGE
        try:
            limits = chosen_limits(args.timeout, args.memory)
            network = network_policy(args.allow_net)
            files = named_files(args.input_files)
            inputs = None
            if files:
                from agent.core.data import load_inputs

                inputs = load_inputs(files)
        except UsageError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        result = _run(sandbox, code, args.file, limits=limits, network=network, inputs=inputs)
    from agent.text import json_text, visible

    # What the program gave or printed is shown `visible`: it may hold terminal commands. The
    # JSON stays the same JSON, its unseen characters escaped.
    if args.as_json:
        print(visible(json_text(result.to_json())))
    else:
        for entry in result.logs:
            print(visible(entry.text), file=sys.stderr if entry.level in ("warn", "error") else sys.stdout)
        if result.ok:
            print(visible(json_text(result.value, indent=2)))
        else:
            assert result.error is not None
            where = f" (line {result.error.line}, column {result.error.column})" if result.error.line else ""
            name = f"{result.error.name}: " if result.error.name else ""
            print(visible(f"{result.error.kind} error{where}: {name}{result.error.message}"), file=sys.stderr)
    return 0 if result.ok else EXIT_FAILED


TYPESCRIPT_SUFFIXES = (".ts", ".mts", ".cts")
"""Files whose code is TypeScript: its types are erased before the run."""


def _run(sandbox: Any, code: str, path: str, **options: Any) -> Any:
    """The `RunResult` of `code`, TypeScript or JavaScript. A TypeScript file has its types erased
    in place first (`agent.core.typescript.to_javascript`, every line and column kept); any other
    code is run as it is, and only when the engine cannot parse it is it read as TypeScript (so
    a plain JavaScript run never loads the TypeScript parser). TypeScript that cannot be erased
    is a `syntax` failure at its line and column."""
    if not path.endswith(TYPESCRIPT_SUFFIXES):
        result = sandbox.run(code, **options)
        if result.ok or result.error is None or result.error.kind != "syntax":
            return result
        first = result
    else:
        first = None
    from agent.core.typescript import to_javascript
    from agent.sandbox.result import RunError, RunResult

    runnable = to_javascript(code)
    if not isinstance(runnable, str):
        return RunResult(ok=False, error=RunError(kind="syntax", name="SyntaxError", message=runnable.message, line=runnable.line,
                                                  column=runnable.column))
    if first is not None and runnable == code:
        return first  # not TypeScript: the engine's own syntax error stands
    return sandbox.run(runnable, **options)


def named_files(specs: list[str] | None) -> dict[str, Path]:
    """`--input NAME=FILE` options as a mapping of names to files."""
    files: dict[str, Path] = {}
    for spec in specs or ():
        name, sep, file = spec.partition("=")
        if not sep or not name or not file:
            raise UsageError(f"--input takes NAME=FILE (e.g. --input sales=sales.csv), got {spec!r}")
        if name in files:
            raise UsageError(f"--input {name} is given twice")
        files[name] = Path(file)
    return files


def chosen_limits(timeout: float | None, memory: int | None) -> Any:
    """The `Limits` that `--timeout` and `--memory` ask for, or None when neither is given (the
    default limits); a `UsageError` for a bad value."""
    if timeout is None and memory is None:
        return None
    from dataclasses import replace

    from agent.sandbox.limits import Limits

    limits = Limits()
    if timeout is not None:
        limits = replace(limits, timeout=timeout)
    if memory is not None:
        limits = replace(limits, memory_mb=memory)
    return limits


def network_policy(hosts: list[str] | None) -> Any:
    """The network `--allow-net` options open, or None (no network)."""
    if not hosts:
        return None
    from agent.sandbox.network import NetworkPolicy

    return NetworkPolicy(allow_hosts=tuple(hosts))
