"""The /alliance commands: declared once as data, handled here, served by every adapter.

Handlers receive a platform-neutral ``CommandInvocation`` and return
``(text, ephemeral)``.  Mistakes by the user raise ``CommandError`` with a
sentence meant for them; the adapters show it privately.  Every admin change
is written to the audit log with the old and new value, and takes effect
without a restart through the ``Runtime`` the app provides.
"""

from __future__ import annotations

import asyncio
import json
import re
import shlex
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog
from pydantic import ValidationError

from adapters.base import AlertMessage, CommandInvocation, CommandReply
from bot.channels import ChannelRef
from bot.commandspec import ArgSpec, CommandSpec
from bot.durations import format_duration
from bot.errors import AllianceError, CommandError, ConfigError
from bot.matcher.watchlist import Watchlist
from bot.query import parse_query
from bot.route import watchlist_resolver
from bot.settings import Settings, SourceConfig
from bot.store.store import SourceState, Store, StoredStory
from bot.summary import PERIODS, build_summary, render_summary_text, story_line

COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(
        "subscribe",
        "Subscribe this channel to stories matching a query",
        (ArgSpec("query", "e.g. event:funding amount>=50M (mistral OR anthropic)", True, "companies", rest=True),),
        example='/alliance subscribe event:funding amount>=50M (mistral OR anthropic) NOT lawsuit',
    ),
    CommandSpec(
        "unsubscribe",
        "Remove one of this channel's subscriptions, or all",
        (ArgSpec("id", "subscription id from /alliance list, or 'all'", True),),
        example="/alliance unsubscribe 3",
    ),
    CommandSpec("list", "List this channel's subscriptions", example="/alliance list"),
    CommandSpec(
        "test",
        "Show what a query would have matched in the last 7 days",
        (ArgSpec("query", "the query to try", True, "companies", rest=True),),
        example="/alliance test mistral OR anthropic",
    ),
    CommandSpec(
        "latest",
        "The most recent flagged stories",
        (
            ArgSpec("n", "how many (1-20, default 5)"),
            ArgSpec("query", "optional filter", False, "companies", rest=True),
        ),
        example="/alliance latest 10 event:funding",
    ),
    CommandSpec(
        "summary",
        "Summary of a period: deals, money raised, most active organisations",
        (
            ArgSpec("period", "24h, 7d or 30d (default 7d)"),
            ArgSpec("query", "optional filter", False, "companies", rest=True),
        ),
        example="/alliance summary 7d event:funding",
    ),
    CommandSpec(
        "digest",
        "Scheduled digest for this channel: daily, weekly or off",
        (
            ArgSpec("frequency", "daily, weekly or off", True),
            ArgSpec("time", "HH:MM (default 09:00)"),
            ArgSpec("timezone", "e.g. Europe/Paris (default UTC)"),
        ),
        example="/alliance digest daily 09:00 Europe/Paris",
    ),
    CommandSpec(
        "sources",
        "Admin: list, add, remove, resume sources, or show their health",
        (
            ArgSpec("action", "list, add, remove, resume or health", True),
            ArgSpec("value", "a URL for add, a source id for remove/resume", False, "sources", rest=True),
        ),
        admin_only=True,
        example="/alliance sources add https://example.com/ai/feed.xml",
    ),
    CommandSpec(
        "watchlist",
        "Admin: add, remove or list watched organisations",
        (
            ArgSpec("action", "add, remove or list", True),
            ArgSpec("value", 'name, then aliases: "Mistral AI" Mistral', False, "companies", rest=True),
        ),
        admin_only=True,
        example='/alliance watchlist add "Acme AI" Acme AcmeAI',
    ),
    CommandSpec(
        "config",
        "Admin: show or set configuration, or show the change history",
        (
            ArgSpec("action", "show, set or history", True),
            ArgSpec("value", "for set: <key> <value>", False, rest=True),
        ),
        admin_only=True,
        example="/alliance config set poll.default_interval 10m",
    ),
    CommandSpec(
        "mute",
        "Admin: stop alerts about a company in this channel",
        (ArgSpec("company", "the company", True, "companies", rest=True),),
        admin_only=True,
        example="/alliance mute Meta",
    ),
    CommandSpec(
        "unmute",
        "Admin: alert about a muted company again in this channel",
        (ArgSpec("company", "the company", True, "companies", rest=True),),
        admin_only=True,
        example="/alliance unmute Meta",
    ),
    CommandSpec("help", "What this bot does and how to use it", example="/alliance help"),
)

