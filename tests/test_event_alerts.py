"""One event, many outlets: one alert, then edits of it; other events stay separate.

Three loopback feeds report the same deal in different words; the bot posts
once, and every later outlet edits that post ("also reported by ..."). Unrelated
deals on the same day alert on their own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from adapters.recording import RecordingAdapter
from bot.app import App
from bot.settings import load_config
from tests.feedserver import FeedServer

REPO = Path(__file__).resolve().parents[1]


def rss(items: list[tuple[str, str]], when: datetime) -> bytes:
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>{format_datetime(when)}</pubDate></item>"
        for t, link in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>{body}</channel></rss>'.encode()


@pytest.fixture
async def feeds() -> AsyncIterator[FeedServer]:
    async with FeedServer() as server:
        yield server


async def test_same_event_from_three_outlets_is_one_post_then_edits(feeds: FeedServer, tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    feeds.add("/a.xml", rss([], now), content_type="application/rss+xml")
    feeds.add("/b.xml", rss([], now), content_type="application/rss+xml")
    feeds.add("/c.xml", rss([], now), content_type="application/rss+xml")
    cfg = tmp_path / "alliance.toml"
    cfg.write_text(
        f"""
database_url = "sqlite+aiosqlite:///{tmp_path / 'state.sqlite3'}"
[matcher]
watchlist = "{REPO / 'config' / 'watchlist.toml'}"
[fetch]
allow_private_networks = true
[[sources]]
name = "Outlet A"
url = "{feeds.url('/a.xml')}"
[[sources]]
name = "Outlet B"
url = "{feeds.url('/b.xml')}"
[[sources]]
name = "Outlet C"
url = "{feeds.url('/c.xml')}"
[[subscriptions]]
channel = "recording:deals"
query = "*"
"""
    )
    rec = RecordingAdapter()
    config = load_config(cfg, environ={}, dotenv=None)
    async with App(config, adapters={"recording": rec}) as app:
        await app.poll_once()  # first polls: empty feeds, nothing to alert
        feeds.add(
            "/a.xml",
            rss(
                [
                    ("Microsoft partners with Mistral AI to bring its models to Azure", "https://a.test/ms-mistral"),
                    ("Cohere raises $50 million Series B to expand its enterprise AI platform", "https://a.test/cohere"),
                ],
                now - timedelta(minutes=50),
            ),
            content_type="application/rss+xml",
        )
        await app.poll_once()
        assert sorted(p.message.title for p in rec.posts) == [
            "Cohere raises $50 million Series B to expand its enterprise AI platform",
            "Microsoft partners with Mistral AI to bring its models to Azure",
        ]
        feeds.add(
            "/b.xml",
            rss(
                [
                    ("Mistral AI and Microsoft sign a partnership to offer Mistral models on Azure", "https://b.test/deal"),
                    ("Anthropic partners with Accenture to train 30,000 staff on Claude", "https://b.test/anthropic"),
                ],
                now - timedelta(minutes=20),
            ),
            content_type="application/rss+xml",
        )
        feeds.add(
            "/c.xml",
            rss([("Microsoft teams up with Mistral AI to put its AI models on Azure", "https://c.test/x")], now - timedelta(minutes=10)),
            content_type="application/rss+xml",
        )
        await app.poll_once()

    titles = [p.message.title for p in rec.posts]
    assert sorted(titles) == [
        "Anthropic partners with Accenture to train 30,000 staff on Claude",
        "Cohere raises $50 million Series B to expand its enterprise AI platform",
        "Microsoft partners with Mistral AI to bring its models to Azure",
    ], "one post per event"
    deal = next(p for p in rec.posts if p.message.title.startswith("Microsoft partners"))
    assert len(deal.updates) == 2, "each later outlet edits the first alert"
    assert set(deal.updates[-1].also_reported_by) == {"Outlet B", "Outlet C"}
    assert deal.updates[-1].title == deal.message.title  # the edit keeps the first story
    for p in rec.posts:
        if p is not deal:
            assert p.updates == []
