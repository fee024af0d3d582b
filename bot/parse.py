"""Parse stage: feed bytes in, a bounded and clean :class:`ParsedFeed` out.

Strategy (numbers from /work/shared/feeds/FINDINGS.md and ``bench/parse.py``):

1. Cheap checks on the raw bytes: size cap, empty body, binary/HTML sniffing.  Both
   parsers happily return "0 entries, no error" for an empty 200 or a challenge
   page, which would read as "nothing new" forever; we raise ``ParseError`` instead.
2. JSON Feed goes to a small validating reader here (fastfeedparser lets
   ``KeyError``/``AttributeError`` escape on malformed JSON Feeds; feedparser 6 has
   no JSON Feed support).
3. XML: the prolog is rebuilt before any parser sees it, keeping only the XML
   declaration and an external-only DOCTYPE.  Internal DTD subsets are dropped
   because feedparser's loose parser re-expands "safe" entities without a size
   limit (a 45 KB body gave a 100M-character title).
4. fastfeedparser first (about 130x faster on real feeds); feedparser only when it
   raises, or returns 0 entries for a document that visibly has items (RSS 0.90,
   RSS 1.1, CDF).  Every exception from either parser becomes ``ParseError``, and no
   parser message is reused: fastfeedparser embeds body text in its errors.
5. Every field is cleaned and capped here, so later stages can trust lengths,
   character sets, link schemes and dates.

Parsing is CPU-bound and feedparser has super-linear cases (20 000 attributes on an
item: 5 s), so the bot runs it through :class:`ParserPool`: a process pool with a
wall-clock timeout and an address-space limit.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import email.utils
import hashlib
import json
import multiprocessing
import os
import re
import time
from collections.abc import Iterable, Mapping
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.errors import ParseError
from bot.text import clean_text, strip_invisible
from bot.types import ParsedEntry, ParsedFeed
from bot.urls import safe_link

MAX_BODY_BYTES = 10 * 1024 * 1024
TITLE_MAX = 500
SUMMARY_MAX = 2000
GUID_MAX = 500
FEED_TITLE_MAX = 500
FUTURE_SKEW = timedelta(minutes=10)
# No web feed predates 1995; earlier dates are placeholders (epoch 0, year 1, 0000-00-00).
MIN_DATE = datetime(1995, 1, 1, tzinfo=UTC)

_FEED_ROOTS = frozenset({"rss", "feed", "rdf", "channel"})
# Root names of documents that are certainly not feeds, to give a precise message.
_HTML_ROOTS = frozenset({"html", "head", "body"})
_BINARY_MAGIC = (
    (b"\x89PNG", "PNG image"),
    (b"GIF8", "GIF image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"%PDF", "PDF document"),
    (b"\x1f\x8b", "gzip data (not decompressed)"),
    (b"PK\x03\x04", "ZIP archive"),
    (b"RIFF", "RIFF media"),
    (b"\x00\x00\x01\x00", "icon"),
)
_UTF16_32_BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\xfe\xff", "utf-16"),
    (b"\xff\xfe", "utf-16"),
)
# XML spec appendix F: "<?xml" in UTF-16 without a byte order mark.
_UTF16_NO_BOM = ((b"<\x00?\x00x\x00", "utf-16-le"), (b"\x00<\x00?\x00x", "utf-16-be"))
_ENCODING_DECL = re.compile(rb"""(<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2""", re.IGNORECASE)
_NAME = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_DOCTYPE_SPECIAL = re.compile(rb"""<!--|["'\[\]>]""")
_WS_BYTES = b" \t\r\n\x0c"
# Any item-like element: fastfeedparser returning 0 entries despite one of these
# means it did not understand the dialect, not that the feed is empty.
_HAS_ITEMS = re.compile(rb"<(?:[\w.-]+:)?(?:item|entry|ITEM)[\s>/]")
_JSON_FEED_VERSION = "jsonfeed.org/version/"
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]{1,40})", re.IGNORECASE)


# --------------------------------------------------------------------------- input


def _check_body(body: object) -> bytes:
    if isinstance(body, (bytearray, memoryview)):
        body = bytes(body)
    if not isinstance(body, bytes):
        # Never hand a str to a parser: both treat a str as a URL or a path to fetch.
        raise ParseError("feed body must be bytes", kind="parse")
    if len(body) > MAX_BODY_BYTES:
        raise ParseError(f"feed body over {MAX_BODY_BYTES} bytes", kind="too_large")
    return body


