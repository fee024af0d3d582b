"""Delivery throughput: N alerts to C channels through the Discord stand-in's rate limits.

    .venv/bin/python bench/deliver.py [--alerts 1000] [--channels 10]
        [--per-channel 5 --window 1.0] [--global-limit 50] [--no-headers] [--no-pacer]

Real OutboxWorker + real DiscordAdapter (discord.py) + a temp SQLite store,
against ``tests/fakes/discord_standin.py`` started in this process, enforcing:

* a per-channel message bucket of ``--per-channel`` posts per ``--window`` s
  (fixed window, like Discord's X-RateLimit-* buckets; default 5 per 1 s), and
* the global limit of ``--global-limit`` requests per second (sliding 1 s; default 50).

Prints the wall time of the drain, the 429s the stand-in sent (target 0) and
the ratio to the minimum the limits allow.  Minimum: a fixed-window bucket of
L posts per W s lets the first L posts go at t=0, so n posts need at least
``(ceil(n/L) - 1) * W`` seconds from first to last; the same for the global
limit over all posts; the binding one is the minimum.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import math
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import structlog
from aiohttp import web

from adapters.discord_adapter import DiscordAdapter
from bot.outbox import OutboxWorker
from bot.store import open_store
from bot.types import Match, Story
from tests.fakes.discord_standin import DiscordStandIn


class TimedStandIn(DiscordStandIn):
    """The stand-in, plus the time each message was created."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.post_times: list[float] = []

    async def _create_message(self, request: web.Request) -> web.Response:
        before = len(self.posts)
        response = await super()._create_message(request)
        if len(self.posts) > before:
            self.post_times.append(time.monotonic())
        return response


def minimum_s(
    alerts: int, channels: int, per_channel: int, window: float, global_limit: int
) -> float:
    per_ch = math.ceil(alerts / channels)
    by_channel = (math.ceil(per_ch / per_channel) - 1) * window
    by_global = (math.ceil(alerts / global_limit) - 1) * 1.0
    return max(by_channel, by_global)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    stand_in = TimedStandIn(
        message_limit=(args.per_channel, args.window),
        global_limit=args.global_limit,
        send_ratelimit_headers=not args.no_headers,
    )
    await stand_in.start()
    tmp = tempfile.TemporaryDirectory()
    store = await open_store(f"sqlite+aiosqlite:///{Path(tmp.name) / 'bench.sqlite3'}")
    adapter = DiscordAdapter(stand_in.token, api_base=stand_in.api_base, guild_ready_timeout=0.05)
    if args.pace_global or args.pace_channel:
        # Experiment: what the worker paces to (the adapter's PlatformLimits), not the stand-in's limits.
        adapter.limits = dataclasses.replace(  # type: ignore[misc]
            adapter.limits,
            posts_per_second_global=args.pace_global or adapter.limits.posts_per_second_global,
            posts_per_second_per_channel=args.pace_channel
            or adapter.limits.posts_per_second_per_channel,
        )
    channels = [f"discord:{1500000000000000001 + i}" for i in range(args.channels)]
    now = datetime.now(UTC)
    per_ch = math.ceil(args.alerts / args.channels)
    stories = [
        (
            Story(
                "bench",
                f"k{i}",
                f"https://news.example/{i}",
                f"Acme AI raises $5M seed #{i}",
                "",
                now,
            ),
            Match(ai=True, events=("funding",), parties=("Acme AI",)),
            True,
        )
        for i in range(per_ch)
    ]
    for stored in await store.add_stories(stories, now):
        await store.enqueue(stored.id, channels, now)

    async def no_sleep(_: float) -> None:
        return None

    worker = OutboxWorker(
        store,
        {"discord": adapter},
        now=lambda: datetime.now(UTC),
        sleep=no_sleep if args.no_pacer else asyncio.sleep,
    )
    try:
        await adapter._ensure_login()  # log in outside the timed part (2 GETs)
        started, cpu_started = time.monotonic(), time.process_time()
        stats = await worker.drain()
        elapsed, cpu = time.monotonic() - started, time.process_time() - cpu_started
        pending = await store.pending_count()
    finally:
        await adapter.close()
        await store.close()
        await stand_in.close()
        tmp.cleanup()
    limited = stand_in.rate_limited
    floor = minimum_s(args.alerts, args.channels, args.per_channel, args.window, args.global_limit)
    span = stand_in.post_times[-1] - stand_in.post_times[0] if stand_in.post_times else 0.0
    return {
        "sent": stats.sent,
        "retried": stats.retried,
        "failed": stats.failed,
        "pending": pending,
        "posts_seen": len(stand_in.posts),
        "elapsed_s": elapsed,
        "cpu_s": cpu,
        "span_s": span,
        "429s": len(limited),
        "429s_global": sum(1 for r in limited if r["global"]),
        "min_s": floor,
        "violations": len(stand_in.violations),
    }


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--alerts", type=int, default=1000)
    p.add_argument("--channels", type=int, default=10)
    p.add_argument("--per-channel", type=int, default=5, help="posts per window per channel")
    p.add_argument("--window", type=float, default=1.0, help="per-channel bucket window, s")
    p.add_argument("--global-limit", type=int, default=50, help="requests per second, all routes")
    p.add_argument(
        "--no-headers", action="store_true", help="stand-in sends no X-RateLimit-* headers"
    )
    p.add_argument("--no-pacer", action="store_true", help="disable OutboxWorker's own spacing")
    p.add_argument(
        "--pace-global", type=float, default=0.0, help="override the worker's global pace (posts/s)"
    )
    p.add_argument(
        "--pace-channel", type=float, default=0.0, help="override the worker's per-channel pace"
    )
    args = p.parse_args()
    logging.getLogger("discord").setLevel(logging.ERROR)  # one warning per 429 otherwise
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    r = asyncio.run(run(args))
    print(
        f"deliver: {args.alerts} alerts -> {args.channels} channels; limits {args.per_channel}/{args.window:g}s "
        f"per channel, {args.global_limit}/s global; headers={'off' if args.no_headers else 'on'}, "
        f"pacer={'off' if args.no_pacer else 'on'}"
        + (
            f" (pace {args.pace_channel or 'default'}/s per channel, {args.pace_global or 'default'}/s global)"
            if args.pace_global or args.pace_channel
            else ""
        )
    )
    print(
        f"  sent {r['sent']} (stand-in saw {r['posts_seen']}), retried {r['retried']}, failed {r['failed']}, "
        f"left pending {r['pending']}, violations {r['violations']}"
    )
    print(
        f"  time {r['elapsed_s']:.2f} s (first->last post {r['span_s']:.2f} s); CPU of this process "
        f"(worker + discord.py + stand-in + SQLite) {r['cpu_s']:.2f} s"
    )
    print(f"  429s received: {r['429s']} ({r['429s_global']} global)  [target 0]")
    floor = max(r["min_s"], 1e-9)
    print(
        f"  minimum the limits allow: {r['min_s']:.2f} s  -> ratio {r['elapsed_s'] / floor:.2f}x "
        f"(first->last {r['span_s'] / floor:.2f}x)"
    )
    print(f"  achieved rate: {r['sent'] / max(r['elapsed_s'], 1e-9):.1f} posts/s")
    ok = r["sent"] == args.alerts and r["posts_seen"] == args.alerts and r["pending"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
