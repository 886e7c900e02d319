"""The `jsolve` command line (its entry point is `agent.__main__`; `jsolve run` lives in `agent.cli.run`)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from agent.cli.eval import EXIT_MODEL_UNAVAILABLE, eval_command
from agent.cli.run import (
    EXIT_FAILED,
    EXIT_USAGE,
    INPUT_HELP,
    chosen_limits,
    named_files,
    network_policy,
    run_command,
)
from agent.defaults import DEFAULT_ATTEMPTS, DEFAULT_MAX_SAMPLES, DEFAULT_SAMPLES
from agent.errors import UsageError

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Run model-written JavaScript safely.")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []})
def run(ctx: typer.Context) -> None:
    """Run a JavaScript module in the sandbox and print its default export (see jsolve run --help)."""
    raise typer.Exit(run_command(ctx.args))


_TYPE_NAMES: dict[str, Any] = {"int": int, "float": float, "str": str, "bool": bool, "list": list, "dict": dict, "tuple": tuple, "any": Any}


def parse_output_type(expression: str) -> Any:
    """A Python type from a written annotation such as `list[int]` or `dict[str, float]`.

    Only the JSON-shaped builtins are known; nothing is evaluated."""
    import ast

    def build(node: ast.expr) -> Any:
        if isinstance(node, ast.Name) and node.id in _TYPE_NAMES:
            return _TYPE_NAMES[node.id]
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in ("list", "dict", "tuple"):
            args = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            origin = _TYPE_NAMES[node.value.id]
            built = tuple(build(a) for a in args)
            return origin[built] if len(built) > 1 else origin[built[0]]
        raise UsageError(f"--output {expression!r}: use int, float, str, bool, any, list[...], dict[str, ...] or tuple[...]")

    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        raise UsageError(f"--output {expression!r} is not a type expression such as list[int]") from None
    return build(tree.body)


TOOLS_HELP = ("Functions the code may call: a Python file (its TOOLS list, else its public functions) or module:attr (a function, "
              "a list, a toolset); repeatable. Loading it RUNS that Python code in this process, with your rights: name only code you trust.")

MCP_HELP = ("An MCP server over stdio whose tools the code may call: its command line, e.g. 'python crm_server.py' (repeatable; "
            "started for the solve, with your environment; needs jsolve[mcp]).")


def tools_of_options(tools: list[str] | None, mcp_servers: list[str] | None) -> list[Any]:
    """What `--tools` and `--mcp` name, as a list `Tools.of` takes (empty: no tools). Loading a
    tools file or module runs it; an MCP server starts only when the solve opens the tools."""
    from agent.tools.loading import load_tools
    from agent.tools.mcp import stdio_toolset

    spec: list[Any] = []
    for named in tools or ():
        loaded = load_tools(named)
        spec.extend(loaded if isinstance(loaded, list | tuple) else [loaded])
    spec.extend(stdio_toolset(command) for command in mcp_servers or ())
    return spec


@app.command()
def solve(
    instruction: Annotated[str, typer.Argument(help="What the code should compute.")],
    output: Annotated[str | None, typer.Option("--output", help="The answer's type, e.g. int, 'list\\[str]', 'dict\\[str, float]'.")] = None,
    schema: Annotated[Path | None, typer.Option("--schema", help="A JSON Schema file the answer must match.")] = None,
    model: Annotated[str | None, typer.Option("--model", help="A pydantic-ai model name (openai:gpt-4.1, openai-chat:NAME...) or gguf:/path/model.gguf. Default: $JSOLVE_MODEL, then the embedded model.")] = None,
    max_attempts: Annotated[int, typer.Option("--max-attempts", help="Attempts (rounds of --samples programs) before giving up.")] = DEFAULT_ATTEMPTS,
    samples: Annotated[int | None, typer.Option("--samples", help=f"Independent programs per attempt; the answer is the value most of them agree on. Default: {DEFAULT_SAMPLES}.")] = None,
    min_agreement: Annotated[float | None, typer.Option("--min-agreement", help="With --samples: fail rather than answer when fewer than this share of the passing programs (and fewer than two) agree.")] = None,
    allow_net: Annotated[list[str] | None, typer.Option("--allow-net", help="A host fetch may reach (repeatable; '*' for any public host).")] = None,
    timeout: Annotated[float | None, typer.Option(help="Wall-clock seconds per run of the code.")] = None,
    memory: Annotated[int | None, typer.Option(help="MiB of memory the code may allocate.")] = None,
    input_files: Annotated[list[str] | None, typer.Option("--input", help=INPUT_HELP + " The model sees each one's schema, size and first rows, not the data.")] = None,
    tools: Annotated[list[str] | None, typer.Option("--tools", help=TOOLS_HELP)] = None,
    mcp_servers: Annotated[list[str] | None, typer.Option("--mcp", help=MCP_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object (value, code, attempts, usage, timings, tool_calls).")] = False,
    verbose: Annotated[int, typer.Option("-v", "--verbose", count=True, help="Show log events (-vv for all).")] = 0,
    log_format: Annotated[str, typer.Option("--log-format", help="console or json (JSON lines on stderr).")] = "console",
) -> None:
    """Have a model write, check and repair JavaScript until it answers INSTRUCTION.

    With --tools or --mcp the code can call your functions (code mode): they run in this process,
    the sandboxed code reaches them only through validated JSON calls."""
    from agent.cli.terminal import SolveView, model_loading
    from agent.core.loop import SolveSettings
    from agent.core.loop import solve as run_solve
    from agent.errors import JsolveError, ModelUnavailable, SolveFailed
    from agent.logs import configure
    from agent.models.client import resolve_model
    from agent.text import json_text, visible

    try:
        if log_format not in ("console", "json"):
            raise UsageError(f"--log-format must be console or json, not {log_format!r}")
        if output is not None and schema is not None:
            raise UsageError("give --output or --schema, not both")
        shape: Any = parse_output_type(output) if output is not None else None
        if schema is not None:
            try:
                shape = json.loads(schema.read_text())
            except OSError as exc:
                raise UsageError(f"cannot read {schema}: {exc.strerror}") from None
            except json.JSONDecodeError as exc:
                raise UsageError(f"{schema} is not JSON: {exc}") from None
        limits = chosen_limits(timeout, memory)
        network = network_policy(allow_net)
        settings = SolveSettings()
        if samples is not None or min_agreement is not None:
            from dataclasses import replace

            settings = replace(settings, samples=settings.samples if samples is None else samples,
                               min_agreement=settings.min_agreement if min_agreement is None else min_agreement)
        from agent.core.data import load_inputs

        inputs = load_inputs(named_files(input_files))
        tool_spec = tools_of_options(tools, mcp_servers) or None
    except UsageError as exc:
        typer.echo(f"error: {visible(str(exc))}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    configure(verbosity=verbose, json_lines=log_format == "json")
    view = SolveView(quiet=as_json, samples=settings.samples)
    try:
        with model_loading() as progress:  # before the live view: the embedded model may take a while
            resolved = resolve_model(model, progress=progress)
        with view:
            solution = run_solve(instruction, output=shape, model=resolved, max_attempts=max_attempts, network=network,
                                 limits=limits, settings=settings, inputs=inputs, on_attempt=view.attempt, tools=tool_spec,
                                 on_tool_call=view.call)
    except UsageError as exc:
        typer.echo(f"error: {visible(str(exc))}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    except SolveFailed as exc:
        if as_json:  # the same JSON, its every unseen character escaped
            typer.echo(visible(json_text(view.outcome(exc).json_data())))
        else:
            view.failed(exc)
        raise typer.Exit(EXIT_FAILED) from None
    except ModelUnavailable as exc:
        typer.echo(f"error: {visible(str(exc))}", err=True)
        raise typer.Exit(EXIT_MODEL_UNAVAILABLE) from None
    except JsolveError as exc:
        typer.echo(f"error: {visible(str(exc))}", err=True)
        raise typer.Exit(EXIT_FAILED) from None
    if as_json:
        typer.echo(visible(json_text(view.outcome(solution).json_data())))
    else:
        view.solved(solution)


@app.command()
def mcp(
    http: Annotated[str | None, typer.Option("--http", help="Serve streamable HTTP on HOST:PORT (e.g. 127.0.0.1:8765) instead of stdio.")] = None,
    public: Annotated[bool, typer.Option("--public", help="Allow --http on a non-loopback address; clients then need the bearer token.")] = False,
    token: Annotated[str | None, typer.Option("--token", envvar="JSOLVE_MCP_TOKEN", help="With --http: the bearer token clients must send (default with --public: a random one, printed).")] = None,
    allow_net: Annotated[list[str] | None, typer.Option("--allow-net", help="A host fetch may reach (repeatable; '*' for any public host). Default: no network.")] = None,
    timeout: Annotated[float | None, typer.Option(help="Wall-clock seconds per run; clients may ask for less, never more.")] = None,
    memory: Annotated[int | None, typer.Option(help="MiB of memory the engine may allocate per run.")] = None,
    model: Annotated[str | None, typer.Option("--model", help="The model the solve tool uses. Default: $JSOLVE_MODEL, then the embedded model.")] = None,
    max_attempts: Annotated[int, typer.Option("--max-attempts", help="The most attempts a client's solve may ask for (and the default).")] = DEFAULT_ATTEMPTS,
    max_samples: Annotated[int, typer.Option("--max-samples", help="The most programs per attempt a client's solve may ask for.")] = DEFAULT_MAX_SAMPLES,
    workers: Annotated[int | None, typer.Option("--workers", help="Sandbox worker processes shared by all calls. Default: one per CPU.")] = None,
    tools: Annotated[list[str] | None, typer.Option("--tools", help=TOOLS_HELP + " Clients' code calls them through run_javascript and solve.")] = None,
) -> None:
    """Serve run_javascript and solve as MCP tools, over stdio (default) or streamable HTTP.

    With --tools, the code of every call may call your functions: they run in this server's
    process, and every client of the server can reach them."""
    from agent.mcp import server as mcp_server
    from agent.sandbox import Limits

    try:
        config = mcp_server.ServerConfig(limits=chosen_limits(timeout, memory) or Limits(), network=network_policy(allow_net), model=model,
                                         max_attempts=max_attempts, max_samples=max_samples, workers=workers,
                                         tools=tools_of_options(tools, None) or None)
        mcp_server.main(config, http=http, public=public, token=token)
    except UsageError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None


@app.command()
def serve(
    model: Annotated[str | None, typer.Option("--model", help="gguf:/path/model.gguf to serve instead of the embedded model.")] = None,
    stop: Annotated[bool, typer.Option("--stop", help="Stop the jsolve serve running elsewhere, and exit.")] = False,
) -> None:
    """Keep the local model loaded on loopback until Ctrl-C: jsolve solve, jsolve eval and solve()
    in other processes use it instead of starting their own."""
    from agent.errors import JsolveError
    from agent.models.served import serving, stop_served, wait_until_stopped

    try:
        if stop:
            stopped = stop_served()
            typer.echo(f"stopped jsolve serve (process {stopped.pid})" if stopped else "no jsolve serve is running")
            return
        from agent.cli.terminal import model_loading
        from agent.models.names import model_named

        named = model_named(model, environ={})  # without --model, the embedded model, whatever $JSOLVE_MODEL says
        if named.kind == "provider":
            raise UsageError(f"jsolve serve runs a local model: --model gguf:/path/model.gguf, not {model!r}")
        path = named.path
        with contextlib.ExitStack() as stack:
            with model_loading() as progress:
                served, server = stack.enter_context(serving(path, progress=progress))
            typer.echo(f"serving {served.name} on {served.base_url} (process {served.pid}); jsolve solve, jsolve eval "
                       "and solve() in other processes use it. Ctrl-C (or jsolve serve --stop) stops it.", err=True)
            wait_until_stopped(server)
    except UsageError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    except JsolveError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from None


app.command("eval")(eval_command)

if __name__ == "__main__":
    app()
