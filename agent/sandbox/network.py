"""The network of guest code: `fetch` performed by the supervisor under a `NetworkPolicy`.

The worker has no network. A guest `fetch` becomes a frame to the supervisor, which decides
and performs it here with httpx:

1. The URL is parsed the way browsers parse it (WHATWG): `\\` is a path separator, userinfo ends
   at the last `@`, and a host made of numbers is an IPv4 address in any of its spellings
   (`127.1`, `2130706433`, `0x7f000001`, `0177.0.0.1`).
2. The scheme must be http or https, and the host must be on the allow list.
3. The supervisor resolves the host itself and refuses it unless every address is public
   (`refusal()`): loopback, private, link-local, cloud metadata, shared, reserved, multicast,
   unspecified, and the IPv6 forms that embed an IPv4 address are refused.
4. It connects to the address it checked (Host header and TLS name stay the real host), so no
   second lookup can rebind it. Redirects are followed by hand, each hop checked again.

A refusal is a `policy` error the model can read: which URL, which rule.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urljoin

import httpx

from agent.errors import UsageError

__all__ = ["Fetcher", "NetworkPolicy", "Refused", "parse_url", "refusal"]

DEFAULT_MAX_REQUESTS = 20
"""Requests per run: enough for a few pages or an API walk, too few to crawl or flood."""

DEFAULT_MAX_RESPONSE_BYTES = 5 << 20
"""Bytes of one response body: a large web page or JSON document; a bigger body is an error."""

DEFAULT_MAX_TOTAL_BYTES = 20 << 20
"""Bytes of all response bodies in one run."""

DEFAULT_REQUEST_TIMEOUT = 10.0
"""Seconds for one request, redirects included; the run's own deadline also applies."""

DEFAULT_MAX_REDIRECTS = 5
"""Redirect hops followed by hand, each one checked again."""

_IPV4_NUMBER = re.compile(r"^(0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*)$")
_FORBIDDEN_HOST_CHARS = re.compile(r"[\x00-\x20#%/:<>?@\[\\\]^|]")


class Refused(Exception):
    """A request the policy does not allow; the message names the URL and the rule."""


@dataclass(frozen=True, kw_only=True)
class NetworkPolicy:
    """What guest code may fetch. Off unless a caller passes one to `Sandbox.run`."""

    allow_hosts: tuple[str, ...]
    """Hosts fetch may reach: exact names (`api.github.com`), wildcards (`*.wikipedia.org`, which
    also matches `wikipedia.org`), or `*` for any public host. Addresses that are not public are
    refused whatever this says."""
    max_requests: int | None = DEFAULT_MAX_REQUESTS
    """Requests per run (each redirect hop counts). None: no limit."""
    max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES
    """Bytes of one response body. None: no limit."""
    max_total_bytes: int | None = DEFAULT_MAX_TOTAL_BYTES
    """Bytes of all response bodies in a run. None: no limit."""
    request_timeout: float | None = DEFAULT_REQUEST_TIMEOUT
    """Seconds per request, redirects included. None: only the run's deadline."""
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    """Redirect hops followed per request."""
    _loopback: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        hosts = (self.allow_hosts,) if isinstance(self.allow_hosts, str) else tuple(self.allow_hosts)
        if not hosts or not all(isinstance(h, str) and h.strip() for h in hosts):
            raise UsageError("allow_hosts must name at least one host, e.g. ['api.github.com'] or ['*']")
        cleaned = []
        for host in hosts:
            host = host.strip().lower().rstrip(".")
            pattern = host[2:] if host.startswith("*.") else host
            if host != "*" and (not pattern or "*" in pattern or _FORBIDDEN_HOST_CHARS.search(pattern)):
                raise UsageError(f"allow_hosts entry {host!r} is not a host name, `*.domain` or `*`")
            cleaned.append(host)
        object.__setattr__(self, "allow_hosts", tuple(cleaned))
        for name in ("max_requests", "max_response_bytes", "max_total_bytes", "request_timeout"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise UsageError(f"NetworkPolicy.{name} must be positive or None, got {value!r}")
        if self.max_redirects < 0:
            raise UsageError(f"NetworkPolicy.max_redirects must be 0 or more, got {self.max_redirects}")

    def allowing_loopback(self) -> NetworkPolicy:
        """A copy that may also reach loopback addresses, for tests and local fixture servers.
        Private, link-local and metadata addresses stay refused."""
        return dataclasses.replace(self, _loopback=True)

    def allows_host(self, host: str) -> bool:
        host = host.rstrip(".")
        for pattern in self.allow_hosts:
            if pattern == "*" or pattern == host:
                return True
            if pattern.startswith("*.") and (host == pattern[2:] or host.endswith(pattern[1:])):
                return True
        return False


# --- addresses ----------------------------------------------------------------------------

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_6TO4 = ipaddress.ip_network("2002::/16")
_TEREDO = ipaddress.ip_network("2001::/32")
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT; 100.100.100.200 is a cloud metadata address
_SPECIAL_PURPOSE = [ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",
    "100::/64", "2001:db8::/32", "2001:2::/48",
)]
"""Special-purpose ranges refused by name, whatever this Python's `ipaddress` tables say of them."""


def refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address, *, loopback_ok: bool = False) -> str | None:
    """Why `address` may not be reached, or None when it is a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = None
        if address.ipv4_mapped is not None:
            embedded = address.ipv4_mapped
        elif address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        elif address in _6TO4:
            embedded = ipaddress.IPv4Address((int(address) >> 80) & 0xFFFFFFFF)
        elif int(address) >> 32 == 0 and int(address) > 1:  # IPv4-compatible ::a.b.c.d (deprecated)
            embedded = ipaddress.IPv4Address(int(address))
        if embedded is not None:
            inner = refusal(embedded, loopback_ok=loopback_ok)
            return f"it embeds {embedded}, and {inner}" if inner else None
        if address in _NAT64_LOCAL:
            return "it is a local-use NAT64 address"
        if address in _TEREDO:
            return "it is a Teredo tunnel address"
        if address.scope_id:
            return "it carries a zone (scope) id"
    if address.is_loopback:
        return None if loopback_ok else "it is a loopback address (this machine)"
    if address.is_unspecified:
        return "it is the unspecified address"
    if address.is_link_local:
        return "it is a link-local address (cloud metadata services live here)"
    if address.is_multicast:
        return "it is a multicast address"
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED:
        return "it is a shared (carrier-grade NAT) address, which also hosts cloud metadata services"
    if address.is_private:
        return "it is a private address"
    if address.is_reserved or not address.is_global or any(address in net for net in _SPECIAL_PURPOSE if net.version == address.version):
        return "it is a reserved address, not a public one"
    return None


# --- URLs -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ParsedURL:
    scheme: str
    host: str  # lowercased name, or an IP address in canonical form
    address: ipaddress.IPv4Address | ipaddress.IPv6Address | None  # when the host is an IP literal
    port: int
    target: str  # path and query, percent-encoded


def _ipv4_number(part: str) -> int | None:
    if not _IPV4_NUMBER.match(part):
        return None
    if part[:2].lower() == "0x":
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part[0] == "0":
        return int(part[1:], 8)
    return int(part)


def _parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a browser reads in `host` (WHATWG "IPv4 parser"), or None for a name."""
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if not parts or not _IPV4_NUMBER.match(parts[-1]):
        return None  # the last label is not a number: a domain name
    numbers = [_ipv4_number(p) for p in parts]
    if len(parts) > 4 or any(n is None for n in numbers):
        raise Refused("it is neither a valid IPv4 address nor a host name")
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):  # type: ignore[operator]
        raise Refused("it is an IPv4 address out of range")
    value = last
    for i, n in enumerate(head):
        value += n << (8 * (3 - i))  # type: ignore[operator]
    return ipaddress.IPv4Address(value)


