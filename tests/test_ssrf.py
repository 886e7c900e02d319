"""SSRF: with the allow list `*`, every way of spelling a non-public address is refused before any
connection, and the local server sees no request at all."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.sandbox import NetworkPolicy
from agent.sandbox.urls import Refused, parse_url, refusal
from tests.fixture_server import FixtureServer


@pytest.fixture(scope="module")
def server():
    fixture = FixtureServer()
    yield fixture
    fixture.close()


ANYWHERE = NetworkPolicy(allow_hosts=["*"])

URLS = [
    "http://127.0.0.1:{port}/page",
    "http://127.1:{port}/page",
    "http://127.0.1:{port}/page",
    "http://2130706433:{port}/page",
    "http://0x7f000001:{port}/page",
    "http://0x7f.1:{port}/page",
    "http://0177.0.0.1:{port}/page",
    "http://0X7F000001:{port}/page",
    "http://017700000001:{port}/page",
    "http://0x7f.0x0.0x0.0x1:{port}/page",
    "http://１２７.０.０.１:{port}/page",
    "http://127。0。0。1:{port}/page",
    "http://12\t7.0.0.1:{port}/page",
    "http://127.0.0.1%2e:{port}/page",
    "http://127.000.000.001:{port}/page",
    "http://127.0.0.1.:{port}/page",
    "http://%31%32%37.0.0.1:{port}/page",
    "http://[::1]:{port}/page",
    "http://[::ffff:127.0.0.1]:{port}/page",
    "http://[0:0:0:0:0:ffff:7f00:1]:{port}/page",
    "http://[0000:0000:0000:0000:0000:FFFF:127.0.0.1]:{port}/page",
    "http://[::ffff:0:127.0.0.1]:{port}/page",
    "http://[::127.0.0.1]:{port}/page",
    "http://[64:ff9b::7f00:1]:{port}/page",
    "http://[2002:7f00:1::]:{port}/page",
    "http://localhost:{port}/page",
    "http://localhost.:{port}/page",
    "http://LOCALHOST:{port}/page",
    "http://app.localhost:{port}/page",
    "http://a@127.0.0.1:{port}/page",
    "http://user:pass@127.0.0.1:{port}/page",
    "http://127.0.0.1:{port}\\@example.com/page",
    "http://example.com@127.0.0.1:{port}/page",
    "http:\\\\127.0.0.1:{port}/page",
    "http://0.0.0.0:{port}/page",
    "http://0:{port}/page",
    "http://[::]:{port}/page",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://100.100.100.200/latest/meta-data/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://224.0.0.1/",
    "http://[ff02::1]/",
    "http://255.255.255.255/",
    "http://[::ffff:10.0.0.1]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[2002:a9fe:a9fe::1]/",
    "http://[::ffff:a9fe:a9fe]/latest/meta-data/",
    "http://169.254.169.254\\@example.com/",
    "file:///etc/passwd",
    "ftp://127.0.0.1:{port}/",
    "gopher://127.0.0.1:{port}/_GET",
    "javascript:alert(1)",
    "data:text/plain,hi",
]


@pytest.mark.parametrize("template", URLS)
def test_refused_before_any_connection(sandbox, server, template):
    url = template.format(port=server.port)
    before = len(server.hits)
    r = sandbox.run(f"export default (await fetch({url!r})).status", network=ANYWHERE)
    assert not r.ok and r.error.kind == "policy", r
    assert r.error.message.startswith("refused ")
    assert len(server.hits) == before, "the local server must see nothing"


def test_there_are_enough_cases():
    assert len(URLS) >= 25


def test_the_fixture_is_reachable_when_loopback_is_allowed(sandbox, server):
    """The refusals above are the policy's doing, not a dead server."""
    r = sandbox.run(f'export default (await fetch("http://127.1:{server.port}/page")).status', network=ANYWHERE.allowing_loopback())
    assert r.value == 200


@pytest.mark.parametrize(("url", "host"), [
    ("http://a@127.0.0.1/", "127.0.0.1"),
    ("http://127.0.0.1:80\\@example.com/", "127.0.0.1"),
    ("http://example.com@127.0.0.1/", "127.0.0.1"),
    ("http://u:p@ss@10.0.0.1/", "10.0.0.1"),
    ("http://example.com#@127.0.0.1/", "example.com"),
    ("http://example.com?@127.0.0.1/", "example.com"),
    ("http:/\\example.com/", "example.com"),
    ("HTTP://EXAMPLE.COM./a", "example.com"),
])
def test_a_url_is_judged_by_the_host_it_really_connects_to(url, host):
    assert parse_url(url).host == host


