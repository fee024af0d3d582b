"""Recording adapter for tests: keeps every post and can be told to fail."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from adapters.base import (
    AlertMessage,
    ChannelRef,
    ChatAdapter,
    CommandHandler,
    DeliveryError,
    PlatformLimits,
    PostResult,
)


@dataclass
class RecordedPost:
    channel: str
    message: AlertMessage
    idempotency_key: str
    message_id: str
    updates: list[AlertMessage] = field(default_factory=list)


class RecordingAdapter(ChatAdapter):
    platform: ClassVar[str] = "recording"
    limits: ClassVar[PlatformLimits] = PlatformLimits(
        title_max=256,
        text_max=2000,
        field_value_max=1024,
        fields_max=25,
        total_max=6000,
        posts_per_second_per_channel=1000.0,
        posts_per_second_global=1000.0,
    )

    def __init__(self, platform: str = "recording"):
        self.platform_name = platform
        self.posts: list[RecordedPost] = []
        self.fail_next: list[DeliveryError] = []  # raised in order, one per post
        self.commands: Sequence[Any] = ()
        self.handler: CommandHandler | None = None
        self._ids = itertools.count(1)
        self.closed = False

    async def start(self, commands: Sequence[Any] = (), handler: CommandHandler | None = None) -> None:
        self.commands, self.handler = commands, handler

    async def post(
        self, channel: ChannelRef, message: AlertMessage, *, idempotency_key: str
    ) -> PostResult:
        if self.fail_next:
            raise self.fail_next.pop(0)
        mid = f"rec-{next(self._ids)}"
        self.posts.append(RecordedPost(str(channel), message, idempotency_key, mid))
        return PostResult(mid)

    async def update(
        self, channel: ChannelRef, message_id: str, message: AlertMessage
    ) -> PostResult:
        for p in self.posts:
            if p.message_id == message_id:
                p.updates.append(message)
                return PostResult(message_id)
        raise DeliveryError(f"unknown message {message_id}", retryable=False)

    async def close(self) -> None:
        self.closed = True
