"""Fault injection through the whole App: many broken sources at once, on loopback only.

One App (real config file, real store, real guarded fetcher, real parser pool) polls a
dozen sources that fail in different ways next to two good ones.  A fake clock drives
several passes so backoff, pausing, Retry-After and redirect bookkeeping can be checked
without waiting.  Chat output goes to a RecordingAdapter ("recording:alerts" for the
subscription, "recording:admin" for the admin channel).

Also here: secrets never reach logs or error messages (the real CLI, stderr captured),
and a locked SQLite file ends the CLI with exit code 3 and one sentence, no traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sqlite3
import sys
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from aiohttp import web

from adapters.recording import RecordingAdapter
from bot.app import App, fetch_settings
from bot.errors import FetchError
from bot.fetch import MIB, Fetcher, FetchSettings, create_session
from bot.settings import load_config
from bot.store import SourceState, open_store
from tests.feedserver import FeedServer

REPO = Path(__file__).resolve().parents[1]
CANARY = "SECRET-BODY-CANARY-7c1e"


# --------------------------------------------------------------------------- helpers


class Clock:
    def __init__(self, start: datetime) -> None:
        self.t = start

    def __call__(self) -> datetime:
        return self.t

    def advance_to(self, when: datetime) -> None:
        self.t = max(self.t, when)


def rss(channel: str, items: list[tuple[str, str, datetime]]) -> bytes:
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid>"
        f"<description>The AI companies signed a deal.</description>"
        f"<pubDate>{format_datetime(when)}</pubDate></item>"
        for t, link, when in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{channel}</title><link>http://example.test/</link>{body}</channel></rss>"
    ).encode()


@dataclass
class Publisher:
    """A good feed whose items can grow between passes."""

    name: str
    items: list[tuple[str, str, datetime]] = field(default_factory=list)

    def publish(self, title: str, when: datetime) -> str:
        link = f"https://news.test/{self.name}/{len(self.items)}"
        self.items.append((title, link, when))
        return title

    async def handler(self, request: web.Request) -> web.Response:
        return web.Response(body=rss(self.name, self.items), content_type="application/rss+xml")


async def _drip(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
    await resp.prepare(request)
    with contextlib.suppress(ConnectionError):
        while True:
            await resp.write(b"<")
            await asyncio.sleep(0.3)
    return resp


def gzip_bomb(mib: int = 64) -> bytes:
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(MIB)
    return b"".join([comp.compress(block) for _ in range(mib)] + [comp.flush()])


def free_port() -> int:
    with socket.socket() as sock:  # reserve a port, then free it: nobody listens
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


STARTUPS = ("Wayve", "Quantexa", "Helsing", "Synthesia", "Aleph Alpha", "Photoroom", "Poolside", "Lovable")


def write_config(
    tmp_path: Path,
    sources: dict[str, str],
    *,
    allow_private: bool = True,
    extra: str = "",
    database_url: str | None = None,
) -> Path:
    (tmp_path / "watchlist.toml").write_text((REPO / "config" / "watchlist.toml").read_text())
    db = database_url or f"sqlite+aiosqlite:///{tmp_path / 'state.sqlite3'}"
    src = "".join(
        f'[[sources]]\nname = "{name}"\nurl = "{url}"\n\n' for name, url in sources.items()
    )
    cfg = tmp_path / "alliance.toml"
    cfg.write_text(
        f"""
database_url = "{db}"
[fetch]
allow_private_networks = {"true" if allow_private else "false"}
total_timeout = "2s"
read_timeout = "1s"
connect_timeout = "1s"
[poll]
default_interval = "60s"
max_backoff = "1h"
pause_after_failures = 4
[admin]
channel = "recording:admin"
{extra}
[[subscriptions]]
channel = "recording:alerts"
query = "*"

