"""Address policy for outgoing connections: which peers the bot may talk to.

Threat model
------------
Anyone can add a news source, so every feed URL (and every redirect a feed
server sends) is attacker-controlled.  Without a guard the bot is an SSRF
proxy: it would fetch ``http://169.254.169.254/`` (cloud credentials),
``http://127.0.0.1:6379/`` (local services) or a LAN router's admin page, and
the response could flow back to the attacker through error messages or
parsed titles.

Why the check sits at connect time
----------------------------------
Checking the URL's host, or resolving it ourselves first, is not enough:

* DNS rebinding: a name can resolve to a public address when we check and to
  ``127.0.0.1`` a moment later when the HTTP client resolves it again.
* IP literals skip the resolver: aiohttp never calls the resolver for hosts
  that look like IP addresses (``connector.py`` ``_resolve_host``), so a
  resolver-only guard never sees ``http://127.0.0.2/``.  Legacy spellings
  (``2130706433``, ``0x7f000001``, ``127.1``) are either rejected by aiohttp
  3.14 or passed to ``getaddrinfo``, which maps them to loopback.
* Every redirect hop is a new connection to a new, attacker-chosen peer.

The one place that sees the address a socket is *actually* connected to,
for every hop, every spelling and every resolver, is the socket factory that
``aiohttp.TCPConnector(socket_factory=...)`` calls (via aiohappyeyeballs) with
the final ``sockaddr`` right before ``connect()``.  :meth:`AddressGuard.socket_factory`
refuses non-public peers there by raising :class:`BlockedConnectionError`
before a socket even exists, so the peer never sees a SYN.

Reused keep-alive connections need no new check: they were checked when opened.
Proxies would hide the real peer from this hook, so sessions must not use one
(``trust_env=False``).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Text carried by every refusal.  aiohappyeyeballs folds several per-address
# errors into one plain ``OSError`` whose message joins theirs; keeping this
# marker in the text lets callers recognise a refusal even then.
BLOCKED_MARKER: Final = "refused by address policy"


class BlockedConnectionError(ConnectionRefusedError):
    """Raised by the socket factory instead of connecting to a non-public peer.

    An ``OSError`` subclass on purpose: aiohttp and aiohappyeyeballs only turn
    ``OSError`` into their normal connection-error path.  The message is the same
    for every address so that aiohappyeyeballs re-raises the original object
    (rather than a merged copy) when all candidate addresses were refused.
    """

    def __init__(self) -> None:
        super().__init__(BLOCKED_MARKER)


def _nets4(*cidrs: str) -> tuple[ipaddress.IPv4Network, ...]:
    return tuple(ipaddress.IPv4Network(c) for c in cidrs)


def _nets6(*cidrs: str) -> tuple[ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.IPv6Network(c) for c in cidrs)


# IPv4 ranges that are never a public web server (IANA special-purpose registry).
_BLOCKED_V4: Final = _nets4(
    "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches localhost on Linux
    "10.0.0.0/8",  # private
    "100.64.0.0/10",  # carrier-grade NAT (also Alibaba metadata 100.100.100.200)
    "127.0.0.0/8",  # loopback
    "169.254.0.0/16",  # link-local, incl. 169.254.169.254 metadata
    "172.16.0.0/12",  # private
    "192.0.0.0/24",  # IETF protocol assignments (Oracle metadata 192.0.0.192)
    "192.0.2.0/24",  # TEST-NET-1
    "192.88.99.0/24",  # deprecated 6to4 relay anycast
    "192.168.0.0/16",  # private
    "198.18.0.0/15",  # benchmarking
    "198.51.100.0/24",  # TEST-NET-2
    "203.0.113.0/24",  # TEST-NET-3
    "224.0.0.0/4",  # multicast
    "240.0.0.0/4",  # reserved, incl. broadcast 255.255.255.255
)

# IPv6: only 2000::/3 is allocated global unicast; inside it, these are not public.
_BROADCAST: Final = ipaddress.IPv4Address("255.255.255.255")
_GLOBAL_UNICAST_V6: Final = ipaddress.IPv6Network("2000::/3")
_BLOCKED_V6: Final = _nets6(
    "2001::/23",  # IETF protocol assignments, incl. Teredo 2001::/32 (tunnels
    # to an obfuscated IPv4 we cannot judge)
    "2001:db8::/32",  # documentation
    "2002::/16",  # 6to4 (judged by its embedded IPv4 before this list is used)
    "3fff::/20",  # documentation (RFC 9637)
)
# Outside 2000::/3 these embed an IPv4 address that decides where packets go.
_MAPPED_V6: Final = ipaddress.IPv6Network("::ffff:0:0/96")
_NAT64_V6: Final = ipaddress.IPv6Network("64:ff9b::/96")
_SIXTOFOUR_V6: Final = ipaddress.IPv6Network("2002::/16")

# Cloud metadata / host-agent endpoints.  Most already fall in a blocked range;
# they are listed so that ``allow_private_networks`` (meant for LAN feeds)
# still never exposes instance credentials.  168.63.129.16 (Azure WireServer)
# is a public address, so it is only caught here.
CLOUD_METADATA: Final[frozenset[IPAddress]] = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle
        "169.254.169.123",  # AWS time sync
        "169.254.170.2",  # AWS ECS task metadata
        "169.254.169.250",  # Oracle
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud (classic)
        "168.63.129.16",  # Azure WireServer
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "fd00:ec2::23",  # AWS DNS over IPv6
    )
)


def parse_ip(value: str | IPAddress) -> IPAddress | None:
    """The address in ``value``, or None when it is not a canonical IP literal.

    Accepts a scope suffix (``fe80::1%eth0``) and a bracketed IPv6 literal.
    """
    if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return value
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 transition form really delivers to, if any."""
    if ip in _MAPPED_V6:
        return ip.ipv4_mapped
    if ip in _NAT64_V6:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _SIXTOFOUR_V6:
        return ip.sixtofour
    return None


