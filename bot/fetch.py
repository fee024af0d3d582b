"""The fetch stage: one shared, polite and SSRF-safe aiohttp session.

Threat model: feed URLs are added by anyone, so every URL, redirect, header and
byte a feed server sends is hostile until proven otherwise.  aiohttp's defaults
are not built for that (5-minute total timeout with no per-read timeout, 10
redirects to any host, ``resp.read()`` inflates a gzip bomb in memory, and an
address check in a resolver never sees IP literals).  This module therefore:

* refuses non-public peers at **connect time** on every connection, through
  :meth:`bot.netguard.AddressGuard.socket_factory`.  That hook sees the address
  actually dialled, so DNS rebinding, IP-literal spellings and redirects cannot
  slip past it.  URL-level checks here only give earlier, clearer errors;
* follows redirects itself, one checked and counted hop at a time;
* streams the body and stops at a cap on the *decompressed* size;
* bounds each read and the whole fetch with deadlines;
* sends conditional-GET validators and reports Retry-After, 410 and 301/308 so
  the scheduler can be polite.

Every failure is raised as :class:`bot.errors.FetchError` with a short message
for people.  Messages never contain a response body, URL userinfo or a query
string.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import math
import re
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Final

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from bot.errors import BlockedAddressError, FetchError
from bot.netguard import AddressGuard, is_blocked_connection, parse_ip
from bot.types import FetchResult

log = logging.getLogger(__name__)

MIB: Final = 1024 * 1024
DEFAULT_USER_AGENT: Final = (
    "alliance-bot/0.1 (+https://github.com/alliance-bot/alliance-bot; self-hosted news alert bot)"
)
# Feed types first; */* last so servers with odd Content-Types still answer.
_ACCEPT: Final = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)
# Only codings whose aiohttp decoder we know streams in bounded steps.
_ACCEPT_ENCODING: Final = "gzip, deflate"
_DECODABLE: Final = frozenset({"", "identity", "gzip", "x-gzip", "deflate"})
_ALLOWED_SCHEMES: Final = frozenset({"http", "https"})
_REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
_PERMANENT_REDIRECTS: Final = frozenset({301, 308})
_NOT_FEED_MEDIA: Final = ("image/", "audio/", "video/")
_MAX_RETRY_AFTER_S: Final = 24 * 3600.0
_READ_CHUNK: Final = 64 * 1024
_DELAY_SECONDS = re.compile(r"\s*-?\d+(?:\.\d+)?\s*")
# What a host may look like after IDNA encoding (underscores occur in the wild).
_HOSTNAME = re.compile(r"[a-z0-9_](?:[a-z0-9_.-]{0,251}[a-z0-9_])?\.?", re.IGNORECASE)
# RFC 6761/9476 names that must never be sent to a DNS server: they cannot
# exist publicly, and a query for them would leave the machine for nothing.
_UNRESOLVABLE_TLDS: Final = frozenset({"invalid", "test", "example", "onion", "alt"})


@dataclass(frozen=True)
class FetchSettings:
    """Limits for one fetch.  Times are seconds; ``max_bytes`` is after decompression."""

    connect_timeout: float = 5.0
    read_timeout: float = 10.0  # per socket read: a stalled server
    total_timeout: float = 20.0  # whole fetch incl. redirects: a slow-drip server
    max_bytes: int = 10 * MIB
    max_redirects: int = 5
    per_host_limit: int = 2
    total_limit: int = 32
    user_agent: str = DEFAULT_USER_AGENT
    allow_private_networks: bool = False
    allowed_endpoints: frozenset[tuple[str, int]] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        for name in ("connect_timeout", "read_timeout", "total_timeout"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive")
        if self.max_bytes <= 0 or self.per_host_limit <= 0 or self.total_limit <= 0:
            raise ValueError("max_bytes, per_host_limit and total_limit must be positive")
        if self.max_redirects < 0:
            raise ValueError("max_redirects must not be negative")

    def address_guard(self) -> AddressGuard:
        return AddressGuard(
            allow_private_networks=self.allow_private_networks,
            allowed_endpoints=self.allowed_endpoints,
        )


# --------------------------------------------------------------------------- helpers


def redact_url(url: str | URL) -> str:
    """``url`` safe to show people: no userinfo, query or fragment.

    Feed URLs often carry API keys in the query (``?token=...``) or credentials
    in the userinfo; error messages can end up in a public chat channel.
    """
    try:
        parsed = url if isinstance(url, URL) else URL(url)
        if not parsed.scheme or not parsed.raw_host:
            return "<invalid URL>"
        shown = str(parsed.with_user(None).with_query(None).with_fragment(None))
    except (ValueError, TypeError):
        return "<invalid URL>"
    return shown + ("?…" if parsed.raw_query_string else "")


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or HTTP-date).

    Floored at 0 (a date in the past means "now") and capped at 24 h so a
    hostile or broken server cannot park a source forever.  None when absent
    or unparsable.
    """
    if value is None or not value.strip():
        return None
    if _DELAY_SECONDS.fullmatch(value):
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value.strip())
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:  # "-0000" zone: RFC 5322 says treat as UTC
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), _MAX_RETRY_AFTER_S)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _numeric_ipv4(host: str) -> bool:
    """True for legacy IPv4 spellings (``2130706433``, ``0x7f000001``, ``127.1``, octal).

    ``getaddrinfo`` maps these onto addresses, and no public DNS name is
    spelled like this, so they are refused outright rather than interpreted.
    """
    try:
        socket.inet_aton(host)
    except OSError:
        return False
    return True