def _transcode_wide(body: bytes) -> bytes | None:
    """UTF-16/32 documents re-encoded as UTF-8, so every later check is byte-based."""
    for prefix, codec in _UTF16_32_BOMS:  # noqa: B007 - used after the loop
        if body.startswith(prefix):
            break
    else:
        for prefix, codec in _UTF16_NO_BOM:  # noqa: B007 - used after the loop
            if body.startswith(prefix):
                break
        else:
            return None
    text = body.decode(codec, errors="replace").lstrip("\ufeff")
    data = text.encode("utf-8")
    return _ENCODING_DECL.sub(rb"\1\2utf-8\2", data, count=1)


def _sniff(body: bytes) -> tuple[str, bytes]:
    """("json" | "xml", body ready for that reader) or ParseError(not_feed)."""
    wide = _transcode_wide(body)
    if wide is not None:
        body = wide
    start = body[3:] if body.startswith(b"\xef\xbb\xbf") else body
    head = start.lstrip(_WS_BYTES)
    if not head:
        raise ParseError("empty body", kind="not_feed")
    for magic, what in _BINARY_MAGIC:
        if head.startswith(magic):
            raise ParseError(f"not a feed: {what}", kind="not_feed")
    if head[:1] == b"{":
        return "json", body
    # A few NULs are a broken feed (stripped later); many are binary or UTF-16 without
    # a declaration, which no parser here reads correctly.
    if head[:1] != b"<" or head[:1024].count(b"\x00") > 8:
        raise ParseError("not a feed: body is neither XML nor JSON", kind="not_feed")
    return "xml", body


# --------------------------------------------------------------------------- XML prolog


@dataclass(frozen=True, slots=True)
class _Prolog:
    declaration: bytes  # the <?xml ...?> declaration, or b""
    doctype: bytes  # an external-only DOCTYPE we keep, or b""
    root_start: int  # offset of the root element's "<"
    root_name: str  # local name of the root element, lower case
    html_doctype: bool


def _doctype_end(data: bytes, pos: int) -> int:
    """Offset just past the DOCTYPE starting at ``pos``, honouring quotes and [subset]."""
    depth = 0
    i = pos + 9
    while True:
        m = _DOCTYPE_SPECIAL.search(data, i)
        if m is None:
            raise ParseError("unterminated DOCTYPE", kind="parse")
        tok = m.group(0)
        if tok == b"<!--":
            end = data.find(b"-->", m.end())
            if end < 0:
                raise ParseError("unterminated comment in DOCTYPE", kind="parse")
            i = end + 3
        elif tok in (b'"', b"'"):
            end = data.find(tok, m.end())
            if end < 0:
                raise ParseError("unterminated literal in DOCTYPE", kind="parse")
            i = end + 1
        elif tok == b"[":
            depth += 1
            i = m.end()
        elif tok == b"]":
            depth = max(0, depth - 1)
            i = m.end()
        elif depth == 0:  # ">"
            return m.end()
        else:
            i = m.end()


def _scan_prolog(data: bytes) -> _Prolog:
    """Walk the prolog (declaration, PIs, comments, DOCTYPE) up to the root element."""
    pos = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    declaration = doctype = b""
    html_doctype = False
    n = len(data)
    while True:
        while pos < n and data[pos] in _WS_BYTES:
            pos += 1
        if data.startswith(b"<?", pos):
            end = data.find(b"?>", pos)
            if end < 0:
                raise ParseError("unterminated processing instruction", kind="parse")
            if data[pos : pos + 6].lower() == b"<?xml " and not declaration:
                declaration = data[pos : end + 2]
            pos = end + 2
        elif data.startswith(b"<!--", pos):
            end = data.find(b"-->", pos + 4)
            if end < 0:
                raise ParseError("unterminated comment", kind="not_feed")
            pos = end + 3
        elif data[pos : pos + 9].upper() == b"<!DOCTYPE":
            end = _doctype_end(data, pos)
            decl = data[pos:end]
            html_doctype = decl[9:].lstrip().lower().startswith(b"html")
            # Keep a DOCTYPE only without an internal subset: only a subset can
            # declare entities, and no parser here fetches an external DTD.
            # A real feed was seen with "<!DOCTYPE html>" before <feed>: drop that one too.
            doctype = b"" if b"[" in decl or html_doctype else decl
            pos = end
        else:
            break
    m = _NAME.match(data, pos)
    if m is None:
        raise ParseError("not a feed: no root element", kind="not_feed")
    name = m.group(1).decode("ascii", errors="replace").rsplit(":", 1)[-1].lower()
    return _Prolog(declaration, doctype, pos, name, html_doctype)


