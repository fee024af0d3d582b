"""End to end: the real CLI (`python -m bot poll --once`) against feeds served on 127.0.0.1.

RSS, Atom and JSON Feed are served by a real aiohttp server with ETag support;
three more sources misbehave (500, garbage, no answer). The CLI runs as a
subprocess, exactly as a user runs it.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from hashlib import sha256
from pathlib import Path

import pytest
from aiohttp import web

from bot.store import open_store

REPO = Path(__file__).resolve().parents[1]


def rss(items: list[tuple[str, str, str, datetime]]) -> bytes:
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid>"
        f"<description>{d}</description><pubDate>{format_datetime(when)}</pubDate></item>"
        for t, link, d, when in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Wire</title><link>http://example.test/</link>{body}</channel></rss>"
    ).encode()


def atom(items: list[tuple[str, str, str, datetime]]) -> bytes:
    body = "".join(
        f'<entry><title>{t}</title><link href="{link}"/><id>{link}</id>'
        f"<summary>{d}</summary><updated>{when.isoformat()}</updated></entry>"
        for t, link, d, when in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Atom wire</title><id>urn:x</id><updated>{datetime.now(UTC).isoformat()}</updated>"
        f"{body}</feed>"
    ).encode()


def jsonfeed(items: list[tuple[str, str, str, datetime]]) -> bytes:
    return json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "JSON wire",
            "items": [
                {"id": link, "url": link, "title": t, "summary": d, "date_published": when.isoformat()}
                for t, link, d, when in items
            ],
        }
    ).encode()


@dataclass
class FeedServer:
    bodies: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    not_modified: int = 0
    port: int = 0
    released: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        self.hits[path] = self.hits.get(path, 0) + 1
        if path == "/error500":
            return web.Response(status=500, text="internal error: SECRET-BODY-CANARY")
        if path == "/hang":
            # Never answers in time; released at teardown so the server can stop.
            await self.released.wait()
            return web.Response(text="too late")
        if path not in self.bodies:
            return web.Response(status=404)
        body, ctype = self.bodies[path]
        etag = '"' + sha256(body).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            self.not_modified += 1
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=body, content_type=ctype, headers={"ETag": etag})


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    fs = FeedServer()
    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", fs.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fs.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield fs
    fs.released.set()
    await runner.cleanup()


async def cli(config: Path, *args: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ALLIANCE_CONFIG")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(config), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=str(config.parent), env=env,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def write_config(tmp_path: Path, port: int) -> Path:
    base = f"http://127.0.0.1:{port}"
    (tmp_path / "watchlist.toml").write_text((REPO / "config" / "watchlist.toml").read_text())
    cfg = tmp_path / "alliance.toml"
    cfg.write_text(
        f"""
