"""The network of guest code: `fetch` performed by the supervisor under a `NetworkPolicy`.

The worker has no network. A guest `fetch` becomes a frame to the supervisor, which decides
and performs it here with httpx:

1. The URL is parsed the way browsers parse it (WHATWG): `\\` is a path separator, userinfo ends
   at the last `@`, and a host made of numbers is an IPv4 address in any of its spellings
   (`127.1`, `2130706433`, `0x7f000001`, `0177.0.0.1`).
2. The scheme must be http or https, and the host must be on the allow list (its port too, when
   the policy lists ports).
3. The supervisor resolves the host itself and refuses it unless every address is public
   (`refusal()`): loopback, private, link-local, cloud metadata, shared, reserved, multicast,
   unspecified, and the IPv6 forms that embed an IPv4 address are refused.
4. It connects to the address it checked (Host header and TLS name stay the real host), so no
   second lookup can rebind it. Redirects are followed by hand, each hop checked again, and
   credentials do not follow a redirect to another origin.
5. Every request counts against the run's caps (requests, bytes) and ends by its deadline.

A refusal is a `policy` error the model can read: which URL, which rule. The rules of steps 1-3
that read text and addresses (no I/O) are agent.sandbox.urls.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import httpx

from agent.arguments import positive_count, seconds, whole_count
from agent.errors import UsageError
from agent.sandbox.urls import (
    ParsedURL,
    Refused,
    allow_entry,
    host_allowed,
    parse_url,
    refusal,
    slashes,
)
from agent.text import clean_text

__all__ = ["Fetcher", "NetworkPolicy", "ParsedURL", "Refused", "parse_url", "refusal"]

DEFAULT_MAX_REQUESTS = 20
"""Requests per run: enough for a few pages or an API walk, too few to crawl or flood."""

DEFAULT_MAX_RESPONSE_BYTES = 5 << 20
"""Bytes of one response body: a large web page or JSON document; a bigger body is an error."""

DEFAULT_MAX_TOTAL_BYTES = 20 << 20
"""Bytes of all response bodies in one run: a few large documents; the bodies pass through the
caller's memory and the worker's, so a run may not pull in more."""

DEFAULT_MAX_REQUEST_BYTES = 1 << 20
"""Bytes of one request body: a form or a JSON document; more is an upload this sandbox is not
for (one run sent 800 MB before bodies were capped)."""

DEFAULT_REQUEST_TIMEOUT = 10.0
"""Seconds for one request, redirects included; the run's own deadline also applies."""

DEFAULT_MAX_REDIRECTS = 5
"""Redirect hops followed by hand, each one checked again."""

@dataclass(frozen=True, kw_only=True)
class NetworkPolicy:
    """What guest code may fetch. Off unless a caller passes one to `Sandbox.run`."""

    allow_hosts: tuple[str, ...]
    """Hosts fetch may reach: exact names (`api.github.com`), wildcards (`*.wikipedia.org`, which
    also matches `wikipedia.org`), or `*` for any public host. Addresses that are not public are
    refused whatever this says."""
    allow_ports: tuple[int, ...] | None = None
    """Ports fetch may reach on the allowed hosts (a URL without one uses its scheme's: 80, 443).
    None: any port. Set it to reach one server of a host that runs others, such as a fixture
    server on loopback."""
    max_requests: int | None = DEFAULT_MAX_REQUESTS
    """Requests per run (each redirect hop counts). None: no limit."""
    max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES
    """Bytes of one response body. None: no limit."""
    max_total_bytes: int | None = DEFAULT_MAX_TOTAL_BYTES
    """Bytes of all response bodies in a run. None: no limit."""
    max_request_bytes: int | None = DEFAULT_MAX_REQUEST_BYTES
    """Bytes of one request body (UTF-8). None: no limit."""
    request_timeout: float | None = DEFAULT_REQUEST_TIMEOUT
    """Seconds per request, redirects included. None: only the run's deadline."""
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    """Redirect hops followed per request."""
    _loopback: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        hosts = (self.allow_hosts,) if isinstance(self.allow_hosts, str) else tuple(self.allow_hosts)
        if not hosts or not all(isinstance(h, str) and h.strip() for h in hosts):
            raise UsageError("allow_hosts must name at least one host, e.g. ['api.github.com'] or ['*']")
        object.__setattr__(self, "allow_hosts", tuple(allow_entry(host) for host in hosts))
        if self.allow_ports is not None:
            ports = tuple(self.allow_ports) if isinstance(self.allow_ports, (list, tuple)) else ()
            if not ports or not all(isinstance(p, int) and not isinstance(p, bool) and 0 < p < 65536 for p in ports):
                raise UsageError(f"NetworkPolicy.allow_ports must list ports from 1 to 65535, or be None (any port), got {self.allow_ports!r}")
            object.__setattr__(self, "allow_ports", ports)
        for name in ("max_requests", "max_response_bytes", "max_total_bytes", "max_request_bytes"):
            positive_count(getattr(self, name), f"NetworkPolicy.{name}", optional=True)
        seconds(self.request_timeout, "NetworkPolicy.request_timeout")
        whole_count(self.max_redirects, "NetworkPolicy.max_redirects")

    def allowing_loopback(self) -> NetworkPolicy:
        """A copy that may also reach loopback addresses, for tests and local fixture servers.
        Private, link-local and metadata addresses stay refused. Not a constructor argument, so
        nothing that only builds a policy from settings (the CLI) can turn it on."""
        copy = dataclasses.replace(self)
        object.__setattr__(copy, "_loopback", True)
        return copy

    @property
    def loopback_allowed(self) -> bool:
        """Whether `allowing_loopback()` made this policy."""
        return self._loopback

    def allows_host(self, host: str) -> bool:
        """Whether `host` (lowercase, as `parse_url` gives it) is on the allow list."""
        return host_allowed(self.allow_hosts, host)


