"""Scheduled digests: when one is due (pure), and sending it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import structlog

from adapters.base import AlertMessage, ChannelRef
from bot.errors import AllianceError
from bot.query import parse_query
from bot.route import watchlist_resolver
from bot.store.store import Digest, StoredStory
from bot.summary import PERIODS, build_summary, render_summary_text

if TYPE_CHECKING:
    from bot.app import App

log = structlog.get_logger("alliance.digest")


def scheduled_instant(digest: Digest, now: datetime) -> datetime:
    """The most recent scheduled time at or before ``now`` (UTC)."""
    tz = ZoneInfo(digest.timezone)
    local = now.astimezone(tz)
    hh, mm = (int(x) for x in digest.at_time.split(":"))
    slot = local.replace(hour=hh, minute=mm, second=0, microsecond=0)
    if slot > local:
        slot -= timedelta(days=1)
    if digest.frequency == "weekly":
        # Weekly digests go out on Mondays.
        slot -= timedelta(days=slot.weekday())
        if slot > local:
            slot -= timedelta(days=7)
    return slot.astimezone(now.tzinfo)


def digest_due(digest: Digest, now: datetime) -> datetime | None:
    """The slot to send for, or None. A digest missed by more than a day is
    skipped rather than sent stale (the bot was down)."""
    slot = scheduled_instant(digest, now)
    if digest.last_sent_at is not None and digest.last_sent_at >= slot:
        return None
    if now - slot > timedelta(hours=24):
        return None
    if digest.last_sent_at is None and now - slot > timedelta(minutes=10):
        # A digest set up just now waits for its next slot instead of firing at once.
        return None
    return slot


async def send_due_digests(app: App) -> int:
    now = app.now()
    sent = 0
    for digest in await app.store.digests():
        slot = digest_due(digest, now)
        if slot is None:
            continue
        ref = ChannelRef.parse(digest.channel)
        adapter = app.adapters.get(ref.platform)
        if adapter is None:
            continue
        period = "24h" if digest.frequency == "daily" else "7d"
        stories = await app.store.recent_flagged(now - PERIODS[period], limit=5000)
        subs = [s for s in await app.store.subscriptions(digest.channel) if s.mode == "digest"]
        if subs:
            resolver = watchlist_resolver(app.watchlist)
            queries = [parse_query(s.query, resolver) for s in subs]
            stories = [
                s for s in stories if s.match and any(q.matches(s.story, s.match) for q in queries)
            ]
        watched = {n.lower() for n in app.watchlist.names()}
        summary = build_summary(stories, period=period, now=now, watched=watched)
        title = f"alliance-bot {digest.frequency} digest"
        png = await _map_png(stories, f"AI alliances, last {period}")
        try:
            await adapter.post(
                ref,
                AlertMessage(
                    title=title,
                    url="",
                    events=(),
                    summary=render_summary_text(summary),
                    image_png=png,
                ),
                idempotency_key=f"digest-{digest.channel}-{slot:%Y%m%d%H%M}",
            )
        except AllianceError as exc:
            log.warning("digest not delivered", channel=digest.channel, error=str(exc))
            continue
        await app.store.mark_digest_sent(digest.channel, now)
        sent += 1
    return sent


async def _map_png(stories: Sequence[StoredStory], title: str) -> bytes | None:
    """Render off the event loop (matplotlib takes a few hundred ms); a failed
    render costs the picture, never the digest."""
    from bot.mapimage import summary_png

    try:
        return await asyncio.to_thread(summary_png, stories, title=title)
    except Exception:
        log.exception("alliance map render failed")
        return None
