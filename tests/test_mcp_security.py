"""What one MCP client can do to the server and to the operator's limits, end to end: a real
`jsolve mcp` subprocess, the SDK's client, real workers, and a scripted model.

A client's output schema cannot stall the other clients (patterns are matched without
backtracking, the schema's size and nesting are bounded); without --public only the loopback
names the DNS-rebinding check knows are served; a client's inputs live within the operator's
--memory and --timeout."""

from __future__ import annotations

import json
import subprocess
import time

import anyio
import httpx
import pytest
from mcp import Client

from tests.fake_provider import FakeProvider
from tests.scripted import fenced
from tests.test_mcp import ROOT, connected, http_server, mcp_command, server_env, text_of


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def provider(request):
    fake = FakeProvider(request.param)
    yield fake
    fake.close()


# -- finding: a client's output schema froze every client -------------------------------------

BACKTRACKING = "^(a+)+$"
"""Python's `re` takes about 2^n steps to fail it on n letters a and a "!"."""


@pytest.mark.anyio
@pytest.mark.parametrize("provider", [[fenced("export default 'a'.repeat(28) + '!'")]], indirect=True)
async def test_a_backtracking_pattern_does_not_stall_another_client(provider):
    with http_server("--http", "127.0.0.1:0", "--workers", "2", provider=provider) as (url, _):
        async with Client(url) as first, Client(url) as second:
            done: dict[str, float] = {}
            outcome = {}

            async def solve() -> None:
                outcome["solve"] = await first.call_tool("solve", {"instruction": "Some a's.", "max_attempts": 1,
                                                                   "output_schema": {"type": "string", "pattern": BACKTRACKING}})
                done["solve"] = time.monotonic()

            with anyio.fail_after(100):
                async with anyio.create_task_group() as tasks:
                    tasks.start_soon(solve)
                    while not provider.requests:  # the model has written the code: the run, then the check, follow
                        await anyio.sleep(0.01)
                    await anyio.sleep(2)  # past the run (tens of ms), inside a check that backtracks (2^28 steps)
                    sent = time.monotonic()
                    ran = await second.call_tool("run_javascript", {"code": "export default 6 * 7"})
                    done["run"] = time.monotonic()
            assert ran.structured_content["value"] == 42
            # Either the check was over before the other client asked, or the other client was
            # served while it went on; never the other client waiting for the check to end.
            assert done["solve"] < sent or done["run"] < done["solve"], (done, sent)
            failed = outcome["solve"]
            assert failed.is_error and "does not match '^(a+)+$'" in text_of(failed)


@pytest.mark.anyio
@pytest.mark.parametrize("provider", [[fenced("export default 'fine'")]], indirect=True)
async def test_schemas_that_cost_too_much_are_refused_before_the_model_is_asked(provider):
    huge = {"type": "object", "properties": {f"field_{i}": {"type": "string", "description": "d" * 200} for i in range(20_000)}}
    deep: dict = {"type": "string"}
    for _ in range(100):  # (past 200 levels the SDK's JSON reader drops the message)
        deep = {"not": deep}
    async with connected("stdio", "--workers", "1", provider=provider) as client:
        refused = await client.call_tool("solve", {"instruction": "x", "output_schema": huge})
        assert refused.is_error
        assert f"output is a JSON Schema of {len(json.dumps(huge, separators=(',', ':'))):,} bytes" in text_of(refused)
        assert "more than the 65,536 taken" in text_of(refused)

        too_deep = await client.call_tool("solve", {"instruction": "x", "output_schema": deep})
        assert too_deep.is_error and "nested too deeply (more than 64 levels" in text_of(too_deep)

        backreference = await client.call_tool("solve", {"instruction": "x", "output_schema": {"type": "string", "pattern": "^(a+)\\1$"}})
        assert backreference.is_error
        assert "the pattern '^(a+)\\\\1$' in the subschema at $ is not a regular expression RE2 can compile" in text_of(backreference)
        assert "backreferences" in text_of(backreference)
        assert provider.requests == []  # each was refused before any model call

        fine = await client.call_tool("solve", {"instruction": "x", "output_schema": {"type": "string", "pattern": "^\\p{L}+$"}})
        assert not fine.is_error and fine.structured_content["value"] == "fine"  # a pattern RE2 and JavaScript read