# --- performing requests --------------------------------------------------------------------

Resolver = Callable[[str, int], list[str]]
"""Looks a host name up: the addresses (as text) a connection to the host and port could use."""


def _system_resolver(host: str, port: int) -> list[str]:
    return list(dict.fromkeys(str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)))


@functools.cache
def _default_tls() -> ssl.SSLContext:
    """httpx's TLS settings (the certifi roots), made once: loading the roots takes ~40 ms, more
    than a whole run without network."""
    return httpx.create_ssl_context(trust_env=False)


_REDIRECTS = {301, 302, 303, 307, 308}
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_BAD_HEADER_VALUE = re.compile(r"[\x00\r\n]")
_NOT_FORWARDED = {b"host", b"content-length", b"transfer-encoding", b"connection"}
_CREDENTIALS = {b"authorization", b"cookie", b"proxy-authorization"}
"""Headers dropped on a redirect to another origin, as browsers drop them."""
_BODY_HEADERS = {b"content-type", b"content-encoding", b"content-language", b"content-location"}
"""Headers dropped with the body when a redirect turns a request into a GET."""


class FetchFailed(Exception):
    """A request that was allowed but did not complete (the guest sees a TypeError, as in browsers)."""


@dataclass(frozen=True)
class _Request:
    url: str
    method: str
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes | None
    via: str | None = None
    """The URL whose redirect led here."""

    @property
    def named(self) -> str:
        """The URL as messages name it."""
        return self.url if self.via is None else f"{self.url} (a redirect from {self.via})"

    @classmethod
    def from_frame(cls, frame: dict[str, Any]) -> _Request:
        """The request in a worker's `fetch` frame. fetch.js sends it well formed, but the worker
        runs guest code, so it is checked here, not trusted."""
        url, method, body = frame.get("url"), frame.get("method"), frame.get("body")
        try:
            if not (isinstance(url, str) and isinstance(method, str) and _TOKEN.match(method) and (body is None or isinstance(body, str))):
                raise ValueError(frame)
            headers = []
            for name, value in frame.get("headers") or ():
                if not (isinstance(name, str) and isinstance(value, str) and _TOKEN.match(name)) or _BAD_HEADER_VALUE.search(value):
                    raise ValueError(name)
                if name.lower().encode() not in _NOT_FORWARDED:
                    headers.append((name.lower().encode(), value.encode("latin-1")))
        except (TypeError, ValueError):  # UnicodeEncodeError is a ValueError
            raise FetchFailed("fetch failed: the request is malformed") from None
        # A lone surrogate in the body becomes U+FFFD, as fetch's USVString conversion does.
        return cls(url, method, tuple(headers), clean_text(body).encode() if body is not None else None)

    def redirected(self, status: int, location: str, origin: tuple[str, str, int], to: ParsedURL) -> _Request:
        """The request for the next hop, as browsers make it: 303 (and 301/302 after a POST)
        become a GET without a body; credentials do not follow to another origin."""
        headers, method, body = self.headers, self.method, self.body
        if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
            method, body = "GET", None
            headers = tuple(h for h in headers if h[0] not in _BODY_HEADERS)
        if (to.scheme, to.host, to.port) != origin:
            headers = tuple(h for h in headers if h[0] not in _CREDENTIALS)
        return _Request(location, method, headers, body, self.url)


