"""Route: which channels get a flagged story (pure; no I/O)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.matcher.watchlist import Watchlist
from bot.query import Node, Not, Or, Query, Resolver, Term, parse_query
from bot.store.store import Subscription
from bot.types import Match, Story

CONSOLE = "console"


_TOKEN = re.compile(r"[^\W_]+")


def tokens(text: str) -> set[str]:
    """Alphanumeric runs, lowercased: the same notion of a word as ``contains_words``."""
    return set(_TOKEN.findall(text.lower()))


def _best_token(text: str) -> str | None:
    toks = _TOKEN.findall(text.lower())
    return max(toks, key=len) if toks else None


def anchors(node: Node) -> frozenset[str] | None:
    """Keys of which a story must have at least one for ``node`` to match.

    None means "cannot tell" (NOT, amount and source filters, ``*``): such a
    subscription is evaluated for every story.  This is what lets routing
    scale with the number of subscriptions: a story only meets the queries
    that mention one of its words, parties, events or its round.
    """
    if isinstance(node, Term):
        if node.kind in ("word", "phrase"):
            tok = _best_token(node.value)
            return frozenset({"w:" + tok}) if tok else None
        if node.kind == "company":
            keys = {"p:" + node.value.lower()}
            for alias in node.op.split("|"):
                tok = _best_token(alias)
                if tok is None:
                    return None
                keys.add("w:" + tok)
            return frozenset(keys)
        if node.kind == "event":
            return frozenset({"e:" + node.value})
        if node.kind == "round":
            return frozenset({"r:" + node.value})
        return None
    if isinstance(node, Not):
        return None
    if isinstance(node, Or):
        union: set[str] = set()
        for child in node.nodes:
            a = anchors(child)
            if a is None:
                return None
            union |= a
        return frozenset(union)
    # AND: any one child's anchors will do; prefer words and parties (rare)
    # over events and rounds (every funding story has "e:funding").
    best: frozenset[str] | None = None
    for child in node.nodes:
        a = anchors(child)
        if a is None:
            continue
        if best is None or _cost(a) < _cost(best):
            best = a
    return best


def _cost(keys: frozenset[str]) -> float:
    return sum(1000.0 if k[:2] in ("e:", "r:") else 1.0 for k in keys)


def story_keys(story: Story, match: Match) -> set[str]:
    keys = {"w:" + t for t in tokens(story.title)} | {"w:" + t for t in tokens(story.summary)}
    keys.update("p:" + p.lower() for p in match.parties)
    keys.update("e:" + e for e in match.events)
    if match.round:
        keys.add("r:" + match.round)
    return keys


@dataclass(frozen=True, slots=True)
class Router:
    """Which channels get a story: instant subscriptions whose query matches,
    minus channels that muted one of the story's parties.

    Subscriptions sharing a query text are evaluated once (many channels
    follow "event:funding"), and an index from anchor keys to queries means a
    story meets only the queries that mention one of its words, parties,
    events or its round; queries without anchors (NOT, amount or source
    filters alone, ``*``) are evaluated for every story.
    """

    queries: tuple[Query, ...]
    channels: tuple[tuple[tuple[int, str], ...], ...]  # per query: (subscription id, channel)
    # With no subscription at all, the console sees everything: a fresh
    # install with no tokens still shows what the bot would alert.
    console_fallback: bool = True
    mutes: Mapping[str, frozenset[str]] = field(default_factory=dict)
    index: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    always: tuple[int, ...] = ()

    @property
    def subscriptions(self) -> int:
        return sum(len(c) for c in self.channels)

    @classmethod
    def build(
        cls,
        subscriptions: Iterable[Subscription],
        resolver: Resolver | None = None,
        *,
        console_fallback: bool = True,
        mutes: Mapping[str, Iterable[str]] | None = None,
    ) -> Router:
        by_text: dict[str, int] = {}
        queries: list[Query] = []
        channels: list[list[tuple[int, str]]] = []
        any_subscription = False
        for sub in subscriptions:
            any_subscription = True
            if sub.mode != "instant":
                continue  # digest subscriptions are read by the digest job
            key = " ".join(sub.query.split())
            qi = by_text.get(key)
            if qi is None:
                # Stored queries were validated when saved; one that no longer
                # parses (e.g. after a grammar change) must not stop routing.
                try:
                    query = parse_query(sub.query, resolver)
                except Exception:
                    continue
                qi = by_text[key] = len(queries)
                queries.append(query)
                channels.append([])
            channels[qi].append((sub.id, sub.channel))
        index: dict[str, list[int]] = {}
        always: list[int] = []
        for qi, query in enumerate(queries):
            keys = anchors(query.node)
            if keys is None:
                always.append(qi)
            else:
                for k in keys:
                    index.setdefault(k, []).append(qi)
        return cls(
            tuple(queries),
            tuple(tuple(c) for c in channels),
            console_fallback and not any_subscription,
            {ch: frozenset(c.lower() for c in cs) for ch, cs in (mutes or {}).items()},
            {k: tuple(v) for k, v in index.items()},
            tuple(always),
        )

    def _deliver_to(self, matched: Iterable[int], parties: set[str]) -> list[str]:
        hits = sorted(pair for qi in matched for pair in self.channels[qi])
        out: list[str] = []
        seen: set[str] = set()
        for _, channel in hits:
            if channel in seen:
                continue
            seen.add(channel)
            muted = self.mutes.get(channel)
            if muted and parties & muted:
                continue
            out.append(channel)
        return out

    def route(self, story: Story, match: Match) -> list[str]:
        if not self.queries:
            return [CONSOLE] if self.console_fallback else []
        candidates = set(self.always)
        for key in story_keys(story, match):
            hit = self.index.get(key)
            if hit:
                candidates.update(hit)
        matched = [qi for qi in candidates if self.queries[qi].matches(story, match)]
        return self._deliver_to(matched, {p.lower() for p in match.parties})

    def route_all(self, story: Story, match: Match) -> list[str]:
        """The same answer by evaluating every query (the benchmark's baseline)."""
        if not self.queries:
            return [CONSOLE] if self.console_fallback else []
        matched = [qi for qi, q in enumerate(self.queries) if q.matches(story, match)]
        return self._deliver_to(matched, {p.lower() for p in match.parties})


def watchlist_resolver(watchlist: Watchlist) -> Resolver:
    """Query words that name a watched company match it by any of its spellings."""

    def resolve(word: str) -> tuple[str, tuple[str, ...]] | None:
        entry = watchlist.lookup(word)
        if entry is None:
            return None
        return entry.name, tuple(sorted({s.lower() for s in entry.spellings()}))

    return resolve