# Keys an admin may change from chat. Fetch and database settings need a
# restart (they build the HTTP session and the engine), so they are not here.
SETTABLE = (
    "poll.default_interval",
    "poll.jitter",
    "poll.first_poll_max_age",
    "poll.max_entries",
    "poll.pause_after_failures",
    "poll.max_backoff",
    "matcher.acquisitions",
    "matcher.min_confidence",
    "admin.channel",
)
MAX_SUBSCRIPTIONS_PER_CHANNEL = 50
log = structlog.get_logger("alliance.commands")
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class Runtime(Protocol):
    """What commands may change in the running bot (the App implements it)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def watchlist(self) -> Watchlist: ...

    async def apply_settings(self, settings: Settings) -> None: ...

    async def apply_watchlist(self, watchlist: Watchlist) -> None: ...

    async def sources_changed(self) -> None: ...

    async def routing_changed(self) -> None: ...

    async def post_notice(self, channel: str, message: AlertMessage) -> bool: ...

    async def probe_source(self, url: str) -> tuple[str, int]:
        """Fetch and parse ``url`` once: (feed url to store, entries found)."""
        ...


def channel_key(ref: ChannelRef) -> str:
    return ref.key


def actor(inv: CommandInvocation) -> str:
    return f"{inv.channel.platform}:{inv.user_id} ({inv.user_name})"[:200]


def apply_override(settings: Settings, key: str, raw: Any) -> Settings:
    """Return settings with ``key`` set, validated by the config file's own rules."""
    data = settings.model_dump()
    section, _, field = key.partition(".")
    if field:
        data.setdefault(section, {})[field] = raw
    else:
        data[section] = raw
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        reasons = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        raise CommandError(f"{key} cannot be {raw!r}: {reasons}") from None


def get_setting(settings: Settings, key: str) -> Any:
    value: Any = settings
    for part in key.split("."):
        value = getattr(value, part)
    return value


def _show(value: Any) -> str:
    if isinstance(value, float) and value >= 60 and value.is_integer():
        return format_duration(value)
    return json.dumps(value) if not isinstance(value, str) else value


