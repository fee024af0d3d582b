"""Which stories of 200 real, general feeds the matcher flags: false alerts show up here.

    python bench/feed_alerts.py [--shared PATH] [--events]

Runs ``../shared/feeds/fastfeedparser/benchmark_data`` (200 real third-party feeds, kept out
of this repository) through the bot's own parse stage (``parse_feed`` + ``to_stories``) and
the matcher, and prints how many stories have an event and which ones would alert
(ai and partnership or funding).  Those feeds are blogs, YouTube channels and news sites,
not AI-deal news, so nearly every alert here is a false one.  ``--events`` also lists the
stories with an event that would not alert.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.matcher import Matcher, default_watchlist_path, load_watchlist  # noqa: E402
from bot.normalize import to_stories  # noqa: E402
from bot.parse import parse_feed  # noqa: E402

DEFAULT_SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    ap.add_argument("--events", action="store_true", help="also list stories with an event that do not alert")
    args = ap.parse_args(argv)
    folder = args.shared / "feeds" / "fastfeedparser" / "benchmark_data"
    files = sorted(p for p in folder.glob("*") if p.is_file()) if folder.is_dir() else []
    if not files:
        print(f"real feeds not found under {folder}: skipped (they live in ../shared, never in the repo)")
        return 0
    matcher = Matcher(load_watchlist(default_watchlist_path()))
    now = datetime.now(UTC)
    n = with_events = 0
    alerts: list[str] = []
    others: list[str] = []
    failed = 0
    for path in files:
        try:
            feed = parse_feed(path.read_bytes(), url=f"https://feeds.invalid/{path.name}", now=now)
        except Exception as exc:  # a bad feed is counted, and never stops the others
            failed += 1
            print(f"  {path.name}: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        for story in to_stories(feed, source=path.name, now=now):
            n += 1
            m = matcher.classify(story)
            if not m.events:
                continue
            with_events += 1
            line = f"{'+'.join(m.events):<24} {', '.join(m.parties)[:40]:<40} {story.title[:90]}"
            (alerts if m.flagged else others).append(line)
    print(f"{len(files) - failed} feeds, {n} stories: {with_events} with an event, {len(alerts)} alerts")
    for line in alerts:
        print("  ALERT " + line)
    if args.events:
        for line in others:
            print("  event " + line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
