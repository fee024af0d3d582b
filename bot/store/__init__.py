"""State: SQLAlchemy 2 async on SQLite (default) or PostgreSQL, schema by Alembic."""

from bot.store.db import create_engine, migrate, redact_db_url
from bot.store.store import (
    Delivery,
    SourceState,
    SourceUpdate,
    Store,
    StoredStory,
    Subscription,
)

__all__ = [
    "Delivery",
    "SourceState",
    "SourceUpdate",
    "Store",
    "StoredStory",
    "Subscription",
    "create_engine",
    "migrate",
    "open_store",
    "redact_db_url",
]


async def open_store(url: str) -> Store:
    """Create the engine, apply migrations, and return a ready Store."""
    engine = create_engine(url)
    try:
        await migrate(engine)
    except BaseException:
        await engine.dispose()
        raise
    return Store(engine)
