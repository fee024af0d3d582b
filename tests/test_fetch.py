"""Tests for bot.fetch against real aiohttp servers on 127.0.0.1 (never the internet).

Most tests run with the production policy (``allow_private_networks=False``)
plus an allowlist holding exactly the test server's (127.0.0.1, port), so the
connect-time guard is exercised on every request.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import socket
import time
import zlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.errors import BlockedAddressError, FetchError
from bot.fetch import (
    DEFAULT_USER_AGENT,
    MIB,
    Fetcher,
    FetchSettings,
    create_session,
    parse_retry_after,
    redact_url,
)
from bot.netguard import is_blocked_connection
from tests.feedserver import FeedServer, RawServer, read_request_head
from tests.memory import peak_rss_growth as _peak_rss_growth

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
NOW = datetime(2025, 1, 6, 12, 0, 0, tzinfo=UTC)
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "feeds" / "hostile"


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def no_dns_queries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test whose lookup could leave the machine.

    Only ``localhost`` (answered from /etc/hosts) and numeric hosts (parsed
    locally by getaddrinfo) may reach the system resolver.
    """
    real = socket.getaddrinfo

    def guarded(host: object, *args: object, **kwargs: object) -> object:
        name = host.decode() if isinstance(host, bytes) else str(host)
        numeric = True
        try:
            socket.inet_aton(name)
        except OSError:
            numeric = ":" in name
        assert numeric or name == "localhost", f"test tried to resolve {name!r}"
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", guarded)


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as srv:
        yield srv


@pytest.fixture
async def other_server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as srv:
        yield srv


def allow(*ports: int, **overrides: object) -> FetchSettings:
    """Production policy, except these exact loopback endpoints."""
    return FetchSettings(
        allowed_endpoints=frozenset(("127.0.0.1", p) for p in ports),
        **overrides,  # type: ignore[arg-type]
    )


@contextlib.asynccontextmanager
async def fetcher(
    settings: FetchSettings,
    *,
    resolver: AbstractResolver | None = None,
    clock: Callable[[], datetime] = lambda: NOW,
) -> AsyncIterator[Fetcher]:
    session = create_session(settings, resolver=resolver)
    try:
        yield Fetcher(session, settings, clock=clock)
    finally:
        await session.close()


async def fetch_error(settings: FetchSettings, url: str, **kw: str) -> FetchError:
    async with fetcher(settings) as f:
        with pytest.raises(FetchError) as info:
            await f.fetch(url, **kw)
    return info.value


