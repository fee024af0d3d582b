"""Every ``/alliance`` command through each platform's real dispatch, against the loopback stand-ins.

One App per module (built from a TOML file like a deployment, SQLite in a temp
folder, sources on a loopback feed server) with the *real* adapters that
``bot.platforms.build_adapters`` makes from that config, started the way
``App.run`` starts them (``adapter.start(COMMANDS, app.commands.handle)``):

* Slack: signed slash-command POSTs into slack-bolt over HTTP; the reply is
  read at the stand-in's ``response_url`` recorder.
* Discord: INTERACTION_CREATE through the gateway stand-in into discord.py's
  command tree; the defer and the follow-up are read at the stand-in.

Tests share the App (starting it per test costs seconds), so each test uses a
channel of its own, and global state (sources, watchlist, settings, audit log)
is asserted relative to a snapshot taken just before the command.
"""

from __future__ import annotations

import io
import itertools
import re
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
import pytest
import pytest_asyncio
import yarl

from adapters import discord_adapter, slack_adapter
from adapters.base import ChannelRef, CommandInvocation
from bot.app import App
from bot.commands import COMMANDS, SETTABLE, channel_key
from bot.commandspec import CommandSpec
from bot.errors import CommandError
from bot.platforms import build_adapters
from bot.query import parse_query
from bot.route import watchlist_resolver
from bot.settings import AppConfig, load_config
from bot.store.store import SourceUpdate
from bot.types import Story
from tests.fakes.discord_standin import (
    ADMINISTRATOR,
    MANAGE_GUILD,
    SEND_MESSAGES,
    DiscordStandIn,
)
from tests.fakes.slack_standin import SlackStandIn, send_slash_command
from tests.feedserver import FeedServer
from tests.test_e2e_poll import atom, rss

pytestmark = pytest.mark.asyncio(loop_scope="module")

REPO = Path(__file__).resolve().parents[1]
SECRET = "test-signing-secret"
ADMIN_ROLE = 777000000000000001
SPECS: dict[str, CommandSpec] = {c.name: c for c in COMMANDS}
ADMIN_COMMANDS = tuple(c.name for c in COMMANDS if c.admin_only)
PLATFORMS = ("slack", "discord")
_channels = itertools.count(1)

# Who sends the command.  "member" is the plain user; the others are admins by
# one of the documented routes.
SLACK_USERS = {
    "member": ("U1ALICE", "alice"),
    "admin": ("U2ADMIN", "bob"),  # users.info is_admin
    "owner": ("U3OWNER", "carol"),  # users.info is_owner
    "listed": ("U0LISTED", "dave"),  # [slack] admin_user_ids in the TOML file
}
DISCORD_USERS: dict[str, tuple[int, str, int, list[int]]] = {
    "member": (1300000000000000001, "alice", SEND_MESSAGES, []),
    "admin": (1300000000000000002, "bob", SEND_MESSAGES | MANAGE_GUILD, []),  # Manage Server
    "owner": (1300000000000000003, "carol", SEND_MESSAGES | ADMINISTRATOR, []),
    "listed": (
        1300000000000000004,
        "dave",
        SEND_MESSAGES,
        [ADMIN_ROLE],
    ),  # [discord] admin_role_ids
}
REFUSALS = {"slack": slack_adapter.ADMIN_ONLY, "discord": discord_adapter.ADMIN_ONLY}
POLITE = {"slack": slack_adapter.POLITE_FAILURE, "discord": discord_adapter.POLITE_FAILURE}


# ---------------------------------------------------------------------- the world


@dataclass
class Reply:
    text: str  # as the user reads it: the platform's escaping undone
    raw: str  # as sent to the platform
    ephemeral: bool


@dataclass
class World:
    app: App
    config: AppConfig
    config_path: Path
    slack: SlackStandIn
    discord: DiscordStandIn
    feeds: FeedServer
    slack_url: str
    stories: int  # flagged stories from the first poll


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(tmp: Path, feeds: FeedServer, slack: SlackStandIn, disc: DiscordStandIn) -> Path:
    path = tmp / "alliance.toml"
    path.write_text(
        f"""
database_url = "sqlite+aiosqlite:///{tmp / "state.sqlite3"}"
[fetch]
allow_private_networks = true
total_timeout = "3s"
read_timeout = "3s"
[matcher]
watchlist = "{REPO / "config" / "watchlist.toml"}"
[slack]
api_base = "{slack.api_base}"
host = "127.0.0.1"
port = {_free_port()}
admin_user_ids = ["{SLACK_USERS["listed"][0]}"]
[discord]
api_base = "{disc.api_base}"
admin_role_ids = ["{ADMIN_ROLE}"]
[[sources]]
name = "Wire"
url = "{feeds.url("/wire.xml")}"
[[sources]]
name = "Atom wire"
url = "{feeds.url("/atom.xml")}"
""",
        encoding="utf-8",
    )
    return path


def secrets_env(slack: SlackStandIn, disc: DiscordStandIn) -> dict[str, str]:
    return {
        "DISCORD_TOKEN": disc.token,
        "SLACK_BOT_TOKEN": slack.token,
        "SLACK_SIGNING_SECRET": SECRET,
    }