@dataclass
class CommandService:
    store: Store
    runtime: Runtime
    now: Callable[[], datetime]

    @property
    def specs(self) -> tuple[CommandSpec, ...]:
        return COMMANDS

    async def handle(self, inv: CommandInvocation) -> CommandReply:
        spec = next((c for c in COMMANDS if c.name == inv.name), None)
        if spec is None:
            raise CommandError(f"Unknown command {inv.name!r}. Try /alliance help.")
        if spec.admin_only and not inv.is_admin:
            # Adapters refuse first; this is the second lock on the same door.
            raise CommandError("Only admins can do that.")
        handler: Callable[[CommandInvocation], Awaitable[CommandReply]] = getattr(
            self, "cmd_" + spec.name
        )
        try:
            return await handler(inv)
        except (CommandError, ConfigError):
            raise
        except AllianceError as exc:
            raise CommandError(str(exc)) from None

    # ---- helpers ---------------------------------------------------------------

    def _resolver(self) -> Any:
        return watchlist_resolver(self.runtime.watchlist)

    @staticmethod
    def _words(text: str) -> list[str]:
        try:
            return shlex.split(text)
        except ValueError:
            raise CommandError("Unbalanced quotes in the command.") from None

    async def _audit(
        self, inv: CommandInvocation, action: str, target: str, old: Any, new: Any
    ) -> None:
        await self.store.audit(
            actor=actor(inv),
            channel=channel_key(inv.channel),
            action=action,
            target=target,
            old=None if old is None else str(old),
            new=None if new is None else str(new),
            now=self.now(),
        )

    def _arg(self, inv: CommandInvocation, name: str) -> str:
        return str(inv.options.get(name) or "").strip()

    def _rest_after_first(self, inv: CommandInvocation, first: str) -> str:
        """The text after the first word, quotes kept (names may be "quoted words")."""
        text = inv.text.strip()
        if first and text.lower().startswith(first.lower()):
            return text[len(first) :].strip()
        return self._arg(inv, "value")

    # ---- subscriptions -----------------------------------------------------------

    async def cmd_subscribe(self, inv: CommandInvocation) -> CommandReply:
        text = self._arg(inv, "query") or inv.text.strip()
        if not text:
            raise CommandError("Give a query, e.g. /alliance subscribe event:funding mistral")
        query = parse_query(text, self._resolver())
        key = channel_key(inv.channel)
        existing = await self.store.subscriptions(key)
        if len(existing) >= MAX_SUBSCRIPTIONS_PER_CHANNEL:
            raise CommandError(
                f"This channel already has {len(existing)} subscriptions; remove one first."
            )
        sub = await self.store.add_subscription(key, query.text, query.mode, actor(inv), self.now())
        await self.runtime.routing_changed()
        how = "a digest" if query.mode == "digest" else "instant alerts"
        return (f"Subscribed this channel (id {sub.id}) to `{query.text}`, with {how}.", True)

    async def cmd_unsubscribe(self, inv: CommandInvocation) -> CommandReply:
        arg = (self._arg(inv, "id") or inv.text).strip().lower()
        key = channel_key(inv.channel)
        if arg == "all":
            n = await self.store.remove_subscriptions(key, None)
            await self.runtime.routing_changed()
            return (f"Removed {n} subscription(s) from this channel.", True)
        if not arg.isdigit():
            raise CommandError("Give a subscription id from /alliance list, or 'all'.")
        n = await self.store.remove_subscriptions(key, int(arg))
        await self.runtime.routing_changed()
        if n == 0:
            raise CommandError(f"This channel has no subscription with id {arg}.")
        return (f"Removed subscription {arg}.", True)

    async def cmd_list(self, inv: CommandInvocation) -> CommandReply:
        subs = await self.store.subscriptions(channel_key(inv.channel))
        if not subs:
            return ("This channel has no subscriptions. Try /alliance subscribe event:funding", True)
        lines = [f"{s.id}: `{s.query}` ({s.mode}{', from the config file' if s.origin == 'config' else ''})" for s in subs]
        return ("This channel's subscriptions:\n" + "\n".join(lines), True)

    async def cmd_test(self, inv: CommandInvocation) -> CommandReply:
        text = self._arg(inv, "query") or inv.text.strip()
        query = parse_query(text or "*", self._resolver())
        recent = await self.store.recent_flagged(self.now() - timedelta(days=7))
        hits = [s for s in recent if s.match is not None and query.matches(s.story, s.match)]
        if not hits:
            return (f"`{query.text}` matched nothing in the last 7 days ({len(recent)} flagged stories).", True)
        lines = [f"`{query.text}` matched {len(hits)} of {len(recent)} flagged stories in the last 7 days:"]
        lines += ["• " + story_line(s) for s in hits[:10]]
        if len(hits) > 10:
            lines.append(f"… and {len(hits) - 10} more")
        return ("\n".join(lines), True)

    async def cmd_latest(self, inv: CommandInvocation) -> CommandReply:
        n_text = self._arg(inv, "n")
        q_text = self._arg(inv, "query")
        if not inv.options:
            words = inv.text.strip().split(maxsplit=1)
            if words and words[0].isdigit():
                n_text, q_text = words[0], words[1] if len(words) > 1 else ""
            else:
                q_text = inv.text.strip()
        elif n_text and not n_text.isdigit():
            q_text, n_text = (n_text + " " + q_text).strip(), ""
        n = int(n_text) if n_text else 5
        if not 1 <= n <= 20:
            raise CommandError("Ask for between 1 and 20 stories.")
        query = parse_query(q_text or "*", self._resolver())
        recent = await self.store.recent_flagged(self.now() - timedelta(days=30), limit=2000)
        hits = [s for s in recent if s.match is not None and query.matches(s.story, s.match)][:n]
        if not hits:
            return ("No flagged stories yet" + (f" matching `{query.text}`." if q_text else "."), False)
        return ("\n".join("• " + story_line(s) for s in hits), False)

    async def cmd_summary(self, inv: CommandInvocation) -> CommandReply:
        period = self._arg(inv, "period")
        q_text = self._arg(inv, "query")
        if not inv.options:
            words = inv.text.strip().split(maxsplit=1)
            if words and words[0].lower() in PERIODS:
                period, q_text = words[0], words[1] if len(words) > 1 else ""
            else:
                q_text = inv.text.strip()
        elif period and period.lower() not in PERIODS:
            # Not a period: the user gave only a query (adapters fill options in order).
            q_text, period = (period + " " + q_text).strip(), ""
        period = (period or "7d").lower()
        query = parse_query(q_text or "*", self._resolver())
        now = self.now()
        stories = await self.store.recent_flagged(now - PERIODS[period], limit=5000)
        stories = [s for s in stories if s.match is not None and query.matches(s.story, s.match)]
        watched = {n.lower() for n in self.runtime.watchlist.names()}
        summary = build_summary(stories, period=period, now=now, watched=watched)
        if not summary.empty:
            await self._post_map(inv, stories, period)
        return (render_summary_text(summary), False)

    async def _post_map(self, inv: CommandInvocation, stories: Sequence[StoredStory], period: str) -> None:
        """The alliance map goes to the channel as its own message with the image.

        Rendering takes a few hundred ms off the event loop; the command was
        acknowledged already, and a failure costs the picture, not the summary.
        """
        from bot.mapimage import summary_png

        title = f"Alliance map, last {period}"
        try:
            png = await asyncio.to_thread(summary_png, stories, title=title)
        except Exception:
            log.exception("alliance map render failed")
            return
        await self.runtime.post_notice(
            channel_key(inv.channel),
            AlertMessage(title=title, url="", events=(), summary="", image_png=png),
        )

    async def cmd_digest(self, inv: CommandInvocation) -> CommandReply:
        words = self._words(inv.text) if not inv.options else [
            self._arg(inv, a) for a in ("frequency", "time", "timezone") if self._arg(inv, a)
        ]
        if not words:
            raise CommandError("Say daily, weekly or off, e.g. /alliance digest daily 09:00 Europe/Paris")
        freq = words[0].lower()
        key = channel_key(inv.channel)
        if freq == "off":
            await self.store.set_digest(key, None, "", "", self.now())
            return ("Digests are off for this channel.", True)
        if freq not in ("daily", "weekly"):
            raise CommandError(f"{words[0]!r} is not daily, weekly or off.")
        at = words[1] if len(words) > 1 else "09:00"
        if not _HHMM.match(at):
            raise CommandError(f"{at!r} is not a time like 09:00 (24-hour clock).")
        tz = words[2] if len(words) > 2 else "UTC"
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise CommandError(f"{tz!r} is not a time zone name like Europe/Paris or UTC.") from None
        h, m = at.split(":")
        at = f"{int(h):02d}:{m}"
        await self.store.set_digest(key, freq, at, tz, self.now())
        when = "every day" if freq == "daily" else "every Monday"
        return (f"This channel gets a digest {when} at {at} ({tz}).", True)

    # ---- admin: sources ----------------------------------------------------------

    async def cmd_sources(self, inv: CommandInvocation) -> CommandReply:
        action = (self._arg(inv, "action") or (inv.text.split() or [""])[0]).lower()
        value = self._rest_after_first(inv, action)
        if action == "list":
            return (self._sources_table(await self.store.sources(), health=False), True)
        if action == "health":
            return (self._sources_table(await self.store.sources(), health=True), True)
        if action == "add":
            return await self._source_add(inv, value)
        if action in ("remove", "resume"):
            if not value.isdigit():
                raise CommandError(f"Give the source id (see /alliance sources list), e.g. /alliance sources {action} 3")
            return await (self._source_remove if action == "remove" else self._source_resume)(inv, int(value))
        raise CommandError("Use: sources list | add <url> | remove <id> | resume <id> | health")

    def _sources_table(self, sources: Sequence[SourceState], *, health: bool) -> str:
        active = [s for s in sources if s.origin != "removed"]
        if not active:
            return "No sources. Add one with /alliance sources add <url>"
        now = self.now()
        lines = []
        for s in active:
            if not health:
                state = "paused" if s.paused else ("on" if s.enabled else "off")
                lines.append(f"{s.id}: {s.name} [{state}] {s.url}")
                continue
            if s.paused:
                state = f"PAUSED: {s.paused_reason or s.last_error}"
            elif s.failures:
                state = f"failing ({s.failures}x): {s.last_error}"
            elif s.last_success_at is None:
                state = "not polled yet"
            else:
                state = f"ok (HTTP {s.last_status})"
            nxt = "-"
            if not s.paused and s.enabled:
                nxt = "now" if s.next_poll_at is None or s.next_poll_at <= now else "in " + format_duration((s.next_poll_at - now).total_seconds())
            lines.append(f"{s.id}: {s.name}: {state}; next poll {nxt}")
        return "\n".join(lines)

    async def _source_add(self, inv: CommandInvocation, url: str) -> CommandReply:
        if not url:
            raise CommandError("Give the feed URL, e.g. /alliance sources add https://example.com/feed.xml")
        try:
            SourceConfig(name="probe", url=url)
        except ValidationError as exc:
            raise CommandError(f"{url!r} is not usable: {exc.errors()[0]['msg'].removeprefix('Value error, ')}") from None
        feed_url, entries = await self.runtime.probe_source(url)
        existing = await self.store.sources()
        if any(s.url == feed_url and s.origin != "removed" for s in existing):
            raise CommandError("That feed is already a source.")
        name = _source_name(feed_url, {s.name for s in existing})
        state = await self.store.add_source(name, feed_url, None, self.now())
        await self._audit(inv, "sources add", name, None, feed_url)
        await self.runtime.sources_changed()
        found = f" (found the feed at {feed_url})" if feed_url != url else ""
        return (f"Added source {state.id}: {name}{found}, {entries} items in it now. It is polled from now on.", True)

    async def _source_remove(self, inv: CommandInvocation, source_id: int) -> CommandReply:
        state = await self.store.remove_source(source_id)
        if state is None:
            raise CommandError(f"There is no source with id {source_id}.")
        await self._audit(inv, "sources remove", state.name, state.url, None)
        await self.runtime.sources_changed()
        return (f"Removed source {source_id}: {state.name}.", True)

    async def _source_resume(self, inv: CommandInvocation, source_id: int) -> CommandReply:
        from bot.health import resume_values

        state = await self.store.source_by_id(source_id)
        if state is None:
            raise CommandError(f"There is no source with id {source_id}.")
        if not state.paused:
            return (f"Source {source_id} ({state.name}) is not paused.", True)
        await self.store.update_source(state.name, resume_values())
        await self._audit(inv, "sources resume", state.name, "paused", "active")
        return (f"Resumed source {source_id}: {state.name}. It is polled again now.", True)

    # ---- admin: watchlist --------------------------------------------------------

    async def cmd_watchlist(self, inv: CommandInvocation) -> CommandReply:
        action = (self._arg(inv, "action") or (inv.text.split() or [""])[0]).lower()
        rest = self._rest_after_first(inv, action)
        wl = self.runtime.watchlist
        if action == "list":
            names = sorted(wl.names(), key=str.lower)
            if rest:
                names = [n for n in names if rest.lower() in n.lower()]
            shown = ", ".join(names[:100])
            more = f" … and {len(names) - 100} more" if len(names) > 100 else ""
            return (f"{len(names)} watched organisations: {shown}{more}", True)
        words = self._words(rest)
        if not words:
            raise CommandError(f'Give a name, e.g. /alliance watchlist {action or "add"} "Acme AI"')
        name = words[0].strip()
        if not 1 <= len(name) <= 100:
            raise CommandError("Names are 1 to 100 characters.")
        if action == "add":
            aliases = tuple(dict.fromkeys(a.strip() for a in words[1:] if a.strip() and a.strip() != name))
            existing = wl.lookup(name)
            old = f"{existing.name} {list(existing.aliases)}" if existing else None
            if existing is not None:
                merged = tuple(dict.fromkeys((*existing.aliases, *aliases)))
                new_wl = wl.without(existing.name).with_entry(existing.name, merged, existing.kind)
                name, aliases = existing.name, merged
            else:
                new_wl = wl.with_entry(name, aliases)
            await self.store.set_watchlist_change(name, aliases, False, actor(inv), self.now())
            await self._audit(inv, "watchlist add", name, old, f"{name} {list(aliases)}")
            await self.runtime.apply_watchlist(new_wl)
            return (f"Watching {name}" + (f" (also: {', '.join(aliases)})" if aliases else "") + ".", True)
        if action == "remove":
            entry = wl.lookup(name)
            if entry is None:
                raise CommandError(f"{name!r} is not on the watchlist.")
            await self.store.set_watchlist_change(entry.name, entry.aliases, True, actor(inv), self.now())
            await self._audit(inv, "watchlist remove", entry.name, f"{entry.name} {list(entry.aliases)}", None)
            await self.runtime.apply_watchlist(wl.without(entry.name))
            return (f"No longer watching {entry.name}.", True)
        raise CommandError("Use: watchlist add <name> [aliases…] | remove <name> | list [filter]")

    # ---- admin: config -----------------------------------------------------------

    async def cmd_config(self, inv: CommandInvocation) -> CommandReply:
        action = (self._arg(inv, "action") or (inv.text.split() or [""])[0]).lower()
        rest = self._rest_after_first(inv, action)
        settings = self.runtime.settings
        if action == "show":
            lines = [f"{k} = {_show(get_setting(settings, k))}" for k in SETTABLE]
            lines.append(f"sources = {len(await self.store.sources(enabled_only=True))} enabled")
            overrides = await self.store.overrides()
            if overrides:
                lines.append("changed from chat: " + ", ".join(sorted(overrides)))
            return ("\n".join(lines), True)
        if action == "history":
            entries = await self.store.audit_history(20)
            if not entries:
                return ("No admin changes yet.", True)
            lines = [
                f"{e.at:%Y-%m-%d %H:%M} UTC {e.actor}: {e.action} {e.target}: {e.old_value!s} -> {e.new_value!s}"
                for e in entries
            ]
            return ("\n".join(lines), True)
        if action == "set":
            key, _, raw = rest.partition(" ")
            key, raw = key.strip(), raw.strip()
            if key not in SETTABLE:
                raise CommandError(f"{key or '(nothing)'} cannot be set from chat; settable keys: {', '.join(SETTABLE)}")
            if not raw:
                raise CommandError(f"Give a value, e.g. /alliance config set {key} <value>")
            old = get_setting(settings, key)
            new_settings = apply_override(settings, key, raw)
            new = get_setting(new_settings, key)
            await self.store.set_override(key, json.dumps(raw), actor(inv), self.now())
            await self._audit(inv, "config set", key, _show(old), _show(new))
            await self.runtime.apply_settings(new_settings)
            return (f"{key} is now {_show(new)} (was {_show(old)}).", True)
        raise CommandError("Use: config show | set <key> <value> | history")

    async def cmd_mute(self, inv: CommandInvocation) -> CommandReply:
        company = self._company(inv)
        added = await self.store.add_mute(channel_key(inv.channel), company, actor(inv), self.now())
        await self.runtime.routing_changed()
        if added:
            await self._audit(inv, "mute", company, None, channel_key(inv.channel))
        return (f"No more alerts about {company} in this channel." if added else f"{company} was already muted here.", True)

    async def cmd_unmute(self, inv: CommandInvocation) -> CommandReply:
        company = self._company(inv)
        removed = await self.store.remove_mute(channel_key(inv.channel), company)
        await self.runtime.routing_changed()
        if not removed:
            raise CommandError(f"{company} is not muted in this channel.")
        await self._audit(inv, "unmute", company, channel_key(inv.channel), None)
        return (f"Alerts about {company} are back on in this channel.", True)

    def _company(self, inv: CommandInvocation) -> str:
        raw = (self._arg(inv, "company") or inv.text).strip().strip('"')
        if not raw:
            raise CommandError("Name the company, e.g. /alliance mute Meta")
        return self.runtime.watchlist.canonical(raw)[:120]

    async def cmd_help(self, inv: CommandInvocation) -> CommandReply:
        lines = [
            "alliance-bot alerts this channel about AI partnerships and funding rounds.",
            "",
        ]
        for c in COMMANDS:
            if c.admin_only and not inv.is_admin:
                continue
            lines.append(f"{c.example or '/alliance ' + c.name}: {c.help}")
        lines.append("")
        lines.append('Queries: words, "phrases", company names, event:funding|partnership|acquisition, '
                     "round:seed, amount>=50M, AND/OR/NOT, ( ), mode:digest.")
        return ("\n".join(lines), True)


def _source_name(url: str, taken: set[str]) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    base = (parts.hostname or "source").removeprefix("www.")
    path = [p for p in parts.path.split("/") if p and p not in ("feed", "rss", "feed.xml", "rss.xml", "atom.xml", "index.xml")]
    name = (base + (" " + path[0] if path else ""))[:70]
    candidate, n = name, 2
    while candidate.lower() in {t.lower() for t in taken}:
        candidate, n = f"{name} {n}", n + 1
    return candidate
