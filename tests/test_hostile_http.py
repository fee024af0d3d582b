"""Every shared feed file, and every hostile HTTP behaviour, through the REAL fetch + parse path.

The files in ``../shared/feeds`` are served from a loopback :class:`FeedServer` and fetched
with :class:`bot.fetch.Fetcher` under the production address policy
(``allow_private_networks=False``) plus an allowlist holding exactly that server's
(127.0.0.1, port).  A second "internal" server (and, when the port is free, a listener on
127.0.0.1:8765, the XXE out-of-band target of the hostile corpus) is NOT on the allowlist:
no test may ever make it see a single TCP connection.

* ``test_every_corpus_file_over_http``: ~4,700 files, fetched concurrently, parsed inline
  (``parse_feed``).  Per file: fetch and parse time bounded; only FetchError/ParseError.
  Whole run: parent RSS growth bounded (so every single file's is too).
* ``test_hostile_files_over_http_through_the_pool``: the hostile/ files, parsed through
  :class:`ParserPool` (time + memory limited workers); each ends in the safe outcome its
  README row names (table ``HOSTILE_OUTCOMES`` below).  Worker peak RSS (VmHWM) is bounded.
* ``test_http_scenarios``: hostile/http/scenarios.json (and a few more) implemented as server
  behaviours, each asserted against the outcome its ``expect`` names, including the health
  decision (Retry-After honoured, 429 not counted, 410 paused).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import time
import unicodedata
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from aiohttp import web

from bot.errors import AllianceError, BlockedAddressError, FetchError, ParseError
from bot.fetch import MIB, Fetcher, FetchSettings, create_session
from bot.health import HealthPolicy, after_failure
from bot.netguard import is_public_ip, parse_ip
from bot.normalize import to_stories
from bot.parse import FEED_TITLE_MAX, SUMMARY_MAX, TITLE_MAX, ParserPool, parse_feed
from bot.store.store import SourceState
from bot.types import ParsedFeed
from tests.feedserver import FeedServer, RawServer, read_request_head
from tests.memory import peak_rss_growth

FEEDS = Path(__file__).resolve().parents[2] / "shared" / "feeds"
HOSTILE = FEEDS / "hostile"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

FETCH_BOUND_S = 15.0  # per file, includes event-loop contention from 16 parallel fetches
PARSE_BOUND_S = 5.0  # per file, inline
POOL_TIMEOUT_S = 10.0  # the pool's own per-parse limit
BULK_RSS_BOUND_MIB = 256  # parent process, whole bulk run (so per file too)
WORKER_HWM_BOUND_MIB = 400  # peak RSS of any parser worker over all hostile files
BOMB_RSS_BOUND_MIB = 64  # parent, during one bomb / huge-body fetch

CANARIES = ("XXE-CANARY-5b1f0c", "INTERNAL-SECRET-CANARY", "root:x:0:0")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(
        not FEEDS.is_dir(),
        reason=f"shared feed corpus not found at {FEEDS} (CI lays ../shared beside the clone)",
    ),
]


# --------------------------------------------------------------------------- measurement




def child_pids(root: int | None = None) -> set[int]:
    """Every descendant (forkserver workers are grandchildren), from /proc: no psutil."""
    pids: set[int] = set()
    todo = [root or os.getpid()]
    while todo:
        pid = todo.pop()
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{pid}/task").iterdir():
                with contextlib.suppress(OSError):
                    for child in (task / "children").read_text().split():
                        if int(child) not in pids:
                            pids.add(int(child))
                            todo.append(int(child))
    return pids


def vm_hwm_kib(pid: int) -> int:
    """Peak resident set of a process (kernel high-water mark), 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0




# --------------------------------------------------------------------------- servers


