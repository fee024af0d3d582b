"""Engine creation, migrations and turning driver failures into clear StoreErrors."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.errors import StoreError

_MIGRATIONS_INI = Path(__file__).resolve().parent.parent / "alembic.ini"


def redact_db_url(url: str) -> str:
    """The URL without its password, for logs and error messages."""
    return re.sub(r"(//[^:/@]+:)[^@]*@", r"\1***@", url)


def create_engine(url: str) -> AsyncEngine:
    try:
        parsed = make_url(url)
    except Exception:
        raise StoreError(f"database_url {redact_db_url(url)!r} is not a valid URL") from None
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database or ""
        if db and db != ":memory:":
            Path(db).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # One connection: SQLite has one writer at a time anyway, and 32
        # concurrent polls each opening their own connection ended in
        # "database is locked" under load (bench/poll.py). Sessions queue on
        # the pool instead, in order, and the busy timeout covers other processes.
        # The busy timeout can be set in the URL (``?timeout=5``); 30 s otherwise.
        connect_args = {} if "timeout" in parsed.query else {"timeout": 30}
        engine = create_async_engine(
            url, connect_args=connect_args, pool_size=1, max_overflow=0, pool_timeout=120
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record: object) -> None:
            # WAL lets the CLI read while the bot writes; foreign keys are off by default.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_async_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _upgrade(conn: Connection) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(_MIGRATIONS_INI))
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


def describe_db_error(exc: BaseException, url: str) -> str:
    """A sentence a person can act on, never a traceback or a password."""
    text = str(getattr(exc, "orig", None) or exc)
    low = text.lower()
    where = redact_db_url(url)
    if "file is not a database" in low or "malformed" in low:
        return f"the SQLite file behind {where} is corrupt or not a database; move it away and restart"
    if "database is locked" in low:
        return (
            f"the SQLite file behind {where} stayed locked (another process is writing to it, "
            "or one transaction ran too long); stop the other process or retry"
        )
    if "unable to open database" in low:
        return f"cannot open the SQLite file behind {where}; check the path and permissions"
    if "connect" in low or "refused" in low or "password authentication" in low:
        return f"cannot connect to the database {where}"
    return f"database error on {where}: {text.splitlines()[0][:200] if text else type(exc).__name__}"


async def migrate(engine: AsyncEngine) -> None:
    """Apply Alembic migrations up to head (idempotent, run at every start)."""
    url = engine.url.render_as_string(hide_password=True)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade)
    except (SQLAlchemyError, DBAPIError, OSError, sqlite3.Error) as exc:
        raise StoreError(describe_db_error(exc, url)) from None
