"""Console adapter: the embedded default. Prints alerts as plain text to stdout."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Sequence
from typing import Any, ClassVar, TextIO

from adapters.base import (
    AlertMessage,
    ChannelRef,
    ChatAdapter,
    CommandHandler,
    PlatformLimits,
    PostResult,
)
from bot.text_safety import printable


class ConsoleAdapter(ChatAdapter):
    platform: ClassVar[str] = "console"
    limits: ClassVar[PlatformLimits] = PlatformLimits(
        title_max=500,
        text_max=4000,
        field_value_max=1000,
        fields_max=25,
        total_max=8000,
        posts_per_second_per_channel=1000.0,
        posts_per_second_global=1000.0,
    )

    def __init__(self, stream: TextIO | None = None):
        self._stream = stream
        self._ids = itertools.count(1)

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stdout

    async def start(self, commands: Sequence[Any] = (), handler: CommandHandler | None = None) -> None:
        return None

    async def post(
        self, channel: ChannelRef, message: AlertMessage, *, idempotency_key: str
    ) -> PostResult:
        self.stream.write(render_text(message) + "\n")
        self.stream.flush()
        return PostResult(f"console-{next(self._ids)}")

    async def update(
        self, channel: ChannelRef, message_id: str, message: AlertMessage
    ) -> PostResult:
        self.stream.write(f"(update of {message_id}) " + render_text(message) + "\n")
        self.stream.flush()
        return PostResult(message_id)

    async def close(self) -> None:
        return None


def render_text(m: AlertMessage) -> str:
    """A terminal-safe block: control characters removed so a feed can't drive the terminal."""
    if not m.events:  # a notice or a digest: title and text
        body = "\n".join("  " + printable(line) for line in m.summary.splitlines())
        return f"== {printable(m.title)} ==\n{body}"
    events = ", ".join(m.events)
    lines = [f"[{events.upper()}] {printable(m.title)}"]
    if m.url:
        lines.append(f"  link:    {printable(m.url)}")
    if m.parties:
        lines.append(f"  parties: {printable(', '.join(m.parties))}")
    details = [x for x in (m.amount, m.round) if x]
    if details:
        lines.append(f"  amount:  {printable(' · '.join(details))}")
    if m.evidence:
        lines.append(f"  why:     {printable(' | '.join(m.evidence))[:300]}")
    src = printable(m.source)
    if m.also_reported_by:
        src += " (also: " + printable(", ".join(m.also_reported_by)) + ")"
    lines.append(f"  source:  {src}")
    return "\n".join(lines)