database_url = "sqlite+aiosqlite:///{tmp_path / 'state.sqlite3'}"
[fetch]
allow_private_networks = true
total_timeout = "2s"
read_timeout = "2s"
[[sources]]
name = "RSS wire"
url = "{base}/rss.xml"
[[sources]]
name = "Atom wire"
url = "{base}/atom.xml"
[[sources]]
name = "JSON wire"
url = "{base}/feed.json"
[[sources]]
name = "Broken 500"
url = "{base}/error500"
[[sources]]
name = "Garbage"
url = "{base}/garbage"
[[sources]]
name = "Hangs"
url = "{base}/hang"
"""
    )
    return cfg


async def test_poll_once_end_to_end(server: FeedServer, tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    recent, old = now - timedelta(hours=1), now - timedelta(days=5)
    server.bodies["/rss.xml"] = (
        rss(
            [
                ("Microsoft partners with Mistral AI to bring its models to Azure", "https://news.test/ms-mistral", "A multi-year strategic partnership.", recent),
                ("Acme Robotics opens a new office in Lisbon", "https://news.test/office", "No deal here.", recent),
                ("Mistral AI raises $40 million seed round", "https://news.test/old-seed?utm_source=rss", "An old story from before we watched.", old),
            ]
        ),
        "application/rss+xml",
    )
    server.bodies["/atom.xml"] = (
        atom([("Anthropic raises $450 million Series C led by Spark Capital", "https://news.test/anthropic-c", "The AI startup will expand compute.", recent)]),
        "application/atom+xml",
    )
    server.bodies["/feed.json"] = (
        jsonfeed([("Cohere teams up with Oracle to offer generative AI to enterprises", "https://news.test/cohere-oracle", "The companies signed an agreement.", recent)]),
        "application/feed+json",
    )
    server.bodies["/garbage"] = (b"\x00\xff<html><body>Just a moment...</body></html>", "text/html")
    cfg = write_config(tmp_path, server.port)

    code, out, err = await cli(cfg, "poll", "--once", "--json")
    assert code == 0, err
    assert "Traceback" not in err
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    titles = sorted(r["title"] for r in rows)
    assert titles == sorted(
        [
            "Microsoft partners with Mistral AI to bring its models to Azure",
            "Anthropic raises $450 million Series C led by Spark Capital",
            "Cohere teams up with Oracle to offer generative AI to enterprises",
        ]
    )
    by_title = {r["title"]: r for r in rows}
    anth = by_title["Anthropic raises $450 million Series C led by Spark Capital"]
    assert anth["events"] == ["funding"] and anth["round"] == "series c"
    assert anth["amount"] == {"value": 450000000, "currency": "USD"}
    assert anth["parties"][0] == "Anthropic" and anth["link"] == "https://news.test/anthropic-c"
    ms = by_title["Microsoft partners with Mistral AI to bring its models to Azure"]
    assert "partnership" in ms["events"] and {"Microsoft", "Mistral AI"} <= set(ms["parties"])
    for r in rows:
        assert set(r) >= {"title", "link", "source", "events", "parties", "amount", "round"}
    # The failing sources are reported one line each, with no response body echoed.
    for name in ("Broken 500", "Garbage", "Hangs"):
        assert f"source '{name}'" in err
    assert "SECRET-BODY-CANARY" not in err + out
    assert "polled 6 sources: 3 ok, 3 failed; 3 flagged stories" in err

    # Second pass: 304s and dedup, nothing new.
    code, out, err = await cli(cfg, "poll", "--once", "--json")
    assert code == 0 and out.strip() == ""
    assert server.not_modified == 3

    # A new item is alerted once, then never again.
    server.bodies["/rss.xml"] = (
        rss(
            [
                ("Nvidia invests $500 million in Wayve, the AI self-driving startup", "https://news.test/nvidia-wayve", "Strategic investment.", now),
                ("Microsoft partners with Mistral AI to bring its models to Azure (updated)", "https://news.test/ms-mistral", "Edited title, same guid.", recent),
            ]
        ),
        "application/rss+xml",
    )
    code, out, err = await cli(cfg, "poll", "--once", "--json")
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert [r["title"] for r in rows] == ["Nvidia invests $500 million in Wayve, the AI self-driving startup"]
    code, out, err = await cli(cfg, "poll", "--once")
    assert out.strip() == ""

    # Failures were recorded against their sources, and only those.
    store = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'state.sqlite3'}")
    try:
        states = {s.name: s for s in await store.sources()}
    finally:
        await store.close()
    assert states["Broken 500"].failures == 4 and states["Broken 500"].last_status == 500
    assert states["Garbage"].failures == 4 and states["Garbage"].last_error
    assert states["Hangs"].failures == 4 and states["Hangs"].last_error_kind == "timeout"
    assert states["RSS wire"].failures == 0 and states["RSS wire"].etag


async def test_console_output_without_json(server: FeedServer, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    server.bodies["/rss.xml"] = (
        rss([("OpenAI partners with Reddit to bring content to ChatGPT", "https://news.test/oai-reddit", "A content licensing deal.", now)]),
        "application/rss+xml",
    )
    cfg = write_config(tmp_path, server.port)
    code, out, err = await cli(cfg, "poll", "--once")
    assert "[PARTNERSHIP] OpenAI partners with Reddit to bring content to ChatGPT" in out
    assert "link:    https://news.test/oai-reddit" in out
    assert "parties:" in out and "OpenAI" in out
