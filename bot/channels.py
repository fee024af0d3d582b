"""Channel references: ``console``, ``discord:<channel>``, ``slack:<channel>``, ``slack:<team>/<channel>``.

Stored as text in the database; parsed here so config, commands and adapters agree.
"""

from __future__ import annotations

from dataclasses import dataclass

PLATFORMS = ("console", "discord", "slack", "recording")


@dataclass(frozen=True, slots=True)
class ChannelRef:
    """``platform:channel`` or ``platform:team/channel`` (team = Slack team or Discord guild)."""

    platform: str
    channel: str
    team: str | None = None

    @classmethod
    def parse(cls, text: str) -> ChannelRef:
        text = text.strip()
        if text == "console":
            return cls("console", "console")
        platform, sep, rest = text.partition(":")
        if not sep or not platform or not rest:
            raise ValueError(
                f"channel {text!r} must look like 'discord:<channel_id>', "
                "'slack:<channel_id>' (optionally 'slack:<team>/<channel>') or 'console'"
            )
        team, slash, channel = rest.rpartition("/")
        if not channel or (slash and not team):
            raise ValueError(f"channel {text!r} has an empty team or channel id")
        if platform.lower() not in PLATFORMS:
            raise ValueError(
                f"channel {text!r}: unknown platform {platform!r} (use discord, slack or console)"
            )
        return cls(platform.lower(), channel, team or None)

    @property
    def key(self) -> str:
        """How subscriptions and the outbox name the channel: ``platform:channel``.

        Channel ids are unique per platform (Discord snowflakes; Slack ids within
        the workspaces one bot token serves), so the team/guild is dropped: the
        same channel written with or without it is one channel, never alerted twice.
        """
        return "console" if self.platform == "console" else f"{self.platform}:{self.channel}"

    def __str__(self) -> str:
        if self.platform == "console":
            return "console"
        return f"{self.platform}:{self.team + '/' if self.team else ''}{self.channel}"




def parse_channel(text: str) -> ChannelRef:
    return ChannelRef.parse(text)