class FakeResolver(AbstractResolver):
    """Answers every name from a table; records what it was asked.  No network."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "unknown")
        return [
            {
                "hostname": host,
                "host": self.table[host],
                "port": port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    async def close(self) -> None:
        pass


# --------------------------------------------------------------------------- basics


async def test_200_returns_body_and_metadata(server: FeedServer) -> None:
    server.add("/feed.xml", RSS, etag='"v1"', last_modified="Mon, 06 Jan 2025 10:00:00 GMT")
    async with fetcher(allow(server.port)) as f:
        result = await f.fetch(server.url("/feed.xml"))
    assert result.status == 200
    assert result.body == RSS
    assert result.url == server.url("/feed.xml")
    assert result.etag == '"v1"'
    assert result.last_modified == "Mon, 06 Jan 2025 10:00:00 GMT"
    assert result.content_type == "application/rss+xml"
    assert result.permanent_redirect is None
    _path, headers = server.requests[0]
    assert headers["User-Agent"] == DEFAULT_USER_AGENT
    assert headers["Accept-Encoding"] == "gzip, deflate"
    assert "If-None-Match" not in headers and "If-Modified-Since" not in headers


async def test_etag_round_trip_gives_304(server: FeedServer) -> None:
    server.add("/feed.xml", RSS, etag='W/"abc"', last_modified="Mon, 06 Jan 2025 10:00:00 GMT")
    async with fetcher(allow(server.port)) as f:
        first = await f.fetch(server.url("/feed.xml"))
        second = await f.fetch(
            server.url("/feed.xml"), etag=first.etag, last_modified=first.last_modified
        )
    assert second.status == 304 and second.not_modified
    assert second.body is None
    assert second.etag == 'W/"abc"'
    assert server.requests[1][1]["If-None-Match"] == 'W/"abc"'
    assert server.requests[1][1]["If-Modified-Since"] == "Mon, 06 Jan 2025 10:00:00 GMT"


async def test_last_modified_alone_gives_304_and_keeps_validator(server: FeedServer) -> None:
    server.add("/feed.xml", RSS, last_modified="Mon, 06 Jan 2025 10:00:00 GMT")
    async with fetcher(allow(server.port)) as f:
        result = await f.fetch(
            server.url("/feed.xml"), last_modified="Mon, 06 Jan 2025 10:00:00 GMT"
        )
    assert result.status == 304
    assert result.last_modified == "Mon, 06 Jan 2025 10:00:00 GMT"


async def test_empty_validators_are_not_sent(server: FeedServer) -> None:
    server.add("/feed.xml", RSS, etag='"v1"')
    async with fetcher(allow(server.port)) as f:
        result = await f.fetch(server.url("/feed.xml"), etag="  ", last_modified="")
    assert result.status == 200
    headers = server.requests[0][1]
    assert "If-None-Match" not in headers and "If-Modified-Since" not in headers


async def test_304_to_a_plain_request_is_an_error(server: FeedServer) -> None:
    server.add("/feed.xml", status=304)
    err = await fetch_error(allow(server.port), server.url("/feed.xml"))
    assert err.kind == "http" and err.status == 304


async def test_gzip_body_is_decompressed(server: FeedServer) -> None:
    big = RSS * 500
    server.add("/feed.xml", gzip.compress(big), headers={"Content-Encoding": "gzip"})
    async with fetcher(allow(server.port)) as f:
        result = await f.fetch(server.url("/feed.xml"))
    assert result.body == big


async def test_deflate_body_is_decompressed(server: FeedServer) -> None:
    server.add("/feed.xml", zlib.compress(RSS), headers={"Content-Encoding": "deflate"})
    async with fetcher(allow(server.port)) as f:
        result = await f.fetch(server.url("/feed.xml"))
    assert result.body == RSS


@pytest.mark.parametrize("encoding", ["br", "zstd", "compress", "gzip, br"])
async def test_unrequested_content_encodings_are_refused(server: FeedServer, encoding: str) -> None:
    server.add("/feed.xml", b"\x00" * 64, headers={"Content-Encoding": encoding})
    err = await fetch_error(allow(server.port), server.url("/feed.xml"))
    assert err.kind in {"payload", "protocol"}


async def test_truncated_gzip_yields_a_partial_body_not_a_crash(server: FeedServer) -> None:
    """Known limitation, pinned: aiohttp 3.14 checks stream completeness for
    deflate only, so a gzip body cut short arrives as a shorter body.  The parse
    stage sees truncated XML; items missing from it must not be read as deleted.
    """
    full = RSS * 100
    server.add("/feed.xml", gzip.compress(full)[:-30], headers={"Content-Encoding": "gzip"})
    async with fetcher(allow(server.port)) as f:
        result = await f.fetch(server.url("/feed.xml"))
    assert result.body is not None and len(result.body) <= len(full)


async def test_gzip_garbage_is_a_payload_error(server: FeedServer) -> None:
    server.add(
        "/feed.xml",
        b"\x1f\x8b\x08\x00garbage-not-deflate" * 10,
        headers={"Content-Encoding": "gzip"},
    )
    err = await fetch_error(allow(server.port), server.url("/feed.xml"))
    assert err.kind == "payload"


async def test_cookies_are_not_kept_between_requests(server: FeedServer) -> None:
    server.add("/a", RSS, headers={"Set-Cookie": "session=secret; Path=/"})
    server.add("/b", RSS)
    async with fetcher(allow(server.port)) as f:
        await f.fetch(server.url("/a"))
        await f.fetch(server.url("/b"))
    assert "Cookie" not in server.requests[1][1]


@pytest.mark.parametrize("ctype", ["image/png", "audio/mpeg", "video/mp4", "IMAGE/GIF; x=y"])
async def test_media_content_types_are_not_feeds(server: FeedServer, ctype: str) -> None:
    server.add("/x", b"\x89PNG", content_type=ctype)
    err = await fetch_error(allow(server.port), server.url("/x"))
    assert err.kind == "not_feed"


# --------------------------------------------------------------------------- size caps


def _chunked_handler(total: int, chunk: int = 64 * 1024) -> Callable[[web.Request], object]:
    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        sent = 0
        with contextlib.suppress(ConnectionError):
            while sent < total:
                await resp.write(b"x" * min(chunk, total - sent))
                sent += chunk
            await resp.write_eof()
        return resp

    return handler


async def test_body_exactly_at_cap_is_accepted(server: FeedServer) -> None:
    server.route("/feed", _chunked_handler(1000, chunk=300))  # type: ignore[arg-type]
    async with fetcher(allow(server.port, max_bytes=1000)) as f:
        result = await f.fetch(server.url("/feed"))
    assert result.body is not None and len(result.body) == 1000


async def test_chunked_body_over_cap_is_refused(server: FeedServer) -> None:
    server.route("/feed", _chunked_handler(200 * MIB))  # type: ignore[arg-type]
    started = time.monotonic()
    err = await fetch_error(allow(server.port, max_bytes=1 * MIB), server.url("/feed"))
    assert err.kind == "too_large"
    assert time.monotonic() - started < 2.0


async def test_huge_content_length_is_refused_before_reading() -> None:
    async def liar(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request_head(reader)
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
            b"Content-Length: 1000000000000\r\n\r\n<rss>"
        )
        await writer.drain()
        await asyncio.sleep(30)  # never sends the rest

    async with RawServer(liar) as raw:
        started = time.monotonic()
        err = await fetch_error(allow(raw.port), raw.url("/feed"))
    assert err.kind == "too_large"
    assert time.monotonic() - started < 1.0  # no waiting for a body


@contextlib.asynccontextmanager
async def peak_rss_growth() -> AsyncIterator[list[int]]:
    if not Path("/proc/self/statm").exists():
        pytest.skip("needs /proc to measure memory")
    async with _peak_rss_growth() as out:
        yield out


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """200 MiB of zeros, gzip-compressed (about 200 KiB), built in memory."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(MIB)
    parts = [comp.compress(block) for _ in range(200)]
    parts.append(comp.flush())
    return b"".join(parts)


