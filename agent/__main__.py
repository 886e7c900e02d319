"""The `jsolve` command (also `python -m agent`).

`jsolve run` goes straight to its own module: the rest of the command line (typer, and the
pydantic it builds commands with) is not imported for it."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:2] == ["run"]:
        from agent.sandbox.process import start_early

        start_early()  # the worker's interpreter and engine load while this process imports the rest
        from agent.cli.run import run_command

        sys.exit(run_command(sys.argv[2:]))
    from agent.cli.app import app

    app()


if __name__ == "__main__":
    main()