def feed_items(now: datetime) -> tuple[bytes, bytes]:
    wire = rss(
        [
            (
                "Microsoft partners with Mistral AI to bring its models to Azure",
                "https://news.test/ms-mistral",
                "A multi-year strategic partnership.",
                now - timedelta(hours=1),
            ),
            (
                "Acme Robotics opens a new office in Lisbon",
                "https://news.test/office",
                "No deal here.",
                now - timedelta(hours=1),
            ),
        ]
    )
    atom_body = atom(
        [
            (
                "Anthropic raises $450 million Series C led by Spark Capital",
                "https://news.test/anthropic-c",
                "The AI startup will expand compute.",
                now - timedelta(hours=2),
            )
        ]
    )
    return wire, atom_body


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    tmp = tmp_path_factory.mktemp("commands")
    slack = SlackStandIn(retry_after_s=0)
    for user_id, name in SLACK_USERS.values():
        slack.set_user(
            user_id, name=name, is_admin=user_id == "U2ADMIN", is_owner=user_id == "U3OWNER"
        )
    disc = DiscordStandIn()
    feeds = FeedServer()
    await slack.start()
    await disc.start()
    await feeds.start()
    wire, atom_body = feed_items(datetime.now(UTC))
    feeds.add("/wire.xml", wire)
    feeds.add("/atom.xml", atom_body, content_type="application/atom+xml")
    path = write_config(tmp, feeds, slack, disc)
    try:
        with pytest.MonkeyPatch.context() as mp:
            # discord.py's bases are class-level: record the originals so they come back.
            mp.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
            mp.setattr(
                discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(disc.gateway_url)
            )
            config = load_config(path, environ=secrets_env(slack, disc), dotenv=None)
            adapters = build_adapters(config)
            assert set(adapters) == {"slack", "discord"}
            # discord.py waits this long for GUILD_CREATEs after READY; the stand-in sends none.
            adapters["discord"].client._connection.guild_ready_timeout = 0.05  # type: ignore[attr-defined]
            async with App(config, adapters=adapters, stdout=io.StringIO()) as app:
                results = await app.poll_once()
                assert all(r.error is None for r in results), results
                flagged = len(await app.store.recent_flagged(datetime.now(UTC) - timedelta(days=7)))
                assert flagged == 2
                for adapter in app.adapters.values():
                    await adapter.start(COMMANDS, app.commands.handle)
                port = adapters["slack"].port  # type: ignore[attr-defined]
                yield World(
                    app=app,
                    config=config,
                    config_path=path,
                    slack=slack,
                    discord=disc,
                    feeds=feeds,
                    slack_url=f"http://127.0.0.1:{port}/slack/events",
                    stories=flagged,
                )
    finally:
        await feeds.close()
        await disc.close()
        await slack.close()


# ---------------------------------------------------------------------- drivers


def _slack_text(raw: str) -> str:
    return raw.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _discord_text(raw: str) -> str:
    return re.sub(r"\\([^A-Za-z0-9\s])", r"\1", raw).replace("@\u200b", "@")


def discord_options(spec: CommandSpec | None, rest: str) -> dict[str, str]:
    """What a Discord user types into the option fields: one word each, the free-text one takes the rest."""
    options: dict[str, str] = {}
    if spec is None:
        return options
    remaining = rest.strip()
    for arg in spec.args:
        if not remaining:
            break
        if arg.rest or arg is spec.args[-1]:
            options[arg.name] = remaining
            remaining = ""
        else:
            word, _, remaining = remaining.partition(" ")
            options[arg.name] = word
            remaining = remaining.strip()
    return options


@dataclass
class Platform:
    name: str
    w: World
    channel: str
    sent: list[Reply] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.name}:{self.channel}"

    def user_id(self, who: str) -> str:
        return SLACK_USERS[who][0] if self.name == "slack" else str(DISCORD_USERS[who][0])

    async def send(self, line: str, *, who: str = "member", **discord: str) -> Reply:
        """``/alliance <line>`` as ``who``; ``discord`` overrides Discord option values ("" = left blank)."""
        if self.name == "slack":
            reply = await self._slack(line, who)
        else:
            reply = await self._discord(line, who, discord)
        assert "Traceback" not in reply.text and 'File "' not in reply.text
        self.sent.append(reply)
        return reply

    async def _slack(self, line: str, who: str) -> Reply:
        sl = self.w.slack
        rid = f"r{next(_channels)}"
        user_id, user_name = SLACK_USERS[who]
        status, _, seconds = await send_slash_command(
            self.w.slack_url,
            SECRET,
            text=line,
            response_url=sl.response_url(rid),
            user_id=user_id,
            user_name=user_name,
            channel_id=self.channel,
            team_id=sl.team_id,
        )
        assert status == 200
        assert seconds < 3.0  # acknowledged inside Slack's 3-second window
        found = await sl.wait_for(lambda: [r for r in sl.responses if r["rid"] == rid], timeout=10)
        (response,) = found
        body = response["body"]
        assert set(body) == {"text", "response_type", "replace_original"}
        assert body["response_type"] in ("ephemeral", "in_channel")
        assert sl.pings == [] and sl.violations == [] and sl.links == []
        return Reply(_slack_text(body["text"]), body["text"], body["response_type"] == "ephemeral")

    async def _discord(self, line: str, who: str, overrides: dict[str, str]) -> Reply:
        d = self.w.discord
        name, _, rest = line.partition(" ")
        options = discord_options(SPECS.get(name), rest)
        options.update(overrides)
        options = {k: v for k, v in options.items() if v}  # an empty override: the field left blank
        user_id, user_name, permissions, roles = DISCORD_USERS[who]
        payload = d.interaction_payload(
            name,
            options,
            user_id=user_id,
            user_name=user_name,
            permissions=permissions,
            roles=roles,
            channel_id=int(self.channel),
        )
        iid = payload["id"]
        await d.inject_interaction(payload)

        def finished() -> bool:
            if any(c["interaction_id"] == iid and c["type"] == 4 for c in d.callbacks):
                return True
            followups = [f for f in d.followups if f["interaction_id"] == iid]
            return bool(followups) and (
                followups[-1]["resolved_loading"] or iid in d.deleted_originals
            )

        await d.wait_for(finished, timeout=10)
        (callback,) = [c for c in d.callbacks if c["interaction_id"] == iid]
        assert callback["latency_s"] < 3.0  # deferred inside Discord's 3-second window
        spec = SPECS.get(name)
        if spec is not None:
            assert callback["type"] == 5  # deferred ("thinking"), then a follow-up
            assert callback["ephemeral"] is spec.admin_only
        for followup in (f for f in d.followups if f["interaction_id"] == iid):
            assert followup["payload"]["allowed_mentions"] == {"parse": []}
        assert d.pings == [] and d.violations == []
        visible = d.visible_replies(iid)
        assert len(visible) == 1, visible  # one message, no "Done." placeholder left behind
        content, ephemeral = visible[0]
        return Reply(_discord_text(content), content, ephemeral)