async def test_gzip_bomb_stops_at_cap_with_small_memory(
    server: FeedServer, gzip_bomb: bytes
) -> None:
    server.add("/bomb.xml", gzip_bomb, headers={"Content-Encoding": "gzip"})
    async with fetcher(allow(server.port)) as f:
        started = time.monotonic()
        async with peak_rss_growth() as growth:
            with pytest.raises(FetchError) as info:
                await f.fetch(server.url("/bomb.xml"))
        elapsed = time.monotonic() - started
    assert info.value.kind == "too_large"
    print(
        f"gzip bomb: {len(gzip_bomb)} B compressed, aborted in {elapsed:.2f}s, "
        f"peak RSS growth {growth[0] / 1024:.1f} MiB"
    )
    assert elapsed < 3.0
    assert growth[0] < 50 * 1024  # KiB


async def test_deflate_bomb_stops_at_cap(server: FeedServer) -> None:
    bomb = zlib.compress(bytes(64 * MIB), 9)
    server.add("/bomb.xml", bomb, headers={"Content-Encoding": "deflate"})
    err = await fetch_error(allow(server.port, max_bytes=MIB), server.url("/bomb.xml"))
    assert err.kind == "too_large"


@pytest.mark.corpus
async def test_corpus_1gib_gzip_bomb(server: FeedServer) -> None:
    path = CORPUS / "compression" / "gzip_bomb_1gib.xml.gz"
    if not path.exists():
        pytest.skip(f"corpus file missing: {path}")
    server.add("/bomb.xml", path.read_bytes(), headers={"Content-Encoding": "gzip"})
    async with fetcher(allow(server.port)) as f, peak_rss_growth() as growth:
        with pytest.raises(FetchError) as info:
            await f.fetch(server.url("/bomb.xml"))
    assert info.value.kind == "too_large"
    print(f"1 GiB corpus bomb: peak RSS growth {growth[0] / 1024:.1f} MiB")
    assert growth[0] < 50 * 1024


