"""APScheduler 3 wiring: one interval job per source, plus the outbox and a reconciler.

Each poll job runs with jitter (so feeds on one host don't poll in lockstep),
``coalesce`` (a missed run is run once, not N times) and ``max_instances=1``
(a slow feed never overlaps itself).  Whether a source is actually due (after
backoff or Retry-After) is decided from the store, so the schedule here stays
simple and all state survives restarts.
"""

from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

if TYPE_CHECKING:
    from bot.app import App

log = structlog.get_logger("alliance.scheduler")

OUTBOX_EVERY_S = 2.0
RECONCILE_EVERY_S = 60.0
DIGEST_EVERY_S = 60.0


def _job_id(name: str) -> str:
    return f"poll:{name}"


async def _poll_job(app: App, name: str) -> None:
    # poll_named already records per-source failures; this catch-all keeps a
    # bug from reaching APScheduler, and binds the source for the log line.
    with app.tracked():
        try:
            await app.poller.poll_named(name)
        except asyncio.CancelledError:
            # Shutdown cancels polls that outlive the grace period; the
            # source is simply polled again after the restart.
            log.info("poll interrupted by shutdown", source=name)
        except Exception:
            log.exception("poll job failed", source=name)


async def _outbox_job(app: App) -> None:
    with app.tracked():
        try:
            await app.outbox.drain()
        except asyncio.CancelledError:
            log.info("delivery interrupted by shutdown; pending alerts resume on restart")
        except Exception:
            log.exception("outbox job failed")


async def _digest_job(app: App) -> None:
    from bot.digests import send_due_digests

    with app.tracked():
        try:
            await send_due_digests(app)
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("digest job failed")


async def _reconcile_job(app: App, scheduler: AsyncIOScheduler) -> None:
    """Sources added or removed from chat take effect without a restart."""
    try:
        await reconcile(app, scheduler, now=app.now())
    except Exception:
        log.exception("reconcile job failed")


async def reconcile(app: App, scheduler: AsyncIOScheduler, *, now: datetime) -> None:
    sources = await app.store.sources(enabled_only=True)
    wanted = {_job_id(s.name): s for s in sources}
    for job in scheduler.get_jobs():
        if job.id.startswith("poll:") and job.id not in wanted:
            job.remove()
    jitter = app.settings.poll.jitter
    for job_id, s in wanted.items():
        interval = s.interval_s or app.settings.poll.default_interval
        existing = scheduler.get_job(job_id)
        if (
            existing is not None
            and getattr(existing.trigger, "interval_length", None) == interval
            and getattr(existing.trigger, "jitter", None) == (int(jitter) or None)
        ):
            continue
        # Spread first runs over a few seconds instead of a thundering herd.
        first = now + timedelta(seconds=random.uniform(0, min(3.0, interval)))
        scheduler.add_job(
            _poll_job,
            IntervalTrigger(seconds=interval, jitter=int(jitter) or None),
            args=[app, s.name],
            id=job_id,
            name=f"poll {s.name}",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=int(interval),
            next_run_time=first,
            replace_existing=True,
        )


def build_scheduler(app: App, *, now: datetime) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        _outbox_job,
        IntervalTrigger(seconds=OUTBOX_EVERY_S),
        args=[app],
        id="outbox",
        coalesce=True,
        max_instances=1,
    )
    scheduler.add_job(
        _digest_job,
        IntervalTrigger(seconds=DIGEST_EVERY_S),
        args=[app],
        id="digests",
        coalesce=True,
        max_instances=1,
    )
    scheduler.add_job(
        _reconcile_job,
        IntervalTrigger(seconds=RECONCILE_EVERY_S),
        args=[app, scheduler],
        id="reconcile",
        coalesce=True,
        max_instances=1,
        next_run_time=now,
    )
    return scheduler
