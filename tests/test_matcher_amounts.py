"""Amount parsing: currency forms, scales, and valuation exclusion (sentences written for tests)."""

from __future__ import annotations

import pytest

from bot.matcher.amounts import find_amounts, is_bare_price


@pytest.mark.parametrize(
    ("text", "value", "currency"),
    [
        ("Acme raises $111 million", 111_000_000, "USD"),
        ("Acme raises €105M", 105_000_000, "EUR"),
        ("Acme raises $2.5B", 2_500_000_000, "USD"),
        ("Acme raised 1.2 billion dollars", 1_200_000_000, "USD"),
        ("Acme lands £40m", 40_000_000, "GBP"),
        ("Acme secures ¥10 billion", 10_000_000_000, "JPY"),
        ("Acme raises ₹500 crore", 5_000_000_000, "INR"),
        ("Acme raises Rs 500 crore", 5_000_000_000, "INR"),
        ("Acme lands US$48.5M", 48_500_000, "USD"),
        ("Acme gets C$20 million", 20_000_000, "CAD"),
        ("Acme gets A$7.5M", 7_500_000, "AUD"),
        ("Acme raises CHF 30 million", 30_000_000, "CHF"),
        ("Acme raises SEK 200m", 200_000_000, "SEK"),
        ("Acme raises 10 billion yen", 10_000_000_000, "JPY"),
        ("Acme signs $100M+ deal", 100_000_000, "USD"),
        ("Acme raises $5+ million", 5_000_000, "USD"),
        ("Acme raises $12,500,000", 12_500_000, "USD"),
        ("Acme signs 11 billion dirham supply deal", 11_000_000_000, "AED"),
        ("Acme raises 45 million reais", 45_000_000, "BRL"),
        ("Acme raises SAR 140 million", 140_000_000, "SAR"),
    ],
)
def test_currency_forms(text: str, value: float, currency: str) -> None:
    hits = find_amounts(text)
    assert hits, text
    assert hits[0].value == pytest.approx(value)
    assert hits[0].currency == currency


@pytest.mark.parametrize(
    "text",
    [
        "Acme raises $50M at a $2B valuation",
        "Acme raises $50M at $2B post-money valuation",
        "Acme, valued at $2 billion, raises $50M",
        "Acme raises $50M, leaping to a $2B valuation",
        "Acme raises $50M in a share sale that values the company at $2B",
        "Acme raises $50M, valuing it at $2 billion",
    ],
)
def test_valuation_is_flagged(text: str) -> None:
    hits = find_amounts(text)
    raise_hits = [h for h in hits if not h.valuation]
    val_hits = [h for h in hits if h.valuation]
    assert [h.value for h in raise_hits] == [50_000_000]
    assert [h.value for h in val_hits] == [2_000_000_000]


def test_bare_numbers_are_not_money() -> None:
    assert find_amounts("Acme will deploy 10 gigawatts for 1,000 businesses") == []


def test_prices_are_bare() -> None:
    (hit,) = find_amounts("A new plan costs $20 a month")
    assert is_bare_price(hit)
    (hit,) = find_amounts("Acme raises $20 million")
    assert not is_bare_price(hit)
