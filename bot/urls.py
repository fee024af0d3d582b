"""URL hygiene for feed-supplied links.

- :func:`safe_link` decides whether a link from a feed may be posted at all
  (absolute http(s), a real public host, no userinfo spoofing).
- :func:`canonical_url` turns a link into a stable dedup key (tracking noise removed).

Both are pure string functions: nothing here resolves DNS or makes a request.  The
fetcher has its own dial-time address guard; this module only refuses links whose
host is *visibly* non-public, so the bot never advertises them.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TypeAlias
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

MAX_URL_LEN = 2048

_DEFAULT_PORTS = {"http": 80, "https": 443}

# Query parameters that identify the click, not the resource.  Dropping them lets the
# same story with a fresh campaign tag deduplicate against the one already posted.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "igshid",
        "igsh",
        "mc_cid",
        "mc_eid",
        "ref",
        "ref_src",
        "ref_url",
        "_hsenc",
        "_hsmi",
        "__hstc",
        "__hssc",
        "__hsfp",
        "hsctatracking",
        "spm",
        "scm",
        "_ga",
        "_gl",
        "mkt_tok",
        "vero_id",
        "vero_conv",
        "oly_anon_id",
        "oly_enc_id",
        "rb_clickid",
        "s_cid",
        "wickedid",
        "ncid",
        "cmpid",
        "sr_share",
        "at_medium",
        "at_campaign",
        "guccounter",
        "guce_referrer",
        "guce_referrer_sig",
        "share",
        "smid",
        "sref",
        "trk",
        "trkcampaign",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hmb_", "ga_")

# Names that are never public.  ".internal" covers cloud metadata names such as
# metadata.google.internal; ".local" is mDNS on the reader's own network.
_BLOCKED_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
_BLOCKED_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".lan", ".intranet")

# After IDNA mapping a host name may only hold these (a "%" or "\\" in a host is a
# parser-confusion attempt; browsers decode them differently than we would).
_HOST_NAME = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*\.?")
_NUMERIC_PART = re.compile(r"(?:0[xX][0-9a-fA-F]*|[0-9]+)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IP: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address


def _is_tracking(name: str) -> bool:
    key = unquote(name).strip().lower()
    return key in _TRACKING_PARAMS or key.startswith(_TRACKING_PREFIXES)


def _netloc(scheme: str, host: str, port: int | None) -> str:
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        return host
    return f"{host}:{port}"


def canonical_url(url: str) -> str:
    """A stable form of ``url`` for deduplication.

    Lowercases scheme and host, drops default ports, the fragment, userinfo and
    tracking parameters; keeps every other query parameter verbatim and in order (their
    order and encoding can matter to the site).  Never raises: an unparseable URL is
    returned stripped but otherwise unchanged.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if not scheme or not host:
        return urlunsplit((scheme, parts.netloc, parts.path, parts.query, ""))
    path = parts.path or "/"
    query = "&".join(
        p for p in parts.query.split("&") if p and not _is_tracking(p.split("=", 1)[0])
    )
    return urlunsplit((scheme, _netloc(scheme, host, port), path, query, ""))


def _parse_ipv4_legacy(host: str) -> ipaddress.IPv4Address | None:
    """Parse ``host`` the way inet_aton and the WHATWG URL parser do.

    Browsers and many HTTP stacks accept "2130706433", "0x7f000001", "0177.0.0.1" and
    "127.1" as 127.0.0.1, so a check that only knows dotted-quad can be bypassed.
    Returns None when the host is not numeric at all.
    """
    parts = host.split(".")
    if parts and parts[-1] == "":
        parts.pop()
    if not parts or len(parts) > 4 or not all(_NUMERIC_PART.fullmatch(p) for p in parts):
        return None
    values: list[int] = []
    for p in parts:
        if p[:2].lower() == "0x":
            values.append(int(p[2:] or "0", 16))
        elif len(p) > 1 and p.startswith("0"):
            values.append(int(p, 8) if p.isdigit() and "8" not in p and "9" not in p else -1)
        else:
            values.append(int(p))
    if any(v < 0 for v in values):
        raise ValueError("bad octal")
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        raise ValueError("out of range")
    number = last
    for i, v in enumerate(head):
        number += v << (8 * (3 - i))
    return ipaddress.IPv4Address(number)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address tunnels to (mapped, 6to4, Teredo, NAT64, compat)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64 or (int(ip) >> 32 == 0 and int(ip) > 0xFFFF):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_ip(ip: _IP) -> bool:
    """True for globally routable unicast addresses only."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None and not is_public_ip(inner):
            return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def _host_is_public(host: str) -> bool:
    """False for loopback/private/link-local/metadata IP literals and local-only names."""
    if ":" in host:
        try:
            return is_public_ip(ipaddress.IPv6Address(host.split("%", 1)[0]))
        except ValueError:
            return False
    try:
        v4 = _parse_ipv4_legacy(host)
    except ValueError:
        return False  # numeric but malformed: clients disagree on what it means
    if v4 is not None:
        return is_public_ip(v4)
    name = host.rstrip(".")
    if name in _BLOCKED_NAMES or name.endswith(_BLOCKED_SUFFIXES):
        return False
    # A name whose last label is numeric is parsed as IPv4 by browsers; refuse it.
    return _HOST_NAME.fullmatch(host) is not None and not name.rsplit(".", 1)[-1].isdigit()


def _ascii_host(host: str) -> str | None:
    """IDNA-map a Unicode host (this also folds fullwidth "１２７.０.０.１" to ASCII)."""
    if host.isascii():
        return host.lower()
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None


def _clean_raw(link: str) -> str | None:
    """Strip what browsers strip (outer whitespace/C0, inner tab/CR/LF); refuse the rest."""
    link = link.strip(" \t\r\n\x0b\x0c\x00")
    link = link.replace("\t", "").replace("\r", "").replace("\n", "")
    if not link or len(link) > MAX_URL_LEN:
        return None
    if _CONTROL.search(link):
        return None
    return link.replace(" ", "%20")


def safe_link(link: str | None, *, base: str | None) -> str | None:
    """Return ``link`` as an absolute, postable http(s) URL, or None when unusable.

    Relative links are resolved against ``base`` (the feed URL).  Refused: other
    schemes (javascript:, data:, file:...), userinfo (``https://openai.com@evil.example``
    shows one host and visits another), hosts that are non-public IP literals in any
    spelling, local-only names, and anything longer than ``MAX_URL_LEN``.
    """
    if not link or not isinstance(link, str):
        return None
    raw = _clean_raw(link)
    if raw is None:
        return None
    try:
        absolute = urljoin(base, raw) if base else raw
        parts = urlsplit(absolute)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or "@" in parts.netloc or not parts.hostname:
        return None
    if "\\" in absolute:
        return None  # browsers treat "\" as "/", which can move the host boundary
    host = _ascii_host(parts.hostname)
    if host is None or not _host_is_public(host):
        return None
    netloc = _netloc(scheme, host, port)
    result = urlunsplit((scheme, netloc, parts.path or "/", parts.query, parts.fragment))
    return result if len(result) <= MAX_URL_LEN else None
