from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.durations import format_duration, parse_duration
from bot.errors import ConfigError
from bot.settings import load_config

REPO = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "alliance.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_shipped_config_is_valid() -> None:
    cfg = load_config(REPO / "config" / "alliance.toml", environ={}, dotenv=None)
    names = [s.name for s in cfg.settings.sources]
    assert len(names) >= 10
    assert any("TechCrunch" in n for n in names) and any("Google News" in n for n in names)
    assert cfg.settings.database_url.startswith("sqlite+aiosqlite:///")


def test_every_error_reported_at_once_with_key_and_reason(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        """
database_url = "mysql://x"
[poll]
default_interval = "5 parsecs"
[fetch]
max_redirects = 99
unknown_key = 1
[[sources]]
name = "ok"
url = "ftp://example.com/feed"
interval = "10s"
[[subscriptions]]
channel = "irc:#ai"
""",
    )
    with pytest.raises(ConfigError) as err:
        load_config(p, environ={}, dotenv=None)
    keys = [k for k, _ in err.value.errors]
    assert "database_url" in keys
    assert "poll.default_interval" in keys
    assert "fetch.max_redirects" in keys
    assert "fetch.unknown_key" in keys
    assert "sources[0].url (source 'ok')" in keys
    assert "sources[0].interval (source 'ok')" in keys
    assert "subscriptions[0].channel" in keys
    reasons = dict(err.value.errors)
    assert "http" in reasons["sources[0].url (source 'ok')"]


def test_secrets_only_from_env_and_dotenv_never_in_repr(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DISCORD_TOKEN=from-dotenv-123456\nSLACK_BOT_TOKEN=xoxb-dotenv\n")
    cfg = load_config(
        write(tmp_path, ""), environ={"SLACK_BOT_TOKEN": "xoxb-env-wins"}, dotenv=env_file
    )
    assert cfg.secrets.discord_token is not None
    assert cfg.secrets.discord_token.get_secret_value() == "from-dotenv-123456"
    assert cfg.secrets.slack_bot_token is not None
    assert cfg.secrets.slack_bot_token.get_secret_value() == "xoxb-env-wins"
    assert "from-dotenv" not in repr(cfg)


def test_database_url_env_overrides_and_alliance_config_env(tmp_path: Path) -> None:
    p = write(tmp_path, 'database_url = "sqlite+aiosqlite:///x.db"\n')
    cfg = load_config(
        None,
        environ={"ALLIANCE_CONFIG": str(p), "DATABASE_URL": "postgresql+asyncpg://u@h/db"},
        dotenv=None,
    )
    assert cfg.path == p
    assert cfg.settings.database_url == "postgresql+asyncpg://u@h/db"


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "x = [1,"), environ={}, dotenv=None)
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml", environ={}, dotenv=None)


def test_duplicate_source_names(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        '[[sources]]\nname="A"\nurl="https://a/"\n[[sources]]\nname="a"\nurl="https://b/"\n',
    )
    with pytest.raises(ConfigError, match="named"):
        load_config(p, environ={}, dotenv=None)


def test_check_config_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path, '[[sources]]\nname="A"\nurl="https://a.example/feed"\n')
    # The watchlist the config names (watchlist.toml beside it) is checked too.
    assert main(["--config", str(good), "check-config"]) == 2
    assert "watchlist file not found" in capsys.readouterr().err
    (tmp_path / "watchlist.toml").write_text('[[org]]\nname = "Acme AI"\naliases = [""]\n')
    assert main(["--config", str(good), "check-config"]) == 2
    assert "org[0]" in capsys.readouterr().err
    (tmp_path / "watchlist.toml").write_text('[[org]]\nname = "Acme AI"\naliases = ["Acme"]\n')
    assert main(["--config", str(good), "check-config"]) == 0
    assert "1 watchlist organisations" in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_text('[poll]\ndefault_interval="1s"\n[fetch]\nper_host_limit=0\n')
    assert main(["--config", str(bad), "check-config"]) == 2
    errs = capsys.readouterr().err
    assert "poll.default_interval" in errs and "fetch.per_host_limit" in errs


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("10m", 600), ("1h30m", 5400), ("45s", 45), ("2d", 172800), ("90", 90), (30, 30), ("1.5h", 5400)],
)
def test_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "ten minutes", "10x", "m10", "-5", True])
def test_bad_durations(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)  # type: ignore[arg-type]


def test_format_duration() -> None:
    assert format_duration(5400) == "1h30m"
    assert format_duration(0) == "0s"


def test_channels_are_stored_without_team(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        '[admin]\nchannel = "slack:T01/C02"\n[[subscriptions]]\nchannel = "slack:T01/C02"\n'
        '[[subscriptions]]\nchannel = "discord:99/123"\n',
    )
    cfg = load_config(p, environ={}, dotenv=None)
    assert [s.channel for s in cfg.settings.subscriptions] == ["slack:C02", "discord:123"]
    assert cfg.settings.admin.channel == "slack:C02"
