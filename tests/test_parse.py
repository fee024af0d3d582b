"""parse_feed: golden files, rejection of non-feeds, hostile inputs, the process pool."""

from __future__ import annotations

import asyncio
import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.errors import AllianceError, ParseError
from bot.parse import (
    FUTURE_SKEW,
    MAX_BODY_BYTES,
    SUMMARY_MAX,
    TITLE_MAX,
    ParserPool,
    parse_date,
    parse_feed,
)
from bot.types import ParsedFeed

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
URL = "https://blog.example.com/feeds/main.xml"
GOLDEN = Path(__file__).parent / "golden"


def feed_to_json(feed: ParsedFeed) -> dict[str, Any]:
    return {
        "title": feed.title,
        "parser": feed.parser,
        "entries": [
            {
                "guid": e.guid,
                "link": e.link,
                "title": e.title,
                "summary": e.summary,
                "published": e.published.isoformat() if e.published else None,
            }
            for e in feed.entries
        ],
    }


def golden_feeds() -> list[Path]:
    return sorted(p for p in (GOLDEN / "feeds").iterdir() if p.suffix in (".xml", ".json"))


@pytest.mark.parametrize("path", golden_feeds(), ids=lambda p: p.name)
def test_golden(path: Path) -> None:
    url = f"https://{path.stem.replace('_', '-')}.example.com/feed"
    got = feed_to_json(parse_feed(path.read_bytes(), url=url, now=NOW))
    expected_path = GOLDEN / "expected" / (path.name + ".json")
    if os.environ.get("UPDATE_GOLDEN") == "1":
        expected_path.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n", "utf-8")
    assert expected_path.exists(), f"run UPDATE_GOLDEN=1 pytest to create {expected_path.name}"
    assert got == json.loads(expected_path.read_text("utf-8"))


def parse(body: bytes | str, **kw: Any) -> ParsedFeed:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return parse_feed(data, url=kw.pop("url", URL), now=kw.pop("now", NOW), **kw)


def rss(items: str, head: str = "") -> str:
    return f'<?xml version="1.0"?>{head}<rss version="2.0"><channel><title>T</title>{items}</channel></rss>'


# ----------------------------------------------------------------------------- not feeds


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   \n\t ",
        b"\xef\xbb\xbf  ",
        b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body></body></html>",
        b"<html><body>hi</body></html>",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00",
        b"GIF89a\x01\x00",
        b"hello world, not a feed",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
        b'{"hello": "json"}',
        b"[1, 2, 3]",
        b'{"version": "https://evil.example/v9", "items": []}',
        b"\x00\x01\x02\x03" * 100,
    ],
)
def test_not_a_feed_is_an_error(body: bytes) -> None:
    with pytest.raises(ParseError) as info:
        parse(body)
    assert info.value.kind == "not_feed"


def test_error_kinds_and_root() -> None:
    assert issubclass(ParseError, AllianceError)
    with pytest.raises(ParseError) as info:
        parse_feed(b"<rss>" + b" " * MAX_BODY_BYTES, url=URL, now=NOW)
    assert info.value.kind == "too_large"
    with pytest.raises(ParseError) as info:
        parse('{"version": "https://jsonfeed.org/version/1.1", "items": {"a": 1}}')
    assert info.value.kind == "parse"
    with pytest.raises(ParseError):
        parse_feed("<rss/>", url=URL, now=NOW)  # type: ignore[arg-type]  # str is refused


def test_error_message_never_echoes_body() -> None:
    secret = "INTERNAL-SECRET-CANARY"
    for body in (
        f"<html><body>{secret}</body></html>",
        f'<?xml version="1.0"?><rss><channel><item><title>{secret}',
        f'{{"version": 1, "x": "{secret}"',
    ):
        try:
            parse(body)
        except ParseError as exc:
            assert secret not in str(exc)


def test_empty_but_valid_feed_is_ok() -> None:
    feed = parse(rss(""))
    assert feed.entries == () and feed.title == "T"
    feed = parse('{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": []}')
    assert feed.entries == () and feed.parser == "jsonfeed"


