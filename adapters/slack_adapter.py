"""Slack adapter: alerts as Block Kit via ``chat.postMessage``, ``/alliance`` through slack-bolt.

Design notes (why, not what):

* Mention injection / link spoofing: Slack's only escaping rule is ``&``,
  ``<``, ``>`` -> entities.  Every feed string goes through it (header
  ``plain_text`` too, for uniformity), truncated *before* escaping on a
  character boundary and measured *after* escaping, so no entity is ever cut
  (``adapters.render.fit``).  ``link_names`` is never sent and links are only
  ever the story button's ``url`` field, which Slack does not parse as mrkdwn.
* Rate limits: slack_sdk does not retry 429s by default; the client gets an
  ``AsyncRateLimitErrorRetryHandler`` (which honours the integer
  ``Retry-After``) next to the default connection-error handler, because
  passing ``retry_handlers`` replaces the defaults.  5xx are *not* retried
  inside the SDK: Slack has no idempotency key for ``chat.postMessage``, so a
  blind retry after a 5xx can double-post; the outbox decides with backoff.
* Summaries and digests (``AlertMessage.events == ()``) render as a header plus
  as many <= 3000-character sections as the text needs, split on line
  boundaries.  Their ``image_png`` (the alliance map) is uploaded after the
  text post with ``files_upload_v2`` (``files.getUploadURLExternal``, an upload
  to the returned URL, ``files.completeUploadExternal``), as a reply in the
  post's thread by default.  **This needs the ``files:write`` bot scope**
  (besides ``chat:write``); without it the upload fails with ``missing_scope``.
  A failed upload is logged and never loses the text post: ``post`` still
  returns the post's ts, because retrying would post the text twice.
* Slash commands are acknowledged first (Slack's 3 s rule), then the handler
  runs and the reply goes to ``response_url`` via ``respond()``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection, Sequence
from datetime import UTC
from typing import Any, ClassVar

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

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
from adapters.render import (
    MAP_FILENAME,
    clean,
    event_style,
    fit,
    format_time,
    join_fit,
    safe_url,
    slack_escape,
    split_fit,
)
from bot.commandspec import CommandSpec
from bot.errors import AllianceError, CommandError

log = logging.getLogger(__name__)

# Errors that cannot succeed on retry: the outbox records them and stops.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "missing_scope",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "no_text",
        "restricted_action",
        "cant_update_message",
        "message_not_found",
        "edit_window_closed",
        "invalid_arguments",
    }
)
# Errors Slack itself documents as transient.
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)

POLITE_FAILURE = "Sorry, something went wrong while running that command. It has been logged."
ADMIN_ONLY = "Only workspace admins can use this command."
STORY_ACTION_ID = "alliance_open_story"


def _unescape(text: str) -> str:
    """Slash-command text arrives with Slack's three entities; the core gets plain text."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def split_args(spec: CommandSpec, text: str) -> dict[str, str]:
    """Map ``text`` onto the spec's arguments: one word (or "quoted words") each, ``rest`` swallows the tail."""
    options: dict[str, str] = {}
    remaining = text.strip()
    for arg in spec.args:
        if not remaining:
            break
        if arg.rest or arg is spec.args[-1]:
            value, remaining = remaining, ""
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
        elif remaining[0] in "\"'" and remaining.find(remaining[0], 1) > 0:
            end = remaining.find(remaining[0], 1)
            value, remaining = remaining[1:end], remaining[end + 1 :].lstrip()
        else:
            value, _, remaining = remaining.partition(" ")
            remaining = remaining.lstrip()
        if value:
            options[arg.name] = value
    return options


