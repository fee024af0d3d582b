"""Rule-based matcher: is a story an AI partnership / funding / acquisition, and who, how much.

    from bot.matcher import Matcher, load_watchlist
    matcher = Matcher(load_watchlist("config/watchlist.toml"))
    match = matcher.classify(story)
"""

from __future__ import annotations

from functools import lru_cache

from bot.matcher.classify import Matcher
from bot.matcher.watchlist import (
    WatchEntry,
    Watchlist,
    default_watchlist_path,
    load_watchlist,
    parse_watchlist,
)
from bot.types import Match, Story

__all__ = [
    "Matcher",
    "WatchEntry",
    "Watchlist",
    "classify",
    "default_matcher",
    "default_watchlist_path",
    "load_watchlist",
    "parse_watchlist",
]


@lru_cache(maxsize=1)
def default_matcher() -> Matcher:
    """A Matcher over the repository's ``config/watchlist.toml`` (built once, immutable)."""
    return Matcher(load_watchlist(default_watchlist_path()))


def classify(story: Story, matcher: Matcher | None = None) -> Match:
    """Classify one story; uses the default watchlist when no matcher is given."""
    return (matcher or default_matcher()).classify(story)
