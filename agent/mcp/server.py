"""`jsolve mcp`: the sandbox and the solve loop as tools of an MCP server, for other agents.

Two tools: `run_javascript` runs a module in the sandbox and returns what `jsolve run --json`
prints; `solve` has the operator's model write, run and repair code for an instruction, and
reports progress after each attempt. The operator fixes the limits, the network policy and the
model when starting the server; a client may lower a run's timeout, nothing more: a solve's inputs
count against the operator's memory limit and timeout (`Limits.ceiling`), and its output schema is
bounded and read off the event loop (`agent.core.shape`). A failed run
or solve is a tool result with `isError` (what failed and where, the text `solve` sends its own
model), never a protocol error. All calls share one pool of workers, and a call the client
cancels stops its run (`Sandbox.run_async`).

Served over stdio (for desktop and IDE clients) or streamable HTTP. HTTP binds 127.0.0.1, ::1 or
localhost unless the operator says `--public`, and then requires a bearer token.

This module imports the MCP SDK (the `mcp` extra); nothing else in jsolve does.
"""

# No `from __future__ import annotations`: the tools' annotations name the operator's limits,
# which the SDK reads from the signature when it builds their schemas.

import asyncio
import hmac
import ipaddress
import json
import secrets
import socket
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Annotated, Any

import anyio
from pydantic import BaseModel, Field
from pydantic_core import to_jsonable_python

from agent.arguments import positive_count
from agent.core.failures import Failure, feedback
from agent.core.outcome import SolveOutcome
from agent.core.typescript import to_javascript
from agent.defaults import DEFAULT_ATTEMPTS, DEFAULT_MAX_SAMPLES, DEFAULT_SAMPLES
from agent.errors import JsolveError, ModelUnavailable, SolveFailed, UsageError
from agent.sandbox.limits import Limits, lowered_timeout
from agent.sandbox.network import NetworkPolicy
from agent.sandbox.pool import Sandbox
from agent.text import clip, json_text
from agent.toolset import describe_sandbox, failure_text

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer
    from mcp_types import CallToolResult

__all__ = ["BearerToken", "Bind", "RunOutput", "ServerConfig", "SharedTools", "build_server", "main", "new_token", "parse_bind", "require_sdk",
           "serve_http", "serve_stdio"]

HTTP_PATH = "/mcp"
"""Where the streamable HTTP endpoint is served."""

LOCAL_HOSTS = ("127.0.0.1", "::1", "localhost")
"""The addresses served without `--public` and a token: the only ones the SDK's DNS-rebinding
check (the Host and Origin headers) knows. On another loopback address (127.0.0.2) a web page
could reach the server under a name of its own."""


@dataclass(frozen=True, kw_only=True)
class ServerConfig:
    """What the operator allows every call of this server."""

    limits: Limits = field(default_factory=Limits)
    """The limits of every run; a client may only lower the timeout."""
    network: NetworkPolicy | None = None
    """What fetch may reach (None: the network is off); clients cannot change it."""
    model: str | None = None
    """The model `solve` uses (None: $JSOLVE_MODEL, then the embedded model)."""
    max_attempts: int = DEFAULT_ATTEMPTS
    """The most rounds a client's solve may ask for, and the default."""
    max_samples: int = DEFAULT_MAX_SAMPLES
    """The most programs per round a client's solve may ask for (the default is `DEFAULT_SAMPLES`)."""
    workers: int | None = None
    """Worker processes of the shared pool (None: one per CPU)."""
    tools: Any = None
    """The operator's functions the code of every `run_javascript` and `solve` call may call (what
    `agent.tools.Tools.of` takes; None: none). They run in the server's process; clients see
    their declarations in the tools' descriptions and reach them only through validated calls."""

    def __post_init__(self) -> None:
        for name in ("max_attempts", "max_samples"):
            positive_count(getattr(self, name), name.replace("_", "-"))


# -- the structured results (their schemas are the tools' output schemas) -------------------------
# solve's is `agent.core.outcome.SolveOutcome`, the object `jsolve solve --json` prints.


class RunErrorOut(BaseModel):
    """Why a run failed, and where in the code."""

    kind: str
    name: str | None = None
    message: str
    line: int | None = None
    column: int | None = None
    stack: str | None = None


class LogOut(BaseModel):
    """One console line the code printed."""

    level: str
    text: str


