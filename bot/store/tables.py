"""Database tables. The same models serve SQLite (default) and PostgreSQL.

Times are stored as timezone-aware UTC; SQLite keeps them as ISO text, so the
``UtcDateTime`` type re-attaches UTC on the way out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.expression import false
from sqlalchemy.types import TypeDecorator

# BIGINT ids on PostgreSQL; SQLite needs plain INTEGER for rowid autoincrement.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use UTC-aware datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        parsed: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class SourceRow(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    url: Mapped[str] = mapped_column(String(2048))
    interval_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    origin: Mapped[str] = mapped_column(String(16), default="config")  # config | admin
    # Conditional GET validators.
    etag: Mapped[str | None] = mapped_column(String(512), nullable=True)
    last_modified: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # Health.
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    last_error_kind: Mapped[str | None] = mapped_column(String(32), nullable=True)
    last_polled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    next_poll_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # A 301/308 target seen on the last poll; applied when it holds over two polls.
    redirect_candidate: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class StoryRow(Base):
    __tablename__ = "stories"
    __table_args__ = (
        UniqueConstraint("source", "key", name="uq_stories_source_key"),
        Index("ix_stories_url", "url"),
        Index("ix_stories_first_seen", "first_seen"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(512))
    url: Mapped[str] = mapped_column(String(2048))
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    published: Mapped[datetime] = mapped_column(UtcDateTime)
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    # The same article seen earlier under another source or key: never alerted twice.
    duplicate_of: Mapped[int | None] = mapped_column(BigId, nullable=True)
    match: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # The event this story reports: the id of the cluster's first story.
    cluster_id: Mapped[int | None] = mapped_column(BigId, nullable=True, index=True)
    # Set in the same transaction that stores a story that must alert, cleared in
    # the one that queues its deliveries: a crash in between is finished on restart.
    pending_route: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), index=True
    )


class SubscriptionRow(Base):
    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(200), index=True)
    query: Mapped[str] = mapped_column(String(1000))
    mode: Mapped[str] = mapped_column(String(16), default="instant")
    origin: Mapped[str] = mapped_column(String(16), default="config")  # config | chat
    created_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DeliveryRow(Base):
    """The outbox: one row per (story, channel)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("story_id", "channel", name="uq_deliveries_story_channel"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    story_id: Mapped[int] = mapped_column(BigId, ForeignKey("stories.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sent|failed
    # "post" a new alert, or "update" the alert already posted for the story's
    # cluster in this channel ("also reported by ...").
    kind: Mapped[str] = mapped_column(String(16), default="post", server_default="post")
    message_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Set while a worker is sending; a lease that expires lets another worker retry.
    leased_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class AuditRow(Base):
    """Every admin change: who, when, what, old and new value."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(200))  # "slack:U123 (alice)"
    channel: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))  # "config set", "sources add", ...
    target: Mapped[str] = mapped_column(String(300))
    old_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    new_value: Mapped[str | None] = mapped_column(Text, nullable=True)


class SettingOverrideRow(Base):
    """A config value changed from chat; wins over the file, survives restarts."""

    __tablename__ = "settings_overrides"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)  # JSON
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(200))


class WatchlistChangeRow(Base):
    """Watchlist entries added (or shipped ones removed) from chat."""

    __tablename__ = "watchlist_changes"

    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(200))


class MuteRow(Base):
    __tablename__ = "mutes"
    __table_args__ = (UniqueConstraint("channel", "company", name="uq_mutes_channel_company"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(200))
    company: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(200))


class DigestRow(Base):
    __tablename__ = "digests"

    channel: Mapped[str] = mapped_column(String(200), primary_key=True)
    frequency: Mapped[str] = mapped_column(String(16))  # daily | weekly
    at_time: Mapped[str] = mapped_column(String(5))  # HH:MM
    timezone: Mapped[str] = mapped_column(String(64))
    last_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
