"""fetch in the sandbox, against a real HTTP server on loopback (allowed by the test-only switch)."""

from __future__ import annotations

import json
import ssl
import threading
import time

import pytest
from typer.testing import CliRunner

from agent.cli.app import app
from agent.errors import UsageError
from agent.sandbox import Limits, NetworkPolicy
from agent.sandbox.network import Fetcher
from tests.fixture_server import FixtureServer, certificates

MARGIN = 2.0  # seconds past a deadline: the kill grace, a worker restart and a loaded machine


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
    before = len(server.hits)
    r = sandbox.run(f'const res = await fetch("{server.url}/redirect/3");\nexport default [res.status, res.url, res.redirected]', network=net)
    assert r.value == [200, f"{server.url}/page", True]
    assert [hit[1] for hit in server.hits[before:]] == ["/redirect/3", "/redirect/2", "/redirect/1", "/page"]


def test_a_see_other_after_a_post_becomes_a_get_without_the_body(sandbox, server, net):
    r = sandbox.run(f"""
        const res = await fetch("{server.url}/to?status=303&url=/echo", {{ method: "POST", body: "payload", headers: {{ "Content-Type": "text/csv" }} }});
        const echo = await res.json();
        export default [echo.method, echo.body, echo.headers["content-type"] ?? null]
    """, network=net)
    assert r.value == ["GET", "", None]


def test_a_redirect_to_a_refused_address_is_refused_at_that_hop(sandbox, server):
    before = len(server.hits)
    anywhere = NetworkPolicy(allow_hosts=["*"]).allowing_loopback()
    r = sandbox.run(f'export default (await fetch("{server.url}/to?url=http://169.254.169.254/latest/meta-data/")).status', network=anywhere)
    assert not r.ok and r.error.kind == "policy"
    assert "169.254.169.254" in r.error.message and "link-local" in r.error.message
    assert f"a redirect from {server.url}/to" in r.error.message
    assert len(server.hits) == before + 1, "the first hop was made, the second refused"


def test_a_redirect_to_a_host_off_the_allow_list_is_refused(sandbox, server, net):
    r = sandbox.run(f'export default (await fetch("{server.url}/to?url=http://example.com/")).status', network=net)
    assert r.error.kind == "policy" and "'example.com' is not on the allow list" in r.error.message


def test_a_slow_response_times_out(sandbox, server):
    policy = NetworkPolicy(allow_hosts=["127.0.0.1"], request_timeout=0.5).allowing_loopback()
    started = time.monotonic()
    r = sandbox.run(f'let why;\ntry {{ await fetch("{server.url}/slow") }} catch (e) {{ why = e.name + ": " + e.message }}\nexport default why',
                    network=policy, limits=Limits(timeout=30))
    assert time.monotonic() - started < 0.5 + MARGIN
    assert r.value == f"TypeError: fetch failed: {server.url}/slow timed out"


def test_the_run_deadline_bounds_a_request_too(sandbox, server, net):
    started = time.monotonic()
    r = sandbox.run(f'export default await (await fetch("{server.url}/slow")).text()', network=net, limits=Limits(timeout=0.7))
    assert time.monotonic() - started < 0.7 + MARGIN
    assert r.error.kind == "timeout" and "while waiting for fetch" in r.error.message
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
    before = len(server.hits)
    r = sandbox.run(f"""
        const urls = [1, 2, 3, 4, 5, 6].map((i) => "{server.url}/echo?i=" + i);
        const bodies = await Promise.all(urls.map((u) => fetch(u).then((res) => res.json())));
        export default bodies.map((b) => b.method);
    """, network=net)
    assert r.value == ["GET"] * 6
    assert sorted(hit[1] for hit in server.hits[before:]) == [f"/echo?i={i}" for i in range(1, 7)]


