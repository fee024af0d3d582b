"""DiscordAdapter driven through the real discord.py stack against the loopback stand-in.

discord.py has no base-URL option; its class-level ``Route.BASE`` and
``DiscordWebSocket.DEFAULT_GATEWAY`` are redirected with monkeypatch so they
are restored after each test.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import operator
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import discord
import pytest
import yarl

from adapters.base import AlertMessage, ChannelRef, CommandInvocation, DeliveryError
from adapters.discord_adapter import ADMIN_ONLY, POLITE_FAILURE, DiscordAdapter, nonce_for
from bot.commandspec import ArgSpec, CommandSpec
from bot.errors import AllianceError, CommandError
from tests.fakes.discord_standin import EPHEMERAL, MANAGE_GUILD, SEND_MESSAGES, DiscordStandIn

CHANNEL = ChannelRef("discord", "1500000000000000001")
OTHER_CHANNEL = ChannelRef("discord", "1500000000000000002")

HOSTILE_TITLES = [
    "@everyone OpenAI partners with Microsoft",
    "@here <@&123456789012345678> role ping and <@123456789012345678> user ping",
    "<!channel> Slack-style ping in a Discord post",
    "&lt;!channel&gt; pre-escaped entities",
    "<https://evil.example|click> and [masked](https://evil.example) **bold** `code`",
    "Funding " + "x" * 10_000,
    "🤖🚀 Anthropic × 🇯🇵 Sakana — شراكة جديدة עם OpenAI \u202eevil\u202c",
]


def alert(title: str = "Anthropic raises $4B from Amazon", **overrides: Any) -> AlertMessage:
    base = AlertMessage(
        title=title,
        url="https://news.example/story?id=1&src=feed",
        events=("funding",),
        parties=("Anthropic", "Amazon"),
        amount="$4B",
        round="Series E",
        evidence=("Amazon will invest up to $4 billion in Anthropic",),
        source="TechCrunch",
        also_reported_by=("Reuters", "The Verge"),
        published=datetime(2024, 3, 27, 12, 30, tzinfo=UTC),
        summary="Amazon completes its investment.",
    )
    return dataclasses.replace(base, **overrides)


@pytest.fixture
async def standin(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[DiscordStandIn]:
    stand_in = DiscordStandIn()
    await stand_in.start()
    monkeypatch.setattr(discord.http.Route, "BASE", stand_in.api_base)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(stand_in.gateway_url)
    )
    yield stand_in
    await stand_in.close()


def make_adapter(stand_in: DiscordStandIn, **options: Any) -> DiscordAdapter:
    options.setdefault("guild_ready_timeout", 0.05)
    return DiscordAdapter(
        stand_in.token, api_base=stand_in.api_base, gateway_url=stand_in.gateway_url, **options
    )


@pytest.fixture
async def adapter(standin: DiscordStandIn) -> AsyncIterator[DiscordAdapter]:
    instance = make_adapter(standin)
    yield instance
    await instance.close()


def embed_of(post: dict[str, Any]) -> dict[str, Any]:
    embeds: list[dict[str, Any]] = post["payload"]["embeds"]
    assert len(embeds) == 1
    return embeds[0]


def assert_clean(stand_in: DiscordStandIn) -> None:
    assert stand_in.violations == []
    assert stand_in.pings == []


# ---------------------------------------------------------------------- posting


@pytest.mark.parametrize("title", HOSTILE_TITLES, ids=lambda t: t[:20])
async def test_hostile_titles_post_without_pings_or_violations(
    standin: DiscordStandIn, adapter: DiscordAdapter, title: str
) -> None:
    result = await adapter.post(CHANNEL, alert(title), idempotency_key=f"k-{hash(title)}")

    assert_clean(standin)
    post = standin.posts[-1]
    assert result.message_id == str(post["message_id"])
    payload = post["payload"]
    assert payload["allowed_mentions"] == {"parse": []}
    assert payload["enforce_nonce"] is True
    embed = embed_of(post)
    assert len(embed["title"]) <= 256
    # No mention survives intact even cosmetically, and no masked link can form.
    assert "@everyone" not in embed["title"] and "@here" not in embed["title"]
    assert not re.search(r"<@&?\d{17,20}>", embed["title"])
    assert not re.search(r"(?<!\\)\[masked\]\(", embed["title"])  # the bracket is escaped
    assert "\u202e" not in embed["title"]  # bidi override stripped, RTL letters kept
    if "شراكة" in title:
        assert "شراكة" in embed["title"] and "🤖" in embed["title"]
    if len(title) > 256:
        assert embed["title"].endswith("…")


async def test_embed_renders_every_part_of_the_alert(
    standin: DiscordStandIn, adapter: DiscordAdapter
) -> None:
    await adapter.post(CHANNEL, alert(), idempotency_key="render")
    assert_clean(standin)
    embed = embed_of(standin.posts[0])
    assert embed["title"] == "💰 Anthropic raises $4B from Amazon"
    assert embed["url"] == "https://news.example/story?id=1&src=feed"
    assert embed["color"] == DiscordAdapter.COLOURS["funding"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Parties"] == "Anthropic · Amazon"
    assert fields["Amount"] == "$4B"
    assert fields["Round"] == "Series E"
    assert fields["Also reported by"] == "Reuters, The Verge"
    assert "> Amazon will invest up to $4 billion in Anthropic" in embed["description"]
    assert embed["footer"]["text"] == "TechCrunch"
    assert embed["timestamp"].startswith("2024-03-27T12:30:00")


async def test_colour_follows_the_event_type(
    standin: DiscordStandIn, adapter: DiscordAdapter
) -> None:
    for index, event in enumerate(("partnership", "acquisition", "rumour")):
        await adapter.post(CHANNEL, alert(events=(event,)), idempotency_key=f"colour-{index}")
    colours = [embed_of(p)["color"] for p in standin.posts]
    assert colours == [
        DiscordAdapter.COLOURS["partnership"],
        DiscordAdapter.COLOURS["acquisition"],
        DiscordAdapter.COLOURS["news"],
    ]


async def test_huge_alert_stays_within_embed_limits(
    standin: DiscordStandIn, adapter: DiscordAdapter
) -> None:
    huge = alert(
        "T" * 10_000,
        parties=tuple(f"Company {i} *with* _markdown_" for i in range(300)),
        amount="$" + "9" * 3000,
        round="R" * 3000,
        evidence=tuple("evidence " * 400 for _ in range(10)),
        also_reported_by=tuple(f"Outlet {i}" for i in range(500)),
        summary="summary " * 2000,
        source="S" * 5000,
        url="https://news.example/" + "p" * 5000,  # too long for an embed url: dropped, not sent
    )
    await adapter.post(CHANNEL, huge, idempotency_key="huge")
    assert_clean(standin)
    embed = embed_of(standin.posts[0])
    assert "url" not in embed
    total = len(embed["title"]) + len(embed.get("description", "")) + len(embed["footer"]["text"])
    total += sum(len(f["name"]) + len(f["value"]) for f in embed["fields"])
    assert total <= 6000
    assert all(len(f["value"]) <= 1024 for f in embed["fields"])
    assert "more" in {f["name"]: f["value"] for f in embed["fields"]}["Parties"]


async def test_stand_in_detects_pings_and_oversize_payloads(standin: DiscordStandIn) -> None:
    """The zero-ping/zero-violation assertions above mean something only if the stand-in can see them."""
    url = f"{standin.api_base}/channels/42/messages"
    headers = {"Authorization": f"Bot {standin.token}"}
    async with aiohttp.ClientSession() as session:
        async with session.post(
            url, json={"content": "@everyone <@&123456789012345678>"}, headers=headers
        ) as r:
            assert r.status == 200
        async with session.post(url, json={"embeds": [{"title": "x" * 300}]}, headers=headers) as r:
            assert r.status == 400
            body = await r.json()
            assert r.headers["Content-Type"] == "application/json"
            assert body["code"] == 50035 and "_errors" in body["errors"]["embeds"]["0"]["title"]
        async with session.post(url, json={"content": "y" * 2001}, headers=headers) as r:
            assert r.status == 400
    assert [p["mentions"] for p in standin.pings] == [["@everyone", "<@&123456789012345678>"]]
    assert len(standin.violations) == 2


async def test_update_edits_the_message_in_place(
    standin: DiscordStandIn, adapter: DiscordAdapter
) -> None:
    posted = await adapter.post(CHANNEL, alert(), idempotency_key="upd")
    updated = await adapter.update(
        CHANNEL, posted.message_id, alert(amount="$8B", title="@everyone doubled")
    )
    assert updated.message_id == posted.message_id
    assert_clean(standin)
    edit = standin.edits[0]
    assert edit["payload"]["allowed_mentions"] == {"parse": []}
    fields = {f["name"]: f["value"] for f in edit["payload"]["embeds"][0]["fields"]}
    assert fields["Amount"] == "$8B"
    assert standin.messages[int(posted.message_id)]["embeds"][0]["title"].startswith(
        "💰 @\u200beveryone"
    )


async def test_update_of_unknown_message_is_not_retryable(
    standin: DiscordStandIn, adapter: DiscordAdapter
) -> None:
    with pytest.raises(DeliveryError) as caught:
        await adapter.update(CHANNEL, "1234", alert())
    assert caught.value.retryable is False
    assert "unknown message" in str(caught.value)


async def test_retried_send_with_same_key_is_deduplicated_by_nonce(
    standin: DiscordStandIn, adapter: DiscordAdapter
) -> None:
    first = await adapter.post(CHANNEL, alert(), idempotency_key="delivery-7")
    again = await adapter.post(CHANNEL, alert(), idempotency_key="delivery-7")
    other = await adapter.post(CHANNEL, alert(), idempotency_key="delivery-8")
    assert again.message_id == first.message_id
    assert other.message_id != first.message_id
    assert len(standin.posts) == 2
    assert standin.nonce_hits == [
        {
            "channel_id": int(CHANNEL.channel),
            "nonce": nonce_for("delivery-7"),
            "message_id": int(first.message_id),
        }
    ]
    assert len(nonce_for("x" * 1000)) <= 25


# ---------------------------------------------------------------------- rate limits and faults


async def test_per_route_429_is_retried_by_discord_py(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without X-RateLimit headers discord.py cannot pre-empt, so the bucket answers 429s.
    stand_in = DiscordStandIn(message_limit=(2, 0.3), send_ratelimit_headers=False)
    await stand_in.start()
    monkeypatch.setattr(discord.http.Route, "BASE", stand_in.api_base)
    adapter = make_adapter(stand_in)
    try:
        results = [
            await adapter.post(CHANNEL, alert(), idempotency_key=f"rl-{i}") for i in range(4)
        ]
    finally:
        await adapter.close()
        await stand_in.close()
    assert len({r.message_id for r in results}) == 4
    assert len(stand_in.posts) == 4
    assert stand_in.rate_limited and not any(r["global"] for r in stand_in.rate_limited)
    assert stand_in.violations == []


async def test_ratelimit_headers_make_discord_py_wait_instead_of_429(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stand_in = DiscordStandIn(message_limit=(2, 0.3))
    await stand_in.start()
    monkeypatch.setattr(discord.http.Route, "BASE", stand_in.api_base)
    adapter = make_adapter(stand_in)
    try:
        started = time.monotonic()
        for i in range(4):
            await adapter.post(CHANNEL, alert(), idempotency_key=f"hdr-{i}")
        elapsed = time.monotonic() - started
    finally:
        await adapter.close()
        await stand_in.close()
    assert stand_in.rate_limited == []
    assert len(stand_in.posts) == 4
    assert elapsed >= 0.25  # it waited for the bucket to reset


async def test_global_429_holds_every_request(
    standin: DiscordStandIn, adapter: DiscordAdapter
) -> None:
    await adapter.post(CHANNEL, alert(), idempotency_key="warm-up")  # log in first
    standin.fail_next(
        1, 429, retry_after=0.4, is_global=True, path_contains=f"/channels/{CHANNEL.channel}/"
    )
    started = time.monotonic()
    first = asyncio.create_task(adapter.post(CHANNEL, alert(), idempotency_key="g1"))
    await standin.wait_for(lambda: standin.rate_limited)
    second = await adapter.post(OTHER_CHANNEL, alert(), idempotency_key="g2")
    second_done = time.monotonic() - started
    await first
    assert standin.rate_limited[0]["global"] is True
    assert second_done >= 0.3  # the unrelated channel waited for the global lock
    assert second.message_id
    assert len(standin.posts) == 3


async def test_long_retry_after_raises_instead_of_sleeping(
    standin: DiscordStandIn, adapter: DiscordAdapter
) -> None:
    standin.fail_next(1, 429, retry_after=120.0, method="POST")
    started = time.monotonic()
    with pytest.raises(DeliveryError) as caught:
        await adapter.post(CHANNEL, alert(), idempotency_key="long")
    assert time.monotonic() - started < 5
    assert caught.value.retryable is True
    assert caught.value.retry_after_s == pytest.approx(120.0)


async def test_429_without_via_header_is_retryable(
    standin: DiscordStandIn, adapter: DiscordAdapter
) -> None:
    standin.fail_next(1, 429, retry_after=1.0, via=False, method="POST")
    with pytest.raises(DeliveryError) as caught:
        await adapter.post(CHANNEL, alert(), idempotency_key="cf")
    assert caught.value.retryable is True
    assert caught.value.retry_after_s == pytest.approx(1.0)


async def test_500_then_success(standin: DiscordStandIn, adapter: DiscordAdapter) -> None:
    standin.fail_next(1, 500, method="POST")
    result = await adapter.post(CHANNEL, alert(), idempotency_key="flaky")
    assert result.message_id == str(standin.posts[0]["message_id"])
    assert len(standin.posts) == 1


async def test_outage_is_retryable(standin: DiscordStandIn, adapter: DiscordAdapter) -> None:
    await adapter.post(CHANNEL, alert(), idempotency_key="before")
    standin.outage(10)
    with pytest.raises(DeliveryError) as caught:
        await adapter.post(CHANNEL, alert(), idempotency_key="during")
    assert caught.value.retryable is True


async def test_failed_login_is_retryable_and_recovers(
    standin: DiscordStandIn, adapter: DiscordAdapter
) -> None:
    standin.outage(10)
    with pytest.raises(DeliveryError) as caught:
        await adapter.post(CHANNEL, alert(), idempotency_key="login")
    assert caught.value.retryable is True
    standin.outage(0)
    result = await adapter.post(CHANNEL, alert(), idempotency_key="login")
    assert result.message_id == str(standin.posts[0]["message_id"])


async def test_network_error_is_retryable(monkeypatch: pytest.MonkeyPatch) -> None:
    stand_in = DiscordStandIn()
    await stand_in.start()
    base = stand_in.api_base
    await stand_in.close()  # nothing listens on that port any more
    monkeypatch.setattr(discord.http.Route, "BASE", base)
    adapter = DiscordAdapter("token", api_base=base)
    try:
        with pytest.raises(DeliveryError) as caught:
            await adapter.post(CHANNEL, alert(), idempotency_key="net")
    finally:
        await adapter.close()
    assert caught.value.retryable is True


@pytest.mark.parametrize(
    ("status", "words"), [(403, "missing permissions"), (404, "unknown channel")]
)
async def test_permission_and_missing_channel_are_not_retryable(
    standin: DiscordStandIn, adapter: DiscordAdapter, status: int, words: str
) -> None:
    standin.set_channel_error(int(CHANNEL.channel), status)
    with pytest.raises(DeliveryError) as caught:
        await adapter.post(CHANNEL, alert(), idempotency_key="perm")
    assert caught.value.retryable is False
    assert words in str(caught.value)
    assert standin.token not in str(caught.value)


async def test_invalid_form_body_is_not_retryable(
    standin: DiscordStandIn, adapter: DiscordAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(message: AlertMessage) -> discord.Embed:
        return discord.Embed(title="x" * 300)  # over the 256 limit: the stand-in answers 400 50035

    monkeypatch.setattr(DiscordAdapter, "render_embed", staticmethod(broken))
    with pytest.raises(DeliveryError) as caught:
        await adapter.post(CHANNEL, alert(), idempotency_key="400")
    assert caught.value.retryable is False
    assert "invalid message payload" in str(caught.value)
    assert len(standin.violations) == 1


async def test_bad_channel_id_and_bad_token_are_not_retryable(standin: DiscordStandIn) -> None:
    adapter = make_adapter(standin)
    with pytest.raises(DeliveryError) as caught:
        await adapter.post(ChannelRef("discord", "general"), alert(), idempotency_key="id")
    assert caught.value.retryable is False
    await adapter.close()

    bad = DiscordAdapter("wrong-token", api_base=standin.api_base)
    try:
        with pytest.raises(DeliveryError) as caught:
            await bad.post(CHANNEL, alert(), idempotency_key="tok")
        assert caught.value.retryable is False
        with pytest.raises(AllianceError):
            await bad.start()
    finally:
        await bad.close()


# ---------------------------------------------------------------------- slash commands

COMMANDS = (
    CommandSpec("status", "Show what the bot is watching"),
    CommandSpec(
        "subscribe",
        "Alert this channel about a company",
        args=(ArgSpec("company", "Company name", required=True, autocomplete="companies"),),
        admin_only=True,
    ),
    CommandSpec(
        "search",
        "Search recent deals",
        args=(
            ArgSpec("source", "Only this source", autocomplete="sources"),
            ArgSpec("query", "Words", required=True, rest=True),
        ),
    ),
)


class Recorder:
    def __init__(
        self, reply: tuple[str, bool] = ("ok", False), error: Exception | None = None
    ) -> None:
        self.calls: list[CommandInvocation] = []
        self.reply = reply
        self.error = error

    async def __call__(self, invocation: CommandInvocation) -> tuple[str, bool]:
        self.calls.append(invocation)
        if self.error is not None:
            raise self.error
        return self.reply


async def complete(kind: str, current: str) -> list[str]:
    names = {"companies": ["Anthropic", "OpenAI", "Mistral AI", "x" * 150], "sources": ["Reuters"]}[
        kind
    ]
    return [n for n in names if n.lower().startswith(current.lower())]


@pytest.fixture
async def served(standin: DiscordStandIn) -> AsyncIterator[tuple[DiscordAdapter, Recorder]]:
    recorder = Recorder(reply=("Watching 3 feeds. @everyone <@123456789012345678>", False))
    instance = make_adapter(
        standin, autocomplete_provider=complete, admin_role_ids=[777000000000000001]
    )
    await instance.start(COMMANDS, recorder)
    yield instance, recorder
    await instance.close()


async def test_tree_sync_is_one_validated_put_before_the_gateway(
    standin: DiscordStandIn, served: tuple[DiscordAdapter, Recorder]
) -> None:
    assert_clean(standin)
    assert len(standin.command_puts) == 1
    put = standin.command_puts[0]
    assert put["scope"] == "global"
    assert put["at"] < standin.identifies[0]["at"]  # setup_hook, not on_ready
    (command,) = put["payload"]
    assert command["name"] == "alliance"
    subs = {o["name"]: o for o in command["options"]}
    assert set(subs) == {"status", "subscribe", "search"}
    assert all(o["type"] == 1 for o in subs.values())
    company = subs["subscribe"]["options"][0]
    assert company == {
        "type": 3,
        "name": "company",
        "description": "Company name",
        "required": True,
        "autocomplete": True,
    }
    # Required options first, as Discord demands, whatever the spec's order.
    assert [o["name"] for o in subs["search"]["options"]] == ["query", "source"]


async def test_guild_scoped_sync(standin: DiscordStandIn) -> None:
    instance = make_adapter(standin, command_guild_ids=[1400000000000000001])
    try:
        await instance.start(COMMANDS, Recorder())
    finally:
        await instance.close()
    assert [p["scope"] for p in standin.command_puts] == ["1400000000000000001"]
    assert standin.violations == []


async def test_command_defers_then_follows_up(
    standin: DiscordStandIn, served: tuple[DiscordAdapter, Recorder]
) -> None:
    _, recorder = served
    payload = await standin.inject_interaction(standin.interaction_payload("status"))
    await standin.wait_for(lambda: standin.followups)

    (callback,) = standin.callbacks
    assert callback["type"] == 5 and callback["ephemeral"] is False
    assert callback["latency_s"] < 3.0
    assert callback["with_response"] == "1"
    (followup,) = standin.followups
    assert followup["resolved_loading"] is True  # the thinking message became the reply
    assert followup["payload"]["allowed_mentions"] == {"parse": []}
    assert followup["content"].startswith("Watching 3 feeds.")
    assert standin.visible_replies(payload["id"]) == [(followup["content"], False)]
    assert_clean(standin)

    (invocation,) = recorder.calls
    assert invocation.name == "status"
    assert invocation.is_admin is False
    assert invocation.user_id == payload["member"]["user"]["id"]
    assert invocation.user_name == "alice"
    assert invocation.channel == ChannelRef("discord", payload["channel_id"], payload["guild_id"])


async def test_options_reach_the_handler(
    standin: DiscordStandIn, served: tuple[DiscordAdapter, Recorder]
) -> None:
    _, recorder = served
    await standin.inject_interaction(
        standin.interaction_payload("search", {"query": "series b robotics", "source": "Reuters"})
    )
    await standin.wait_for(lambda: standin.followups)
    (invocation,) = recorder.calls
    assert invocation.options == {"source": "Reuters", "query": "series b robotics"}
    assert invocation.text == "Reuters series b robotics"


@pytest.mark.parametrize(
    ("permissions", "roles", "expected"),
    [
        (SEND_MESSAGES, [], False),
        (SEND_MESSAGES | MANAGE_GUILD, [], True),
        (SEND_MESSAGES, [777000000000000001], True),
    ],
    ids=["member", "manage-server", "admin-role"],
)
async def test_admin_flag(
    standin: DiscordStandIn,
    served: tuple[DiscordAdapter, Recorder],
    permissions: int,
    roles: list[int],
    expected: bool,
) -> None:
    _, recorder = served
    await standin.inject_interaction(
        standin.interaction_payload("status", permissions=permissions, roles=roles)
    )
    await standin.wait_for(lambda: standin.followups)
    assert recorder.calls[0].is_admin is expected


async def test_admin_only_command(
    standin: DiscordStandIn, served: tuple[DiscordAdapter, Recorder]
) -> None:
    _, recorder = served
    refused = await standin.inject_interaction(
        standin.interaction_payload("subscribe", {"company": "Anthropic"})
    )
    await standin.wait_for(lambda: standin.followups)
    assert recorder.calls == []  # refused before the handler
    assert standin.callbacks[0]["ephemeral"] is True  # admin/config replies defer ephemerally
    assert standin.visible_replies(refused["id"]) == [(ADMIN_ONLY, True)]

    await standin.inject_interaction(
        standin.interaction_payload("subscribe", {"company": "Anthropic"}, permissions=MANAGE_GUILD)
    )
    await standin.wait_for(lambda: len(standin.followups) == 2)
    assert recorder.calls[0].options == {"company": "Anthropic"} and recorder.calls[0].is_admin
    assert_clean(standin)


async def test_handler_failures_become_polite_replies(standin: DiscordStandIn) -> None:
    for error, expected in (
        (RuntimeError("db exploded at /srv/x.py:12"), POLITE_FAILURE),
        (CommandError("Unknown company 'Foo'."), "Unknown company 'Foo'."),
    ):
        instance = make_adapter(standin)
        try:
            await instance.start(COMMANDS, Recorder(error=error))
            # "status" defers publicly; the error reply must still be private.
            payload = await standin.inject_interaction(standin.interaction_payload("status"))
            deleted = functools.partial(operator.contains, standin.deleted_originals, payload["id"])
            await standin.wait_for(deleted)
        finally:
            await instance.close()
        assert standin.visible_replies(payload["id"]) == [(expected, True)]
        assert "Traceback" not in expected
    assert_clean(standin)


@pytest.mark.parametrize(
    ("subcommand", "options", "reply"),
    [
        ("status", {}, ("only you see this", True)),  # public defer, private reply
        ("subscribe", {"company": "Mistral"}, ("Subscribed this channel", False)),  # the reverse
    ],
)
async def test_reply_visibility_follows_the_handler(
    standin: DiscordStandIn, subcommand: str, options: dict[str, str], reply: tuple[str, bool]
) -> None:
    instance = make_adapter(standin)
    try:
        await instance.start(COMMANDS, Recorder(reply=reply))
        payload = await standin.inject_interaction(
            standin.interaction_payload(subcommand, options, permissions=MANAGE_GUILD)
        )
        await standin.wait_for(lambda: payload["id"] in standin.deleted_originals)
    finally:
        await instance.close()
    assert standin.visible_replies(payload["id"]) == [reply]
    assert standin.followups[-1]["payload"].get("flags", 0) & EPHEMERAL == (
        EPHEMERAL if reply[1] else 0
    )
    assert_clean(standin)


async def test_autocomplete_asks_the_provider(
    standin: DiscordStandIn, served: tuple[DiscordAdapter, Recorder]
) -> None:
    await standin.inject_interaction(
        standin.interaction_payload(
            "subscribe", {"company": "an"}, interaction_type=4, focused="company"
        )
    )
    await standin.wait_for(lambda: standin.callbacks)
    (callback,) = standin.callbacks
    assert callback["type"] == 8
    assert callback["data"]["choices"] == [{"name": "Anthropic", "value": "Anthropic"}]
    assert_clean(standin)


async def test_autosharded_client_uses_gateway_bot(standin: DiscordStandIn) -> None:
    instance = make_adapter(standin, many_guilds=True)
    try:
        await instance.start(COMMANDS, Recorder())
        assert isinstance(instance.client, discord.AutoShardedClient)
    finally:
        await instance.close()
    assert ("GET", "/api/v10/gateway/bot") in standin.requests
    assert standin.identifies[0]["shard"] == [0, 1]