class RunOutput(BaseModel):
    """The result of a run, as `jsolve run --json` prints it."""

    ok: bool
    value: Any = None
    error: RunErrorOut | None = None
    logs: list[LogOut] = []
    duration_ms: float
    tool_calls: list[dict[str, Any]] = []
    """The calls the code made to the operator's tools (present when it made any)."""


# -- the tools ----------------------------------------------------------------------------------


def build_server(config: ServerConfig, sandbox: Sandbox) -> "MCPServer":
    """The MCP server with its two tools, running every call on `sandbox`."""
    from mcp.server.mcpserver import Context, MCPServer
    from mcp_types import CallToolResult, TextContent, ToolAnnotations

    from agent.sandbox.inputs import INPUTS_MODULE

    shared = SharedTools.of(config.tools)
    sandbox_text = describe_sandbox(config.limits, config.network) + shared.description
    server = MCPServer("jsolve", instructions="Run JavaScript in a sandbox, or have a model write, run and repair it "
                                              "for an instruction. " + sandbox_text,
                       version=_version(), log_level="WARNING")
    ceiling = f"at most {config.limits.timeout:g}, the server's limit" if config.limits.timeout is not None else "no upper limit"

    async def run_javascript(
        code: Annotated[str, Field(description="The JavaScript module to run; it must `export default` its result.")],
        ctx: Context,
        timeout: Annotated[float | None, Field(description=f"Seconds the run may take ({ceiling}; a larger value gets the limit).", gt=0)] = None,
    ) -> Annotated[CallToolResult, RunOutput]:
        """Run JavaScript and return its default export, its console output and how long it took."""
        limits = lowered_timeout(config.limits, timeout)
        runnable = to_javascript(code)  # TypeScript is erased in place; the lines stay the client's
        if isinstance(runnable, Failure):
            return _error(feedback(runnable, code), {"ok": False, "value": None, "error": {"kind": "syntax", "name": "SyntaxError",
                          "message": runnable.message, "line": runnable.line, "column": runnable.column}, "logs": [], "duration_ms": 0.0})
        code_run = runnable
        result = await _run_reporting_start(sandbox, ctx, code_run, limits, config.network, await shared.opened())
        structured = result.to_json()
        if result.ok:
            return CallToolResult(content=[TextContent(type="text", text=json_text(structured))], structured_content=structured)
        return CallToolResult(content=[TextContent(type="text", text=failure_text(result, code))], structured_content=structured, is_error=True)

    run_javascript.__doc__ = ("Run JavaScript and return its default export (`value`), its console output (`logs`) and "
                              "its duration. " + sandbox_text + " A failed run is an error result that says what failed "
                              "and on which line (`error` has kind, line and column).")
    # With the operator's tools, the code may change what they change.
    server.add_tool(run_javascript, annotations=ToolAnnotations(read_only_hint=not shared.description,
                                                                open_world_hint=config.network is not None or bool(shared.description)))

    async def solve(
        instruction: Annotated[str, Field(description="What to compute, in words.")],
        ctx: Context,
        output_schema: Annotated[dict[str, Any] | None, Field(description="A JSON Schema the answer must match (default: any JSON value).")] = None,
        max_attempts: Annotated[int | None, Field(description=f"Rounds of writing and repairing (default and most: {config.max_attempts}).", ge=1)] = None,
        samples: Annotated[int | None, Field(description=f"Independent programs per round; the answer is the value most agree on (default {DEFAULT_SAMPLES}, at most {config.max_samples}).", ge=1)] = None,
        inputs: Annotated[dict[str, Any] | None, Field(description=f"Data for the code: names mapped to JSON values, which the code imports by name, read-only: `import {{ orders }} from \"{INPUTS_MODULE}\";` (each is also a global of that name). Values, not file paths: this server cannot read the caller's files.")] = None,
    ) -> Annotated[CallToolResult, SolveOutcome]:
        """Solve an instruction with code."""
        return await _solve(config, sandbox, ctx, instruction, output_schema, max_attempts, samples, inputs, await shared.opened())

    solve.__doc__ = ("Have a model write JavaScript for an instruction, run it, check the value against output_schema and "
                     "repair the code until it passes; returns the value, the code, every attempt and the token usage, "
                     "and reports progress after each attempt. " + sandbox_text)
    server.add_tool(solve, annotations=ToolAnnotations(read_only_hint=not shared.description, open_world_hint=True))
    return server


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("jsolve")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return ""


