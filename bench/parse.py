"""Benchmark bot.parse.parse_feed against plain feedparser on the 200 real feeds.

    .venv/bin/python bench/parse.py [--repeat N] [--pool]

Same files, same process, same run; best of N per file.  ``--pool`` also times
ParserPool (process round trip included).  Bytes are read up front: parse only.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import feedparser

from bot.errors import ParseError
from bot.parse import ParserPool, parse_feed

DATA = (
    Path(__file__).resolve().parents[2] / "shared" / "feeds" / "fastfeedparser" / "benchmark_data"
)
URL = "https://feeds.example.org/feed.xml"
NOW = datetime.now(UTC)


def best_of(repeat: int, fn: Callable[[], int]) -> tuple[float, int]:
    best, count = float("inf"), 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        count = fn()
        best = min(best, time.perf_counter() - t0)
    return best, count


def ours(body: bytes) -> int:
    try:
        return len(parse_feed(body, url=URL, now=NOW).entries)
    except ParseError:
        return 0


def plain_feedparser(body: bytes) -> int:
    return len(feedparser.parse(body).entries)


def run(name: str, bodies: list[bytes], fn: Callable[[bytes], int], repeat: int) -> float:
    total_s, entries = 0.0, 0
    for body in bodies:
        elapsed, count = best_of(repeat, lambda b=body: fn(b))
        total_s += elapsed
        entries += count
    print(
        f"{name:<22} {len(bodies) / total_s:9.1f} files/s {entries / total_s:11.0f} entries/s "
        f"{total_s / len(bodies) * 1000:8.2f} ms/file  ({entries} entries)"
    )
    return total_s


async def run_pool(bodies: list[bytes]) -> float:
    async with ParserPool(workers=1, timeout_s=30) as pool:
        await pool.parse(bodies[0], url=URL, now=NOW)  # worker start-up is not timed
        t0 = time.perf_counter()
        for body in bodies:
            try:
                await pool.parse(body, url=URL, now=NOW)
            except ParseError:
                pass
        return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pool", action="store_true")
    args = ap.parse_args()
    if not DATA.is_dir():
        sys.exit(f"benchmark data not found at {DATA}")
    bodies = [p.read_bytes() for p in sorted(DATA.iterdir()) if p.is_file()]
    print(f"{len(bodies)} feeds, {sum(map(len, bodies)) / 1e6:.1f} MB, best of {args.repeat}")
    fast = run("bot.parse.parse_feed", bodies, ours, args.repeat)
    slow = run("feedparser.parse", bodies, plain_feedparser, args.repeat)
    print(f"ratio: parse_feed is {slow / fast:.0f}x faster than feedparser")
    if args.pool:
        pooled = asyncio.run(run_pool(bodies))
        print(
            f"{'ParserPool (1 worker)':<22} {len(bodies) / pooled:9.1f} files/s "
            f"{pooled / len(bodies) * 1000:8.2f} ms/file  (round trip {(pooled - fast) / len(bodies) * 1000:.2f} ms/file over inline)"
        )


if __name__ == "__main__":
    main()