def test_parallel_fetches_overlap(sandbox, server, net):
    """Two requests to /slow are out at once: the run's time limit ends both, not one after the other."""
    before = len(server.hits)
    r = sandbox.run(f'export default await Promise.all([fetch("{server.url}/slow"), fetch("{server.url}/slow")])', network=net,
                    limits=Limits(timeout=1.5))
    assert r.error.kind == "timeout"
    assert [hit[1] for hit in server.hits[before:]] == ["/slow", "/slow"]


def test_headers_and_url_shims(sandbox, server, net):
    r = sandbox.run(f"""
        const h = new Headers([["X-A", "1"]]);
        h.append("x-a", "2"); h.set("Accept", "application/json");
        const u = new URL("/echo", "{server.url}");
        u.searchParams.set("q", "a b");
        const res = await fetch(u, {{ headers: h }});
        const echo = await res.json();
        export default [h.get("X-A"), [...h.keys()], echo.headers["x-a"], echo.headers.accept, res.url, res.headers.get("content-type")];
    """, network=net)
    assert r.ok, r.error
    assert r.value == ["1, 2", ["accept", "x-a"], "1, 2", "application/json", f"{server.url}/echo?q=a+b", "application/json"]


def test_a_header_value_is_bytes_as_in_browsers(sandbox, server, net):
    r = sandbox.run(f'const res = await fetch("{server.url}/echo", {{ headers: {{ "X-Name": "café" }} }});\nexport default (await res.json()).headers["x-name"]', network=net)
    assert r.value == "café", "sent as the single byte 0xe9 (latin-1), not as UTF-8"


@pytest.mark.parametrize(("init", "message"), [
    ('{ headers: { "X-Price": "5 €" } }', "the value of X-Price has a character a header cannot carry"),
    ('{ headers: { "X-A": "1\\r\\nX-B: 2" } }', "the value of X-A has a character a header cannot carry"),
    ('{ headers: { "Bad Name": "1" } }', '"Bad Name" is not a valid header name'),
    ('{ method: "TRACE" }', '"TRACE" is not a method fetch can send'),
    ('{ method: "POST", body: { a: 1 } }', "the body must be a string or URLSearchParams"),
    ('{ body: "x" }', "a GET request cannot have a body"),
])
def test_a_request_fetch_cannot_send_is_a_type_error_at_the_guests_line(sandbox, server, net, init, message):
    before = len(server.hits)
    r = sandbox.run(f'const a = 1;\nconst res = await fetch("{server.url}/echo", {init});\nexport default res.status', network=net)
    assert (r.error.kind, r.error.name, r.error.line) == ("runtime", "TypeError", 2)
    assert message in r.error.message
    assert len(server.hits) == before


def test_an_uncaught_refusal_names_the_guests_line(sandbox, server, net):
    r = sandbox.run('const a = 1;\n\nexport default (await fetch("http://10.0.0.1/admin")).status', network=net)
    assert (r.error.kind, r.error.name, r.error.line) == ("policy", "PolicyError", 3)
    assert r.error.message == "refused http://10.0.0.1/admin: the host '10.0.0.1' is not on the allow list (127.0.0.1)"


def test_json_of_a_body_that_is_not_json_says_what_it_got(sandbox, server, net):
    r = sandbox.run(f'const res = await fetch("{server.url}/page");\nexport default await res.json()', network=net)
    assert (r.error.kind, r.error.name, r.error.line) == ("runtime", "SyntaxError", 2)
    assert r.error.message.startswith("the response body is not JSON (") and '"<html><head><title>Fixture page' in r.error.message


def test_a_body_is_read_once(sandbox, server, net):
    r = sandbox.run(f'const res = await fetch("{server.url}/json");\nconst a = await res.clone().json();\nawait res.text();\n'
                    f'export default [a.items.length, res.bodyUsed, await res.text().catch((e) => e.message)]', network=net)
    assert r.value == [2, True, "the body of this response was already read"]


