"""One poll of one source: fetch -> parse -> dedup -> match -> route -> outbox.

Every failure is recorded against its source (health, backoff, pause) and
returned as that source's result; nothing here lets one feed stop another.
"""

from __future__ import annotations

import asyncio
import contextvars
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import structlog

from bot.errors import AllianceError, ParseError
from bot.events import EventTracker
from bot.health import HealthPolicy, after_failure, after_success, is_due
from bot.route import Router
from bot.store.store import SourceState, SourceUpdate, Store, StoredStory
from bot.types import FetchResult, Match, ParsedFeed, PollStats, Result, Story

log = structlog.get_logger("alliance.poll")

_PASS_BATCH: contextvars.ContextVar[list[tuple[str, SourceUpdate]] | None] = contextvars.ContextVar(
    "alliance_pass_batch", default=None
)


class FeedFetcher(Protocol):
    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult: ...


class FeedParser(Protocol):
    async def parse(
        self, body: bytes, *, url: str, content_type: str | None, now: datetime
    ) -> ParsedFeed: ...


class Classifier(Protocol):
    def classify(self, story: Story) -> Match: ...


StoryMaker = Callable[[ParsedFeed, str, datetime], list[Story]]
AdminNotifier = Callable[[str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class PollPolicy:
    default_interval_s: float = 900.0
    first_poll_max_age_s: float = 86400.0
    acquisitions: bool = False
    min_confidence: float = 0.0
    health: HealthPolicy = HealthPolicy()
    concurrency: int = 32


def alertable(story: Story, *, first_poll: bool, now: datetime, max_age_s: float) -> bool:
    """Pure: may this newly seen story alert?

    On a source's first poll only dated items younger than ``max_age_s`` do:
    the rest were published before we watched, and a new source must not
    flood channels with its back catalogue.
    """
    if not first_poll:
        return True
    return story.dated and story.published >= now - timedelta(seconds=max_age_s)


class Poller:
    def __init__(
        self,
        *,
        store: Store,
        fetcher: FeedFetcher,
        parser: FeedParser,
        classifier: Classifier,
        make_stories: StoryMaker,
        router: Callable[[], Awaitable[Router]],
        policy: PollPolicy,
        now: Callable[[], datetime],
        rng: random.Random | None = None,
        notify_admin: AdminNotifier | None = None,
        events: EventTracker | None = None,
    ):
        self.store = store
        self.fetcher = fetcher
        self.parser = parser
        self.classifier = classifier
        self.make_stories = make_stories
        self.router = router
        self.policy = policy
        self.now = now
        self.rng = rng or random.Random()
        self.notify_admin = notify_admin
        self.events = events

    def interval_for(self, state: SourceState) -> float:
        return state.interval_s or self.policy.default_interval_s

    async def _save(self, name: str, change: SourceUpdate) -> None:
        batch = _PASS_BATCH.get()
        if batch is not None:
            batch.append((name, change))
        else:
            await self.store.update_source(name, change)

    async def poll_all(self, *, force: bool = False) -> list[Result[PollStats]]:
        """Poll every enabled source (every due one unless ``force``), concurrently.

        The sources' new state (validators, health, next poll) is written in one
        transaction at the end of the pass; a crash mid-pass only means those
        feeds are fetched again in full, and their items are deduplicated.
        """
        batch: list[tuple[str, SourceUpdate]] = []
        # A context variable, not an attribute: polls run by the scheduler at the
        # same time are not part of this pass and write their own state.
        token = _PASS_BATCH.set(batch)
        try:
            return await self._poll_all(force=force)
        finally:
            _PASS_BATCH.reset(token)
            await self.store.update_sources(batch)

    async def _poll_all(self, *, force: bool) -> list[Result[PollStats]]:
        now = self.now()
        states = [
            s
            for s in await self.store.sources(enabled_only=True)
            if (force and not s.paused) or is_due(s, now)
        ]
        router = await self.router()
        sem = asyncio.Semaphore(self.policy.concurrency)

        async def one(state: SourceState) -> Result[PollStats]:
            async with sem:
                return await self.poll_result(state, router)

        return list(await asyncio.gather(*(one(s) for s in states)))

    async def poll_named(self, name: str) -> Result[PollStats] | None:
        """The scheduler's job: poll ``name`` if it is due (state read fresh from the store)."""
        state = await self.store.source(name)
        if state is None or not is_due(state, self.now()):
            return None
        return await self.poll_result(state, await self.router())

    async def poll_result(self, state: SourceState, router: Router) -> Result[PollStats]:
        bound = log.bind(source=state.name)
        try:
            stats = await self.poll_source(state, router)
        except AllianceError as exc:
            bound.warning("poll failed", error=str(exc), kind=getattr(exc, "kind", None))
            return Result(state.name, error=exc)
        except Exception as exc:  # a bug must not stop the other sources
            bound.exception("poll crashed")
            err = AllianceError(f"internal error while polling: {type(exc).__name__}")
            await self._record_failure(state, err)
            return Result(state.name, error=err)
        bound.info(
            "polled",
            status=stats.status,
            entries=stats.entries,
            new=stats.new,
            flagged=stats.flagged,
            queued=stats.queued,
        )
        return Result(state.name, value=stats)

    async def _record_failure(self, state: SourceState, error: AllianceError) -> None:
        decision = after_failure(
            state,
            error,
            interval_s=self.interval_for(state),
            now=self.now(),
            policy=self.policy.health,
            rng=self.rng,
        )
        await self._save(state.name, decision.update)
        if decision.paused_now and self.notify_admin is not None:
            await self.notify_admin(
                f"Source '{state.name}' is paused: {decision.reason}. "
                f"Fix the feed, then resume it with `/alliance sources resume {state.id}`."
            )

    async def poll_source(self, state: SourceState, router: Router) -> PollStats:
        now = self.now()
        try:
            result = await self.fetcher.fetch(
                state.url, etag=state.etag, last_modified=state.last_modified
            )
            if result.not_modified:
                await self._save(
                    state.name,
                    after_success(state, result, interval_s=self.interval_for(state), now=now),
                )
                return PollStats(state.name, 304)
            if not result.body:
                raise ParseError("the server answered 200 with an empty body", kind="not_feed")
            feed = await self.parser.parse(
                result.body, url=result.url, content_type=result.content_type, now=now
            )
        except AllianceError as exc:
            await self._record_failure(state, exc)
            raise
        stories = self.make_stories(feed, state.name, now)
        stats = await self._ingest(state, stories, router, now)
        await self._save(
            state.name, after_success(state, result, interval_s=self.interval_for(state), now=now)
        )
        return PollStats(
            state.name,
            result.status,
            entries=len(feed.entries),
            new=stats[0],
            flagged=stats[1],
            queued=stats[2],
            stories=stats[3],
        )

    async def _ingest(
        self, state: SourceState, stories: Sequence[Story], router: Router, now: datetime
    ) -> tuple[int, int, int, tuple[tuple[Story, Match], ...]]:
        unseen = await self.store.unseen_keys(state.name, [s.key for s in stories])
        rows: list[tuple[Story, Match, bool]] = []
        for story in stories:
            if story.key not in unseen:
                continue
            match = self.classifier.classify(story)
            alert = (
                match.is_alert(acquisitions=self.policy.acquisitions)
                and match.confidence >= self.policy.min_confidence
            )
            rows.append((story, match, alert))
        route = frozenset(
            st.key
            for st, _, alert in rows
            if alert
            and alertable(
                st,
                first_poll=state.first_poll,
                now=now,
                max_age_s=self.policy.first_poll_max_age_s,
            )
        )
        stored = await self.store.add_stories(rows, now, route=route)
        flagged: list[tuple[Story, Match]] = []
        queued = 0
        alert_by_key = {st.key: alert for st, _, alert in rows}
        for s in stored:
            if s.duplicate or not alert_by_key.get(s.story.key) or s.match is None:
                continue
            if s.story.key not in route:
                # Too old to alert, but it joins its event, so a later copy of an
                # old event is recognised instead of alerting.
                if self.events is not None:
                    await self.events.place(s)
                continue
            flagged.append((s.story, s.match))
            queued += await self._route(s, router, now)
        return len(stored), len(flagged), queued, tuple(flagged)

    async def _route(self, s: StoredStory, router: Router, now: datetime) -> int:
        assert s.match is not None
        cluster_id = s.id
        if self.events is not None:
            cluster_id = s.cluster_id if s.cluster_id is not None else await self.events.place(s)
        return await self._deliver(s.id, cluster_id, router.route(s.story, s.match), now)

    async def recover(self) -> int:
        """Queue the deliveries of stories stored to alert before a crash cut
        the poll short (``pending_route``); queueing is idempotent per channel."""
        pending = await self.store.pending_routes()
        if not pending:
            return 0
        router = await self.router()
        queued = 0
        for s in pending:
            if s.match is None:
                await self.store.queue_routed(s.id, (), (), self.now())
                continue
            queued += await self._route(s, router, self.now())
        log.info("finished interrupted alerts", stories=len(pending), queued=queued)
        return queued

    async def _deliver(self, story_id: int, cluster_id: int, channels: list[str], now: datetime) -> int:
        """A new event is posted; another outlet's story of a known event updates
        the alert each channel already has, and is posted only where the event
        was not alerted before (a channel whose query only this story matches)."""
        if cluster_id == story_id:
            return await self.store.queue_routed(story_id, channels, (), now)
        posts = await self.store.posts_of(cluster_id)
        updates = [ch for ch, d in posts.items() if d.status != "failed"]
        fresh = [ch for ch in channels if ch not in posts]
        return await self.store.queue_routed(story_id, fresh, updates, now)
