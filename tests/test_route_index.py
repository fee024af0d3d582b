"""The routing index gives exactly the answer of evaluating every query."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from bot.query import Resolver, parse_query
from bot.route import Router, anchors
from bot.store.store import Subscription
from bot.types import Amount, Match, Story

T0 = datetime(2026, 11, 1, tzinfo=UTC)
COMPANIES = {
    "mistral": ("Mistral AI", ("mistral ai", "mistral")),
    "openai": ("OpenAI", ("openai",)),
    "nvidia": ("Nvidia", ("nvidia", "nvda")),
    "meta": ("Meta", ("meta", "facebook")),
}
WORDS = ["robotics", "chips", "gpt-4", "data", "center", "lawsuit", "europe", "agents", "seed"]
QUERIES = [
    "mistral", "openai OR nvidia", "event:funding", "event:funding amount>=100M", "robotics",
    '"data center"', "NOT lawsuit", "meta -lawsuit", "(mistral OR meta) event:partnership",
    "*", "amount<50M", "round:seed", "source:wire", "gpt-4 AND agents", "chips OR (europe AND event:funding)",
    "nvidia mode:instant",
]


def resolver() -> Resolver:
    return lambda w: COMPANIES.get(w.lower())


def random_story(rng: random.Random, i: int) -> tuple[Story, Match]:
    names = rng.sample(["Mistral AI", "OpenAI", "Nvidia", "Meta", "Acme", "Facebook"], k=rng.randint(0, 3))
    words = rng.sample(WORDS, k=rng.randint(0, 4))
    title = " ".join(names + words) + rng.choice(["", " data-center deal", " GPT-4o"])
    events = tuple(rng.sample(["partnership", "funding", "acquisition"], k=rng.randint(0, 2)))
    amount = Amount(rng.choice([5e6, 60e6, 2e8, 3e9]), rng.choice(["USD", "EUR"])) if rng.random() < 0.5 else None
    match = Match(ai=True, events=events, parties=tuple(names[:2]), amount=amount, round=rng.choice([None, "seed", "series a"]))
    return Story(rng.choice(["Wire", "Other"]), f"k{i}", "", title, "", T0), match


def test_index_equals_full_evaluation() -> None:
    rng = random.Random(7)
    subs = [
        Subscription(i, f"slack:C{i % 23}", rng.choice(QUERIES), "instant", "chat", None, T0)
        for i in range(400)
    ]
    router = Router.build(subs, resolver(), mutes={"slack:C3": ["Meta"]})
    for i in range(500):
        story, match = random_story(rng, i)
        assert router.route(story, match) == router.route_all(story, match), story.title


def test_anchor_rules() -> None:
    r = resolver()
    assert anchors(parse_query("NOT lawsuit", r).node) is None
    assert anchors(parse_query("event:funding mistral", r).node) == frozenset({"p:mistral ai", "w:mistral"})
    assert anchors(parse_query("mistral OR amount>=1M", r).node) is None
    assert anchors(parse_query('"data center"', r).node) == frozenset({"w:center"})


def test_shared_queries_evaluated_once_and_digest_mode_skipped() -> None:
    subs = [
        Subscription(1, "slack:A", "event:funding", "instant", "chat", None, T0),
        Subscription(2, "slack:B", "event:funding", "instant", "chat", None, T0),
        Subscription(3, "slack:C", "event:funding", "digest", "chat", None, T0),
    ]
    router = Router.build(subs, resolver())
    assert len(router.queries) == 1 and router.subscriptions == 2
    story = Story("Wire", "k", "", "x", "", T0)
    assert router.route(story, Match(ai=True, events=("funding",))) == ["slack:A", "slack:B"]
    # Only digest subscriptions: the console fallback stays off.
    assert Router.build(subs[2:], resolver()).route(story, Match(ai=True)) == []