def _prepare_xml(data: bytes) -> bytes:
    """Check the root element and rebuild the prolog without DTD subsets or comments.

    Rebuilding (rather than deleting the bad parts) also removes comments and PIs, so
    no "<!DOCTYPE ... [<!ENTITY" hidden in a prolog comment can reach feedparser,
    whose DOCTYPE regex does not know about comments.
    """
    data = _fix_encoding(data)
    prolog = _scan_prolog(data)
    if prolog.root_name in _HTML_ROOTS or (
        prolog.html_doctype and prolog.root_name not in _FEED_ROOTS
    ):
        raise ParseError("not a feed: HTML page", kind="not_feed")
    if prolog.root_name not in _FEED_ROOTS:
        raise ParseError(f"not a feed: XML root <{prolog.root_name[:40]}>", kind="not_feed")
    parts = [prolog.declaration, prolog.doctype, data[prolog.root_start :]]
    return b"\n".join(p for p in parts if p)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _fix_encoding(data: bytes) -> bytes:
    """Make the declared encoding match the bytes before any parser guesses.

    A UTF-8 BOM wins over the declaration (XML 1.0 appendix F; one hostile file
    declares latin-1 behind a BOM).  Undeclared bytes that are not UTF-8 are almost
    always windows-1252 smart quotes: transcode them rather than get U+FFFD.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        return _ENCODING_DECL.sub(rb"\1\2utf-8\2", data[:512], count=1) + data[512:]
    declared = data.lstrip(_WS_BYTES).startswith(b"<?xml") and _ENCODING_DECL.match(
        data.lstrip(_WS_BYTES)
    )
    if declared or _is_utf8(data):
        return data
    return data.decode("cp1252", errors="replace").encode("utf-8")


# --------------------------------------------------------------------------- fields


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_date(value: object, *, now: datetime) -> datetime | None:
    """RFC 3339/ISO 8601 or RFC 822 text -> aware UTC datetime, else None.

    We parse the raw text ourselves rather than trust feedparser's ``*_parsed``: it
    turns "10000-01-01" into 2010-11-01 and Feb 30 into Mar 1.  Dates before 1995 are
    placeholders; dates past ``now`` + 10 min are clamped to ``now`` so a feed cannot
    pin an item as "newest" forever.
    """
    text = _str(value)
    if text is None or len(text) > 64:
        return None
    text = text.strip()
    dt: datetime | None = None
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        try:
            dt = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    if dt is None:
        return None
    try:
        dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    if dt < MIN_DATE:
        return None
    now_utc = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    return now_utc if dt > now_utc + FUTURE_SKEW else dt


def clean_guid(value: object) -> str | None:
    """Identity text: invisible characters out, but no entity/markup interpretation.

    An over-long guid becomes its SHA-256 rather than a prefix, so two distinct long
    guids with a common prefix stay distinct.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    text = _str(value)
    if text is None:
        return None
    text = " ".join(strip_invisible(text[: 64 * 1024]).split())
    if len(text) > GUID_MAX:
        return "sha256:" + hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()
    return text or None


def _make_entry(
    *,
    guid: object,
    link: object,
    title: object,
    summary: object,
    dates: Iterable[object],
    base: str,
    now: datetime,
) -> ParsedEntry:
    published = None
    for raw in dates:
        published = parse_date(raw, now=now)
        if published is not None:
            break
    return ParsedEntry(
        guid=clean_guid(guid),
        link=safe_link(_str(link), base=base),
        title=clean_text(_str(title), max_len=TITLE_MAX),
        summary=clean_text(_str(summary), max_len=SUMMARY_MAX),
        published=published,
    )


def _first_content(entry: Mapping[str, Any]) -> object:
    content = entry.get("content")
    if isinstance(content, list) and content and isinstance(content[0], Mapping):
        return content[0].get("value")
    return None


# --------------------------------------------------------------------------- readers


def _json_item(item: Mapping[str, Any], *, base: str, now: datetime) -> ParsedEntry:
    summary = _str(item.get("summary")) or _str(item.get("content_text"))
    return _make_entry(
        guid=item.get("id"),
        link=_str(item.get("url")) or _str(item.get("external_url")),
        title=item.get("title"),
        summary=summary or item.get("content_html"),
        dates=(item.get("date_published"), item.get("date_modified")),
        base=base,
        now=now,
    )


