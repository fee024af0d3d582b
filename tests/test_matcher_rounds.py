from __future__ import annotations

import pytest

from bot.matcher.rounds import find_round


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Acme raises $2M pre-seed round", "pre-seed"),
        ("Acme raises $2M in seed funding", "seed"),
        ("Acme lands $40M Series B", "series b"),
        ("Acme closes Series H-1 round", "series h"),
        ("Acme secures $10M in debt financing", "debt"),
        ("Acme gets a $30M credit facility", "debt"),
        ("Acme closes $50M growth round", "growth"),
        ("Acme raises bridge round ahead of Series C", "bridge"),
        ("Acme announces strategic investment from Bigco", "strategic"),
        ("Acme raises $400M in pre-IPO round", "pre-ipo"),
    ],
)
def test_rounds(text: str, label: str) -> None:
    found = find_round(text)
    assert found is not None
    assert found[0] == label
    assert text[found[1] : found[2]]


def test_no_round() -> None:
    assert find_round("Acme launches a new chatbot") is None
    assert find_round("Series of unfortunate events at Acme") is None
