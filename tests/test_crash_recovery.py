"""A crash between storing a story and queueing its alert loses nothing.

The poll stores new stories and marks those that must alert (``pending_route``)
in one transaction, and clears the mark in the transaction that queues the
deliveries. Here the first process dies right after the store step; the next
start finishes the job, once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from adapters.recording import RecordingAdapter
from bot.app import App
from bot.settings import load_config
from bot.types import Match, Story

REPO = Path(__file__).resolve().parents[1]


def config(tmp_path: Path):  # type: ignore[no-untyped-def]
    cfg = tmp_path / "alliance.toml"
    cfg.write_text(
        f"""
database_url = "sqlite+aiosqlite:///{tmp_path / 'state.sqlite3'}"
[matcher]
watchlist = "{REPO / 'config' / 'watchlist.toml'}"
[[subscriptions]]
channel = "recording:deals"
query = "*"
"""
    )
    return load_config(cfg, environ={}, dotenv=None)


async def test_story_stored_but_not_queued_is_alerted_after_restart(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    story = Story("Wire", "k1", "https://n.test/1", "Mistral AI raises $600 million Series B", "", now)
    match = Match(ai=True, events=("funding",), parties=("Mistral AI",))
    other = Story("Wire", "k2", "https://n.test/2", "An old funding story", "", now)

    # First process: the poll stored both stories, then died before routing.
    async with App(config(tmp_path), adapters={"recording": RecordingAdapter()}) as app:
        await app.store.add_stories([(story, match, True), (other, match, True)], now, route=frozenset({"k1"}))
        assert [s.story.key for s in await app.store.pending_routes()] == ["k1"]

    # Second process: recovery queues and delivers the alert, exactly once.
    rec = RecordingAdapter()
    async with App(config(tmp_path), adapters={"recording": rec}) as app:
        await app.poll_once()
        await app.poll_once()
        assert await app.store.pending_routes() == []
    assert [p.message.title for p in rec.posts] == ["Mistral AI raises $600 million Series B"]