def _header_value(value: str | None) -> str | None:
    """A validator safe to send: stripped, non-empty, single-line."""
    if value is None:
        return None
    value = value.strip()
    if not value or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return None
    return value


def _display_host(url: URL) -> str:
    return url.host or "<no host>"


# --------------------------------------------------------------------------- session


class GuardedResolver(AbstractResolver):
    """Wraps a resolver so special-use names never reach a DNS server.

    Address policy is not enforced here (see :mod:`bot.netguard` for why a
    resolver cannot do that); this only keeps ``*.invalid`` and friends local.
    """

    def __init__(self, inner: AbstractResolver) -> None:
        self._inner = inner

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        tld = host.rstrip(".").rsplit(".", 1)[-1].lower()
        if tld in _UNRESOLVABLE_TLDS:
            raise socket.gaierror(socket.EAI_NONAME, "special-use name is never resolved")
        return await self._inner.resolve(host, port, family)

    async def close(self) -> None:
        await self._inner.close()


def create_session(
    settings: FetchSettings, *, resolver: AbstractResolver | None = None
) -> aiohttp.ClientSession:
    """The one session shared by every source.  Call inside the running event loop.

    ``resolver`` replaces the system resolver (tests use it to simulate DNS
    rebinding); it is wrapped by :class:`GuardedResolver` and owned by the caller.
    """
    guard = settings.address_guard()
    connector = aiohttp.TCPConnector(
        limit=settings.total_limit,
        limit_per_host=settings.per_host_limit,
        # Must be the connect-time check: see bot.netguard's docstring.
        socket_factory=guard.socket_factory,
        resolver=GuardedResolver(resolver or aiohttp.ThreadedResolver()),
        ttl_dns_cache=60,
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(
            total=settings.total_timeout,
            sock_connect=settings.connect_timeout,
            sock_read=settings.read_timeout,
        ),
        # One source's cookies must not leak into requests for another.
        cookie_jar=aiohttp.DummyCookieJar(),
        headers={"User-Agent": settings.user_agent},
        # A proxy from the environment would hide the real peer from the guard.
        trust_env=False,
        auto_decompress=True,
    )


# --------------------------------------------------------------------------- fetcher


@dataclass
class _HostSlot:
    semaphore: asyncio.Semaphore
    users: int = 0