def _is_public_v4(ip: ipaddress.IPv4Address) -> bool:
    if any(ip in net for net in _BLOCKED_V4):
        return False
    # Belt and braces: Python's IANA table catches anything added after ours.
    return ip.is_global


def _is_public_v6(ip: ipaddress.IPv6Address) -> bool:
    embedded = _embedded_v4(ip)
    if embedded is not None:
        # ::ffff:127.0.0.1 connects to 127.0.0.1; judge the real target.
        return _is_public_v4(embedded) and embedded not in CLOUD_METADATA
    # Everything outside 2000::/3 is loopback, unspecified, IPv4-compatible
    # (::a.b.c.d, deprecated), IPv4-translated, discard, ULA fc00::/7,
    # link-local fe80::/10, site-local fec0::/10, multicast ff00::/8 or unallocated.
    if ip not in _GLOBAL_UNICAST_V6:
        return False
    if any(ip in net for net in _BLOCKED_V6):
        return False
    return ip.is_global


def is_public_ip(ip: str | IPAddress) -> bool:
    """True when ``ip`` is a globally routable unicast address a feed may live on.

    Anything unparsable counts as not public: refusing is the safe default.
    """
    addr = parse_ip(ip)
    if addr is None:
        return False
    if addr in CLOUD_METADATA:
        return False
    if isinstance(addr, ipaddress.IPv4Address):
        return _is_public_v4(addr)
    return _is_public_v6(addr)


def _is_lan_ok(addr: IPAddress) -> bool:
    """What ``allow_private_networks`` additionally permits: unicast LAN/loopback.

    Metadata endpoints, multicast, broadcast and unspecified stay refused: they
    are never a feed server, only a way to reach something else.
    """
    targets: list[IPAddress] = [addr]
    if isinstance(addr, ipaddress.IPv6Address):
        embedded = _embedded_v4(addr)
        if embedded is not None:
            targets.append(embedded)
    return not any(
        t in CLOUD_METADATA or t.is_multicast or t.is_unspecified or t == _BROADCAST
        for t in targets
    )


def _normalise_endpoints(
    endpoints: Iterable[tuple[str, int]],
) -> frozenset[tuple[IPAddress, int]]:
    out: set[tuple[IPAddress, int]] = set()
    for host, port in endpoints:
        addr = parse_ip(host)
        if addr is None:
            # The check runs on connected addresses, so a hostname here could
            # never match; fail loudly instead of silently allowing nothing.
            raise ValueError(f"allowed endpoint host must be an IP literal, got {host!r}")
        out.add((addr, int(port)))
    return frozenset(out)


@dataclass(frozen=True)
class AddressGuard:
    """Decides whether a (peer address, port) may be connected to.

    ``allowed_endpoints`` holds exact (IP literal, port) pairs, so a test can
    allow its own loopback server while a redirect to another loopback port is
    still refused.  IPv4-mapped IPv6 spellings of an allowed IPv4 match it too.
    """

    allow_private_networks: bool = False
    allowed_endpoints: frozenset[tuple[str, int]] = frozenset()
    _endpoints: frozenset[tuple[IPAddress, int]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_endpoints", _normalise_endpoints(self.allowed_endpoints))

    def permits(self, ip: str | IPAddress, port: int) -> bool:
        addr = parse_ip(ip)
        if addr is None:
            return False
        if self._endpoint_allowed(addr, port):
            return True
        if is_public_ip(addr):
            return True
        return self.allow_private_networks and _is_lan_ok(addr)

    def _endpoint_allowed(self, addr: IPAddress, port: int) -> bool:
        if (addr, port) in self._endpoints:
            return True
        if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
            return (addr.ipv4_mapped, port) in self._endpoints
        return False

    def socket_factory(self, addr_info: tuple[Any, ...]) -> socket.socket:
        """``TCPConnector(socket_factory=...)`` hook: check the peer, then make the socket.

        ``addr_info`` is ``(family, type, proto, canonname, sockaddr)``, where
        sockaddr is the exact address aiohappyeyeballs is about to connect to.
        """
        family, type_, proto, _canon, sockaddr = addr_info
        host, port = sockaddr[0], sockaddr[1]
        if not isinstance(host, str) or not isinstance(port, int) or not self.permits(host, port):
            raise BlockedConnectionError()
        return socket.socket(family=family, type=type_, proto=proto)


def is_blocked_connection(exc: BaseException) -> bool:
    """True when ``exc`` (or anything in its cause/context chain) is a policy refusal."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, BlockedConnectionError):
            return True
        # aiohappyeyeballs merges per-address errors into a fresh OSError.
        if isinstance(current, OSError) and BLOCKED_MARKER in str(current):
            return True
        os_error = getattr(current, "os_error", None)  # aiohttp ClientConnectorError
        if (
            isinstance(os_error, BaseException)
            and id(os_error) not in seen
            and is_blocked_connection(os_error)
        ):
            return True
        current = current.__cause__ or current.__context__
    return False