@pytest.fixture(params=PLATFORMS)
def plat(request: pytest.FixtureRequest, world: World) -> Platform:
    n = next(_channels)
    channel = f"C0T{n:06d}" if request.param == "slack" else str(1500000000000100000 + n)
    return Platform(request.param, world, channel)


# ---------------------------------------------------------------------- store snapshots


async def snapshot(app: App) -> dict[str, Any]:
    """Everything a command may change, for 'nothing changed' assertions."""
    s = app.store
    return {
        "sources": [
            (x.id, x.name, x.url, x.origin, x.enabled, x.paused, x.failures)
            for x in await s.sources()
        ],
        "subscriptions": [(x.id, x.channel, x.query, x.mode) for x in await s.subscriptions()],
        "overrides": await s.overrides(),
        "watchlist_changes": await s.watchlist_changes(),
        "mutes": await s.mutes(),
        "digests": await s.digests(),
        "audit": [a.id for a in await s.audit_history(10_000)],
        "settings": app.settings,
        "watchlist": app.watchlist.names(),
    }


async def last_audit_id(app: App) -> int:
    rows = await app.store.audit_history(1)
    return rows[0].id if rows else 0


async def audit_since(app: App, after: int) -> list[Any]:
    return sorted(
        (a for a in await app.store.audit_history(10_000) if a.id > after), key=lambda a: a.id
    )


def assert_audit(
    rows: list[Any], p: Platform, who: str, action: str, target: str, old: Any, new: Any
) -> None:
    assert len(rows) == 1, rows
    (row,) = rows
    assert row.actor.startswith(f"{p.name}:{p.user_id(who)} (")
    assert row.channel == p.key
    assert (row.action, row.target, row.old_value, row.new_value) == (action, target, old, new)


def story(title: str, summary: str = "") -> Story:
    now = datetime.now(UTC)
    return Story(
        source="Wire",
        key=title,
        url="https://news.test/x",
        title=title,
        summary=summary,
        published=now,
    )


async def routed(app: App, s: Story) -> list[str]:
    match = app.matcher.classify(s)
    assert match.flagged, match
    return (await app.router()).route(s, match)


# ---------------------------------------------------------------------- every command, every platform


@dataclass
class Ctx:
    p: Platform
    w: World
    values: dict[str, Any] = field(default_factory=dict)
    audit_before: int = 0

    @property
    def app(self) -> App:
        return self.w.app


Step = Callable[[Ctx], Awaitable[None]]
Check = Callable[[Ctx, Reply], Awaitable[None]]


@dataclass(frozen=True)
class Case:
    id: str
    line: str  # after "/alliance ", formatted with Ctx.values
    expect: str  # regex searched in the reply, formatted with Ctx.values
    ephemeral: bool
    who: str = "member"
    setup: Step | None = None
    check: Check | None = None


async def _sub(c: Ctx, query: str = "event:funding mistral") -> int:
    sub = await c.app.store.add_subscription(c.p.key, query, "instant", "test", datetime.now(UTC))
    return sub.id


async def setup_one_sub(c: Ctx) -> None:
    c.values["sub"] = await _sub(c)


async def setup_two_subs(c: Ctx) -> None:
    c.values["sub"] = await _sub(c)
    c.values["sub2"] = await _sub(c, "anthropic OR openai")


async def check_subscribed(c: Ctx, r: Reply) -> None:
    sub_id = int(re.search(r"\(id (\d+)\)", r.text).group(1))  # type: ignore[union-attr]
    (sub,) = await c.app.store.subscriptions(c.p.key)
    assert (sub.id, sub.query, sub.mode, sub.origin) == (
        sub_id,
        "event:funding mistral",
        "instant",
        "chat",
    )
    assert sub.created_by is not None and sub.created_by.startswith(
        f"{c.p.name}:{c.p.user_id('member')}"
    )


async def check_no_subs(c: Ctx, r: Reply) -> None:
    assert await c.app.store.subscriptions(c.p.key) == []


async def check_one_sub_left(c: Ctx, r: Reply) -> None:
    assert [s.id for s in await c.app.store.subscriptions(c.p.key)] == [c.values["sub"]]


async def check_list(c: Ctx, r: Reply) -> None:
    assert f"{c.values['sub2']}: `anthropic OR openai` (instant)" in r.text


async def check_digest(c: Ctx, r: Reply) -> None:
    digests = {d.channel: d for d in await c.app.store.digests()}
    d = digests[c.p.key]
    assert (d.frequency, d.at_time, d.timezone) == ("daily", "09:00", "Europe/Paris")


async def setup_digest(c: Ctx) -> None:
    await c.app.store.set_digest(c.p.key, "weekly", "08:00", "UTC", datetime.now(UTC))


async def check_digest_off(c: Ctx, r: Reply) -> None:
    assert c.p.key not in {d.channel for d in await c.app.store.digests()}


def _new_feed(c: Ctx, path: str) -> str:
    wire, _ = feed_items(datetime.now(UTC))
    c.w.feeds.add(path, wire)
    return c.w.feeds.url(path)