@dataclass(frozen=True)
class _Validators:
    etag: str | None
    last_modified: str | None

    @property
    def sent(self) -> bool:
        return self.etag is not None or self.last_modified is not None

    def headers(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.etag is not None:
            out["If-None-Match"] = self.etag
        if self.last_modified is not None:
            out["If-Modified-Since"] = self.last_modified
        return out


class Fetcher:
    """Fetches feed URLs through a shared session; one instance per process.

    ``settings`` must be the ones the session was created with (the address
    guard is rebuilt from them for early URL checks).  ``clock`` returns the
    current aware UTC time; tests inject it to pin Retry-After dates.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: FetchSettings,
        *,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._session = session
        self._settings = settings
        self._guard = settings.address_guard()
        self._clock = clock
        # Per-host politeness on top of the connector's per-connection limit:
        # it also covers time spent on redirects and waiting for a pooled socket.
        self._hosts: dict[str, _HostSlot] = {}

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET ``url`` (conditionally when validators are given).

        Returns a 200-class result with the body, or ``status=304, body=None``.
        Raises only :class:`FetchError` (``kind`` says why; a refused scheme or
        address is a :class:`BlockedAddressError`).
        """
        start = self._checked_url(url, what="URL")
        validators = _Validators(_header_value(etag), _header_value(last_modified))
        async with self._host_slot(start.host or ""):
            try:
                # The deadline starts once we hold the host slot, so queueing
                # behind other feeds on the same host is not counted as slowness.
                async with asyncio.timeout(self._settings.total_timeout):
                    return await self._follow(start, validators)
            except TimeoutError as exc:
                raise FetchError(
                    f"{redact_url(start)} did not answer within "
                    f"{self._settings.total_timeout:g} seconds.",
                    kind="timeout",
                ) from exc

    # -- politeness

    @contextlib.asynccontextmanager
    async def _host_slot(self, host: str) -> AsyncIterator[None]:
        key = host.lower().rstrip(".")
        slot = self._hosts.get(key)
        if slot is None:
            slot = self._hosts[key] = _HostSlot(asyncio.Semaphore(self._settings.per_host_limit))
        slot.users += 1
        try:
            async with slot.semaphore:
                yield
        finally:
            slot.users -= 1
            if slot.users == 0:  # forget idle hosts so the table cannot grow forever
                del self._hosts[key]

    # -- URL policy (early, friendly errors; the socket factory is the real guard)

    def _checked_url(self, raw: str | URL, *, what: str) -> URL:
        try:
            url = raw if isinstance(raw, URL) else URL(raw)
        except (ValueError, TypeError) as exc:
            raise FetchError(f"The {what} is not a valid URL.", permanent=True, kind="url") from exc
        scheme = url.scheme.lower()
        if scheme not in _ALLOWED_SCHEMES:
            shown = f"{scheme}:" if scheme else "scheme-less"
            raise BlockedAddressError(f"Refused a {shown} {what}: only http and https are fetched.")
        host = url.raw_host
        if not host:
            raise FetchError(f"The {what} has no host name.", permanent=True, kind="url")
        if parse_ip(host) is None and not _HOSTNAME.fullmatch(host):
            # Never hand a malformed name to the system resolver.
            raise FetchError(f"The {what} has an invalid host name.", permanent=True, kind="url")
        self._check_literal_host(url, host.rstrip("."), what)
        return url

    def _check_literal_host(self, url: URL, host: str, what: str) -> None:
        ip = parse_ip(host)
        if ip is None:
            if _numeric_ipv4(host):
                raise BlockedAddressError(
                    f"Refused the {what} {redact_url(url)}: write IP addresses in "
                    "dotted form (a.b.c.d)."
                )
            return
        port = url.port or (443 if url.scheme.lower() == "https" else 80)
        if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
            raise BlockedAddressError(
                f"Refused the {what} {redact_url(url)}: scoped addresses are local."
            )
        if not self._guard.permits(ip, port):
            raise BlockedAddressError(
                f"Refused the {what} {redact_url(url)}: it is not a public address."
            )

    # -- redirects

    async def _follow(self, start: URL, validators: _Validators) -> FetchResult:
        url = start
        seen = {str(start)}
        permanent_target: URL | None = None
        only_permanent_so_far = True
        for _hop in range(self._settings.max_redirects + 1):
            response = await self._request(url, validators)
            try:
                if response.status not in _REDIRECT_STATUSES:
                    return await self._finish(response, url, validators, permanent_target)
                target = self._redirect_target(response, url)
            finally:
                response.release()
            if str(target) in seen:
                raise FetchError(f"{redact_url(start)} redirects in a loop.", kind="redirects")
            seen.add(str(target))
            # Only a chain of permanent hops from the source's own URL says
            # "update the stored URL"; one temporary hop breaks it.
            only_permanent_so_far = (
                only_permanent_so_far and response.status in _PERMANENT_REDIRECTS
            )
            if only_permanent_so_far:
                permanent_target = target
            url = target
        raise FetchError(
            f"{redact_url(start)} redirected more than {self._settings.max_redirects} times.",
            kind="redirects",
        )

    def _redirect_target(self, response: aiohttp.ClientResponse, url: URL) -> URL:
        location = response.headers.get("Location", "").strip()
        if not location:
            raise FetchError(
                f"{redact_url(url)} sent HTTP {response.status} without a Location.",
                status=response.status,
                kind="http",
            )
        try:
            target = url.join(URL(location))
        except (ValueError, TypeError) as exc:
            raise FetchError(
                f"{redact_url(url)} redirected to an invalid URL.", kind="redirects"
            ) from exc
        return self._checked_url(target.with_fragment(None), what="redirect target")

    # -- one HTTP exchange

    async def _request(self, url: URL, validators: _Validators) -> aiohttp.ClientResponse:
        headers = {
            "Accept": _ACCEPT,
            "Accept-Encoding": _ACCEPT_ENCODING,
            **validators.headers(),
        }
        try:
            return await self._session.get(url, headers=headers, allow_redirects=False)
        except Exception as exc:
            raise _translate(exc, url) from exc

    async def _finish(
        self,
        response: aiohttp.ClientResponse,
        url: URL,
        validators: _Validators,
        permanent_target: URL | None,
    ) -> FetchResult:
        status = response.status
        if status == 304:
            return self._not_modified(response, url, validators, permanent_target)
        if status >= 400 or not 200 <= status < 300:
            raise self._status_error(response, url)
        content_type = response.headers.get("Content-Type")
        self._check_content_type(content_type, url)
        self._check_encoding(response, url)
        body = await self._read_body(response, url)
        return FetchResult(
            url=str(url),
            status=status,
            body=body,
            etag=_header_value(response.headers.get("ETag")),
            last_modified=_header_value(response.headers.get("Last-Modified")),
            content_type=content_type,
            permanent_redirect=str(permanent_target) if permanent_target else None,
        )

    def _not_modified(
        self,
        response: aiohttp.ClientResponse,
        url: URL,
        validators: _Validators,
        permanent_target: URL | None,
    ) -> FetchResult:
        if not validators.sent:
            # A 304 to an unconditional request carries no body and means
            # nothing; treating it as "unchanged" would hide a broken feed.
            raise FetchError(
                f"{redact_url(url)} answered 304 Not Modified to a plain request.",
                status=304,
                kind="http",
            )
        return FetchResult(
            url=str(url),
            status=304,
            body=None,
            # Servers may omit validators on 304; keep the ones that still hold.
            etag=_header_value(response.headers.get("ETag")) or validators.etag,
            last_modified=_header_value(response.headers.get("Last-Modified"))
            or validators.last_modified,
            content_type=response.headers.get("Content-Type"),
            permanent_redirect=str(permanent_target) if permanent_target else None,
        )

    def _status_error(self, response: aiohttp.ClientResponse, url: URL) -> FetchError:
        status = response.status
        where = redact_url(url)
        retry_after = None
        if status in (429, 503):
            retry_after = parse_retry_after(response.headers.get("Retry-After"), self._clock())
        if status == 429:
            return FetchError(
                f"{where} is rate-limiting us (HTTP 429).",
                status=status,
                retry_after_s=retry_after,
                kind="rate_limited",
            )
        if status == 410:
            return FetchError(
                f"{where} is gone (HTTP 410); it should not be polled again.",
                status=status,
                permanent=True,
                kind="gone",
            )
        return FetchError(
            f"{where} returned HTTP {status}.",
            status=status,
            retry_after_s=retry_after,
            kind="http",
        )

    def _check_content_type(self, content_type: str | None, url: URL) -> None:
        media = (content_type or "").split(";", 1)[0].strip().lower()
        if media.startswith(_NOT_FEED_MEDIA):
            raise FetchError(
                f"{redact_url(url)} serves {media}, not a feed.", kind="not_feed", permanent=False
            )

    def _check_encoding(self, response: aiohttp.ClientResponse, url: URL) -> None:
        # We asked for gzip/deflate only.  Other decoders (br, zstd, when their
        # packages are installed) have not been checked for bounded inflation.
        encoding = response.headers.get("Content-Encoding", "").strip().lower()
        if encoding not in _DECODABLE:
            raise FetchError(
                f"{redact_url(url)} sent a body in an encoding we did not ask for.",
                kind="payload",
            )

    async def _read_body(self, response: aiohttp.ClientResponse, url: URL) -> bytes:
        limit = self._settings.max_bytes
        too_large = FetchError(
            f"{redact_url(url)} is larger than the {_size(limit)} limit.", kind="too_large"
        )
        declared = response.content_length
        if declared is not None and declared > limit:
            response.close()  # do not read (or drain) a body we will refuse
            raise too_large
        body = bytearray()
        try:
            # iter_chunked yields *decompressed* bytes; aiohttp 3.14 inflates in
            # bounded steps with back-pressure, so stopping here bounds memory.
            async for chunk in response.content.iter_chunked(_READ_CHUNK):
                if len(body) + len(chunk) > limit:
                    response.close()
                    raise too_large
                body += chunk
        except FetchError:
            raise
        except Exception as exc:
            response.close()
            raise _translate(exc, url) from exc
        return bytes(body)


def _size(n: int) -> str:
    return f"{n / MIB:g} MiB" if n >= MIB else f"{n} bytes"


def _translate(exc: BaseException, url: URL) -> FetchError:
    """Map a transport-level exception to a FetchError with a short human message.

    Never interpolates ``str(exc)``: it can contain the full URL, response
    fragments or internal addresses.
    """
    where = redact_url(url)
    host = _display_host(url)
    if isinstance(exc, FetchError):
        return exc
    if is_blocked_connection(exc):
        return BlockedAddressError(f"Refused to connect to {host}: it is not a public address.")
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return FetchError(f"The host name {host} could not be resolved.", kind="dns")
    if isinstance(exc, aiohttp.ClientSSLError):
        return FetchError(f"The TLS connection to {host} failed.", kind="tls")
    if isinstance(exc, TimeoutError):  # aiohttp's connect and read timeouts subclass it
        return FetchError(f"{where} stopped responding.", kind="timeout")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return FetchError(f"Could not connect to {host}.", kind="connect")
    if isinstance(exc, (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError, ConnectionError)):
        return FetchError(f"The connection to {host} was lost.", kind="connect")
    if isinstance(exc, aiohttp.ClientPayloadError):
        return FetchError(f"{where} sent a truncated or badly encoded body.", kind="payload")
    if isinstance(exc, aiohttp.InvalidURL):
        return FetchError(f"{where} is not a URL that can be fetched.", permanent=True, kind="url")
    if isinstance(exc, aiohttp.ClientResponseError):
        return FetchError(f"{where} sent an invalid HTTP response.", kind="protocol")
    if isinstance(exc, OSError):
        return FetchError(f"Could not connect to {host}.", kind="connect")
    log.warning("unexpected %s while fetching %s", type(exc).__name__, where)
    return FetchError(f"Fetching {where} failed unexpectedly.", kind="fetch")