def parse_url(url: str) -> ParsedURL:
    """Parse `url` as a browser would for fetch; raise `Refused` for what fetch cannot reach."""
    text = url.strip("\x00\x20\t\n\r\x0b\x0c").replace("\t", "").replace("\n", "").replace("\r", "")
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):(.*)$", text, re.DOTALL)
    if not match:
        raise Refused("it is not an absolute URL (http:// or https://)")
    scheme, rest = match[1].lower(), match[2]
    if scheme not in ("http", "https"):
        raise Refused(f"the scheme {scheme!r} is not allowed (only http and https)")
    rest = rest.replace("\\", "/").lstrip("/")
    end = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    authority, target = rest[:end], rest[end:]
    host_port = authority.rpartition("@")[2]  # userinfo ends at the last @
    if host_port.startswith("["):
        close = host_port.find("]")
        if close < 0:
            raise Refused("its IPv6 address has no closing bracket")
        host, port_text = host_port[1:close], host_port[close + 1:].removeprefix(":")
        if host_port[close + 1:] and not host_port[close + 1:].startswith(":"):
            raise Refused("it has text after the IPv6 address")
        try:
            address: Any = ipaddress.IPv6Address(host)
        except ValueError:
            raise Refused("its IPv6 address is not valid") from None
        host = str(address)
    else:
        host, _, port_text = host_port.partition(":")
        host = unquote(host)
        try:
            host = host.encode("idna").decode("ascii").lower() if any(ord(c) > 127 for c in host) else host.lower()
        except UnicodeError:
            raise Refused("its host name is not valid") from None
        if not host or _FORBIDDEN_HOST_CHARS.search(host):
            raise Refused("it has no valid host")
        address = _parse_ipv4(host)
        if address is not None:
            host = str(address)
    if port_text and not port_text.isdigit():
        raise Refused("its port is not a number")
    port = int(port_text) if port_text else (443 if scheme == "https" else 80)
    if not 0 < port < 65536:
        raise Refused("its port is out of range")
    target = target.partition("#")[0] or "/"
    if not target.startswith("/"):
        target = "/" + target
    return ParsedURL(scheme, host.rstrip("."), address, port, quote(target, safe="/?&=%:@!$'()*+,;~-._[]"))


# --- performing requests --------------------------------------------------------------------

Resolver = Callable[[str, int], list[str]]


def _system_resolver(host: str, port: int) -> list[str]:
    return list(dict.fromkeys(info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)))


_REDIRECTS = {301, 302, 303, 307, 308}