class Sentinel:
    """Loopback endpoints that are NOT allowed: they must never see a connection."""

    def __init__(self) -> None:
        self.server = FeedServer()
        self.oob_connections = 0
        self._oob: asyncio.AbstractServer | None = None
        self.oob_bound = False

    async def __aenter__(self) -> Sentinel:
        await self.server.start()
        self.server.add("/latest/meta-data/", b"INTERNAL-SECRET-CANARY", content_type="text/plain")

        async def count(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.oob_connections += 1
            writer.close()

        try:  # the hostile corpus's XXE/DTD files point at 127.0.0.1:8765
            self._oob = await asyncio.start_server(count, "127.0.0.1", 8765)
            self.oob_bound = True
        except OSError:
            self._oob = None
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.server.close()
        if self._oob is not None:
            self._oob.close()
            await self._oob.wait_closed()

    def assert_untouched(self) -> None:
        assert self.server.connections == 0, f"internal server was contacted: {self.server.hits}"
        assert self.oob_connections == 0, "the XXE out-of-band listener on :8765 was contacted"


@pytest.fixture
async def sentinel() -> AsyncIterator[Sentinel]:
    async with Sentinel() as s:
        yield s
        s.assert_untouched()


def allow(port: int, **overrides: Any) -> FetchSettings:
    """The production policy, except this one exact loopback endpoint."""
    return FetchSettings(allowed_endpoints=frozenset({("127.0.0.1", port)}), **overrides)


@contextlib.asynccontextmanager
async def fetcher(settings: FetchSettings) -> AsyncIterator[Fetcher]:
    session = create_session(settings)
    try:
        yield Fetcher(session, settings, clock=lambda: NOW)
    finally:
        await session.close()


_WRONG_TYPES = ("text/html", "text/plain", "application/octet-stream", "application/xml")


def serving_headers(rel: str) -> dict[str, str]:
    """Content-Type (sometimes deliberately wrong, as real servers do) and Content-Encoding."""
    headers: dict[str, str] = {}
    if rel.endswith(".gz"):
        headers["Content-Encoding"] = "gzip"
    elif rel.endswith((".z", ".zz")):
        headers["Content-Encoding"] = "deflate"
    if rel.endswith(".json"):
        ctype = "application/feed+json"
    elif rel.endswith((".html", ".htm")):
        ctype = "text/html"
    else:
        ctype = "application/rss+xml"
    # One file in five gets a wrong type: parsing must not depend on the header.
    if zlib.crc32(rel.encode()) % 5 == 0:
        ctype = _WRONG_TYPES[zlib.crc32(rel.encode()) % len(_WRONG_TYPES)]
    headers["Content-Type"] = ctype
    return headers


def serve_files(srv: FeedServer, files: list[Path]) -> dict[Path, str]:
    """One route per file, read from disk on request; returns file -> URL."""
    urls: dict[Path, str] = {}
    for path in files:
        rel = path.relative_to(FEEDS).as_posix()

        def handler(_req: web.Request, path: Path = path, rel: str = rel) -> Awaitable[web.Response]:
            async def respond() -> web.Response:
                return web.Response(body=path.read_bytes(), headers=serving_headers(rel))

            return respond()

        srv.route("/f/" + rel, handler)
        urls[path] = srv.url("/f/" + quote(rel))
    return urls


def corpus_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


# --------------------------------------------------------------------------- one file


@dataclass
class Outcome:
    rel: str
    fetch_s: float = 0.0
    parse_s: float = 0.0
    feed: ParsedFeed | None = None
    error: AllianceError | None = None
    crash: str | None = None

    @property
    def kind(self) -> str:
        return "ok" if self.feed is not None else getattr(self.error, "kind", "crash")


async def fetch_and_parse(
    f: Fetcher, url: str, rel: str, parse: Callable[[bytes, str, str | None], Awaitable[ParsedFeed]]
) -> Outcome:
    out = Outcome(rel)
    t0 = time.perf_counter()
    try:
        result = await f.fetch(url)
    except FetchError as exc:
        out.fetch_s, out.error = time.perf_counter() - t0, exc
        return out
    except BaseException as exc:  # noqa: BLE001 - this is what the test hunts for
        out.fetch_s, out.crash = time.perf_counter() - t0, repr(exc)[:300]
        return out
    out.fetch_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    try:
        out.feed = await parse(result.body or b"", result.url, result.content_type)
    except ParseError as exc:
        out.error = exc
    except BaseException as exc:  # noqa: BLE001
        out.crash = repr(exc)[:300]
    out.parse_s = time.perf_counter() - t1
    return out


def check_bounded(feed: ParsedFeed, rel: str) -> None:
    assert len(feed.title) <= FEED_TITLE_MAX, rel
    assert len(feed.entries) <= 200, rel
    for e in feed.entries:
        assert len(e.title) <= TITLE_MAX and len(e.summary) <= SUMMARY_MAX, rel
        assert e.published is None or e.published <= NOW, rel
        for text in (e.title, e.summary):
            assert not _CONTROL.search(text), (rel, text[:80])
            assert all(unicodedata.category(c) != "Cf" for c in text), (rel, text[:80])
            for canary in CANARIES:
                assert canary not in text, (rel, canary)
        if e.link is not None:
            check_public_link(e.link, rel)


def check_public_link(link: str, rel: str) -> None:
    """Only http(s) links with a public host and no userinfo are ever kept."""
    parts = urlsplit(link)
    assert parts.scheme in ("http", "https"), (rel, link)
    assert "@" not in parts.netloc, (rel, link)
    host = parts.hostname or ""
    assert host, (rel, link)
    ip = parse_ip(host)
    assert ip is None or is_public_ip(ip), (rel, link)
    assert host != "localhost" and not host.endswith(".localhost"), (rel, link)


def report(outcomes: list[Outcome], label: str) -> None:
    kinds: dict[str, int] = {}
    for o in outcomes:
        kinds[o.kind] = kinds.get(o.kind, 0) + 1
    slow = sorted(outcomes, key=lambda o: o.fetch_s + o.parse_s, reverse=True)[:3]
    print(
        f"\n{label}: {len(outcomes)} files; outcomes {dict(sorted(kinds.items()))}; slowest "
        + ", ".join(f"{o.rel} fetch {o.fetch_s:.2f}s parse {o.parse_s:.2f}s" for o in slow)
    )


# --------------------------------------------------------------------------- 1. bulk


async def test_every_corpus_file_over_http(sentinel: Sentinel) -> None:
    files = [p for p in corpus_files(FEEDS) if HOSTILE not in p.parents]
    assert len(files) > 4000
    async with FeedServer() as srv:
        urls = serve_files(srv, files)
        settings = allow(srv.port, per_host_limit=16, total_limit=32)
        sem = asyncio.Semaphore(16)

        async def inline(body: bytes, url: str, ctype: str | None) -> ParsedFeed:
            return parse_feed(body, url=url, content_type=ctype, now=NOW)

        async def one(f: Fetcher, path: Path) -> Outcome:
            async with sem:
                return await fetch_and_parse(
                    f, urls[path], path.relative_to(FEEDS).as_posix(), inline
                )

        started = time.perf_counter()
        async with fetcher(settings) as f, peak_rss_growth() as growth:
            outcomes = await asyncio.wait_for(
                asyncio.gather(*(one(f, p) for p in files)), timeout=120
            )
        elapsed = time.perf_counter() - started
        requested = srv.total_hits

    report(outcomes, "corpus over HTTP")
    print(f"  total {elapsed:.1f}s, parent peak RSS growth {growth[0] / 1024:.1f} MiB")
    assert [o for o in outcomes if o.crash] == []
    assert requested >= len(files)
    for o in outcomes:
        assert o.fetch_s < FETCH_BOUND_S, (o.rel, o.fetch_s)
        assert o.parse_s < PARSE_BOUND_S, (o.rel, o.parse_s)
        if o.feed is not None:
            check_bounded(o.feed, o.rel)
    # Almost all of the corpus is readable feeds; a fetch path that broke them would show here.
    assert sum(o.feed is not None for o in outcomes) > 0.8 * len(files)
    assert growth[0] < BULK_RSS_BOUND_MIB * 1024


# --------------------------------------------------------------------------- 2. hostile files

# Expected safe outcome per hostile file (README rows). "ok" = parsed with bounded entries,
# "parse_error" = ParseError (the failure counts against the feed), "fetch_error" = FetchError,
# "any" = either, as long as nothing crashes or hangs. Extra checks run on top.
Check = Callable[[Outcome], None]


def _titles(o: Outcome) -> list[str]:
    assert o.feed is not None, (o.rel, o.kind, o.error)
    return [e.title for e in o.feed.entries]


def no_expansion(o: Outcome) -> None:
    for t in _titles(o):
        assert "lol" * 10 not in t and len(t) <= TITLE_MAX, o.rel


def no_js_link(o: Outcome) -> None:
    assert o.feed is not None
    assert all(e.link is None or not e.link.lower().startswith("javascript:") for e in o.feed.entries)


def bom_wins(o: Outcome) -> None:
    assert any("é" in t and "è" in t for t in _titles(o)), _titles(o)


def entries_capped(o: Outcome) -> None:
    assert o.feed is not None and len(o.feed.entries) == 200


def homoglyphs_normalised(o: Outcome) -> None:
    for t in _titles(o):
        assert "\u200b" not in t and "\u202e" not in t and "\u00ad" not in t, t


def no_duplicate_keys(o: Outcome) -> None:
    assert o.feed is not None
    keys = [s.key for s in to_stories(o.feed, source="s", now=NOW)]
    assert len(keys) == len(set(keys))


def empty_items_skipped(o: Outcome) -> None:
    assert o.feed is not None
    stories = to_stories(o.feed, source="s", now=NOW)
    assert all(s.title or s.url for s in stories)
    assert len(stories) < len(o.feed.entries) or all(e.title or e.link for e in o.feed.entries)


def tracking_stripped(o: Outcome) -> None:
    assert o.feed is not None
    for s in to_stories(o.feed, source="s", now=NOW):
        assert "utm_" not in s.url, s.url


def dates_sane(o: Outcome) -> None:
    assert o.feed is not None
    for e in o.feed.entries:
        assert e.published is None or datetime(1995, 1, 1, tzinfo=UTC) <= e.published <= NOW


def no_markup(o: Outcome) -> None:
    """Tags are stripped; text is unescaped exactly once.  The double-escaped title
    ``&amp;lt;script&amp;gt;`` therefore stays *text* that reads "<script>...", which the
    adapters escape; it must not be unescaped a second time and stripped as a tag."""
    for t in _titles(o):
        if "double escaped" in t:
            assert t == "<script>double escaped</script>", t
            continue
        assert "<script" not in t.lower() and "onerror" not in t.lower(), t
        assert "<" not in t and ">" not in t, t


def partial_items_kept(o: Outcome) -> None:
    assert o.feed is not None and len(o.feed.entries) >= 1


HOSTILE_OUTCOMES: dict[str, tuple[str, Check | None]] = {
    "xml/billion_laughs.xml": ("ok", no_expansion),
    "xml/quadratic_blowup.xml": ("ok", no_expansion),
    "xml/xxe_file_etc_passwd.xml": ("ok", None),  # canaries checked for every file
    "xml/xxe_file_canary.xml": ("ok", None),
    "xml/xxe_file_canary.txt": ("parse_error", None),
    "xml/xxe_http_oob.xml": ("ok", None),  # sentinel :8765 checks "zero requests"
    "xml/xxe_parameter_entity.xml": ("ok", None),
    "xml/external_dtd.xml": ("ok", None),
    "xml/xinclude.xml": ("ok", None),
    "xml/entity_in_attribute_and_link.xml": ("ok", no_js_link),
    "xml/deep_nesting_50k.xml": ("any", None),
    "xml/many_attributes.xml": ("any", None),  # bounded by the pool timeout
    "xml/long_title_100k.xml": ("ok", None),  # length checked for every file
    "xml/many_entries_5k.xml": ("ok", entries_capped),
    "encoding/invalid_utf8_bytes.xml": ("any", None),
    "encoding/declared_utf16_actually_utf8.xml": ("ok", None),
    "encoding/undeclared_cp1252.xml": ("any", None),
    "encoding/bom_utf8_decl_latin1.xml": ("ok", bom_wins),
    "encoding/bogus_charset.xml": ("any", None),
    "encoding/control_chars_and_nul.xml": ("any", None),  # controls checked for every file
    "encoding/utf16le_no_bom_no_decl.xml": ("parse_error", None),
    "encoding/double_encoded_mojibake.xml": ("ok", None),
    "encoding/bidi_zero_width_homoglyph.xml": ("ok", homoglyphs_normalised),
    "dates/future_dates.xml": ("ok", dates_sane),
    "dates/unparsable_dates.xml": ("ok", dates_sane),
    "dates/atom_dates_mixed.xml": ("ok", dates_sane),
    "injection/html_script_in_title.xml": ("ok", no_markup),
    "injection/atom_html_title.xml": ("ok", no_markup),
    "injection/dangerous_links.xml": ("ok", None),  # public http(s) links checked for every file
    "injection/chat_mention_injection.xml": ("ok", None),  # escaping is the adapters' job
    "injection/chat_mention_injection.json": ("ok", None),
    "injection/oversized_fields.xml": ("ok", None),
    "json/wrong_types.json": ("ok", None),  # bad items skipped, not the whole feed
    "json/items_not_list.json": ("parse_error", None),
    "json/deep_nesting.json": ("parse_error", None),
    "json/huge_number_and_dupe_keys.json": ("parse_error", None),
    "json/not_json_feed_version.json": ("any", None),
    "notfeed/empty.xml": ("parse_error", None),
    "notfeed/whitespace_only.xml": ("parse_error", None),
    "notfeed/html_challenge_page.html": ("parse_error", None),  # never "nothing new"
    "notfeed/html_with_alternate_link.html": ("parse_error", None),
    "notfeed/truncated_mid_item.xml": ("ok", partial_items_kept),
    "notfeed/binary_garbage.xml": ("parse_error", None),
    "notfeed/xml_but_not_feed.xml": ("parse_error", None),
    "notfeed/two_roots_trailing_junk.xml": ("any", None),
    "identity/duplicate_guids.xml": ("ok", no_duplicate_keys),
    "identity/no_guid_no_link.xml": ("ok", empty_items_skipped),
    "identity/guid_churn_v1.xml": ("ok", tracking_stripped),
    "identity/guid_churn_v2.xml": ("ok", tracking_stripped),
    # Served with Content-Encoding: the fetch must stop at the decompressed cap.
    "compression/gzip_bomb_1gib.xml.gz": ("fetch_error:too_large", None),
    "compression/deflate_bomb_256mib.xml.zz": ("fetch_error:too_large", None),
    "compression/gzip_inside_gzip.xml.gz": ("parse_error", None),  # a parse error, not a crash
    # aiohttp hands over what it inflated before the stream ended (see test_fetch's
    # test_truncated_gzip_yields_a_partial_body_not_a_crash): a partial feed or a clean error.
    "compression/gzip_truncated.xml.gz": ("any", None),
    "compression/gzip_many_members.xml.gz": ("any", None),
}


def check_hostile(o: Outcome) -> None:
    expected, extra = HOSTILE_OUTCOMES[o.rel.removeprefix("hostile/")]
    assert o.crash is None, (o.rel, o.crash)
    if expected == "ok":
        assert o.feed is not None, (o.rel, o.error)
    elif expected == "parse_error":
        assert isinstance(o.error, ParseError), (o.rel, o.kind, o.error)
    elif expected.startswith("fetch_error"):
        assert isinstance(o.error, FetchError), (o.rel, o.kind, o.error)
        want = expected.partition(":")[2]
        assert not want or o.error.kind == want, (o.rel, o.error.kind)
    elif expected == "any_error":
        assert o.error is not None and o.feed is None, o.rel
    if o.feed is not None:
        check_bounded(o.feed, o.rel)
    if extra is not None:
        extra(o)


async def test_hostile_files_over_http_through_the_pool(sentinel: Sentinel) -> None:
    files = [
        p for p in corpus_files(HOSTILE) if p.suffix not in (".md", ".py") and p.parent.name != "http"
    ]
    rels = {p.relative_to(HOSTILE).as_posix() for p in files}
    assert rels == set(HOSTILE_OUTCOMES), f"README table and files differ: {rels ^ set(HOSTILE_OUTCOMES)}"
    before_children = child_pids()
    async with FeedServer() as srv:
        urls = serve_files(srv, files)
        sem = asyncio.Semaphore(4)
        pool = ParserPool(workers=2, timeout_s=POOL_TIMEOUT_S, memory_limit_bytes=1024 * MIB)
        worker_peak_kib = 0

        async def pooled(body: bytes, url: str, ctype: str | None) -> ParsedFeed:
            nonlocal worker_peak_kib
            try:
                return await pool.parse(body, url=url, content_type=ctype, now=NOW)
            finally:
                for pid in child_pids() - before_children:
                    worker_peak_kib = max(worker_peak_kib, vm_hwm_kib(pid))

        async def one(f: Fetcher, path: Path) -> Outcome:
            async with sem:
                return await fetch_and_parse(
                    f, urls[path], path.relative_to(FEEDS).as_posix(), pooled
                )

        try:
            async with fetcher(allow(srv.port, per_host_limit=4)) as f, peak_rss_growth() as growth:
                outcomes = await asyncio.wait_for(
                    asyncio.gather(*(one(f, p) for p in files)), timeout=60
                )
        finally:
            pool.close()

    report(outcomes, "hostile over HTTP + pool")
    print(
        f"  parent peak RSS growth {growth[0] / 1024:.1f} MiB, "
        f"worker peak RSS (VmHWM) {worker_peak_kib / 1024:.1f} MiB"
    )
    for o in outcomes:
        check_hostile(o)
        assert o.fetch_s < FETCH_BOUND_S, (o.rel, o.fetch_s)
        assert o.parse_s < POOL_TIMEOUT_S + 1, (o.rel, o.parse_s)
        # No worker died or timed out: every hostile file fits the pool's limits.
        assert getattr(o.error, "kind", None) != "timeout", o.rel
        assert "died" not in str(o.error or ""), (o.rel, o.error)
    assert growth[0] < BULK_RSS_BOUND_MIB * 1024
    assert 0 < worker_peak_kib < WORKER_HWM_BOUND_MIB * 1024


async def test_replacement_characters_never_reach_a_post(sentinel: Sentinel) -> None:
    """README encoding/invalid_utf8_bytes.xml (and http charset_header_conflict):
    "Replacement characters go to the log, not into a post"."""
    path = HOSTILE / "encoding" / "invalid_utf8_bytes.xml"
    async with FeedServer() as srv:
        for ctype in ("application/rss+xml", "application/rss+xml; charset=iso-8859-1"):
            srv.add("/f", path.read_bytes(), content_type=ctype)
            async with fetcher(allow(srv.port)) as f:
                result = await f.fetch(srv.url("/f"))
            feed = parse_feed(result.body or b"", url=result.url, content_type=ctype, now=NOW)
            for story in to_stories(feed, source="s", now=NOW):
                assert "\ufffd" not in story.title, (ctype, story.title)
                assert "\ufffd" not in story.summary, (ctype, story.summary)


# --------------------------------------------------------------------------- 3. HTTP scenarios


SCENARIOS = json.loads((HOSTILE / "http" / "scenarios.json").read_text()) if HOSTILE.is_dir() else {}
HEALTH = HealthPolicy(pause_after_failures=10)


def state(**kw: Any) -> SourceState:
    base = dict(
        id=1, name="s", url="http://x/", interval_s=900.0, enabled=True, origin="config",
        etag=None, last_modified=None, failures=0, last_status=None, last_error=None,
        last_error_kind=None, last_polled_at=None, last_success_at=NOW, next_poll_at=None,
        paused=False, paused_reason=None, redirect_candidate=None,
    )  # fmt: skip
    base.update(kw)
    return SourceState(**base)  # type: ignore[arg-type]


def decide(err: FetchError, **kw: Any) -> Any:
    return after_failure(
        state(**kw), err, interval_s=900.0, now=NOW, policy=HEALTH, rng=random.Random(1)
    )


async def _raw_slow_headers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request_head(reader)
    for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nX-Pad: " + b"a" * 1000:
        writer.write(bytes([byte]))
        await writer.drain()
        await asyncio.sleep(0.2)  # every read succeeds: only the total deadline can end it


async def _raw_silence(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request_head(reader)
    await asyncio.sleep(60)


async def _raw_huge_length(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request_head(reader)
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
        b"Content-Length: 1000000000000\r\n\r\n<rss>"
    )
    await writer.drain()
    await asyncio.sleep(60)


async def _raw_truncated(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request_head(reader)
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 5000\r\n\r\n"
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>cut</title><item><title>x'
    )
    await writer.drain()
    writer.close()  # far fewer bytes than announced, then hang up


async def _raw_reset_in_headers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request_head(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Ty")
    await writer.drain()
    writer.transport.abort()


async def _raw_garbage_status(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request_head(reader)
    writer.write(b"\x00\xffNOT HTTP AT ALL\r\n\r\n")
    await writer.drain()


async def _drip_body(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
    await resp.prepare(request)
    with contextlib.suppress(ConnectionError):
        while True:
            await resp.write(b"<")
            await asyncio.sleep(0.3)
    return resp


async def _huge_chunked(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    chunk = b"<rss>" + b"a" * (MIB - 5)
    with contextlib.suppress(ConnectionError):
        for _ in range(SCENARIOS["huge_body_no_length"]["stream_bytes"] // MIB):
            await resp.write(chunk)
    return resp


def _conditional(etag: str, last_modified: str, body: bytes) -> Callable[..., Any]:
    async def handler(request: web.Request) -> web.StreamResponse:
        headers = {"ETag": etag, "Last-Modified": last_modified}
        if request.headers.get("If-None-Match") == etag or (
            request.headers.get("If-Modified-Since") == last_modified
        ):
            return web.Response(status=304, headers=headers)
        return web.Response(body=body, headers=headers, content_type="application/rss+xml")

    return handler


async def test_http_scenarios(sentinel: Sentinel) -> None:
    assert SCENARIOS, "scenarios.json not found"
    internal = sentinel.server.port
    html = (HOSTILE / "notfeed" / "html_challenge_page.html").read_bytes()
    rss = (FEEDS / "hostile" / "encoding" / "bogus_charset.xml").read_bytes()
    bomb = (HOSTILE / SCENARIOS["gzip_bomb"]["body_file"]).read_bytes()
    meta_refresh = (
        f'<html><head><meta http-equiv="refresh" content="0; url=http://127.0.0.1:{internal}/'
        f'latest/meta-data/"></head><body>moved</body></html>'
    ).encode()

    async with contextlib.AsyncExitStack() as stack:
        srv = await stack.enter_async_context(FeedServer())
        raws = {
            name: await stack.enter_async_context(RawServer(handler))
            for name, handler in {
                "slowloris_headers": _raw_slow_headers,
                "never_respond": _raw_silence,
                "huge_content_length": _raw_huge_length,
                "truncated_body": _raw_truncated,
                "reset_in_headers": _raw_reset_in_headers,
                "not_http": _raw_garbage_status,
            }.items()
        }
        # --- program the feed server from scenarios.json
        srv.redirect("/redirect_loop", "/redirect_loop")
        for i in range(SCENARIOS["redirect_chain_30"]["chain"]):
            srv.redirect(f"/chain{i}", f"/chain{i + 1}")
        srv.add(f"/chain{SCENARIOS['redirect_chain_30']['chain']}", rss)
        loopback_target = SCENARIOS["redirect_to_loopback"]["headers"]["Location"]
        srv.redirect("/redirect_to_loopback", loopback_target.format(internal_port=internal))
        for i, target in enumerate(
            [
                f"http://127.0.0.1:{internal}/latest/meta-data/",  # allowed host, other port
                f"http://localhost:{internal}/",
                f"http://[::ffff:127.0.0.1]:{internal}/",
                f"http://2130706433:{internal}/",
                "http://169.254.169.254/latest/meta-data/",
                "http://[::1]/",
            ]
        ):
            srv.redirect(f"/to_private{i}", target, status=301 if i % 2 else 302)
        srv.redirect("/redirect_to_file_scheme", "file:///etc/passwd")
        srv.add("/gzip_bomb", bomb, headers=SCENARIOS["gzip_bomb"]["headers"])
        srv.route("/huge_body_no_length", _huge_chunked)
        srv.route("/slowloris_body", _drip_body)
        for name in (
            "status_429_retry_after_seconds",
            "status_429_retry_after_date",
            "status_503_retry_after",
            "status_500",
            "status_410_gone",
        ):
            sc = SCENARIOS[name]
            body = b"upstream said: INTERNAL-SECRET-CANARY"
            srv.add("/" + name, body, status=sc["status"], headers=sc.get("headers"))
        srv.add("/status_304_without_validators", status=304)
        h = SCENARIOS["etag_weak_and_last_modified"]["headers"]
        srv.route("/etag", _conditional(h["ETag"], h["Last-Modified"], rss))
        srv.add("/wrong_content_type_html", html, content_type="text/html")
        conflict = SCENARIOS["charset_header_conflict"]
        srv.add(
            "/charset_header_conflict",
            (HOSTILE / conflict["body_file"]).read_bytes(),
            headers=conflict["headers"],
        )
        srv.add("/meta_refresh", meta_refresh, content_type="text/html")
        srv.add("/image", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, content_type="image/png")
        srv.add("/brotli", b"\x0b\x02\x80hello\x03", headers={"Content-Encoding": "br"})
        srv.add("/empty_200", b"")

        ports = [srv.port, *(r.port for r in raws.values())]
        settings = FetchSettings(
            allowed_endpoints=frozenset(("127.0.0.1", p) for p in ports),
            read_timeout=1.0,
            total_timeout=2.0,
            per_host_limit=8,
        )
        f = await stack.enter_async_context(fetcher(settings))
        timings: dict[str, float] = {}

        async def run(name: str, url: str, **kw: str) -> Any:
            t0 = time.perf_counter()
            try:
                result: Any = await f.fetch(url, **kw)
            except FetchError as exc:
                result = exc
            timings[name] = time.perf_counter() - t0
            return result

        # Memory-heavy cases one at a time, each with its own RSS measurement.
        heavy: dict[str, tuple[Any, int]] = {}
        for name in ("gzip_bomb", "huge_body_no_length"):
            async with peak_rss_growth() as growth:
                res = await run(name, srv.url("/" + name))
            heavy[name] = (res, growth[0])

        urls = {
            name: srv.url("/" + name)
            for name in (
                "redirect_loop",
                "redirect_to_loopback",
                "redirect_to_file_scheme",
                "slowloris_body",
                "status_429_retry_after_seconds",
                "status_429_retry_after_date",
                "status_503_retry_after",
                "status_500",
                "status_410_gone",
                "status_304_without_validators",
                "wrong_content_type_html",
                "charset_header_conflict",
                "meta_refresh",
                "image",
                "brotli",
                "empty_200",
            )
        }
        urls["redirect_chain_30"] = srv.url("/chain0")
        urls.update({f"to_private{i}": srv.url(f"/to_private{i}") for i in range(6)})
        urls.update({name: raw.url("/feed") for name, raw in raws.items()})
        urls["etag_first"] = srv.url("/etag")
        names = list(urls)
        started = time.perf_counter()
        results = dict(
            zip(
                names,
                await asyncio.wait_for(asyncio.gather(*(run(n, urls[n]) for n in names)), 30),
                strict=True,
            )
        )
        first = results["etag_first"]
        results["etag_second"] = await run(
            "etag_second", srv.url("/etag"), etag=first.etag, last_modified=first.last_modified
        )
        wall = time.perf_counter() - started
        chain_hits = sum(v for k, v in srv.hits.items() if k.startswith("/chain"))
        loop_hits = srv.hits["/redirect_loop"]
        etag_requests = [hdrs for path, hdrs in srv.requests if path == "/etag"]

    print(f"\nHTTP scenarios: concurrent part {wall:.2f}s")
    for name in sorted(timings):
        res = results.get(name, heavy.get(name, (None,))[0])
        what = f"{type(res).__name__}({getattr(res, 'kind', getattr(res, 'status', ''))})"
        print(f"  {name:34} {timings[name]:5.2f}s {what}")
    for name, (_res, grew) in heavy.items():
        print(f"  {name}: parent peak RSS growth {grew / 1024:.1f} MiB")

    def err(name: str, kind: str | None = None) -> FetchError:
        res = results[name] if name in results else heavy[name][0]
        assert isinstance(res, FetchError), (name, res)
        assert kind is None or res.kind == kind, (name, res.kind, str(res))
        # No error message ever echoes a response body.
        assert "INTERNAL-SECRET-CANARY" not in str(res), name
        return res

    # No hang: every fetch ended within the total deadline (plus scheduling slack).
    assert max(timings.values()) < settings.total_timeout + 1.5, timings

    # redirects: a small budget, loops detected, private targets and file: refused
    err("redirect_loop", "redirects")
    assert loop_hits <= settings.max_redirects + 1
    err("redirect_chain_30", "redirects")
    assert chain_hits == settings.max_redirects + 1  # never 30 hops
    assert isinstance(err("redirect_to_loopback"), BlockedAddressError)
    for i in range(6):
        assert isinstance(err(f"to_private{i}"), BlockedAddressError), i
    assert isinstance(err("redirect_to_file_scheme"), BlockedAddressError)
    # size: the decompressed cap, memory bounded, Content-Length refused up front
    for name in ("gzip_bomb", "huge_body_no_length"):
        err(name, "too_large")
        assert heavy[name][1] < BOMB_RSS_BOUND_MIB * 1024, (name, heavy[name][1])
    err("huge_content_length", "too_large")
    assert timings["huge_content_length"] < 1.0
    # deadlines
    err("slowloris_headers", "timeout")
    assert settings.total_timeout - 0.2 <= timings["slowloris_headers"]  # the total deadline
    err("slowloris_body", "timeout")
    assert settings.total_timeout - 0.2 <= timings["slowloris_body"]
    err("never_respond", "timeout")
    assert timings["never_respond"] < settings.read_timeout + 0.8  # the per-read deadline
    assert err("truncated_body").kind in ("payload", "connect")
    assert err("reset_in_headers").kind in ("connect", "protocol", "payload")
    assert err("not_http").kind in ("protocol", "connect")
    # status codes and what health makes of them
    e = err("status_429_retry_after_seconds", "rate_limited")
    assert e.retry_after_s == 3600
    d = decide(e, failures=3)
    assert "failures" not in d.update.values and not d.paused_now  # never counts
    assert d.update.values["next_poll_at"] >= NOW + timedelta(hours=1)
    e = err("status_429_retry_after_date", "rate_limited")
    assert e.retry_after_s == 86400  # 2099 capped at a day
    assert decide(e).update.values["next_poll_at"] == NOW + timedelta(days=1)
    e = err("status_503_retry_after", "http")
    assert e.status == 503 and e.retry_after_s == 120
    d = decide(e)
    assert d.update.values["failures"] == 1
    assert d.update.values["next_poll_at"] >= NOW + timedelta(seconds=120)
    e = err("status_500", "http")
    assert e.status == 500
    waits = [
        decide(e, failures=n).update.values["next_poll_at"] - NOW for n in range(0, 4)
    ]
    assert all(b > a for a, b in zip(waits, waits[1:], strict=False)), waits  # exponential
    e = err("status_410_gone", "gone")
    assert e.permanent and decide(e).update.values["paused"] is True
    assert err("status_304_without_validators").status == 304
    # conditional GET: the validators are sent, and a 304 means no body to parse
    assert first.status == 200 and first.etag == h["ETag"]
    second = results["etag_second"]
    assert second.not_modified and second.body is None
    assert etag_requests[-1]["If-None-Match"] == h["ETag"]
    assert etag_requests[-1]["If-Modified-Since"] == h["Last-Modified"]
    # bodies that are not feeds: a feed error, never "nothing new"; meta refresh not followed
    for name in ("wrong_content_type_html", "meta_refresh", "empty_200"):
        res = results[name]
        assert not isinstance(res, FetchError), (name, res)
        with pytest.raises(ParseError) as info:
            parse_feed(res.body or b"", url=res.url, content_type=res.content_type, now=NOW)
        assert info.value.kind == "not_feed", name
    err("image", "not_feed")
    assert err("brotli").kind in ("payload", "protocol")  # an encoding we never asked for
    res = results["charset_header_conflict"]
    feed = parse_feed(res.body, url=res.url, content_type=res.content_type, now=NOW)
    check_bounded(feed, "charset_header_conflict")