# --------------------------------------------------------------------------- redirects


def _chain(server: FeedServer, hops: int, *, status: int = 302) -> str:
    """/r0 -> /r1 -> ... -> /r{hops} which serves the feed; returns the first URL."""
    for i in range(hops):
        server.redirect(f"/r{i}", f"/r{i + 1}", status=status)
    server.add(f"/r{hops}", RSS)
    return server.url("/r0")


async def test_redirect_chain_at_the_limit_is_followed(server: FeedServer) -> None:
    start = _chain(server, 5)
    async with fetcher(allow(server.port, max_redirects=5)) as f:
        result = await f.fetch(start)
    assert result.body == RSS
    assert result.url == server.url("/r5")
    assert result.permanent_redirect is None  # 302s are temporary


async def test_redirect_chain_over_the_limit_is_refused(server: FeedServer) -> None:
    start = _chain(server, 30)
    err = await fetch_error(allow(server.port, max_redirects=5), start)
    assert err.kind == "redirects"
    assert server.total_hits == 6  # the source and 5 followed hops, no more


async def test_redirect_loop_is_refused(server: FeedServer) -> None:
    server.redirect("/loop", "/loop")
    server.redirect("/a", "/b")
    server.redirect("/b", "/a")
    settings = allow(server.port)
    assert (await fetch_error(settings, server.url("/loop"))).kind == "redirects"
    assert (await fetch_error(settings, server.url("/a"))).kind == "redirects"
    assert server.hits["/loop"] == 1


@pytest.mark.parametrize("status", [301, 308])
async def test_permanent_redirect_is_reported(server: FeedServer, status: int) -> None:
    server.redirect("/old.xml", "/new.xml", status=status)
    server.add("/new.xml", RSS)
    async with fetcher(allow(server.port)) as f:
        result = await f.fetch(server.url("/old.xml"))
    assert result.permanent_redirect == server.url("/new.xml")
    assert result.body == RSS


async def test_permanent_redirect_stops_at_first_temporary_hop(server: FeedServer) -> None:
    server.redirect("/a", "/b", status=301)
    server.redirect("/b", "/c", status=301)
    server.redirect("/c", "/d", status=302)
    server.add("/d", RSS)
    server.redirect("/t", "/a", status=302)
    async with fetcher(allow(server.port)) as f:
        assert (await f.fetch(server.url("/a"))).permanent_redirect == server.url("/c")
        assert (await f.fetch(server.url("/t"))).permanent_redirect is None


async def test_redirect_without_location_is_an_http_error(server: FeedServer) -> None:
    server.add("/r", status=302, content_type="text/plain")
    err = await fetch_error(allow(server.port), server.url("/r"))
    assert err.kind == "http" and err.status == 302


# --------------------------------------------------------------------------- status codes


async def test_429_with_retry_after_seconds(server: FeedServer) -> None:
    server.add("/f", status=429, headers={"Retry-After": "3600"})
    err = await fetch_error(allow(server.port), server.url("/f"))
    assert (err.kind, err.status, err.retry_after_s, err.permanent) == (
        "rate_limited",
        429,
        3600.0,
        False,
    )


async def test_429_with_retry_after_http_date(server: FeedServer) -> None:
    server.add(
        "/f",
        status=429,
        headers={"Retry-After": format_datetime(NOW + timedelta(minutes=90), usegmt=True)},
    )
    err = await fetch_error(allow(server.port), server.url("/f"))
    assert err.kind == "rate_limited" and err.retry_after_s == 5400.0


async def test_429_absurd_date_is_capped_at_a_day(server: FeedServer) -> None:
    server.add("/f", status=429, headers={"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"})
    err = await fetch_error(allow(server.port), server.url("/f"))
    assert err.retry_after_s == 24 * 3600


async def test_503_with_retry_after(server: FeedServer) -> None:
    server.add("/f", status=503, headers={"Retry-After": "120"})
    err = await fetch_error(allow(server.port), server.url("/f"))
    assert (err.kind, err.status, err.retry_after_s) == ("http", 503, 120.0)


