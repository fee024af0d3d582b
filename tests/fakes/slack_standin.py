"""A loopback Slack Web API (``/api/<method>``) plus a ``response_url`` recorder and a slash-command signer.

What it checks (recorded in ``violations``, answered the way Slack answers):

* blocks: each parsed with ``slack_sdk.models.blocks.Block.parse`` then
  ``validate_json()`` and ``to_dict()`` (which validates nested elements); unknown
  block types, more than 50 blocks, section fields over 2000 characters, header
  text that is not ``plain_text`` -> ``invalid_blocks``;
* text: top-level text over 40,000 characters -> ``msg_too_long``; a message
  with neither text nor blocks -> ``no_text``;
* pings: ``<!channel>``, ``<!here>``, ``<!everyone>``, ``<@U…>``, ``<!subteam^…>``
  in the text or any block text, or ``link_names`` true / ``parse=full``;
  ``<url|label>`` links are recorded in ``links`` (feed text must never form one).

Files follow the external upload flow ``files_upload_v2`` uses:
``files.getUploadURLExternal`` (``filename``, ``length`` -> ``upload_url``,
``file_id``), a POST of the bytes to ``upload_url`` (served here at
``/upload/<file_id>``; raw body or multipart, its size must equal ``length``),
then ``files.completeUploadExternal`` (``files`` JSON list, ``channel_id``,
optional ``thread_ts`` that must name a posted message), which records the file
in ``files[channel]``.  PNG magic is checked for ``.png`` names; titles and
``initial_comment`` are scanned for pings.  Errors are HTTP 200 ``ok: false``
(``invalid_arguments``, ``file_not_found``, ``file_upload_size_mismatch``,
``thread_not_found`` ...) and ``fail_next(method="files.completeUploadExternal")``
injects faults like for any method.

Rate limiting follows chat.postMessage's "special tier": a token bucket per
channel (1 message/s with a small burst) answering HTTP 429 with an *integer*
``Retry-After`` (slack_sdk's retry handler crashes on decimals).  Errors are
HTTP 200 ``{"ok": false, "error": ...}`` like Slack, except 429 and injected 5xx.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import multipart as aiohttp_multipart
from aiohttp import web
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

_PING = re.compile(
    r"<!(?:channel|here|everyone)(?:\|[^>]*)?>|<@[UW][A-Z0-9]+(?:\|[^>]*)?>|<!subteam\^[A-Z0-9]+(?:\|[^>]*)?>"
)
_LINK = re.compile(r"<(?:https?|mailto|ftp)[^>]*>")
_ANGLE = re.compile(r"<[^<>]*>")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_FILE_BYTES = 1024 * 1024 * 1024  # Slack's documented 1 GB per file


@dataclass
class Violation:
    method: str
    problem: str
    payload: Any = field(repr=False, default=None)


@dataclass
class Fault:
    remaining: int
    error: str
    status: int
    retry_after: int
    method: str | None


class SlackStandIn:
    def __init__(
        self,
        *,
        token: str = "xoxb-test-token",
        team_id: str = "T0TEST",
        bot_user_id: str = "U0BOT",
        per_channel_rate: float = 1.0,
        burst: int = 3,
        retry_after_s: int | None = None,
        response_delay_s: float = 0.0,
    ) -> None:
        self.token = token
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.per_channel_rate = per_channel_rate
        self.burst = burst
        self.retry_after_s = retry_after_s  # None: the honest wait rounded up; tests use 0
        # Seconds a posted message waits before the answer goes back (it is already in
        # ``posts``): a client killed in this window posted without learning the ts.
        self.response_delay_s = response_delay_s

        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.violations: list[Violation] = []
        self.pings: list[dict[str, Any]] = []
        self.links: list[dict[str, Any]] = []
        self.posts: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.rate_limited: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []  # response_url posts
        self.users: dict[str, dict[str, Any]] = {}
        # Completed uploads per channel: {"id", "filename", "title", "size", "is_png",
        # "thread_ts", "initial_comment", "data"}.
        self.files: dict[str, list[dict[str, Any]]] = {}
        self.uploads: list[dict[str, Any]] = []  # every POST to an upload URL
        self._pending_files: dict[str, dict[str, Any]] = {}  # file id -> upload state
        self._file_ids = itertools.count(1)

        self._faults: list[Fault] = []
        self._outage_until = 0.0
        self._channel_errors: dict[str, str] = {}
        self._buckets: dict[str, tuple[float, float]] = {}  # channel -> (tokens, last refill)
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------------ server

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{rid}", self._response_url)
        app.router.add_post("/upload/{file_id}", self._upload_url)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"  # trailing slash: slack_sdk joins method names

    def response_url(self, rid: str = "r1") -> str:
        return f"http://127.0.0.1:{self.port}/response/{rid}"

    # ------------------------------------------------------------------ configuration / faults

    def set_user(
        self, user_id: str, *, name: str = "user", is_admin: bool = False, is_owner: bool = False
    ) -> None:
        self.users[user_id] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "real_name": name.title(),
            "deleted": False,
            "is_bot": False,
            "is_admin": is_admin,
            "is_owner": is_owner,
            "is_primary_owner": False,
        }

    def fail_next(
        self,
        count: int = 1,
        error: str = "internal_error",
        *,
        status: int | None = None,
        retry_after: int = 0,
        method: str | None = None,
    ) -> None:
        """The next ``count`` calls (of ``method``) fail: "ratelimited" -> 429, 5xx statuses as given,
        anything else HTTP 200 ``ok: false``."""
        if status is None:
            status = 429 if error == "ratelimited" else 200
        self._faults.append(Fault(count, error, status, int(retry_after), method))

    def outage(self, seconds: float) -> None:
        """Every API call gets HTTP 503 for ``seconds``."""
        self._outage_until = time.monotonic() + seconds

    def set_channel_error(self, channel: str, error: str | None) -> None:
        """``channel_not_found`` / ``not_in_channel`` / ``is_archived`` ... for one channel."""
        if error is None:
            self._channel_errors.pop(channel, None)
        else:
            self._channel_errors[channel] = error

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _reply(
        data: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
    ) -> web.Response:
        return web.Response(
            status=status,
            body=json.dumps(data).encode(),
            headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
        )

    def _fail(
        self, error: str, status: int = 200, headers: dict[str, str] | None = None
    ) -> web.Response:
        return self._reply({"ok": False, "error": error}, status, headers)

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    params.update(body)
            else:
                params.update(dict(await request.post()))
        for key in ("blocks", "attachments"):
            if isinstance(params.get(key), str):
                try:
                    params[key] = json.loads(params[key])
                except ValueError:
                    params[key] = "<unparseable>"
        return params

    def _token_ok(self, request: web.Request, params: dict[str, Any]) -> bool:
        auth = request.headers.get("Authorization", "")
        return auth == f"Bearer {self.token}" or params.get("token") == self.token

    def _take(self, channel: str) -> float:
        """Token bucket per channel: 0.0 when allowed, else seconds until a token is available."""
        now = time.monotonic()
        tokens, last = self._buckets.get(channel, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.per_channel_rate)
        if tokens >= 1.0:
            self._buckets[channel] = (tokens - 1.0, now)
            return 0.0
        self._buckets[channel] = (tokens, now)
        return (1.0 - tokens) / self.per_channel_rate

    def _check_message(self, method: str, params: dict[str, Any]) -> str | None:
        """Validate text and blocks; returns the Slack error to answer, or None."""
        text = params.get("text")
        blocks = params.get("blocks")
        if not text and not blocks:
            self.violations.append(Violation(method, "neither text nor blocks", params))
            return "no_text"
        if isinstance(text, str) and len(text) > 40000:
            self.violations.append(
                Violation(method, f"text is {len(text)} > 40000 characters", params)
            )
            return "msg_too_long"
        if blocks is not None:
            problems = _block_problems(blocks)
            if problems:
                for problem in problems:
                    self.violations.append(Violation(method, problem, params))
                return "invalid_blocks"
        return None

    def _scan(self, method: str, params: dict[str, Any]) -> None:
        texts = [params.get("text") or ""] + list(_block_texts(params.get("blocks") or []))
        joined = "\n".join(t for t in texts if isinstance(t, str))
        found = _PING.findall(joined)
        if str(params.get("link_names")).lower() in ("true", "1"):
            found.append("link_names=true")
        if str(params.get("parse")).lower() == "full":
            found.append("parse=full")
        if found:
            self.pings.append({"method": method, "mentions": found, "params": params})
        links = _LINK.findall(joined)
        if links:
            self.links.append({"method": method, "links": links})

    # ------------------------------------------------------------------ API

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        self.requests.append((method, params))
        if time.monotonic() < self._outage_until:
            return self._fail("service_unavailable", 503)
        if not self._token_ok(request, params):
            return self._fail("invalid_auth")
        for fault in self._faults:
            if fault.remaining > 0 and (fault.method is None or fault.method == method):
                fault.remaining -= 1
                headers = {"Retry-After": str(fault.retry_after)} if fault.status == 429 else None
                if fault.status == 429:
                    self.rate_limited.append(
                        {"method": method, "retry_after": fault.retry_after, "injected": True}
                    )
                return self._fail(fault.error, fault.status, headers)
        handler = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "users.info": self._users_info,
            "files.getUploadURLExternal": self._get_upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }.get(method)
        if handler is None:
            return self._fail("unknown_method")
        return await handler(params)

    async def _auth_test(self, params: dict[str, Any]) -> web.Response:
        return self._reply(
            {
                "ok": True,
                "url": "https://test.slack.invalid/",
                "team": "Test",
                "user": "alliance-bot",
                "team_id": self.team_id,
                "user_id": self.bot_user_id,
                "bot_id": "B0BOT",
                "is_enterprise_install": False,
            }
        )

    async def _users_info(self, params: dict[str, Any]) -> web.Response:
        user = self.users.get(str(params.get("user")))
        if user is None:
            return self._fail("user_not_found")
        return self._reply({"ok": True, "user": user})

    def _message(self, channel: str, ts: str, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "message",
            "subtype": "bot_message",
            "text": params.get("text") or "",
            "blocks": params.get("blocks") or [],
            "ts": ts,
            "user": self.bot_user_id,
            "bot_id": "B0BOT",
            "channel": channel,
        }

    async def _post_message(self, params: dict[str, Any]) -> web.Response:
        channel = str(params.get("channel") or "")
        if not channel:
            return self._fail("channel_not_found")
        if channel in self._channel_errors:
            return self._fail(self._channel_errors[channel])
        wait = self._take(channel)
        if wait > 0:
            retry_after = self.retry_after_s if self.retry_after_s is not None else math.ceil(wait)
            self.rate_limited.append(
                {"method": "chat.postMessage", "channel": channel, "retry_after": retry_after}
            )
            return self._fail("ratelimited", 429, {"Retry-After": str(int(retry_after))})
        error = self._check_message("chat.postMessage", params)
        if error:
            return self._fail(error)
        self._scan("chat.postMessage", params)
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        message = self._message(channel, ts, params)
        self.messages[(channel, ts)] = message
        self.posts.append({"channel": channel, "ts": ts, "params": params})
        if self.response_delay_s > 0:
            await asyncio.sleep(self.response_delay_s)
        return self._reply({"ok": True, "channel": channel, "ts": ts, "message": message})

    async def _update(self, params: dict[str, Any]) -> web.Response:
        channel = str(params.get("channel") or "")
        ts = str(params.get("ts") or "")
        if channel in self._channel_errors:
            return self._fail(self._channel_errors[channel])
        if (channel, ts) not in self.messages:
            return self._fail("message_not_found")
        error = self._check_message("chat.update", params)
        if error:
            return self._fail(error)
        self._scan("chat.update", params)
        message = self._message(channel, ts, params)
        self.messages[(channel, ts)] = message
        self.updates.append({"channel": channel, "ts": ts, "params": params})
        return self._reply(
            {"ok": True, "channel": channel, "ts": ts, "text": message["text"], "message": message}
        )

    # ------------------------------------------------------------------ files

    async def _get_upload_url(self, params: dict[str, Any]) -> web.Response:
        method = "files.getUploadURLExternal"
        filename = str(params.get("filename") or "")
        try:
            length = int(str(params.get("length")))
        except ValueError:
            length = -1
        if not filename or length < 0:
            self.violations.append(Violation(method, "filename and length are required", params))
            return self._fail("invalid_arguments")
        if length == 0 or length > MAX_FILE_BYTES:
            self.violations.append(Violation(method, f"file length {length} not allowed", params))
            return self._fail("invalid_arguments")
        file_id = f"F{next(self._file_ids):08d}"
        self._pending_files[file_id] = {
            "id": file_id,
            "filename": filename,
            "length": length,
            "alt_txt": params.get("alt_txt"),
            "data": None,
            "completed": False,
        }
        return self._reply(
            {
                "ok": True,
                "upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}",
                "file_id": file_id,
            }
        )

    async def _upload_url(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        state = self._pending_files.get(file_id)
        if request.content_type == "multipart/form-data":
            data = b""
            reader = await request.multipart()
            async for part in reader:
                if isinstance(part, aiohttp_multipart.BodyPartReader) and part.filename:
                    data = await part.read(decode=True)
                    break
        else:
            data = await request.read()
        self.uploads.append({"file_id": file_id, "size": len(data)})
        if state is None or state["completed"]:
            self.violations.append(Violation("upload", f"upload to unknown file {file_id}"))
            return web.Response(status=404, text="Not Found")
        if len(data) != state["length"]:
            self.violations.append(
                Violation(
                    "upload", f"{file_id}: {len(data)} bytes sent, {state['length']} declared"
                )
            )
        state["data"] = data
        return web.Response(text=f"OK - {len(data)}")

    async def _complete_upload(self, params: dict[str, Any]) -> web.Response:
        method = "files.completeUploadExternal"
        raw = params.get("files")
        try:
            items = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            items = None
        if not isinstance(items, list) or not items:
            self.violations.append(Violation(method, "files must be a non-empty JSON list", params))
            return self._fail("invalid_arguments")
        channel = str(params.get("channel_id") or params.get("channels") or "")
        if "," in channel:
            self.violations.append(Violation(method, "more than one channel", params))
            return self._fail("invalid_arguments")
        if channel and channel in self._channel_errors:
            return self._fail(self._channel_errors[channel])
        thread_ts = str(params.get("thread_ts") or "") or None
        if thread_ts is not None and (channel, thread_ts) not in self.messages:
            self.violations.append(Violation(method, f"thread_ts {thread_ts} is not a message"))
            return self._fail("invalid_thread_ts")
        states: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for item in items:
            if not isinstance(item, dict):
                return self._fail("invalid_arguments")
            state = self._pending_files.get(str(item.get("id")))
            if state is None or state["completed"]:
                self.violations.append(Violation(method, f"unknown file {item.get('id')}", params))
                return self._fail("file_not_found")
            if state["data"] is None:
                self.violations.append(Violation(method, f"{state['id']} was never uploaded"))
                return self._fail("file_not_found")
            if len(state["data"]) != state["length"]:
                return self._fail("file_upload_size_mismatch")
            states.append((state, item))
        comment = params.get("initial_comment")
        self._scan(method, {"text": comment or "", **_titles(items)})
        completed: list[dict[str, Any]] = []
        for state, item in states:
            state["completed"] = True
            data: bytes = state["data"]
            is_png = data[:8] == PNG_MAGIC
            if state["filename"].lower().endswith(".png") and not is_png:
                self.violations.append(
                    Violation(method, f"{state['filename']} is named .png but is not a PNG")
                )
            record = {
                "id": state["id"],
                "filename": state["filename"],
                "title": item.get("title") or state["filename"],
                "size": len(data),
                "is_png": is_png,
                "thread_ts": thread_ts,
                "initial_comment": comment,
                "data": data,
            }
            if channel:
                self.files.setdefault(channel, []).append(record)
            completed.append(
                {
                    "id": state["id"],
                    "name": state["filename"],
                    "title": record["title"],
                    "mimetype": "image/png" if is_png else "application/octet-stream",
                    "filetype": "png" if is_png else "binary",
                    "size": len(data),
                    "user": self.bot_user_id,
                    "channels": [channel] if channel else [],
                }
            )
        return self._reply({"ok": True, "files": completed})

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.responses.append(
            {"rid": request.match_info["rid"], "body": body, "at": time.monotonic()}
        )
        if isinstance(body, dict):
            self._scan("response_url", body)
            if body.get("blocks") is not None:
                for problem in _block_problems(body["blocks"]):
                    self.violations.append(Violation("response_url", problem, body))
        return web.Response(text="ok")

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError("condition not met in time")
            await asyncio.sleep(0.01)


# ---------------------------------------------------------------------- pure helpers


def _block_problems(blocks: Any) -> list[str]:
    if not isinstance(blocks, list):
        return ["blocks is not a list"]
    problems: list[str] = []
    if len(blocks) > 50:
        problems.append(f"{len(blocks)} blocks > 50")
    for index, raw in enumerate(blocks):
        if not isinstance(raw, dict):
            problems.append(f"block {index} is not an object")
            continue
        block = Block.parse(raw)
        if block is None:
            problems.append(f"block {index}: unknown type {raw.get('type')!r}")
            continue
        try:
            block.validate_json()
            block.to_dict()  # validates nested elements and text objects too
        except SlackObjectFormationError as exc:
            problems.append(f"block {index} ({raw.get('type')}): {exc}")
        # Limits slack_sdk does not check.
        if raw.get("type") == "header" and (raw.get("text") or {}).get("type") != "plain_text":
            problems.append(f"block {index}: header text must be plain_text")
        for f in raw.get("fields") or []:
            if len(f.get("text") or "") > 2000:
                problems.append(f"block {index}: section field over 2000 characters")
        for element in raw.get("elements") or []:
            if (
                element.get("type") in ("mrkdwn", "plain_text")
                and len(element.get("text") or "") > 3000
            ):
                problems.append(f"block {index}: context text over 3000 characters")
    return problems


def _titles(items: list[Any]) -> dict[str, Any]:
    """File titles as extra text to scan for pings (``_scan`` reads ``text`` and ``blocks``)."""
    titles = [str(i.get("title") or "") for i in items if isinstance(i, dict)]
    return {"blocks": [{"text": t} for t in titles]}


def _block_texts(node: Any) -> list[str]:
    """Every ``text`` string in a block tree (text objects, fields, elements)."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                found.append(value)
            else:
                found.extend(_block_texts(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_block_texts(item))
    return found


def angle_constructs(text: str) -> list[str]:
    """Every ``<...>`` control sequence Slack would interpret in ``text``."""
    return _ANGLE.findall(text)


def sign(signing_secret: str, timestamp: str, body: str) -> str:
    """Slack's request signature: ``v0=`` + HMAC-SHA256(secret, ``v0:{ts}:{body}``)."""
    digest = hmac.new(
        signing_secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256
    ).hexdigest()
    return f"v0={digest}"


def slack_entities(text: str) -> str:
    """Slack sends user text with ``&``, ``<``, ``>`` as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


async def send_slash_command(
    url: str,
    signing_secret: str,
    *,
    text: str,
    response_url: str,
    command: str = "/alliance",
    user_id: str = "U1ALICE",
    user_name: str = "alice",
    channel_id: str = "C0ALERTS",
    team_id: str = "T0TEST",
    timestamp: int | None = None,
    signature: str | None = None,
) -> tuple[int, str, float]:
    """POST a signed slash command like Slack does; returns (status, body, seconds until the answer)."""
    form = {
        "token": "deprecated-verification-token",
        "team_id": team_id,
        "team_domain": "test",
        "channel_id": channel_id,
        "channel_name": "alerts",
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": slack_entities(text),
        "api_app_id": "A0TEST",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": "1.2.3",
    }
    body = urlencode(form)
    ts = str(int(time.time()) if timestamp is None else timestamp)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature if signature is not None else sign(signing_secret, ts, body),
    }
    started = time.monotonic()
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body.encode(), headers=headers) as response,
    ):
        return response.status, await response.text(), time.monotonic() - started
