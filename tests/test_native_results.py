"""The native Engine's result constructors (native/src/pyout.rs) build the same objects
whichever way they run.

``pyout::Ctor`` runs ``classify._fast_constructor``'s functions natively (their own
``object.__new__`` and member descriptors) and calls any other constructor as it is.  Here
an Engine given the real constructors (native path) and Engines given the plain classes or
wrapping lambdas (called path) must return equal ``Match``es, of the same types, on every
story of bench/data/written_*.jsonl.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from bot.matcher import native
from bot.types import Amount, Evidence, Match
from tests.native_corpus import stories as written

_native = native.load()
if _native is None:
    pytest.skip("bot.matcher._native is not built (scripts/build_native.sh)", allow_module_level=True)

classify = importlib.import_module("bot.matcher.classify")
_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def matcher():
    from bot.matcher import Matcher, default_watchlist_path, load_watchlist

    return Matcher(load_watchlist(default_watchlist_path()))


def test_real_constructors_run_natively(matcher):
    assert matcher._engine is not None
    assert matcher._engine.native_constructors == (True, True, True)


@pytest.mark.parametrize("kind", ["classes", "lambdas"])
def test_called_constructors_give_the_same_matches(matcher, kind):
    if kind == "classes":
        ctors = (Match, Evidence, Amount)
    else:
        ctors = (lambda *a: Match(*a), lambda *a: Evidence(*a), lambda *a: Amount(*a))
    other = _native.Engine(matcher, *ctors)
    assert other.native_constructors == (False, False, False)
    stories = list(written(False))
    assert stories, "bench/data/written_*.jsonl holds no story"
    compared = 0
    for title, summary in stories:
        a = matcher._engine.classify(title, summary)
        b = other.classify(title, summary)
        assert (a is None) == (b is None)
        if a is None:
            continue
        assert type(a) is Match and type(b) is Match
        assert a == b, (title, summary)
        assert all(type(e) is Evidence for e in a.evidence)
        assert a.amount is None or type(a.amount) is Amount
        compared += 1
    assert compared > 100
