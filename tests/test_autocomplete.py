"""Autocomplete answers for Discord command options (companies, sources)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from adapters.recording import RecordingAdapter
from bot.app import App
from tests.test_crash_recovery import config


async def test_autocomplete_companies_and_sources(tmp_path: Path) -> None:
    async with App(config(tmp_path), adapters={"recording": RecordingAdapter()}) as app:
        companies = await app.autocomplete("companies", "mistr")
        assert companies and companies[0] == "Mistral AI"
        assert len(await app.autocomplete("companies", "")) == 25
        await app.store.add_source("Example AI", "https://example.com/feed", None, datetime.now(UTC))
        assert await app.autocomplete("sources", "exa") == ["1 Example AI"]
        assert await app.autocomplete("colours", "x") == []