# ----------------------------------------------------------------------------- fields


def test_fields_are_cleaned_and_capped() -> None:
    big = "A" * 100_000
    body = rss(
        f"<item><title>{big}</title><description>{big}</description><guid>{big}</guid>"
        "<link>https://example.com/x</link></item>"
        "<item><title>&lt;script&gt;alert(1)&lt;/script&gt;@everyone Open&#x200B;AI&#x202E;"
        "</title><link>/rel/path</link></item>"
    )
    first, second = parse(body).entries
    assert len(first.title) == TITLE_MAX and first.title.endswith("…")
    assert len(first.summary) == SUMMARY_MAX
    assert first.guid is not None and first.guid.startswith("sha256:")
    # XML-escaped markup in RSS is HTML (the RSS convention), so the script goes;
    # mentions stay as text (the renderer neutralises them), invisibles go.
    assert second.title == "@everyone OpenAI"
    assert second.link == "https://blog.example.com/rel/path"


def test_max_entries_keeps_first_in_document_order() -> None:
    items = "".join(f"<item><title>n{i}</title><guid>g{i}</guid></item>" for i in range(500))
    feed = parse(rss(items), max_entries=200)
    assert len(feed.entries) == 200
    assert [e.guid for e in feed.entries[:3]] == ["g0", "g1", "g2"]


def test_dates() -> None:
    assert parse_date("Tue, 10 Sep 2024 14:30:00 +0200", now=NOW) == datetime(
        2024, 9, 10, 12, 30, tzinfo=UTC
    )
    assert parse_date("2024-09-10T14:30:00", now=NOW) == datetime(2024, 9, 10, 14, 30, tzinfo=UTC)
    for bad in (
        "",
        "yesterday",
        "0000-00-00 00:00:00",
        "10000-01-01T00:00:00Z",
        "1735689600",
        "2024-02-30T10:00:00Z",
        "2024-01-01T00:00:00+99:99",
        "Thu, 01 Jan 1970 00:00:00 GMT",
        None,
        12345,
        "x" * 1000,
    ):
        assert parse_date(bad, now=NOW) is None, bad
    assert parse_date("Fri, 01 Jan 2099 00:00:00 GMT", now=NOW) == NOW
    near = NOW + FUTURE_SKEW - timedelta(minutes=1)
    assert parse_date(near.isoformat(), now=NOW) == near
    aware = parse_date("2024-06-11T08:00:00+02:00", now=NOW)
    assert aware is not None and aware.tzinfo is UTC


# ----------------------------------------------------------------------------- hostile


def test_internal_dtd_entities_are_not_expanded() -> None:
    blob = "X" * 20_000
    refs = "&big;" * 2_000
    body = rss(
        f"<item><title>{refs}</title><link>https://example.com/a</link></item>",
        head=f'<!DOCTYPE rss [<!ENTITY big "{blob}">]>',
    )
    start = time.perf_counter()
    feed = parse(body)
    assert time.perf_counter() - start < 2
    assert "XXXX" not in feed.entries[0].title


def test_doctype_hidden_in_prolog_comment_is_dropped() -> None:
    body = (
        '<?xml version="1.0"?>\n<!--\n<!DOCTYPE rss [\n<!ENTITY e "EXPANDED">\n]>\n-->\n'
        '<rss version="2.0"><channel><title>&e;</title><item><title>a &e;</title>'
        "<link>https://example.com/</link></item></channel></rss>"
    )
    feed = parse(body)
    assert "EXPANDED" not in feed.title
    assert all("EXPANDED" not in e.title for e in feed.entries)


def test_entity_link_and_bad_schemes_are_dropped() -> None:
    body = rss(
        "<item><title>j</title><link>&js;</link></item>"
        "<item><title>d</title><link>data:text/html,x</link></item>"
        "<item><title>m</title><link>http://169.254.169.254/latest</link></item>",
        head='<!DOCTYPE rss [<!ENTITY js "javascript:alert(1)">]>',
    )
    assert [e.link for e in parse(body).entries] == [None, None, None]


