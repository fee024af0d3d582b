"""SlackAdapter driven through the real slack_sdk / slack-bolt stacks against the loopback stand-in."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.base import AlertMessage, ChannelRef, CommandInvocation, DeliveryError
from adapters.slack_adapter import ADMIN_ONLY, POLITE_FAILURE, SlackAdapter, split_args
from bot.commandspec import ArgSpec, CommandSpec
from bot.errors import AllianceError, CommandError
from tests.fakes.slack_standin import SlackStandIn, angle_constructs, send_slash_command, sign

SECRET = "test-signing-secret"
CHANNEL = ChannelRef("slack", "C0ALERTS")

HOSTILE_TITLES = [
    "<!channel> OpenAI partners with Microsoft",
    "<!here> <!everyone> <@U0123ABC> <!subteam^S0123|@team> pings",
    "&lt;!channel&gt; pre-escaped entities must stay literal",
    "<https://evil.example|click here> to claim",
    "@everyone @channel bare words",
    "Funding " + "&<>" * 3500,  # ~10 kB, every character needs escaping
    "🤖🚀 Anthropic × 🇯🇵 Sakana — شراكة جديدة עם OpenAI \u202eevil\u202c",
]


def alert(title: str = "Anthropic raises $4B from Amazon", **overrides: Any) -> AlertMessage:
    base = AlertMessage(
        title=title,
        url="https://news.example/story?id=1&src=feed",
        events=("funding",),
        parties=("Anthropic", "Amazon & Co"),
        amount="$4B",
        round="Series E",
        evidence=("Amazon will invest up to $4 billion <in> Anthropic",),
        source="TechCrunch",
        also_reported_by=("Reuters", "The Verge"),
        published=datetime(2024, 3, 27, 12, 30, tzinfo=UTC),
    )
    return dataclasses.replace(base, **overrides)


@pytest.fixture
async def standin() -> AsyncIterator[SlackStandIn]:
    stand_in = SlackStandIn(retry_after_s=0)
    stand_in.set_user("U1ALICE", name="alice")
    stand_in.set_user("U2ADMIN", name="bob", is_admin=True)
    stand_in.set_user("U3OWNER", name="carol", is_owner=True)
    stand_in.set_user("U0LISTED", name="dave")
    await stand_in.start()
    yield stand_in
    await stand_in.close()


def make_adapter(stand_in: SlackStandIn, **options: Any) -> SlackAdapter:
    options.setdefault("max_rate_limit_retries", 2)
    return SlackAdapter(
        stand_in.token,
        signing_secret=SECRET,
        api_base=stand_in.api_base,
        host="127.0.0.1",
        port=0,
        admin_user_ids=("U0LISTED",),
        **options,
    )


@pytest.fixture
async def adapter(standin: SlackStandIn) -> AsyncIterator[SlackAdapter]:
    instance = make_adapter(standin)
    yield instance
    await instance.close()


def all_texts(params: dict[str, Any]) -> list[str]:
    texts = [params["text"]]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    texts.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(params["blocks"])
    return texts


def more_than(items: list[Any], count: int) -> bool:
    return len(items) > count


def assert_clean(stand_in: SlackStandIn) -> None:
    assert stand_in.violations == []
    assert stand_in.pings == []
    assert stand_in.links == []


# ---------------------------------------------------------------------- posting


@pytest.mark.parametrize("title", HOSTILE_TITLES, ids=lambda t: t[:20])
async def test_hostile_titles_post_without_pings_or_violations(
    standin: SlackStandIn, adapter: SlackAdapter, title: str
) -> None:
    result = await adapter.post(CHANNEL, alert(title), idempotency_key="k")
    assert_clean(standin)
    params = standin.posts[-1]["params"]
    assert result.message_id == standin.posts[-1]["ts"]
    assert params["unfurl_links"] is False and params["unfurl_media"] is False
    assert "link_names" not in params and "parse" not in params
    header = params["blocks"][0]
    assert header["type"] == "header" and header["text"]["type"] == "plain_text"
    assert len(header["text"]["text"]) <= 150
    # The only control sequence anywhere is the <!date^…> we put in ourselves.
    for text in all_texts(params):
        assert all(c.startswith("<!date^") for c in angle_constructs(text)), text
        # Never a cut entity such as "&am…" or "&l…".
        assert not re.search(r"&(?!amp;|lt;|gt;)", text), text
    if title.startswith("&lt;"):
        assert "&amp;lt;!channel&amp;gt;" in header["text"]["text"]
    if "شراكة" in title:
        assert "شراكة" in header["text"]["text"] and "\u202e" not in header["text"]["text"]


async def test_truncation_never_splits_an_entity(
    standin: SlackStandIn, adapter: SlackAdapter
) -> None:
    await adapter.post(CHANNEL, alert("&" * 500), idempotency_key="amp")
    header = standin.posts[0]["params"]["blocks"][0]["text"]["text"]
    assert re.fullmatch(r"💰 (?:&amp;)+…", header)
    assert len(header) <= 150
    assert_clean(standin)


async def test_blocks_render_every_part_of_the_alert(
    standin: SlackStandIn, adapter: SlackAdapter
) -> None:
    await adapter.post(CHANNEL, alert(), idempotency_key="render")
    assert_clean(standin)
    params = standin.posts[0]["params"]
    header, section, context, actions = params["blocks"]
    assert header["text"]["text"] == "💰 Anthropic raises $4B from Amazon"
    fields = [f["text"] for f in section["fields"]]
    assert fields[:3] == [
        "*Parties*\nAnthropic, Amazon &amp; Co",
        "*Amount*\n$4B",
        "*Round*\nSeries E",
    ]
    context_texts = [e["text"] for e in context["elements"]]
    assert context_texts[0] == "“Amazon will invest up to $4 billion &lt;in&gt; Anthropic”"
    assert (
        "Source: TechCrunch" in context_texts[1]
        and "Also reported by: Reuters, The Verge" in context_texts[1]
    )
    assert "<!date^1711542600^" in context_texts[1]
    button = actions["elements"][0]
    assert (
        button["url"] == "https://news.example/story?id=1&src=feed"
    )  # link targets are not entity-encoded
    assert params["text"] == "💰 Funding: Anthropic raises $4B from Amazon (TechCrunch)"


async def test_unsafe_url_gets_no_button(standin: SlackStandIn, adapter: SlackAdapter) -> None:
    await adapter.post(CHANNEL, alert(url="javascript:alert(1)"), idempotency_key="js")
    assert [b["type"] for b in standin.posts[0]["params"]["blocks"]] == [
        "header",
        "section",
        "context",
    ]


async def test_huge_alert_stays_within_block_kit_limits(
    standin: SlackStandIn, adapter: SlackAdapter
) -> None:
    huge = alert(
        "T" * 10_000,
        parties=tuple(f"Company <{i}>" for i in range(500)),
        amount="$" + "9" * 5000,
        round="&" * 5000,
        evidence=tuple("evidence & more " * 500 for _ in range(10)),
        also_reported_by=tuple(f"Outlet & {i}" for i in range(1000)),
        summary="summary <b> " * 2000,
        source="S" * 5000,
    )
    await adapter.post(CHANNEL, huge, idempotency_key="huge")
    assert_clean(standin)
    params = standin.posts[0]["params"]
    assert len(params["text"]) <= SlackAdapter.FALLBACK_TEXT_MAX
    assert all(len(f["text"]) <= 2000 for f in params["blocks"][1]["fields"])


async def test_stand_in_detects_pings_links_and_bad_blocks(
    standin: SlackStandIn, adapter: SlackAdapter
) -> None:
    """The zero-ping/zero-violation assertions mean something only if the stand-in can see them."""
    client = adapter.client
    await client.chat_postMessage(channel="C1", text="<!channel> see <https://evil.example|this>")
    await client.chat_postMessage(channel="C1", text="hi @here", link_names=True)
    with pytest.raises(Exception) as caught:
        await client.chat_postMessage(
            channel="C1",
            text="x",
            blocks=[{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
        )
    assert "invalid_blocks" in str(caught.value)
    assert [p["mentions"] for p in standin.pings] == [["<!channel>"], ["link_names=true"]]
    assert standin.links[0]["links"] == ["<https://evil.example|this>"]
    assert len(standin.violations) == 1


async def test_update_uses_chat_update(standin: SlackStandIn, adapter: SlackAdapter) -> None:
    posted = await adapter.post(CHANNEL, alert(), idempotency_key="u")
    updated = await adapter.update(
        CHANNEL, posted.message_id, alert(amount="$8B", title="<!channel> doubled")
    )
    assert updated.message_id == posted.message_id
    (update,) = standin.updates
    assert update["ts"] == posted.message_id
    assert update["params"]["blocks"][1]["fields"][1]["text"] == "*Amount*\n$8B"
    assert_clean(standin)


# ---------------------------------------------------------------------- rate limits and errors


async def test_retry_after_is_honoured_by_the_sdk(
    standin: SlackStandIn, adapter: SlackAdapter
) -> None:
    standin.fail_next(2, "ratelimited", retry_after=0, method="chat.postMessage")
    started = time.monotonic()
    result = await adapter.post(CHANNEL, alert(), idempotency_key="rl")
    assert result.message_id == standin.posts[0]["ts"]
    assert len(standin.rate_limited) == 2
    assert time.monotonic() - started < 3.5  # Retry-After: 0 plus at most 1 s jitter per retry


async def test_rate_limit_beyond_retries_is_retryable_with_retry_after(
    standin: SlackStandIn,
) -> None:
    stand_in = SlackStandIn(burst=1, per_channel_rate=0.1, retry_after_s=7)
    await stand_in.start()
    adapter = make_adapter(stand_in, max_rate_limit_retries=0)
    try:
        await adapter.post(CHANNEL, alert(), idempotency_key="a")
        with pytest.raises(DeliveryError) as caught:
            await adapter.post(CHANNEL, alert(), idempotency_key="b")
    finally:
        await adapter.close()
        await stand_in.close()
    assert caught.value.retryable is True
    assert caught.value.retry_after_s == 7
    assert stand_in.rate_limited[0]["channel"] == CHANNEL.channel


async def test_500_then_success(standin: SlackStandIn, adapter: SlackAdapter) -> None:
    standin.fail_next(1, "internal_error", status=500, method="chat.postMessage")
    with pytest.raises(DeliveryError) as caught:
        await adapter.post(CHANNEL, alert(), idempotency_key="flaky")
    assert caught.value.retryable is True
    result = await adapter.post(CHANNEL, alert(), idempotency_key="flaky")
    assert result.message_id == standin.posts[0]["ts"]


async def test_outage_and_network_errors_are_retryable(
    standin: SlackStandIn, adapter: SlackAdapter
) -> None:
    standin.outage(10)
    with pytest.raises(DeliveryError) as caught:
        await adapter.post(CHANNEL, alert(), idempotency_key="o")
    assert caught.value.retryable is True

    gone = SlackStandIn()
    await gone.start()
    base = gone.api_base
    await gone.close()
    offline = SlackAdapter("xoxb-x", signing_secret=SECRET, api_base=base, max_rate_limit_retries=0)
    with pytest.raises(DeliveryError) as caught:
        await offline.post(CHANNEL, alert(), idempotency_key="n")
    assert caught.value.retryable is True


@pytest.mark.parametrize(
    "error",
    [
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "missing_scope",
        "invalid_auth",
        "account_inactive",
        "invalid_blocks",
        "msg_too_long",
    ],
)
async def test_permanent_errors_are_not_retryable(
    standin: SlackStandIn, adapter: SlackAdapter, error: str
) -> None:
    standin.fail_next(1, error, method="chat.postMessage")
    with pytest.raises(DeliveryError) as caught:
        await adapter.post(CHANNEL, alert(), idempotency_key="p")
    assert caught.value.retryable is False
    assert error in str(caught.value)
    assert standin.token not in str(caught.value)


async def test_channel_error_and_real_invalid_blocks(
    standin: SlackStandIn, adapter: SlackAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    standin.set_channel_error("C0GONE", "channel_not_found")
    with pytest.raises(DeliveryError) as caught:
        await adapter.post(ChannelRef("slack", "C0GONE"), alert(), idempotency_key="gone")
    assert caught.value.retryable is False

    def broken(message: AlertMessage) -> tuple[str, list[dict[str, Any]]]:
        return "x", [{"type": "header", "text": {"type": "plain_text", "text": "h" * 200}}]

    monkeypatch.setattr(SlackAdapter, "render", staticmethod(broken))
    with pytest.raises(DeliveryError) as caught:
        await adapter.post(CHANNEL, alert(), idempotency_key="blocks")
    assert caught.value.retryable is False and "invalid_blocks" in str(caught.value)
    assert len(standin.violations) == 1


async def test_bad_token_fails_start(standin: SlackStandIn) -> None:
    bad = SlackAdapter("xoxb-wrong", signing_secret=SECRET, api_base=standin.api_base)
    with pytest.raises(AllianceError, match="invalid_auth"):
        await bad.start()
    with pytest.raises(DeliveryError) as caught:
        await bad.post(CHANNEL, alert(), idempotency_key="t")
    assert caught.value.retryable is False
    await bad.close()


# ---------------------------------------------------------------------- slash commands

COMMANDS = (
    CommandSpec("status", "Show what the bot is watching"),
    CommandSpec(
        "subscribe",
        "Alert this channel about a company",
        args=(ArgSpec("company", "Company", required=True),),
        admin_only=True,
    ),
    CommandSpec(
        "search", "Search", args=(ArgSpec("source", "Source"), ArgSpec("query", "Words", rest=True))
    ),
)


class Recorder:
    def __init__(
        self, reply: tuple[str, bool] = ("ok", False), error: Exception | None = None
    ) -> None:
        self.calls: list[CommandInvocation] = []
        self.reply = reply
        self.error = error
        self.release: asyncio.Event | None = None

    async def __call__(self, invocation: CommandInvocation) -> tuple[str, bool]:
        self.calls.append(invocation)
        if self.release is not None:
            await self.release.wait()
        if self.error is not None:
            raise self.error
        return self.reply


@pytest.fixture
async def served(standin: SlackStandIn) -> AsyncIterator[tuple[SlackAdapter, Recorder, str]]:
    recorder = Recorder(reply=("Watching 3 feeds <!channel> & <https://evil|x>", False))
    instance = make_adapter(standin)
    await instance.start(COMMANDS, recorder)
    assert instance.port
    yield instance, recorder, f"http://127.0.0.1:{instance.port}/slack/events"
    await instance.close()


async def test_signed_command_acks_then_responds(
    standin: SlackStandIn, served: tuple[SlackAdapter, Recorder, str]
) -> None:
    _, recorder, url = served
    status, _, _ = await send_slash_command(
        url, SECRET, text="status", response_url=standin.response_url("a")
    )
    assert status == 200
    (response,) = await standin.wait_for(lambda: standin.responses)
    body = response["body"]
    assert body["response_type"] == "in_channel"
    # The reply is plain text from the core: escaped like feed text, no ping, no link.
    assert body["text"] == "Watching 3 feeds &lt;!channel&gt; &amp; &lt;https://evil|x&gt;"
    assert_clean(standin)
    (invocation,) = recorder.calls
    assert invocation.name == "status" and invocation.is_admin is False
    assert invocation.user_id == "U1ALICE" and invocation.user_name == "alice"
    assert invocation.channel == ChannelRef("slack", "C0ALERTS", "T0TEST")


async def test_ack_comes_before_the_handler_finishes(
    standin: SlackStandIn, served: tuple[SlackAdapter, Recorder, str]
) -> None:
    _, recorder, url = served
    recorder.release = asyncio.Event()
    status, _, seconds = await send_slash_command(
        url, SECRET, text="status", response_url=standin.response_url()
    )
    assert status == 200 and seconds < 3.0
    await standin.wait_for(lambda: recorder.calls)
    assert standin.responses == []  # the handler is still running
    recorder.release.set()
    await standin.wait_for(lambda: standin.responses)


async def test_options_and_entities_reach_the_handler(
    standin: SlackStandIn, served: tuple[SlackAdapter, Recorder, str]
) -> None:
    _, recorder, url = served
    await send_slash_command(
        url,
        SECRET,
        text='search "The Verge" robots & <lasers>',
        response_url=standin.response_url(),
    )
    await standin.wait_for(lambda: standin.responses)
    (invocation,) = recorder.calls
    assert invocation.name == "search"
    assert invocation.text == '"The Verge" robots & <lasers>'
    assert invocation.options == {"source": "The Verge", "query": "robots & <lasers>"}


@pytest.mark.parametrize(
    ("user_id", "expected"),
    [
        ("U1ALICE", False),
        ("U2ADMIN", True),
        ("U3OWNER", True),
        ("U0LISTED", True),
        ("U9UNKNOWN", False),
    ],
)
async def test_admin_flag(
    standin: SlackStandIn, served: tuple[SlackAdapter, Recorder, str], user_id: str, expected: bool
) -> None:
    _, recorder, url = served
    await send_slash_command(
        url, SECRET, text="status", user_id=user_id, response_url=standin.response_url()
    )
    await standin.wait_for(lambda: standin.responses)
    assert recorder.calls[0].is_admin is expected


async def test_admin_only_command(
    standin: SlackStandIn, served: tuple[SlackAdapter, Recorder, str]
) -> None:
    _, recorder, url = served
    await send_slash_command(
        url, SECRET, text="subscribe Anthropic", response_url=standin.response_url("1")
    )
    await standin.wait_for(lambda: standin.responses)
    assert recorder.calls == []
    assert standin.responses[0]["body"] == {
        "text": ADMIN_ONLY,
        "response_type": "ephemeral",
        "replace_original": False,
    }

    await send_slash_command(
        url,
        SECRET,
        text="subscribe Anthropic",
        user_id="U2ADMIN",
        response_url=standin.response_url("2"),
    )
    await standin.wait_for(lambda: len(standin.responses) == 2)
    assert recorder.calls[0].options == {"company": "Anthropic"}


@pytest.mark.parametrize("case", ["bad-signature", "stale-timestamp", "no-signature"])
async def test_unsigned_or_stale_requests_get_401(
    standin: SlackStandIn, served: tuple[SlackAdapter, Recorder, str], case: str
) -> None:
    _, recorder, url = served
    kwargs: dict[str, Any] = {}
    if case == "bad-signature":
        kwargs["signature"] = sign("not-the-secret", str(int(time.time())), "body")
    elif case == "stale-timestamp":
        kwargs["timestamp"] = int(time.time()) - 600  # signed correctly, but 10 minutes old
    else:
        kwargs["signature"] = ""
    status, _, _ = await send_slash_command(
        url, SECRET, text="status", response_url=standin.response_url(), **kwargs
    )
    assert status == 401
    await asyncio.sleep(0.05)
    assert recorder.calls == [] and standin.responses == []


async def test_handler_failures_become_polite_replies(standin: SlackStandIn) -> None:
    for error, expected in (
        (RuntimeError("db exploded at /srv/x.py:12"), POLITE_FAILURE),
        (CommandError("Unknown company 'Foo'."), "Unknown company 'Foo'."),
    ):
        instance = make_adapter(standin)
        try:
            await instance.start(COMMANDS, Recorder(error=error))
            before = len(standin.responses)
            url = f"http://127.0.0.1:{instance.port}/slack/events"
            await send_slash_command(
                url, SECRET, text="status", response_url=standin.response_url()
            )
            await standin.wait_for(functools.partial(more_than, standin.responses, before))
        finally:
            await instance.close()
        body = standin.responses[-1]["body"]
        assert body["text"] == expected
        assert body["response_type"] == "ephemeral"


async def test_unknown_subcommand_gets_help(
    standin: SlackStandIn, served: tuple[SlackAdapter, Recorder, str]
) -> None:
    _, recorder, url = served
    await send_slash_command(url, SECRET, text="frobnicate", response_url=standin.response_url())
    (response,) = await standin.wait_for(lambda: standin.responses)
    assert recorder.calls == []
    assert response["body"]["response_type"] == "ephemeral"
    assert "subscribe &lt;company&gt;" in response["body"]["text"]


async def test_web_app_can_be_served_by_the_caller(standin: SlackStandIn) -> None:
    from aiohttp.test_utils import TestServer

    instance = make_adapter(standin)
    recorder = Recorder()
    instance.register(COMMANDS, recorder)
    server = TestServer(instance.web_app(), host="127.0.0.1", port=0)
    await server.start_server()
    try:
        url = str(server.make_url("/slack/events"))
        status, _, _ = await send_slash_command(
            url, SECRET, text="status", response_url=standin.response_url()
        )
        assert status == 200
        await standin.wait_for(lambda: standin.responses)
    finally:
        await server.close()
        await instance.close()
    assert recorder.calls[0].name == "status"


def test_split_args() -> None:
    spec = CommandSpec(
        "x", "x", args=(ArgSpec("a", "a"), ArgSpec("b", "b"), ArgSpec("rest", "r", rest=True))
    )
    assert split_args(spec, "") == {}
    assert split_args(spec, "one") == {"a": "one"}
    assert split_args(spec, "'two words'  b  the   rest") == {
        "a": "two words",
        "b": "b",
        "rest": "the   rest",
    }
    last = CommandSpec("y", "y", args=(ArgSpec("company", "c"),))
    assert split_args(last, "Mistral AI") == {"company": "Mistral AI"}