class Fetcher:
    """Performs one run's requests under a policy, counting them against its caps and deadline."""

    def __init__(self, policy: NetworkPolicy, deadline: float | None, *, resolver: Resolver = _system_resolver) -> None:
        self.policy = policy
        self.deadline = deadline
        self.resolver = resolver
        self.requests = 0
        self.total_bytes = 0
        self._lock = threading.Lock()
        self._client = httpx.Client(follow_redirects=False, trust_env=False)

    def close(self) -> None:
        self._client.close()

    def _remaining(self, started: float) -> float:
        limits = [t for t in (self.policy.request_timeout and started + self.policy.request_timeout, self.deadline) if t]
        return max(0.0, min(limits) - time.monotonic()) if limits else 60.0

    def _count_request(self, url: str) -> None:
        with self._lock:
            if self.policy.max_requests is not None and self.requests >= self.policy.max_requests:
                raise Refused(f"refused {url}: the run already made its {self.policy.max_requests} allowed requests")
            self.requests += 1

    def check(self, url: str, started: float) -> tuple[ParsedURL, str]:
        """The parsed URL and the checked address to connect to; `Refused` otherwise."""
        try:
            parsed = parse_url(url)
        except Refused as exc:
            raise Refused(f"refused {url}: {exc}") from None
        if parsed.address is None and (parsed.host == "localhost" or parsed.host.endswith(".localhost")):
            if not self.policy._loopback:
                raise Refused(f"refused {url}: `localhost` is this machine")
        if not self.policy.allows_host(parsed.host):
            raise Refused(f"refused {url}: the host {parsed.host!r} is not on the allow list ({', '.join(self.policy.allow_hosts)})")
        if parsed.address is not None:
            addresses = [str(parsed.address)]
        else:
            with ThreadPoolExecutor(1) as pool:
                future = pool.submit(self.resolver, parsed.host, parsed.port)
                try:
                    addresses = future.result(timeout=max(0.1, self._remaining(started)))
                except FutureTimeout:
                    raise Refused(f"refused {url}: looking up {parsed.host!r} took too long") from None
                except OSError:
                    raise FetchFailed(f"fetch failed: the host {parsed.host!r} was not found") from None
        if not addresses:
            raise FetchFailed(f"fetch failed: the host {parsed.host!r} has no address")
        for text in addresses:
            why = refusal(ipaddress.ip_address(text.partition("%")[0]), loopback_ok=self.policy._loopback)
            if why:
                where = f"the address {text}" if parsed.address is not None else f"{parsed.host} resolves to {text}, and"
                raise Refused(f"refused {url}: {where} {why.removeprefix('it ')}")
        return parsed, addresses[0]

    def fetch(self, request: dict[str, Any]) -> dict[str, Any]:
        """Perform one guest request; the reply frame for the worker."""
        started = time.monotonic()
        url = str(request.get("url", ""))
        method = str(request.get("method") or "GET").upper()
        headers = [(str(k), str(v)) for k, v in request.get("headers") or []]
        body = request.get("body")
        try:
            for _hop in range(self.policy.max_redirects + 1):
                self._count_request(url)
                parsed, address = self.check(url, started)
                response_or_next = self._one(parsed, address, url, method, headers, body, started)
                if isinstance(response_or_next, dict):
                    return response_or_next
                url, method, body = response_or_next
            raise FetchFailed(f"fetch failed: more than {self.policy.max_redirects} redirects")
        except Refused as exc:
            return {"error": {"kind": "policy", "message": str(exc)}}
        except FetchFailed as exc:
            return {"error": {"kind": "network", "message": str(exc)}}

    def _one(self, parsed: ParsedURL, address: str, url: str, method: str, headers: list[tuple[str, str]],
             body: str | None, started: float) -> dict[str, Any] | tuple[str, str, str | None]:
        host_header = parsed.host if (parsed.port in (80, 443)) else f"{parsed.host}:{parsed.port}"
        if ":" in parsed.host and parsed.address is not None:
            host_header = f"[{parsed.host}]" + ("" if parsed.port in (80, 443) else f":{parsed.port}")
        ip = f"[{address}]" if ":" in address else address
        sent = [(k, v) for k, v in headers if k.lower() not in ("host", "content-length", "transfer-encoding", "connection")]
        sent.append(("Host", host_header))
        extensions = {"sni_hostname": parsed.host} if parsed.scheme == "https" and parsed.address is None else {}
        timeout = self._remaining(started)
        if timeout <= 0:
            raise FetchFailed(f"fetch failed: {url} timed out")
        try:
            with self._client.stream(method, f"{parsed.scheme}://{ip}:{parsed.port}{parsed.target}", headers=sent,
                                     content=body.encode() if isinstance(body, str) else None,
                                     timeout=httpx.Timeout(timeout), extensions=extensions) as response:
                if response.status_code in _REDIRECTS and "location" in response.headers:
                    target = urljoin(url, response.headers["location"])
                    if response.status_code == 303 or (response.status_code in (301, 302) and method == "POST"):
                        return target, "GET", None
                    return target, method, body
                data = self._read(response, url, started)
        except httpx.TimeoutException:
            raise FetchFailed(f"fetch failed: {url} timed out") from None
        except httpx.HTTPError as exc:
            raise FetchFailed(f"fetch failed: {url}: {type(exc).__name__} {exc}".rstrip()) from None
        return {"status": response.status_code, "statusText": response.reason_phrase, "url": url,
                "headers": [[k, v] for k, v in response.headers.multi_items()], "body": data.decode(response.encoding or "utf-8", errors="replace")}

    def _read(self, response: httpx.Response, url: str, started: float) -> bytes:
        cap = self.policy.max_response_bytes
        declared = response.headers.get("content-length")
        if cap is not None and declared and declared.isdigit() and int(declared) > cap:
            raise Refused(f"refused {url}: its body is {declared} bytes, over the cap of {cap} bytes per response")
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if cap is not None and size > cap:
                raise Refused(f"refused {url}: its body is larger than the cap of {cap} bytes per response")
            with self._lock:
                self.total_bytes += len(chunk)
                total = self.total_bytes
            if self.policy.max_total_bytes is not None and total > self.policy.max_total_bytes:
                raise Refused(f"refused {url}: the run's responses passed the cap of {self.policy.max_total_bytes} bytes in all")
            if self._remaining(started) <= 0:
                raise FetchFailed(f"fetch failed: {url} timed out")
            chunks.append(chunk)
        return b"".join(chunks)


class FetchFailed(Exception):
    """A request that was allowed but did not complete (the guest sees a TypeError, as in browsers)."""
