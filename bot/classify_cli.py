"""``alliance-bot classify [FILE] [--explain]``: classify JSON-lines stories offline.

Input: one JSON object per line with at least ``id``, ``title`` and ``summary``.
Output: one JSON object per line with the corpus label fields (``id``, ``ai``,
``events``, ``parties``, ``amount``, ``round``) plus ``confidence`` and ``evidence``;
``--explain`` adds ``signals`` and writes a readable trace to stderr.
A bad line is reported on stderr with its line number and skipped; the exit code
is 1 when any line was bad, else 0.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import TextIO

from bot.jsonlines import BadLine, load_object
from bot.matcher import Matcher
from bot.types import Match, Story

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_REQUIRED = ("id", "title", "summary")




def parse_line(line: str) -> Story:
    """A Story from one input line; raises ``BadLine`` with a readable reason."""
    obj = load_object(line)
    missing = [k for k in _REQUIRED if k not in obj]
    if missing:
        raise BadLine(f"missing field(s): {', '.join(missing)}")
    for key in _REQUIRED:
        value = obj[key]
        if key == "summary" and value is None:
            continue
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise BadLine(f"field {key!r} must be a string")
    story_id = str(obj["id"])
    return Story(
        source=str(obj.get("source") or "classify"),
        key=story_id,
        url=str(obj.get("link") or obj.get("url") or ""),
        title=str(obj["title"]),
        summary=str(obj["summary"] or ""),
        published=_EPOCH,
        id=story_id,
    )


def result_json(story: Story, match: Match, *, explain: bool) -> dict[str, object]:
    out: dict[str, object] = {"id": story.id}
    out.update(match.to_json())
    if explain:
        out["signals"] = list(match.signals)
    return out


def _explain_lines(story: Story, match: Match) -> str:
    head = (
        f"[{story.id}] alert={match.flagged} ai={match.ai} events={','.join(match.events) or '-'} "
        f"confidence={match.confidence:.2f}"
    )
    lines = [head, f"  title: {story.title}"]
    for ev in match.evidence:
        lines.append(f"  {ev.signal:<34} {ev.field}[{ev.start}:{ev.end}] {ev.quote!r}")
    if match.signals:
        lines.append(f"  signals: {', '.join(match.signals)}")
    return "\n".join(lines) + "\n"


def run_classify(in_stream: TextIO, out_stream: TextIO, *, matcher: Matcher, explain: bool,
                 err_stream: TextIO | None = None) -> int:
    """Classify every line of ``in_stream``; return 1 if any line was bad, else 0."""
    err = err_stream if err_stream is not None else sys.stderr
    bad = 0
    for lineno, line in enumerate(in_stream, start=1):
        if not line.strip():
            continue
        try:
            story = parse_line(line)
        except BadLine as exc:
            bad += 1
            err.write(f"line {lineno}: {exc}\n")
            continue
        match = matcher.classify(story)
        out_stream.write(json.dumps(result_json(story, match, explain=explain), ensure_ascii=False))
        out_stream.write("\n")
        if explain:
            err.write(_explain_lines(story, match))
    if bad:
        err.write(f"{bad} bad line(s) skipped\n")
    return 1 if bad else 0
