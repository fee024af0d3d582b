from __future__ import annotations

from datetime import UTC, datetime

from bot.normalize import story_key, to_stories
from bot.types import ParsedEntry, ParsedFeed

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
T = datetime(2024, 9, 1, tzinfo=UTC)


def entry(
    guid: str | None = None,
    link: str | None = None,
    title: str = "t",
    summary: str = "",
    published: datetime | None = T,
) -> ParsedEntry:
    return ParsedEntry(guid=guid, link=link, title=title, summary=summary, published=published)


def stories(*entries: ParsedEntry) -> list:  # type: ignore[type-arg]
    return to_stories(ParsedFeed("f", tuple(entries), "test"), source="src", now=NOW)


def test_key_preference() -> None:
    assert story_key(entry(guid="g", link="https://e.com/a")) == "g"
    assert story_key(entry(link="https://E.com/a?utm_source=x#f")) == "https://e.com/a"
    k1 = story_key(entry(title="a", summary="b"))
    assert k1.startswith("sha256:") and k1 == story_key(entry(title="a", summary="b"))
    assert k1 != story_key(entry(title="ab", summary=""))


def test_to_stories() -> None:
    out = stories(
        entry(guid="g1", link="https://e.com/1?utm_medium=rss", published=None),
        entry(guid="g1", link="https://e.com/other", title="dupe guid"),
        entry(link="https://e.com/2?fbclid=x"),
        entry(link="https://e.com/2"),  # same canonical link: duplicate
        entry(title="", link=None, summary="no title no link"),
        entry(title="title only", summary="s"),
    )
    assert [s.key for s in out][:2] == ["g1", "https://e.com/2"]
    assert len(out) == 3
    first = out[0]
    assert first.url == "https://e.com/1" and first.published == NOW and first.source == "src"
    assert out[2].url == "" and out[2].title == "title only"


def test_naive_now_is_utc() -> None:
    out = to_stories(
        ParsedFeed("f", (entry(published=None),), "t"), source="s", now=datetime(2025, 1, 1)
    )
    assert out[0].published.tzinfo is not None