def test_an_abort_controller_ends_a_request_and_the_run_goes_on(sandbox, server, net):
    r = sandbox.run(f"""
        const c = new AbortController();
        setTimeout(() => c.abort(), 100);
        let why;
        try {{ await fetch("{server.url}/slow", {{ signal: c.signal }}) }} catch (e) {{ why = e.name }}
        export default [why, c.signal.aborted, (await (await fetch("{server.url}/json")).json()).items.length];
    """, network=net)
    assert r.value == ["AbortError", True, 2]


def test_an_uncaught_abort_signal_timeout_names_the_guests_line(sandbox, server, net):
    r = sandbox.run(f'const a = 1;\nexport default (await fetch("{server.url}/slow", {{ signal: AbortSignal.timeout(100) }})).status', network=net)
    assert (r.error.kind, r.error.name, r.error.message, r.error.line) == ("runtime", "TimeoutError", "The operation was aborted due to timeout", 2)


def test_an_aborted_signal_sends_nothing(sandbox, server, net):
    before = len(server.hits)
    r = sandbox.run(f'export default await fetch("{server.url}/page", {{ signal: AbortSignal.abort() }}).catch((e) => e.name)', network=net)
    assert r.value == "AbortError" and len(server.hits) == before


def test_a_caught_refusal_is_the_guests_business(sandbox, server, net):
    r = sandbox.run('let why;\ntry { await fetch("http://10.0.0.1/") } catch (e) { why = e.name }\nexport default why', network=net)
    assert r.value == "PolicyError"


def test_without_a_policy_fetch_is_a_policy_error(sandbox, server):
    before = len(server.hits)
    r = sandbox.run(f'const a = 1;\nexport default (await fetch("{server.url}/page")).status')
    assert (r.error.kind, r.error.line) == ("policy", 2)
    assert r.error.message == f'the network is off for this run, so fetch("{server.url}/page") is not allowed'
    assert len(server.hits) == before


def test_without_a_policy_there_is_no_other_way_out(sandbox):
    r = sandbox.run("export default [typeof fetch, typeof Headers, typeof Response, typeof XMLHttpRequest, typeof WebSocket]")
    assert r.value == ["function", "undefined", "undefined", "undefined", "undefined"]


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


def test_a_check_that_names_url_gets_it(sandbox):
    r = sandbox.run('export default "https://Example.com/a?b=1"', check="return new URL(value).searchParams.get('b')")
    assert r.value == "1"


def test_url_errors_point_at_the_guests_line(sandbox):
    r = sandbox.run('const a = 1;\nconst b = 2;\nexport default new URL("/relative").href')
    assert (r.error.name, r.error.message, r.error.line) == ("TypeError", "Invalid URL: /relative", 3)
    r = sandbox.run('const a = 1;\nexport default new URL("x", "not a base").href')
    assert (r.error.name, r.error.message, r.error.line) == ("TypeError", "Invalid base URL: not a base", 2)


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
    ({"allow_hosts": ["*."]}, "is not a host name"),
    ({"allow_hosts": ["1.2.3.09"]}, "is not a host name"),
    ({"allow_hosts": ["*"], "max_requests": 0}, "max_requests must be a positive number or None"),
    ({"allow_hosts": ["*"], "max_requests": True}, "max_requests must be a positive number or None"),
    ({"allow_hosts": ["*"], "max_request_bytes": 0}, "max_request_bytes must be a positive number or None"),
    ({"allow_hosts": ["*"], "request_timeout": "5"}, "request_timeout must be a positive number or None"),
    ({"allow_hosts": ["*"], "max_redirects": -1}, "max_redirects must be 0 or more"),
])
def test_bad_policies_are_usage_errors(kwargs, message):
    with pytest.raises(UsageError, match=message):
        NetworkPolicy(**kwargs)


def test_loopback_is_not_a_constructor_argument():
    with pytest.raises(TypeError):
        NetworkPolicy(allow_hosts=["*"], _loopback=True)  # type: ignore[call-arg]
    policy = NetworkPolicy(allow_hosts=["*"])
    assert not policy.loopback_allowed and policy.allowing_loopback().loopback_allowed
    assert policy.allowing_loopback() != policy and not policy.loopback_allowed


