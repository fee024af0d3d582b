"""Discord adapter: alerts as embeds over REST, ``/alliance`` slash commands over the gateway.

Design notes (why, not what):

* Scheduled alerts need no gateway connection and no cache: after
  ``Client.login`` (two REST calls) ``get_partial_messageable(id).send`` posts
  straight to ``POST /channels/{id}/messages``.  The gateway is opened only
  when ``start`` is given commands to serve.
* Mention injection: feed titles can contain ``@everyone`` or ``<@&role>``.
  The client is built with ``AllowedMentions.none()`` *and* every send passes
  it explicitly, so no future default change can make a feed title ping.  Feed
  text also goes into embeds (which never notify) and through
  ``escape_markdown``/``escape_mentions`` so it cannot spoof formatting or
  masked links.
* Idempotency: the message ``nonce`` is derived from the outbox's
  ``idempotency_key``; discord.py 2.7.1 sends ``enforce_nonce: true`` with
  every nonce, so Discord returns the original message instead of posting a
  second one when a retried send reaches it again (Discord keeps nonces for a
  few minutes only; the outbox must not retry a post much later without
  checking).
* Summaries and digests (``AlertMessage.events == ()``) render their
  multi-line text as the embed description (up to 4096 characters) and, when
  ``image_png`` is set, carry the alliance map as an attachment
  (``files[0]`` in a multipart request) that the embed shows through
  ``attachment://alliance-map.png``.  A map over Discord's 25 MiB request
  limit is dropped (logged) rather than losing the whole digest.
* ``discord.http.Route.BASE`` and ``DiscordWebSocket.DEFAULT_GATEWAY`` are
  **class-level** in discord.py: setting ``api_base``/``gateway_url`` here
  redirects every discord.py client in the process.  That is what REST
  proxies and the loopback stand-in need, but two adapters with different
  bases cannot coexist in one process.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import io
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, ClassVar

import aiohttp
import discord
import yarl
from discord import app_commands

from adapters.base import (
    AlertMessage,
    ChannelRef,
    ChatAdapter,
    CommandHandler,
    CommandInvocation,
    CommandReply,
    DeliveryError,
    PlatformLimits,
    PostResult,
)
from adapters.render import MAP_FILENAME, clean, event_style, fit, join_fit, safe_url
from bot.commandspec import CommandSpec
from bot.errors import AllianceError, CommandError

log = logging.getLogger(__name__)

# (kind, current_text) -> candidate names; kind is ArgSpec.autocomplete ("companies"/"sources").
AutocompleteProvider = Callable[[str, str], Awaitable[Sequence[str]]]

# Discord JSON error codes worth naming in a DeliveryError (docs: topics/opcodes-and-status-codes).
_ERROR_CODES: dict[int, str] = {
    10003: "unknown channel",
    10008: "unknown message",
    50001: "missing access to the channel",
    50013: "missing permissions in the channel",
    50035: "invalid message payload",
    40005: "request too large",
}

POLITE_FAILURE = "Sorry, something went wrong while running that command. It has been logged."
ADMIN_ONLY = "Only server admins (Manage Server permission) can use this command."


def _escape(text: str) -> str:
    """Markdown- and mention-escape untrusted text for embed titles, descriptions and fields."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def nonce_for(idempotency_key: str) -> str:
    """A stable message nonce (Discord allows strings of at most 25 characters)."""
    return hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:25]


class _SyncOnSetup:
    """Mixin: sync the command tree in ``setup_hook`` (runs once, in ``login``, before the gateway).

    Syncing in ``on_ready`` would re-register commands on every reconnect and
    burn the 200-creates-per-day budget; ``setup_hook`` runs once per process.
    """

    alliance_adapter: DiscordAdapter | None = None

    async def setup_hook(self) -> None:
        if self.alliance_adapter is not None:
            await self.alliance_adapter._sync_commands()


class _Client(_SyncOnSetup, discord.Client):
    pass


class _ShardedClient(_SyncOnSetup, discord.AutoShardedClient):
    pass


