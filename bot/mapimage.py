"""The alliance map of a set of flagged stories, as PNG bytes (events, not articles)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.store.store import StoredStory


def summary_png(stories: Sequence[StoredStory], *, title: str) -> bytes:
    from bot.allmap import map_edges, render_map

    items = [
        (str(s.cluster_id if s.cluster_id is not None else s.id), s.match)
        for s in stories
        if s.match is not None
    ]
    return render_map(map_edges(items), title=title)
