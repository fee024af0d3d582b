"""`alliance-bot run` as a process: schedules polls, prints alerts, stops cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.test_e2e_poll import FeedServer, rss, server, write_config  # noqa: F401 - fixture

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_run_polls_alerts_and_stops_on_signal(server: FeedServer, tmp_path: Path, sig: int) -> None:  # noqa: F811
    server.bodies["/rss.xml"] = (
        rss([("Amazon invests $4 billion in Anthropic", "https://news.test/amzn", "Strategic investment in the AI lab.", datetime.now(UTC))]),
        "application/rss+xml",
    )
    cfg = write_config(tmp_path, server.port)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ALLIANCE_CONFIG", "DISCORD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(cfg), "run",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=str(tmp_path), env=env,
    )
    assert proc.stdout is not None
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=30)
        assert b"Amazon invests $4 billion in Anthropic" in line
    finally:
        proc.send_signal(sig)
        out, err = await asyncio.wait_for(proc.communicate(), timeout=20)
    assert proc.returncode == 0, err.decode()
    assert b"Traceback" not in err
    assert b"shutting down" in err
    # The start-up line names the matcher that runs (the native port once built; CI builds it).
    from bot.matcher.native import load

    assert (b"matcher='native'" if load() is not None else b"matcher='python'") in err, err.decode()
