from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.query import QueryError, parse_query
from bot.route import Router
from bot.store.store import Subscription
from bot.types import Amount, Match, Story

T0 = datetime(2026, 11, 1, tzinfo=UTC)
COMPANIES = {
    "mistral": ("Mistral AI", ("mistral ai", "mistral")),
    "anthropic": ("Anthropic", ("anthropic",)),
    "microsoft": ("Microsoft", ("microsoft", "msft")),
}


def resolver(word: str) -> tuple[str, tuple[str, ...]] | None:
    return COMPANIES.get(word.lower())


def s(title: str, summary: str = "") -> Story:
    return Story("TechWire", "k", "https://x.example/a", title, summary, T0)


FUNDING = Match(ai=True, events=("funding",), parties=("Mistral AI", "Lightspeed"), amount=Amount(111e6, "USD"), round="seed")
PARTNER = Match(ai=True, events=("partnership",), parties=("Microsoft", "Mistral AI"))
LAWSUIT = Match(ai=True, events=("partnership",), parties=("Anthropic",))


def m(q: str, story: Story, match: Match) -> bool:
    return parse_query(q, resolver).matches(story, match)


def test_issue_example() -> None:
    q = "event:funding amount>=50M (mistral OR anthropic) NOT lawsuit"
    assert m(q, s("Mistral AI raises $111M seed"), FUNDING)
    assert not m(q, s("Mistral AI raises $111M seed amid lawsuit"), FUNDING)
    assert not m(q, s("Microsoft partners with Mistral"), PARTNER)
    small = Match(ai=True, events=("funding",), parties=("Mistral AI",), amount=Amount(10e6, "USD"))
    assert not m(q, s("Mistral raises $10M"), small)


def test_words_are_whole_words_case_insensitive() -> None:
    assert m("ai", s("An AI startup"), PARTNER)
    assert not m("ai", s("She said so"), PARTNER)
    assert m('"partners with"', s("Microsoft Partners With Mistral"), PARTNER)
    assert not m('"partners with"', s("Microsoft partners, with Mistral"), PARTNER)


def test_company_alias_matches_party_or_text() -> None:
    assert m("mistral", s("A deal"), PARTNER)  # by extracted party
    assert m("msft", s("MSFT signs a deal"), Match(ai=True))  # by alias in text
    assert not m("anthropic", s("Microsoft partners with Mistral"), PARTNER)


def test_precedence_and_operators() -> None:
    assert m("anthropic OR mistral microsoft", s("Microsoft and Mistral"), PARTNER)
    assert m("NOT anthropic", s("Microsoft and Mistral"), PARTNER)
    assert m("-anthropic", s("Microsoft and Mistral"), PARTNER)
    assert m("mistral AND (event:partnership OR event:funding)", s("x"), PARTNER)
    assert not m("event:acquisition", s("x"), PARTNER)
    assert m("round:seed", s("x"), FUNDING) and m("round:series-a", s("x"), Match(ai=True, round="series a"))
    assert m("source:techwire", s("x"), PARTNER)
    assert m("*", s("x"), PARTNER) and m("", s("x"), PARTNER)


def test_amount_units_and_currency_conversion() -> None:
    eur = Match(ai=True, events=("funding",), amount=Amount(100e6, "EUR"))
    assert m("amount>=100M", s("x"), eur)  # ~108M USD
    assert m("amount<1B", s("x"), eur)
    assert not m("amount>=1b", s("x"), eur)
    assert not m("amount>=1", s("x"), Match(ai=True))  # no amount never passes a filter


def test_mode() -> None:
    assert parse_query("mistral mode:digest", resolver).mode == "digest"
    assert parse_query("mistral", resolver).mode == "instant"
    assert parse_query("mode:digest", resolver).matches(s("x"), PARTNER)


@pytest.mark.parametrize(
    ("query", "fragment", "pos"),
    [
        ("event:fundng", "unknown event", 0),
        ("(mistral OR anthropic", "never closed", 0),
        ("mistral)", "without a matching", 7),
        ("mistral OR", "needs something after", 10),
        ("AND mistral", "needs something before", 0),
        ('"open ai', "unclosed quote", 0),
        ("amount>=lots", "amount filters look like", 0),
        ("round:series-z", "unknown round", 0),
        ("mode:loud", "mode is", 0),
        ("()", "empty parentheses", 0),
    ],
)
def test_errors_point_at_the_problem(query: str, fragment: str, pos: int) -> None:
    with pytest.raises(QueryError) as err:
        parse_query(query, resolver)
    assert fragment in str(err.value)
    assert err.value.pos == pos
    assert str(err.value).endswith(query[:pos] + "⟦here⟧" + query[pos:])


def test_router_console_fallback_and_per_channel_once() -> None:
    assert Router.build([]).route(s("x"), PARTNER) == ["console"]
    subs = [
        Subscription(1, "slack:C1", "mistral", "instant", "chat", None, T0),
        Subscription(2, "slack:C1", "microsoft", "instant", "chat", None, T0),
        Subscription(3, "discord:2", "event:funding", "instant", "chat", None, T0),
        Subscription(4, "discord:3", "(((broken", "instant", "chat", None, T0),
    ]
    r = Router.build(subs, resolver)
    assert r.route(s("Microsoft partners with Mistral"), PARTNER) == ["slack:C1"]
    assert r.route(s("Mistral raises"), FUNDING) == ["slack:C1", "discord:2"]
