"""Run the shared feed corpus (~4,700 real, test and hostile files) through parse_feed.

The corpus lives beside the repository (``../shared/feeds``); CI clones the repo next
to a copy of it.  Files are parsed inline (not via the pool) for speed; one test
drives the hostile files through the pool.
"""

from __future__ import annotations

import asyncio
import re
import time
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import ParseError
from bot.parse import FEED_TITLE_MAX, GUID_MAX, SUMMARY_MAX, TITLE_MAX, ParserPool, parse_feed
from bot.types import ParsedFeed
from bot.urls import MAX_URL_LEN

FEEDS = Path(__file__).resolve().parents[2] / "shared" / "feeds"
HOSTILE = FEEDS / "hostile"
NOW = datetime(2026, 3, 1, tzinfo=UTC)
URL = "https://feeds.example.org/blog/feed.xml"
PER_FILE_S = 5.0

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not FEEDS.is_dir(), reason=f"feed corpus not found at {FEEDS}"),
]

_BAD_CHARS = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\u00ad]"
)
CANARIES = ("XXE-CANARY-5b1f0c", "INTERNAL-SECRET-CANARY", "root:x:0:0")


def corpus_files() -> list[Path]:
    return sorted(p for p in FEEDS.rglob("*") if p.is_file()) if FEEDS.is_dir() else []


def check_bounded(feed: ParsedFeed, name: str) -> None:
    assert len(feed.title) <= FEED_TITLE_MAX, name
    assert len(feed.entries) <= 200, name
    for e in feed.entries:
        assert len(e.title) <= TITLE_MAX and len(e.summary) <= SUMMARY_MAX, name
        assert e.guid is None or len(e.guid) <= GUID_MAX, name
        assert e.link is None or (
            e.link.startswith(("http://", "https://")) and len(e.link) <= MAX_URL_LEN
        ), name
        for text in (e.title, e.summary, feed.title):
            assert not _BAD_CHARS.search(text), (name, text[:80])
            assert all(unicodedata.category(c) != "Cf" for c in text), name
        assert e.published is None or (e.published.tzinfo is not None and e.published <= NOW), name


def test_whole_corpus() -> None:
    files = corpus_files()
    assert len(files) > 4000
    slow: list[tuple[float, str]] = []
    crashed: list[tuple[str, str]] = []
    start = time.perf_counter()
    for path in files:
        body = path.read_bytes()
        t0 = time.perf_counter()
        try:
            feed = parse_feed(body, url=URL, now=NOW)
        except ParseError:
            pass
        except Exception as exc:  # noqa: BLE001 - this is what the test hunts for
            crashed.append((str(path.relative_to(FEEDS)), repr(exc)[:200]))
        else:
            check_bounded(feed, str(path.relative_to(FEEDS)))
        elapsed = time.perf_counter() - t0
        if elapsed > PER_FILE_S:
            slow.append((elapsed, str(path)))
    total = time.perf_counter() - start
    print(f"\n{len(files)} corpus files parsed in {total:.1f} s")
    assert not crashed, crashed[:10]
    assert not slow, slow


def test_real_feeds_all_have_entries() -> None:
    real = sorted((FEEDS / "fastfeedparser" / "benchmark_data").iterdir())
    assert len(real) == 200
    empty = []
    for path in real:
        feed = parse_feed(path.read_bytes(), url=URL, now=NOW)
        if not feed.entries:
            empty.append(path.name)
    assert not empty


def parse_hostile(rel: str) -> ParsedFeed:
    return parse_feed((HOSTILE / rel).read_bytes(), url=URL, now=NOW)


def error_kind(rel: str) -> str:
    with pytest.raises(ParseError) as info:
        parse_hostile(rel)
    return info.value.kind


