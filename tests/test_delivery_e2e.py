"""Delivery end to end: the real adapters, the real outbox worker, loopback Discord and Slack.

* ``poll --once`` (the CLI as a subprocess) posts flagged stories through the
  real DiscordAdapter / SlackAdapter to the stand-ins running in this process;
* rate limits, 5xx streaks, outages and permanent errors go through
  OutboxWorker + real adapter + stand-in, on SQLite and PostgreSQL (``store``);
* crash safety: the drain runs in a child process that is SIGKILLed while posts
  are in flight, then restarted after its lease expired.

Every check of "delivered" reads what the stand-in recorded (``posts``), not
what the worker believes it did.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import types
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import discord
import pytest

from adapters.base import ChatAdapter
from adapters.discord_adapter import DiscordAdapter, nonce_for
from adapters.slack_adapter import SlackAdapter
from bot.outbox import OutboxWorker
from bot.store import Store, open_store
from bot.types import Match, Story
from tests.fakes.discord_standin import DiscordStandIn
from tests.fakes.slack_standin import SlackStandIn
from tests.test_e2e_poll import REPO, FeedServer, cli, rss, server  # noqa: F401  (server: fixture)
from tests.test_outbox import Clock, no_sleep

D1, D2 = "1500000000000000001", "1500000000000000002"
S1, S2 = "C0ALERTS", "C0DEALS"
HOSTILE = "@everyone <!channel> &lt;!here&gt; <@&123>"
_NUMBER = re.compile(r"\bn(\d{3})\b")


# ---------------------------------------------------------------------- helpers


async def queue(store: Store, now: datetime, n: int, channels: list[str]) -> None:
    """``n`` flagged stories "… n000" … "… n{n-1}", each queued to every channel, in order."""
    stories = [
        (
            Story(
                "wire",
                f"k{i}",
                f"https://news.example/{i}",
                f"Acme AI raises $5M seed n{i:03d}",
                "",
                now,
            ),
            Match(ai=True, events=("funding",), parties=("Acme AI",)),
            True,
        )
        for i in range(n)
    ]
    for stored in await store.add_stories(stories, now):
        await store.enqueue(stored.id, channels, now)


@dataclass
class Rig:
    """One platform: its stand-in, a real adapter pointed at it, and two channels."""

    platform: str
    standin: Any
    adapter: ChatAdapter
    channels: list[str]  # "discord:<id>" / "slack:<id>"

    def posts(self, channel: str) -> list[dict[str, Any]]:
        raw = channel.split(":", 1)[1]
        if self.platform == "discord":
            return [p for p in self.standin.posts if str(p["channel_id"]) == raw]
        return [p for p in self.standin.posts if p["channel"] == raw]

    def numbers(self, channel: str) -> list[int]:
        """Story numbers as the channel shows them, in posting order (duplicates kept)."""
        out = []
        for p in self.posts(channel):
            text = (
                p["payload"]["embeds"][0]["title"]
                if self.platform == "discord"
                else p["params"]["text"]
            )
            m = _NUMBER.search(text)
            assert m, text
            out.append(int(m.group(1)))
        return out

    def message_ids(self, channel: str) -> list[str]:
        key = "message_id" if self.platform == "discord" else "ts"
        return [str(p[key]) for p in self.posts(channel)]

    def requests_to(self, channel: str) -> int:
        raw = channel.split(":", 1)[1]
        if self.platform == "discord":
            return sum(
                1
                for m, path in self.standin.requests
                if m == "POST" and f"/channels/{raw}/" in path
            )
        return sum(
            1
            for m, params in self.standin.requests
            if m == "chat.postMessage" and params.get("channel") == raw
        )

    def assert_clean(self) -> None:
        assert self.standin.violations == []
        assert self.standin.pings == []


def worker(store: Store, rig: Rig, clock: Clock) -> OutboxWorker:
    # The worker's own pacer is off (no sleep, frozen monotonic clock): these tests
    # are about faults; pacing is measured by bench/deliver.py.
    return OutboxWorker(
        store, {rig.platform: rig.adapter}, now=clock, sleep=no_sleep, monotonic=lambda: 0.0
    )


async def assert_all_delivered_once_in_order(
    store: Store, rig: Rig, n: int, channels: list[str] | None = None
) -> None:
    for channel in channels or rig.channels:
        assert rig.numbers(channel) == list(range(n)), channel  # in order, each exactly once
        rows = await store.deliveries(channel=channel)
        assert [r.status for r in rows] == ["sent"] * n
        # The row records the message the platform shows, in the same order.
        assert [r.message_id for r in rows] == rig.message_ids(channel)
        if rig.platform == "discord":
            assert [p["nonce"] for p in rig.posts(channel)] == [
                nonce_for(f"alliance-{r.id}") for r in rows
            ]
    rig.assert_clean()


@asynccontextmanager
async def _discord(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[DiscordStandIn]:
    stand_in = DiscordStandIn(message_limit=(50, 1.0))
    await stand_in.start()
    monkeypatch.setattr(discord.http.Route, "BASE", stand_in.api_base)  # class-level in discord.py
    try:
        yield stand_in
    finally:
        await stand_in.close()


@asynccontextmanager
async def _slack() -> AsyncIterator[SlackStandIn]:
    stand_in = SlackStandIn(retry_after_s=0, per_channel_rate=1000.0, burst=1000)
    await stand_in.start()
    try:
        yield stand_in
    finally:
        await stand_in.close()


@asynccontextmanager
async def _rig(platform: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    adapter: ChatAdapter
    if platform == "discord":
        async with _discord(monkeypatch) as d:
            adapter = DiscordAdapter(d.token, api_base=d.api_base, guild_ready_timeout=0.05)
            try:
                yield Rig("discord", d, adapter, [f"discord:{D1}", f"discord:{D2}"])
            finally:
                await adapter.close()
    else:
        # slack_sdk sleeps Retry-After + random(); pin the jitter (module attribute only).
        import slack_sdk.http_retry.builtin_async_handlers as handlers

        monkeypatch.setattr(handlers, "random", types.SimpleNamespace(random=lambda: 0.02))
        async with _slack() as s:
            adapter = SlackAdapter(s.token, signing_secret="s", api_base=s.api_base)
            try:
                yield Rig("slack", s, adapter, [f"slack:{S1}", f"slack:{S2}"])
            finally:
                await adapter.close()


@pytest.fixture
async def discord_standin(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[DiscordStandIn]:
    async with _discord(monkeypatch) as stand_in:
        yield stand_in


@pytest.fixture
async def slack_standin() -> AsyncIterator[SlackStandIn]:
    async with _slack() as stand_in:
        yield stand_in


@pytest.fixture
async def discord_rig(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    async with _rig("discord", monkeypatch) as r:
        yield r


@pytest.fixture
async def slack_rig(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Rig]:
    async with _rig("slack", monkeypatch) as r:
        yield r


@pytest.fixture(params=["discord", "slack"])
async def rig(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Rig]:
    async with _rig(request.param, monkeypatch) as r:
        yield r


# ---------------------------------------------------------------------- poll --once through the CLI


def _feed_config(tmp_path: Path, feed_port: int, section: str, channel: str) -> Path:
    (tmp_path / "watchlist.toml").write_text((REPO / "config" / "watchlist.toml").read_text())
    cfg = tmp_path / "alliance.toml"
    cfg.write_text(
        f"""