def test_allow_list_entries_are_read_like_urls():
    policy = NetworkPolicy(allow_hosts=["0x7f.1", "[::1]", "*.Bücher.de", "API.github.com."])
    assert policy.allow_hosts == ("127.0.0.1", "::1", "*.xn--bcher-kva.de", "api.github.com")


def _fetch_with(policy: NetworkPolicy, resolver, frame: dict) -> dict:
    fetcher = Fetcher(policy, None, resolver=resolver)
    try:
        return fetcher.fetch(frame)
    finally:
        fetcher.close()


def test_credentials_do_not_follow_a_redirect_to_another_origin(server):
    policy = NetworkPolicy(allow_hosts=["127.0.0.1", "other.test"]).allowing_loopback()
    headers = [["authorization", "Bearer secret"], ["cookie", "a=1"], ["x-keep", "yes"]]
    other = f"http://other.test:{server.port}/echo"
    reply = _fetch_with(policy, lambda host, port: ["127.0.0.1"], {"url": f"{server.url}/to?url={other}", "method": "GET", "headers": headers})
    echoed = json.loads(reply["body"])["headers"]
    assert reply["url"] == other and echoed["x-keep"] == "yes" and "authorization" not in echoed and "cookie" not in echoed
    reply = _fetch_with(policy, lambda host, port: ["127.0.0.1"], {"url": f"{server.url}/to?url=/echo", "method": "GET", "headers": headers})
    assert json.loads(reply["body"])["headers"]["authorization"] == "Bearer secret"


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    ca, cert, key = certificates(tmp_path_factory.mktemp("tls"), "fixture.test")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    fixture = FixtureServer(tls=context)
    yield fixture, ssl.create_default_context(cafile=str(ca))
    fixture.close()


def test_https_keeps_the_real_name_for_sni_host_and_certificate(tls_server):
    """The connection goes to the checked address, but TLS asks for the URL's name and checks the
    certificate against it: a name the certificate does not cover fails, though the address is the same."""
    server, trust = tls_server
    names, hits = len(server.server_names), len(server.hits)
    policy = NetworkPolicy(allow_hosts=["fixture.test", "other.test"]).allowing_loopback()
    fetcher = Fetcher(policy, None, resolver=lambda host, port: ["127.0.0.1"], tls=trust)
    try:
        good = fetcher.fetch({"url": f"https://fixture.test:{server.port}/echo", "method": "GET", "headers": []})
        bad = fetcher.fetch({"url": f"https://other.test:{server.port}/echo", "method": "GET", "headers": []})
    finally:
        fetcher.close()
    assert good["status"] == 200 and json.loads(good["body"])["headers"]["host"] == f"fixture.test:{server.port}"
    assert bad["error"]["kind"] == "network" and "certificate is not valid for 'other.test'" in bad["error"]["message"]
    assert server.server_names[names:] == ["fixture.test", "other.test"]
    assert len(server.hits) == hits + 1


def test_https_checks_certificates_by_default(tls_server):
    server, _ = tls_server
    fetcher = Fetcher(NetworkPolicy(allow_hosts=["fixture.test"]).allowing_loopback(), None, resolver=lambda host, port: ["127.0.0.1"])
    try:
        reply = fetcher.fetch({"url": f"https://fixture.test:{server.port}/echo", "method": "GET", "headers": []})
    finally:
        fetcher.close()
    assert reply["error"]["kind"] == "network" and "CERTIFICATE_VERIFY_FAILED" in reply["error"]["message"]


def test_a_lookup_that_hangs_is_cut_by_the_request_timeout():
    hung = threading.Event()
    policy = NetworkPolicy(allow_hosts=["*"], request_timeout=0.3)
    started = time.monotonic()
    try:
        reply = _fetch_with(policy, lambda host, port: [hung.wait(60), "93.184.216.34"][1:], {"url": "http://slow-dns.test/", "method": "GET", "headers": []})
    finally:
        hung.set()
    assert time.monotonic() - started < 0.3 + MARGIN
    assert reply == {"error": {"kind": "network", "message": "fetch failed: looking up 'slow-dns.test' timed out"}}


