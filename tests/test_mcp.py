"""`jsolve mcp` end to end: the SDK's own client talks to the server in a subprocess, over stdio
and over streamable HTTP on loopback; the solve tool's model is a scripted OpenAI-compatible
server. Also the cancellable pool on its own, and the HTTP bind and token rules."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import anyio
import httpx
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from agent.errors import UsageError
from agent.mcp.server import parse_bind
from agent.sandbox.limits import Limits
from agent.sandbox.network import NetworkPolicy
from agent.sandbox.pool import Sandbox
from tests.fake_provider import FakeProvider
from tests.scripted import fenced

ROOT = Path(__file__).resolve().parent.parent
TRANSPORTS = ["stdio", "http"]


@pytest.fixture
def anyio_backend():
    return "asyncio"


def server_env(provider: FakeProvider | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "JSOLVE_"))}
    if provider is not None:
        env.update(OPENAI_BASE_URL=provider.base_url, OPENAI_API_KEY="test-key", JSOLVE_MODEL="openai-chat:scripted")
    return env


def mcp_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "agent", "mcp", *args]


@contextmanager
def http_server(*args: str, provider: FakeProvider | None = None) -> Iterator[tuple[str, list[str]]]:
    """A `jsolve mcp --http` subprocess; yields its endpoint (read from the line it prints once
    it listens) and the lines it printed before."""
    process = subprocess.Popen(mcp_command(*args), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True, env=server_env(provider), cwd=ROOT)
    assert process.stderr is not None
    lines: list[str] = []
    try:
        for line in process.stderr:
            lines.append(line.rstrip("\n"))
            if found := re.search(r"streamable HTTP at (\S+)", line):
                url = found.group(1)
                break
        else:
            raise AssertionError(f"the server exited ({process.wait()}) before listening:\n" + "\n".join(lines))
        threading.Thread(target=process.stderr.read, daemon=True).start()  # keep the pipe drained
        yield url, lines
    finally:
        process.terminate()
        process.wait(timeout=20)


@asynccontextmanager
async def connected(transport: str, *args: str, provider: FakeProvider | None = None, mode: str = "auto") -> AsyncIterator[Client]:
    if transport == "stdio":
        params = StdioServerParameters(command=sys.executable, args=mcp_command(*args)[1:], env=server_env(provider), cwd=str(ROOT))
        async with Client(params, mode=mode) as client:
            yield client
    else:
        with http_server("--http", "127.0.0.1:0", *args, provider=provider) as (url, _):
            async with Client(url, mode=mode) as client:
                yield client


def text_of(result) -> str:
    return "\n".join(block.text for block in result.content)


# -- tools, schemas and runs, on both transports ----------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_tools_schemas_and_runs(transport):
    async with connected(transport, "--timeout", "2", "--allow-net", "example.org", "--workers", "2") as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert set(tools) == {"run_javascript", "solve"}
        run = tools["run_javascript"]
        assert run.input_schema["required"] == ["code"] and set(run.input_schema["properties"]) == {"code", "timeout"}
        assert set(run.output_schema["properties"]) == {"ok", "value", "error", "logs", "duration_ms", "tool_calls"}
        for words in ("ES module", "export default", "no Node.js", "fetch() reaches only example.org", "2 s"):
            assert words in run.description, words
        solve = tools["solve"]
        assert set(solve.input_schema["properties"]) == {"instruction", "output_schema", "max_attempts", "samples", "inputs"}
        assert {"value", "code", "attempts", "usage"} <= set(solve.output_schema["properties"])
        assert "not file paths" in solve.input_schema["properties"]["inputs"]["description"]

        ok = await client.call_tool("run_javascript", {"code": "console.log('hi');\nexport default { n: 6 * 7, big: 2n ** 70n }"})
        assert not ok.is_error
        assert ok.structured_content["ok"] is True and ok.structured_content["value"] == {"n": 42, "big": 2**70}
        assert ok.structured_content["logs"] == [{"level": "log", "text": "hi"}]
        assert json.loads(text_of(ok))["value"]["n"] == 42

        failed = await client.call_tool("run_javascript", {"code": "const rows = null;\nexport default rows.length"})
        assert failed.is_error
        error = failed.structured_content["error"]
        assert (error["kind"], error["name"], error["line"], error["column"]) == ("runtime", "TypeError", 2, 16)
        assert "runtime error at line 2, column 16: TypeError" in text_of(failed)
        assert "Line 2 is: export default rows.length" in text_of(failed)

        slow = await client.call_tool("run_javascript", {"code": "while (true) {}", "timeout": 0.3})
        assert slow.is_error and slow.structured_content["error"]["kind"] == "timeout"
        assert slow.structured_content["duration_ms"] < 1500  # the client's lower timeout held

        refused = await client.call_tool("run_javascript", {"code": "export default await (await fetch('https://api.github.com/')).text()"})
        assert refused.is_error and refused.structured_content["error"]["kind"] == "policy"
        assert "api.github.com" in refused.structured_content["error"]["message"]
        assert refused.structured_content["error"]["line"] == 1

        bad_args = await client.call_tool("run_javascript", {"timeout": 1})
        assert bad_args.is_error and "code" in text_of(bad_args)


@pytest.mark.anyio
async def test_a_client_of_the_initialize_handshake_era_is_served():
    # desktop clients that predate protocol discovery connect with `initialize`
    async with connected("stdio", "--workers", "1", mode="legacy") as client:
        assert client.server_info.name == "jsolve"
        assert {tool.name for tool in (await client.list_tools()).tools} == {"run_javascript", "solve"}
        result = await client.call_tool("run_javascript", {"code": "export default 'hello'"})
        assert result.structured_content["value"] == "hello"


@pytest.mark.anyio
async def test_a_client_gets_the_operators_limits_and_network():
    async with connected("stdio", "--timeout", "1", "--allow-net", "example.org", "--workers", "1") as client:
        longer = await client.call_tool("run_javascript", {"code": "while (true) {}", "timeout": 60})
        assert longer.structured_content["error"]["kind"] == "timeout"
        assert 900 <= longer.structured_content["duration_ms"] < 4000  # stopped at the operator's 1 s, not 60
        widened = await client.call_tool("run_javascript", {
            "code": "export default (await fetch('https://api.github.com/')).status",
            "network": {"allow_hosts": ["*"]}, "allow_net": ["*"], "allow_hosts": ["*"], "limits": {"timeout": 60},
        })
        assert widened.is_error and widened.structured_content["error"]["kind"] == "policy"
        assert "api.github.com" in widened.structured_content["error"]["message"]


# -- many calls at once, one cancelled ---------------------------------------------------------

OPERATOR_TIMEOUT = 10.0


@pytest.mark.anyio
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_twenty_calls_at_once_and_a_cancelled_one_frees_its_worker(transport):
    # One worker: the 20 calls queue behind a run that never ends. Unless the cancellation stops
    # it, they wait for its timeout (10 s); stopped, they are all answered in well under that.
    async with connected(transport, "--timeout", str(OPERATOR_TIMEOUT), "--workers", "1") as client:
        running = anyio.Event()

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            if message == "running":
                running.set()

        scope = anyio.CancelScope()
        outcome: dict[str, object] = {}
        results: dict[int, object] = {}

        async def forever() -> None:
            with scope:
                outcome["result"] = await client.call_tool("run_javascript", {"code": "while (true) {}"}, progress_callback=on_progress)

        async def one(i: int) -> None:
            results[i] = await client.call_tool("run_javascript", {"code": f"let s = 0;\nfor (let k = 0; k < 1000; k++) s += k;\nexport default [{i}, s]"})

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(forever)
            with anyio.fail_after(30):
                await running.wait()  # the endless run has the only worker
            for i in range(20):
                tasks.start_soon(one, i)
            cancelled_at = anyio.current_time()
            scope.cancel()
        elapsed = anyio.current_time() - cancelled_at
        assert scope.cancelled_caught and "result" not in outcome
        assert {i: r.structured_content["value"] for i, r in results.items()} == {i: [i, 499500] for i in range(20)}
        assert not any(r.is_error for r in results.values())
        assert elapsed < OPERATOR_TIMEOUT / 2, f"the 20 calls took {elapsed:.1f} s after the cancellation"
        after = await client.call_tool("run_javascript", {"code": "export default 'still serving'"})
        assert after.structured_content["value"] == "still serving"


def test_a_cancelled_run_kills_its_worker_and_the_pool_replaces_it():
    class Signal(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            reached.set()
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    reached = threading.Event()
    signal = ThreadingHTTPServer(("127.0.0.1", 0), Signal)
    threading.Thread(target=signal.serve_forever, daemon=True).start()
    policy = NetworkPolicy(allow_hosts=["127.0.0.1"]).allowing_loopback()
    code = f"await fetch('http://127.0.0.1:{signal.server_address[1]}/');\nwhile (true) {{}}\nexport default 1"

    async def scenario(sandbox: Sandbox) -> None:
        run = asyncio.create_task(sandbox.run_async(code, network=policy, limits=Limits(timeout=30)))
        assert await asyncio.to_thread(reached.wait, 20)  # the code is running: it made its request
        (worker,) = sandbox._all
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(run, 5)
        assert sandbox.stopped_runs == 1
        result = await asyncio.wait_for(sandbox.run_async("export default 'next'"), 10)
        assert result.ok and result.value == "next"
        assert worker.process.poll() is not None and worker not in sandbox._all  # killed, and replaced

    try:
        with Sandbox(1) as sandbox:
            asyncio.run(scenario(sandbox))
    finally:
        signal.shutdown()
        signal.server_close()


def test_a_run_cancelled_before_it_has_a_worker_never_starts():
    async def scenario(sandbox: Sandbox) -> None:
        loop = asyncio.get_running_loop()
        holding = asyncio.Event()
        busy = asyncio.create_task(sandbox.run_async("const end = Date.now() + 300;\nwhile (Date.now() < end) {}\nexport default 1",
                                                     on_start=lambda: loop.call_soon_threadsafe(holding.set)))
        await holding.wait()  # the only worker is busy
        waiting = asyncio.create_task(sandbox.run_async("export default 2", on_start=lambda: started.append(True)))
        await asyncio.sleep(0)  # one turn of the loop: the second run is submitted, and waits for the worker
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert (await busy).value == 1
        assert (await sandbox.run_async("export default 3")).value == 3
        assert started == [] and sandbox.stopped_runs == 0

    started: list[bool] = []
    with Sandbox(1) as sandbox:
        asyncio.run(scenario(sandbox))


# -- solve, with a scripted model --------------------------------------------------------------


@pytest.fixture
def provider(request):
    fake = FakeProvider(request.param)
    yield fake
    fake.close()


@pytest.mark.anyio
@pytest.mark.parametrize("provider", [[fenced("export default '17'"), fenced("export default primes.reduce((a, b) => a + b, 0)"),
                                       fenced("export default note")]], indirect=True)
async def test_solve_reports_progress_after_each_attempt(provider):
    async with connected("stdio", "--workers", "1", provider=provider) as client:
        progress: list[tuple[float, float | None, str | None]] = []

        async def on_progress(done: float, total: float | None, message: str | None) -> None:
            progress.append((done, total, message))

        solved = await client.call_tool("solve", {"instruction": "Sum the primes.", "output_schema": {"type": "integer"},
                                                  "inputs": {"primes": [2, 3, 5, 7]}}, progress_callback=on_progress)
        assert not solved.is_error, text_of(solved)
        body = solved.structured_content
        assert body["ok"] is True and body["value"] == 17 and body["model"] == "scripted"
        assert body["code"] == "export default primes.reduce((a, b) => a + b, 0)"
        assert [a["failure"]["kind"] if a["failure"] else None for a in body["attempts"]] == ["schema", None]
        assert body["usage"] == {"requests": 2, "input_tokens": 100, "output_tokens": 40}
        assert progress == [(1, 4, "attempt 1: schema error"), (2, 4, "attempt 2: passed with 17")]
        assert "primes" in json.dumps(provider.requests[0]["messages"])  # the model was told of the input

        # an input that looks like a file name is text, not a file on the server's disk
        text = await client.call_tool("solve", {"instruction": "Echo the note.", "inputs": {"note": "/etc/passwd.json"}})
        assert text.structured_content["value"] == "/etc/passwd.json"


@pytest.mark.anyio
@pytest.mark.parametrize("provider", [[fenced("export default 'a'")] * 3], indirect=True)
async def test_a_failed_solve_is_a_tool_error_within_the_operators_budget(provider):
    async with connected("stdio", "--workers", "1", "--max-attempts", "2", provider=provider) as client:
        failed = await client.call_tool("solve", {"instruction": "A number.", "output_schema": {"type": "integer"}, "max_attempts": 50})
        assert failed.is_error
        assert "not solved in 2 attempt(s)" in text_of(failed)
        assert failed.structured_content["ok"] is False and len(failed.structured_content["attempts"]) == 2
        assert len(provider.requests) == 2  # the client asked for 50 rounds and got the operator's 2

        refused = await client.call_tool("solve", {"instruction": "x", "inputs": {"not a name": 1}})
        assert refused.is_error and "inputs:" in text_of(refused)


# -- HTTP: binds and the bearer token ----------------------------------------------------------


def test_a_non_loopback_bind_needs_public():
    done = subprocess.run(mcp_command("--http", "0.0.0.0:0"), capture_output=True, text=True, env=server_env(), cwd=ROOT, timeout=60)
    assert done.returncode == 2
    assert "non-loopback" in done.stderr and "--public" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.anyio
async def test_a_public_bind_warns_and_requires_the_bearer_token():
    with http_server("--http", "0.0.0.0:0", "--public", "--workers", "1") as (url, lines):
        assert any("WARNING" in line and "other machines" in line for line in lines)
        token = next(re.search(r"token.*: (\S+)$", line).group(1) for line in lines if "bearer token" in line)
        url = url.replace("0.0.0.0", "127.0.0.1")
        hello = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
        async with httpx.AsyncClient() as raw:
            missing = await raw.post(url, json=hello, headers={"Accept": "application/json, text/event-stream"})
            wrong = await raw.post(url, json=hello, headers={"Authorization": "Bearer " + "x" * len(token)})
        assert missing.status_code == wrong.status_code == 401
        assert missing.headers["www-authenticate"].startswith("Bearer")
        authorized = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
        async with authorized, Client(streamable_http_client(url, http_client=authorized)) as client:
            result = await client.call_tool("run_javascript", {"code": "export default 'in'"})
            assert result.structured_content["value"] == "in"


@pytest.mark.parametrize(("spec", "host", "port", "loopback"), [
    ("127.0.0.1:8765", "127.0.0.1", 8765, True), (":8765", "127.0.0.1", 8765, True), ("8765", "127.0.0.1", 8765, True),
    ("[::1]:9", "::1", 9, True), ("localhost:1", "localhost", 1, True), ("0.0.0.0:80", "0.0.0.0", 80, False),
    ("192.168.1.2:80", "192.168.1.2", 80, False),
])
def test_bind_specs(spec, host, port, loopback):
    bind = parse_bind(spec)
    assert (bind.host, bind.port, bind.loopback) == (host, port, loopback)


@pytest.mark.parametrize("spec", ["example.com:80", "127.0.0.1:99999", "127.0.0.1:", "[::1]"])
def test_bad_bind_specs(spec):
    with pytest.raises(UsageError, match="--http takes HOST:PORT"):
        parse_bind(spec)


# -- the optional SDK --------------------------------------------------------------------------


def test_the_cli_imports_the_sdk_only_for_jsolve_mcp():
    probe = ("import sys\nsys.argv = ['jsolve', '--help']\nimport agent.cli.app\ntry:\n    agent.cli.app.app()\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('mcp', 'mcp_types') or m == 'agent.mcp.server'))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert " mcp " in done.stdout  # the command is listed
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_without_the_sdk_jsolve_mcp_says_what_to_install():
    probe = "import sys\nsys.modules['mcp'] = None\nsys.argv = ['jsolve', 'mcp', '--workers', '1']\nfrom agent.cli.app import app\napp()"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 2
    assert 'pip install "jsolve[mcp]"' in done.stderr and "Traceback" not in done.stderr