class SharedTools:
    """The operator's tools, shared by every call of the server: listed once when the server is
    built (for the tools' descriptions), opened on the first call that needs them and kept open
    while the server runs (an MCP server among them keeps running; it stops with this process)."""

    def __init__(self, tools: Any, description: str) -> None:
        self._tools = tools
        self.description = description
        """What the clients read of the tools, appended to `run_javascript`'s and `solve`'s descriptions."""
        self._lock: asyncio.Lock | None = None

    @classmethod
    def of(cls, spec: Any) -> "SharedTools":
        """The tools of `spec` (None: none), with their description."""
        if spec is None:
            return cls(None, "")
        from agent.core.loop import describe_tools
        from agent.tools.registry import Tools

        tools = Tools.of(spec)

        async def listed() -> str:  # toolsets are entered to be listed, and left: the first call enters them again
            async with Tools.of(spec) as fresh:
                return describe_tools(fresh) if len(fresh) else ""

        text = _in_own_loop(listed)
        return cls(tools if text else None, "\n\n" + text if text else "")

    async def opened(self) -> Any:
        """The open `Tools`, or None when there are none."""
        if self._tools is None:
            return None
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            await self._tools.open()
        return self._tools


def _in_own_loop(make: Callable[[], Awaitable[str]]) -> str:
    """`make()` run to its end on an event loop of its own, in a thread (the caller may be
    inside a running loop, where `asyncio.run` is refused)."""
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        return thread.submit(lambda: asyncio.run(make())).result()  # type: ignore[arg-type]


async def _run_reporting_start(sandbox: Sandbox, ctx: Any, code: str, limits: Limits,
                               network: NetworkPolicy | None, tools: Any = None) -> Any:
    """Run `code`, telling the client (progress 0 of 1, "running") when the run has a worker:
    with every worker busy, a call first waits for one."""
    started = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_start() -> None:  # on the run's thread
        loop.call_soon_threadsafe(started.set)

    async with anyio.create_task_group() as tasks:
        async def announce() -> None:
            await started.wait()
            await ctx.report_progress(0, 1, "running")

        tasks.start_soon(announce)
        if tools is None:
            result = await sandbox.run_async(code, limits=limits, network=network, on_start=on_start)
        else:
            result = await sandbox.run_async(code, limits=limits, network=network, on_start=on_start, tools=tools)
        tasks.cancel_scope.cancel()
    return result


async def _solve(config: ServerConfig, sandbox: Sandbox, ctx: Any, instruction: str, output_schema: dict[str, Any] | None,
                 max_attempts: int | None, samples: int | None, inputs: dict[str, Any] | None, tools: Any = None) -> "CallToolResult":
    from mcp_types import CallToolResult, TextContent

    from agent.core.loop import Attempt, asolve
    from agent.core.shape import OutputShape
    from agent.sandbox.inputs import Inputs
    from agent.sandbox.pool import fit_inputs

    rounds = min(max_attempts or config.max_attempts, config.max_attempts)
    programs = min(samples or DEFAULT_SAMPLES, config.max_samples)
    total = rounds * programs
    send, receive = anyio.create_memory_object_stream[Attempt](total)
    limits = replace(config.limits, ceiling=True)  # the client's inputs live within the operator's limits
    # Both read in a thread: a client's data must not hold the event loop (solve reads the schema again, cached).
    try:
        data = await anyio.to_thread.run_sync(Inputs, inputs or {})  # values only: a str is text, never a path on this machine
        fit_inputs(limits, data)
    except UsageError as exc:
        return _error(f"inputs: {exc}")
    try:
        await anyio.to_thread.run_sync(OutputShape.of, output_schema)
    except UsageError as exc:  # its words name the output schema
        return _error(str(exc))

    async def progress() -> None:
        done = 0
        async with receive:
            async for attempt in receive:
                done += 1
                await ctx.report_progress(done, total, _progress_message(attempt))

    def on_attempt(attempt: Attempt) -> None:
        try:
            send.send_nowait(attempt)
        except anyio.WouldBlock:  # more programs than announced cannot happen; a notice is not worth a stall
            pass

    started = anyio.current_time()
    solution: Any = None
    failure: JsolveError | None = None
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(progress)
        try:
            solution = await asolve(instruction, output=output_schema, model=config.model, max_attempts=rounds, samples=programs,
                                    network=config.network, limits=limits, inputs=data, sandbox=sandbox, on_attempt=on_attempt,
                                    tools=tools)
        except JsolveError as exc:  # caught here, not around the task group, which would wrap it in a group
            failure = exc
        finally:
            send.close()  # the progress task sends what is queued, then ends
    if isinstance(failure, SolveFailed):
        body = SolveOutcome.of(failure, total_ms=(anyio.current_time() - started) * 1000).json_data()
        last = failure.attempts[-1].feedback if failure.attempts and failure.attempts[-1].feedback else ""
        return _error(f"{failure}\n\n{last}".strip(), body)
    if isinstance(failure, ModelUnavailable):
        return _error(f"the model could not be used: {failure}")
    if failure is not None:  # UsageError: a bad schema, instruction or input
        return _error(str(failure))
    body = SolveOutcome.of(solution).json_data()
    return CallToolResult(content=[TextContent(type="text", text=json_text(body))], structured_content=body)