@pytest.mark.parametrize("frame", [
    {"url": 1, "method": "GET", "headers": []},
    {"url": "http://a.test/", "method": "GET /x", "headers": []},
    {"url": "http://a.test/", "method": "GET", "headers": [["x", "é€"]]},
    {"url": "http://a.test/", "method": "GET", "headers": [["x", "1\r\nHost: evil"]]},
    {"url": "http://a.test/", "method": "GET", "headers": "x"},
    {"url": "http://a.test/", "method": "POST", "headers": [], "body": {"a": 1}},
])
def test_a_malformed_request_frame_fails_without_a_connection(frame):
    lookups = []
    reply = _fetch_with(NetworkPolicy(allow_hosts=["*"]), lambda host, port: lookups.append(host) or ["93.184.216.34"], frame)
    assert reply == {"error": {"kind": "network", "message": "fetch failed: the request is malformed"}} and lookups == []


def test_cli_run_allow_net_turns_the_network_on_but_never_loopback(tmp_path, server):
    code = tmp_path / "fetch.js"
    code.write_text(f'export default (await fetch("{server.url}/page")).status')
    before = len(server.hits)
    off = CliRunner().invoke(app, ["run", str(code), "--json"])
    on = CliRunner().invoke(app, ["run", str(code), "--json", "--allow-net", "127.0.0.1", "--allow-net", "*.example.com"])
    assert off.exit_code == on.exit_code == 1
    assert "the network is off" in json.loads(off.stdout)["error"]["message"]
    error = json.loads(on.stdout)["error"]
    assert error["kind"] == "policy" and "loopback" in error["message"]
    assert len(server.hits) == before
    bad = CliRunner().invoke(app, ["run", str(code), "--allow-net", "http://example.com"])
    assert bad.exit_code == 2 and "is not a host name" in bad.stderr


def test_wildcards_match_the_domain_and_its_subdomains():
    policy = NetworkPolicy(allow_hosts=["*.Wikipedia.org", "api.github.com"])
    assert policy.allows_host("en.wikipedia.org") and policy.allows_host("wikipedia.org") and policy.allows_host("api.github.com")
    assert not policy.allows_host("evilwikipedia.org") and not policy.allows_host("github.com") and not policy.allows_host("wikipedia.org.evil.com")


def test_the_supervisor_caps_request_bodies_itself(server):
    """The worker refuses a body over the cap before it leaves; the supervisor refuses it again,
    whatever the worker forwards."""
    hits = len(server.hits)
    policy = NetworkPolicy(allow_hosts=["127.0.0.1"], max_request_bytes=10).allowing_loopback()
    reply = _fetch_with(policy, lambda host, port: ["127.0.0.1"], {"url": f"{server.url}/echo", "method": "POST", "headers": [], "body": "x" * 11})
    assert reply["error"]["kind"] == "policy" and "11 bytes, over the cap of 10 bytes per request" in reply["error"]["message"]
    reply = _fetch_with(policy, lambda host, port: ["127.0.0.1"], {"url": f"{server.url}/echo", "method": "POST", "headers": [], "body": "a\ud800"})
    assert json.loads(reply["body"])["body"] == "a\ufffd"
    assert len(server.hits) == hits + 1


@pytest.mark.parametrize(("url", "fragment"), [("http://a..com/", "empty label"), ("http://.a.com/", "empty label")])
def test_host_names_with_empty_labels_are_refused(url, fragment):
    reply = _fetch_with(NetworkPolicy(allow_hosts=["*"]), lambda host, port: ["93.184.216.34"], {"url": url, "method": "GET", "headers": []})
    assert reply["error"]["kind"] == "policy" and fragment in reply["error"]["message"]
