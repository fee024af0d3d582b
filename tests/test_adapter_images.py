"""Summaries and digests with the alliance map, through the real discord.py and slack_sdk stacks.

The stand-ins validate what reaches them (Discord: multipart ``payload_json`` against the
spec plus ``files[n]``; Slack: the ``files_upload_v2`` three-step flow) and record every
violation and ping, so each test ends by asserting there were none.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import struct
import zlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
import yarl
from slack_sdk.errors import SlackApiError

from adapters.base import AlertMessage, ChannelRef
from adapters.discord_adapter import DiscordAdapter, nonce_for
from adapters.render import MAP_FILENAME, clean, slack_escape, split_fit
from adapters.slack_adapter import SlackAdapter
from tests.fakes.discord_standin import MAX_REQUEST_BYTES, DiscordStandIn
from tests.fakes.slack_standin import SlackStandIn, angle_constructs

DISCORD_CHANNEL = ChannelRef("discord", "1500000000000000001")
SLACK_CHANNEL = ChannelRef("slack", "C0ALERTS")
SECRET = "test-signing-secret"

HOSTILE = "Pings: @everyone @here <!channel> <!here> <@&1> <@123456789012345678> <@U0123ABC>"


# ---------------------------------------------------------------------- a minimal PNG writer


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def make_png(width: int = 4, height: int = 3, rgb: tuple[int, int, int] = (52, 152, 219)) -> bytes:
    """A valid 8-bit RGB PNG: signature, IHDR, one zlib IDAT (filter 0 per row), IEND."""
    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + _chunk(b"IDAT", zlib.compress(row * height))
        + _chunk(b"IEND", b"")
    )


def read_png(data: bytes) -> tuple[int, int, bytes]:
    """(width, height, raw rows), checking the signature and every chunk's CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, width, height, idat = 8, 0, 0, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, kind
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    return width, height, zlib.decompress(idat)


PNG = make_png()


def test_the_png_writer_writes_a_valid_png() -> None:
    width, height, rows = read_png(PNG)
    assert (width, height) == (4, 3)
    assert rows == (b"\x00" + bytes((52, 152, 219)) * 4) * 3


SUMMARY = (
    "AI alliances, last 7d: 3 deals\n"
    "Money raised: $4.5B\n"
    "Most active: Anthropic (2), Amazon (1)\n"
    "\n"
    "Fundings\n"
    "• Anthropic raises $4B from Amazon (Series E) https://news.example/a?x=1&y=2\n"
    "• Mistral raises $500M *bold* _it_ [masked](https://evil.example)\n"
    "\n"
    "Partnerships\n"
    "• OpenAI partners with Microsoft <b>&</b>"
)


def digest(summary: str = SUMMARY, **overrides: Any) -> AlertMessage:
    base = AlertMessage(
        title="alliance-bot weekly digest",
        url="",
        events=(),
        summary=summary,
        image_png=PNG,
    )
    return dataclasses.replace(base, **overrides)


def long_summary(total: int = 10_000) -> str:
    lines = ["AI alliances, last 30d: many deals"]
    i = 0
    while sum(len(line) + 1 for line in lines) < total:
        lines.append(f"• Company {i} & Partner <{i}> sign a *deal* worth ${i}M " + "x" * (i % 40))
        i += 1
    return "\n".join(lines)[:total]


# ---------------------------------------------------------------------- Discord


@pytest.fixture
async def dstandin(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[DiscordStandIn]:
    stand_in = DiscordStandIn()
    await stand_in.start()
    monkeypatch.setattr(discord.http.Route, "BASE", stand_in.api_base)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(stand_in.gateway_url)
    )
    yield stand_in
    await stand_in.close()


@pytest.fixture
async def dadapter(dstandin: DiscordStandIn) -> AsyncIterator[DiscordAdapter]:
    instance = DiscordAdapter(
        dstandin.token,
        api_base=dstandin.api_base,
        gateway_url=dstandin.gateway_url,
        guild_ready_timeout=0.05,
    )
    yield instance
    await instance.close()


def discord_clean(stand_in: DiscordStandIn) -> None:
    assert stand_in.violations == []
    assert stand_in.pings == []


def only_embed(payload: dict[str, Any]) -> dict[str, Any]:
    embeds: list[dict[str, Any]] = payload["embeds"]
    assert len(embeds) == 1
    return embeds[0]