async def test_410_is_permanent(server: FeedServer) -> None:
    server.add("/f", status=410)
    err = await fetch_error(allow(server.port), server.url("/f"))
    assert (err.kind, err.status, err.permanent) == ("gone", 410, True)


@pytest.mark.parametrize("status", [500, 404, 403])
async def test_other_errors_are_http(server: FeedServer, status: int) -> None:
    server.add(
        "/f", b"INTERNAL-SECRET-CANARY stack trace", status=status, content_type="text/plain"
    )
    err = await fetch_error(allow(server.port), server.url("/f"))
    assert (err.kind, err.status, err.permanent, err.retry_after_s) == ("http", status, False, None)
    assert "CANARY" not in str(err)  # bodies never reach messages


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("-5", 0.0),  # floored
        ("999999999", 86400.0),  # capped
        ("Mon, 06 Jan 2025 11:00:00 GMT", 0.0),  # in the past
        ("Mon, 06 Jan 2025 12:00:30 GMT", 30.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


# --------------------------------------------------------------------------- timeouts


async def test_slow_drip_body_ends_at_total_deadline(server: FeedServer) -> None:
    async def drip(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await resp.prepare(request)
        with contextlib.suppress(ConnectionError):
            while True:  # 1 byte per 0.5 s: every read succeeds, the body never ends
                await resp.write(b"<")
                await asyncio.sleep(0.5)
        return resp

    server.route("/drip", drip)
    settings = allow(server.port, read_timeout=1.0, total_timeout=2.0)
    started = time.monotonic()
    err = await fetch_error(settings, server.url("/drip"))
    elapsed = time.monotonic() - started
    print(f"slow drip ended after {elapsed:.2f}s (total_timeout=2.0)")
    assert err.kind == "timeout"
    assert 1.9 <= elapsed < 3.0


async def test_slowloris_headers_end_at_total_deadline() -> None:
    async def slow_headers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request_head(reader)
        for byte in b"HTTP/1.1 200 OK\r\nX-Padding: " + b"a" * 10_000:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.2)

    async with RawServer(slow_headers) as raw:
        started = time.monotonic()
        err = await fetch_error(allow(raw.port, read_timeout=1.0, total_timeout=1.5), raw.url())
    assert err.kind == "timeout"
    assert time.monotonic() - started < 2.5


async def test_silent_server_hits_the_per_read_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request_head(reader)
        await asyncio.sleep(30)

    async with RawServer(silent) as raw:
        started = time.monotonic()
        err = await fetch_error(allow(raw.port, read_timeout=0.5, total_timeout=10.0), raw.url())
    assert err.kind == "timeout"
    assert time.monotonic() - started < 1.5  # the per-read timeout, not the total one


# --------------------------------------------------------------------------- network errors


async def test_connection_refused() -> None:
    with socket.socket() as sock:  # reserve a port, then free it: nobody listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    err = await fetch_error(allow(port), f"http://127.0.0.1:{port}/feed")
    assert err.kind == "connect"


async def test_dns_failure_for_invalid_name_never_asks_a_resolver() -> None:
    resolver = FakeResolver({})
    async with fetcher(FetchSettings(), resolver=resolver) as f:
        with pytest.raises(FetchError) as info:
            await f.fetch("http://no-such-feed.invalid/rss")
    assert info.value.kind == "dns"
    assert resolver.asked == []  # special-use name stopped before any lookup


async def test_dns_failure_from_the_resolver() -> None:
    resolver = FakeResolver({})
    async with fetcher(FetchSettings(), resolver=resolver) as f:
        with pytest.raises(FetchError) as info:
            await f.fetch("http://feeds.unknown-host-for-tests.net/rss")
    assert info.value.kind == "dns"
    assert resolver.asked == ["feeds.unknown-host-for-tests.net"]


async def test_invalid_url_is_a_fetch_error() -> None:
    for url in ("http://", "not a url", "http://exa mple.com/"):
        err = await fetch_error(FetchSettings(), url)
        assert err.kind in {"url", "blocked"}, url


# --------------------------------------------------------------------------- SSRF


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://ftp.example.net/feed.xml",
        "javascript:alert(1)",
        "data:text/xml,<rss/>",
        "gopher://127.0.0.1:70/",
        "//example.net/feed",
    ],
)
async def test_non_http_schemes_are_refused(url: str) -> None:
    async with fetcher(FetchSettings()) as f:
        with pytest.raises(BlockedAddressError) as info:
            await f.fetch(url)
    assert info.value.permanent and info.value.kind == "blocked"