class SlackAdapter(ChatAdapter):
    platform: ClassVar[str] = "slack"
    # Block Kit limits (docs.slack.dev / slack_sdk.models.blocks validators):
    # header 150, section text 3000, section fields 10 x 2000.  total_max is the
    # top-level text cap above which Slack answers msg_too_long.  chat.postMessage
    # is ~1 msg/s per channel; the workspace-wide cap is undocumented, ~several
    # hundred per minute, hence a conservative 5/s.
    limits: ClassVar[PlatformLimits] = PlatformLimits(
        title_max=150,
        text_max=3000,
        field_value_max=2000,
        fields_max=10,
        total_max=40000,
        posts_per_second_per_channel=1.0,
        posts_per_second_global=5.0,
    )
    FALLBACK_TEXT_MAX: ClassVar[int] = 4000  # Slack's advice for the top-level text
    CONTEXT_TEXT_MAX: ClassVar[int] = 2000
    BUTTON_URL_MAX: ClassVar[int] = 3000
    REPLY_MAX: ClassVar[int] = 3000
    ADMIN_CACHE_S: ClassVar[float] = 300.0
    BLOCKS_MAX: ClassVar[int] = 50
    SUMMARY_EMOJI: ClassVar[str] = "📊"
    FILE_TITLE_MAX: ClassVar[int] = 250

    def __init__(
        self,
        token: str,
        *,
        signing_secret: str | None = None,
        app_token: str | None = None,
        api_base: str | None = None,
        admin_user_ids: Collection[str] = (),
        command_name: str = "/alliance",
        host: str = "0.0.0.0",
        port: int = 3000,
        path: str = "/slack/events",
        max_rate_limit_retries: int = 2,
        timeout_s: int = 30,
        image_in_thread: bool = True,
    ) -> None:
        """``token``: bot token (xoxb-); ``signing_secret``: required for HTTP mode;
        ``app_token`` (xapp-): Socket Mode instead of HTTP; ``api_base``: Web API base
        (trailing slash added); ``admin_user_ids``: users treated as admins besides
        workspace admins/owners; ``host``/``port``/``path``: the HTTP listener;
        ``image_in_thread``: upload a summary's map as a reply to its post (else to the channel).
        """
        if not token:
            raise ValueError("a Slack bot token is required")
        if not app_token and not signing_secret:
            raise ValueError(
                "HTTP mode needs the Slack signing secret (or give an app token for Socket Mode)"
            )
        api_base = api_base or "https://slack.com/api/"
        self._client = AsyncWebClient(
            token=token,
            # slack_sdk joins method names onto the base: it must end with "/".
            base_url=api_base if api_base.endswith("/") else api_base + "/",
            timeout=timeout_s,
            retry_handlers=[
                AsyncConnectionErrorRetryHandler(),
                AsyncRateLimitErrorRetryHandler(max_retry_count=max_rate_limit_retries),
            ],
        )
        self._signing_secret = signing_secret
        self._app_token = app_token
        self._admin_user_ids = frozenset(admin_user_ids)
        self._command_name = command_name if command_name.startswith("/") else "/" + command_name
        self._host, self._port, self._path = host, port, path
        self._image_in_thread = image_in_thread
        self._app: AsyncApp | None = None
        self._specs: dict[str, CommandSpec] = {}
        self._handler: CommandHandler | None = None
        self._admin_cache: dict[str, tuple[float, bool]] = {}
        self._runner: web.AppRunner | None = None
        self._bound_port: int | None = None
        self._socket_handler: Any = None
        self._closed = False

    # ------------------------------------------------------------------ lifecycle

    @property
    def client(self) -> AsyncWebClient:
        return self._client

    @property
    def port(self) -> int | None:
        """The port the HTTP listener is bound to (useful with ``port=0``)."""
        return self._bound_port

    def bolt_app(self) -> AsyncApp:
        """The slack-bolt app (built on first use; it verifies request signatures)."""
        if self._app is None:
            self._app = AsyncApp(
                client=self._client,
                signing_secret=self._signing_secret or "",
                # Socket Mode frames are authenticated by the app token, not signed.
                request_verification_enabled=self._app_token is None,
                process_before_response=False,  # the HTTP answer goes back at ack()
            )
            self._app.command(self._command_name)(self._on_command)
            # The story button is a plain link, but Slack still posts block_actions
            # for it; acknowledging avoids a warning icon next to the button.
            self._app.action(STORY_ACTION_ID)(self._ack_only)
        return self._app

    def register(self, commands: Sequence[Any], handler: CommandHandler | None) -> None:
        """Declare the subcommands and their handler (``start`` calls this)."""
        self._specs = {c.name.lower(): c for c in commands if isinstance(c, CommandSpec)}
        self._handler = handler
        self.bolt_app()

    def web_app(self) -> web.Application:
        """An aiohttp application serving bolt at ``path`` (tests serve it on port 0)."""
        bolt = self.bolt_app()

        async def events(request: web.Request) -> web.Response:
            bolt_request = await to_bolt_request(request)
            return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

        async def health(request: web.Request) -> web.Response:
            return web.Response(text="ok")

        app = web.Application()
        app.router.add_post(self._path, events)
        app.router.add_get("/healthz", health)
        return app

    async def start(
        self, commands: Sequence[Any] = (), handler: CommandHandler | None = None
    ) -> None:
        """Check the token, then serve slash commands (Socket Mode or HTTP) when given any."""
        self.register(commands, handler)
        try:
            await self._client.auth_test()
        except SlackApiError as exc:
            raise AllianceError(f"Slack rejected the bot token ({_error_code(exc)})") from exc
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise AllianceError(f"cannot reach Slack: {type(exc).__name__}") from exc
        if not self._specs or handler is None:
            return
        if self._app_token:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            self._socket_handler = AsyncSocketModeHandler(self.bolt_app(), self._app_token)
            await self._socket_handler.connect_async()
            return
        if self._runner is None:
            self._runner = web.AppRunner(self.web_app())
            await self._runner.setup()
            site = web.TCPSite(self._runner, self._host, self._port)
            await site.start()
            server = getattr(site, "_server", None)
            sockets = getattr(server, "sockets", None) or []
            self._bound_port = sockets[0].getsockname()[1] if sockets else self._port

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._socket_handler is not None:
            await self._socket_handler.close_async()
            self._socket_handler = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ------------------------------------------------------------------ alerts

    @classmethod
    def _header(cls, emoji: str, title: str) -> dict[str, Any]:
        """The header block: emoji and title, cut to Slack's header limit."""
        return {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": f"{emoji} " + fit(title, cls.limits.title_max - 2, slack_escape),
                "emoji": True,
            },
        }

    @classmethod
    def render_summary(cls, message: AlertMessage) -> tuple[str, list[dict[str, Any]]]:
        """A summary/digest: header, then its text in <= 3000-character sections split on lines."""
        title = clean(message.title, single_line=True) or "Summary"
        emoji = cls.SUMMARY_EMOJI
        blocks: list[dict[str, Any]] = [cls._header(emoji, title)]
        summary = clean(message.summary, keep_blank_lines=True)
        context = cls._context(message)
        # 50 blocks at most: header, sections, optional context.
        room = cls.BLOCKS_MAX - 1 - (1 if context else 0)
        for chunk in split_fit(summary, cls.limits.text_max, slack_escape, max_chunks=room):
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk}})
        if context:
            blocks.append({"type": "context", "elements": context})
        fallback = f"{emoji} " + fit(title, 1000, slack_escape)
        if summary:
            rest = cls.FALLBACK_TEXT_MAX - len(fallback) - 1
            first = fit(summary, rest, slack_escape)
            if first:
                fallback += "\n" + first
        return fit(fallback, cls.FALLBACK_TEXT_MAX), blocks

    @classmethod
    def _context(cls, message: AlertMessage) -> list[dict[str, Any]]:
        """Evidence quotes and the source line as context elements (at most 10)."""
        context: list[dict[str, Any]] = []
        for evidence in message.evidence[:3]:
            line = clean(evidence, single_line=True)
            if line:
                context.append(
                    {
                        "type": "mrkdwn",
                        "text": "“" + fit(line, cls.CONTEXT_TEXT_MAX - 2, slack_escape) + "”",
                    }
                )
        sources: list[str] = []
        if message.source:
            sources.append(
                "Source: " + fit(clean(message.source, single_line=True), 200, slack_escape)
            )
        if message.also_reported_by:
            sources.append(
                "Also reported by: " + join_fit(message.also_reported_by, 1500, slack_escape)
            )
        if message.published is not None:
            sources.append(_slack_date(message))
        if sources:
            # Each part is bounded above (200 + 1500 + date), so the join stays under
            # CONTEXT_TEXT_MAX without cutting an already-escaped string.
            context.append({"type": "mrkdwn", "text": " · ".join(sources)})
        return context[:10]

    @classmethod
    def render(cls, message: AlertMessage) -> tuple[str, list[dict[str, Any]]]:
        """(fallback text, blocks) with every feed string escaped and within Block Kit limits."""
        if not message.events:
            return cls.render_summary(message)
        _key, label, emoji = event_style(message.events)
        title = clean(message.title, single_line=True) or label
        blocks: list[dict[str, Any]] = [cls._header(emoji, title)]
        fields: list[dict[str, Any]] = []

        def add_field(name: str, value: str) -> None:
            head = f"*{name}*\n"
            fields.append({"type": "mrkdwn", "text": head + value})

        value_max = cls.limits.field_value_max - 20  # room for the "*Label*\n" heading
        if message.parties:
            add_field("Parties", join_fit(message.parties, value_max, slack_escape))
        if message.amount:
            add_field(
                "Amount", fit(clean(message.amount, single_line=True), value_max, slack_escape)
            )
        if message.round:
            add_field("Round", fit(clean(message.round, single_line=True), value_max, slack_escape))
        add_field("Event", slack_escape(label))
        summary = clean(message.summary)
        section: dict[str, Any] = {"type": "section", "fields": fields[: cls.limits.fields_max]}
        if summary:
            section["text"] = {
                "type": "mrkdwn",
                "text": fit(summary, cls.limits.text_max, slack_escape),
            }
        blocks.append(section)

        context = cls._context(message)
        if context:
            blocks.append({"type": "context", "elements": context})

        url = safe_url(message.url, max_len=cls.BUTTON_URL_MAX)
        if url:
            blocks.append(
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "text": {"type": "plain_text", "text": "Read the story", "emoji": True},
                            "url": url,
                            "action_id": STORY_ACTION_ID,
                        }
                    ],
                }
            )
        # Notifications and screen readers show only this text.
        fallback = f"{emoji} {label}: " + fit(title, 1000, slack_escape)
        if message.source:
            fallback += " (" + fit(clean(message.source, single_line=True), 200, slack_escape) + ")"
        return fit(fallback, cls.FALLBACK_TEXT_MAX), blocks

    async def post(
        self, channel: ChannelRef, message: AlertMessage, *, idempotency_key: str
    ) -> PostResult:
        # Slack has no idempotency key for chat.postMessage; a retried delivery
        # whose first attempt actually landed will post twice.  The key is still
        # logged so duplicates can be traced.
        text, blocks = self.render(message)
        try:
            response = await self._client.chat_postMessage(
                channel=channel.channel,
                text=text,
                blocks=blocks,
                unfurl_links=False,
                unfurl_media=False,
            )
        except Exception as exc:
            raise _classify(exc, f"post to Slack channel {channel.channel}") from exc
        ts = str(response["ts"])
        log.debug("posted %s to %s as %s", idempotency_key, channel, ts)
        if message.image_png:
            await self._upload_image(channel, message, ts)
        return PostResult(message_id=ts)

    async def _upload_image(self, channel: ChannelRef, message: AlertMessage, ts: str) -> bool:
        """Upload the map next to the post; failures are logged, never raised (the text is posted)."""
        assert message.image_png
        # The file title is plain text in Slack's UI; escaped like every feed string anyway.
        title = fit(
            clean(message.title, single_line=True) or "Alliance map",
            self.FILE_TITLE_MAX,
            slack_escape,
        )
        options: dict[str, Any] = {}
        if self._image_in_thread:
            options["thread_ts"] = ts
        try:
            await self._client.files_upload_v2(
                channel=channel.channel,
                file=bytes(message.image_png),
                filename=MAP_FILENAME,
                title=title,
                **options,
            )
        except Exception as exc:  # the text is already posted: log, do not lose it
            error = _classify(exc, f"upload the map to Slack channel {channel.channel}")
            log.warning(
                "%s (retryable=%s); the summary was posted without its image as %s",
                error,
                error.retryable,
                ts,
            )
            return False
        return True

    async def update(
        self, channel: ChannelRef, message_id: str, message: AlertMessage
    ) -> PostResult:
        text, blocks = self.render(message)
        try:
            response = await self._client.chat_update(
                channel=channel.channel, ts=message_id, text=text, blocks=blocks
            )
        except Exception as exc:
            raise _classify(exc, f"update Slack message {message_id}") from exc
        return PostResult(message_id=str(response.get("ts") or message_id))

    # ------------------------------------------------------------------ commands

    async def _ack_only(self, ack: Any) -> None:
        await ack()

    async def is_admin(self, user_id: str) -> bool:
        """Workspace admin/owner (users.info, cached) or a configured admin user id. Fails closed."""
        if user_id in self._admin_user_ids:
            return True
        cached = self._admin_cache.get(user_id)
        now = time.monotonic()
        if cached is not None and now - cached[0] < self.ADMIN_CACHE_S:
            return cached[1]
        try:
            response = await self._client.users_info(user=user_id)
        except (TimeoutError, SlackApiError, aiohttp.ClientError, OSError) as exc:
            # Unknown means "not admin": never escalate on an error.
            log.warning("users.info failed for %s: %s", user_id, type(exc).__name__)
            return False
        user = response.get("user") or {}
        admin = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
        self._admin_cache[user_id] = (now, admin)
        return admin

    async def _on_command(self, ack: Any, command: dict[str, Any], respond: Any) -> None:
        await ack()  # first: Slack gives up after 3 s
        reply = await self._run(command)
        text, ephemeral = reply
        try:
            await respond(
                text=fit(clean(text) or "Done.", self.REPLY_MAX, slack_escape),
                response_type="ephemeral" if ephemeral else "in_channel",
                replace_original=False,
            )
        except Exception:
            log.warning("could not send the reply to %s", self._command_name, exc_info=True)

    def _help(self) -> str:
        lines = [f"Usage: {self._command_name} <subcommand> [arguments]"]
        for spec in self._specs.values():
            args = " ".join(f"<{a.name}>" if a.required else f"[{a.name}]" for a in spec.args)
            lines.append(f"• {spec.name} {args}".rstrip() + f" — {spec.help}")
        return "\n".join(lines)

    async def _run(self, command: dict[str, Any]) -> CommandReply:
        raw = _unescape(str(command.get("text") or "")).strip()
        name, _, rest = raw.partition(" ")
        spec = self._specs.get(name.lower())
        if spec is None or self._handler is None:
            return (self._help(), True)
        user_id = str(command.get("user_id") or "")
        is_admin = await self.is_admin(user_id)
        if spec.admin_only and not is_admin:
            return (ADMIN_ONLY, True)
        invocation = CommandInvocation(
            name=spec.name,
            text=rest.strip(),
            channel=ChannelRef(
                "slack", str(command.get("channel_id") or ""), command.get("team_id") or None
            ),
            user_id=user_id,
            user_name=str(command.get("user_name") or ""),
            is_admin=is_admin,
            options=dict(split_args(spec, rest)),
        )
        try:
            return await self._handler(invocation)
        except CommandError as exc:  # written for the user
            return (str(exc), True)
        except Exception:
            log.exception("%s %s failed", self._command_name, spec.name)
            return (POLITE_FAILURE, True)