class DiscordAdapter(ChatAdapter):
    platform: ClassVar[str] = "discord"
    # Embed limits from Discord's docs ("Embed Limits").  text_max is the embed
    # description, where the alert's body goes.  Discord's message bucket is
    # "5 per 5 s per channel" in practice; discord.py's bucket handling absorbs
    # bursts, so the worker may aim for the ~5/s the brief specifies.
    limits: ClassVar[PlatformLimits] = PlatformLimits(
        title_max=256,
        text_max=4096,
        field_value_max=1024,
        fields_max=25,
        total_max=6000,
        posts_per_second_per_channel=5.0,
        posts_per_second_global=50.0,
    )
    CONTENT_MAX: ClassVar[int] = 2000
    # Discord's request limit (docs, Create Message -> Limitations); the JSON part is tiny.
    ATTACHMENT_MAX_BYTES: ClassVar[int] = 25 * 1024 * 1024 - 64 * 1024
    SUMMARY_EMOJI: ClassVar[str] = "📊"
    FIELD_NAME_MAX: ClassVar[int] = 256
    FOOTER_MAX: ClassVar[int] = 2048
    URL_MAX: ClassVar[int] = 2048
    COLOURS: ClassVar[dict[str, int]] = {
        "partnership": 0x3498DB,  # blue
        "funding": 0x2ECC71,  # green
        "acquisition": 0xE67E22,  # orange
        "news": 0x95A5A6,  # grey
        "summary": 0x9B59B6,  # purple
    }

    def __init__(
        self,
        token: str,
        *,
        api_base: str | None = None,
        gateway_url: str | None = None,
        command_name: str = "alliance",
        command_guild_ids: Sequence[int] = (),
        admin_role_ids: Sequence[int] = (),
        autocomplete_provider: AutocompleteProvider | None = None,
        shard_count: int | None = None,
        many_guilds: bool = False,
        max_ratelimit_timeout: float = 60.0,
        guild_ready_timeout: float = 2.0,
        start_timeout: float = 60.0,
    ) -> None:
        """``token``: the bot token (never read from the environment here).

        ``api_base``: REST base such as ``https://discord.com/api/v10`` (class-level, see module doc).
        ``gateway_url``: websocket URL for a plain client (an ``AutoShardedClient`` asks ``/gateway/bot``).
        ``command_guild_ids``: sync commands to these guilds (instant) instead of globally.
        ``admin_role_ids``: members with one of these roles count as admins, besides Manage Server.
        ``autocomplete_provider``: ``await provider(kind, current)`` -> names for ArgSpec.autocomplete.
        ``shard_count``/``many_guilds``: use ``AutoShardedClient`` (``shard_count=None`` lets Discord choose).
        ``max_ratelimit_timeout``: a 429 asking to wait longer raises (>= 30 s, discord.py's floor).
        """
        if not token:
            raise ValueError("a Discord bot token is required")
        self._token = token
        if api_base:
            discord.http.Route.BASE = api_base.rstrip("/")
        if gateway_url:
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
        self._command_name = command_name
        self._command_guild_ids = tuple(int(g) for g in command_guild_ids)
        self._admin_role_ids = frozenset(int(r) for r in admin_role_ids)
        self._autocomplete_provider = autocomplete_provider
        self._start_timeout = start_timeout

        intents = discord.Intents.none()
        intents.guilds = True  # lets interactions resolve their guild; no privileged intents needed
        options: dict[str, Any] = {
            "intents": intents,
            "allowed_mentions": discord.AllowedMentions.none(),
            "max_ratelimit_timeout": max(30.0, max_ratelimit_timeout),
            "guild_ready_timeout": guild_ready_timeout,
        }
        self._client: discord.Client
        if many_guilds or shard_count is not None:
            self._client = _ShardedClient(shard_count=shard_count, **options)
        else:
            self._client = _Client(**options)
        self._client.alliance_adapter = self
        self._tree: app_commands.CommandTree[discord.Client] | None = None
        self._synced = False
        self._logged_in = False
        self._login_lock: asyncio.Lock | None = None
        self._gateway_task: asyncio.Task[None] | None = None
        self._closed = False

    # ------------------------------------------------------------------ lifecycle

    @property
    def client(self) -> discord.Client:
        """The underlying discord.py client (for diagnostics; the core never needs it)."""
        return self._client

    async def _ensure_login(self) -> None:
        if self._logged_in:
            return
        if self._login_lock is None:
            self._login_lock = asyncio.Lock()
        async with self._login_lock:
            if not self._logged_in:
                try:
                    await self._client.login(self._token)
                except BaseException:
                    # discord.py opens a new aiohttp session on every login attempt
                    # and never closes the failed one; close it, and drop the
                    # connector it owned so the next attempt builds a fresh one.
                    await self._client.http.close()
                    self._client.http.connector = discord.utils.MISSING
                    raise
                self._logged_in = True

    async def start(
        self, commands: Sequence[Any] = (), handler: CommandHandler | None = None
    ) -> None:
        """Log in; with commands and a handler also register them and open the gateway.

        Returns once the gateway session is READY (or raises), so the caller
        knows commands are being served.
        """
        specs = [c for c in commands if isinstance(c, CommandSpec)]
        if specs and handler is not None and self._tree is None:
            self._tree = self._build_tree(specs, handler)
        try:
            await self._ensure_login()
            if self._tree is not None and not self._synced:
                # login() already happened for an earlier post, so setup_hook ran without a tree.
                await self._sync_commands()
        except discord.LoginFailure as exc:
            raise AllianceError("Discord rejected the bot token") from exc
        except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
            raise _classify(exc, "log in to Discord") from exc
        if self._tree is None or self._gateway_task is not None:
            return
        self._gateway_task = asyncio.create_task(self._client.connect(reconnect=True))
        ready = asyncio.create_task(self._client.wait_until_ready())
        done, _ = await asyncio.wait(
            {ready, self._gateway_task},
            timeout=self._start_timeout,
            return_when=asyncio.FIRST_COMPLETED,
        )
        if ready in done:
            return
        ready.cancel()
        if self._gateway_task in done:
            failure = self._gateway_task.exception()
            self._gateway_task = None
            raise AllianceError(
                f"Discord gateway connection failed: {type(failure).__name__}"
            ) from failure
        raise AllianceError("Discord gateway did not become ready in time")

    async def _sync_commands(self) -> None:
        if self._tree is None or self._synced:
            return
        if self._command_guild_ids:
            for guild_id in self._command_guild_ids:
                guild = discord.Object(id=guild_id)
                self._tree.copy_global_to(guild=guild)
                await self._tree.sync(guild=guild)
        else:
            await self._tree.sync()
        self._synced = True

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self._client.close()
        if self._gateway_task is not None:
            self._gateway_task.cancel()
            try:
                await self._gateway_task
            except (asyncio.CancelledError, Exception):  # closing: nothing left to report to
                log.debug("gateway task ended while closing", exc_info=True)
            self._gateway_task = None

    # ------------------------------------------------------------------ alerts

    @classmethod
    def render_embed(cls, message: AlertMessage, *, image: str | None = None) -> discord.Embed:
        """The alert as one embed within every documented limit, feed text escaped.

        A message without events is a summary or digest: its text becomes the whole
        description.  ``image`` names an attachment sent with the message for the
        embed to show (``attachment://<image>``).
        """
        key, label, emoji = event_style(message.events)
        if not message.events:
            key, label, emoji = "summary", "Summary", cls.SUMMARY_EMOJI
        title = fit(
            clean(message.title, single_line=True) or label, cls.limits.title_max - 2, _escape
        )
        embed = discord.Embed(
            title=f"{emoji} {title}",
            url=safe_url(message.url, max_len=cls.URL_MAX),
            colour=cls.COLOURS.get(key, cls.COLOURS["news"]),
            timestamp=message.published,
        )
        value_max = cls.limits.field_value_max
        if message.parties:
            embed.add_field(
                name="Parties",
                value=join_fit(message.parties, value_max, _escape, sep=" · "),
                inline=True,
            )
        if message.amount:
            embed.add_field(
                name="Amount",
                value=fit(clean(message.amount, single_line=True), value_max, _escape),
                inline=True,
            )
        if message.round:
            embed.add_field(
                name="Round",
                value=fit(clean(message.round, single_line=True), value_max, _escape),
                inline=True,
            )
        if message.also_reported_by:
            embed.add_field(
                name="Also reported by",
                value=join_fit(message.also_reported_by, value_max, _escape),
                inline=False,
            )
        events = ", ".join(fit(clean(e, single_line=True), 40) for e in message.events[:5])
        if events:
            embed.add_field(name="Event", value=_escape(events), inline=True)
        footer = fit(clean(message.source, single_line=True), 256) if message.source else ""
        if footer:
            # Footers do not render markdown, so only mentions are neutralised (cosmetic: embeds never ping).
            embed.set_footer(text=discord.utils.escape_mentions(footer))
        if image:
            embed.set_image(url=f"attachment://{image}")
        # The description gets whatever the 6000-character embed total leaves.
        room = min(cls.limits.text_max, cls.limits.total_max - len(embed))
        if message.events:
            description = cls._description(message, room)
        else:
            description = cls._summary_description(message, room)
        if description:
            embed.description = description
        return embed

    @staticmethod
    def _summary_description(message: AlertMessage, room: int) -> str:
        """A summary's lines, blank separators kept, cut on a character boundary to ``room``."""
        if room <= 0:
            return ""
        return _join_within(
            [fit(clean(message.summary, keep_blank_lines=True), room, _escape),
             *_evidence_quotes(message)],
            room,
        )

    @staticmethod
    def _description(message: AlertMessage, room: int) -> str:
        if room <= 0:
            return ""
        summary = clean(message.summary)
        return _join_within(
            [fit(summary, min(1500, room), _escape) if summary else "", *_evidence_quotes(message)],
            room,
        )

    @classmethod
    def _image(cls, message: AlertMessage, action: str) -> bytes | None:
        """The map to attach, or None (absent, empty, or over Discord's size limit: logged)."""
        png = message.image_png
        if not png:
            return None
        if len(png) > cls.ATTACHMENT_MAX_BYTES:
            log.warning(
                "%s: the %d-byte map exceeds Discord's upload limit; sending the text only",
                action,
                len(png),
            )
            return None
        return bytes(png)

    @staticmethod
    def _channel_id(channel: ChannelRef) -> int:
        try:
            value = int(channel.channel)
        except ValueError:
            raise DeliveryError(
                f"Discord channel id {channel.channel!r} is not a number", retryable=False
            ) from None
        if value <= 0:
            raise DeliveryError(
                f"Discord channel id {channel.channel!r} is invalid", retryable=False
            )
        return value

    async def post(
        self, channel: ChannelRef, message: AlertMessage, *, idempotency_key: str
    ) -> PostResult:
        channel_id = self._channel_id(channel)
        png = self._image(message, f"post to Discord channel {channel_id}")
        embed = (
            self.render_embed(message, image=MAP_FILENAME) if png else self.render_embed(message)
        )
        options: dict[str, Any] = {}
        if png:
            # A fresh File per call: discord.py rewinds it itself on its own retries.
            options["file"] = discord.File(io.BytesIO(png), filename=MAP_FILENAME)
        try:
            await self._ensure_login()
            target = self._client.get_partial_messageable(channel_id)
            sent = await target.send(
                embed=embed,
                nonce=nonce_for(idempotency_key),  # discord.py adds enforce_nonce=True
                allowed_mentions=discord.AllowedMentions.none(),
                **options,
            )
        except Exception as exc:  # every failure becomes a classified DeliveryError
            raise _classify(exc, f"post to Discord channel {channel_id}") from exc
        return PostResult(message_id=str(sent.id))

    async def update(
        self, channel: ChannelRef, message_id: str, message: AlertMessage
    ) -> PostResult:
        channel_id = self._channel_id(channel)
        try:
            mid = int(message_id)
        except ValueError:
            raise DeliveryError(
                f"Discord message id {message_id!r} is not a number", retryable=False
            ) from None
        png = self._image(message, f"edit Discord message {mid}")
        embed = (
            self.render_embed(message, image=MAP_FILENAME) if png else self.render_embed(message)
        )
        options: dict[str, Any] = {}
        if png:
            # ``attachments`` replaces the message's attachments with the new map.
            options["attachments"] = [discord.File(io.BytesIO(png), filename=MAP_FILENAME)]
        try:
            await self._ensure_login()
            partial = self._client.get_partial_messageable(channel_id).get_partial_message(mid)
            edited = await partial.edit(
                embed=embed, allowed_mentions=discord.AllowedMentions.none(), **options
            )
        except Exception as exc:
            raise _classify(exc, f"edit Discord message {mid}") from exc
        return PostResult(message_id=str(edited.id))

    # ------------------------------------------------------------------ commands

    def _build_tree(
        self, specs: Sequence[CommandSpec], handler: CommandHandler
    ) -> app_commands.CommandTree[discord.Client]:
        tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(self._client)
        # One top-level command keeps the bot to one entry in the slash menu.
        # Discord only allows default_member_permissions on top-level commands,
        # so admin_only is enforced per subcommand at run time (see _run_command).
        group = app_commands.Group(
            name=self._command_name,
            description="AI partnership and funding alerts",
            guild_only=True,
        )
        for spec in specs:
            group.add_command(self._subcommand(spec, handler, group))
        tree.add_command(group)
        tree.error(self._on_tree_error)
        return tree

    def _subcommand(
        self, spec: CommandSpec, handler: CommandHandler, parent: app_commands.Group
    ) -> app_commands.Command[Any, ..., None]:
        # discord.py derives options from the callback's signature, so build one:
        # Python names arg0.. renamed to the spec's names (which need not be identifiers).
        # Discord requires required options before optional ones; the spec's order
        # is kept for the command text.
        ordered = sorted(enumerate(spec.args), key=lambda pair: not pair[1].required)
        params = [
            inspect.Parameter(
                "interaction",
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                annotation=discord.Interaction,
            )
        ]
        renames: dict[str, str] = {}
        descriptions: dict[str, str] = {}
        completers: dict[str, Any] = {}
        for index, arg in ordered:
            py_name = f"arg{index}"
            params.append(
                inspect.Parameter(
                    py_name,
                    inspect.Parameter.KEYWORD_ONLY,
                    annotation=str if arg.required else (str | None),
                    default=inspect.Parameter.empty if arg.required else None,
                )
            )
            renames[py_name] = arg.name.lower()[:32]
            descriptions[py_name] = fit(clean(arg.help, single_line=True) or arg.name, 100)
            if arg.autocomplete and self._autocomplete_provider is not None:
                completers[py_name] = self._autocomplete(arg.autocomplete)

        adapter = self

        async def callback(interaction: discord.Interaction, **values: str | None) -> None:
            await adapter._run_command(interaction, spec, handler, values)

        callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        decorated: Any = callback
        if descriptions:
            decorated = app_commands.describe(**descriptions)(decorated)
            decorated = app_commands.rename(**renames)(decorated)
        if completers:
            decorated = app_commands.autocomplete(**completers)(decorated)
        return app_commands.Command(
            name=spec.name.lower()[:32],
            description=fit(clean(spec.help, single_line=True) or spec.name, 100),
            callback=decorated,
            parent=parent,
        )

    def _autocomplete(
        self, kind: str
    ) -> Callable[[discord.Interaction, str], Awaitable[list[app_commands.Choice[str]]]]:
        provider = self._autocomplete_provider
        assert provider is not None

        async def complete(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            try:
                names = await provider(kind, current)
            except Exception:  # autocomplete must answer within 3 s; an empty list beats an error
                log.exception("autocomplete provider failed for %s", kind)
                return []
            choices: list[app_commands.Choice[str]] = []
            for name in names:
                name = clean(name, single_line=True)
                if 1 <= len(name) <= 100:  # Discord's choice name/value limit
                    choices.append(app_commands.Choice(name=name, value=name))
                if len(choices) == 25:  # Discord's maximum
                    break
            return choices

        return complete

    def is_admin(self, interaction: discord.Interaction) -> bool:
        """Manage Server (or Administrator) in this channel, or one of the configured admin roles."""
        perms = interaction.permissions
        if perms.manage_guild or perms.administrator:
            return True
        # Member.roles filters through the guild cache, which a bot without
        # member intents does not have; the role ids themselves come with the interaction.
        role_ids = getattr(interaction.user, "_roles", ())
        return any(int(r) in self._admin_role_ids for r in role_ids)

    async def _run_command(
        self,
        interaction: discord.Interaction,
        spec: CommandSpec,
        handler: CommandHandler,
        values: dict[str, str | None],
    ) -> None:
        # Defer first: Discord voids the interaction if nothing answers within 3 s,
        # and the handler may query the database or a feed.
        try:
            await interaction.response.defer(ephemeral=spec.admin_only, thinking=True)
        except discord.HTTPException:
            log.warning(
                "could not defer /%s %s: interaction expired", self._command_name, spec.name
            )
            return
        options = {
            arg.name: values.get(f"arg{index}")
            for index, arg in enumerate(spec.args)
            if values.get(f"arg{index}") is not None
        }
        is_admin = self.is_admin(interaction)
        invocation = CommandInvocation(
            name=spec.name,
            text=" ".join(str(v) for v in options.values()),
            channel=ChannelRef(
                "discord",
                str(interaction.channel_id),
                str(interaction.guild_id) if interaction.guild_id else None,
            ),
            user_id=str(interaction.user.id),
            user_name=interaction.user.name,
            is_admin=is_admin,
            options=options,
        )
        reply: CommandReply
        if spec.admin_only and not is_admin:
            reply = (ADMIN_ONLY, True)
        else:
            try:
                reply = await handler(invocation)
            except CommandError as exc:  # written for the user
                reply = (str(exc), True)
            except Exception:
                log.exception("/%s %s failed", self._command_name, spec.name)
                reply = (POLITE_FAILURE, True)
        await self._send_reply(interaction, reply, deferred_ephemeral=spec.admin_only)

    async def _send_reply(
        self, interaction: discord.Interaction, reply: CommandReply, *, deferred_ephemeral: bool
    ) -> None:
        text, ephemeral = reply
        # Replies are plain text from the core and may quote feed titles: escape like feed text.
        content = fit(clean(text) or "Done.", self.CONTENT_MAX, _escape)
        none = discord.AllowedMentions.none()
        try:
            if ephemeral == deferred_ephemeral:
                # The first follow-up resolves the "thinking" message in place.
                await interaction.followup.send(content, ephemeral=ephemeral, allowed_mentions=none)
                return
            # Discord fixes the visibility of the thinking message at defer time and a
            # first follow-up inherits it, whatever its flags say (an error reply to a
            # public command would be shown to everyone).  So resolve the placeholder,
            # send the reply as a second follow-up, whose flags are honoured, and
            # remove the placeholder.
            await interaction.edit_original_response(content="Done.", allowed_mentions=none)
            await interaction.followup.send(content, ephemeral=ephemeral, allowed_mentions=none)
            await interaction.delete_original_response()
        except discord.HTTPException:
            log.warning("could not send the reply to /%s", self._command_name, exc_info=True)

    async def _on_tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Errors raised before our callback (option conversion, checks): answer politely."""
        log.warning("slash command error: %s", type(error).__name__)
        text = POLITE_FAILURE
        if isinstance(error, app_commands.CommandNotFound):
            # A stale registration (the bot was updated): say so instead of "went wrong".
            text = f"That command no longer exists. Try /{self._command_name} help."
        try:
            if interaction.response.is_done():
                await interaction.followup.send(
                    text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
                )
            else:
                await interaction.response.send_message(
                    text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
                )
        except discord.HTTPException:
            pass


def _classify(exc: BaseException, action: str) -> DeliveryError:
    """Map discord.py / network failures to retryable or permanent DeliveryErrors.

    Messages carry status and Discord error code, never a response body or the token.
    """
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, discord.RateLimited):
        return DeliveryError(
            f"could not {action}: rate limited for {exc.retry_after:.1f}s",
            retryable=True,
            retry_after_s=exc.retry_after,
        )
    if isinstance(exc, discord.LoginFailure):
        return DeliveryError(f"could not {action}: Discord rejected the bot token", retryable=False)
    if isinstance(exc, discord.HTTPException):
        status, code = exc.status, exc.code
        reason = _ERROR_CODES.get(code, f"HTTP {status}")
        detail = f"could not {action}: {reason} (HTTP {status}, code {code})"
        if status == 429:
            # Only reached for a 429 discord.py would not retry (no Via header: a
            # Cloudflare-level block); honour its Retry-After when present.
            retry_after = _header_float(exc.response, "Retry-After")
            return DeliveryError(detail, retryable=True, retry_after_s=retry_after or 60.0)
        if status >= 500 or status == 408:
            return DeliveryError(detail, retryable=True)
        return DeliveryError(detail, retryable=False)
    if isinstance(exc, (aiohttp.ClientError, asyncio.TimeoutError, OSError)):
        return DeliveryError(
            f"could not {action}: network error {type(exc).__name__}", retryable=True
        )
    if isinstance(exc, (ValueError, TypeError)):  # payload the library itself refused
        return DeliveryError(f"could not {action}: {type(exc).__name__}", retryable=False)
    return DeliveryError(f"could not {action}: {type(exc).__name__}", retryable=True)


def _header_float(response: Any, name: str) -> float | None:
    try:
        value = response.headers.get(name)
        return float(value) if value is not None else None
    except (AttributeError, TypeError, ValueError):
        return None


__all__ = ["AutocompleteProvider", "DiscordAdapter", "nonce_for"]


def _evidence_quotes(message: AlertMessage) -> list[str]:
    """The first three evidence spans as quote lines ("> ..."), escaped."""
    lines = (clean(evidence, single_line=True) for evidence in message.evidence[:3])
    return ["> " + fit(line, 500, _escape) for line in lines if line]


def _join_within(parts: list[str], room: int) -> str:
    """The non-empty ``parts``, one per line, up to the last one that still fits in ``room``."""
    text = ""
    for part in parts:
        if not part:
            continue
        candidate = f"{text}\n{part}" if text else part
        if len(candidate) > room:
            break
        text = candidate
    return text
