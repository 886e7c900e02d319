"""The `jsolve` command line: `run` (its own fast parser), and the typer app for the rest."""