async def setup_feed(c: Ctx) -> None:
    c.values["url"] = _new_feed(c, f"/extra-{c.p.channel}/feed.xml")


async def setup_page(c: Ctx) -> None:
    feed = _new_feed(c, f"/blog-{c.p.channel}/index.xml")
    page = (
        "<!doctype html><html><head><title>Blog</title>"
        f'<link rel="alternate" type="application/rss+xml" title="Feed" href="/blog-{c.p.channel}/index.xml">'
        "</head><body><p>Hello</p></body></html>"
    ).encode()
    c.w.feeds.add(f"/blog-{c.p.channel}/", page, content_type="text/html; charset=utf-8")
    c.values["url"] = c.w.feeds.url(f"/blog-{c.p.channel}/")
    c.values["feed"] = feed


async def check_source_added(c: Ctx, r: Reply) -> None:
    url = c.values.get("feed", c.values["url"])
    added = [s for s in await c.app.store.sources() if s.url == url]
    assert len(added) == 1 and added[0].enabled and added[0].origin != "removed"
    assert f"Added source {added[0].id}: {added[0].name}" in r.text
    assert_audit(
        await audit_since(c.app, c.audit_before),
        c.p,
        "admin",
        "sources add",
        added[0].name,
        None,
        url,
    )


async def _extra_source(c: Ctx, paused: bool = False) -> None:
    tag = f"{c.p.channel}{'p' if paused else ''}"
    url = _new_feed(c, f"/spare-{tag}.xml")
    state = await c.app.store.add_source(f"spare {tag}", url, None, datetime.now(UTC))
    if paused:
        await c.app.store.update_source(
            state.name,
            SourceUpdate({"paused": True, "paused_reason": "10 failures in a row", "failures": 10}),
        )
    c.values.update(src=state.id, name=state.name, url=url)


async def setup_source(c: Ctx) -> None:
    await _extra_source(c)


async def setup_paused_source(c: Ctx) -> None:
    await _extra_source(c, paused=True)


async def check_source_removed(c: Ctx, r: Reply) -> None:
    assert c.values["src"] not in {
        s.id for s in await c.app.store.sources() if s.origin != "removed"
    }
    assert_audit(
        await audit_since(c.app, c.audit_before),
        c.p,
        "admin",
        "sources remove",
        c.values["name"],
        c.values["url"],
        None,
    )


async def check_source_resumed(c: Ctx, r: Reply) -> None:
    state = await c.app.store.source_by_id(c.values["src"])
    assert state is not None and not state.paused and state.failures == 0
    assert_audit(
        await audit_since(c.app, c.audit_before),
        c.p,
        "admin",
        "sources resume",
        c.values["name"],
        "paused",
        "active",
    )


async def check_acme(c: Ctx, r: Reply) -> None:
    name = c.values["org"]
    entry = c.app.watchlist.lookup(name)
    assert entry is not None and entry.aliases == (c.values["alias"],)
    query = parse_query(c.values["alias"].lower(), watchlist_resolver(c.app.watchlist))
    assert query.node.kind == "company" and query.node.value == name  # type: ignore[union-attr]
    # The matcher was rebuilt: the alias is now a party.
    match = c.app.matcher.classify(
        story(f"{c.values['alias']} raises $20 million Series A for AI agents")
    )
    assert name in match.parties
    changes = {ch.name: ch for ch in await c.app.store.watchlist_changes()}
    assert changes[name].aliases == (c.values["alias"],) and not changes[name].removed
    assert_audit(
        await audit_since(c.app, c.audit_before),
        c.p,
        "admin",
        "watchlist add",
        name,
        None,
        f"{name} ['{c.values['alias']}']",
    )


async def setup_org(c: Ctx) -> None:
    c.values["org"] = f"Acme AI {c.p.name}"
    c.values["alias"] = f"Acme{c.p.name.title()}"


async def setup_watched(c: Ctx) -> None:
    c.values["org"] = f"Zorblax{c.p.name.title()}"
    await c.app.commands.handle(
        _admin_invocation(c, "watchlist", f"add {c.values['org']} Zx{c.p.name}")
    )
    c.audit_before = await last_audit_id(c.app)


def _admin_invocation(c: Ctx, name: str, text: str) -> CommandInvocation:
    return CommandInvocation(name, text, ChannelRef(c.p.name, c.p.channel), "setup", "setup", True)


async def check_unwatched(c: Ctx, r: Reply) -> None:
    assert c.app.watchlist.lookup(c.values["org"]) is None
    assert (
        parse_query(c.values["org"].lower(), watchlist_resolver(c.app.watchlist)).node.kind
        == "word"
    )  # type: ignore[union-attr]
    assert_audit(
        await audit_since(c.app, c.audit_before),
        c.p,
        "admin",
        "watchlist remove",
        c.values["org"],
        f"{c.values['org']} ['Zx{c.p.name}']",
        None,
    )


async def check_config_set(c: Ctx, r: Reply) -> None:
    assert c.app.settings.poll.default_interval == 600.0
    assert c.app.poller.policy.default_interval_s == 600.0  # in effect without a restart
    assert (await c.app.store.overrides())["poll.default_interval"] == '"10m"'
    assert_audit(
        await audit_since(c.app, c.audit_before),
        c.p,
        "admin",
        "config set",
        "poll.default_interval",
        c.values["old"],
        "10m",
    )


async def setup_config_old(c: Ctx) -> None:
    from bot.durations import format_duration

    c.values["old"] = format_duration(c.app.settings.poll.default_interval)


async def setup_history(c: Ctx) -> None:
    c.values["company"] = f"Histco{c.p.name}"
    await c.app.commands.handle(_admin_invocation(c, "mute", c.values["company"]))


