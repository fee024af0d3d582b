"""AI detection, Unicode normalisation and evidence offsets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.matcher import Matcher, default_watchlist_path, load_watchlist
from bot.matcher.normalize import normalize
from bot.types import Match, Story

MATCHER = Matcher(load_watchlist(default_watchlist_path()))


def story(title: str, summary: str = "") -> Story:
    return Story("t", "k", "", title, summary, datetime(2024, 1, 1, tzinfo=UTC))


def classify(title: str, summary: str = "") -> Match:
    return MATCHER.classify(story(title, summary))


@pytest.mark.parametrize(
    "title",
    [
        "Zentrix raises $5M for its AI-powered accounting tool",
        "Zentrix builds machine learning models for farms",
        "Anthropic opens an office in Tokyo",  # AI lab by mention
        "Zentrix ships a chatbot for banks",
        "Zentrix makes GPUs cheaper to rent",
        "Zentrix cuts inference costs for model builders",
    ],
)
def test_ai_true(title: str) -> None:
    assert classify(title).ai


@pytest.mark.parametrize(
    "title",
    [
        "Zentrix raises $5M for payroll software",
        "Microsoft reports quarterly earnings",  # big tech without AI
        "Said the maid: the aim was paid",
        "Type inference and Bayesian inference in Swift 7",  # inference outside AI
        "MLB playoffs and AIDS research funding",  # letters that only look like AI / ML
    ],
)
def test_ai_false(title: str) -> None:
    assert not classify(title).ai


def test_zero_width_and_bidi_are_removed() -> None:
    n = normalize("Open\u200bAI partners with \u202aMeta\u202c")
    assert n.text == "OpenAI partners with Meta"
    m = classify("Open\u200bAI partners with Mis\u200dtral")
    assert m.events == ("partnership",)
    assert "OpenAI" in m.parties and "Mistral AI" in m.parties


def test_nfkc_folds_fullwidth() -> None:
    m = classify("Ｚｅｎｔｒｉｘ raises $10M for its ＡＩ agents")
    assert m.ai and m.events == ("funding",)


def test_evidence_offsets_refer_to_original_text() -> None:
    s = story(
        "Open\u200bAI and Zen\u200btrix partner on AI ﬁnance — raises €5M",
        "Zen\u2060trix, an AI startup, has raised €5 million in seed funding led by Sequoia.",
    )
    m = MATCHER.classify(s)
    assert m.evidence
    for ev in m.evidence:
        text = getattr(s, ev.field)
        assert text[ev.start : ev.end] == ev.quote
        assert 0 <= ev.start < ev.end <= len(text)


def test_evidence_offsets_plain_ascii() -> None:
    s = story("Zentrix raises $40M Series A to build AI agents")
    for ev in MATCHER.classify(s).evidence:
        assert s.title[ev.start : ev.end] == ev.quote
