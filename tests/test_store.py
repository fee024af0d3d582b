"""The store on SQLite and PostgreSQL: the same code, the same answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.store import SourceUpdate, Store, open_store
from bot.types import Amount, Evidence, Match, Story

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def story(key: str, *, source: str = "feed-a", url: str | None = None, title: str = "t") -> Story:
    return Story(
        source=source,
        key=key,
        url=url if url is not None else f"https://news.example/{key}",
        title=title,
        summary="s",
        published=T0,
    )


MATCH = Match(
    ai=True,
    events=("funding",),
    parties=("Mistral AI", "Lightspeed"),
    amount=Amount(111e6, "USD"),
    round="seed",
    confidence=0.9,
    evidence=(Evidence("amount", "title", 0, 5, "$111M"),),
)


async def test_sources_sync_keeps_health_and_disables_removed(store: Store) -> None:
    await store.sync_sources([("a", "https://a.example/feed", None, True), ("b", "https://b.example/rss", 600.0, True)], T0)
    await store.update_source("a", SourceUpdate({"failures": 3, "etag": '"x"'}))
    await store.sync_sources([("a", "https://a.example/feed", 120.0, True)], T0)
    a = await store.source("a")
    b = await store.source("b")
    assert a is not None and a.failures == 3 and a.etag == '"x"' and a.interval_s == 120.0
    assert b is not None and b.enabled is False
    assert [s.name for s in await store.sources(enabled_only=True)] == ["a"]
    # A changed URL drops the old validators: they belong to the old document.
    await store.sync_sources([("a", "https://a.example/new", None, True)], T0)
    a = await store.source("a")
    assert a is not None and a.etag is None and a.url == "https://a.example/new"


async def test_stories_dedup_by_key_and_by_url(store: Store) -> None:
    new = await store.add_stories([(story("1"), MATCH, True), (story("2"), None, False)], T0)
    assert [s.story.key for s in new] == ["1", "2"]
    # An edited title under the same key is not new: edits never re-alert.
    again = await store.add_stories([(story("1", title="edited"), MATCH, True)], T0)
    assert again == []
    # The same article from another feed is stored as a duplicate, not alerted.
    other = await store.add_stories(
        [(story("x", source="feed-b", url="https://news.example/1"), MATCH, True)], T0
    )
    assert len(other) == 1 and other[0].duplicate is True
    assert await store.unseen_keys("feed-a", ["1", "2", "3"]) == {"3"}
    loaded = await store.story(new[0].id)
    assert loaded is not None and loaded.match == MATCH
    assert loaded.story.published == T0 and loaded.story.published.tzinfo is not None
    recent = await store.recent_flagged(T0 - timedelta(days=1))
    assert [s.story.key for s in recent] == ["1"]


async def test_outbox_enqueue_once_claim_in_order_with_lease(store: Store) -> None:
    s1, s2, s3 = await store.add_stories(
        [(story("1"), MATCH, True), (story("2"), MATCH, True), (story("3"), MATCH, True)], T0
    )
    assert await store.enqueue(s1.id, ["discord:1", "slack:C1"], T0) == 2
    assert await store.enqueue(s1.id, ["discord:1"], T0) == 0  # queued once, ever
    await store.enqueue(s2.id, ["discord:1"], T0)
    await store.enqueue(s3.id, ["discord:1"], T0)
    claimed = await store.claim_due(T0, limit=10)
    assert [(d.story_id, d.channel) for d in claimed] == [
        (s1.id, "discord:1"),
        (s1.id, "slack:C1"),
        (s2.id, "discord:1"),
        (s3.id, "discord:1"),
    ]
    # Leased rows are not handed out twice while the lease holds...
    assert await store.claim_due(T0 + timedelta(seconds=1)) == []
    # ...but come back when the lease expires (the worker died mid-send).
    assert len(await store.claim_due(T0 + timedelta(minutes=10))) == 4


async def test_outbox_retry_blocks_later_rows_of_the_channel(store: Store) -> None:
    s1, s2 = await store.add_stories([(story("1"), MATCH, True), (story("2"), MATCH, True)], T0)
    await store.enqueue(s1.id, ["discord:1", "slack:C1"], T0)
    await store.enqueue(s2.id, ["discord:1"], T0)
    first = await store.claim_due(T0, limit=1)
    await store.mark_retry(first[0].id, "429", T0 + timedelta(seconds=30))
    # The second discord alert must wait for the first; slack is independent.
    due = await store.claim_due(T0 + timedelta(seconds=1))
    assert [(d.story_id, d.channel) for d in due] == [(s1.id, "slack:C1")]
    later = await store.claim_due(T0 + timedelta(seconds=31))
    assert [(d.story_id, d.channel) for d in later] == [(s1.id, "discord:1"), (s2.id, "discord:1")]
    await store.mark_sent(later[0].id, "m1", T0)
    await store.mark_failed(later[1].id, "Missing Permissions")
    sent = await store.deliveries(status="sent")
    failed = await store.deliveries(status="failed")
    assert [(d.message_id, d.attempts) for d in sent] == [("m1", 2)]
    assert failed[0].last_error == "Missing Permissions"


async def test_subscriptions_config_mirror_and_chat_kept(store: Store) -> None:
    await store.add_subscription("slack:C1", "mistral", "instant", "U1", T0)
    await store.sync_config_subscriptions([("console", "*", "instant")], T0)
    await store.sync_config_subscriptions([("discord:9", "event:funding", "digest")], T0)
    subs = await store.subscriptions()
    assert sorted((s.channel, s.origin) for s in subs) == [("discord:9", "config"), ("slack:C1", "chat")]
    assert await store.remove_subscriptions("slack:C1", None) == 1


async def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(StoreError):
        await store.sync_sources([("a", "https://a.example/", None, True)], datetime(2026, 1, 1))


async def test_corrupt_sqlite_file_is_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "broken.sqlite3"
    db.write_bytes(b"this is not a database" * 200)
    with pytest.raises(StoreError) as err:
        await open_store(f"sqlite+aiosqlite:///{db}")
    assert "corrupt or not a database" in str(err.value)


async def test_unreachable_postgres_is_a_clear_error_without_password() -> None:
    with pytest.raises(StoreError) as err:
        await open_store("postgresql+asyncpg://bob:hunter2@127.0.0.1:1/nope")
    assert "hunter2" not in str(err.value)
    assert "cannot connect" in str(err.value)


async def test_update_sources_in_one_transaction(store: Store) -> None:
    await store.sync_sources([(n, f"https://{n}.example/", None, True) for n in "abc"], T0)
    later = T0 + timedelta(minutes=5)
    await store.update_sources(
        [
            ("a", SourceUpdate({"failures": 0, "next_poll_at": later, "etag": '"1"'})),
            ("b", SourceUpdate({"failures": 0, "next_poll_at": later, "etag": '"2"'})),
            ("c", SourceUpdate({"failures": 3, "last_error": "boom"})),
            ("a", SourceUpdate({})),
        ]
    )
    states = {s.name: s for s in await store.sources()}
    assert (states["a"].etag, states["b"].etag) == ('"1"', '"2"')
    assert states["a"].next_poll_at == later
    assert states["c"].failures == 3 and states["c"].last_error == "boom" and states["c"].etag is None