async def setup_mute_routing(c: Ctx) -> None:
    """This channel and a neighbour subscribe to Meta and Mistral stories; both get a Meta story."""
    c.values["other"] = f"{c.p.name}:neighbour-{c.p.channel}"
    for key in (c.p.key, c.values["other"]):
        await c.app.store.add_subscription(
            key, "meta OR mistral", "instant", "test", datetime.now(UTC)
        )
    got = await routed(c.app, META_STORY)
    assert c.p.key in got and c.values["other"] in got


META_STORY = story("Meta partners with Reliance to build AI data centres in India")
MISTRAL_STORY = story("Microsoft partners with Mistral AI to bring its models to Azure")


async def check_muted(c: Ctx, r: Reply) -> None:
    assert (await c.app.store.mutes())[c.p.key] == {"meta"}
    got = await routed(c.app, META_STORY)
    assert c.p.key not in got and c.values["other"] in got  # only this channel is muted
    assert c.p.key in await routed(c.app, MISTRAL_STORY)  # and only for Meta
    assert_audit(
        await audit_since(c.app, c.audit_before), c.p, "admin", "mute", "Meta", None, c.p.key
    )


async def setup_muted(c: Ctx) -> None:
    await c.app.store.add_mute(c.p.key, "Meta", "test", datetime.now(UTC))
    await c.app.store.add_subscription(c.p.key, "meta", "instant", "test", datetime.now(UTC))
    assert c.p.key not in await routed(c.app, META_STORY)


async def check_unmuted(c: Ctx, r: Reply) -> None:
    assert c.p.key not in await c.app.store.mutes()
    assert c.p.key in await routed(c.app, META_STORY)
    assert_audit(
        await audit_since(c.app, c.audit_before), c.p, "admin", "unmute", "Meta", c.p.key, None
    )


async def check_help_admin(c: Ctx, r: Reply) -> None:
    for spec in COMMANDS:
        assert spec.example in r.text, spec.name


CASES: tuple[Case, ...] = (
    Case(
        "subscribe",
        "subscribe event:funding mistral",
        r"^Subscribed this channel \(id \d+\) to `event:funding mistral`, with instant alerts\.$",
        True,
        check=check_subscribed,
    ),
    Case(
        "unsubscribe",
        "unsubscribe {sub2}",
        r"^Removed subscription {sub2}\.$",
        True,
        setup=setup_two_subs,
        check=check_one_sub_left,
    ),
    Case(
        "unsubscribe-all",
        "unsubscribe all",
        r"^Removed 2 subscription\(s\) from this channel\.$",
        True,
        setup=setup_two_subs,
        check=check_no_subs,
    ),
    Case(
        "list",
        "list",
        r"^This channel's subscriptions:\n{sub}: `event:funding mistral` \(instant\)\n",
        True,
        setup=setup_two_subs,
        check=check_list,
    ),
    Case("list-empty", "list", r"^This channel has no subscriptions\.", True),
    Case(
        "test",
        "test mistral",
        r"^`mistral` matched 1 of 2 flagged stories in the last 7 days:\n• Microsoft partners with Mistral AI",
        True,
    ),
    Case("latest", "latest 1", r"^• \S.*https://news\.test/\S+$", False),
    Case(
        "latest-query",
        "latest 5 event:funding",
        r"^• Anthropic raises \$450 million Series C led by Spark Capital \(\$450M, series c\) https://news\.test/anthropic-c$",
        False,
    ),
    Case(
        "summary", "summary 7d", r"^AI alliances, last 7d: 2 deals\nMoney raised: \$450M\n", False
    ),
    Case(
        "digest",
        "digest daily 09:00 Europe/Paris",
        r"^This channel gets a digest every day at 09:00 \(Europe/Paris\)\.$",
        True,
        check=check_digest,
    ),
    Case(
        "digest-off",
        "digest off",
        r"^Digests are off for this channel\.$",
        True,
        setup=setup_digest,
        check=check_digest_off,
    ),
    Case(
        "sources-list",
        "sources list",
        r"\d+: Wire \[on\] http://127\.0\.0\.1:\d+/wire\.xml",
        True,
        who="admin",
    ),
    Case(
        "sources-add",
        "sources add {url}",
        r"^Added source \d+: .+, 2 items in it now\. It is polled from now on\.$",
        True,
        who="admin",
        setup=setup_feed,
        check=check_source_added,
    ),
    Case(
        "sources-add-page",
        "sources add {url}",
        r"^Added source \d+: .+ \(found the feed at {feed}\), 2 items in it now\.",
        True,
        who="admin",
        setup=setup_page,
        check=check_source_added,
    ),
    Case(
        "sources-remove",
        "sources remove {src}",
        r"^Removed source {src}: {name}\.$",
        True,
        who="admin",
        setup=setup_source,
        check=check_source_removed,
    ),
    Case(
        "sources-resume",
        "sources resume {src}",
        r"^Resumed source {src}: {name}\. It is polled again now\.$",
        True,
        who="admin",
        setup=setup_paused_source,
        check=check_source_resumed,
    ),
    Case(
        "sources-health",
        "sources health",
        r"\d+: Wire: ok \(HTTP 200\); next poll ",
        True,
        who="admin",
    ),
    Case(
        "watchlist-add",
        'watchlist add "{org}" {alias}',
        r"^Watching {org} \(also: {alias}\)\.$",
        True,
        who="admin",
        setup=setup_org,
        check=check_acme,
    ),
    Case(
        "watchlist-remove",
        "watchlist remove {org}",
        r"^No longer watching {org}\.$",
        True,
        who="admin",
        setup=setup_watched,
        check=check_unwatched,
    ),
    Case(
        "watchlist-list",
        "watchlist list mistral",
        r"^1 watched organisations: Mistral AI$",
        True,
        who="admin",
    ),
    Case(
        "config-show",
        "config show",
        r"^poll\.default_interval = \S+\npoll\.jitter = 1m\n(?:.*\n)*sources = \d+ enabled",
        True,
        who="admin",
    ),
    Case(
        "config-set",
        "config set poll.default_interval 10m",
        r"^poll\.default_interval is now 10m \(was {old}\)\.$",
        True,
        who="admin",
        setup=setup_config_old,
        check=check_config_set,
    ),
    Case(
        "config-history",
        "config history",
        r"UTC {actor}: mute {company}: None -> ",
        True,
        who="admin",
        setup=setup_history,
    ),
    Case(
        "mute",
        "mute meta",
        r"^No more alerts about Meta in this channel\.$",
        True,
        who="admin",
        setup=setup_mute_routing,
        check=check_muted,
    ),
    Case(
        "unmute",
        "unmute Meta",
        r"^Alerts about Meta are back on in this channel\.$",
        True,
        who="admin",
        setup=setup_muted,
        check=check_unmuted,
    ),
    Case(
        "help",
        "help",
        r"^alliance-bot alerts this channel about AI partnerships and funding rounds\.",
        True,
        who="admin",
        check=check_help_admin,
    ),
)


