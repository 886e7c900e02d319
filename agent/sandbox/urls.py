"""The URL and address rules of guest `fetch`, as pure functions (no I/O): a URL read the way
browsers read it (WHATWG), the IP address forms a host may take, the addresses that may not be
reached (`refusal`), and the allow list's entries and matching. agent.sandbox.network applies
them to each request, and performs it.

- `\\` is a path separator, userinfo ends at the last `@`, and a host made of numbers is an IPv4
  address in any of its spellings (`127.1`, `2130706433`, `0x7f000001`, `0177.0.0.1`).
- An address is refused unless public: loopback, private, link-local, cloud metadata, shared,
  reserved, multicast, unspecified, and the IPv6 forms that embed an IPv4 address are refused.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from agent.errors import UsageError

__all__ = ["ParsedURL", "Refused", "allow_entry", "host_allowed", "parse_url", "refusal", "slashes"]

_IPV4_NUMBER = re.compile(r"^(0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*)$")
_FORBIDDEN_HOST_CHARS = re.compile(r"[\x00-\x20#%/:<>?@\[\\\]^|]")


class Refused(Exception):
    """A request the policy does not allow; the message names the URL and the rule."""


# --- the allow list -------------------------------------------------------------------------

def allow_entry(entry: str) -> str:
    """An allow-list entry in the form `parse_url` gives hosts: lowercase ASCII, IP addresses in
    canonical form, no trailing dot."""
    host = entry.strip().lower()
    if host == "*":
        return host
    wildcard, name = ("*.", host[2:]) if host.startswith("*.") else ("", host)
    name = name.removesuffix(".")
    try:
        if not wildcard and name.startswith("[") and name.endswith("]"):
            return str(ipaddress.IPv6Address(name[1:-1]))
        if "" in name.split(".") or "*" in name or _FORBIDDEN_HOST_CHARS.search(name):
            raise ValueError(name)
        name = name.encode("idna").decode("ascii") if any(ord(c) > 127 for c in name) else name
        address = None if wildcard else _parse_ipv4(name)
    except (ValueError, UnicodeError, Refused):
        raise UsageError(f"allow_hosts entry {entry!r} is not a host name, an IP address, `*.domain` or `*`") from None
    return wildcard + (str(address) if address is not None else name)


def host_allowed(patterns: Iterable[str], host: str) -> bool:
    """Whether `host` (lowercase, as `parse_url` gives it) matches one of `patterns` (entries as
    `allow_entry` gives them): the same name, a wildcard `*.domain` (which also matches the
    domain itself), or `*`."""
    host = host.rstrip(".")
    for pattern in patterns:
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


def slashes(text: str) -> str:
    """`text` with `\\` read as `/` before the query, as browsers read http(s) URLs."""
    end = min((i for i in (text.find("?"), text.find("#")) if i >= 0), default=len(text))
    return text[:end].replace("\\", "/") + text[end:]


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
    if not parts or not ((parts[-1].isascii() and parts[-1].isdigit()) or _IPV4_NUMBER.match(parts[-1])):
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
    rest = slashes(rest).lstrip("/")
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
        if host.strip(".") and "" in host.rstrip(".").split("."):  # `a..com`: the resolver's encoder fails on it
            raise Refused("its host name has an empty label")
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
