"""Deliver: drain the outbox through the chat adapters, within platform limits.

Every alert is a row first (``deliveries``), then a post.  The worker leases
due rows, posts each with an idempotency key derived from the row id (stable
across retries and restarts), and records the platform's message id.  A crash
between posting and recording leaves the lease to expire; the retry reuses the
key, so a platform that honours it (Discord's ``enforce_nonce``) drops the
duplicate.  Per channel, alerts go out in the order they were queued: a
retryable failure delays the whole channel, not just one row.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog

from adapters.base import AlertMessage, ChannelRef, ChatAdapter, DeliveryError
from bot.alerts import to_alert
from bot.errors import AllianceError
from bot.store.store import Delivery, Store

log = structlog.get_logger("alliance.outbox")

GLOBAL_MARGIN = 0.9


class _Wait:
    """The delivery must wait (an update whose original post is not out yet)."""


_WAIT = _Wait()


@dataclass(frozen=True, slots=True)
class OutboxPolicy:
    batch: int = 200
    lease_s: float = 120.0
    base_backoff_s: float = 5.0
    max_backoff_s: float = 900.0
    # ~ a day and a half of retries at the cap: an outage of hours still delivers.
    max_attempts: int = 150
    missing_adapter_retry_s: float = 600.0


@dataclass
class DrainStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def backoff_s(attempts: int, policy: OutboxPolicy, retry_after_s: float | None) -> float:
    """Exponential in the attempts so far, at least what the platform asked for."""
    wait: float = min(policy.base_backoff_s * float(2 ** max(attempts, 0)), policy.max_backoff_s)
    if retry_after_s is not None:
        wait = max(wait, min(retry_after_s, 3600.0))
    return wait


class _Pacer:
    """Spacing between posts per channel and per platform (token spacing, no bursts)."""

    def __init__(self, clock: Callable[[], float]):
        self._clock = clock
        self._next: dict[str, float] = {}

    def reserve(self, key: str, interval: float) -> float:
        """Reserve the next slot for ``key``; return how long to wait for it."""
        now = self._clock()
        slot = max(now, self._next.get(key, 0.0))
        self._next[key] = slot + interval
        return slot - now


class OutboxWorker:
    def __init__(
        self,
        store: Store,
        adapters: Mapping[str, ChatAdapter],
        *,
        now: Callable[[], datetime],
        monotonic: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        policy: OutboxPolicy = OutboxPolicy(),
        render: Callable[[int], Awaitable[AlertMessage | None]] | None = None,
    ):
        self.store = store
        self.adapters = adapters
        self.now = now
        self.sleep = sleep
        self.policy = policy
        loop_time: Callable[[], float] = monotonic or (lambda: asyncio.get_running_loop().time())
        self._pacer = _Pacer(loop_time)
        self._render = render or self._render_story
        self._warned_missing: set[str] = set()

    async def _render_story(self, story_id: int) -> AlertMessage | None:
        stored = await self.store.story(story_id)
        return to_alert(stored) if stored else None

    async def drain(self, *, max_rounds: int = 1000) -> DrainStats:
        """Send everything due now; return when nothing due is left."""
        total = DrainStats()
        for _ in range(max_rounds):
            stats = await self.drain_once()
            total.sent += stats.sent
            total.retried += stats.retried
            total.failed += stats.failed
            total.errors += stats.errors
            if stats.sent + stats.retried + stats.failed == 0:
                break
        return total

    async def drain_once(self) -> DrainStats:
        due = await self.store.claim_due(
            self.now(), limit=self.policy.batch, lease_s=self.policy.lease_s
        )
        by_channel: OrderedDict[str, list[Delivery]] = OrderedDict()
        for d in due:
            by_channel.setdefault(d.channel, []).append(d)
        stats = DrainStats()
        await asyncio.gather(*(self._send_channel(ch, rows, stats) for ch, rows in by_channel.items()))
        return stats

    async def _send_channel(self, channel: str, rows: list[Delivery], stats: DrainStats) -> None:
        ref = ChannelRef.parse(channel)
        adapter = self.adapters.get(ref.platform)
        if adapter is None:
            await self._no_adapter(ref, rows, stats)
            return
        per_channel = 1.0 / max(adapter.limits.posts_per_second_per_channel, 1e-6)
        # 10 % under the platform's global limit: the client's own requests
        # (login, bucket-held posts released together) share that budget, and
        # pacing at exactly the limit drew occasional global 429s in bench/deliver.py.
        per_platform = 1.0 / max(adapter.limits.posts_per_second_global * GLOBAL_MARGIN, 1e-6)
        for i, d in enumerate(rows):
            retry_at = await self._send_one(adapter, ref, d, stats, per_channel, per_platform)
            if retry_at is not None:
                # Keep the channel's order: the rest of the batch waits for the
                # failed alert (claim_due never hands out a row behind a waiting one).
                for rest in rows[i + 1 :]:
                    await self.store.mark_retry(
                        rest.id, "waiting for an earlier alert", retry_at, count_attempt=False
                    )
                return

    async def _send_one(
        self,
        adapter: ChatAdapter,
        ref: ChannelRef,
        d: Delivery,
        stats: DrainStats,
        per_channel: float,
        per_platform: float,
    ) -> datetime | None:
        """Post one delivery; return when to retry the channel, or None to go on."""
        bound = log.bind(channel=d.channel, delivery=d.id, story=d.story_id, kind=d.kind)
        plan = await self._prepare(d)
        if isinstance(plan, _Wait):
            # The event's first alert in this channel is not out yet.
            until = self.now() + timedelta(seconds=30)
            await self.store.mark_retry(d.id, "waiting for the event's first alert", until, count_attempt=False)
            return None
        if isinstance(plan, str):
            await self.store.mark_failed(d.id, plan)
            stats.failed += 1
            return None
        message, target = plan
        wait = max(
            self._pacer.reserve(f"ch:{d.channel}", per_channel),
            self._pacer.reserve(f"pf:{ref.platform}", per_platform),
        )
        if wait > 0:
            await self.sleep(wait)
        try:
            if target is None:
                result = await adapter.post(ref, message, idempotency_key=f"alliance-{d.id}")
            else:
                result = await adapter.update(ref, target, message)
        except DeliveryError as exc:
            return await self._failed(d, exc, stats, bound)
        except AllianceError as exc:
            return await self._failed(d, DeliveryError(str(exc), retryable=False), stats, bound)
        except Exception as exc:  # an adapter bug must not kill the worker
            bound.exception("adapter raised an unexpected error")
            err = DeliveryError(f"unexpected {type(exc).__name__}", retryable=True)
            return await self._failed(d, err, stats, bound)
        await self.store.mark_sent(d.id, result.message_id, self.now())
        stats.sent += 1
        bound.info("alert delivered", message_id=result.message_id)
        return None

    async def _prepare(self, d: Delivery) -> tuple[AlertMessage, str | None] | str | _Wait:
        """What to send: (message, None) to post, (message, message id) to edit,
        a string to record as a permanent failure, or _WAIT."""
        if d.kind != "update":
            message = await self._render(d.story_id)
            return (message, None) if message is not None else "the story no longer exists"
        stored = await self.store.story(d.story_id)
        if stored is None or stored.cluster_id is None:
            return "the story no longer exists"
        original = (await self.store.posts_of(stored.cluster_id)).get(d.channel)
        if original is None or original.status == "failed" or (
            original.status == "sent" and not original.message_id
        ):
            return "there is no alert for this event in the channel to update"
        if original.status != "sent":
            return _WAIT
        first = await self.store.story(stored.cluster_id)
        if first is None:
            return "the story no longer exists"
        members = await self.store.cluster_members(stored.cluster_id)
        # Every outlet but the first one, in the order they reported it; the
        # update is rendered from the whole cluster, so it is the same whichever
        # update row runs last (and a retried one changes nothing).
        outlets = tuple(
            dict.fromkeys(m.story.source for m in members if m.story.source != first.story.source)
        )
        assert original.message_id is not None
        return to_alert(first, also_reported_by=outlets), original.message_id

    async def _failed(
        self, d: Delivery, exc: DeliveryError, stats: DrainStats, bound: structlog.typing.FilteringBoundLogger
    ) -> datetime | None:
        attempts = d.attempts + 1
        if not exc.retryable or attempts >= self.policy.max_attempts:
            reason = str(exc) if not exc.retryable else f"gave up after {attempts} attempts: {exc}"
            await self.store.mark_failed(d.id, reason)
            stats.failed += 1
            stats.errors.append(f"{d.channel}: {reason}")
            bound.warning("alert delivery failed for good", error=reason)
            return None  # this row is done; the channel may continue
        wait = backoff_s(d.attempts, self.policy, exc.retry_after_s)
        until = self.now() + timedelta(seconds=wait)
        await self.store.mark_retry(d.id, str(exc), until)
        stats.retried += 1
        bound.info("alert delivery will be retried", error=str(exc), retry_in_s=round(wait, 1))
        return until

    async def _no_adapter(self, ref: ChannelRef, rows: list[Delivery], stats: DrainStats) -> None:
        msg = f"no {ref.platform} adapter is running (is its token set?)"
        if ref.platform not in self._warned_missing:
            self._warned_missing.add(ref.platform)
            log.warning("alerts wait for a chat platform", platform=ref.platform, reason=msg)
        until = self.now() + timedelta(seconds=self.policy.missing_adapter_retry_s)
        for d in rows:
            await self.store.mark_retry(d.id, msg, until, count_attempt=False)
        stats.retried += len(rows)
