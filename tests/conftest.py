"""Shared fixtures: a migrated store on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.store import Store, open_store

PG_URL = os.environ.get("ALLIANCE_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
SHARED = Path(__file__).resolve().parents[2] / "shared"


async def _reset_postgres(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


async def _postgres_available(url: str) -> str | None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"{type(exc).__name__}: {exc}"
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """A fresh, migrated store; every test using it runs on both databases."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}"
    else:
        if os.environ.get("ALLIANCE_SKIP_POSTGRES") == "1":
            pytest.skip("ALLIANCE_SKIP_POSTGRES=1")
        problem = await _postgres_available(PG_URL)
        if problem is not None:
            if os.environ.get("CI"):
                pytest.fail(f"PostgreSQL must be reachable in CI at {PG_URL}: {problem}")
            pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {problem}")
        await _reset_postgres(PG_URL)
        url = PG_URL
    s = await open_store(url)
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared data not found at {SHARED} (CI lays it beside the clone)")
    return SHARED