{src}"""
    )
    return cfg


@contextlib.asynccontextmanager
async def running_app(cfg: Path, clock: Clock, rec: RecordingAdapter) -> AsyncIterator[App]:
    config = load_config(cfg, environ={}, dotenv=None)
    async with App(config, adapters={"recording": rec}, now=clock) as app:
        yield app


async def states(app: App) -> dict[str, SourceState]:
    return {s.name: s for s in await app.store.sources()}


def posts(rec: RecordingAdapter, channel: str) -> list[str]:
    return [p.message.title for p in rec.posts if p.channel == channel]


def admin_posts(rec: RecordingAdapter) -> list[str]:
    return [p.message.summary for p in rec.posts if p.channel == "recording:admin"]


# --------------------------------------------------------------------------- many faults


async def test_many_faulty_sources_in_one_app(tmp_path: Path) -> None:
    start = datetime.now(UTC).replace(microsecond=0)
    clock = Clock(start)
    rec = RecordingAdapter()
    good1, good2 = Publisher("good1"), Publisher("good2")
    expected_alerts = [
        good1.publish("Microsoft partners with Mistral AI to bring its models to Azure", start),
        good2.publish("Anthropic raises $450 million Series C led by Spark Capital", start),
    ]
    refused = free_port()

    async with FeedServer() as srv:
        srv.route("/good1.xml", good1.handler)
        srv.route("/good2.xml", good2.handler)
        srv.add("/gone", b"gone", status=410, content_type="text/plain")
        srv.add("/limited_s", CANARY.encode(), status=429, headers={"Retry-After": "3600"})
        # Retry-After as an HTTP date, 2 h ahead.  The Fetcher computes it against the
        # wall clock (App does not pass its clock to the Fetcher), so the fake clock
        # starts at the real time.
        srv.add(
            "/limited_date",
            b"slow down",
            status=429,
            headers={"Retry-After": format_datetime(start + timedelta(hours=2), usegmt=True)},
        )
        srv.add("/e500", f"internal error {CANARY}".encode(), status=500, content_type="text/plain")
        srv.redirect("/loop", "/loop")
        srv.route("/drip", _drip)
        srv.add("/bomb", gzip_bomb(), headers={"Content-Encoding": "gzip"})
        srv.redirect("/to_metadata", "http://169.254.169.254/latest/meta-data/")
        srv.redirect("/old", "/new", status=301)
        moved = Publisher("moved")
        srv.route("/new", moved.handler)
        sources = {
            "Good 1": srv.url("/good1.xml"),
            "Good 2": srv.url("/good2.xml"),
            "DNS": "http://no-such-feed.invalid/rss",
            "Refused": f"http://127.0.0.1:{refused}/rss",
            "Missing": srv.url("/missing"),
            "Gone": srv.url("/gone"),
            "Limited s": srv.url("/limited_s"),
            "Limited date": srv.url("/limited_date"),
            "Broken": srv.url("/e500"),
            "Loop": srv.url("/loop"),
            "Drip": srv.url("/drip"),
            "Bomb": srv.url("/bomb"),
            "Metadata": srv.url("/to_metadata"),
            "Moved": srv.url("/old"),
        }
        cfg = write_config(tmp_path, sources)

        async with running_app(cfg, clock, rec) as app:
            # ---------------- pass 1: everything at once
            results = {r.key: r for r in await app.poll_once(force=True)}
            st = await states(app)
            assert set(results) == set(sources)
            for name in ("Good 1", "Good 2", "Moved"):
                assert results[name].ok, (name, results[name].error)
                assert st[name].failures == 0 and st[name].last_error is None
            kinds = {
                "DNS": "dns",
                "Refused": "connect",
                "Missing": "http",
                "Gone": "gone",
                "Limited s": "rate_limited",
                "Limited date": "rate_limited",
                "Broken": "http",
                "Loop": "redirects",
                "Drip": "timeout",
                "Bomb": "too_large",
                "Metadata": "blocked",
            }
            statuses = {"Missing": 404, "Gone": 410, "Limited s": 429, "Limited date": 429, "Broken": 500}
            for name, kind in kinds.items():
                assert not results[name].ok, name
                s = st[name]
                assert s.last_error_kind == kind, (name, s.last_error_kind, s.last_error)
                assert s.last_status == statuses.get(name), (name, s.last_status)
                assert s.last_error and CANARY not in s.last_error, name
                assert CANARY not in str(results[name].error), name
                assert s.last_polled_at == start
            # good sources in the same pass alerted normally, each story once
            assert sorted(posts(rec, "recording:alerts")) == sorted(expected_alerts)
            # 410 and a refused (private/metadata) address pause at once; the rest back off
            for name in kinds:
                s = st[name]
                if name in ("Gone", "Metadata"):
                    assert s.paused and s.next_poll_at is None, name
                elif name.startswith("Limited"):
                    assert not s.paused and s.failures == 0, name  # 429 never counts
                else:
                    assert not s.paused and s.failures == 1, name
                    wait = (s.next_poll_at - start).total_seconds()
                    assert 54 <= wait <= 66, (name, wait)  # interval 60 s +-10 % jitter
            limited_s = (st["Limited s"].next_poll_at - start).total_seconds()
            limited_date = (st["Limited date"].next_poll_at - start).total_seconds()
            assert limited_s == 3600
            assert 7100 <= limited_date <= 7200, limited_date
            assert sorted(admin_posts(rec)) == sorted(
                a for a in admin_posts(rec) if "'Gone'" in a or "'Metadata'" in a
            )
            assert len(admin_posts(rec)) == 2
            # the first 301 is only a candidate
            assert st["Moved"].url == srv.url("/old")
            assert st["Moved"].redirect_candidate == srv.url("/new")

            # ---------------- further passes on the fake clock: backoff until paused
            waits: list[float] = []
            for _ in range(6):
                broken = (await states(app))["Broken"]
                if broken.paused:
                    break
                assert broken.next_poll_at is not None
                clock.advance_to(broken.next_poll_at + timedelta(seconds=1))
                expected_alerts.append(
                    good1.publish(  # a different event each round: same-event copies would cluster
                        f"Nvidia invests ${500 + 37 * len(waits)} million in {STARTUPS[len(waits)]}", clock()
                    )
                )
                before = clock()
                await app.poll_once(force=False)
                after = (await states(app))["Broken"]
                if after.next_poll_at is not None:
                    waits.append((after.next_poll_at - before).total_seconds())
            st = await states(app)
            broken = st["Broken"]
            assert broken.paused and broken.failures == 4, broken
            assert "4 failures" in (broken.paused_reason or "")
            # 60, 120, 240 s (+-10 %): doubling each time
            assert len(waits) == 2 and 108 <= waits[0] <= 132 and 216 <= waits[1] <= 264, waits

            # two more forced passes: paused sources stay quiet, 429 still never counts
            for _ in range(2):
                clock.advance_to(clock() + timedelta(minutes=5))
                await app.poll_once(force=True)
            st = await states(app)
            for name in ("Limited s", "Limited date"):
                assert st[name].failures == 0 and not st[name].paused, name
            for name in ("DNS", "Refused", "Missing", "Loop", "Drip", "Bomb", "Broken"):
                assert st[name].paused and st[name].failures == 4, (name, st[name])
            notices = admin_posts(rec)
            paused_names = sorted(n for n, s in st.items() if s.paused)
            assert len(notices) == len(paused_names), notices  # exactly ONE per paused source
            for name in paused_names:
                assert sum(f"'{name}'" in n for n in notices) == 1, name
            for n in notices:
                assert CANARY not in n
            # the 301 held over two polls: the stored URL moved, validators reset
            assert st["Moved"].url == srv.url("/new")
            assert st["Moved"].redirect_candidate is None
            # every good story was alerted exactly once
            assert sorted(posts(rec, "recording:alerts")) == sorted(expected_alerts)
            # health visible through the store, as `sources health` shows it
            assert st["Good 1"].failures == 0 and st["Good 1"].last_success_at is not None
            assert st["Good 1"].next_poll_at is not None and not st["Good 1"].paused
        hits_on_old = srv.hits["/old"]
    assert hits_on_old == 2  # after the move, /old is never asked again


async def test_redirect_to_private_address_under_the_production_policy(tmp_path: Path) -> None:
    """allow_private_networks = false, with only the feed server's exact endpoint allowed.

    App's config has no way to express ``FetchSettings.allowed_endpoints``, so the
    poller's fetcher is swapped for one built from the App's own settings plus the
    allowlist (Poller level, real App otherwise).
    """
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    rec = RecordingAdapter()
    good = Publisher("good")
    title = good.publish("Cohere teams up with Oracle to offer generative AI to enterprises", clock())
    async with FeedServer() as srv, FeedServer() as internal:
        internal.add("/admin", b"INTERNAL-SECRET-CANARY", content_type="text/plain")
        srv.route("/good.xml", good.handler)
        srv.redirect("/to_internal", internal.url("/admin"))
        srv.redirect("/to_other_spelling", f"http://[::ffff:127.0.0.1]:{internal.port}/admin")
        srv.redirect("/to_localhost", f"http://localhost:{internal.port}/admin")
        cfg = write_config(
            tmp_path,
            {
                "Good": srv.url("/good.xml"),
                "Internal": srv.url("/to_internal"),
                "Spelling": srv.url("/to_other_spelling"),
                "Localhost": srv.url("/to_localhost"),
                "Direct": internal.url("/admin"),
            },
            allow_private=False,
        )
        async with running_app(cfg, clock, rec) as app:
            base = fetch_settings(app.settings)
            assert base.allow_private_networks is False
            fs = FetchSettings(
                **{
                    k: getattr(base, k)
                    for k in FetchSettings.__dataclass_fields__
                    if k != "allowed_endpoints"
                },
                allowed_endpoints=frozenset({("127.0.0.1", srv.port)}),
            )
            session = create_session(fs)
            try:
                app.poller.fetcher = Fetcher(session, fs, clock=clock)
                results = {r.key: r for r in await app.poll_once(force=True)}
            finally:
                await session.close()
            st = await states(app)
        assert internal.connections == 0, internal.hits  # never even dialled
    assert results["Good"].ok
    assert posts(rec, "recording:alerts") == [title]
    for name in ("Internal", "Spelling", "Localhost", "Direct"):
        assert st[name].last_error_kind == "blocked", (name, st[name].last_error)
        assert st[name].paused, name
        assert "INTERNAL-SECRET-CANARY" not in (st[name].last_error or "")
    assert len(admin_posts(rec)) == 4


# --------------------------------------------------------------------------- secrets


DISCORD_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456"
SLACK_TOKEN = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
SIGNING = "8f742231b10e8888abcd99yyyzzz85a5"
FEED_PASSWORD = "FeedPassw0rd-5ecret"
FEED_TOKEN = "QueryT0ken-5ecret-99"
DB_PASSWORD = "DbPassw0rd-5ecret-42"
SECRETS = (DISCORD_TOKEN, SLACK_TOKEN, SIGNING, FEED_PASSWORD, FEED_TOKEN, DB_PASSWORD, CANARY)


async def cli(config: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ALLIANCE_CONFIG")}
    for k in ("DISCORD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        base.pop(k, None)
    base.update(env or {})
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(config), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        cwd=str(config.parent), env=base,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout=90)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_secrets_never_reach_logs_or_errors(tmp_path: Path) -> None:
    async with FeedServer() as srv:
        srv.add("/e500", f"<html>{CANARY} {FEED_PASSWORD}</html>".encode(), status=500)
        srv.add("/garbage", f"\x00\xff{CANARY}".encode(), content_type="text/html")
        srv.redirect("/loop", "/loop")
        srv.add("/429", CANARY.encode(), status=429, headers={"Retry-After": "60"})
        userinfo = f"http://reader:{FEED_PASSWORD}@127.0.0.1:{srv.port}"
        sources = {
            "Userinfo 500": f"{userinfo}/e500?token={FEED_TOKEN}",
            "Token garbage": f"{srv.url('/garbage')}?api_key={FEED_TOKEN}&x=1",
            "Token loop": f"{srv.url('/loop')}?token={FEED_TOKEN}",
            "Token 429": f"{userinfo}/429?token={FEED_TOKEN}",
            "Token DNS": f"http://reader:{FEED_PASSWORD}@feed.invalid/rss?token={FEED_TOKEN}",
            "Token refused": f"http://127.0.0.1:{free_port()}/rss?token={FEED_TOKEN}",
        }
        dead = free_port()
        cfg = write_config(
            tmp_path,
            sources,
            extra=f'[log]\nlevel = "DEBUG"\nformat = "json"\n'
            f'[discord]\napi_base = "http://127.0.0.1:{dead}/api"\n'
            f'[slack]\napi_base = "http://127.0.0.1:{dead}/api/"\nport = {free_port()}\n',
        )
        env = {
            "DISCORD_TOKEN": DISCORD_TOKEN,
            "SLACK_BOT_TOKEN": SLACK_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING,
        }
        code, out, err = await cli(cfg, "poll", "--once", "--json", env=env)
        # and with a database password in the URL (a server nobody listens on)
        pg_url = f"postgresql+asyncpg://alliance:{DB_PASSWORD}@127.0.0.1:{dead}/alliance"
        code_db, out_db, err_db = await cli(cfg, "poll", "--once", env={**env, "DATABASE_URL": pg_url})
        assert srv.hits["/e500"] == 1 and srv.hits["/garbage"] == 1  # the poll really ran
    print(f"\n--- stderr of poll --once (exit {code}) ---\n{err[:3000]}")
    assert code == 1, err  # every source failed
    assert "Traceback" not in err
    for name in sources:
        assert f"source '{name}'" in err, name
    for secret in SECRETS:
        assert secret not in out + err, secret
        assert secret not in out_db + err_db, secret
    # structlog lines are JSON and carry the (redacted) failures
    events = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any(e.get("event") == "poll failed" for e in events), err[:2000]
    assert code_db == 3, err_db
    assert "Traceback" not in err_db, err_db
    assert [ln for ln in err_db.splitlines() if ln.startswith("alliance-bot:")], err_db
    # the store's copy of the errors is clean too
    store = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'state.sqlite3'}")
    try:
        for s in await store.sources():
            for secret in SECRETS:
                assert secret not in (s.last_error or ""), (s.name, s.last_error)
                assert secret not in (s.paused_reason or ""), s.name
    finally:
        await store.close()


async def test_fetch_error_never_echoes_a_response_body() -> None:
    async with FeedServer() as srv:
        for status in (400, 401, 403, 404, 418, 429, 500, 502, 503):
            srv.add(f"/s{status}", f"{CANARY} status {status}".encode(), status=status)
        settings = FetchSettings(allowed_endpoints=frozenset({("127.0.0.1", srv.port)}))
        session = create_session(settings)
        try:
            f = Fetcher(session, settings)
            for status in (400, 401, 403, 404, 418, 429, 500, 502, 503):
                with pytest.raises(FetchError) as info:
                    await f.fetch(srv.url(f"/s{status}") + f"?token={FEED_TOKEN}")
                text = f"{info.value} {info.value.args} {info.value!r}"
                assert CANARY not in text and FEED_TOKEN not in text, text
                assert info.value.status == status
        finally:
            await session.close()


# --------------------------------------------------------------------------- store errors


def _lock_fresh_file(path: Path) -> sqlite3.Connection:
    """A rollback-journal database another process holds EXCLUSIVE: nobody can even read."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA locking_mode=EXCLUSIVE")
    conn.execute("BEGIN EXCLUSIVE")
    conn.execute("CREATE TABLE holder (x)")
    return conn