async def test_every_command_is_covered() -> None:
    covered = {c.line.split()[0] for c in CASES}
    assert covered == {c.name for c in COMMANDS}
    actions = {
        " ".join(c.line.split()[:2])
        for c in CASES
        if c.line.split()[0] in ("sources", "watchlist", "config")
    }
    assert actions == {
        "sources list",
        "sources add",
        "sources remove",
        "sources resume",
        "sources health",
        "watchlist add",
        "watchlist remove",
        "watchlist list",
        "config show",
        "config set",
        "config history",
    }


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
async def test_command(plat: Platform, case: Case) -> None:
    c = Ctx(plat, plat.w)
    c.values["actor"] = f"{plat.name}:setup (setup)"  # who the setup steps act as
    if case.setup is not None:
        await case.setup(c)
    c.audit_before = max(c.audit_before, await last_audit_id(c.app))
    reply = await plat.send(case.line.format(**c.values), who=case.who)
    expect = case.expect.format(**{k: re.escape(str(v)) for k, v in c.values.items()})
    assert re.search(expect, reply.text, re.MULTILINE), reply.text
    assert reply.ephemeral is case.ephemeral
    if case.check is not None:
        await case.check(c, reply)


# ---------------------------------------------------------------------- non-admins are refused


ADMIN_ATTEMPTS: tuple[tuple[str, str], ...] = (
    ("sources-list", "sources list"),
    ("sources-add", "sources add {feed}"),
    ("sources-remove", "sources remove {src}"),
    ("sources-resume", "sources resume {paused}"),
    ("sources-health", "sources health"),
    ("watchlist-add", 'watchlist add "Acme AI" Acme'),
    ("watchlist-remove", "watchlist remove Mistral"),
    ("watchlist-list", "watchlist list"),
    ("config-show", "config show"),
    ("config-set", "config set poll.default_interval 30m"),
    ("config-history", "config history"),
    ("mute", "mute Meta"),
    ("unmute", "unmute Meta"),
)


async def test_every_admin_command_is_attempted() -> None:
    assert {line.split()[0] for _, line in ADMIN_ATTEMPTS} == set(ADMIN_COMMANDS)


@pytest.mark.parametrize(("label", "line"), ADMIN_ATTEMPTS, ids=[a for a, _ in ADMIN_ATTEMPTS])
async def test_non_admin_is_refused(plat: Platform, label: str, line: str) -> None:
    c = Ctx(plat, plat.w)
    # Something for every command to change if the refusal failed.
    await _extra_source(c)
    c.values["feed"] = _new_feed(c, f"/refused-{plat.channel}.xml")
    spare = c.values["src"]
    await _extra_source(c, paused=True)
    c.values.update(paused=c.values["src"], src=spare)
    await c.app.store.add_mute(plat.key, "Meta", "test", datetime.now(UTC))
    hits = c.w.feeds.total_hits
    before = await snapshot(c.app)

    reply = await plat.send(line.format(**c.values), who="member")

    assert reply.text == REFUSALS[plat.name]
    assert reply.ephemeral is True
    assert (
        await snapshot(c.app) == before
    )  # no source, subscription, setting, mute or audit row changed
    assert c.w.feeds.total_hits == hits  # "sources add" did not even fetch the URL


async def test_command_service_refuses_too(world: World) -> None:
    """The second lock: the core refuses admin commands for a non-admin whatever the adapter did."""
    before = await snapshot(world.app)
    for name in ADMIN_COMMANDS:
        inv = CommandInvocation(name, "list", ChannelRef("slack", "CSECOND"), "U1", "u", False, {})
        with pytest.raises(CommandError, match="Only admins"):
            await world.app.commands.handle(inv)
    with pytest.raises(CommandError, match="Unknown command 'frobnicate'"):
        await world.app.commands.handle(
            CommandInvocation("frobnicate", "", ChannelRef("slack", "CSECOND"), "U1", "u", True, {})
        )
    assert await snapshot(world.app) == before


@pytest.mark.parametrize("who", ["admin", "owner", "listed"])
async def test_every_admin_route_is_recognised(plat: Platform, who: str) -> None:
    """Slack: is_admin, is_owner, [slack] admin_user_ids.  Discord: Manage Server, Administrator, admin role."""
    reply = await plat.send("config show", who=who)
    assert reply.text.startswith("poll.default_interval = ")
    help_reply = await plat.send("help", who=who)
    assert "/alliance config set" in help_reply.text


async def test_help_for_members_hides_admin_commands(plat: Platform) -> None:
    reply = await plat.send("help")
    assert reply.ephemeral is True
    for spec in COMMANDS:
        assert (spec.example in reply.text) is (not spec.admin_only), spec.name