def _parse_json_feed(data: bytes, *, url: str, now: datetime, max_entries: int) -> ParsedFeed:
    """JSON Feed 1.0/1.1: the top level must be valid; a bad item is skipped alone."""
    try:
        doc = json.loads(data)
    except RecursionError:
        raise ParseError("JSON nested too deeply", kind="parse") from None
    except ValueError:  # includes UnicodeDecodeError and the 4300-digit int limit
        raise ParseError("invalid JSON", kind="parse") from None
    if not isinstance(doc, dict):
        raise ParseError("not a feed: JSON but not a JSON Feed object", kind="not_feed")
    version = doc.get("version")
    if not isinstance(version, str) or _JSON_FEED_VERSION not in version:
        raise ParseError("not a feed: JSON without a JSON Feed version", kind="not_feed")
    items = doc.get("items")
    if not isinstance(items, list):
        raise ParseError("JSON Feed 'items' is not a list", kind="parse")
    base = url  # links resolve against where we fetched, not a self-declared feed_url
    entries = tuple(
        _json_item(item, base=base, now=now)
        for item in items[:max_entries]
        if isinstance(item, dict)
    )
    title = clean_text(_str(doc.get("title")), max_len=FEED_TITLE_MAX)
    return ParsedFeed(title=title, entries=entries, parser="jsonfeed")


def _from_ffp(
    result: Mapping[str, Any], *, url: str, now: datetime, max_entries: int
) -> ParsedFeed:
    feed = result.get("feed")
    raw_entries = result.get("entries")
    if not isinstance(raw_entries, list):
        raw_entries = []
    entries = tuple(
        _make_entry(
            # fastfeedparser copies the raw link into "id" when there is no guid; that
            # is no identity of its own (and may be an unsafe link), so drop it and let
            # the normaliser key on the canonical, checked link.
            guid=None if e.get("id") == e.get("link") else e.get("id"),
            link=e.get("link"),
            title=e.get("title"),
            summary=_str(e.get("description")) or _first_content(e),
            dates=(e.get("published"), e.get("updated")),
            base=url,
            now=now,
        )
        for e in raw_entries[:max_entries]
        if isinstance(e, Mapping)
    )
    title = feed.get("title") if isinstance(feed, Mapping) else None
    return ParsedFeed(
        title=clean_text(_str(title), max_len=FEED_TITLE_MAX),
        entries=entries,
        parser="fastfeedparser",
    )


def _from_feedparser(
    result: Mapping[str, Any], *, url: str, now: datetime, max_entries: int
) -> ParsedFeed:
    raw_entries = result.get("entries") or []
    entries = tuple(
        _make_entry(
            guid=e.get("id"),
            link=e.get("link"),
            title=e.get("title"),
            summary=_str(e.get("summary")) or _first_content(e),
            dates=(e.get("published"), e.get("updated"), e.get("created")),
            base=url,
            now=now,
        )
        for e in raw_entries[:max_entries]
        if isinstance(e, Mapping)
    )
    feed = result.get("feed") or {}
    return ParsedFeed(
        title=clean_text(_str(feed.get("title")), max_len=FEED_TITLE_MAX),
        entries=entries,
        parser="feedparser",
    )


def _run_fastfeedparser(data: bytes) -> Mapping[str, Any]:
    import fastfeedparser  # imported lazily: the pool's parent process never needs it

    # Content is needed only for Atom entries that have <content> but no <summary>.
    result: Mapping[str, Any] = fastfeedparser.parse(
        data,
        include_content=True,
        include_tags=False,
        include_media=False,
        include_enclosures=False,
    )
    return result


