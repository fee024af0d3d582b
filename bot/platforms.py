"""Which chat adapters this process runs, decided from the secrets present.

No token: only the console. ``DISCORD_TOKEN``: Discord. ``SLACK_BOT_TOKEN``
(+ ``SLACK_SIGNING_SECRET`` for HTTP mode, or ``SLACK_APP_TOKEN`` for Socket
Mode): Slack.  SDK modules are imported only when their platform is used.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from adapters.base import ChatAdapter
from bot.errors import ConfigError
from bot.settings import AppConfig

Autocomplete = Callable[[str, str], Awaitable[list[str]]]


def build_adapters(
    config: AppConfig, *, autocomplete: Autocomplete | None = None
) -> dict[str, ChatAdapter]:
    """``autocomplete(kind, typed)`` answers Discord's option autocomplete
    ("companies", "sources"); the App provides it once it is running."""
    s, secrets = config.settings, config.secrets
    adapters: dict[str, ChatAdapter] = {}
    if secrets.discord_token is not None:
        from adapters.discord_adapter import DiscordAdapter

        adapters["discord"] = DiscordAdapter(
            secrets.discord_token.get_secret_value(),
            api_base=s.discord.api_base,
            admin_role_ids=[int(r) for r in s.discord.admin_role_ids],
            many_guilds=s.discord.sharded,
            autocomplete_provider=autocomplete,
        )
    if secrets.slack_bot_token is not None:
        from adapters.slack_adapter import SlackAdapter

        if secrets.slack_app_token is None and secrets.slack_signing_secret is None:
            raise ConfigError(
                [
                    (
                        "SLACK_SIGNING_SECRET",
                        "HTTP mode needs the signing secret (or set SLACK_APP_TOKEN for Socket Mode)",
                    )
                ]
            )
        adapters["slack"] = SlackAdapter(
            secrets.slack_bot_token.get_secret_value(),
            signing_secret=(
                secrets.slack_signing_secret.get_secret_value()
                if secrets.slack_signing_secret
                else None
            ),
            app_token=secrets.slack_app_token.get_secret_value() if secrets.slack_app_token else None,
            api_base=s.slack.api_base,
            host=s.slack.host,
            port=s.slack.port,
            admin_user_ids=s.slack.admin_user_ids,
        )
    return adapters