async def test_discord_summary_carries_the_map_as_an_attachment(
    dstandin: DiscordStandIn, dadapter: DiscordAdapter
) -> None:
    result = await dadapter.post(DISCORD_CHANNEL, digest(), idempotency_key="digest-1")

    discord_clean(dstandin)
    post = dstandin.posts[-1]
    assert result.message_id == str(post["message_id"])
    # One multipart request: payload_json + files[0], the image named and referenced.
    assert [(f["field"], f["filename"], f["size"], f["is_png"]) for f in post["files"]] == [
        ("files[0]", MAP_FILENAME, len(PNG), True)
    ]
    payload = post["payload"]
    assert payload["attachments"] == [{"id": 0, "filename": MAP_FILENAME}]
    assert payload["allowed_mentions"] == {"parse": []}
    assert payload["nonce"] == nonce_for("digest-1") and payload["enforce_nonce"] is True
    embed = only_embed(payload)
    assert embed["image"] == {"url": f"attachment://{MAP_FILENAME}"}
    assert embed["title"] == "📊 alliance-bot weekly digest"
    # The whole summary is the description: every line, blank separators kept, escaped.
    description = embed["description"]
    assert description.startswith("AI alliances, last 7d: 3 deals\nMoney raised: $4.5B\n")
    assert "\n\nFundings\n• Anthropic raises $4B" in description
    assert "https://news.example/a?x=1&y=2" in description  # links left intact
    assert "\\*bold\\*" in description and "\\[masked](" in description  # markdown escaped
    assert "Partnerships" in description
    # The stand-in stored the bytes Discord would host, and resolved the embed image to them.
    (stored,) = dstandin.attachments
    assert stored["data"] == PNG and stored["channel_id"] == int(DISCORD_CHANNEL.channel)
    message = dstandin.messages[int(result.message_id)]
    assert message["attachments"][0]["filename"] == MAP_FILENAME
    assert message["embeds"][0]["image"]["url"] == message["attachments"][0]["url"]
    assert read_png(stored["data"])[:2] == (4, 3)


async def test_discord_summary_without_image_is_plain_json(
    dstandin: DiscordStandIn, dadapter: DiscordAdapter
) -> None:
    await dadapter.post(DISCORD_CHANNEL, digest(image_png=None), idempotency_key="no-image")
    discord_clean(dstandin)
    post = dstandin.posts[-1]
    assert post["files"] == [] and "attachments" not in post["payload"]
    embed = only_embed(post["payload"])
    assert "image" not in embed
    assert embed["description"].count("\n") == SUMMARY.count("\n")
    assert dstandin.attachments == []


async def test_discord_long_summary_is_truncated_within_limits(
    dstandin: DiscordStandIn, dadapter: DiscordAdapter
) -> None:
    summary = long_summary(10_000)
    await dadapter.post(
        DISCORD_CHANNEL,
        digest(summary, title="T" * 1000, evidence=("quote " * 400,) * 3),
        idempotency_key="long",
    )
    discord_clean(dstandin)
    embed = only_embed(dstandin.posts[-1]["payload"])
    description = embed["description"]
    assert 3000 < len(description) <= 4096
    assert len(embed["title"]) <= 256
    total = len(embed["title"]) + len(description)
    assert total <= 6000
    # Markdown-escaped, not entity-escaped: "&" and "<" stay as they are on Discord.
    assert description.startswith("AI alliances, last 30d: many deals\n• Company 0 & Partner <0>")
    assert description.endswith("…")
    # Cut on a character boundary, never inside an escape: no dangling backslash.
    assert not description[:-1].endswith("\\")
    assert dstandin.posts[-1]["files"][0]["is_png"]


async def test_discord_summary_text_never_pings(
    dstandin: DiscordStandIn, dadapter: DiscordAdapter
) -> None:
    await dadapter.post(
        DISCORD_CHANNEL,
        digest(f"{HOSTILE}\n@everyone again\n<@&1> and <!channel>", title=HOSTILE),
        idempotency_key="hostile",
    )
    discord_clean(dstandin)
    payload = dstandin.posts[-1]["payload"]
    assert payload["allowed_mentions"] == {"parse": []}
    embed = only_embed(payload)
    for text in (embed["title"], embed["description"]):
        assert "@everyone" not in text and "@here" not in text  # escape_mentions, cosmetic
    # With allowed_mentions none nothing pings even if the text had a live mention.
    assert "<@&1>" in embed["description"]