def _join(base: str, location: str) -> str:
    """The URL a redirect's `Location` points to, read as browsers read it."""
    location = location.strip("\x00\x20\t\n\r\x0b\x0c").replace("\t", "").replace("\n", "").replace("\r", "")
    try:
        return urljoin(base, slashes(location))
    except ValueError:  # urllib refuses what it cannot split, such as `http://[x`
        raise Refused(f"refused the redirect from {base} to {location[:200]!r}: it is not a valid URL") from None


class Fetcher:
    """Performs one run's requests under a policy, counting them against its caps and deadline.
    Thread-safe: a run's requests are performed concurrently."""

    def __init__(self, policy: NetworkPolicy, deadline: float | None, *, resolver: Resolver = _system_resolver,
                 tls: ssl.SSLContext | None = None) -> None:
        self.policy = policy
        self.deadline = deadline
        """`time.monotonic()` after which no request of the run may go on, or None."""
        self.resolver = resolver
        """How host names are looked up (tests give fixed answers)."""
        self.tls = tls or _default_tls()
        """The TLS settings, certificates checked; by default httpx's (the certifi roots)."""
        self.requests = 0
        self.total_bytes = 0
        self._lock = threading.Lock()
        self._clients: dict[str, httpx.Client] | None = {}

    def close(self) -> None:
        """Close every connection; a request still out fails."""
        with self._lock:
            clients, self._clients = self._clients or {}, None
        for client in clients.values():
            client.close()

    def _client(self, host: str) -> httpx.Client:
        """The client for one host name. Connections are pooled by address, so each name gets
        its own pool: a connection is only reused for the name its TLS certificate was checked
        against."""
        with self._lock:
            if self._clients is None:
                raise FetchFailed("fetch failed: the run is over")
            client = self._clients.get(host)
            if client is None:
                client = self._clients[host] = httpx.Client(follow_redirects=False, trust_env=False, verify=self.tls)
            return client

    def _remaining(self, started: float) -> float | None:
        """Seconds left for a request that started at `started`; None when nothing limits it."""
        ends = [t for t in (self.policy.request_timeout and started + self.policy.request_timeout, self.deadline) if t]
        return max(0.0, min(ends) - time.monotonic()) if ends else None

    def _count_request(self, request: _Request) -> None:
        with self._lock:
            if self.policy.max_requests is not None and self.requests >= self.policy.max_requests:
                raise Refused(f"refused {request.named}: the run already made its {self.policy.max_requests} allowed requests")
            self.requests += 1

    def _check(self, request: _Request, started: float) -> tuple[ParsedURL, str]:
        """The parsed URL and the checked address to connect to; `Refused` otherwise."""
        url = request.named
        try:
            parsed = parse_url(request.url)
        except Refused as exc:
            raise Refused(f"refused {url}: {exc}") from None
        is_localhost = parsed.address is None and (parsed.host == "localhost" or parsed.host.endswith(".localhost"))
        if is_localhost and not self.policy.loopback_allowed:
            raise Refused(f"refused {url}: `localhost` is this machine")
        if not self.policy.allows_host(parsed.host):
            raise Refused(f"refused {url}: the host {parsed.host!r} is not on the allow list ({', '.join(self.policy.allow_hosts)})")
        if self.policy.allow_ports is not None and parsed.port not in self.policy.allow_ports:
            allowed = ", ".join(map(str, self.policy.allow_ports))
            raise Refused(f"refused {url}: the port {parsed.port} is not on the allow list (ports {allowed})")
        addresses = [str(parsed.address)] if parsed.address is not None else self._lookup(parsed.host, parsed.port, started)
        if not addresses:
            raise FetchFailed(f"fetch failed: the host {parsed.host!r} has no address")
        for text in addresses:
            why = refusal(ipaddress.ip_address(text.partition("%")[0]), loopback_ok=self.policy.loopback_allowed)
            if why:
                where = f"the address {text}" if parsed.address is not None else f"{parsed.host} resolves to {text}, and"
                raise Refused(f"refused {url}: {where} {why.removeprefix('it ')}")
        return parsed, addresses[0]

    def _lookup(self, host: str, port: int, started: float) -> list[str]:
        """The addresses of `host`, looked up once, here; a lookup cannot outlast the request."""
        lookups = ThreadPoolExecutor(1, thread_name_prefix="jsolve-dns")
        try:
            return lookups.submit(self.resolver, host, port).result(timeout=self._remaining(started))
        except FutureTimeout:
            raise FetchFailed(f"fetch failed: looking up {host!r} timed out") from None
        except (OSError, UnicodeError):  # UnicodeError: a name the resolver cannot encode (a label over 63 characters)
            raise FetchFailed(f"fetch failed: the host {host!r} was not found") from None
        finally:
            lookups.shutdown(wait=False)  # a lookup that hangs ends on its own; nobody waits for it

    def fetch(self, frame: dict[str, Any]) -> dict[str, Any]:
        """Perform one guest request (a worker's `fetch` frame); the reply for the worker."""
        started = time.monotonic()
        try:
            request = _Request.from_frame(frame)
            cap = self.policy.max_request_bytes
            if cap is not None and request.body is not None and len(request.body) > cap:
                raise Refused(f"refused {request.url[:200]}: its body is {len(request.body)} bytes, over the cap of {cap} bytes per request")
            for hop in range(self.policy.max_redirects + 1):
                self._count_request(request)
                parsed, address = self._check(request, started)
                outcome = self._one(request, parsed, address, started)
                if isinstance(outcome, dict):
                    return {**outcome, "redirected": hop > 0}
                request = outcome
            raise FetchFailed(f"fetch failed: {frame.get('url')} redirected more than {self.policy.max_redirects} times")
        except Refused as exc:
            return {"error": {"kind": "policy", "message": str(exc)}}
        except FetchFailed as exc:
            return {"error": {"kind": "network", "message": str(exc)}}

    def _one(self, request: _Request, parsed: ParsedURL, address: str, started: float) -> dict[str, Any] | _Request:
        """One hop: the reply for the worker, or the request for the next hop of a redirect."""
        default_port = parsed.port == (443 if parsed.scheme == "https" else 80)
        host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
        headers = [*request.headers, (b"host", (host if default_port else f"{host}:{parsed.port}").encode())]
        ip = f"[{address}]" if ":" in address else address
        extensions = {"sni_hostname": parsed.host} if parsed.scheme == "https" and parsed.address is None else {}
        timeout = self._remaining(started)
        if timeout is not None and timeout <= 0:
            raise FetchFailed(f"fetch failed: {request.url} timed out")
        try:
            with self._client(parsed.host).stream(request.method, f"{parsed.scheme}://{ip}:{parsed.port}{parsed.target}",
                                                  headers=headers, content=request.body, timeout=httpx.Timeout(timeout),
                                                  extensions=extensions) as response:
                location = response.headers.get("location")
                if response.status_code in _REDIRECTS and location is not None:
                    target = _join(request.url, location)
                    try:
                        to = parse_url(target)
                    except Refused as exc:
                        raise Refused(f"refused {target} (a redirect from {request.url}): {exc}") from None
                    return request.redirected(response.status_code, target, (parsed.scheme, parsed.host, parsed.port), to)
                data = self._read(response, request.url, started)
        except httpx.TimeoutException:
            raise FetchFailed(f"fetch failed: {request.url} timed out") from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise FetchFailed(f"fetch failed: {request.url}: {type(exc).__name__} {exc}".rstrip()) from None
        return {"status": response.status_code, "statusText": response.reason_phrase, "url": request.url,
                "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in response.headers.raw],
                "body": data.decode(response.encoding or "utf-8", errors="replace")}

    def _read(self, response: httpx.Response, url: str, started: float) -> bytes:
        """The body, decoded as sent (gzip...), refused as soon as it passes a cap."""
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
            remaining = self._remaining(started)
            if remaining is not None and remaining <= 0:
                raise FetchFailed(f"fetch failed: {url} timed out")
            chunks.append(chunk)
        return b"".join(chunks)