# -- finding: 127.0.0.2 counted as loopback, past the SDK's DNS-rebinding check ----------------


def test_another_loopback_address_needs_public():
    done = subprocess.run(mcp_command("--http", "127.0.0.2:0", "--workers", "1"), capture_output=True, text=True, env=server_env(),
                          cwd=ROOT, timeout=60, check=False)
    assert done.returncode == 2
    assert "DNS rebinding" in done.stderr and "--public" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.anyio
async def test_on_another_loopback_address_a_rebound_request_without_the_token_is_refused():
    with http_server("--http", "127.0.0.2:0", "--public", "--workers", "1") as (url, lines):
        assert any("bearer token" in line for line in lines)
        assert not any("other machines" in line for line in lines)  # loopback: no warning about the network
        hello = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
        async with httpx.AsyncClient() as raw:  # what a page of attacker.example, resolved to 127.0.0.2, sends
            rebound = await raw.post(url, json=hello, headers={"Host": "attacker.example", "Origin": "http://attacker.example",
                                                                "Accept": "application/json, text/event-stream"})
        assert rebound.status_code == 401


# -- finding: inputs raised the memory limit past --memory, and loaded outside --timeout --------


ALLOCATE = "const block = new Uint8Array({mib} << 20);\nblock.fill(1);\nexport default block.length + pad.length"


@pytest.mark.anyio
@pytest.mark.parametrize("provider", [[fenced(ALLOCATE.format(mib=40)), fenced(ALLOCATE.format(mib=4))]], indirect=True)
async def test_inputs_live_within_the_operators_memory_limit(provider):
    pad = "x" * 8_000_000  # unused by the code but for its length: 8 MB the engine holds
    async with connected("stdio", "--workers", "1", "--memory", "32", provider=provider) as client:
        past = await client.call_tool("solve", {"instruction": "Allocate.", "inputs": {"pad": pad}, "max_attempts": 1})
        assert past.is_error, text_of(past)  # 40 MiB past a 32 MiB ceiling, the input's 8 MB beside it
        assert past.structured_content["attempts"][0]["failure"]["kind"] == "memory"

        within = await client.call_tool("solve", {"instruction": "Allocate.", "inputs": {"pad": pad}, "max_attempts": 1})
        assert not within.is_error, text_of(within)
        assert within.structured_content["value"] == (4 << 20) + len(pad)

        too_big = await client.call_tool("solve", {"instruction": "x", "inputs": {"pad": "x" * (33 << 20)}})
        assert too_big.is_error
        assert "inputs: the inputs take 33.0 MiB as JSON, and the memory limit of 32 MiB must hold them" in text_of(too_big)
        assert len(provider.requests) == 2  # refused before any model call


@pytest.mark.anyio
@pytest.mark.parametrize("provider", [[fenced("export default rows.length")]], indirect=True)
async def test_loading_the_inputs_counts_against_the_operators_timeout(provider):
    rows = [{"id": i, "name": f"row {i}", "tags": ["a", "b"], "score": i / 7} for i in range(100_000)]  # 7 MB of JSON: 0.2 s to load
    async with connected("stdio", "--workers", "1", "--memory", "1024", "--timeout", "0.05", provider=provider) as client:
        result = await client.call_tool("solve", {"instruction": "Count.", "inputs": {"rows": rows}, "max_attempts": 1})
        assert result.is_error, text_of(result)
        assert result.structured_content["attempts"][0]["failure"]["kind"] == "timeout"
