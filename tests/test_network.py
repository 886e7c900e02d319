"""fetch in the sandbox, against a real HTTP server on loopback (allowed by the test-only switch)."""

from __future__ import annotations

import time

import pytest

from agent.errors import UsageError
from agent.sandbox import Limits, NetworkPolicy
from agent.sandbox.network import Fetcher
from tests.fixture_server import FixtureServer


@pytest.fixture(scope="module")
def server():
    fixture = FixtureServer()
    yield fixture
    fixture.close()


@pytest.fixture
def net():
    return NetworkPolicy(allow_hosts=["127.0.0.1"]).allowing_loopback()


def test_get_reads_status_headers_and_text(sandbox, server, net):
    r = sandbox.run(f"""
        const res = await fetch("{server.url}/page");
        const html = await res.text();
        export default {{ ok: res.ok, status: res.status, type: res.headers.get("Content-Type"), fixture: res.headers.get("x-fixture"),
                          title: html.match(/<title>(.*)<\\/title>/)[1], url: res.url }};
    """, network=net)
    assert r.ok, r.error
    assert r.value == {"ok": True, "status": 200, "type": "text/html; charset=utf-8", "fixture": "page", "title": "Fixture page", "url": f"{server.url}/page"}


def test_post_with_a_json_body_and_headers_both_ways(sandbox, server, net):
    r = sandbox.run(f"""
        const res = await fetch("{server.url}/echo", {{ method: "POST", headers: {{ "Content-Type": "application/json", "X-Token": "t1" }},
                                                       body: JSON.stringify({{ a: [1, 2] }}) }});
        const echo = await res.json();
        export default [echo.method, echo.headers["x-token"], echo.headers["content-type"], JSON.parse(echo.body), echo.headers.host];
    """, network=net)
    assert r.ok, r.error
    assert r.value == ["POST", "t1", "application/json", {"a": [1, 2]}, f"127.0.0.1:{server.port}"]


def test_a_404_is_a_response_not_an_error(sandbox, server, net):
    r = sandbox.run(f'const res = await fetch("{server.url}/missing");\nexport default [res.ok, res.status, await res.text()]', network=net)
    assert r.value == [False, 404, "no such page"]


def test_a_redirect_chain_within_the_allow_list_is_followed(sandbox, server, net):
    r = sandbox.run(f'const res = await fetch("{server.url}/redirect/3");\nexport default [res.status, res.url]', network=net)
    assert r.value == [200, f"{server.url}/page"]


def test_a_redirect_to_a_refused_address_is_refused_at_that_hop(sandbox, server):
    before = len(server.hits)
    anywhere = NetworkPolicy(allow_hosts=["*"]).allowing_loopback()
    r = sandbox.run(f'export default (await fetch("{server.url}/to?url=http://169.254.169.254/latest/meta-data/")).status', network=anywhere)
    assert not r.ok and r.error.kind == "policy"
    assert "169.254.169.254" in r.error.message and "link-local" in r.error.message
    assert len(server.hits) == before + 1, "the first hop was made, the second refused"


def test_a_redirect_to_a_host_off_the_allow_list_is_refused(sandbox, server, net):
    r = sandbox.run(f'export default (await fetch("{server.url}/to?url=http://example.com/")).status', network=net)
    assert r.error.kind == "policy" and "'example.com' is not on the allow list" in r.error.message


def test_a_slow_response_times_out_within_the_run_deadline(sandbox, server):
    policy = NetworkPolicy(allow_hosts=["127.0.0.1"], request_timeout=0.5).allowing_loopback()
    started = time.monotonic()
    r = sandbox.run(f'export default await (await fetch("{server.url}/slow")).text()', network=policy)
    assert time.monotonic() - started < 2.5
    assert not r.ok and r.error.kind == "runtime" and r.error.name == "TypeError" and "timed out" in r.error.message


def test_the_run_deadline_bounds_a_request_too(sandbox, server, net):
    started = time.monotonic()
    r = sandbox.run(f'export default await (await fetch("{server.url}/slow")).text()', network=net, limits=Limits(timeout=0.7))
    assert time.monotonic() - started < 0.7 + 1.0
    assert not r.ok and r.error.kind in ("timeout", "runtime")
    assert sandbox.run("export default 1").value == 1


def test_a_body_over_the_cap_is_an_error_not_a_truncation(sandbox, server):
    policy = NetworkPolicy(allow_hosts=["127.0.0.1"], max_response_bytes=1000).allowing_loopback()
    r = sandbox.run(f'export default (await (await fetch("{server.url}/big?n=1001")).text()).length', network=policy)
    assert r.error.kind == "policy" and "over the cap of 1000 bytes" in r.error.message
    assert sandbox.run(f'export default (await (await fetch("{server.url}/big?n=1000")).text()).length', network=policy).value == 1000


def test_total_bytes_per_run_are_capped(sandbox, server):
    policy = NetworkPolicy(allow_hosts=["127.0.0.1"], max_total_bytes=2500).allowing_loopback()
    r = sandbox.run(f'for (let i = 0; i < 3; i++) await (await fetch("{server.url}/big?n=1000")).text();\nexport default 1', network=policy)
    assert r.error.kind == "policy" and "2500 bytes in all" in r.error.message