# ---------------------------------------------------------------------- bad input: a sentence, never a traceback


@dataclass(frozen=True)
class Bad:
    id: str
    line: str
    expect: str  # regex
    who: str = "admin"
    discord: dict[str, str] = field(default_factory=dict)


BAD: tuple[Bad, ...] = (
    Bad(
        "malformed-query",
        "subscribe (mistral OR",
        r"^'OR' needs something after it \(at character 12\):",
    ),
    Bad(
        "unknown-event",
        "subscribe event:rumour",
        r"^unknown event 'rumour'; use one of partnership, funding, acquisition",
    ),
    Bad(
        "interval-too-short",
        "config set poll.default_interval 5s",
        r"^poll\.default_interval cannot be '5s': poll no more often than every 60s$",
    ),
    Bad(
        "not-settable",
        "config set fetch.max_bytes 1",
        r"^fetch\.max_bytes cannot be set from chat; settable keys: poll\.default_interval, ",
    ),
    Bad(
        "config-no-value",
        "config set poll.jitter",
        r"^Give a value, e.g\. /alliance config set poll\.jitter <value>$",
    ),
    Bad(
        "config-unknown-action",
        "config frobnicate",
        r"^Use: config show \| set <key> <value> \| history$",
    ),
    Bad(
        "unsubscribe-missing",
        "unsubscribe 999",
        r"^This channel has no subscription with id 999\.$",
    ),
    Bad(
        "unsubscribe-word",
        "unsubscribe mistral",
        r"^Give a subscription id from /alliance list, or 'all'\.$",
    ),
    Bad(
        "digest-bad-time",
        "digest daily 25:00",
        r"^'25:00' is not a time like 09:00 \(24-hour clock\)\.$",
    ),
    Bad(
        "digest-bad-zone",
        "digest daily 09:00 Mars/Olympus",
        r"^'Mars/Olympus' is not a time zone name like Europe/Paris or UTC\.$",
    ),
    Bad("digest-bad-frequency", "digest hourly", r"^'hourly' is not daily, weekly or off\.$"),
    Bad(
        "sources-ftp",
        "sources add ftp://x",
        r"^'ftp://x' is not usable: must be an http:// or https:// URL$",
    ),
    Bad("sources-404", "sources add {missing}", r"404"),
    Bad("sources-not-a-feed", "sources add {plain}", r"\S"),
    Bad("sources-duplicate", "sources add {wire}", r"^That feed is already a source\.$"),
    Bad(
        "sources-remove-word",
        "sources remove wire",
        r"^Give the source id \(see /alliance sources list\), e\.g\. /alliance sources remove 3$",
    ),
    Bad("sources-remove-missing", "sources remove 99999", r"^There is no source with id 99999\.$"),
    Bad(
        "sources-unknown-action",
        "sources frobnicate",
        r"^Use: sources list \| add <url> \| remove <id> \| resume <id> \| health$",
    ),
    Bad(
        "watchlist-remove-missing",
        "watchlist remove Nobodyknows",
        r"^'Nobodyknows' is not on the watchlist\.$",
    ),
    Bad("watchlist-unbalanced", 'watchlist add "Acme', r"^Unbalanced quotes in the command\.$"),
    Bad("unmute-not-muted", "unmute Nobodyknows", r"^Nobodyknows is not muted in this channel\.$"),
    Bad("latest-too-many", "latest 99", r"^Ask for between 1 and 20 stories\.$"),
)


@pytest.mark.parametrize("bad", BAD, ids=lambda b: b.id)
async def test_bad_input_gets_a_sentence(plat: Platform, bad: Bad) -> None:
    w = plat.w
    w.feeds.add("/plain.txt", b"just some text, not a feed", content_type="text/plain")
    values = {
        "missing": w.feeds.url("/no-such-feed.xml"),
        "plain": w.feeds.url("/plain.txt"),
        "wire": w.feeds.url("/wire.xml"),
    }
    before = await snapshot(w.app)
    reply = await plat.send(bad.line.format(**values), who=bad.who, **bad.discord)
    assert re.search(bad.expect, reply.text), reply.text
    assert (
        reply.text != POLITE[plat.name]
    )  # a user mistake is explained, not "something went wrong"
    assert reply.ephemeral is True
    assert await snapshot(w.app) == before


async def test_unknown_subcommand(plat: Platform) -> None:
    """An unknown subcommand is explained privately (Slack: the usage; Discord: a stale
    registration reaching a tree that no longer has the name), not reported as a crash."""
    before = await snapshot(plat.w.app)
    reply = await plat.send("frobnicate now")
    assert reply.ephemeral is True
    assert reply.text != POLITE[plat.name]  # "something went wrong ... logged" misleads the user
    if plat.name == "slack":
        assert reply.text.startswith("Usage: /alliance <subcommand> [arguments]")
        for spec in COMMANDS:
            assert f"• {spec.name}" in reply.text
    else:
        assert "frobnicate" in reply.text or "/alliance help" in reply.text, reply.text
    assert await snapshot(plat.w.app) == before


# ---------------------------------------------------------------------- effects that outlive the command


async def test_config_set_survives_a_restart(plat: Platform) -> None:
    app = plat.w.app
    value = {"slack": ("45m", 2700.0), "discord": ("2h", 7200.0)}[plat.name]
    reply = await plat.send(f"config set poll.default_interval {value[0]}", who="admin")
    assert reply.text.startswith(f"poll.default_interval is now {value[0]}")
    assert app.settings.poll.default_interval == value[1]
    reply = await plat.send("config show", who="admin")
    assert f"poll.default_interval = {value[0]}" in reply.text
    assert "changed from chat: poll.default_interval" in reply.text

    # A new App on the same database (same TOML file, which still says 15m) starts with the change.
    config = load_config(plat.w.config_path, environ={}, dotenv=None)
    assert config.settings.poll.default_interval == 900.0
    async with App(config, stdout=io.StringIO()) as again:
        assert again.settings.poll.default_interval == value[1]
        assert again.poller.policy.default_interval_s == value[1]


