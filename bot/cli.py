"""Command line: ``alliance-bot run | poll --once [--json] | check-config | classify``.

Exit codes: 0 fine, 1 the work failed (every source failed, bad input lines),
2 invalid configuration or usage, 3 the database is unusable.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bot.errors import ConfigError, StoreError
from bot.settings import AppConfig, load_config
from bot.types import PollStats, Result

EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_STORE = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="alliance-bot",
        description="Watch news feeds for AI partnerships and funding; alert chat channels.",
    )
    p.add_argument(
        "--config",
        metavar="PATH",
        help="TOML config file (default: $ALLIANCE_CONFIG, else config/alliance.toml)",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("run", help="run the bot: poll on schedule, alert, serve chat commands")
    poll = sub.add_parser("poll", help="poll every source once and print flagged stories")
    poll.add_argument("--once", action="store_true", required=True, help="one pass, then exit")
    poll.add_argument("--json", action="store_true", help="one JSON object per flagged story")
    sub.add_parser("check-config", help="validate the configuration; exit 2 listing every error")
    sm = sub.add_parser("summary", help="summarise the period's flagged events from the store")
    sm.add_argument("--period", default="7d", choices=["24h", "7d", "30d"], help="default 7d")
    sm.add_argument("--query", default="", help='filter, e.g. "event:funding mistral"')
    sm.add_argument("--png", metavar="FILE", help="also write the alliance map as a PNG")
    sm.add_argument("--json", action="store_true", help="print JSON instead of text")
    cu = sub.add_parser("cluster", help="group JSON-lines stories into same-event clusters")
    cu.add_argument("file", nargs="?", help="input file (default: stdin)")
    cl = sub.add_parser("classify", help="run the matcher on JSON lines (id, title, summary)")
    cl.add_argument("file", nargs="?", help="input file (default: stdin)")
    cl.add_argument("--explain", action="store_true", help="show which signals fired")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "classify":
            return _classify(args)
        if args.command == "cluster":
            return _cluster(args)
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"alliance-bot: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if args.command == "check-config":
        return _check_config(config)
    from bot.logs import configure_logging

    configure_logging(
        config.settings.log.level, config.settings.log.format, config.secrets.values()
    )
    try:
        if args.command == "run":
            return asyncio.run(_run(config))
        if args.command == "summary":
            return asyncio.run(_summary(config, args))
        return asyncio.run(_poll_once(config, as_json=args.json, out=sys.stdout))
    except StoreError as exc:
        print(f"alliance-bot: {exc}", file=sys.stderr)
        return EXIT_STORE
    except ConfigError as exc:
        print(f"alliance-bot: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return EXIT_OK


def _check_config(config: AppConfig) -> int:
    from bot.matcher import load_watchlist

    s = config.settings
    where = str(config.path) if config.path else "built-in defaults"
    try:
        # `run` loads the watchlist at start-up: a broken one must fail here, not there.
        watchlist = load_watchlist(config.watchlist_file)
    except ConfigError as exc:
        print(f"alliance-bot: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    print(
        f"configuration OK ({where}): {len(s.sources)} sources, "
        f"{len(s.subscriptions)} subscriptions, {len(watchlist)} watchlist organisations, "
        f"database {_db_kind(s.database_url)}"
    )
    return EXIT_OK


def _db_kind(url: str) -> str:
    return "SQLite" if url.startswith("sqlite") else "PostgreSQL"


def _classify(args: argparse.Namespace) -> int:
    from bot.classify_cli import run_classify
    from bot.matcher import Matcher, load_watchlist

    config = load_config(args.config)
    matcher = Matcher(load_watchlist(config.watchlist_file))
    stream = _open_input(args.file)
    try:
        return run_classify(stream, sys.stdout, matcher=matcher, explain=args.explain)
    finally:
        if stream is not sys.stdin:
            stream.close()


def _open_input(path: str | None) -> TextIO:
    if not path:
        return sys.stdin
    try:
        return open(path, encoding="utf-8")
    except OSError as exc:
        raise ConfigError([(path, f"cannot read: {exc.strerror}")]) from None


def _cluster(args: argparse.Namespace) -> int:
    from bot.cluster_cli import run_cluster
    from bot.matcher import Matcher, load_watchlist

    config = load_config(args.config)
    matcher = Matcher(load_watchlist(config.watchlist_file))
    stream = _open_input(args.file)
    try:
        return run_cluster(stream, sys.stdout, matcher=matcher)
    finally:
        if stream is not sys.stdin:
            stream.close()


async def _summary(config: AppConfig, args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from bot.matcher import load_watchlist
    from bot.query import QueryError, parse_query
    from bot.route import watchlist_resolver
    from bot.store import open_store
    from bot.summary import PERIODS, build_summary, render_summary_text, summary_json

    watchlist = load_watchlist(config.watchlist_file)
    try:
        query = parse_query(args.query or "*", watchlist_resolver(watchlist))
    except QueryError as exc:
        print(f"alliance-bot: --query: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    now = datetime.now(UTC)
    store = await open_store(config.settings.database_url)
    try:
        stories = await store.recent_flagged(now - PERIODS[args.period], limit=20000)
    finally:
        await store.close()
    stories = [s for s in stories if s.match is not None and query.matches(s.story, s.match)]
    watched = {n.lower() for n in watchlist.names()}
    summary = build_summary(stories, period=args.period, now=now, watched=watched)
    if args.json:
        print(json.dumps(summary_json(summary), ensure_ascii=False, indent=2))
    else:
        print(render_summary_text(summary))
    if args.png:
        from bot.mapimage import summary_png

        title = f"AI alliances, last {args.period}"
        try:
            png = await asyncio.to_thread(summary_png, stories, title=title)
            await asyncio.to_thread(Path(args.png).write_bytes, png)
        except OSError as exc:
            print(f"alliance-bot: cannot write {args.png}: {exc.strerror}", file=sys.stderr)
            return EXIT_FAILED
        print(f"map written to {args.png}", file=sys.stderr)
    return EXIT_OK


async def _run(config: AppConfig) -> int:
    from bot.app import App
    from bot.platforms import build_adapters

    running: list[App] = []

    async def autocomplete(kind: str, typed: str) -> list[str]:
        # Adapters are built before the App that answers for them exists.
        return await running[0].autocomplete(kind, typed) if running else []

    async with App(config, adapters=build_adapters(config, autocomplete=autocomplete)) as app:
        running.append(app)
        await app.run()
    return EXIT_OK


async def _poll_once(config: AppConfig, *, as_json: bool, out: TextIO) -> int:
    import io

    from bot.app import App
    from bot.platforms import build_adapters

    # The console channel stays quiet here: this command prints flagged
    # stories itself, once, in the format asked for.
    async with App(config, adapters=build_adapters(config), stdout=io.StringIO()) as app:
        results = await app.poll_once(force=True)
    print_results(results, as_json=as_json, out=out)
    ok = sum(1 for r in results if r.ok)
    return EXIT_OK if ok or not results else EXIT_FAILED


def story_json(stats: PollStats) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for story, match in stats.stories:
        row: dict[str, object] = {
            "title": story.title,
            "link": story.url,
            "source": story.source,
            "published": story.published.isoformat(),
        }
        row.update(match.to_json())
        rows.append(row)
    return rows


def print_results(results: list[Result[PollStats]], *, as_json: bool, out: TextIO) -> None:
    from adapters.console import render_text
    from bot.alerts import alert_message

    flagged = 0
    for r in results:
        if r.value is None:
            continue
        for story, match in r.value.stories:
            flagged += 1
            if as_json:
                continue
            out.write(
                render_text(
                    alert_message(story, match)
                )
                + "\n\n"
            )
        if as_json:
            for row in story_json(r.value):
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    out.flush()
    failed = [r for r in results if r.error is not None]
    for r in failed:
        print(f"source {r.key!r}: {r.error}", file=sys.stderr)
    print(
        f"polled {len(results)} sources: {len(results) - len(failed)} ok, {len(failed)} failed; "
        f"{flagged} flagged stories",
        file=sys.stderr,
    )


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
