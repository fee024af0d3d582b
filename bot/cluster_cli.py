"""``alliance-bot cluster [FILE]``: group JSON-lines stories into same-event clusters.

Input: one JSON object per line with ``id``, ``title`` and optionally ``summary``,
``link``, ``published`` (ISO 8601; date-only allowed) and ``source``.
Output: one ``{"id": ..., "cluster": ...}`` per valid story, in input order; a
cluster's id is the id of its earliest story, so ids are stable across runs.
A bad line is reported on stderr with its line number and skipped; the exit code
is 1 when any line was bad, else 0.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Protocol, TextIO

from bot.cluster import cluster_stories
from bot.jsonlines import BadLine, load_object
from bot.types import Match, Story


class Classifier(Protocol):
    def classify(self, story: Story) -> Match: ...


_TEXT_FIELDS = ("title", "summary", "link", "source")


def _published(value: object) -> datetime:
    if not isinstance(value, str) or not value.strip():
        raise BadLine("field 'published' must be an ISO 8601 date or date-time string")
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadLine(f"field 'published' is not an ISO 8601 date: {value[:40]!r}") from None
    # Naive times are UTC, as in the feeds the bot stores.
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def parse_line(line: str) -> Story:
    """A Story from one input line; raises :class:`BadLine` with a readable reason."""
    obj = load_object(line)
    missing = [k for k in ("id", "title", "published") if obj.get(k) in (None, "")]
    if missing:
        raise BadLine(f"missing field(s): {', '.join(missing)}")
    sid = obj["id"]
    if not isinstance(sid, (str, int)) or isinstance(sid, bool):
        raise BadLine("field 'id' must be a string or an integer")
    for key in _TEXT_FIELDS:
        if obj.get(key) is not None and not isinstance(obj[key], str):
            raise BadLine(f"field {key!r} must be a string")
    story_id = str(sid)
    return Story(
        source=str(obj.get("source") or ""),
        key=story_id,
        url=str(obj.get("link") or ""),
        title=str(obj["title"]),
        summary=str(obj.get("summary") or ""),
        published=_published(obj["published"]),
        id=story_id,
    )


def run_cluster(
    in_stream: TextIO,
    out_stream: TextIO,
    *,
    matcher: Classifier,
    err_stream: TextIO | None = None,
) -> int:
    """Cluster every valid line of ``in_stream``; returns the exit code (0 or 1).

    Clustering needs the whole batch (frequencies, time order), so output starts
    after input ends.  A repeated id is an error for the later line: a cluster id
    must name one story.
    """
    err = err_stream if err_stream is not None else sys.stderr
    items: list[tuple[str, Story, Match]] = []
    seen: set[str] = set()
    bad = 0
    for lineno, line in enumerate(in_stream, start=1):
        if not line.strip():
            continue
        try:
            story = parse_line(line)
            if story.id in seen:
                raise BadLine(f"duplicate id {story.id!r}")
        except BadLine as exc:
            bad += 1
            print(f"line {lineno}: {exc}", file=err)
            continue
        seen.add(story.id)
        items.append((story.id, story, matcher.classify(story)))
    assignment = cluster_stories(items)
    for sid, _, _ in items:
        out_stream.write(json.dumps({"id": sid, "cluster": assignment[sid]}, ensure_ascii=False) + "\n")
    out_stream.flush()
    return 1 if bad else 0