async def test_watchlist_change_survives_a_restart(plat: Platform) -> None:
    name, alias = f"Quux Labs {plat.name}", f"Quux{plat.name}"
    reply = await plat.send(f'watchlist add "{name}" {alias}', who="admin")
    assert reply.text == f"Watching {name} (also: {alias})."
    sub = await plat.send(f"subscribe {alias.lower()}")
    assert "Subscribed this channel" in sub.text
    config = load_config(plat.w.config_path, environ={}, dotenv=None)
    async with App(config, stdout=io.StringIO()) as again:
        entry = again.watchlist.lookup(alias)
        assert entry is not None and entry.name == name


async def test_multi_word_names_without_aliases(plat: Platform) -> None:
    """`watchlist add "Acme Robotics"` watches "Acme Robotics", and removing it by that name works."""
    name = f"Brightline Robotics {plat.name}"
    reply = await plat.send(f'watchlist add "{name}"', who="admin")
    assert reply.text == f"Watching {name}."
    entry = plat.w.app.watchlist.lookup(name)
    assert entry is not None and entry.name == name and entry.aliases == ()
    reply = await plat.send(f'watchlist remove "{name}"', who="admin")
    assert reply.text == f"No longer watching {name}."
    assert plat.w.app.watchlist.lookup(name) is None


async def test_subscriptions_are_per_channel(plat: Platform) -> None:
    await plat.send("subscribe anthropic")
    other = Platform(
        plat.name, plat.w, plat.channel[:-1] + ("9" if plat.channel[-1] != "9" else "8")
    )
    assert (await other.send("list")).text.startswith("This channel has no subscriptions")
    ours = await plat.send("list")
    assert "`anthropic` (instant)" in ours.text
    # Another channel cannot remove this channel's subscription by id.
    (sub,) = await plat.w.app.store.subscriptions(plat.key)
    refused = await other.send(f"unsubscribe {sub.id}")
    assert refused.text == f"This channel has no subscription with id {sub.id}."
    assert [s.id for s in await plat.w.app.store.subscriptions(plat.key)] == [sub.id]


async def test_replies_quoting_user_text_do_not_ping(plat: Platform) -> None:
    """A query with mention syntax is echoed back, and the stand-ins see no ping."""
    text = "@everyone <@123456789012345678> <!channel>"
    reply = await plat.send(f"subscribe {text}")
    assert "Subscribed this channel" in reply.text
    # (Platform.send asserts the stand-ins recorded no ping and no violation.)
    assert "@everyone" in reply.text  # shown, but inert


async def test_settable_keys_and_channel_keys() -> None:
    assert "fetch.max_bytes" not in SETTABLE and "poll.default_interval" in SETTABLE
    # What the assertions above call ``Platform.key``: subscriptions key on platform:channel.
    assert channel_key(ChannelRef("slack", "C1", "T1")) == "slack:C1"
    assert channel_key(ChannelRef("discord", "15", "14")) == "discord:15"


async def test_summary_with_only_a_query(plat: Platform) -> None:
    """`summary anthropic`: the period is optional (default 7d), so a query alone filters the summary.

    On Slack the words after the subcommand are all the user can type; on
    Discord the query goes into its own field.
    """
    reply = await plat.send(
        "summary anthropic",
        **({"query": "anthropic", "period": ""} if plat.name == "discord" else {}),
    )
    assert reply.text.startswith("AI alliances, last 7d: 1 deal"), reply.text
    assert "Anthropic" in reply.text and "Microsoft" not in reply.text
    assert reply.ephemeral is False


async def test_unmute_matches_mute_whatever_the_case(plat: Platform) -> None:
    """Mutes route case-insensitively, so unmuting must too (an organisation not on the watchlist)."""
    muted = await plat.send("mute globex", who="admin")
    assert muted.text == "No more alerts about globex in this channel."
    again = await plat.send("mute Globex", who="admin")
    assert again.text == "Globex was already muted here."
    unmuted = await plat.send("unmute GLOBEX", who="admin")
    assert unmuted.text == "Alerts about GLOBEX are back on in this channel."
    assert plat.key not in await plat.w.app.store.mutes()


async def test_config_set_max_entries_takes_effect_without_restart(plat: Platform) -> None:
    """`config set poll.max_entries 1` caps what the next fetch parses (here: the probe of `sources add`)."""
    app = plat.w.app
    try:
        reply = await plat.send("config set poll.max_entries 1", who="admin")
        assert reply.text == "poll.max_entries is now 1 (was 200)."
        assert app.settings.poll.max_entries == 1
        url = _new_feed(Ctx(plat, plat.w), f"/capped-{plat.channel}.xml")  # two items
        added = await plat.send(f"sources add {url}", who="admin")
        assert re.search(r", 1 items in it now\.", added.text), added.text
    finally:
        await app.commands.handle(
            CommandInvocation(
                "config",
                "set poll.max_entries 200",
                ChannelRef(plat.name, plat.channel),
                "setup",
                "setup",
                True,
            )
        )
    assert app.settings.poll.max_entries == 200


async def test_subscription_cap_per_channel(plat: Platform) -> None:
    for i in range(50):
        await plat.w.app.store.add_subscription(
            plat.key, f"word{i}", "instant", "test", datetime.now(UTC)
        )
    before = await snapshot(plat.w.app)
    reply = await plat.send("subscribe mistral")
    assert reply.text == "This channel already has 50 subscriptions; remove one first."
    assert reply.ephemeral is True
    assert await snapshot(plat.w.app) == before
