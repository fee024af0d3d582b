"""A loopback Discord: REST v10 and the gateway websocket, strict enough to catch real mistakes.

What it checks (and records in ``violations`` instead of only failing the request):

* every message / command / interaction-callback / webhook payload against the
  JSON schema of that operation's request body in ``shared/platforms/discord/openapi.json``;
* documented limits the spec cannot express: content <= 2000, the 6000-character
  sum over embeds, an empty message, command name rules and the 8000-character
  combined command text;
* pings: mention syntax in content or embeds that ``allowed_mentions`` (or its
  absence, which means "parse everything" for channel messages) would let through.

It enforces Discord's rate limits (per-route buckets with ``X-RateLimit-*``
headers, a global per-second limit, 429s with ``Via`` and a JSON body) and
honours ``enforce_nonce``.  Faults can be programmed: the next N requests fail
with 500/429/global 429, an outage window, 403/404 for one channel.

Message creates and edits may also be ``multipart/form-data`` (how discord.py
sends files): the ``payload_json`` part is validated exactly like a JSON body,
``files[n]`` parts are recorded in ``attachments`` (filename, size, content
type, PNG magic) and the documented limits are enforced: at most 10
attachments (400 50035) and 25 MiB per request (413 40005).  Every
``attachments[].id`` in the payload must name an uploaded ``files[n]`` (or, on
an edit, an attachment the message already has), and every embed
``attachment://name`` must name an attachment of the message.

Invalid payloads are answered 400 in Discord's nested error format, because a
flat error list crashes discord.py's error flattening.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
from aiohttp import WSMsgType, web
from aiohttp import multipart as aiohttp_multipart

SPEC_PATH = (
    Path(__file__).resolve().parents[3] / "shared" / "platforms" / "discord" / "openapi.json"
)
EPHEMERAL = 1 << 6
LOADING = 1 << 7  # message flag of a deferred "is thinking..." response
MANAGE_GUILD = 1 << 5
ADMINISTRATOR = 1 << 3
SEND_MESSAGES = 1 << 11
NONCE_TTL_S = 300.0  # Discord keeps enforce_nonce state for "a few minutes"
MAX_ATTACHMENTS = 10  # docs / spec: attachments maxItems
MAX_REQUEST_BYTES = 25 * 1024 * 1024  # docs: Create Message -> Limitations
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_FILES_PART = re.compile(r"^files\[(\d+)\]$")

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")
_EVERYONE = re.compile(r"@(everyone|here)")
_COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")


def _spec_path() -> Path:
    # tests/fakes -> tests -> main -> /work ; shared/ lives beside the repo.
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "platforms" / "discord" / "openapi.json"
        if candidate.exists():
            return candidate
    return SPEC_PATH


@dataclass
class Violation:
    route: str
    problem: str
    payload: Any = field(repr=False, default=None)


@dataclass
class Fault:
    remaining: int
    status: int
    retry_after: float = 0.0
    is_global: bool = False
    via: bool = True
    match: Callable[[str, str], bool] | None = None  # (method, path) -> applies?


class _Bucket:
    """A fixed-window bucket, like the ones Discord describes with X-RateLimit-*."""

    def __init__(self, limit: int, window: float, name: str):
        self.limit, self.window, self.name = limit, window, name
        self.used = 0
        self.reset_at = 0.0

    def take(self, now: float) -> tuple[bool, float]:
        if now >= self.reset_at:
            self.used, self.reset_at = 0, now + self.window
        if self.used >= self.limit:
            return False, self.reset_at - now
        self.used += 1
        return True, self.reset_at - now


class DiscordStandIn:
    def __init__(
        self,
        *,
        token: str = "test-bot-token",
        application_id: int = 1100000000000000001,
        bot_user_id: int = 1100000000000000002,
        message_limit: tuple[int, float] = (5, 5.0),
        default_limit: tuple[int, float] = (50, 1.0),
        global_limit: int = 50,
        send_ratelimit_headers: bool = True,
        interaction_deadline_s: float = 3.0,
        response_delay_s: float = 0.0,
    ) -> None:
        self.token = token
        self.application_id = application_id
        self.bot_user_id = bot_user_id
        self.message_limit = message_limit
        self.default_limit = default_limit
        self.global_limit = global_limit
        self.send_ratelimit_headers = send_ratelimit_headers
        self.interaction_deadline_s = interaction_deadline_s
        # Seconds a created message waits before its response goes back: the message
        # already exists (it is in ``posts``), so a client killed in this window has
        # posted without learning the message id (crash-safety tests).
        self.response_delay_s = response_delay_s

        spec = json.loads(_spec_path().read_text(encoding="utf-8"))
        self._spec = spec
        self._validators: dict[tuple[str, str], jsonschema.protocols.Validator] = {}

        # What happened, for assertions.
        self.requests: list[tuple[str, str]] = []
        self.violations: list[Violation] = []
        self.pings: list[dict[str, Any]] = []
        self.posts: list[dict[str, Any]] = []  # created channel messages (payload + ids)
        self.nonce_hits: list[dict[str, Any]] = []  # sends answered from the nonce cache
        self.edits: list[dict[str, Any]] = []
        self.messages: dict[int, dict[str, Any]] = {}
        self.command_puts: list[dict[str, Any]] = []
        self.commands: dict[str, list[dict[str, Any]]] = {}  # "global" or guild id -> commands
        self.interactions: dict[str, dict[str, Any]] = {}  # interaction id -> state
        self.callbacks: list[dict[str, Any]] = []
        self.followups: list[dict[str, Any]] = []
        self.original_edits: list[dict[str, Any]] = []
        self.deleted_originals: list[str] = []
        self.rate_limited: list[dict[str, Any]] = []  # every 429 sent
        # Every file received in a multipart create/edit that was accepted:
        # {"channel_id", "message_id", "route", "filename", "size", "content_type", "is_png", "data"}.
        self.attachments: list[dict[str, Any]] = []
        self.identifies: list[dict[str, Any]] = []

        # Faults.
        self._faults: list[Fault] = []
        self._outage_until = 0.0
        self._channel_errors: dict[int, int] = {}

        self._buckets: dict[str, _Bucket] = {}
        self._global_times: list[float] = []
        self._nonces: dict[tuple[int, str], tuple[float, int]] = {}
        self._ids = itertools.count(1200000000000000000)
        self._sockets: list[web.WebSocketResponse] = []
        self._seq = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------------ server

    async def start(self) -> None:
        # Bodies over Discord's limit must reach the handler so it can answer like Discord.
        app = web.Application(middlewares=[self._middleware], client_max_size=MAX_REQUEST_BYTES * 2)
        r = app.router
        r.add_get("/gateway", self._gateway_ws)
        r.add_get("/api/v10/gateway", self._get_gateway)
        r.add_get("/api/v10/gateway/bot", self._get_gateway_bot)
        r.add_get("/api/v10/users/@me", self._get_me)
        r.add_get("/api/v10/oauth2/applications/@me", self._get_app)
        r.add_post("/api/v10/channels/{channel_id}/messages", self._create_message)
        r.add_patch("/api/v10/channels/{channel_id}/messages/{message_id}", self._edit_message)
        r.add_put("/api/v10/applications/{app_id}/commands", self._put_commands)
        r.add_put("/api/v10/applications/{app_id}/guilds/{guild_id}/commands", self._put_commands)
        r.add_post("/api/v10/interactions/{interaction_id}/{token}/callback", self._callback)
        r.add_post("/api/v10/webhooks/{app_id}/{token}", self._followup)
        r.add_patch(
            "/api/v10/webhooks/{app_id}/{token}/messages/{message_id}", self._edit_webhook_message
        )
        r.add_delete(
            "/api/v10/webhooks/{app_id}/{token}/messages/{message_id}", self._delete_webhook_message
        )
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # ------------------------------------------------------------------ faults

    def fail_next(
        self,
        count: int = 1,
        status: int = 500,
        *,
        retry_after: float = 0.0,
        is_global: bool = False,
        via: bool = True,
        method: str | None = None,
        path_contains: str | None = None,
    ) -> None:
        """The next ``count`` matching requests get ``status`` (429s shaped like Discord's)."""

        def match(m: str, p: str) -> bool:
            return (method is None or m == method) and (path_contains is None or path_contains in p)

        self._faults.append(Fault(count, status, retry_after, is_global, via, match))

    def outage(self, seconds: float) -> None:
        """Every API request gets 503 for ``seconds`` (discord.py does not retry a 503)."""
        self._outage_until = time.monotonic() + seconds

    def set_channel_error(self, channel_id: int, status: int | None) -> None:
        """403 Missing Permissions / 404 Unknown Channel for one channel (None clears)."""
        if status is None:
            self._channel_errors.pop(channel_id, None)
        else:
            self._channel_errors[channel_id] = status

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
        # Exactly "application/json": discord.py compares the header verbatim.
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        return web.Response(status=status, body=json.dumps(data).encode(), headers=all_headers)

    def _error(self, status: int, code: int, message: str, errors: Any = None) -> web.Response:
        body: dict[str, Any] = {"message": message, "code": code}
        if errors is not None:
            body["errors"] = errors
        return self._json(body, status)

    def _snowflake(self) -> int:
        return next(self._ids)

    def _user(self) -> dict[str, Any]:
        return {
            "id": str(self.bot_user_id),
            "username": "alliance-bot",
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
            "bot": True,
            "flags": 0,
        }

    def _validator(self, path: str, method: str) -> jsonschema.protocols.Validator:
        key = (path, method)
        if key not in self._validators:
            body = self._spec["paths"][path][method]["requestBody"]["content"]["application/json"][
                "schema"
            ]
            schema = {**body, "components": self._spec["components"]}
            cls = jsonschema.validators.validator_for(
                schema, default=jsonschema.Draft202012Validator
            )
            self._validators[key] = cls(schema)
        return self._validators[key]

    def _validate(self, spec_path: str, method: str, payload: Any, route: str) -> dict[str, Any]:
        """Schema errors as Discord's nested ``errors`` object (empty when valid)."""
        nested: dict[str, Any] = {}
        for error in self._validator(spec_path, method).iter_errors(payload):
            self.violations.append(
                Violation(
                    route,
                    f"schema: {'/'.join(map(str, error.absolute_path))}: {error.message[:200]}",
                    payload,
                )
            )
            _nest(nested, list(error.absolute_path), "BASE_TYPE_INVALID", error.message[:200])
        return nested

    def _check_message_limits(self, payload: Any, route: str, nested: dict[str, Any]) -> None:
        if not isinstance(payload, dict):
            return
        content = payload.get("content")
        if isinstance(content, str) and len(content) > 2000:
            self.violations.append(
                Violation(route, f"content is {len(content)} > 2000 characters", payload)
            )
            _nest(nested, ["content"], "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
        embeds = payload.get("embeds") or []
        total = sum(_embed_length(e) for e in embeds if isinstance(e, dict))
        if total > 6000:
            self.violations.append(
                Violation(route, f"embeds total {total} > 6000 characters", payload)
            )
            _nest(
                nested,
                ["embeds"],
                "MAX_EMBED_SIZE_EXCEEDED",
                "Embed size exceeds maximum size of 6000",
            )

    def _count_pings(self, payload: Any, route: str, default_parse: tuple[str, ...]) -> None:
        if not isinstance(payload, dict):
            return
        texts = [payload.get("content") or ""]
        for embed in payload.get("embeds") or []:
            if isinstance(embed, dict):
                texts.extend(_embed_texts(embed))
        text = "\n".join(t for t in texts if isinstance(t, str))
        allowed = payload.get("allowed_mentions")
        if allowed is None:
            parse, users, roles = set(default_parse), set(), set()
        else:
            parse = set(allowed.get("parse") or [])
            users = {str(u) for u in allowed.get("users") or []}
            roles = {str(r) for r in allowed.get("roles") or []}
        found: list[str] = []
        if "everyone" in parse:
            found += [f"@{m}" for m in _EVERYONE.findall(text)]
        found += [f"<@{u}>" for u in _USER_MENTION.findall(text) if "users" in parse or u in users]
        found += [f"<@&{r}>" for r in _ROLE_MENTION.findall(text) if "roles" in parse or r in roles]
        if found:
            self.pings.append({"route": route, "mentions": found, "payload": payload})

    def _message_json(
        self, mid: int, channel_id: int, payload: dict[str, Any], **extra: Any
    ) -> dict[str, Any]:
        return {
            "id": str(mid),
            "channel_id": str(channel_id),
            "type": 0,
            "content": payload.get("content") or "",
            "author": self._user(),
            "attachments": [],
            "embeds": _resolve_attachment_urls(payload.get("embeds") or [], {}),
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": bool(payload.get("tts")),
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "flags": int(payload.get("flags") or 0),
            "components": [],
            "nonce": payload.get("nonce"),
            **extra,
        }

    # ------------------------------------------------------------------ middleware

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        path = request.path
        if path == "/gateway":
            return await handler(request)
        self.requests.append((request.method, path))
        is_interaction = "/interactions/" in path or "/webhooks/" in path
        if not is_interaction and request.headers.get("Authorization") != f"Bot {self.token}":
            return self._error(401, 0, "401: Unauthorized")
        now = time.monotonic()
        if now < self._outage_until:
            return self._error(503, 0, "upstream connect error")
        for fault in self._faults:
            if fault.remaining > 0 and (fault.match is None or fault.match(request.method, path)):
                fault.remaining -= 1
                if fault.status == 429:
                    return self._too_many(fault.retry_after, fault.is_global, "user", via=fault.via)
                return self._error(fault.status, 0, f"{fault.status}: injected failure")
        # Global limit (interaction endpoints are exempt, as on Discord).
        if not is_interaction:
            self._global_times = [t for t in self._global_times if now - t < 1.0]
            if len(self._global_times) >= self.global_limit:
                return self._too_many(1.0 - (now - self._global_times[0]), True, "global")
            self._global_times.append(now)
        route_key, limit = self._route_bucket(request)
        bucket = self._buckets.get(route_key)
        if bucket is None:
            bucket = self._buckets[route_key] = _Bucket(
                *limit, name=f"{abs(hash(route_key.split(':')[0])):x}"
            )
        ok, reset_after = bucket.take(now)
        if not ok:
            return self._too_many(reset_after, False, "user", bucket=bucket)
        response = await handler(request)
        if self.send_ratelimit_headers:
            response.headers.update(_ratelimit_headers(bucket, reset_after))
        return response

    def _route_bucket(self, request: web.Request) -> tuple[str, tuple[int, float]]:
        info = request.match_info
        template = (
            request.match_info.route.resource.canonical
            if request.match_info.route.resource
            else request.path
        )
        major = info.get("channel_id") or info.get("guild_id") or info.get("token") or ""
        limit = (
            self.message_limit
            if "/channels/" in template and "/messages" in template
            else self.default_limit
        )
        return f"{request.method} {template}:{major}", limit

    def _too_many(
        self,
        retry_after: float,
        is_global: bool,
        scope: str,
        *,
        bucket: _Bucket | None = None,
        via: bool = True,
    ) -> web.Response:
        retry_after = max(round(retry_after, 3), 0.0)
        headers = {"Retry-After": str(max(int(retry_after + 0.999), 0)), "X-RateLimit-Scope": scope}
        if via:
            headers["Via"] = "1.1 google"
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        if bucket is not None:
            headers.update(_ratelimit_headers(bucket, retry_after))
            headers["X-RateLimit-Remaining"] = "0"
        self.rate_limited.append(
            {
                "retry_after": retry_after,
                "global": is_global,
                "scope": scope,
                "at": time.monotonic(),
            }
        )
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": is_global,
        }
        return self._json(body, 429, headers)

    # ------------------------------------------------------------------ REST handlers

    async def _get_me(self, request: web.Request) -> web.Response:
        return self._json(self._user())

    async def _get_app(self, request: web.Request) -> web.Response:
        return self._json(
            {
                "id": str(self.application_id),
                "name": "alliance-bot",
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": self._user(),
                "verify_key": "0" * 64,
                "flags": 0,
                "team": None,
                "summary": "",
            }
        )

    async def _get_gateway(self, request: web.Request) -> web.Response:
        return self._json({"url": self.gateway_url})

    async def _get_gateway_bot(self, request: web.Request) -> web.Response:
        return self._json(
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    async def _body(self, request: web.Request, route: str) -> Any:
        if request.content_type != "application/json":
            self.violations.append(
                Violation(route, f"unexpected content type {request.content_type}")
            )
            return None
        return await request.json()

    async def _multipart(
        self, request: web.Request, route: str
    ) -> tuple[Any, list[dict[str, Any]], web.Response | None]:
        """(payload_json, files, error response) of a multipart/form-data message request."""
        payload: Any = None
        files: list[dict[str, Any]] = []
        total = 0
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, aiohttp_multipart.BodyPartReader):
                self.violations.append(Violation(route, "nested multipart is not supported"))
                return None, [], self._error(400, 50035, "Invalid Form Body")
            data = await part.read(decode=True)
            total += len(data)
            if total > MAX_REQUEST_BYTES:
                self.violations.append(
                    Violation(route, f"request body over {MAX_REQUEST_BYTES} bytes")
                )
                return None, [], self._error(413, 40005, "Request entity too large")
            name = part.name or ""
            if name == "payload_json":
                if payload is not None:
                    self.violations.append(Violation(route, "payload_json sent twice"))
                try:
                    payload = json.loads(data.decode("utf-8"))
                except (UnicodeDecodeError, ValueError):
                    self.violations.append(Violation(route, "payload_json is not JSON"))
                    return (
                        None,
                        [],
                        self._error(400, 50109, "The request body contains invalid JSON."),
                    )
                continue
            match = _FILES_PART.match(name)
            if match is None:
                self.violations.append(Violation(route, f"unexpected multipart field {name!r}"))
                continue
            filename = part.filename or ""
            files.append(
                {
                    "index": int(match.group(1)),
                    "field": name,
                    "filename": filename,
                    "size": len(data),
                    "content_type": part.headers.get("Content-Type", ""),
                    "is_png": data[:8] == PNG_MAGIC,
                    "data": data,
                }
            )
        if payload is None:
            self.violations.append(Violation(route, "multipart request without payload_json"))
            payload = {}
        return payload, files, None

    async def _message_body(
        self, request: web.Request, route: str
    ) -> tuple[Any, list[dict[str, Any]], web.Response | None]:
        """A message create/edit body: JSON, or multipart ``payload_json`` + ``files[n]``."""
        if request.content_type == "multipart/form-data":
            return await self._multipart(request, route)
        return await self._body(request, route), [], None

    def _check_attachments(
        self,
        payload: Any,
        files: list[dict[str, Any]],
        route: str,
        nested: dict[str, Any],
        existing: list[dict[str, Any]] | None = None,
    ) -> None:
        """Limits and references of uploaded files (after schema validation)."""
        if not isinstance(payload, dict):
            return
        if len(files) > MAX_ATTACHMENTS:
            self.violations.append(
                Violation(route, f"{len(files)} files > {MAX_ATTACHMENTS} attachments", payload)
            )
            _nest(nested, ["files"], "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
        indexes = [f["index"] for f in files]
        if len(set(indexes)) != len(indexes):
            self.violations.append(Violation(route, "the same files[n] field sent twice", payload))
            _nest(nested, ["files"], "DUPLICATE", "Duplicate file index.")
        for upload in files:
            if not upload["filename"]:
                self.violations.append(Violation(route, f"{upload['field']} has no filename"))
                _nest(nested, [upload["field"]], "BASE_TYPE_REQUIRED", "A filename is required.")
            if upload["filename"].lower().endswith(".png") and not upload["is_png"]:
                self.violations.append(
                    Violation(route, f"{upload['filename']} is named .png but is not a PNG")
                )
        known_existing = {str(a["id"]): a for a in existing or []}
        uploaded = {str(f["index"]): f for f in files}
        listed = payload.get("attachments")
        names = {f["filename"] for f in files}
        if isinstance(listed, list):
            names = set()
            for position, item in enumerate(listed):
                if not isinstance(item, dict):
                    continue
                ident = str(item.get("id"))
                if ident in uploaded:
                    names.add(str(item.get("filename") or uploaded[ident]["filename"]))
                elif ident in known_existing:
                    names.add(str(known_existing[ident]["filename"]))
                else:
                    self.violations.append(
                        Violation(route, f"attachments[{position}] names unknown file {ident}")
                    )
                    _nest(
                        nested,
                        ["attachments", position, "id"],
                        "ATTACHMENT_NOT_FOUND",
                        "Unknown attachment.",
                    )
        elif existing:
            names |= {str(a["filename"]) for a in existing}
        for position, embed in enumerate(payload.get("embeds") or []):
            if not isinstance(embed, dict):
                continue
            for key in ("image", "thumbnail"):
                url = (embed.get(key) or {}).get("url") or ""
                if isinstance(url, str) and url.startswith("attachment://"):
                    if url[len("attachment://") :] not in names:
                        self.violations.append(
                            Violation(
                                route,
                                f"embeds[{position}].{key} references {url}, not attached",
                                payload,
                            )
                        )

    def _store_attachments(
        self,
        channel_id: int,
        mid: int,
        route: str,
        payload: dict[str, Any],
        files: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """Attachment objects as Discord returns them, and a record of each in ``attachments``."""
        listed = {
            str(a.get("id")): a for a in payload.get("attachments") or [] if isinstance(a, dict)
        }
        stored: list[dict[str, Any]] = []
        for upload in files:
            aid = str(self._snowflake())
            filename = str(
                listed.get(str(upload["index"]), {}).get("filename") or upload["filename"]
            )
            url = f"https://cdn.discordapp.invalid/attachments/{channel_id}/{aid}/{filename}"
            stored.append(
                {
                    "id": aid,
                    "filename": filename,
                    "size": upload["size"],
                    "url": url,
                    "proxy_url": url,
                    "content_type": "image/png" if upload["is_png"] else upload["content_type"],
                }
            )
            self.attachments.append(
                {
                    "channel_id": channel_id,
                    "message_id": mid,
                    "route": route,
                    "filename": filename,
                    "size": upload["size"],
                    "content_type": upload["content_type"],
                    "is_png": upload["is_png"],
                    "data": upload["data"],
                }
            )
        return stored

    async def _create_message(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel_id"])
        route = f"POST /channels/{channel_id}/messages"
        if channel_id in self._channel_errors:
            return self._channel_error(channel_id)
        payload, files, failure = await self._message_body(request, route)
        if failure is not None:
            return failure
        nested = self._validate(
            "/channels/{channel_id}/messages", "post", _schema_view(payload), route
        )
        self._check_message_limits(payload, route, nested)
        self._check_attachments(payload, files, route, nested)
        if isinstance(payload, dict) and not (
            payload.get("content") or payload.get("embeds") or payload.get("sticker_ids") or files
        ):
            self.violations.append(Violation(route, "empty message", payload))
            return self._error(400, 50006, "Cannot send an empty message")
        if nested:
            return self._error(400, 50035, "Invalid Form Body", nested)
        self._count_pings(payload, route, ("users", "roles", "everyone"))
        nonce = payload.get("nonce")
        now = time.monotonic()
        if nonce is not None and payload.get("enforce_nonce"):
            hit = self._nonces.get((channel_id, str(nonce)))
            if hit is not None and now - hit[0] < NONCE_TTL_S:
                self.nonce_hits.append(
                    {"channel_id": channel_id, "nonce": str(nonce), "message_id": hit[1]}
                )
                return self._json(self.messages[hit[1]])
        mid = self._snowflake()
        message = self._message_json(mid, channel_id, payload)
        message["attachments"] = self._store_attachments(channel_id, mid, route, payload, files)
        message["embeds"] = _resolve_attachment_urls(
            payload.get("embeds") or [], {a["filename"]: a["url"] for a in message["attachments"]}
        )
        self.messages[mid] = message
        if nonce is not None:
            self._nonces[(channel_id, str(nonce))] = (now, mid)
        self.posts.append(
            {
                "channel_id": channel_id,
                "message_id": mid,
                "nonce": nonce,
                "payload": payload,
                "files": [{k: v for k, v in f.items() if k != "data"} for f in files],
            }
        )
        if self.response_delay_s > 0:
            await asyncio.sleep(self.response_delay_s)
        return self._json(message)

    async def _edit_message(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel_id"])
        mid = int(request.match_info["message_id"])
        route = f"PATCH /channels/{channel_id}/messages/{mid}"
        if channel_id in self._channel_errors:
            return self._channel_error(channel_id)
        payload, files, failure = await self._message_body(request, route)
        if failure is not None:
            return failure
        nested = self._validate(
            "/channels/{channel_id}/messages/{message_id}", "patch", _schema_view(payload), route
        )
        self._check_message_limits(payload, route, nested)
        existing = self.messages.get(mid)
        if existing is not None and existing["channel_id"] == str(channel_id):
            self._check_attachments(payload, files, route, nested, existing["attachments"])
        if nested:
            return self._error(400, 50035, "Invalid Form Body", nested)
        if existing is None or existing["channel_id"] != str(channel_id):
            return self._error(404, 10008, "Unknown Message")
        self._count_pings(payload, route, ("users", "roles", "everyone"))
        for key in ("content", "embeds", "flags"):
            if key in payload:
                existing[key] = (
                    payload[key] if payload[key] is not None else ([] if key == "embeds" else "")
                )
        if "attachments" in payload or files:
            # An edit's attachment list replaces the message's: kept old ones plus new uploads.
            keep = {
                str(a.get("id")) for a in payload.get("attachments") or [] if isinstance(a, dict)
            }
            kept = [a for a in existing["attachments"] if str(a["id"]) in keep]
            existing["attachments"] = kept + self._store_attachments(
                channel_id, mid, route, payload, files
            )
        existing["embeds"] = _resolve_attachment_urls(
            existing["embeds"], {a["filename"]: a["url"] for a in existing["attachments"]}
        )
        existing["edited_timestamp"] = datetime.now(UTC).isoformat()
        self.edits.append(
            {
                "channel_id": channel_id,
                "message_id": mid,
                "payload": payload,
                "files": [{k: v for k, v in f.items() if k != "data"} for f in files],
            }
        )
        return self._json(existing)

    def _channel_error(self, channel_id: int) -> web.Response:
        status = self._channel_errors[channel_id]
        if status == 403:
            return self._error(403, 50013, "Missing Permissions")
        if status == 404:
            return self._error(404, 10003, "Unknown Channel")
        return self._error(status, 0, "injected channel error")

    async def _put_commands(self, request: web.Request) -> web.Response:
        guild_id = request.match_info.get("guild_id")
        spec_path = (
            "/applications/{application_id}/guilds/{guild_id}/commands"
            if guild_id
            else "/applications/{application_id}/commands"
        )
        route = f"PUT {spec_path}"
        if request.match_info["app_id"] != str(self.application_id):
            return self._error(403, 50001, "Missing Access")
        payload = await self._body(request, route)
        nested = self._validate(spec_path, "put", payload, route)
        for index, command in enumerate(payload or []):
            for problem in _command_problems(command):
                self.violations.append(Violation(route, f"command {index}: {problem}", command))
                _nest(nested, [index], "APPLICATION_COMMAND_INVALID", problem)
        if nested:
            return self._error(400, 50035, "Invalid Form Body", nested)
        scope = guild_id or "global"
        stored = []
        for command in payload or []:
            item = {
                "id": str(self._snowflake()),
                "application_id": str(self.application_id),
                "version": str(self._snowflake()),
                "type": command.get("type", 1),
                "name": command["name"],
                "description": command.get("description") or "",
                "options": command.get("options") or [],
                "default_member_permissions": command.get("default_member_permissions"),
                "dm_permission": command.get("dm_permission", True),
                "contexts": command.get("contexts"),
                "integration_types": command.get("integration_types") or [0],
                "nsfw": bool(command.get("nsfw")),
            }
            if guild_id:
                item["guild_id"] = guild_id
            stored.append(item)
        self.commands[scope] = stored
        self.command_puts.append({"scope": scope, "payload": payload, "at": time.monotonic()})
        return self._json(stored)

    async def _callback(self, request: web.Request) -> web.Response:
        iid = request.match_info["interaction_id"]
        token = request.match_info["token"]
        route = "POST /interactions/{id}/{token}/callback"
        state = self.interactions.get(iid)
        if state is None or state["token"] != token:
            return self._error(404, 10062, "Unknown interaction")
        payload = await self._body(request, route)
        latency = time.monotonic() - state["dispatched_at"]
        if latency > self.interaction_deadline_s:
            self.violations.append(
                Violation(route, f"interaction answered after {latency:.2f}s", payload)
            )
            return self._error(404, 10062, "Unknown interaction")
        if state["responded"]:
            self.violations.append(Violation(route, "interaction acknowledged twice", payload))
            return self._error(400, 40060, "Interaction has already been acknowledged.")
        nested = self._validate(
            "/interactions/{interaction_id}/{interaction_token}/callback", "post", payload, route
        )
        data = (payload or {}).get("data") or {}
        self._check_message_limits(data, route, nested)
        if nested:
            return self._error(400, 50035, "Invalid Form Body", nested)
        self._count_pings(data, route, ("users",))
        state["responded"] = True
        ctype = payload["type"]
        flags = int(data.get("flags") or 0)
        record = {
            "interaction_id": iid,
            "type": ctype,
            "data": data,
            "ephemeral": bool(flags & EPHEMERAL),
            "latency_s": latency,
            "with_response": request.query.get("with_response"),
        }
        self.callbacks.append(record)
        interaction: dict[str, Any] = {"id": iid, "type": state["type"]}
        response: dict[str, Any] = {"interaction": interaction}
        if ctype in (4, 5):
            mid = self._snowflake()
            message = self._message_json(
                mid,
                int(state["channel_id"]),
                data,
                webhook_id=str(self.application_id),
                application_id=str(self.application_id),
            )
            message["flags"] = flags | (LOADING if ctype == 5 else 0)
            state["original"] = message
            state["ephemeral"] = bool(flags & EPHEMERAL)
            interaction.update(
                response_message_id=str(mid),
                response_message_loading=ctype == 5,
                response_message_ephemeral=bool(flags & EPHEMERAL),
            )
            response["resource"] = {"type": ctype, "message": message}
        return self._json(response)

    def _state_for_token(self, token: str) -> dict[str, Any] | None:
        for state in self.interactions.values():
            if state["token"] == token:
                return state
        return None

    async def _followup(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        route = "POST /webhooks/{app}/{token}"
        state = self._state_for_token(token)
        if request.match_info["app_id"] != str(self.application_id) or state is None:
            return self._error(404, 10015, "Unknown Webhook")
        if not state["responded"]:
            self.violations.append(
                Violation(route, "follow-up before the interaction was acknowledged")
            )
            return self._error(404, 10015, "Unknown Webhook")
        payload = await self._body(request, route)
        nested = self._validate("/webhooks/{webhook_id}/{webhook_token}", "post", payload, route)
        self._check_message_limits(payload, route, nested)
        if nested:
            return self._error(400, 50035, "Invalid Form Body", nested)
        self._count_pings(payload, route, ("users",))
        flags = int(payload.get("flags") or 0)
        original = state.get("original")
        # Discord (for backwards compatibility): a follow-up sent while the deferred
        # "thinking" message is still loading *resolves* that message, and keeps the
        # defer's visibility whatever flags the follow-up asks for.
        resolves = original is not None and bool(int(original["flags"]) & LOADING)
        if original is not None and resolves:
            original.update({k: v for k, v in payload.items() if k in ("content", "embeds")})
            original["flags"] = int(original["flags"]) & ~LOADING
            message = original
            ephemeral = bool(state["ephemeral"])
        else:
            message = self._message_json(
                self._snowflake(),
                int(state["channel_id"]),
                payload,
                webhook_id=str(self.application_id),
                application_id=str(self.application_id),
            )
            ephemeral = bool(flags & EPHEMERAL)
            state["extra"].append(
                {"id": message["id"], "content": payload.get("content"), "ephemeral": ephemeral}
            )
        self.followups.append(
            {
                "interaction_id": state["id"],
                "payload": payload,
                "ephemeral": ephemeral,  # as Discord shows it
                "requested_ephemeral": bool(flags & EPHEMERAL),
                "resolved_loading": resolves,
                "content": payload.get("content"),
                "latency_s": time.monotonic() - state["dispatched_at"],
            }
        )
        if request.query.get("wait") in ("1", "true", "True"):
            return self._json(message)
        return web.Response(status=204)

    async def _edit_webhook_message(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        route = "PATCH /webhooks/{app}/{token}/messages/{id}"
        state = self._state_for_token(token)
        if state is None or state.get("original") is None:
            return self._error(404, 10008, "Unknown Message")
        payload = await self._body(request, route)
        nested = self._validate(
            "/webhooks/{webhook_id}/{webhook_token}/messages/@original", "patch", payload, route
        )
        self._check_message_limits(payload, route, nested)
        if nested:
            return self._error(400, 50035, "Invalid Form Body", nested)
        self._count_pings(payload, route, ("users",))
        original = state["original"]
        original.update({k: v for k, v in payload.items() if k in ("content", "embeds")})
        original["flags"] = int(original["flags"]) & ~LOADING
        self.original_edits.append({"interaction_id": state["id"], "payload": payload})
        return self._json(original)

    async def _delete_webhook_message(self, request: web.Request) -> web.Response:
        state = self._state_for_token(request.match_info["token"])
        if state is None:
            return self._error(404, 10008, "Unknown Message")
        state["original"] = None
        self.deleted_originals.append(state["id"])
        return web.Response(status=204)

    def visible_replies(self, interaction_id: str) -> list[tuple[str, bool]]:
        """(content, ephemeral) of every reply message a user would see for one interaction."""
        state = self.interactions[interaction_id]
        replies: list[tuple[str, bool]] = []
        original = state.get("original")
        if original is not None:
            replies.append((original.get("content") or "", bool(state["ephemeral"])))
        replies += [(m["content"] or "", m["ephemeral"]) for m in state["extra"]]
        return replies

    # ------------------------------------------------------------------ gateway

    async def _gateway_ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        # Plain JSON text frames: discord.py only decompresses binary frames.
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            op = frame.get("op")
            if op == 1:
                await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
            elif op == 2:
                data = frame["d"]
                self.identifies.append(
                    {
                        "at": time.monotonic(),
                        "shard": data.get("shard"),
                        "intents": data.get("intents"),
                    }
                )
                if data.get("token") not in (self.token, f"Bot {self.token}"):
                    await ws.close(code=4004, message=b"Authentication failed.")
                    break
                self._sockets.append(ws)
                shard = data.get("shard") or [0, 1]
                ready = {
                    "v": 10,
                    "user": self._user(),
                    "guilds": [],
                    "session_id": f"session-{self._snowflake()}",
                    "resume_gateway_url": self.gateway_url,
                    "application": {"id": str(self.application_id), "flags": 0},
                    "shard": shard,
                    "private_channels": [],
                    "relationships": [],
                    "user_settings": {},
                }
                await ws.send_json({"op": 0, "t": "READY", "s": next(self._seq), "d": ready})
            elif op == 6:
                self._sockets.append(ws)
                await ws.send_json({"op": 0, "t": "RESUMED", "s": next(self._seq), "d": {}})
        if ws in self._sockets:
            self._sockets.remove(ws)
        return ws

    @property
    def connected(self) -> int:
        return len(self._sockets)

    def interaction_payload(
        self,
        subcommand: str,
        options: dict[str, str] | None = None,
        *,
        command: str = "alliance",
        interaction_type: int = 2,
        focused: str | None = None,
        user_id: int = 1300000000000000001,
        user_name: str = "alice",
        guild_id: int = 1400000000000000001,
        channel_id: int = 1500000000000000001,
        permissions: int = SEND_MESSAGES,
        roles: list[int] | None = None,
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE payload for ``/command subcommand`` (type 2) or its autocomplete (4)."""
        iid = str(self._snowflake())
        registered = next(
            (c for scope in self.commands.values() for c in scope if c["name"] == command), None
        )
        sub_options = []
        for name, value in (options or {}).items():
            option: dict[str, Any] = {"type": 3, "name": name, "value": value}
            if focused == name:
                option["focused"] = True
            sub_options.append(option)
        user = {
            "id": str(user_id),
            "username": user_name,
            "discriminator": "0",
            "global_name": user_name.title(),
            "avatar": None,
        }
        return {
            "id": iid,
            "application_id": str(self.application_id),
            "type": interaction_type,
            "token": f"itoken-{iid}",
            "version": 1,
            "data": {
                "id": registered["id"] if registered else str(self._snowflake()),
                "name": command,
                "type": 1,
                "guild_id": str(guild_id),
                "options": [{"type": 1, "name": subcommand, "options": sub_options}],
            },
            "guild_id": str(guild_id),
            "guild": {"id": str(guild_id), "locale": "en-US", "features": []},
            "channel_id": str(channel_id),
            "channel": {
                "id": str(channel_id),
                "type": 0,
                "guild_id": str(guild_id),
                "name": "alerts",
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
                "flags": 0,
                "topic": None,
                "last_message_id": None,
                "rate_limit_per_user": 0,
            },
            "member": {
                "user": user,
                "roles": [str(r) for r in roles or []],
                "permissions": str(permissions),
                "joined_at": "2024-01-01T00:00:00+00:00",
                "deaf": False,
                "mute": False,
                "flags": 0,
                "nick": None,
                "avatar": None,
                "premium_since": None,
                "pending": False,
            },
            "app_permissions": str(SEND_MESSAGES),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild_id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }

    async def inject_interaction(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Dispatch INTERACTION_CREATE to every identified gateway session."""
        if not self._sockets:
            raise RuntimeError("no gateway session is connected")
        self.interactions[payload["id"]] = {
            "id": payload["id"],
            "token": payload["token"],
            "type": payload["type"],
            "channel_id": payload["channel_id"],
            "dispatched_at": time.monotonic(),
            "responded": False,
            "original": None,
            "ephemeral": False,
            "extra": [],
        }
        for ws in self._sockets:
            await ws.send_json(
                {"op": 0, "t": "INTERACTION_CREATE", "s": next(self._seq), "d": payload}
            )
        return payload

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Poll ``predicate`` until it returns something truthy (tests stay event-driven and fast)."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError("condition not met in time")
            await asyncio.sleep(0.01)


# ---------------------------------------------------------------------- pure helpers


def _nest(tree: dict[str, Any], path: list[Any], code: str, message: str) -> None:
    """Insert an error at ``path`` in Discord's ``{"a": {"0": {"_errors": [...]}}}`` shape."""
    node = tree
    for part in path:
        node = node.setdefault(str(part), {})
    node.setdefault("_errors", []).append({"code": code, "message": message})


def _schema_view(payload: Any) -> Any:
    """The payload as the spec's schema sees it.

    Discord accepts integer snowflakes anywhere, and discord.py sends the
    ``attachments[].id`` of a new upload as the integer ``files[n]`` index; the
    spec types snowflakes as strings, so those ids are compared as strings.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("attachments"), list):
        return payload
    attachments = [
        {**a, "id": str(a["id"])}
        if isinstance(a, dict) and isinstance(a.get("id"), int) and not isinstance(a["id"], bool)
        else a
        for a in payload["attachments"]
    ]
    return {**payload, "attachments": attachments}


def _resolve_attachment_urls(embeds: list[Any], urls: dict[str, str]) -> list[Any]:
    """Embeds as Discord returns them: ``attachment://name`` images point at the stored file."""
    resolved: list[Any] = []
    for embed in embeds:
        if not isinstance(embed, dict):
            resolved.append(embed)
            continue
        embed = dict(embed)
        for key in ("image", "thumbnail"):
            media = embed.get(key)
            if not isinstance(media, dict):
                continue
            url = media.get("url")
            if isinstance(url, str) and url.startswith("attachment://"):
                target = urls.get(url[len("attachment://") :])
                if target is not None:
                    embed[key] = {**media, "url": target, "proxy_url": target}
        resolved.append(embed)
    return resolved


def _embed_texts(embed: dict[str, Any]) -> list[str]:
    texts = [embed.get("title") or "", embed.get("description") or ""]
    for f in embed.get("fields") or []:
        texts += [f.get("name") or "", f.get("value") or ""]
    texts.append((embed.get("footer") or {}).get("text") or "")
    texts.append((embed.get("author") or {}).get("name") or "")
    return [t for t in texts if isinstance(t, str)]


def _embed_length(embed: dict[str, Any]) -> int:
    """Discord's 6000 count: title, description, field names and values, footer text, author name."""
    return sum(len(t) for t in _embed_texts(embed))


def _command_problems(command: Any, depth: int = 0) -> list[str]:
    """Rules from the docs the schema does not carry (lowercase names, option order, 8000 total)."""
    problems: list[str] = []
    if not isinstance(command, dict):
        return ["not an object"]
    name = command.get("name") or ""
    if command.get("type", 1) == 1 and (not _COMMAND_NAME.match(name) or name != name.lower()):
        problems.append(f"invalid name {name!r}")
    description = command.get("description") or ""
    if command.get("type", 1) == 1 and not 1 <= len(description) <= 100:
        problems.append(f"description of {name!r} must be 1-100 characters")
    options = command.get("options") or []
    seen_optional = False
    for option in options:
        if option.get("type") in (1, 2):
            problems += [f"{name}.{p}" for p in _command_problems(option, depth + 1)]
            continue
        if (
            not _COMMAND_NAME.match(option.get("name", ""))
            or option.get("name") != option.get("name", "").lower()
        ):
            problems.append(f"invalid option name {option.get('name')!r}")
        if not 1 <= len(option.get("description") or "") <= 100:
            problems.append(f"option {option.get('name')!r} needs a 1-100 character description")
        if option.get("required"):
            if seen_optional:
                problems.append(f"required option {option.get('name')!r} after an optional one")
        else:
            seen_optional = True
    if depth == 0 and _command_text_length(command) > 8000:
        problems.append("combined name/description/option text exceeds 8000 characters")
    return problems


def _command_text_length(command: dict[str, Any]) -> int:
    total = len(command.get("name") or "") + len(command.get("description") or "")
    for option in command.get("options") or []:
        total += _command_text_length(option)
        for choice in option.get("choices") or []:
            total += len(str(choice.get("name") or "")) + len(str(choice.get("value") or ""))
    return total


def _ratelimit_headers(bucket: _Bucket, reset_after: float) -> dict[str, str]:
    reset_after = max(reset_after, 0.0)
    return {
        "X-RateLimit-Limit": str(bucket.limit),
        "X-RateLimit-Remaining": str(max(bucket.limit - bucket.used, 0)),
        "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
        "X-RateLimit-Reset-After": f"{reset_after:.3f}",
        "X-RateLimit-Bucket": bucket.name,
    }