def test_broken_json_items_skip_alone() -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": 5,
            "items": [
                None,
                3,
                "s",
                [],
                {"id": {"x": 1}, "title": ["t"], "url": 7},
                {"id": "ok", "title": "fine", "url": "https://example.com/ok"},
            ],
        }
    )
    feed = parse(body)
    assert feed.title == ""
    assert [e.guid for e in feed.entries] == [None, "ok"]


@pytest.mark.parametrize(
    "body",
    ["[" * 100_000, '{"version": "https://jsonfeed.org/version/1", "n": ' + "9" * 5000 + "}"],
)
def test_json_bombs_are_parse_errors(body: str) -> None:
    with pytest.raises(ParseError) as info:
        parse(body)
    assert info.value.kind in ("parse", "not_feed")


def test_utf16_feed_with_bom() -> None:
    body = rss("<item><title>Ünïcode</title><link>https://example.com/u</link></item>")
    body = body.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="utf-16"?>')
    feed = parse_feed(body.encode("utf-16"), url=URL, now=NOW)
    assert feed.entries[0].title == "Ünïcode"


def test_cp1252_without_declaration() -> None:
    body = b'<rss version="2.0"><channel><title>t</title><item><title>\x93Smart\x94 \x96 \x80</title></item></channel></rss>'
    assert parse_feed(body, url=URL, now=NOW).entries[0].title == "“Smart” – €"


# ----------------------------------------------------------------------------- pool


def test_pool_parses_times_out_and_recovers() -> None:
    async def run() -> None:
        async with ParserPool(workers=1, timeout_s=5.0) as pool:
            feed = await pool.parse(rss("<item><title>x</title></item>").encode(), url=URL, now=NOW)
            assert feed.entries[0].title == "x"
            with pytest.raises(ParseError) as info:
                await pool.parse(b"", url=URL, now=NOW)
            assert info.value.kind == "not_feed"  # kind survives the process boundary
        # A tiny timeout forces the kill-and-recreate path.
        pool = ParserPool(workers=1, timeout_s=0.001)
        try:
            big = rss("".join(f"<item><title>t{i}</title></item>" for i in range(20_000)))
            with pytest.raises(ParseError) as info:
                await pool.parse(big.encode(), url=URL, now=NOW)
            assert info.value.kind == "timeout"
            pool._timeout_s = 5.0
            feed = await pool.parse(rss("<item><title>y</title></item>").encode(), url=URL, now=NOW)
            assert feed.entries[0].title == "y"
        finally:
            pool.close()

    asyncio.run(run())


def test_close_stops_idle_workers_cleanly_and_kills_busy_ones(capfd: pytest.CaptureFixture[str]) -> None:
    # Idle workers exit on the executor's own sentinel (no "Bad file descriptor" traceback
    # from its queue thread); a worker still parsing is killed once the grace runs out.
    async def run() -> None:
        for _ in range(3):
            pool = ParserPool(workers=2, timeout_s=5.0)
            feed = await pool.parse(rss("<item><title>x</title></item>").encode(), url=URL, now=NOW)
            assert feed.entries[0].title == "x"
            executor = pool._executor
            assert executor is not None
            workers = list(executor._processes.values())
            pool.close()
            assert workers and not any(p.is_alive() for p in workers)
        pool = ParserPool(workers=1, timeout_s=30.0)
        await pool.parse(rss("<item><title>warm</title></item>").encode(), url=URL, now=NOW)
        executor = pool._executor
        assert executor is not None
        executor.submit(time.sleep, 30)  # a parse that would outlive the shutdown
        workers = list(executor._processes.values())
        t0 = time.monotonic()
        pool.close(grace_s=0.5)
        assert time.monotonic() - t0 < 5
        assert not any(p.is_alive() for p in workers)

    asyncio.run(run())
    assert "Traceback" not in capfd.readouterr().err
