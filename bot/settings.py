"""Configuration: TOML file + environment, validated once with every error reported.

Secrets never live in the TOML file: they come only from the environment (and
an optional ``.env`` file), and their ``repr`` never shows them.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.durations import parse_duration
from bot.errors import ConfigError

DEFAULT_CONFIG = Path("config/alliance.toml")
SECRET_ENV = ("DISCORD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET")


def _duration(v: Any) -> float:
    return parse_duration(v)


Duration = Annotated[float, BeforeValidator(_duration)]

_NAME_RE = re.compile(r"^[\w][\w .\-()&'/:]{0,79}$")


class _Strict(BaseModel):
    # extra="forbid" turns a typo in a key into an error that names the key.
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceConfig(_Strict):
    name: str
    url: str
    interval: Duration | None = None
    enabled: bool = True

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        v = v.strip()
        if not _NAME_RE.match(v):
            raise ValueError("names are 1-80 letters, digits, spaces or . - _ ( ) & ' / :")
        return v

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        v = v.strip()
        if not re.match(r"^https?://[^\s/]+", v, re.IGNORECASE):
            raise ValueError("must be an http:// or https:// URL")
        if len(v) > 2048:
            raise ValueError("URL longer than 2048 characters")
        return v

    @field_validator("interval")
    @classmethod
    def _interval(cls, v: float | None) -> float | None:
        if v is not None and v < 60:
            raise ValueError("poll no more often than every 60s (publishers ban aggressive pollers)")
        return v


class SubscriptionConfig(_Strict):
    channel: str
    query: str = "*"
    mode: str = "instant"

    @field_validator("channel")
    @classmethod
    def _channel(cls, v: str) -> str:
        # Imported here to keep settings free of adapter imports at module load.
        from bot.channels import parse_channel

        return parse_channel(v).key

    @field_validator("mode")
    @classmethod
    def _mode(cls, v: str) -> str:
        if v not in ("instant", "digest"):
            raise ValueError("mode is 'instant' or 'digest'")
        return v


class FetchConfig(_Strict):
    connect_timeout: Duration = 5.0
    read_timeout: Duration = 10.0
    total_timeout: Duration = 20.0
    max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=100 * 1024 * 1024)
    max_redirects: int = Field(default=5, ge=0, le=20)
    per_host_limit: int = Field(default=2, ge=1, le=32)
    total_limit: int = Field(default=32, ge=1, le=512)
    allow_private_networks: bool = False
    user_agent: str | None = None


class PollConfig(_Strict):
    default_interval: Duration = 900.0
    jitter: Duration = 60.0
    # On a source's first successful poll, only items younger than this alert;
    # the rest are recorded as seen so a new source never floods channels.
    first_poll_max_age: Duration = 86400.0
    max_entries: int = Field(default=200, ge=1, le=5000)
    max_backoff: Duration = 86400.0
    pause_after_failures: int = Field(default=10, ge=1, le=1000)

    @field_validator("default_interval")
    @classmethod
    def _interval(cls, v: float) -> float:
        if v < 60:
            raise ValueError("poll no more often than every 60s")
        return v


class MatcherConfig(_Strict):
    acquisitions: bool = False  # acquisitions alert only when switched on
    watchlist: str = "watchlist.toml"  # relative to the config file's folder
    min_confidence: float = Field(default=0.0, ge=0.0, le=1.0)


class AdminConfig(_Strict):
    channel: str | None = None

    @field_validator("channel")
    @classmethod
    def _channel(cls, v: str | None) -> str | None:
        if v in (None, ""):
            return None
        from bot.channels import parse_channel

        return parse_channel(v).key


class DiscordConfig(_Strict):
    api_base: str = "https://discord.com/api/v10"
    admin_role_ids: list[str] = Field(default_factory=list)
    sharded: bool = False


class SlackConfig(_Strict):
    api_base: str = "https://slack.com/api/"
    host: str = "0.0.0.0"
    port: int = Field(default=3000, ge=1, le=65535)
    admin_user_ids: list[str] = Field(default_factory=list)


class LogConfig(_Strict):
    level: str = "INFO"
    format: str = "console"  # "console" (key=value) or "json"

    @field_validator("level")
    @classmethod
    def _level(cls, v: str) -> str:
        v = v.upper()
        if v not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("level is DEBUG, INFO, WARNING or ERROR")
        return v

    @field_validator("format")
    @classmethod
    def _format(cls, v: str) -> str:
        if v not in ("console", "json"):
            raise ValueError("format is 'console' or 'json'")
        return v


class Settings(_Strict):
    database_url: str = "sqlite+aiosqlite:///data/alliance.sqlite3"
    fetch: FetchConfig = FetchConfig()
    poll: PollConfig = PollConfig()
    matcher: MatcherConfig = MatcherConfig()
    admin: AdminConfig = AdminConfig()
    discord: DiscordConfig = DiscordConfig()
    slack: SlackConfig = SlackConfig()
    log: LogConfig = LogConfig()
    sources: list[SourceConfig] = Field(default_factory=list)
    subscriptions: list[SubscriptionConfig] = Field(default_factory=list)

    @field_validator("database_url")
    @classmethod
    def _db(cls, v: str) -> str:
        if not (v.startswith("sqlite+aiosqlite://") or v.startswith("postgresql+asyncpg://")):
            raise ValueError(
                "use 'sqlite+aiosqlite:///PATH' or 'postgresql+asyncpg://USER@HOST/DB'"
            )
        return v

    @model_validator(mode="after")
    def _unique_sources(self) -> Settings:
        seen: set[str] = set()
        for s in self.sources:
            if s.name.lower() in seen:
                raise ValueError(f"two sources are named {s.name!r}; names must be unique")
            seen.add(s.name.lower())
        return self


@dataclass(frozen=True)
class Secrets:
    discord_token: SecretStr | None = None
    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Secrets:
        def get(name: str) -> SecretStr | None:
            v = env.get(name, "").strip()
            return SecretStr(v) if v else None

        return cls(
            get("DISCORD_TOKEN"),
            get("SLACK_BOT_TOKEN"),
            get("SLACK_APP_TOKEN"),
            get("SLACK_SIGNING_SECRET"),
        )

    def values(self) -> list[str]:
        """The raw secret strings, for log redaction."""
        return [
            s.get_secret_value()
            for s in (
                self.discord_token,
                self.slack_bot_token,
                self.slack_app_token,
                self.slack_signing_secret,
            )
            if s is not None
        ]


@dataclass(frozen=True)
class AppConfig:
    settings: Settings
    secrets: Secrets
    path: Path | None  # the TOML file, None when defaults were used

    @property
    def config_dir(self) -> Path:
        return self.path.parent if self.path else DEFAULT_CONFIG.parent

    @property
    def watchlist_file(self) -> Path:
        """The configured watchlist; without a config file, the one shipped in config/."""
        configured = Path(self.settings.matcher.watchlist)
        if configured.is_absolute():
            return configured
        if self.path is None:
            from bot.matcher.watchlist import default_watchlist_path

            return default_watchlist_path()
        return self.config_dir / configured


def _loc(loc: tuple[int | str, ...], raw: Mapping[str, Any]) -> str:
    """Turn pydantic's location into the key a person would look for.

    ``("sources", 2, "url")`` becomes ``sources[2].url (name="x")`` so the user
    can find the table in a long file.
    """
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
        else:
            parts.append(item)
    key = ".".join(parts) or "(top level)"
    if len(loc) >= 2 and loc[0] == "sources" and isinstance(loc[1], int):
        try:
            name = raw["sources"][loc[1]].get("name")
        except (KeyError, IndexError, AttributeError, TypeError):
            name = None
        if name:
            key += f" (source {name!r})"
    return key


def _reason(msg: str) -> str:
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            return msg[len(prefix) :]
    return msg


def validate_settings(raw: Mapping[str, Any]) -> Settings:
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        errors = [(_loc(tuple(e["loc"]), raw), _reason(e["msg"])) for e in exc.errors()]
        raise ConfigError(errors) from None


def load_dotenv_file(path: Path, env: dict[str, str]) -> None:
    """Read ``.env`` into ``env`` without overriding what the environment already has."""
    if not path.is_file():
        return
    from dotenv import dotenv_values

    for k, v in dotenv_values(path).items():
        if v is not None and k not in env:
            env[k] = v


def load_config(
    path: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    dotenv: Path | None = Path(".env"),
) -> AppConfig:
    """Load and validate configuration. Raises ConfigError listing every problem."""
    env = dict(os.environ if environ is None else environ)
    if dotenv is not None:
        load_dotenv_file(dotenv, env)
    chosen = path or env.get("ALLIANCE_CONFIG") or None
    file: Path | None = Path(chosen) if chosen else None
    if file is None and DEFAULT_CONFIG.is_file():
        file = DEFAULT_CONFIG
    raw: dict[str, Any] = {}
    if file is not None:
        try:
            raw = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError([(str(file), "config file not found")]) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError([(str(file), f"cannot read: {exc}")]) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError([(str(file), f"not valid TOML: {exc}")]) from None
    if env.get("DATABASE_URL"):
        raw["database_url"] = env["DATABASE_URL"]
    settings = validate_settings(raw)
    return AppConfig(settings=settings, secrets=Secrets.from_env(env), path=file)