async def test_discord_retry_with_the_same_key_is_deduplicated(
    dstandin: DiscordStandIn, dadapter: DiscordAdapter
) -> None:
    first = await dadapter.post(DISCORD_CHANNEL, digest(), idempotency_key="same")
    second = await dadapter.post(DISCORD_CHANNEL, digest(), idempotency_key="same")
    assert first == second
    assert len(dstandin.posts) == 1 and len(dstandin.nonce_hits) == 1
    discord_clean(dstandin)


async def test_discord_500_then_success_resends_the_whole_file(
    dstandin: DiscordStandIn, dadapter: DiscordAdapter
) -> None:
    await dadapter._ensure_login()
    dstandin.fail_next(1, 500, method="POST", path_contains="/messages")
    await dadapter.post(DISCORD_CHANNEL, digest(), idempotency_key="retry")
    discord_clean(dstandin)
    (stored,) = dstandin.attachments
    assert stored["data"] == PNG  # discord.py rewound the file for its retry


async def test_discord_oversized_map_is_dropped_not_the_digest(
    dstandin: DiscordStandIn, dadapter: DiscordAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    huge = PNG + b"\x00" * (26 * 1024 * 1024)
    with caplog.at_level(logging.WARNING, logger="adapters.discord_adapter"):
        result = await dadapter.post(
            DISCORD_CHANNEL, digest(image_png=huge), idempotency_key="huge"
        )
    discord_clean(dstandin)
    assert result.message_id == str(dstandin.posts[-1]["message_id"])
    assert dstandin.posts[-1]["files"] == []
    assert "image" not in only_embed(dstandin.posts[-1]["payload"])
    assert "exceeds Discord's upload limit" in caplog.text


async def test_discord_story_update_still_works_and_summary_update_replaces_the_map(
    dstandin: DiscordStandIn, dadapter: DiscordAdapter
) -> None:
    story = AlertMessage(
        title="Anthropic raises $4B", url="https://news.example/a", events=("funding",)
    )
    posted = await dadapter.post(DISCORD_CHANNEL, story, idempotency_key="story")
    updated = await dadapter.update(
        DISCORD_CHANNEL, posted.message_id, dataclasses.replace(story, amount="$4B")
    )
    assert updated.message_id == posted.message_id
    assert dstandin.edits[-1]["files"] == []
    assert only_embed(dstandin.edits[-1]["payload"])["fields"][0]["value"] == "$4B"

    summary = await dadapter.post(DISCORD_CHANNEL, digest(), idempotency_key="sum")
    new_png = make_png(2, 2, (1, 2, 3))
    await dadapter.update(DISCORD_CHANNEL, summary.message_id, digest(image_png=new_png))
    discord_clean(dstandin)
    edit = dstandin.edits[-1]
    assert [f["size"] for f in edit["files"]] == [len(new_png)]
    message = dstandin.messages[int(summary.message_id)]
    assert [a["size"] for a in message["attachments"]] == [len(new_png)]  # replaced, not added


async def _raw_create(
    stand_in: DiscordStandIn, payload: dict[str, Any], files: list[tuple[str, bytes]]
) -> tuple[int, dict[str, Any]]:
    form = aiohttp.FormData()
    form.add_field("payload_json", json.dumps(payload), content_type="application/json")
    for index, (name, data) in enumerate(files):
        form.add_field(
            f"files[{index}]", data, filename=name, content_type="application/octet-stream"
        )
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{stand_in.api_base}/channels/{DISCORD_CHANNEL.channel}/messages",
            data=form,
            headers={"Authorization": f"Bot {stand_in.token}"},
        ) as response,
    ):
        return response.status, await response.json()


