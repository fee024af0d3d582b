"""The outbox worker: order, retries, permanent failures, missing adapters, restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from adapters.base import DeliveryError
from adapters.recording import RecordingAdapter
from bot.outbox import OutboxPolicy, OutboxWorker, backoff_s
from bot.store import Store
from bot.types import Match, Story


class Clock:
    def __init__(self) -> None:
        self.t = datetime(2026, 11, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.t

    def advance(self, s: float) -> None:
        self.t += timedelta(seconds=s)


async def no_sleep(_: float) -> None:
    return None


async def queue(store: Store, clock: Clock, n: int, channels: list[str]) -> list[int]:
    stories = [
        (Story("src", f"k{i}", f"https://n.example/{i}", f"title {i}", "", clock()), Match(ai=True, events=("funding",)), True)
        for i in range(n)
    ]
    stored = await store.add_stories(stories, clock())
    for s in stored:
        await store.enqueue(s.id, channels, clock())
    return [s.id for s in stored]


def worker(store: Store, clock: Clock, adapter: RecordingAdapter) -> OutboxWorker:
    return OutboxWorker(store, {"discord": adapter, "recording": adapter}, now=clock, sleep=no_sleep, monotonic=lambda: 0.0)


async def test_delivers_in_order_once(store: Store) -> None:
    clock, rec = Clock(), RecordingAdapter()
    await queue(store, clock, 5, ["discord:1", "discord:2"])
    stats = await worker(store, clock, rec).drain()
    assert stats.sent == 10
    assert [p.message.title for p in rec.posts if p.channel == "discord:1"] == [f"title {i}" for i in range(5)]
    assert len({p.idempotency_key for p in rec.posts}) == 10
    assert (await worker(store, clock, rec).drain()).sent == 0  # nothing twice


async def test_outage_then_everything_delivered_in_order(store: Store) -> None:
    clock, rec = Clock(), RecordingAdapter()
    await queue(store, clock, 4, ["discord:1"])
    w = worker(store, clock, rec)
    for _ in range(6):  # the platform is down for six attempts
        rec.fail_next = [DeliveryError("503 from Discord", retryable=True)]
        await w.drain()
        assert rec.posts == []
        clock.advance(3600)
    await w.drain()
    assert [p.message.title for p in rec.posts] == [f"title {i}" for i in range(4)]
    sent = await store.deliveries(status="sent")
    assert len(sent) == 4 and sent[0].attempts == 7


async def test_retry_after_is_honoured(store: Store) -> None:
    clock, rec = Clock(), RecordingAdapter()
    await queue(store, clock, 1, ["discord:1"])
    rec.fail_next = [DeliveryError("429", retryable=True, retry_after_s=120)]
    w = worker(store, clock, rec)
    await w.drain()
    clock.advance(60)
    await w.drain()
    assert rec.posts == []
    clock.advance(61)
    await w.drain()
    assert len(rec.posts) == 1


async def test_permanent_failure_recorded_and_channel_continues(store: Store) -> None:
    clock, rec = Clock(), RecordingAdapter()
    await queue(store, clock, 2, ["discord:1"])
    rec.fail_next = [DeliveryError("Missing Permissions", retryable=False)]
    stats = await worker(store, clock, rec).drain()
    assert stats.failed == 1 and stats.sent == 1
    failed = await store.deliveries(status="failed")
    assert failed[0].last_error == "Missing Permissions"


async def test_missing_platform_waits_without_burning_attempts(store: Store) -> None:
    clock, rec = Clock(), RecordingAdapter()
    await queue(store, clock, 1, ["slack:C1"])
    await worker(store, clock, rec).drain()
    pending = await store.deliveries(status="pending")
    assert pending[0].attempts == 0 and "no slack adapter" in (pending[0].last_error or "")


async def test_crash_after_claim_is_retried_with_same_key(store: Store) -> None:
    clock, rec = Clock(), RecordingAdapter()
    await queue(store, clock, 1, ["discord:1"])
    claimed = await store.claim_due(clock())  # a worker claimed it, then died
    assert len(claimed) == 1
    w = worker(store, clock, rec)
    await w.drain()
    assert rec.posts == []  # the lease still holds
    clock.advance(OutboxPolicy().lease_s + 1)
    await w.drain()
    assert [p.idempotency_key for p in rec.posts] == [f"alliance-{claimed[0].id}"]


def test_backoff_grows_and_respects_retry_after() -> None:
    p = OutboxPolicy(base_backoff_s=5, max_backoff_s=900)
    assert [backoff_s(a, p, None) for a in range(5)] == [5, 10, 20, 40, 80]
    assert backoff_s(20, p, None) == 900
    assert backoff_s(0, p, 60) == 60
