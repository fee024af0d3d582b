"""Child process for the crash-safety tests: drain the outbox once through a real adapter.

``python -m tests._drain_child --db URL --platform discord|slack --api-base URL --token T
[--now-offset-s S] [--lease-s S] [--no-pace]``

The parent test process runs the platform stand-in and SIGKILLs this process
mid-drain; a restarted child (with ``--now-offset-s`` beyond the lease) must
finish the job.  Prints one JSON line with the drain stats when it completes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime, timedelta

from adapters.base import ChatAdapter
from bot.outbox import OutboxPolicy, OutboxWorker
from bot.store import open_store


def _adapter(platform: str, api_base: str, token: str) -> ChatAdapter:
    if platform == "discord":
        from adapters.discord_adapter import DiscordAdapter

        return DiscordAdapter(token, api_base=api_base, guild_ready_timeout=0.05)
    from adapters.slack_adapter import SlackAdapter

    return SlackAdapter(token, signing_secret="crash-test-secret", api_base=api_base)


async def _main(args: argparse.Namespace) -> int:
    store = await open_store(args.db)
    adapter = _adapter(args.platform, args.api_base, args.token)
    offset = timedelta(seconds=args.now_offset_s)

    def now() -> datetime:
        return datetime.now(UTC) + offset

    async def no_sleep(_: float) -> None:
        return None

    try:
        worker = OutboxWorker(
            store,
            {args.platform: adapter},
            now=now,
            # --no-pace: skip the worker's own spacing (Slack's is 1 post/s per
            # channel) so the test is fast; the stand-ins are configured generously.
            sleep=no_sleep if args.no_pace else asyncio.sleep,
            policy=OutboxPolicy(lease_s=args.lease_s, batch=args.batch),
        )
        print("draining", flush=True)
        stats = await worker.drain()
    finally:
        await adapter.close()
        await store.close()
    print(json.dumps({"sent": stats.sent, "retried": stats.retried, "failed": stats.failed}))
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--db", required=True)
    p.add_argument("--platform", choices=("discord", "slack"), required=True)
    p.add_argument("--api-base", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--now-offset-s", type=float, default=0.0)
    p.add_argument("--lease-s", type=float, default=OutboxPolicy().lease_s)
    p.add_argument("--batch", type=int, default=OutboxPolicy().batch)
    p.add_argument("--no-pace", action="store_true")
    return asyncio.run(_main(p.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