def test_requests_per_run_are_capped_and_redirect_hops_count(sandbox, server):
    policy = NetworkPolicy(allow_hosts=["127.0.0.1"], max_requests=3).allowing_loopback()
    assert sandbox.run(f'export default (await fetch("{server.url}/redirect/2")).status', network=policy).value == 200
    r = sandbox.run(f'export default (await fetch("{server.url}/redirect/3")).status', network=policy)
    assert r.error.kind == "policy" and "3 allowed requests" in r.error.message


def test_parallel_fetches_with_promise_all(sandbox, server, net):
    r = sandbox.run(f"""
        const urls = [1, 2, 3, 4, 5, 6].map((i) => "{server.url}/echo?i=" + i);
        const bodies = await Promise.all(urls.map((u) => fetch(u).then((res) => res.json())));
        export default bodies.map((b) => b.method).length;
    """, network=net)
    assert r.value == 6


def test_a_caught_refusal_is_the_guests_business(sandbox, server, net):
    r = sandbox.run('let why;\ntry { await fetch("http://10.0.0.1/") } catch (e) { why = e.name }\nexport default why', network=net)
    assert r.value == "PolicyError"


def test_without_a_policy_fetch_is_a_policy_error(sandbox, server):
    before = len(server.hits)
    r = sandbox.run(f'export default (await fetch("{server.url}/page")).status')
    assert r.error.kind == "policy" and "the network is off" in r.error.message
    assert len(server.hits) == before


def test_the_loopback_switch_is_needed_for_loopback(sandbox, server):
    before = len(server.hits)
    r = sandbox.run(f'export default (await fetch("{server.url}/page")).status', network=NetworkPolicy(allow_hosts=["127.0.0.1"]))
    assert r.error.kind == "policy" and "loopback" in r.error.message
    assert len(server.hits) == before


def test_the_supervisor_connects_to_the_address_it_checked(server):
    """A name is resolved once, by the supervisor; the request goes to that address with the
    name as Host, so a second lookup cannot rebind it."""
    lookups = []

    def resolver(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    policy = NetworkPolicy(allow_hosts=["fixture.test"]).allowing_loopback()
    fetcher = Fetcher(policy, None, resolver=resolver)
    try:
        reply = fetcher.fetch({"url": f"http://fixture.test:{server.port}/echo", "method": "GET", "headers": []})
    finally:
        fetcher.close()
    assert reply["status"] == 200 and lookups == ["fixture.test"]
    assert f'"host": "fixture.test:{server.port}"' in reply["body"]


def test_a_name_that_resolves_to_a_private_address_is_refused(server):
    fetcher = Fetcher(NetworkPolicy(allow_hosts=["*"]), None, resolver=lambda host, port: ["93.184.216.34", "10.1.2.3"])
    try:
        reply = fetcher.fetch({"url": "http://rebind.test/", "method": "GET", "headers": []})
    finally:
        fetcher.close()
    assert reply["error"]["kind"] == "policy" and "10.1.2.3" in reply["error"]["message"]


def test_url_and_search_params_work_without_a_network(sandbox):
    r = sandbox.run("""
        const u = new URL("../b/c?x=1&y=two%20words#frag", "https://Example.com:443/a/d/");
        u.searchParams.append("z", "a&b");
        const p = new URLSearchParams("?q=js&q=py&n=1");
        export default [u.href, u.host, u.pathname, u.searchParams.get("y"), p.getAll("q"), [...p.keys()], p.has("n"),
                        new URLSearchParams({ a: "1 2", b: "é" }).toString(), URL.canParse("nope")];
    """)
    assert r.ok, r.error
    assert r.value == ["https://example.com/a/b/c?x=1&y=two+words&z=a%26b#frag", "example.com", "/a/b/c", "two words",
                       ["js", "py"], ["q", "q", "n"], True, "a=1+2&b=%C3%A9", False]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"allow_hosts": []}, "at least one host"),
    ({"allow_hosts": ["http://example.com"]}, "is not a host name"),
    ({"allow_hosts": ["a*.com"]}, "is not a host name"),
    ({"allow_hosts": ["*"], "max_requests": 0}, "max_requests must be positive"),
    ({"allow_hosts": ["*"], "max_redirects": -1}, "max_redirects"),
])
def test_bad_policies_are_usage_errors(kwargs, message):
    with pytest.raises(UsageError, match=message):
        NetworkPolicy(**kwargs)


def test_wildcards_match_the_domain_and_its_subdomains():
    policy = NetworkPolicy(allow_hosts=["*.Wikipedia.org", "api.github.com"])
    assert policy.allows_host("en.wikipedia.org") and policy.allows_host("wikipedia.org") and policy.allows_host("api.github.com")
    assert not policy.allows_host("evilwikipedia.org") and not policy.allows_host("github.com") and not policy.allows_host("wikipedia.org.evil.com")