def test_backslashes_are_slashes_only_before_the_query():
    assert parse_url("http://example.com\\a\\b?q=\\x#\\y").target == "/a/b?q=%5Cx"


# Property tests of the address checker.

NON_PUBLIC_V4 = [ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
    "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32", "192.0.2.0/24",
    "198.51.100.0/24", "203.0.113.0/24",
)]
NON_PUBLIC_V6 = [ipaddress.ip_network(n) for n in ("::1/128", "::/128", "fc00::/7", "fe80::/10", "ff00::/8", "64:ff9b:1::/48")]


@st.composite
def non_public_v4(draw) -> ipaddress.IPv4Address:
    net = draw(st.sampled_from(NON_PUBLIC_V4))
    return net[draw(st.integers(0, net.num_addresses - 1))]


FULLWIDTH = str.maketrans("0123456789.xX", "０１２３４５６７８９．ｘＸ")


def _spellings(address: ipaddress.IPv4Address, draw) -> str:
    spelled = _spelling(address, draw)
    disguise = draw(st.sampled_from(["none", "none", "upper", "percent", "fullwidth", "tab"]))
    if disguise == "upper":
        return spelled.upper()
    if disguise == "percent":
        return "".join(f"%{ord(c):02x}" for c in spelled)
    if disguise == "fullwidth":
        return spelled.translate(FULLWIDTH)
    if disguise == "tab":
        return spelled[:1] + "\t" + spelled[1:]
    return spelled


def _spelling(address: ipaddress.IPv4Address, draw) -> str:
    n = int(address)
    b = list(address.packed)
    style = draw(st.sampled_from(["dotted", "decimal", "hex", "octal-parts", "hex-parts", "three", "two", "mixed", "trailing-dot"]))
    if style == "dotted":
        return str(address)
    if style == "decimal":
        return str(n)
    if style == "hex":
        return hex(n)
    if style == "octal-parts":
        return ".".join("0" + format(x, "o") for x in b)
    if style == "hex-parts":
        return ".".join(hex(x) for x in b)
    if style == "three":
        return f"{b[0]}.{b[1]}.{(b[2] << 8) | b[3]}"
    if style == "two":
        return f"{b[0]}.{(b[1] << 16) | (b[2] << 8) | b[3]}"
    if style == "mixed":
        return f"{hex(b[0])}.0{format(b[1], 'o')}.{b[2]}.{b[3]}"
    return f"{address}."


@st.composite
def spelled_non_public_host(draw) -> str:
    address = draw(non_public_v4())
    form = draw(st.sampled_from(["v4", "mapped", "compat", "nat64", "6to4", "v6"]))
    n = int(address)
    if form == "v4":
        return _spellings(address, draw)
    if form == "mapped":
        return f"[::ffff:{address}]" if draw(st.booleans()) else f"[::ffff:{n >> 16:x}:{n & 0xFFFF:x}]"
    if form == "compat":
        return f"[::{address}]" if n > 1 else "[::1]"
    if form == "nat64":
        return f"[64:ff9b::{address}]"
    if form == "6to4":
        return f"[2002:{n >> 16:x}:{n & 0xFFFF:x}::{draw(st.integers(0, 0xFFFF)):x}]"
    net = draw(st.sampled_from(NON_PUBLIC_V6))
    v6 = net[draw(st.integers(0, min(net.num_addresses - 1, 2**64)))]
    return f"[{draw(st.sampled_from([str(v6), v6.exploded, v6.exploded.upper()]))}]"


@settings(max_examples=600, deadline=None)
@given(spelled_non_public_host())
def test_no_non_public_address_is_accepted_whatever_its_spelling(host):
    try:
        parsed = parse_url(f"http://{host}/x")
    except Refused:
        return  # refused while parsing is refused too
    assert parsed.address is not None, f"{host} was read as a name"
    assert refusal(parsed.address) is not None, f"{host} -> {parsed.address} was accepted"


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_the_checker_accepts_exactly_the_global_ipv4_addresses(n):
    address = ipaddress.IPv4Address(n)
    non_public = any(address in net for net in NON_PUBLIC_V4) or not address.is_global
    assert (refusal(address) is not None) == non_public


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["8.8.8.8", "93.184.216.34", "1.1.1.1", "151.101.1.69"]), st.data())
def test_public_addresses_are_read_the_same_in_every_spelling(text, data):
    address = ipaddress.IPv4Address(text)
    parsed = parse_url(f"http://{_spellings(address, data.draw)}/")
    assert parsed.address == address and refusal(address) is None
