"""Composition root: builds every stage from the configuration and wires them.

Nothing below this module reads the environment or creates global state; this
is the one place that knows which concrete fetcher, parser, matcher, store and
chat adapters the process uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import random
import signal
import sys
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import TextIO

import aiohttp
import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from adapters.base import AlertMessage, ChannelRef, ChatAdapter
from adapters.console import ConsoleAdapter
from bot.commands import COMMANDS, CommandService, apply_override
from bot.errors import AllianceError, CommandError, ParseError
from bot.events import EventTracker
from bot.fetch import Fetcher, FetchSettings, create_session
from bot.health import HealthPolicy
from bot.matcher import Matcher, Watchlist, load_watchlist
from bot.normalize import to_stories
from bot.outbox import OutboxWorker
from bot.parse import ParserPool
from bot.poller import Poller, PollPolicy
from bot.route import Router, watchlist_resolver
from bot.settings import AppConfig, Settings
from bot.store import Store, open_store
from bot.types import ParsedFeed, PollStats, Result, Story

log = structlog.get_logger("alliance.app")

USER_AGENT = "alliance-bot/0.1 (+https://github.com/alliance-bot/alliance-bot; self-hosted news alert bot)"


def utcnow() -> datetime:
    return datetime.now(UTC)


def fetch_settings(settings: Settings) -> FetchSettings:
    f = settings.fetch
    return FetchSettings(
        connect_timeout=f.connect_timeout,
        read_timeout=f.read_timeout,
        total_timeout=f.total_timeout,
        max_bytes=f.max_bytes,
        max_redirects=f.max_redirects,
        per_host_limit=f.per_host_limit,
        total_limit=f.total_limit,
        user_agent=f.user_agent or USER_AGENT,
        allow_private_networks=f.allow_private_networks,
    )


def poll_policy(settings: Settings) -> PollPolicy:
    p = settings.poll
    return PollPolicy(
        default_interval_s=p.default_interval,
        first_poll_max_age_s=p.first_poll_max_age,
        acquisitions=settings.matcher.acquisitions,
        min_confidence=settings.matcher.min_confidence,
        health=HealthPolicy(
            max_backoff_s=p.max_backoff, pause_after_failures=p.pause_after_failures
        ),
    )


class App:
    """One running alliance-bot: use ``async with App(config) as app``."""

    def __init__(
        self,
        config: AppConfig,
        *,
        adapters: Mapping[str, ChatAdapter] | None = None,
        now: Callable[[], datetime] = utcnow,
        stdout: TextIO | None = None,
    ):
        self.config = config
        self._settings = config.settings
        self.now = now
        self.stdout = stdout or sys.stdout
        self._given_adapters = dict(adapters or {})
        self.adapters: dict[str, ChatAdapter] = {}
        self.store: Store
        self.watchlist: Watchlist
        self.matcher: Matcher
        self.poller: Poller
        self.outbox: OutboxWorker
        self._parser: ParserPool | None = None
        self._session: aiohttp.ClientSession | None = None
        self._inflight: set[asyncio.Task[object]] = set()
        self._scheduler: AsyncIOScheduler | None = None
        self._router: Router | None = None
        self._router_built = datetime.min.replace(tzinfo=UTC)

    @contextlib.contextmanager
    def tracked(self) -> Iterator[None]:
        """Mark the current task as in-flight work that shutdown waits for."""
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._inflight.discard(task)

    # ---- lifecycle -----------------------------------------------------------

    async def __aenter__(self) -> App:
        try:
            await self._open()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def settings(self) -> Settings:
        """The effective settings: the config file plus changes made from chat."""
        return self._settings

    async def _open(self) -> None:
        s = self.settings
        now = self.now()
        self.store = await open_store(s.database_url)
        s = self._settings = await self._with_overrides(s)
        await self.store.sync_sources(
            ((src.name, src.url, src.interval, src.enabled) for src in s.sources), now
        )
        await self.store.sync_config_subscriptions(
            ((sub.channel, sub.query, sub.mode) for sub in s.subscriptions), now
        )
        self.watchlist = await self._with_watchlist_changes(load_watchlist(self.config.watchlist_file))
        self.matcher = Matcher(self.watchlist)
        fs = fetch_settings(s)
        session = create_session(fs)
        self._session = session
        fetcher = Fetcher(session, fs, clock=self.now)
        self._parser = ParserPool(workers=_parse_workers())
        self._bound_parser = _BoundParser(self._parser, s.poll.max_entries)
        self.adapters = {"console": ConsoleAdapter(self.stdout)}
        self.adapters.update(self._given_adapters)
        self.poller = Poller(
            store=self.store,
            fetcher=fetcher,
            parser=self._bound_parser,
            classifier=self.matcher,
            make_stories=_make_stories,
            router=self.router,
            policy=poll_policy(s),
            now=self.now,
            rng=random.Random(),
            notify_admin=self.notify_admin,
            events=EventTracker(self.store, self.now),
        )
        self.outbox = OutboxWorker(self.store, self.adapters, now=self.now)
        self.commands = CommandService(self.store, self, self.now)

    async def close(self) -> None:
        for adapter in list(self.adapters.values()):
            try:
                await adapter.close()
            except Exception:
                log.exception("adapter close failed", platform=adapter.platform)
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._parser is not None:
            self._parser.close()
            self._parser = None
        if hasattr(self, "store"):
            await self.store.close()

    # ---- stages --------------------------------------------------------------

    async def router(self) -> Router:
        """The routing table, rebuilt when chat changes it or every 15 s.

        The TTL bounds how long another worker process's changes take to
        show up here; building is cheap next to a poll, but not free with
        thousands of subscriptions, so it is not rebuilt for every feed.
        """
        now = self.now()
        if self._router is not None and (now - self._router_built).total_seconds() < 15:
            return self._router
        subs = await self.store.subscriptions()
        self._router = Router.build(
            subs, watchlist_resolver(self.watchlist), mutes=await self.store.mutes()
        )
        self._router_built = now
        return self._router

    async def routing_changed(self) -> None:
        self._router = None

    # ---- the Runtime that chat commands change -----------------------------------

    async def _with_overrides(self, settings: Settings) -> Settings:
        for key, raw in sorted((await self.store.overrides()).items()):
            try:
                settings = apply_override(settings, key, json.loads(raw))
            except (CommandError, ValueError) as exc:
                # A value valid when set may not be after an upgrade: keep going.
                log.warning("ignoring a stored setting", key=key, error=str(exc))
        return settings

    async def _with_watchlist_changes(self, watchlist: Watchlist) -> Watchlist:
        for change in await self.store.watchlist_changes():
            entry = watchlist.lookup(change.name)
            if entry is not None:
                watchlist = watchlist.without(entry.name)
            if not change.removed:
                kind = entry.kind if entry is not None else "company"
                watchlist = watchlist.with_entry(change.name, change.aliases, kind)
        return watchlist

    async def apply_settings(self, settings: Settings) -> None:
        self._settings = settings
        self.poller.policy = poll_policy(settings)
        self._bound_parser.max_entries = settings.poll.max_entries
        await self.sources_changed()

    async def apply_watchlist(self, watchlist: Watchlist) -> None:
        self.watchlist = watchlist
        self.matcher = Matcher(watchlist)
        self.poller.classifier = self.matcher
        self._router = None  # company words in queries resolve through the watchlist

    async def sources_changed(self) -> None:
        if self._scheduler is not None:
            from bot.scheduler import reconcile

            await reconcile(self, self._scheduler, now=self.now())

    async def probe_source(self, url: str) -> tuple[str, int]:
        """Fetch and parse a URL a user wants to add; discover the feed of an HTML page once."""
        from bot.discovery import discover_feed_url

        now = self.now()
        result = await self.poller.fetcher.fetch(url)
        body = result.body or b""
        try:
            feed = await self.poller.parser.parse(
                body, url=result.url, content_type=result.content_type, now=now
            )
            return result.url, len(feed.entries)
        except ParseError as exc:
            found = discover_feed_url(body, base=result.url) if exc.kind == "not_feed" else None
            if found is None:
                raise
        # The discovered URL goes through the same guarded fetcher as any other.
        result = await self.poller.fetcher.fetch(found)
        feed = await self.poller.parser.parse(
            result.body or b"", url=result.url, content_type=result.content_type, now=now
        )
        return result.url, len(feed.entries)

    async def autocomplete(self, kind: str, typed: str, limit: int = 25) -> list[str]:
        """Suggestions for a command option: watched companies or source names."""
        typed = typed.strip().lower()
        if kind == "companies":
            names = sorted(self.watchlist.names(), key=str.lower)
        elif kind == "sources":
            names = [
                f"{s.id} {s.name}"
                for s in await self.store.sources()
                if s.origin != "removed"
            ]
        else:
            return []
        starts = [n for n in names if n.lower().startswith(typed)]
        contains = [n for n in names if typed in n.lower() and n not in starts]
        return (starts + contains)[:limit]

    async def post_notice(self, channel: str, message: AlertMessage) -> bool:
        """Post a non-story message (a summary's map) straight to a channel."""
        ref = ChannelRef.parse(channel)
        adapter = self.adapters.get(ref.platform)
        if adapter is None:
            return False
        key = hashlib.sha256(f"{channel}|{message.title}|{self.now():%Y%m%d%H%M}".encode()).hexdigest()
        try:
            await adapter.post(ref, message, idempotency_key="notice-" + key[:24])
        except AllianceError as exc:
            log.warning("notice not delivered", channel=channel, error=str(exc))
            return False
        return True

    async def notify_admin(self, text: str) -> None:
        channel = self.settings.admin.channel
        log.warning("admin notice", notice=text, channel=channel)
        if not channel:
            return
        ref = ChannelRef.parse(channel)
        adapter = self.adapters.get(ref.platform)
        if adapter is None:
            return
        try:
            await adapter.post(
                ref,
                AlertMessage(title="alliance-bot: source paused", url="", events=(), summary=text),
                idempotency_key="admin-" + hashlib.sha256(text.encode()).hexdigest()[:24],
            )
        except AllianceError as exc:
            log.warning("admin notice not delivered", error=str(exc))

    async def poll_once(self, *, force: bool = True) -> list[Result[PollStats]]:
        """One pass over every source, then deliver what it queued."""
        await self.poller.recover()
        results = await self.poller.poll_all(force=force)
        await self.outbox.drain()
        return results

    # ---- long-running --------------------------------------------------------

    async def run(self, stop: asyncio.Event | None = None, *, grace_s: float = 5.0) -> None:
        from bot.scheduler import build_scheduler

        stop = stop or asyncio.Event()
        _install_signal_handlers(stop)
        for adapter in self.adapters.values():
            await adapter.start(COMMANDS, self.commands.handle)
        await self.poller.recover()
        scheduler = self._scheduler = build_scheduler(self, now=self.now())
        scheduler.start()
        log.info(
            "alliance-bot running",
            sources=len(await self.store.sources(enabled_only=True)),
            platforms=sorted(self.adapters),
            # "python" when native/ was not built (scripts/build_native.sh): same results, slower.
            matcher=self.matcher.implementation,
        )
        try:
            await stop.wait()
        finally:
            log.info("shutting down")
            scheduler.shutdown(wait=False)
            self._scheduler = None
            await self._finish_inflight(grace_s)

    async def _finish_inflight(self, grace_s: float) -> None:
        """Let running polls and deliveries finish (they record their results),
        then cancel what is left: every step is idempotent, so a cut-off poll or
        delivery is simply redone after the restart."""
        pending = set(self._inflight)
        if not pending:
            return
        _, pending = await asyncio.wait(pending, timeout=grace_s)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)


def _parse_workers() -> int:
    # One worker per core: parsing is the CPU-heavy stage; the event loop
    # itself mostly waits on sockets.
    return max(1, min(4, os.cpu_count() or 1))


class _BoundParser:
    """The parser pool with this deployment's per-feed entry cap applied."""

    def __init__(self, pool: ParserPool, max_entries: int):
        self.pool = pool
        self.max_entries = max_entries

    async def parse(
        self, body: bytes, *, url: str, content_type: str | None, now: datetime
    ) -> ParsedFeed:
        return await self.pool.parse(
            body, url=url, content_type=content_type, now=now, max_entries=self.max_entries
        )


def _make_stories(feed: ParsedFeed, source: str, now: datetime) -> list[Story]:
    return to_stories(feed, source=source, now=now)


def _install_signal_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread / not Unix
            pass
