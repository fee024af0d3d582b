"""Stage-named, frozen values that flow through the pipeline.

fetch -> FetchResult, parse -> ParsedFeed (of ParsedEntry), normalise -> Story,
match -> Match, route -> Delivery.  Each stage is a pure function of its input
(plus ``now`` where time matters), so every stage is testable on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, Literal, TypeVar

from bot.errors import AllianceError

EventType = Literal["partnership", "funding", "acquisition"]
EVENT_TYPES: tuple[EventType, ...] = ("partnership", "funding", "acquisition")

ROUNDS: tuple[str, ...] = (
    "pre-seed",
    "seed",
    "series a",
    "series b",
    "series c",
    "series d",
    "series e",
    "series f",
    "series g",
    "series h",
    "strategic",
    "debt",
    "growth",
    "bridge",
    "pre-ipo",
)


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What one HTTP poll of a source produced (before parsing)."""

    url: str  # the URL finally fetched (after redirects)
    status: int
    body: bytes | None  # None on 304
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    retry_after_s: float | None = None  # from Retry-After / Cache-Control, seconds from now
    permanent_redirect: str | None = None  # target of a 301/308 seen on the way

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    """One feed item as the parser saw it; text is already clean plain text."""

    guid: str | None
    link: str | None  # absolute http(s) URL or None
    title: str
    summary: str
    published: datetime | None  # timezone-aware UTC, or None when missing/invalid


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str
    entries: tuple[ParsedEntry, ...]
    parser: str  # which parser produced it ("fastfeedparser", "feedparser", "jsonfeed")


@dataclass(frozen=True, slots=True)
class Story:
    """A normalised news item: the unit that is deduplicated, matched and alerted."""

    source: str  # source name
    key: str  # stable identity within the source: guid, else canonical URL
    url: str  # canonical URL ("" when the item had no usable link)
    title: str
    summary: str
    published: datetime  # UTC; first-seen time when the feed gave none
    id: str = ""  # optional external id (classify CLI); not used for dedup
    dated: bool = True  # False when the feed gave no usable date (published = first seen)


@dataclass(frozen=True, slots=True)
class Amount:
    value: float
    currency: str  # ISO 4217 code

    def to_json(self) -> dict[str, object]:
        v: float | int = int(self.value) if float(self.value).is_integer() else self.value
        return {"value": v, "currency": self.currency}


@dataclass(frozen=True, slots=True)
class Evidence:
    """A span of the story text a decision rests on: ``text[start:end] == quote``."""

    signal: str  # e.g. "funding:raises", "amount", "round", "ai:keyword"
    field: Literal["title", "summary"]
    start: int
    end: int
    quote: str

    def to_json(self) -> dict[str, object]:
        return {
            "signal": self.signal,
            "field": self.field,
            "start": self.start,
            "end": self.end,
            "text": self.quote,
        }


@dataclass(frozen=True, slots=True)
class Match:
    ai: bool
    events: tuple[EventType, ...] = ()
    parties: tuple[str, ...] = ()
    amount: Amount | None = None
    round: str | None = None
    confidence: float = 0.0
    evidence: tuple[Evidence, ...] = ()
    signals: tuple[str, ...] = ()  # every signal that fired, for --explain

    @property
    def flagged(self) -> bool:
        """The alert decision: an AI story reporting a partnership or funding.

        Acquisitions alert only when a source/subscription enables them, which the
        router decides; the matcher just reports the event.
        """
        return self.ai and ("partnership" in self.events or "funding" in self.events)

    def is_alert(self, *, acquisitions: bool = False) -> bool:
        if self.flagged:
            return True
        return acquisitions and self.ai and "acquisition" in self.events

    def to_json(self) -> dict[str, object]:
        return {
            "ai": self.ai,
            "events": list(self.events),
            "parties": list(self.parties),
            "amount": self.amount.to_json() if self.amount else None,
            "round": self.round,
            "confidence": round(self.confidence, 3),
            "evidence": [e.to_json() for e in self.evidence],
        }


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Result(Generic[T]):
    """Per-item outcome so one failure never aborts a batch (value XOR error)."""

    key: str
    value: T | None = None
    error: AllianceError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class PollStats:
    source: str
    status: int  # HTTP status (304 = not modified)
    entries: int = 0  # entries in the feed
    new: int = 0  # stories not seen before
    flagged: int = 0  # new stories that alert
    queued: int = 0  # deliveries queued
    stories: tuple[tuple[Story, Match], ...] = field(default=(), repr=False)