async def test_discord_standin_enforces_attachment_rules(dstandin: DiscordStandIn) -> None:
    dstandin.message_limit = (100, 1.0)  # many raw requests; rate limits are tested elsewhere
    embed = {"title": "map", "image": {"url": f"attachment://{MAP_FILENAME}"}}
    # Eleven files: over the documented 10.
    status, body = await _raw_create(
        dstandin,
        {"embeds": [embed]},
        [(f"f{i}.png", PNG) for i in range(10)] + [(MAP_FILENAME, PNG)],
    )
    assert status == 400 and body["code"] == 50035
    assert any("11 files > 10" in v.problem for v in dstandin.violations)
    dstandin.violations.clear()

    # Not a PNG although named .png; an embed referencing a file that was not sent.
    status, _ = await _raw_create(
        dstandin,
        {"embeds": [{"title": "x", "image": {"url": "attachment://missing.png"}}]},
        [(MAP_FILENAME, b"GIF89a not a png")],
    )
    problems = [v.problem for v in dstandin.violations]
    assert any("is named .png but is not a PNG" in p for p in problems)
    assert any("attachment://missing.png, not attached" in p for p in problems)
    dstandin.violations.clear()

    # An attachments[] entry naming no uploaded file is refused like Discord does.
    status, body = await _raw_create(
        dstandin, {"content": "x", "attachments": [{"id": "5", "filename": "a.png"}]}, []
    )
    assert status == 400 and "attachments" in body["errors"]
    dstandin.violations.clear()

    # The payload_json is checked against the spec exactly like a JSON body.
    status, body = await _raw_create(dstandin, {"embeds": [{"title": "t" * 300}]}, [])
    assert status == 400 and body["code"] == 50035
    assert any("schema: embeds/0/title" in v.problem for v in dstandin.violations)
    dstandin.violations.clear()

    # Over 25 MiB in one request: 413 / 40005.
    status, body = await _raw_create(
        dstandin, {"embeds": [embed]}, [(MAP_FILENAME, PNG + b"\x00" * MAX_REQUEST_BYTES)]
    )
    assert status == 413 and body["code"] == 40005
    dstandin.violations.clear()

    # A valid one is accepted and recorded.
    status, body = await _raw_create(dstandin, {"embeds": [embed]}, [(MAP_FILENAME, PNG)])
    assert status == 200 and body["attachments"][0]["filename"] == MAP_FILENAME
    assert dstandin.violations == []
    assert dstandin.attachments[-1]["content_type"] == "application/octet-stream"
    assert dstandin.attachments[-1]["is_png"] is True


# ---------------------------------------------------------------------- Slack


@pytest.fixture
async def sstandin() -> AsyncIterator[SlackStandIn]:
    stand_in = SlackStandIn(retry_after_s=0)
    await stand_in.start()
    yield stand_in
    await stand_in.close()


def make_slack(stand_in: SlackStandIn, **options: Any) -> SlackAdapter:
    return SlackAdapter(
        stand_in.token,
        signing_secret=SECRET,
        api_base=stand_in.api_base,
        host="127.0.0.1",
        port=0,
        max_rate_limit_retries=2,
        **options,
    )


@pytest.fixture
async def sadapter(sstandin: SlackStandIn) -> AsyncIterator[SlackAdapter]:
    instance = make_slack(sstandin)
    yield instance
    await instance.close()


def slack_clean(stand_in: SlackStandIn) -> None:
    assert stand_in.violations == []
    assert stand_in.pings == []
    assert stand_in.links == []


def slack_texts(params: dict[str, Any]) -> list[str]:
    texts = [params["text"]]
    for block in params["blocks"]:
        text = block.get("text")
        if isinstance(text, dict):
            texts.append(text["text"])
        for element in block.get("elements") or []:
            if isinstance(element, dict) and isinstance(element.get("text"), str):
                texts.append(element["text"])
    return texts


def methods(stand_in: SlackStandIn) -> list[str]:
    return [m for m, _ in stand_in.requests]