def test_hostile_xml() -> None:
    for rel in ("xml/billion_laughs.xml", "xml/quadratic_blowup.xml"):
        t0 = time.perf_counter()
        feed = parse_hostile(rel)
        assert time.perf_counter() - t0 < 1.0
        assert all("lol" not in e.title and len(e.title) < 100 for e in feed.entries)
    for rel in (
        "xml/xxe_file_etc_passwd.xml",
        "xml/xxe_file_canary.xml",
        "xml/xinclude.xml",
        "xml/xxe_http_oob.xml",
        "xml/xxe_parameter_entity.xml",
        "xml/external_dtd.xml",
    ):
        feed = parse_hostile(rel)
        blob = repr(feed)
        assert not any(c in blob for c in CANARIES), rel
    assert [e.link for e in parse_hostile("xml/entity_in_attribute_and_link.xml").entries] == [None]
    assert len(parse_hostile("xml/long_title_100k.xml").entries[0].title) == TITLE_MAX
    assert len(parse_hostile("xml/many_entries_5k.xml").entries) == 200


def test_hostile_injection_and_dates() -> None:
    links = [e.link for e in parse_hostile("injection/dangerous_links.xml").entries]
    assert all(link is None or link.startswith(("https://", "http://")) for link in links)
    assert not any(
        link and ("127.0.0.1" in link or "169.254" in link or "@" in link) for link in links
    )
    # Real markup is stripped; only text that was itself double-escaped stays as text.
    scripted = parse_hostile("injection/html_script_in_title.xml").entries
    assert [e.title for e in scripted[:2]] == ["OpenAI raises", "Anthropic funding"]
    assert all("<img" not in e.summary and "onerror" not in e.summary for e in scripted)
    for e in parse_hostile("injection/atom_html_title.xml").entries:
        assert "<" not in e.title and "alert" not in e.title
    bidi = parse_hostile("encoding/bidi_zero_width_homoglyph.xml").entries
    assert bidi[0].title.startswith("OpenAI")
    for e in parse_hostile("dates/future_dates.xml").entries:
        assert e.published == NOW
    assert all(e.published is None for e in parse_hostile("dates/unparsable_dates.xml").entries)
    nul = parse_hostile("encoding/control_chars_and_nul.xml").entries[0].title
    assert not _BAD_CHARS.search(nul)
    assert parse_hostile("encoding/bom_utf8_decl_latin1.xml").entries[0].title.endswith("éè")


def test_hostile_not_feeds_and_json() -> None:
    for rel in (
        "notfeed/empty.xml",
        "notfeed/whitespace_only.xml",
        "notfeed/html_challenge_page.html",
        "notfeed/html_with_alternate_link.html",
        "notfeed/binary_garbage.xml",
        "notfeed/xml_but_not_feed.xml",
        "json/not_json_feed_version.json",
        "compression/gzip_bomb_1gib.xml.gz",
        "compression/deflate_bomb_256mib.xml.zz",
        "encoding/utf16le_no_bom_no_decl.xml",
    ):
        assert error_kind(rel) == "not_feed", rel
    for rel in (
        "json/deep_nesting.json",
        "json/huge_number_and_dupe_keys.json",
        "json/items_not_list.json",
    ):
        assert error_kind(rel) == "parse", rel
    assert "ok" in [e.title for e in parse_hostile("json/wrong_types.json").entries]
    assert len(parse_hostile("notfeed/truncated_mid_item.xml").entries) >= 4


def test_hostile_files_through_the_pool() -> None:
    files = sorted(p for p in HOSTILE.rglob("*") if p.is_file())

    async def run() -> dict[str, str]:
        outcomes: dict[str, str] = {}
        async with ParserPool(workers=2, timeout_s=10.0, memory_limit_bytes=1 << 30) as pool:
            for path in files:
                try:
                    feed = await pool.parse(path.read_bytes(), url=URL, now=NOW)
                    check_bounded(feed, path.name)
                    outcomes[path.name] = f"ok:{len(feed.entries)}"
                except ParseError as exc:
                    outcomes[path.name] = f"error:{exc.kind}"
        return outcomes

    outcomes = asyncio.run(run())
    assert len(outcomes) == len(files)
    assert outcomes["quadratic_blowup.xml"].startswith("ok")
    assert outcomes["empty.xml"] == "error:not_feed"
    assert not any(v == "error:timeout" for v in outcomes.values()), outcomes
