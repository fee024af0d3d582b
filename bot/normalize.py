"""Normalise stage: ParsedFeed -> Story list with a stable per-source identity key."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from bot.types import ParsedEntry, ParsedFeed, Story
from bot.urls import canonical_url


def story_key(entry: ParsedEntry) -> str:
    """guid, else canonical link, else a hash of title + summary.

    The guid comes first because publishers promise its stability; the canonical
    link (tracking parameters removed) is the next best identity.  The hash fallback
    is prefixed so it can never collide with a real guid or URL.
    """
    if entry.guid:
        return entry.guid
    if entry.link:
        return canonical_url(entry.link)
    digest = hashlib.sha256(f"{entry.title}\x1f{entry.summary}".encode("utf-8", "replace"))
    return "sha256:" + digest.hexdigest()


def _utc(now: datetime) -> datetime:
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def to_stories(feed: ParsedFeed, *, source: str, now: datetime) -> list[Story]:
    """One Story per usable entry, in feed order, first occurrence of a key wins.

    Entries with neither a title nor a link are skipped: there is nothing to show.
    A missing date becomes ``now`` (first-seen time); the parser already clamped
    future dates and dropped impossible ones.
    """
    seen: set[str] = set()
    stories: list[Story] = []
    first_seen = _utc(now)
    for entry in feed.entries:
        if not entry.title and not entry.link:
            continue
        key = story_key(entry)
        if key in seen:
            continue
        seen.add(key)
        stories.append(
            Story(
                source=source,
                key=key,
                url=canonical_url(entry.link) if entry.link else "",
                title=entry.title,
                summary=entry.summary,
                published=entry.published or first_seen,
                dated=entry.published is not None,
            )
        )
    return stories
