from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.digests import digest_due, scheduled_instant
from bot.discovery import discover_feed_url
from bot.store.store import Digest, StoredStory
from bot.summary import build_summary, render_summary_text
from bot.types import Amount, Match, Story

NOW = datetime(2026, 11, 25, 9, 5, tzinfo=UTC)  # a Wednesday


def d(freq: str = "daily", at: str = "09:00", tz: str = "UTC", last: datetime | None = None) -> Digest:
    return Digest("slack:C1", freq, at, tz, last)


def test_daily_digest_due_once_per_slot() -> None:
    slot = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    assert digest_due(d(), NOW) == slot
    assert digest_due(d(last=NOW), NOW + timedelta(minutes=1)) is None
    assert digest_due(d(last=NOW), NOW + timedelta(days=1)) == slot + timedelta(days=1)


def test_timezone_and_weekly() -> None:
    paris = d(at="10:00", tz="Europe/Paris")  # 10:00 CET = 09:00 UTC in November
    assert scheduled_instant(paris, NOW) == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    weekly = d("weekly", last=datetime(2026, 11, 20, tzinfo=UTC))
    assert scheduled_instant(weekly, NOW) == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday
    monday = datetime(2026, 11, 23, 9, 5, tzinfo=UTC)
    assert digest_due(weekly, monday) == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    # Missed by more than a day (the bot was down): skipped, not sent stale.
    assert digest_due(weekly, NOW) is None


def test_new_digest_waits_for_next_slot_and_stale_slots_are_skipped() -> None:
    assert digest_due(d(at="08:00"), NOW) is None  # set up at 09:05, first one tomorrow
    # A daily digest missed yesterday goes out at the next slot, once.
    assert digest_due(d(last=NOW - timedelta(days=3)), NOW) == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def stored(i: int, title: str, match: Match, source: str = "Wire") -> StoredStory:
    return StoredStory(i, Story(source, str(i), f"https://n.test/{i}", title, "", NOW), match, NOW, False)


def test_summary_groups_ranks_and_totals() -> None:
    stories = [
        stored(1, "Mistral raises $600M", Match(ai=True, events=("funding",), parties=("Mistral AI", "General Catalyst"), amount=Amount(600e6, "USD"), round="series b")),
        stored(2, "Acme raises €10M", Match(ai=True, events=("funding",), parties=("Acme",), amount=Amount(10e6, "EUR"), round="seed")),
        stored(3, "Microsoft partners with Mistral", Match(ai=True, events=("partnership",), parties=("Microsoft", "Mistral AI"))),
        stored(4, "Not a deal", Match(ai=True)),
    ]
    s = build_summary(stories, period="7d", now=NOW, watched={"mistral ai"})
    assert s.deals == 3
    assert s.raised == {"USD": 600e6, "EUR": 10e6}
    assert s.top_orgs[0] == ("Mistral AI", 2)
    assert [i.story.id for i in s.groups["funding"]] == [1, 2]
    text = render_summary_text(s)
    assert "3 deals" in text and "$600M" in text and "€10M" in text and "Partnerships" in text
    assert "No partnerships" in render_summary_text(build_summary([], period="24h", now=NOW))


def test_feed_discovery() -> None:
    html = b"""<html><head><link rel="stylesheet" href="/s.css">
    <link rel="alternate" type="application/atom+xml" href="/atom.xml">
    <link rel="alternate" type="application/rss+xml" href="feed.xml"></head></html>"""
    assert discover_feed_url(html, base="https://a.example/blog/") == "https://a.example/blog/feed.xml"
    assert discover_feed_url(b"<html><link rel=alternate type=application/rss+xml href='javascript:x'></html>", base="https://a.example/") is None
    assert discover_feed_url(b"\xff\xfe garbage <<<", base="https://a.example/") is None
