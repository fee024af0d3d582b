"""Dev-set quality gates; skipped when ../shared/corpus/dev.jsonl is absent."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "dev.jsonl"

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def scores():  # type: ignore[no-untyped-def]
    if not CORPUS.is_file():
        pytest.skip(f"labelled corpus not found at {CORPUS}")
    sys.path.insert(0, str(ROOT))
    from bench.matcher_quality import load_records, score, to_story
    from bot.matcher import Matcher, default_watchlist_path, load_watchlist

    watch = load_watchlist(default_watchlist_path())
    matcher = Matcher(watch)
    return score(load_records(CORPUS), lambda r: matcher.classify(to_story(r)), watch)


def test_alert_f1(scores) -> None:  # type: ignore[no-untyped-def]
    assert scores.prf["alert"].f1 >= 0.95


def test_event_f1(scores) -> None:  # type: ignore[no-untyped-def]
    assert scores.prf["partnership"].f1 >= 0.92
    assert scores.prf["funding"].f1 >= 0.92


def test_amount_accuracy(scores) -> None:  # type: ignore[no-untyped-def]
    assert scores.amount_ok / scores.amount_n >= 0.95


def test_round_accuracy(scores) -> None:  # type: ignore[no-untyped-def]
    assert scores.round_ok / scores.round_n >= 0.90


def test_parties_f1(scores) -> None:  # type: ignore[no-untyped-def]
    assert scores.prf["parties"].f1 >= 0.85