@pytest.mark.parametrize(
    "target", ["file:///etc/passwd", "ftp://example.net/x", "javascript:alert(1)"]
)
async def test_redirect_to_non_http_scheme_is_refused(server: FeedServer, target: str) -> None:
    server.redirect("/r", target)
    async with fetcher(allow(server.port)) as f:
        with pytest.raises(BlockedAddressError):
            await f.fetch(server.url("/r"))
    assert server.total_hits == 1


LOOPBACK_SPELLINGS = [
    "http://127.0.0.1:{port}/",
    "http://127.0.0.2:{port}/",
    "http://localhost:{port}/",
    "http://[::ffff:127.0.0.1]:{port}/",
    "http://[::1]:{port}/",
    "http://2130706433:{port}/",
    "http://0x7f000001:{port}/",
    "http://127.1:{port}/",
    "http://0177.0.0.1:{port}/",
    "http://127.0.0.1.:{port}/",
    "http://0.0.0.0:{port}/",
]


@pytest.mark.parametrize("template", LOOPBACK_SPELLINGS)
async def test_loopback_spellings_are_refused_without_contact(
    server: FeedServer, template: str
) -> None:
    server.add("/", RSS)
    async with fetcher(FetchSettings()) as f:
        with pytest.raises(BlockedAddressError):
            await f.fetch(template.format(port=server.port))
    assert server.connections == 0 and server.total_hits == 0


# Spellings aiohttp 3.14.5 itself rejects (InvalidUrlClientError) before any
# connector hook runs; every other spelling reaches the socket factory.
AIOHTTP_REJECTS = {
    "http://2130706433:{port}/",
    "http://127.1:{port}/",
    "http://0177.0.0.1:{port}/",
    "http://127.0.0.1.:{port}/",
}


async def _raw_get(settings: FetchSettings, url: str) -> BaseException | None:
    """GET through a session from create_session, bypassing Fetcher's URL checks."""
    session = create_session(settings)
    try:
        async with session.get(url, allow_redirects=False) as resp:
            await resp.read()
    except (aiohttp.ClientError, OSError) as exc:
        return exc
    finally:
        await session.close()
    return None


@pytest.mark.parametrize("template", LOOPBACK_SPELLINGS)
async def test_connector_alone_refuses_loopback_spellings(
    server: FeedServer, template: str
) -> None:
    """The session's socket factory holds by itself, whatever the spelling.

    Asserts the *reason* is the address policy, so a spelling that merely fails
    to connect (e.g. ::1 while the server listens on IPv4 only) cannot pass.
    """
    server.add("/", RSS)
    exc = await _raw_get(FetchSettings(), template.format(port=server.port))
    assert exc is not None
    if template in AIOHTTP_REJECTS:
        assert isinstance(exc, aiohttp.InvalidURL)
    else:
        assert is_blocked_connection(exc), repr(exc)
    assert server.connections == 0 and server.total_hits == 0


@pytest.mark.parametrize(
    "template",
    [
        "http://127.0.0.1:{port}/",
        "http://localhost:{port}/",
        "http://[::ffff:127.0.0.1]:{port}/",
        "http://0x7f000001:{port}/",
    ],
)
async def test_control_same_spellings_connect_when_private_networks_allowed(
    server: FeedServer, template: str
) -> None:
    """Control for the test above: these spellings really do reach the server."""
    server.add("/", RSS)
    assert (
        await _raw_get(
            FetchSettings(allow_private_networks=True), template.format(port=server.port)
        )
        is None
    )
    assert server.total_hits == 1


async def test_redirect_to_another_loopback_port_is_refused(
    server: FeedServer, other_server: FeedServer
) -> None:
    other_server.add("/secret", b"INTERNAL")
    server.redirect("/literal", other_server.url("/secret"))
    server.redirect("/named", other_server.url("/secret", host="localhost"))
    server.redirect("/meta", "http://169.254.169.254/latest/meta-data/")
    async with fetcher(allow(server.port)) as f:
        for path in ("/literal", "/named", "/meta"):
            with pytest.raises(BlockedAddressError):
                await f.fetch(server.url(path))
    assert other_server.connections == 0 and other_server.total_hits == 0


