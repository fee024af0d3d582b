"""Which event a newly flagged story reports: a new one, or one already alerted.

Wraps the pure incremental ``Clusterer`` with the store: cluster ids are the
store id of the event's first story, written to ``stories.cluster_id``. On
start the tracker replays the recent flagged stories so a restart keeps
recognising events it alerted before.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.cluster import Clusterer, signature
from bot.store.store import Store, StoredStory

# Longer than any window in which the clusterer joins stories.
REPLAY = timedelta(days=12)


class EventTracker:
    def __init__(self, store: Store, now: Callable[[], datetime]):
        self.store = store
        self.now = now
        self._clusterer: Clusterer | None = None
        # Clusterer ids are story ids as text; the stored cluster id of each
        # member, so an event keeps the id it had before a restart.
        self._cluster_of: dict[str, int] = {}

    async def _ready(self) -> Clusterer:
        if self._clusterer is None:
            self._clusterer = Clusterer()
            recent = await self.store.recent_flagged(self.now() - REPLAY, limit=50_000)
            for s in sorted(recent, key=lambda r: (r.story.published, r.id)):
                self._add(s, s.cluster_id)
        return self._clusterer

    def _add(self, s: StoredStory, known: int | None) -> int:
        assert self._clusterer is not None
        cid = self._clusterer.add(signature(s.story, s.match, id=str(s.id)))
        if known is not None:
            cluster_id = known
        else:
            cluster_id = self._cluster_of.get(cid, int(cid))
        self._cluster_of[str(s.id)] = cluster_id
        return cluster_id

    async def place(self, s: StoredStory) -> int:
        """The event's cluster id for a new flagged story (its own id when it is new)."""
        await self._ready()
        known = self._cluster_of.get(str(s.id))
        # Replayed at start already (a story whose routing a crash interrupted).
        cluster_id = known if known is not None else self._add(s, None)
        await self.store.set_cluster(s.id, cluster_id)
        return cluster_id