async def _lock_migrated_file(path: Path) -> sqlite3.Connection:
    """A migrated (WAL) database whose write lock another connection holds."""
    store = await open_store(f"sqlite+aiosqlite:///{path}")
    await store.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    return conn


async def test_locked_sqlite_exits_3_with_a_sentence(tmp_path: Path) -> None:
    runs: list[tuple[str, Path]] = []
    holders: list[sqlite3.Connection] = []
    for label in ("fresh", "migrated"):
        d = tmp_path / label
        d.mkdir()
        db = d / "state.sqlite3"
        holders.append(
            _lock_fresh_file(db) if label == "fresh" else await _lock_migrated_file(db)
        )
        # A short busy timeout in the URL keeps the test quick; the default is 30 s.
        cfg = write_config(
            d, {"Feed": "http://127.0.0.1:9/rss"}, database_url=f"sqlite+aiosqlite:///{db}?timeout=2"
        )
        runs.append((label, cfg))
    try:
        outcomes = await asyncio.gather(*(cli(cfg, "poll", "--once") for _, cfg in runs))
    finally:
        for conn in holders:
            conn.close()
    for (label, _cfg), (code, out, err) in zip(runs, outcomes, strict=True):
        print(f"\n{label}: exit {code}: {err.strip()[:400]}")
        assert code == 3, (label, code, err[-2000:])
        assert "Traceback" not in err, (label, err[-2000:])
        lines = [line for line in err.splitlines() if line.startswith("alliance-bot:")]
        assert len(lines) == 1 and "locked" in lines[0], (label, err[-2000:])
