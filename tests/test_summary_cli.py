"""`alliance-bot summary` and `alliance-bot cluster` from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from adapters.recording import RecordingAdapter
from bot.app import App
from bot.settings import load_config
from bot.types import Amount, Match, Story

REPO = Path(__file__).resolve().parents[1]


def run(cfg: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(cfg), *args],
        input=stdin, capture_output=True, text=True, timeout=120, cwd=cfg.parent,
    )


async def test_summary_text_json_and_png(tmp_path: Path) -> None:
    cfg = tmp_path / "alliance.toml"
    cfg.write_text(
        f'database_url = "sqlite+aiosqlite:///{tmp_path / "s.sqlite3"}"\n'
        f'[matcher]\nwatchlist = "{REPO / "config" / "watchlist.toml"}"\n'
    )
    now = datetime.now(UTC)
    async with App(load_config(cfg, environ={}, dotenv=None), adapters={"recording": RecordingAdapter()}) as app:
        wire = Story("Wire", "1", "https://n.test/1", "Mistral AI raises $600 million", "", now - timedelta(hours=2))
        other = Story("Other", "2", "https://o.test/2", "Mistral lands $600M", "", now - timedelta(hours=1))
        deal = Story("Wire", "3", "https://n.test/3", "Microsoft partners with OpenAI", "", now)
        funding = Match(ai=True, events=("funding",), parties=("Mistral AI", "General Catalyst"), amount=Amount(600e6, "USD"), round="series b")
        stored = await app.store.add_stories([(wire, funding, True), (deal, Match(ai=True, events=("partnership",), parties=("Microsoft", "OpenAI")), True)], now)
        stored += await app.store.add_stories([(other, Match(ai=True, events=("funding",), parties=("Mistral AI",), amount=Amount(600e6, "USD")), True)], now)
        stored = [stored[0], stored[2]]
        await app.store.set_cluster(stored[0].id, stored[0].id)
        await app.store.set_cluster(stored[1].id, stored[0].id)  # the same event, another outlet

    text = run(cfg, "summary", "--period", "24h")
    assert text.returncode == 0, text.stderr
    assert "2 deals" in text.stdout and "$600M" in text.stdout  # events, not articles
    js = run(cfg, "summary", "--period", "7d", "--json", "--png", str(tmp_path / "map.png"), "--query", "event:funding")
    assert js.returncode == 0, js.stderr
    data = json.loads(js.stdout)
    assert data["deals"] == 1
    assert data["groups"]["funding"][0]["outlets"] == ["Wire", "Other"]
    assert (tmp_path / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad = run(cfg, "summary", "--query", "(mistral")
    assert bad.returncode == 2 and "never closed" in bad.stderr and "Traceback" not in bad.stderr


def test_cluster_cli(tmp_path: Path) -> None:
    cfg = tmp_path / "alliance.toml"
    cfg.write_text(f'[matcher]\nwatchlist = "{REPO / "config" / "watchlist.toml"}"\n')
    lines = [
        {"id": "a", "title": "Nvidia invests $2 billion in xAI", "summary": "", "link": "https://a.test/1", "published": "2026-11-20T10:00:00Z", "source": "A"},
        {"id": "b", "title": "xAI gets $2 billion investment from Nvidia", "summary": "", "link": "https://b.test/2", "published": "2026-11-20T12:00:00Z", "source": "B"},
        {"id": "c", "title": "Cohere raises $500 million Series D", "summary": "", "link": "https://c.test/3", "published": "2026-11-20T12:00:00Z", "source": "C"},
    ]
    stdin = "\n".join(json.dumps(x) for x in lines) + "\nnot json\n"
    out = run(cfg, "cluster", stdin=stdin)
    assert out.returncode == 1 and "line 4" in out.stderr
    got = {r["id"]: r["cluster"] for r in map(json.loads, out.stdout.splitlines())}
    assert got["a"] == got["b"] != got["c"]