def _progress_message(attempt: Any) -> str:
    which = f"attempt {attempt.number}" + (f", program {attempt.candidate}" if attempt.candidate > 1 else "")
    if attempt.failure is None:
        value = json_text(to_jsonable_python(attempt.value))
        return f"{which}: passed with {clip(value, 80)}"
    where = f" at line {attempt.failure.line}" if attempt.failure.line else ""
    return f"{which}: {attempt.failure.kind} error{where}"


def _error(text: str, structured: dict[str, Any] | None = None) -> "CallToolResult":
    from mcp_types import CallToolResult, TextContent

    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=structured, is_error=True)


# -- transports ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bind:
    """Where the HTTP server listens."""

    host: str
    port: int

    @property
    def loopback(self) -> bool:
        return self.host == "localhost" or ipaddress.ip_address(self.host).is_loopback

    @property
    def local(self) -> bool:
        """Whether it is served without `--public` (`LOCAL_HOSTS`)."""
        return self.host in LOCAL_HOSTS

    def url(self, port: int | None = None) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port if port is None else port}{HTTP_PATH}"


def parse_bind(text: str) -> Bind:
    """`HOST:PORT`, `[IPv6]:PORT`, `:PORT` or `PORT` (loopback); HOST an IP address or localhost."""
    spec = text.strip()
    host, port = "127.0.0.1", spec
    if spec.startswith("["):
        inside, _, rest = spec[1:].partition("]")
        host, port = inside, rest.removeprefix(":")
    elif ":" in spec:
        host, _, port = spec.rpartition(":")
        host = host or "127.0.0.1"
    hint = "--http takes HOST:PORT (e.g. 127.0.0.1:8765, [::1]:8765, :8765), HOST an IP address or localhost"
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise UsageError(f"{hint}; got {text!r}")
    if host != "localhost":
        try:
            host = str(ipaddress.ip_address(host))
        except ValueError:
            raise UsageError(f"{hint}; {host!r} is not an IP address") from None
    return Bind(host, int(port))