def _run_feedparser(data: bytes, *, url: str, content_type: str | None) -> Mapping[str, Any]:
    import feedparser

    # Only the charset of the server's Content-Type is passed on: a wrong media type
    # (text/html for a feed is common) would just make feedparser flag bozo.
    charset = _CHARSET.search(content_type or "")
    media = "application/xml" + (f"; charset={charset.group(1)}" if charset else "")
    headers = {"content-location": url, "content-type": media}
    # bytes only (a str is fetched as a URL or read as a path).  Sanitising HTML and
    # resolving URIs inside HTML dominate feedparser's cost and we strip all markup
    # anyway; links are resolved by safe_link.
    result: Mapping[str, Any] = feedparser.parse(
        data, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    return result


def _parse_xml(
    data: bytes, *, url: str, content_type: str | None, now: datetime, max_entries: int
) -> ParsedFeed:
    ffp_failed = ""
    try:
        ffp = _run_fastfeedparser(data)
        entries = ffp.get("entries")
        if entries or not _HAS_ITEMS.search(data):
            return _from_ffp(ffp, url=url, now=now, max_entries=max_entries)
        ffp_failed = "no entries"
    except MemoryError:
        raise ParseError("feed too large to parse in memory", kind="too_large") from None
    except Exception as exc:  # noqa: BLE001 - any parser failure is a feed problem
        ffp_failed = type(exc).__name__
    try:
        fp = _run_feedparser(data, url=url, content_type=content_type)
    except MemoryError:
        raise ParseError("feed too large to parse in memory", kind="too_large") from None
    except Exception as exc:  # noqa: BLE001
        raise ParseError(f"unreadable feed ({type(exc).__name__})", kind="parse") from None
    # A known version, or a well-formed document with a feed root (CDF has no
    # version in feedparser), is a readable feed even with 0 entries.
    if fp.get("entries") or fp.get("version") or not fp.get("bozo", True):
        if fp.get("entries") or ffp_failed != "no entries":
            return _from_feedparser(fp, url=url, now=now, max_entries=max_entries)
    raise ParseError(f"unreadable feed (fastfeedparser: {ffp_failed})", kind="parse")


def parse_feed(
    body: bytes,
    *,
    url: str,
    content_type: str | None = None,
    now: datetime,
    max_entries: int = 200,
) -> ParsedFeed:
    """Parse a fetched feed body into clean, bounded entries (first ``max_entries``).

    Raises ``ParseError`` with ``kind`` "too_large", "not_feed" (empty, HTML, image,
    garbage, non-feed XML/JSON) or "parse" (looks like a feed but cannot be read).
    Never returns an empty result for something that is not a feed.
    """
    data = _check_body(body)
    kind, data = _sniff(data)
    try:
        if kind == "json":
            return _parse_json_feed(data, url=url, now=now, max_entries=max_entries)
        return _parse_xml(
            _prepare_xml(data),
            url=url,
            content_type=content_type,
            now=now,
            max_entries=max_entries,
        )
    except ParseError:
        raise
    except RecursionError:
        raise ParseError("feed nested too deeply", kind="parse") from None
    except MemoryError:
        raise ParseError("feed too large to parse in memory", kind="too_large") from None
    except Exception as exc:  # noqa: BLE001 - the contract is "only ParseError escapes"
        raise ParseError(f"unreadable feed ({type(exc).__name__})", kind="parse") from None


# --------------------------------------------------------------------------- off-loop


def _limit_memory(max_bytes: int) -> None:
    """Worker initializer: cap the address space so a parse cannot take the host down."""
    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = max_bytes if hard == resource.RLIM_INFINITY else min(max_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    import fastfeedparser  # noqa: F401 - warm the worker before the first timed call
    import feedparser  # noqa: F401


_Outcome = tuple[ParsedFeed | None, str, str]  # (result, error message, error kind)


def _parse_in_worker(
    body: bytes, url: str, content_type: str | None, now: datetime, max_entries: int
) -> _Outcome:
    """Runs in the worker.  ParseError is returned, not raised: pickling an exception
    rebuilds it from ``args`` only, which would lose ``kind``."""
    try:
        feed = parse_feed(
            body, url=url, content_type=content_type, now=now, max_entries=max_entries
        )
    except ParseError as exc:
        return None, str(exc), exc.kind
    return feed, "", ""


class ParserPool:
    """Run :func:`parse_feed` off the event loop with a time and memory bound.

    Why processes, always (measured with ``bench/parse.py --pool`` on 2 cores):

    * A thread cannot be stopped.  Worst cases are not about size alone: 209 KB of
      attributes costs fastfeedparser 0.5-0.9 s (feedparser 5 s), and a fallback to
      feedparser on a malformed feed is 10-100x slower than the fast path.  A timed-out
      thread would keep burning a core while holding the GIL, stalling the loop.
    * Measured on the 200 real feeds (225 KB mean body): inline parse 5.0 ms/file,
      through the pool 9.5 ms/file, so the round trip is about 4.5 ms per poll,
      mostly pickling the body.  Against a poll interval of minutes that is noise;
      a thread fast path would save it only by accepting an unkillable failure
      mode, so there is none.

    On timeout the workers are killed (a running task cannot be cancelled any other
    way) and a fresh pool is created lazily; calls that were in flight on the killed
    pool are retried once on the new one, since their input was not at fault.
    """

    def __init__(
        self,
        *,
        workers: int = 1,
        timeout_s: float = 10.0,
        memory_limit_bytes: int = 1024 * 1024 * 1024,
    ) -> None:
        self._workers = workers
        self._timeout_s = timeout_s
        self._memory_limit = memory_limit_bytes
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None
        self._generation = 0  # bumped whenever the executor is replaced
        # Worker start-up (interpreter + lxml/feedparser imports, ~0.5-1 s) must not
        # count against a feed's parse timeout, so each new executor is warmed first.
        self._warm: list[concurrent.futures.Future[int]] = []
        self._startup_timeout_s = 60.0

    def _get_executor(self) -> concurrent.futures.ProcessPoolExecutor:
        if self._executor is None:
            # forkserver/spawn, never fork: the bot's process has threads (aiohttp's
            # resolver, the DB driver) and forking those is undefined behaviour.
            method = (
                "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
            )
            self._executor = concurrent.futures.ProcessPoolExecutor(
                max_workers=self._workers,
                mp_context=multiprocessing.get_context(method),
                initializer=_limit_memory,
                initargs=(self._memory_limit,),
            )
            # Submitted together, each warm-up task makes the executor spawn a worker.
            self._warm = [self._executor.submit(os.getpid) for _ in range(self._workers)]
        return self._executor

    async def _ready(self) -> concurrent.futures.ProcessPoolExecutor:
        executor = self._get_executor()
        generation = self._generation
        try:
            await asyncio.wait_for(
                asyncio.gather(*(asyncio.wrap_future(f) for f in self._warm)),
                timeout=self._startup_timeout_s,
            )
        except (TimeoutError, BrokenProcessPool):
            self._recycle(generation)
            raise ParseError("parser workers failed to start", kind="parse") from None
        return executor

    def _recycle(self, generation: int) -> None:
        """Kill the executor of ``generation`` (if still current) and forget it."""
        if generation != self._generation or self._executor is None:
            return
        executor, workers = self._detach(self._executor)
        # Python < 3.14 has no public way to stop a running task; kill the workers.
        for proc in workers:
            proc.kill()
        executor.shutdown(wait=False, cancel_futures=True)

    def _detach(
        self, executor: concurrent.futures.ProcessPoolExecutor
    ) -> tuple[concurrent.futures.ProcessPoolExecutor, list[Any]]:
        """Forget the current executor (the next call starts another); its worker processes."""
        self._executor = None
        self._generation += 1
        processes: Mapping[int, Any] = getattr(executor, "_processes", None) or {}
        return executor, list(processes.values())

    async def parse(
        self,
        body: bytes,
        *,
        url: str,
        content_type: str | None = None,
        now: datetime,
        max_entries: int = 200,
    ) -> ParsedFeed:
        """Parse in a worker process; ParseError(kind="timeout") past ``timeout_s``."""
        data = _check_body(body)  # reject oversize input before paying for pickling
        for attempt in range(2):
            executor = await self._ready()
            generation = self._generation
            future = executor.submit(_parse_in_worker, data, url, content_type, now, max_entries)
            try:
                feed, message, kind = await asyncio.wait_for(
                    asyncio.wrap_future(future), timeout=self._timeout_s
                )
            except TimeoutError:
                self._recycle(generation)
                raise ParseError(
                    f"parsing took longer than {self._timeout_s:g} s", kind="timeout"
                ) from None
            except BrokenProcessPool:
                if generation != self._generation and attempt == 0:
                    continue  # another call's timeout killed our worker: retry once
                self._recycle(generation)
                raise ParseError("parser process died (memory limit?)", kind="parse") from None
            if feed is None:
                raise ParseError(message, kind=kind)
            return feed
        raise ParseError("parser pool unavailable", kind="parse")

    def close(self, grace_s: float = 2.0) -> None:
        """Stop the workers; the pool can still be used afterwards (it restarts).

        Unlike a timeout's recycle, idle workers first get up to ``grace_s`` to exit on the
        executor's own stop sentinel, and only those still running are killed: killing a
        worker while the executor's queue thread writes to it makes that thread print an
        "OSError: Bad file descriptor" traceback at shutdown.
        """
        if self._executor is None:
            return
        executor, workers = self._detach(self._executor)
        executor.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + grace_s
        for proc in workers:
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                proc.kill()  # a parse still running (a hostile feed): do not wait for it
                proc.join(1.0)  # reap it: SIGKILL is not instant

    async def __aenter__(self) -> ParserPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
