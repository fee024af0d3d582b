"""The repository: every read and write the bot makes, on SQLite or PostgreSQL.

Inserts that can race between workers use ON CONFLICT DO NOTHING on both
dialects, so two processes polling the same feed still store and alert a story
once.  Methods return frozen dataclasses, never live ORM rows, so nothing leaks
a session across an ``await``.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any, ParamSpec, TypeVar, cast

from sqlalchemy import Table, and_, bindparam, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from bot.errors import StoreError
from bot.store.db import describe_db_error
from bot.store.tables import (
    AuditRow,
    DeliveryRow,
    DigestRow,
    MuteRow,
    SettingOverrideRow,
    SourceRow,
    StoryRow,
    SubscriptionRow,
    WatchlistChangeRow,
)
from bot.types import Match, Story

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class SourceState:
    id: int
    name: str
    url: str
    interval_s: float | None
    enabled: bool
    origin: str
    etag: str | None
    last_modified: str | None
    failures: int
    last_status: int | None
    last_error: str | None
    last_error_kind: str | None
    last_polled_at: datetime | None
    last_success_at: datetime | None
    next_poll_at: datetime | None
    paused: bool
    paused_reason: str | None
    redirect_candidate: str | None

    @property
    def first_poll(self) -> bool:
        """Never polled successfully: the first pass records without flooding."""
        return self.last_success_at is None


@dataclass(frozen=True, slots=True)
class SourceUpdate:
    """Fields to change on a source after a poll; None means 'leave as is'
    except where ``clear`` names the field to set to NULL."""

    values: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StoredStory:
    id: int
    story: Story
    match: Match | None
    first_seen: datetime
    duplicate: bool
    cluster_id: int | None = None  # the id of the first story of its event


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    channel: str
    query: str
    mode: str
    origin: str
    created_by: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    story_id: int
    channel: str
    status: str
    kind: str
    message_id: str | None
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    channel: str
    action: str
    target: str
    old_value: str | None
    new_value: str | None


@dataclass(frozen=True, slots=True)
class Digest:
    channel: str
    frequency: str
    at_time: str
    timezone: str
    last_sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class WatchlistChange:
    name: str
    aliases: tuple[str, ...]
    removed: bool


def _new_source(
    name: str, url: str, interval_s: float | None, enabled: bool, origin: str, now: datetime
) -> SourceRow:
    return SourceRow(
        name=name,
        url=url,
        interval_s=interval_s,
        enabled=enabled,
        origin=origin,
        failures=0,
        paused=False,
        created_at=now,
    )


def _source(row: SourceRow) -> SourceState:
    return SourceState(**{f.name: getattr(row, f.name) for f in fields(SourceState)})


def _subscription(row: SubscriptionRow) -> Subscription:
    return Subscription(**{f.name: getattr(row, f.name) for f in fields(Subscription)})


def _delivery(row: DeliveryRow) -> Delivery:
    return Delivery(**{f.name: getattr(row, f.name) for f in fields(Delivery)})


def _guard(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Turn driver exceptions into a StoreError with a sentence a person can act on."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await fn(*args, **kwargs)
        except SQLAlchemyError as exc:
            store = args[0]
            assert isinstance(store, Store)
            raise StoreError(describe_db_error(exc, store.url_for_humans)) from exc

    return wrapper


class Store:
    def __init__(self, engine: AsyncEngine):
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self.url_for_humans = engine.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def _insert(self, table: Any) -> Any:
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    def session(self) -> AsyncSession:
        return self._sessions()

    async def close(self) -> None:
        await self.engine.dispose()

    # ---- sources -------------------------------------------------------------

    @_guard
    async def sync_sources(
        self, configured: Iterable[tuple[str, str, float | None, bool]], now: datetime
    ) -> None:
        """Make the config file's sources exist; keep their health state.

        A source removed from the file is disabled, not deleted, so its seen
        stories still dedup if it comes back.
        """
        configured = list(configured)
        names = {name for name, _, _, _ in configured}
        async with self.session() as s, s.begin():
            rows = {r.name: r for r in (await s.scalars(select(SourceRow))).all()}
            for name, url, interval_s, enabled in configured:
                row = rows.get(name)
                if row is None:
                    s.add(_new_source(name, url, interval_s, enabled, "config", now))
                    continue
                if row.url != url and row.origin == "config":
                    # The file's URL changed: start over with fresh validators.
                    row.url, row.etag, row.last_modified = url, None, None
                    row.redirect_candidate = None
                if row.origin == "removed":
                    continue  # an admin removed it from chat; the file doesn't bring it back
                row.interval_s, row.enabled = interval_s, enabled
            for name, row in rows.items():
                if row.origin == "config" and name not in names:
                    row.enabled = False

    @_guard
    async def add_source(self, name: str, url: str, interval_s: float | None, now: datetime) -> SourceState:
        async with self.session() as s, s.begin():
            row = _new_source(name, url, interval_s, True, "admin", now)
            s.add(row)
            await s.flush()
            return _source(row)

    @_guard
    async def remove_source(self, source_id: int) -> SourceState | None:
        """Admin-added sources are deleted; config-file ones are disabled for good
        (marked ``removed``), so a restart does not bring them back."""
        async with self.session() as s, s.begin():
            row = await s.get(SourceRow, source_id)
            if row is None:
                return None
            state = _source(row)
            if row.origin == "admin":
                await s.delete(row)
            else:
                row.origin, row.enabled = "removed", False
            return state

    @_guard
    async def source_by_id(self, source_id: int) -> SourceState | None:
        async with self.session() as s:
            row = await s.get(SourceRow, source_id)
            return _source(row) if row else None

    @_guard
    async def sources(self, *, enabled_only: bool = False) -> list[SourceState]:
        async with self.session() as s:
            q = select(SourceRow).order_by(SourceRow.id)
            if enabled_only:
                q = q.where(SourceRow.enabled.is_(True))
            return [_source(r) for r in (await s.scalars(q)).all()]

    @_guard
    async def source(self, name: str) -> SourceState | None:
        async with self.session() as s:
            row = await s.scalar(select(SourceRow).where(SourceRow.name == name))
            return _source(row) if row else None

    @_guard
    async def update_source(self, name: str, change: SourceUpdate) -> None:
        if not change.values:
            return
        async with self.session() as s, s.begin():
            await s.execute(update(SourceRow).where(SourceRow.name == name).values(**change.values))

    @_guard
    async def update_sources(self, changes: Sequence[tuple[str, SourceUpdate]]) -> None:
        """Many sources' poll outcomes in one transaction (a whole poll pass).

        Rows with the same set of changed columns go in one executemany; a pass
        of 1,000 unchanged feeds is then one commit instead of 1,000.
        """
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for name, change in changes:
            if change.values:
                cols = tuple(sorted(change.values))
                groups.setdefault(cols, []).append({"b_name": name, **change.values})
        if not groups:
            return
        table = cast(Table, SourceRow.__table__)
        async with self.engine.begin() as conn:
            for cols, rows in groups.items():
                stmt = (
                    update(table)
                    .where(table.c.name == bindparam("b_name"))
                    .values({c: bindparam(c) for c in cols})
                )
                await conn.execute(stmt, rows)

    # ---- stories -------------------------------------------------------------

    @_guard
    async def add_stories(
        self,
        stories: Sequence[tuple[Story, Match | None, bool]],
        now: datetime,
        *,
        route: frozenset[str] = frozenset(),
    ) -> list[StoredStory]:
        """Store stories not seen before; return only the new ones.

        ``(story, match, flagged)``. A story is "seen" when its (source, key) is
        stored, so an edited title never re-alerts. A new key whose canonical
        URL is already stored (another feed, a changed guid) is stored as a
        duplicate: remembered, never alerted again. Flagged new stories whose key
        is in ``route`` are marked ``pending_route`` in the same transaction.
        """
        if not stories:
            return []
        source = stories[0][0].source
        assert all(st.source == source for st, _, _ in stories), "one source per call"
        # One row per key (a feed may repeat an item); the first wins.
        batch = list({st.key: (st, m, f) for st, m, f in reversed(stories)}.values())[::-1]
        urls = list({st.url for st, _, _ in batch if st.url})
        async with self.session() as s, s.begin():
            seen_urls: dict[str, int] = {}
            for chunk in _chunks(urls, 500):
                for sid, url in (
                    await s.execute(select(StoryRow.id, StoryRow.url).where(StoryRow.url.in_(chunk)))
                ).all():
                    seen_urls.setdefault(url, sid)
            # Primaries first: stories whose URL is new, the first of each URL in
            # this batch. Later ones with the same URL point at them.
            primaries: list[tuple[Story, Match | None, bool]] = []
            repeats: list[tuple[Story, Match | None, bool]] = []
            batch_urls: set[str] = set()
            for item in batch:
                url = item[0].url
                if url and (url in seen_urls or url in batch_urls):
                    repeats.append(item)
                else:
                    primaries.append(item)
                    if url:
                        batch_urls.add(url)
            ids = await self._insert_stories(s, primaries, seen_urls, now, route)
            for (story, _, _), new_id in zip(primaries, ids, strict=True):
                if new_id is not None and story.url:
                    seen_urls.setdefault(story.url, new_id)
            repeat_ids = await self._insert_stories(s, repeats, seen_urls, now, route)
        out: list[StoredStory] = []
        for (story, match, _), new_id in zip(primaries + repeats, ids + repeat_ids, strict=True):
            if new_id is None:  # stored before (or by another worker just now)
                continue
            dup = story.url in seen_urls and seen_urls[story.url] != new_id if story.url else False
            out.append(StoredStory(new_id, story, match, now, dup))
        order = {st.key: i for i, (st, _, _) in enumerate(batch)}
        out.sort(key=lambda x: order[x.story.key])
        return out

    async def _insert_stories(
        self,
        s: AsyncSession,
        items: Sequence[tuple[Story, Match | None, bool]],
        seen_urls: dict[str, int],
        now: datetime,
        route: frozenset[str],
    ) -> list[int | None]:
        """Multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING: one round trip per
        200 stories instead of one per story. Returns the new id per item, None
        for an item whose (source, key) was already stored."""
        result: list[int | None] = []
        for chunk in _chunks(list(items), 200):
            rows = []
            for story, match, flagged in chunk:
                dup = seen_urls.get(story.url) if story.url else None
                rows.append(
                    {
                        "source": story.source,
                        "key": story.key,
                        "url": story.url,
                        "title": story.title,
                        "summary": story.summary,
                        "published": story.published,
                        "first_seen": now,
                        "flagged": flagged and dup is None,
                        "pending_route": flagged and dup is None and story.key in route,
                        "duplicate_of": dup,
                        "match": match.to_json() if match else None,
                    }
                )
            stmt = (
                self._insert(StoryRow)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["source", "key"])
                .returning(StoryRow.id, StoryRow.key)
            )
            by_key = {key: sid for sid, key in (await s.execute(stmt)).all()}
            result.extend(by_key.get(story.key) for story, _, _ in chunk)
        return result

    @_guard
    async def pending_routes(self, limit: int = 1000) -> list[StoredStory]:
        """Stories stored to alert whose deliveries were never queued (a crash)."""
        async with self.session() as s:
            q = (
                select(StoryRow)
                .where(StoryRow.pending_route.is_(True))
                .order_by(StoryRow.id)
                .limit(limit)
            )
            return [_stored(r) for r in (await s.scalars(q)).all()]

    @_guard
    async def queue_routed(
        self,
        story_id: int,
        posts: Iterable[str],
        updates: Iterable[str],
        now: datetime,
    ) -> int:
        """Queue a story's deliveries and clear its ``pending_route``, atomically."""
        async with self.session() as s, s.begin():
            n = await self._queue(s, story_id, "post", posts, now)
            n += await self._queue(s, story_id, "update", updates, now)
            await s.execute(
                update(StoryRow).where(StoryRow.id == story_id).values(pending_route=False)
            )
        return n

    async def _queue(
        self, s: AsyncSession, story_id: int, kind: str, channels: Iterable[str], now: datetime
    ) -> int:
        """Insert one pending delivery per channel; a (story, channel) pair is queued once, ever."""
        n = 0
        for channel in sorted(set(channels)):
            stmt = (
                self._insert(DeliveryRow)
                .values(
                    story_id=story_id,
                    channel=channel,
                    kind=kind,
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
                .on_conflict_do_nothing(index_elements=["story_id", "channel"])
                .returning(DeliveryRow.id)
            )
            if await s.scalar(stmt) is not None:
                n += 1
        return n

    @_guard
    async def set_cluster(self, story_id: int, cluster_id: int) -> None:
        async with self.session() as s, s.begin():
            await s.execute(
                update(StoryRow).where(StoryRow.id == story_id).values(cluster_id=cluster_id)
            )

    @_guard
    async def cluster_members(self, cluster_id: int) -> list[StoredStory]:
        async with self.session() as s:
            q = (
                select(StoryRow)
                .where(StoryRow.cluster_id == cluster_id)
                .order_by(StoryRow.first_seen, StoryRow.id)
            )
            return [_stored(r) for r in (await s.scalars(q)).all()]

    @_guard
    async def posts_of(self, story_id: int) -> dict[str, Delivery]:
        """The alert posts queued for a story, by channel (what cluster updates edit)."""
        async with self.session() as s:
            q = select(DeliveryRow).where(
                DeliveryRow.story_id == story_id, DeliveryRow.kind == "post"
            )
            return {r.channel: _delivery(r) for r in (await s.scalars(q)).all()}

    @_guard
    async def unseen_keys(self, source: str, keys: Sequence[str]) -> set[str]:
        """The keys of ``source`` not stored yet (so only new items are matched)."""
        seen: set[str] = set()
        async with self.session() as s:
            for chunk in _chunks(list(dict.fromkeys(keys)), 500):
                seen.update(
                    (
                        await s.scalars(
                            select(StoryRow.key).where(
                                StoryRow.source == source, StoryRow.key.in_(chunk)
                            )
                        )
                    ).all()
                )
        return set(keys) - seen

    @_guard
    async def story(self, story_id: int) -> StoredStory | None:
        async with self.session() as s:
            row = await s.get(StoryRow, story_id)
            return _stored(row) if row else None

    @_guard
    async def recent_flagged(self, since: datetime, limit: int = 1000) -> list[StoredStory]:
        async with self.session() as s:
            q = (
                select(StoryRow)
                .where(StoryRow.flagged.is_(True), StoryRow.first_seen >= since)
                .order_by(StoryRow.first_seen.desc(), StoryRow.id.desc())
                .limit(limit)
            )
            return [_stored(r) for r in (await s.scalars(q)).all()]

    # ---- subscriptions -------------------------------------------------------

    @_guard
    async def sync_config_subscriptions(
        self, configured: Iterable[tuple[str, str, str]], now: datetime
    ) -> None:
        """Config-file subscriptions mirror the file; chat-made ones are kept."""
        async with self.session() as s, s.begin():
            await s.execute(delete(SubscriptionRow).where(SubscriptionRow.origin == "config"))
            for channel, query, mode in configured:
                s.add(
                    SubscriptionRow(
                        channel=channel, query=query, mode=mode, origin="config", created_at=now
                    )
                )

    @_guard
    async def add_subscription(
        self, channel: str, query: str, mode: str, created_by: str | None, now: datetime
    ) -> Subscription:
        async with self.session() as s, s.begin():
            row = SubscriptionRow(
                channel=channel,
                query=query,
                mode=mode,
                origin="chat",
                created_by=created_by,
                created_at=now,
            )
            s.add(row)
            await s.flush()
            return _subscription(row)

    @_guard
    async def remove_subscriptions(self, channel: str, sub_id: int | None) -> int:
        async with self.session() as s, s.begin():
            q = delete(SubscriptionRow).where(SubscriptionRow.channel == channel)
            if sub_id is not None:
                q = q.where(SubscriptionRow.id == sub_id)
            result = await s.execute(q)
            return int(getattr(result, "rowcount", 0) or 0)

    @_guard
    async def subscriptions(self, channel: str | None = None) -> list[Subscription]:
        async with self.session() as s:
            q = select(SubscriptionRow).order_by(SubscriptionRow.id)
            if channel is not None:
                q = q.where(SubscriptionRow.channel == channel)
            return [_subscription(r) for r in (await s.scalars(q)).all()]

    # ---- outbox --------------------------------------------------------------

    @_guard
    async def enqueue(
        self, story_id: int, channels: Iterable[str], now: datetime, *, kind: str = "post"
    ) -> int:
        """Queue one delivery per channel; a (story, channel) pair is queued once, ever."""
        async with self.session() as s, s.begin():
            return await self._queue(s, story_id, kind, channels, now)

    @_guard
    async def claim_due(
        self, now: datetime, *, limit: int = 100, lease_s: float = 120.0
    ) -> list[Delivery]:
        """Lease due deliveries, oldest first (so a channel gets alerts in order).

        The lease makes a second worker skip them; if this worker dies, the
        lease expires and the delivery is retried (with the same idempotency
        key, so Discord drops the duplicate).
        """
        until = now + timedelta(seconds=lease_s)
        earlier = aliased(DeliveryRow)
        # A row waits while an earlier alert for its channel is waiting to be
        # retried: alerts reach a channel in the order they were queued.
        blocked = (
            select(earlier.id)
            .where(
                earlier.channel == DeliveryRow.channel,
                earlier.status == "pending",
                earlier.id < DeliveryRow.id,
                earlier.next_attempt_at > now,
            )
            .exists()
        )
        async with self.session() as s, s.begin():
            q = (
                select(DeliveryRow)
                .where(
                    DeliveryRow.status == "pending",
                    DeliveryRow.next_attempt_at <= now,
                    or_(DeliveryRow.leased_until.is_(None), DeliveryRow.leased_until < now),
                    ~blocked,
                )
                .order_by(DeliveryRow.id)
                .limit(limit)
            )
            if self.dialect == "postgresql":
                q = q.with_for_update(skip_locked=True)
            rows = (await s.scalars(q)).all()
            for row in rows:
                row.leased_until = until
            return [_delivery(r) for r in rows]

    @_guard
    async def mark_sent(self, delivery_id: int, message_id: str, now: datetime) -> None:
        async with self.session() as s, s.begin():
            await s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id == delivery_id)
                .values(
                    status="sent",
                    message_id=message_id,
                    sent_at=now,
                    leased_until=None,
                    attempts=DeliveryRow.attempts + 1,
                    last_error=None,
                )
            )

    @_guard
    async def mark_retry(
        self, delivery_id: int, error: str, next_attempt_at: datetime, *, count_attempt: bool = True
    ) -> None:
        async with self.session() as s, s.begin():
            values: dict[str, Any] = {
                "last_error": error[:500],
                "next_attempt_at": next_attempt_at,
                "leased_until": None,
            }
            if count_attempt:
                values["attempts"] = DeliveryRow.attempts + 1
            await s.execute(update(DeliveryRow).where(DeliveryRow.id == delivery_id).values(**values))

    @_guard
    async def mark_failed(self, delivery_id: int, error: str) -> None:
        async with self.session() as s, s.begin():
            await s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id == delivery_id)
                .values(
                    status="failed",
                    last_error=error[:500],
                    leased_until=None,
                    attempts=DeliveryRow.attempts + 1,
                )
            )

    @_guard
    async def deliveries(
        self, *, status: str | None = None, channel: str | None = None
    ) -> list[Delivery]:
        async with self.session() as s:
            q = select(DeliveryRow).order_by(DeliveryRow.id)
            if status is not None:
                q = q.where(DeliveryRow.status == status)
            if channel is not None:
                q = q.where(DeliveryRow.channel == channel)
            return [_delivery(r) for r in (await s.scalars(q)).all()]

    @_guard
    async def pending_count(self, now: datetime | None = None) -> int:
        async with self.session() as s:
            q = select(func.count()).select_from(DeliveryRow).where(DeliveryRow.status == "pending")
            if now is not None:
                q = q.where(and_(DeliveryRow.next_attempt_at <= now))
            return int(await s.scalar(q) or 0)


    # ---- admin state ---------------------------------------------------------

    @_guard
    async def audit(
        self,
        *,
        actor: str,
        channel: str,
        action: str,
        target: str,
        old: str | None,
        new: str | None,
        now: datetime,
    ) -> None:
        async with self.session() as s, s.begin():
            s.add(
                AuditRow(
                    at=now,
                    actor=actor[:200],
                    channel=channel[:200],
                    action=action[:64],
                    target=target[:300],
                    old_value=old,
                    new_value=new,
                )
            )

    @_guard
    async def audit_history(self, limit: int = 20) -> list[AuditEntry]:
        async with self.session() as s:
            rows = (
                await s.scalars(select(AuditRow).order_by(AuditRow.id.desc()).limit(limit))
            ).all()
            return [AuditEntry(**{f.name: getattr(r, f.name) for f in fields(AuditEntry)}) for r in rows]

    @_guard
    async def overrides(self) -> dict[str, str]:
        async with self.session() as s:
            return {r.key: r.value for r in (await s.scalars(select(SettingOverrideRow))).all()}

    @_guard
    async def set_override(self, key: str, value: str, by: str, now: datetime) -> None:
        async with self.session() as s, s.begin():
            row = await s.get(SettingOverrideRow, key)
            if row is None:
                s.add(SettingOverrideRow(key=key, value=value, updated_at=now, updated_by=by))
            else:
                row.value, row.updated_at, row.updated_by = value, now, by

    @_guard
    async def watchlist_changes(self) -> list[WatchlistChange]:
        async with self.session() as s:
            rows = (await s.scalars(select(WatchlistChangeRow).order_by(WatchlistChangeRow.name))).all()
            return [WatchlistChange(r.name, tuple(r.aliases or ()), r.removed) for r in rows]

    @_guard
    async def set_watchlist_change(
        self, name: str, aliases: Sequence[str], removed: bool, by: str, now: datetime
    ) -> None:
        async with self.session() as s, s.begin():
            row = await s.get(WatchlistChangeRow, name)
            if row is None:
                s.add(
                    WatchlistChangeRow(
                        name=name, aliases=list(aliases), removed=removed, updated_at=now, updated_by=by
                    )
                )
            else:
                row.aliases, row.removed, row.updated_at, row.updated_by = list(aliases), removed, now, by

    @_guard
    async def mutes(self) -> dict[str, set[str]]:
        """channel -> muted canonical company names (lowercase)."""
        out: dict[str, set[str]] = {}
        async with self.session() as s:
            for r in (await s.scalars(select(MuteRow))).all():
                out.setdefault(r.channel, set()).add(r.company.lower())
        return out

    @_guard
    async def add_mute(self, channel: str, company: str, by: str, now: datetime) -> bool:
        """Mute ``company`` in ``channel``; names compare case-insensitively."""
        async with self.session() as s, s.begin():
            existing = await s.scalar(
                select(MuteRow.id).where(
                    MuteRow.channel == channel, func.lower(MuteRow.company) == company.lower()
                )
            )
            if existing is not None:
                return False
            stmt = (
                self._insert(MuteRow)
                .values(channel=channel, company=company, created_at=now, created_by=by)
                .on_conflict_do_nothing(index_elements=["channel", "company"])
                .returning(MuteRow.id)
            )
            return await s.scalar(stmt) is not None

    @_guard
    async def remove_mute(self, channel: str, company: str) -> bool:
        async with self.session() as s, s.begin():
            result = await s.execute(
                delete(MuteRow).where(
                    MuteRow.channel == channel, func.lower(MuteRow.company) == company.lower()
                )
            )
            return bool(getattr(result, "rowcount", 0))

    @_guard
    async def set_digest(
        self, channel: str, frequency: str | None, at_time: str, timezone: str, now: datetime
    ) -> Digest | None:
        async with self.session() as s, s.begin():
            row = await s.get(DigestRow, channel)
            if frequency is None:
                if row is not None:
                    await s.delete(row)
                return None
            if row is None:
                row = DigestRow(
                    channel=channel, frequency=frequency, at_time=at_time, timezone=timezone, created_at=now
                )
                s.add(row)
            else:
                row.frequency, row.at_time, row.timezone = frequency, at_time, timezone
            return Digest(channel, frequency, at_time, timezone, row.last_sent_at)

    @_guard
    async def digests(self) -> list[Digest]:
        async with self.session() as s:
            rows = (await s.scalars(select(DigestRow).order_by(DigestRow.channel))).all()
            return [Digest(r.channel, r.frequency, r.at_time, r.timezone, r.last_sent_at) for r in rows]

    @_guard
    async def mark_digest_sent(self, channel: str, at: datetime) -> None:
        async with self.session() as s, s.begin():
            await s.execute(update(DigestRow).where(DigestRow.channel == channel).values(last_sent_at=at))


def _stored(row: StoryRow) -> StoredStory:
    story = Story(
        source=row.source,
        key=row.key,
        url=row.url,
        title=row.title,
        summary=row.summary,
        published=row.published,
    )
    return StoredStory(
        row.id,
        story,
        match_from_json(row.match),
        row.first_seen,
        row.duplicate_of is not None,
        row.cluster_id,
    )


def match_from_json(data: dict[str, Any] | None) -> Match | None:
    if not data:
        return None
    from bot.types import Amount, Evidence

    amount = data.get("amount")
    return Match(
        ai=bool(data.get("ai")),
        events=tuple(data.get("events") or ()),
        parties=tuple(data.get("parties") or ()),
        amount=Amount(float(amount["value"]), str(amount["currency"])) if amount else None,
        round=data.get("round"),
        confidence=float(data.get("confidence") or 0.0),
        evidence=tuple(
            Evidence(e["signal"], e["field"], e["start"], e["end"], e["text"])
            for e in data.get("evidence") or ()
        ),
    )


T = TypeVar("T")


def _chunks(items: Sequence[T], n: int) -> Iterable[Sequence[T]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


def utcnow() -> datetime:
    return datetime.now(UTC)