async def test_slack_summary_posts_text_then_uploads_the_map_in_its_thread(
    sstandin: SlackStandIn, sadapter: SlackAdapter
) -> None:
    result = await sadapter.post(SLACK_CHANNEL, digest(), idempotency_key="digest-1")

    slack_clean(sstandin)
    post = sstandin.posts[-1]
    assert result.message_id == post["ts"]
    assert methods(sstandin) == [
        "chat.postMessage",
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    blocks = post["params"]["blocks"]
    assert [b["type"] for b in blocks] == ["header", "section"]
    assert blocks[0]["text"] == {
        "type": "plain_text",
        "text": "📊 alliance-bot weekly digest",
        "emoji": True,
    }
    section = blocks[1]["text"]
    assert section["type"] == "mrkdwn"
    assert section["text"] == slack_escape(clean(SUMMARY, keep_blank_lines=True))
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in section["text"]
    assert post["params"]["text"].startswith("📊 alliance-bot weekly digest\nAI alliances")
    (uploaded,) = sstandin.files[SLACK_CHANNEL.channel]
    assert uploaded["filename"] == MAP_FILENAME
    assert uploaded["data"] == PNG and uploaded["is_png"] and uploaded["size"] == len(PNG)
    assert uploaded["thread_ts"] == result.message_id
    assert uploaded["title"] == "alliance-bot weekly digest"
    assert read_png(uploaded["data"])[:2] == (4, 3)


async def test_slack_map_can_go_to_the_channel_instead_of_the_thread(
    sstandin: SlackStandIn,
) -> None:
    adapter = make_slack(sstandin, image_in_thread=False)
    try:
        await adapter.post(SLACK_CHANNEL, digest(), idempotency_key="flat")
    finally:
        await adapter.close()
    slack_clean(sstandin)
    assert sstandin.files[SLACK_CHANNEL.channel][0]["thread_ts"] is None


async def test_slack_summary_without_image_uploads_nothing(
    sstandin: SlackStandIn, sadapter: SlackAdapter
) -> None:
    await sadapter.post(SLACK_CHANNEL, digest(image_png=None), idempotency_key="plain")
    slack_clean(sstandin)
    assert methods(sstandin) == ["chat.postMessage"]
    assert sstandin.files == {}


async def test_slack_long_summary_is_split_on_lines_within_limits(
    sstandin: SlackStandIn, sadapter: SlackAdapter
) -> None:
    summary = long_summary(10_000)
    await sadapter.post(SLACK_CHANNEL, digest(summary, title="&" * 1000), idempotency_key="long")
    slack_clean(sstandin)
    params = sstandin.posts[-1]["params"]
    blocks = params["blocks"]
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert len(blocks) <= 50 and len(sections) >= 4  # escaping makes ~10k into >12k
    assert all(len(s) <= 3000 for s in sections)
    assert len(blocks[0]["text"]["text"]) <= 150
    assert len(params["text"]) <= 4000
    # Nothing lost and every break is a line break: the sections rejoin to the summary.
    expected = slack_escape(clean(summary, keep_blank_lines=True))
    assert "\n".join(sections) == expected
    lines = set(expected.split("\n"))
    for s in sections:
        assert s.split("\n")[0] in lines and s.split("\n")[-1] in lines
    for text in slack_texts(params):
        assert not re.search(r"&(?!amp;|lt;|gt;)", text), "a cut entity"
    assert sstandin.files[SLACK_CHANNEL.channel][0]["is_png"]


async def test_slack_single_huge_line_is_cut_without_splitting_entities(
    sstandin: SlackStandIn, sadapter: SlackAdapter
) -> None:
    await sadapter.post(SLACK_CHANNEL, digest("<&>" * 3400), idempotency_key="one-line")
    slack_clean(sstandin)
    sections = [
        b["text"]["text"] for b in sstandin.posts[-1]["params"]["blocks"] if b["type"] == "section"
    ]
    assert all(len(s) <= 3000 for s in sections)
    assert "".join(sections) == slack_escape("<&>" * 3400)


def test_split_fit_caps_the_number_of_chunks_with_an_ellipsis() -> None:
    chunks = split_fit("\n".join(["line &"] * 2000), 100, slack_escape, max_chunks=3)
    assert len(chunks) == 3 and all(len(c) <= 100 for c in chunks)
    assert chunks[-1].endswith("…")


async def test_slack_summary_text_never_pings(
    sstandin: SlackStandIn, sadapter: SlackAdapter
) -> None:
    await sadapter.post(
        SLACK_CHANNEL,
        digest(f"{HOSTILE}\n<!everyone>\n<https://evil.example|click>", title=HOSTILE),
        idempotency_key="hostile",
    )
    slack_clean(sstandin)
    params = sstandin.posts[-1]["params"]
    assert "link_names" not in params and "parse" not in params
    for text in slack_texts(params):
        assert angle_constructs(text) == [], text
    title = sstandin.files[SLACK_CHANNEL.channel][0]["title"]
    assert angle_constructs(title) == [] and "&lt;!channel&gt;" in title


async def test_slack_failed_upload_keeps_the_text_post(
    sstandin: SlackStandIn, sadapter: SlackAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    sstandin.fail_next(1, "internal_error", method="files.completeUploadExternal")
    with caplog.at_level(logging.WARNING, logger="adapters.slack_adapter"):
        result = await sadapter.post(SLACK_CHANNEL, digest(), idempotency_key="upload-fails")
    assert result.message_id == sstandin.posts[-1]["ts"]
    assert len(sstandin.posts) == 1
    assert sstandin.files == {}
    assert "internal_error" in caplog.text and "retryable=True" in caplog.text
    assert sstandin.token not in caplog.text
    slack_clean(sstandin)


async def test_slack_missing_files_scope_is_logged_as_permanent(
    sstandin: SlackStandIn, sadapter: SlackAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    sstandin.fail_next(1, "missing_scope", method="files.getUploadURLExternal")
    with caplog.at_level(logging.WARNING, logger="adapters.slack_adapter"):
        result = await sadapter.post(SLACK_CHANNEL, digest(), idempotency_key="no-scope")
    assert result.message_id == sstandin.posts[-1]["ts"]
    assert "missing_scope" in caplog.text and "retryable=False" in caplog.text
    assert sstandin.files == {}


async def test_slack_ratelimited_upload_is_retried_by_the_sdk(
    sstandin: SlackStandIn, sadapter: SlackAdapter
) -> None:
    sstandin.fail_next(1, "ratelimited", method="files.completeUploadExternal")
    await sadapter.post(SLACK_CHANNEL, digest(), idempotency_key="429")
    slack_clean(sstandin)
    assert len(sstandin.files[SLACK_CHANNEL.channel]) == 1
    assert methods(sstandin).count("files.completeUploadExternal") == 2


async def test_slack_standin_checks_the_upload_flow(sstandin: SlackStandIn) -> None:
    adapter = make_slack(sstandin)
    client = adapter.client
    try:
        # Not a PNG although named .png: accepted (Slack does not care) but flagged.
        await client.files_upload_v2(
            channel=SLACK_CHANNEL.channel, file=b"GIF89a...", filename=MAP_FILENAME, title="x"
        )
        assert any("not a PNG" in v.problem for v in sstandin.violations)
        sstandin.violations.clear()
        # Completing an unknown file, or one that was never uploaded.
        with pytest.raises(SlackApiError) as caught:
            await client.files_completeUploadExternal(
                files=[{"id": "F404", "title": "x"}], channel_id=SLACK_CHANNEL.channel
            )
        assert caught.value.response["error"] == "file_not_found"
        assert caught.value.response.status_code == 200
        pending = await client.files_getUploadURLExternal(filename="a.png", length=len(PNG))
        with pytest.raises(SlackApiError) as caught:
            await client.files_completeUploadExternal(
                files=[{"id": pending["file_id"], "title": "x"}], channel_id="C0ALERTS"
            )
        assert caught.value.response["error"] == "file_not_found"
        # A thread_ts that names no message.
        with pytest.raises(SlackApiError) as caught:
            await client.files_upload_v2(
                channel=SLACK_CHANNEL.channel, file=PNG, filename="a.png", thread_ts="1.000001"
            )
        assert caught.value.response["error"] == "invalid_thread_ts"
        # Channel errors apply to uploads too.
        sstandin.set_channel_error("C0GONE", "channel_not_found")
        with pytest.raises(SlackApiError) as caught:
            await client.files_upload_v2(channel="C0GONE", file=PNG, filename="a.png")
        assert caught.value.response["error"] == "channel_not_found"
        # Size mismatch between getUploadURLExternal and the upload.
        pending = await client.files_getUploadURLExternal(filename="b.png", length=3)
        async with (
            aiohttp.ClientSession() as session,
            session.post(pending["upload_url"], data=PNG) as response,
        ):
            assert response.status == 200
        with pytest.raises(SlackApiError) as caught:
            await client.files_completeUploadExternal(
                files=[{"id": pending["file_id"]}], channel_id=SLACK_CHANNEL.channel
            )
        assert caught.value.response["error"] == "file_upload_size_mismatch"
        assert any("declared" in v.problem for v in sstandin.violations)
    finally:
        await adapter.close()
    assert SLACK_CHANNEL.channel in sstandin.files  # only the first (GIF) upload completed
    assert len(sstandin.files[SLACK_CHANNEL.channel]) == 1
