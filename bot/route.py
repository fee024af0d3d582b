"""Route: which channels get a flagged story (pure; no I/O)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.matcher.watchlist import Watchlist
from bot.query import Query, Resolver, parse_query
from bot.store.store import Subscription
from bot.types import Match, Story

CONSOLE = "console"


@dataclass(frozen=True, slots=True)
class CompiledSubscription:
    subscription: Subscription
    query: Query


@dataclass(frozen=True, slots=True)
class Router:
    subscriptions: tuple[CompiledSubscription, ...]
    # With no subscription at all, the console sees everything: a fresh
    # install with no tokens still shows what the bot would alert.
    console_fallback: bool = True

    @classmethod
    def build(
        cls,
        subscriptions: Iterable[Subscription],
        resolver: Resolver | None = None,
        *,
        console_fallback: bool = True,
    ) -> Router:
        compiled = []
        for sub in subscriptions:
            # Stored queries were validated when saved; a query that no longer
            # parses (e.g. after a grammar change) must not stop routing.
            try:
                compiled.append(CompiledSubscription(sub, parse_query(sub.query, resolver)))
            except Exception:
                continue
        return cls(tuple(compiled), console_fallback)

    def route(self, story: Story, match: Match) -> list[str]:
        if not self.subscriptions:
            return [CONSOLE] if self.console_fallback else []
        channels: list[str] = []
        for cs in self.subscriptions:
            if cs.subscription.channel in channels:
                continue
            if cs.query.matches(story, match):
                channels.append(cs.subscription.channel)
        return channels


def watchlist_resolver(watchlist: Watchlist) -> Resolver:
    """Query words that name a watched company match it by any of its spellings."""

    def resolve(word: str) -> tuple[str, tuple[str, ...]] | None:
        entry = watchlist.lookup(word)
        if entry is None:
            return None
        return entry.name, tuple(sorted({s.lower() for s in entry.spellings()}))

    return resolve
