"""The one interface every chat platform implements.

The core (``bot/``) never imports a chat SDK: it hands a platform-neutral
``AlertMessage`` to a ``ChatAdapter`` and gets a ``PostResult`` back or a
``DeliveryError`` that says whether retrying can help.  Platform limits live
next to each adapter as class attributes (apprise style), so renderers and the
outbox worker read them from one place.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from bot.channels import ChannelRef, parse_channel
from bot.errors import AllianceError

__all__ = [
    "AlertMessage",
    "ChannelRef",
    "ChatAdapter",
    "CommandHandler",
    "CommandInvocation",
    "CommandReply",
    "DeliveryError",
    "PlatformLimits",
    "PostResult",
    "UnsupportedOperation",
    "parse_channel",
]


@dataclass(frozen=True, slots=True)
class PlatformLimits:
    title_max: int  # characters in a message title / header
    text_max: int  # characters in the main text (content / fallback text)
    field_value_max: int  # one field's value
    fields_max: int  # fields per message
    total_max: int  # whole rendered message, where the platform sums its parts
    posts_per_second_per_channel: float  # sustained rate the outbox worker keeps to
    posts_per_second_global: float  # across all channels of one bot


@dataclass(frozen=True, slots=True)
class AlertMessage:
    """Everything an alert shows, before any platform rendering or escaping.

    All strings are untrusted feed text; each adapter escapes and truncates for
    its own platform.
    """

    title: str
    url: str
    events: tuple[str, ...]
    parties: tuple[str, ...] = ()
    amount: str | None = None  # already formatted, e.g. "$111M"
    round: str | None = None
    evidence: tuple[str, ...] = ()
    source: str = ""  # the feed that first reported it
    also_reported_by: tuple[str, ...] = ()  # further outlets (clustering)
    published: datetime | None = None
    summary: str = ""
    image_png: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class PostResult:
    message_id: str


class DeliveryError(AllianceError):
    """A post or update failed.

    ``retryable`` is False for errors that cannot succeed later (deleted channel,
    missing permission, invalid payload); the outbox records them and stops.
    """

    def __init__(self, message: str, *, retryable: bool, retry_after_s: float | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.retry_after_s = retry_after_s


class UnsupportedOperation(AllianceError):
    """The adapter cannot do this (errbot style: fail loudly, never silently)."""


@dataclass(frozen=True, slots=True)
class CommandInvocation:
    """A slash command as received from any platform, before dispatch."""

    name: str  # the subcommand, e.g. "subscribe"
    text: str  # the rest of the command line
    channel: ChannelRef
    user_id: str
    user_name: str
    is_admin: bool
    options: dict[str, Any] = field(default_factory=dict)


# The handler answers with the text to show and whether only the caller sees it.
CommandReply = tuple[str, bool]
CommandHandler = Callable[[CommandInvocation], Awaitable[CommandReply]]


class ChatAdapter(abc.ABC):
    platform: ClassVar[str]
    limits: ClassVar[PlatformLimits]

    @abc.abstractmethod
    async def start(self, commands: Sequence[Any] = (), handler: CommandHandler | None = None) -> None:
        """Connect, register ``commands`` and serve them through ``handler``."""

    @abc.abstractmethod
    async def post(
        self, channel: ChannelRef, message: AlertMessage, *, idempotency_key: str
    ) -> PostResult:
        """Post one alert. ``idempotency_key`` is stable across retries of one delivery."""

    async def update(
        self, channel: ChannelRef, message_id: str, message: AlertMessage
    ) -> PostResult:
        raise UnsupportedOperation(f"{self.platform} adapter cannot update messages")

    @abc.abstractmethod
    async def close(self) -> None:
        """Release connections; safe to call twice."""