def _slack_date(message: AlertMessage) -> str:
    """``<!date^...>``: Slack renders it in each reader's time zone; the fallback is UTC."""
    assert message.published is not None
    fallback = format_time(message.published)
    published = message.published
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    return f"<!date^{int(published.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def _error_code(exc: SlackApiError) -> str:
    try:
        return str(exc.response.get("error") or "unknown_error")
    except AttributeError:
        return "unknown_error"


def _classify(exc: BaseException, action: str) -> DeliveryError:
    """Map slack_sdk / network failures to retryable or permanent DeliveryErrors (no bodies, no tokens)."""
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, SlackApiError):
        code = _error_code(exc)
        status = getattr(exc.response, "status_code", 200)
        detail = f"could not {action}: {code} (HTTP {status})"
        if status == 429 or code == "ratelimited":
            retry_after: float | None = None
            try:
                retry_after = float(
                    exc.response.headers.get("Retry-After", exc.response.headers.get("retry-after"))
                )
            except (AttributeError, TypeError, ValueError):
                retry_after = None
            return DeliveryError(
                detail,
                retryable=True,
                retry_after_s=retry_after if retry_after is not None else 1.0,
            )
        if code in PERMANENT_ERRORS:
            return DeliveryError(detail, retryable=False)
        if status >= 500 or code in TRANSIENT_ERRORS:
            return DeliveryError(detail, retryable=True)
        # Any other "ok": false is an API-level refusal that will repeat.
        return DeliveryError(detail, retryable=False)
    if isinstance(exc, (aiohttp.ClientError, asyncio.TimeoutError, OSError)):
        return DeliveryError(
            f"could not {action}: network error {type(exc).__name__}", retryable=True
        )
    return DeliveryError(f"could not {action}: {type(exc).__name__}", retryable=True)


__all__ = ["PERMANENT_ERRORS", "STORY_ACTION_ID", "SlackAdapter", "split_args"]