database_url = "sqlite+aiosqlite:///{tmp_path / "state.sqlite3"}"
[fetch]
allow_private_networks = true
total_timeout = "5s"
{section}
[[sources]]
name = "RSS wire"
url = "http://127.0.0.1:{feed_port}/rss.xml"
[[subscriptions]]
channel = "{channel}"
query = "*"
"""
    )
    return cfg


def _serve_feed(server: FeedServer) -> None:  # noqa: F811
    recent = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    items = [
        (
            "Microsoft partners with Mistral AI to bring its models to Azure",
            "https://news.test/ms-mistral",
            "A partnership.",
            recent,
        ),
        (
            f"{HOSTILE} Anthropic raises $450 million Series C led by Spark Capital",
            "https://news.test/anthropic-c",
            "Compute.",
            recent,
        ),
        (
            "Acme Robotics opens a new office in Lisbon",
            "https://news.test/office",
            "No deal here.",
            recent,
        ),
    ]
    server.bodies["/rss.xml"] = (
        rss([(xml_escape(t), u, d, w) for t, u, d, w in items]),
        "application/rss+xml",
    )


def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISCORD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)


async def _poll_once(cfg: Path) -> tuple[list[dict[str, Any]], list[Any]]:
    code, out, err = await cli(cfg, "poll", "--once", "--json")
    assert code == 0, err
    assert "Traceback" not in err
    flagged = [json.loads(line) for line in out.splitlines() if line.strip()]
    store = await open_store(f"sqlite+aiosqlite:///{cfg.parent / 'state.sqlite3'}")
    try:
        rows = await store.deliveries()
    finally:
        await store.close()
    return flagged, rows


async def test_poll_once_posts_through_the_real_discord_adapter(
    server: FeedServer,  # noqa: F811
    discord_standin: DiscordStandIn,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _serve_feed(server)
    _clean_env(monkeypatch)
    monkeypatch.setenv("DISCORD_TOKEN", discord_standin.token)
    cfg = _feed_config(
        tmp_path,
        server.port,
        f'[discord]\napi_base = "{discord_standin.api_base}"',
        f"discord:{D1}",
    )

    flagged, rows = await _poll_once(cfg)

    assert len(flagged) == 2 and any("Anthropic" in f["title"] for f in flagged)
    # Exactly one message per flagged story, each recorded as sent with its message id.
    assert len(discord_standin.posts) == len(flagged) == len(rows)
    assert len({r.story_id for r in rows}) == len(rows)
    assert [r.status for r in rows] == ["sent"] * len(rows)
    by_nonce = {p["nonce"]: p for p in discord_standin.posts}
    for r in rows:
        post = by_nonce[nonce_for(f"alliance-{r.id}")]
        assert r.message_id == str(post["message_id"]) and post["channel_id"] == int(D1)
        assert post["payload"]["allowed_mentions"] == {"parse": []}
    assert discord_standin.nonce_hits == []
    assert discord_standin.violations == []
    assert discord_standin.pings == []  # the hostile title pinged nobody
    titles = " ".join(p["payload"]["embeds"][0]["title"] for p in discord_standin.posts)
    # allowed_mentions is the control; the escaping on top breaks @everyone even cosmetically.
    assert "Anthropic" in titles and "@everyone" not in titles


async def test_poll_once_posts_through_the_real_slack_adapter(
    server: FeedServer,  # noqa: F811
    slack_standin: SlackStandIn,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _serve_feed(server)
    _clean_env(monkeypatch)
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack_standin.token)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "e2e-signing-secret")
    cfg = _feed_config(
        tmp_path, server.port, f'[slack]\napi_base = "{slack_standin.api_base}"', f"slack:{S1}"
    )

    flagged, rows = await _poll_once(cfg)

    assert len(flagged) == 2
    assert len(slack_standin.posts) == len(flagged) == len(rows)
    assert len({r.story_id for r in rows}) == len(rows)
    assert [r.status for r in rows] == ["sent"] * len(rows)
    assert sorted(r.message_id for r in rows) == sorted(p["ts"] for p in slack_standin.posts)
    assert all(p["channel"] == S1 for p in slack_standin.posts)
    assert slack_standin.violations == []
    assert slack_standin.pings == []  # <!channel>, &lt;!here&gt; stayed literal text
    assert slack_standin.links == []
    assert any("Anthropic" in p["params"]["text"] for p in slack_standin.posts)


# ---------------------------------------------------------------------- rate limits


async def test_discord_per_route_429s_are_absorbed_by_discord_py(
    store: Store, discord_rig: Rig
) -> None:
    # No X-RateLimit headers: discord.py cannot pre-empt, so the 2-per-0.3 s bucket answers 429s.
    discord_rig.standin.message_limit = (2, 0.3)
    discord_rig.standin.send_ratelimit_headers = False
    clock = Clock()
    await queue(store, clock(), 4, discord_rig.channels)
    stats = await worker(store, discord_rig, clock).drain()
    limited = discord_rig.standin.rate_limited
    assert limited and not any(r["global"] for r in limited)
    assert stats.sent == 8 and stats.retried == 0 and stats.failed == 0
    await assert_all_delivered_once_in_order(store, discord_rig, 4)


async def test_discord_global_429_holds_then_delivers(store: Store, discord_rig: Rig) -> None:
    clock = Clock()
    await queue(store, clock(), 3, discord_rig.channels)
    discord_rig.standin.fail_next(
        1, 429, retry_after=0.3, is_global=True, path_contains="/messages"
    )
    stats = await worker(store, discord_rig, clock).drain()
    assert [r["global"] for r in discord_rig.standin.rate_limited] == [True]
    assert stats.sent == 6 and stats.retried == 0
    await assert_all_delivered_once_in_order(store, discord_rig, 3)


async def test_discord_429_beyond_the_client_cap_is_rescheduled_by_the_outbox(
    store: Store, discord_rig: Rig
) -> None:
    # retry_after 120 s > max_ratelimit_timeout (60 s): discord.py raises, the outbox waits 120 s.
    clock = Clock()
    await queue(store, clock(), 3, discord_rig.channels)
    discord_rig.standin.fail_next(1, 429, retry_after=120.0, path_contains=f"/channels/{D1}/")
    w = worker(store, discord_rig, clock)
    stats = await w.drain()
    assert stats.sent == 3 and stats.retried == 1  # D2 went on; D1 waits, in order
    assert discord_rig.numbers(f"discord:{D1}") == []
    clock.advance(119)
    assert (await w.drain()).sent == 0
    clock.advance(2)
    assert (await w.drain()).sent == 3
    await assert_all_delivered_once_in_order(store, discord_rig, 3)


async def test_slack_429_with_retry_after_0(store: Store, slack_rig: Rig) -> None:
    # 3 x 429 with the client allowed 2 retries: slack_sdk absorbs two, the outbox the third.
    # One channel, so the three 429s all land on the same post.
    clock, channel = Clock(), slack_rig.channels[0]
    await queue(store, clock(), 3, [channel])
    slack_rig.standin.fail_next(3, "ratelimited", retry_after=0, method="chat.postMessage")
    w = worker(store, slack_rig, clock)
    first = await w.drain()
    assert first.sent == 0 and first.retried == 1 and first.failed == 0
    assert len(slack_rig.standin.rate_limited) == 3
    clock.advance(4.9)  # Retry-After 0 -> the outbox's base backoff (5 s) still applies
    assert (await w.drain()).sent == 0
    clock.advance(0.2)
    assert (await w.drain()).sent == 3
    await assert_all_delivered_once_in_order(store, slack_rig, 3, [channel])


# ---------------------------------------------------------------------- 5xx and outages


async def test_500_streak_then_everything_delivered(
    store: Store, rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    if rig.platform == "discord":
        # discord.py retries a 500 itself, sleeping 1 + 2*tries s (5 tries); scale those sleeps down.
        real_sleep = asyncio.sleep

        async def quick(delay: float, *args: Any, **kwargs: Any) -> Any:
            return await real_sleep(delay / 100, *args, **kwargs)

        monkeypatch.setattr(
            discord.http, "asyncio", types.SimpleNamespace(**{**vars(asyncio), "sleep": quick})
        )
        rig.standin.fail_next(
            12, 500, path_contains="/messages"
        )  # 5 + 5 absorbed per attempt, 2 more
    else:
        rig.standin.fail_next(
            3, "internal_error", status=500, method="chat.postMessage"
        )  # not retried by slack_sdk
    clock = Clock()
    await queue(store, clock(), 3, rig.channels)
    w = worker(store, rig, clock)
    for _ in range(6):
        await w.drain()
        clock.advance(900)
    await assert_all_delivered_once_in_order(store, rig, 3)
    assert sum(r.attempts for r in await store.deliveries()) > 6  # some rows took several attempts


async def test_long_outage_then_everything_delivered_once_in_order(store: Store, rig: Rig) -> None:
    clock = Clock()
    await queue(store, clock(), 5, rig.channels)
    rig.standin.outage(3600)  # every request 503 until cleared
    w = worker(store, rig, clock)
    for _ in range(6):  # six hours of outage, one drain an hour
        stats = await w.drain()
        assert stats.sent == 0 and stats.failed == 0
        clock.advance(3600)
    assert rig.standin.posts == []
    # Only the head of each channel was tried; the rest waited without burning attempts.
    rows = await store.deliveries()
    heads = {min(r.id for r in rows if r.channel == ch) for ch in rig.channels}
    assert all(r.attempts == (6 if r.id in heads else 0) for r in rows)
    rig.standin.outage(0)
    # Queued during the outage: delivered after the older ones.
    await queue_more(store, clock(), rig.channels)
    await w.drain()
    await assert_all_delivered_once_in_order(store, rig, 6)


async def queue_more(store: Store, now: datetime, channels: list[str]) -> None:
    stored = await store.add_stories(
        [
            (
                Story(
                    "wire", "k5", "https://news.example/5", "Acme AI raises $5M seed n005", "", now
                ),
                Match(ai=True, events=("funding",), parties=("Acme AI",)),
                True,
            )
        ],
        now,
    )
    await store.enqueue(stored[0].id, channels, now)


# ---------------------------------------------------------------------- permanent errors


async def test_permanent_errors_are_recorded_and_not_retried(store: Store, rig: Rig) -> None:
    good, bad = rig.channels
    if rig.platform == "discord":
        rig.standin.set_channel_error(int(D2), 403)
        expected = "missing permissions"
    else:
        rig.standin.set_channel_error(S2, "channel_not_found")
        expected = "channel_not_found"
    clock = Clock()
    await queue(store, clock(), 3, rig.channels)
    w = worker(store, rig, clock)
    stats = await w.drain()
    assert stats.failed == 3 and stats.retried == 0 and stats.sent == 3
    failed = await store.deliveries(channel=bad)
    assert [r.status for r in failed] == ["failed"] * 3
    assert all(expected in (r.last_error or "") and r.attempts == 1 for r in failed)
    tried = rig.requests_to(bad)
    assert tried == 3  # one request per alert, no client-side retry either
    clock.advance(86400)
    later = await w.drain()
    assert later.sent + later.failed + later.retried == 0
    assert rig.requests_to(bad) == tried
    await assert_all_delivered_once_in_order(store, rig, 3, [good])


# ---------------------------------------------------------------------- crash safety


async def _child(
    db: str, rig_platform: str, api_base: str, token: str, offset_s: float
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests._drain_child",
        "--db",
        db,
        "--platform",
        rig_platform,
        "--api-base",
        api_base,
        "--token",
        token,
        "--now-offset-s",
        str(offset_s),
        "--lease-s",
        "600",
        "--no-pace",
        cwd=str(REPO),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


async def _kill_after(proc: asyncio.subprocess.Process, standin: Any, posts: int) -> None:
    try:
        await standin.wait_for(
            lambda: len(standin.posts) >= posts or proc.returncode is not None, timeout=30
        )
    finally:
        if proc.returncode is None:
            proc.kill()  # SIGKILL: no cleanup, leases stay taken, responses never read
        await proc.communicate()
    assert proc.returncode == -9, "the child finished before the kill landed"


async def _finish(proc: asyncio.subprocess.Process) -> dict[str, Any]:
    out, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode == 0, err.decode()[-3000:]
    stats: dict[str, Any] = json.loads(out.decode().splitlines()[-1])
    return stats


async def _in_flight(db: str, standin: Any) -> int:
    """Posts the platform shows whose delivery row was never marked sent (the crash window)."""
    s = await open_store(db)
    try:
        sent = await s.deliveries(status="sent")
    finally:
        await s.close()
    return len(standin.posts) - len(sent)


async def test_sigkill_mid_drain_discord_nothing_lost_nothing_doubled(
    discord_standin: DiscordStandIn, tmp_path: Path
) -> None:
    n = 10
    db = f"sqlite+aiosqlite:///{tmp_path / 'shared.sqlite3'}"
    store = await open_store(db)
    try:
        await queue(store, datetime.now(UTC), n, [f"discord:{D1}", f"discord:{D2}"])
    finally:
        await store.close()
    discord_standin.response_delay_s = 0.15  # responses lag: the kill lands with posts in flight
    args = (db, "discord", discord_standin.api_base, discord_standin.token)

    in_flight = []
    for crash, after_posts in enumerate((5, 12), start=1):
        # Each restart runs with "now" past the previous child's 600 s lease.
        await _kill_after(
            await _child(*args, offset_s=700.0 * (crash - 1)), discord_standin, after_posts
        )
        in_flight.append(await _in_flight(db, discord_standin))
    assert all(k >= 1 for k in in_flight)  # each kill left at least one posted-but-unrecorded alert
    await _finish(await _child(*args, offset_s=1400.0))

    store = await open_store(db)
    try:
        rig = Rig("discord", discord_standin, None, [f"discord:{D1}", f"discord:{D2}"])  # type: ignore[arg-type]
        # Retries after the crashes reused the nonce: Discord answered with the original message.
        assert len(discord_standin.nonce_hits) >= sum(in_flight)
        await assert_all_delivered_once_in_order(store, rig, n)
    finally:
        await store.close()


async def test_sigkill_mid_drain_slack_at_most_one_duplicate_per_channel_per_crash(
    slack_standin: SlackStandIn, tmp_path: Path
) -> None:
    n = 8
    channels = [f"slack:{S1}", f"slack:{S2}"]
    db = f"sqlite+aiosqlite:///{tmp_path / 'shared.sqlite3'}"
    store = await open_store(db)
    try:
        await queue(store, datetime.now(UTC), n, channels)
    finally:
        await store.close()
    slack_standin.response_delay_s = 0.15
    args = (db, "slack", slack_standin.api_base, slack_standin.token)

    await _kill_after(await _child(*args, offset_s=0.0), slack_standin, 5)
    in_flight = await _in_flight(db, slack_standin)
    assert 1 <= in_flight <= len(channels)  # at most one post in flight per channel
    await _finish(await _child(*args, offset_s=700.0))

    rig = Rig("slack", slack_standin, None, channels)  # type: ignore[arg-type]
    duplicates = 0
    for channel in channels:
        shown = rig.numbers(channel)
        assert list(dict.fromkeys(shown)) == list(range(n))  # nothing lost, in order
        extra = len(shown) - n
        assert extra <= 1  # Slack has no idempotency key: at most the in-flight post repeats
        if extra:
            i = next(i for i in range(len(shown) - 1) if shown[i] == shown[i + 1])
            assert shown.count(shown[i]) == 2  # the repeat is adjacent: the retried in-flight post
        duplicates += extra
    assert duplicates == in_flight  # exactly the posts in flight at the kill were repeated
    store = await open_store(db)
    try:
        rows = await store.deliveries()
        assert [r.status for r in rows] == ["sent"] * len(rows) == ["sent"] * (n * len(channels))
        # The row points at the message posted last (the retry), which is visible.
        visible = {p["ts"] for p in slack_standin.posts}
        assert all(r.message_id in visible for r in rows)
    finally:
        await store.close()
    assert slack_standin.violations == [] and slack_standin.pings == []