async def test_dns_rebinding_is_refused_at_connect(server: FeedServer) -> None:
    server.add("/feed.xml", RSS)
    resolver = FakeResolver({"news.totally-public-feeds.net": "127.0.0.1"})
    async with fetcher(FetchSettings(), resolver=resolver) as f:
        with pytest.raises(BlockedAddressError):
            await f.fetch(f"http://news.totally-public-feeds.net:{server.port}/feed.xml")
    assert resolver.asked == ["news.totally-public-feeds.net"]
    assert server.connections == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
        "http://168.63.129.16/machine",
    ],
)
async def test_metadata_endpoints_are_refused_even_on_a_lan(url: str) -> None:
    async with fetcher(FetchSettings(allow_private_networks=True)) as f:
        with pytest.raises(BlockedAddressError):
            await f.fetch(url)


async def test_scoped_ipv6_literal_is_refused() -> None:
    err = await fetch_error(FetchSettings(allow_private_networks=True), "http://[fe80::1%25lo]/")
    assert err.kind == "blocked"


async def test_total_deadline_spans_the_whole_redirect_chain(server: FeedServer) -> None:
    async def slow_hop(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(0.4)  # each hop is well inside the per-read timeout
        n = int(request.path.rsplit("/", 1)[1])
        raise web.HTTPFound(f"/hop/{n + 1}")

    for i in range(5):
        server.route(f"/hop/{i}", slow_hop)
    settings = allow(server.port, read_timeout=1.0, total_timeout=1.0)
    started = time.monotonic()
    err = await fetch_error(settings, server.url("/hop/0"))
    assert err.kind == "timeout"
    assert time.monotonic() - started < 1.6


async def test_allow_private_networks_reaches_loopback(server: FeedServer) -> None:
    server.add("/feed.xml", RSS)
    async with fetcher(FetchSettings(allow_private_networks=True)) as f:
        result = await f.fetch(server.url("/feed.xml", host="localhost"))
    assert result.body == RSS


# --------------------------------------------------------------------------- messages, politeness


def test_redact_url_drops_secrets() -> None:
    assert (
        redact_url("https://bob:hunter2@example.com/feed?token=abc#x")
        == "https://example.com/feed?…"
    )
    assert redact_url("not a url") == "<invalid URL>"


async def test_error_messages_hide_credentials_and_tokens(server: FeedServer) -> None:
    server.add("/f", status=500)
    url = f"http://bob:hunter2@127.0.0.1:{server.port}/f?api_key=SECRETKEY"
    err = await fetch_error(allow(server.port), url)
    assert "hunter2" not in str(err) and "SECRETKEY" not in str(err) and "bob" not in str(err)
    blocked = await fetch_error(FetchSettings(), "http://bob:hunter2@10.0.0.1/?api_key=SECRETKEY")
    assert "hunter2" not in str(blocked) and "SECRETKEY" not in str(blocked)


async def test_per_host_concurrency_is_limited(server: FeedServer) -> None:
    in_flight = 0
    peak = 0

    async def slow(request: web.Request) -> web.StreamResponse:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.1)
        in_flight -= 1
        return web.Response(body=RSS, content_type="application/rss+xml")

    server.route("/slow", slow)
    async with fetcher(allow(server.port, per_host_limit=2)) as f:
        results = await asyncio.gather(*(f.fetch(server.url("/slow")) for _ in range(6)))
    assert all(r.body == RSS for r in results)
    assert peak == 2


def test_settings_defaults() -> None:
    s = FetchSettings()
    assert (s.connect_timeout, s.read_timeout, s.total_timeout) == (5, 10, 20)
    assert (s.max_bytes, s.max_redirects, s.per_host_limit, s.total_limit) == (10 * MIB, 5, 2, 32)
    assert not s.allow_private_networks and s.allowed_endpoints == frozenset()
    with pytest.raises(ValueError):
        FetchSettings(total_timeout=0)