class BearerToken:
    """ASGI middleware: an HTTP request without `Authorization: Bearer <token>` gets 401."""

    def __init__(self, app: Callable[..., Awaitable[None]], token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            given = dict(scope.get("headers") or ()).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                body = json.dumps({"error": "unauthorized: send the server's token as `Authorization: Bearer <token>`"}).encode()
                await send({"type": "http.response.start", "status": 401,
                            "headers": [(b"content-type", b"application/json"), (b"www-authenticate", b'Bearer realm="jsolve"'),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def new_token() -> str:
    """A random bearer token (256 bits)."""
    return secrets.token_urlsafe(32)


def serve_stdio(server: "MCPServer") -> None:
    """Serve MCP over this process's stdin and stdout until the client closes stdin."""
    anyio.run(server.run_stdio_async)


def serve_http(server: "MCPServer", bind: Bind, *, token: str | None, announce: Callable[[str], None]) -> None:
    """Serve streamable HTTP on `bind` until interrupted; `announce` gets the endpoint's URL once
    the socket listens (with the real port when `bind.port` is 0)."""
    import uvicorn

    family = socket.AF_INET6 if ":" in bind.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this: without it each small response waits on a delayed ACK
    # (bench/mcp.py measured 52 ms a call on loopback, against 10 ms with it).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind(("127.0.0.1" if bind.host == "localhost" else bind.host, bind.port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on {bind.host}:{bind.port}: {exc.strerror}") from None
    app: Any = server.streamable_http_app(streamable_http_path=HTTP_PATH, host=bind.host)
    if token is not None:
        app = BearerToken(app, token)
    announce(bind.url(sock.getsockname()[1]))
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=2)
    uvicorn.Server(config).run(sockets=[sock])


def describe(config: ServerConfig) -> str:
    """One line on what the server allows, for its log."""
    limits = config.limits
    net = "network off" if config.network is None else "fetch to " + ", ".join(config.network.allow_hosts)
    timeout = f"timeout {limits.timeout:g} s" if limits.timeout is not None else "no timeout"
    memory = f"memory {limits.memory_mb} MiB" if limits.memory_mb is not None else "no memory limit"
    return f"{timeout}, {memory}, {net}, solve with at most {config.max_attempts} attempts x {config.max_samples} samples"


def require_sdk() -> None:
    """Raise a `UsageError` that says what to install when the MCP SDK is missing."""
    try:
        import mcp.server.mcpserver  # noqa: F401
    except ImportError as exc:
        if (exc.name or "mcp").split(".")[0] not in ("mcp", "mcp_types"):
            raise
        raise UsageError('jsolve mcp needs the MCP SDK: pip install "jsolve[mcp]" (or pip install -e ".[mcp]")') from None


def _check_model(config: ServerConfig, echo: Callable[[str], None]) -> None:
    """Refuse a model name that cannot work before serving (a typo would otherwise surface on a
    client's first solve); a local model is only started by the first solve."""
    from agent.models.client import model_named, resolve_model

    named = model_named(config.model)
    if named.kind == "provider":
        resolve_model(named.name)
    elif named.kind == "embedded":
        from agent.models import local as local_model

        if not local_model.is_installed():
            echo("jsolve mcp: no model for the solve tool (give --model or set $JSOLVE_MODEL); run_javascript works without one")


def main(config: ServerConfig, *, http: str | None, public: bool, token: str | None, echo: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)) -> None:
    """`jsolve mcp`: check the flags, start the pool, serve until the client or a signal stops it."""
    bind = parse_bind(http) if http is not None else None
    if bind is None and public:
        raise UsageError("--public applies to --http; over stdio the client that starts the server is its only client")
    if bind is None:
        token = None  # over stdio there is nothing to authenticate (and $JSOLVE_MCP_TOKEN may be set for another server)
    if bind is not None and not bind.local and not public:
        if bind.loopback:
            raise UsageError(f"--http {http}: without --public only 127.0.0.1, [::1] and localhost are served, the addresses whose "
                             f"Host and Origin headers are checked against DNS rebinding (a web page could reach {bind.host} under "
                             "a name of its own); bind 127.0.0.1, or add --public (clients then need the bearer token)")
        raise UsageError(f"--http {http} listens on a non-loopback address, reachable from other machines: add --public "
                         "to mean it (clients then need the bearer token), or bind 127.0.0.1")
    if bind is not None and public and bind.local:
        raise UsageError(f"--public is for a non-loopback address; {bind.host} is loopback")
    if token is not None and len(token) < 16:
        raise UsageError("--token must be at least 16 characters; omit it to get a random one")
    if bind is not None and not bind.local:
        if token is None:
            token = new_token()
            echo(f"jsolve mcp: bearer token (clients send `Authorization: Bearer <token>`): {token}")
        if not bind.loopback:
            echo(f"jsolve mcp: WARNING: listening on {bind.host}, reachable from other machines; anyone with the token "
                 "can run code in this sandbox and spend this server's model")
    require_sdk()
    _check_model(config, echo)
    sandbox = Sandbox(config.workers, limits=config.limits)
    try:
        server = build_server(config, sandbox)
        echo(f"jsolve mcp: {describe(config)}")
        if bind is None:
            serve_stdio(server)
        else:
            serve_http(server, bind, token=token, announce=lambda url: echo(f"jsolve mcp: streamable HTTP at {url}"))
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.close()
