"""The Matcher's choice between the native port and the Python rules, and the fallback.

Parity of the two on the corpora is tests/test_native_classify.py; this file checks the
wiring: which implementation runs, that text the port does not take reaches the Python
rules, and that CI never silently runs without the port.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.matcher import Matcher, default_watchlist_path, load_watchlist
from bot.matcher.native import load
from bot.types import Story

ROOT = Path(__file__).resolve().parents[1]
WATCH = load_watchlist(default_watchlist_path())


def story(title: str, summary: str = "") -> Story:
    return Story("t", "k", "", title, summary, datetime(2024, 1, 1, tzinfo=UTC))


def test_ci_runs_the_native_port() -> None:
    """CI builds the port (scripts/_venv.sh fails otherwise): the parity tests must not skip."""
    if os.environ.get("CI") != "true":
        pytest.skip("only CI requires the native build (CI=true)")
    assert load() is not None
    assert Matcher(WATCH).implementation == "native"


def test_python_on_request() -> None:
    m = Matcher(WATCH, native=False)
    assert m.implementation == "python"
    got = m.classify(story("Mistral AI raises $111M seed led by Lightspeed"))
    assert got.events == ("funding",) and got.round == "seed"


needs_native = pytest.mark.skipif(load() is None, reason="native port not built (scripts/build_native.sh)")


@needs_native
def test_native_by_default_and_same_answers() -> None:
    native, python = Matcher(WATCH), Matcher(WATCH, native=False)
    assert native.implementation == "native"
    for title, summary in [
        ("Microsoft partners with Mistral AI", ""),
        ("Mistral AI raises $111M seed", "The round was led by Lightspeed Venture Partners."),
        ("Zentrix’s €40m Series B values it at €400m", "Investors include Acme Capital."),
        ("", ""),
        ("The weather is nice", "Nothing about money here."),
    ]:
        s = story(title, summary)
        assert native.classify(s) == python.classify(s)


@needs_native
@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("Straße Robotics raises $5M seed for its AI pickers", ""),  # "ß" casefolds to "ss"
        ("Zentrix raises $5M", "Led by \U00020000 Capital."),  # beyond the table (plane 2)
        ("Zentrix raises $5M", "Led by Acme\u0301 Capital."),  # a combining mark
    ],
)
def test_text_the_port_does_not_take_goes_to_python(title: str, summary: str) -> None:
    native, python = Matcher(WATCH), Matcher(WATCH, native=False)
    s = story(title, summary)
    assert native._engine is not None
    assert native._engine.classify(title, summary) is None
    assert native.classify(s) == python.classify(s)


@needs_native
@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("Open\u200bAI partners with Zentrix", ""),  # a format character: dropped
        ("ＡＣＭＥ raises $5M", "The ﬁrm builds AI chips."),  # full-width letters, a ligature
        ("Zentrix raises\xa0$5M…", "Zentrix™ builds AI chips."),  # NFKC folds
    ],
)
def test_text_with_folds_is_normalised_natively(title: str, summary: str) -> None:
    """Characters the Python matcher folds one by one (normalize._fold_char) are folded by
    the port too (native/src/normalize.rs), with evidence quoting the original text."""
    native, python = Matcher(WATCH), Matcher(WATCH, native=False)
    s = story(title, summary)
    assert native._engine is not None
    assert native._engine.classify(title, summary) == python.classify(s)


def test_env_switch_selects_python_in_a_new_process() -> None:
    """ALLIANCE_MATCHER=python: the operator's escape hatch, read once per process."""
    code = ("from bot.matcher import Matcher, default_watchlist_path, load_watchlist;"
            "print(Matcher(load_watchlist(default_watchlist_path())).implementation)")
    env = {**os.environ, "ALLIANCE_MATCHER": "python"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "python"


def test_an_unusable_build_falls_back_to_python(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stale build (the port reads the Python modules' tables by name) must not stop the
    bot: the Python rules answer, and a warning says how to fix it."""
    from structlog.testing import capture_logs

    # (``bot.matcher.classify`` the attribute is the function; the module is imported by name)
    classify_module = importlib.import_module("bot.matcher.classify")

    class Stale:
        class Engine:
            def __init__(self, *args: object) -> None:
                raise AttributeError("module 'bot.matcher.events' has no attribute '_STARTS'")

    monkeypatch.setattr(classify_module, "load_native", lambda: Stale)
    with capture_logs() as logs:
        m = Matcher(WATCH)
    assert m.implementation == "python"
    assert m.classify(story("Mistral AI raises $111M seed")).round == "seed"
    assert any("native matcher unusable" in e["event"] and "_STARTS" in e["error"] for e in logs)


@needs_native
def test_every_shortcut_derived_from_a_pattern_is_on() -> None:
    """The port's exact shortcuts (byte tests before a regex) are derived from the Python
    patterns and switch themselves off when a pattern changes shape: results stay right,
    but the matcher gets slower without a word. This test is that word."""
    paths = Matcher(WATCH)._engine.fast_paths  # type: ignore[union-attr]
    assert len(paths) >= 6
    off = [name for name, on in paths.items() if not on]
    assert not off, (f"{off}: a Python pattern no longer has the shape the native shortcut was "
                     "derived from; update the shortcut in native/src/ (see its comment)")


@needs_native
def test_a_pattern_of_another_shape_turns_its_shortcut_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """Same language, other spelling: the shortcut must step aside and the answers stay."""
    import re

    from bot.matcher import names

    native = load()
    assert native is not None
    monkeypatch.setattr(names, "_RUN", re.compile("(?:" + names._RUN.pattern + ")"))
    engine_matcher = Matcher(WATCH)
    assert engine_matcher._engine is not None
    assert engine_matcher._engine.fast_paths["names._RUN start test"] is False
    python = Matcher(WATCH, native=False)
    for title, summary in [("Microsoft partners with Mistral AI", "The deal covers Azure."),
                           ("Zentrix, an AI startup, raises $5M led by Acme Ventures", "")]:
        assert engine_matcher.classify(story(title, summary)) == python.classify(story(title, summary))


def test_a_panic_in_the_port_leaves_the_story_to_python() -> None:
    """A Rust panic reaches Python as PanicException (a BaseException): one story must not
    stop a poll, so the Python rules answer it and the log names it."""
    from structlog.testing import capture_logs

    class PanicException(BaseException):  # the name pyo3 gives its panic exception
        pass

    class Exploding:
        def classify(self, title: str, summary: str) -> None:
            raise PanicException("index out of bounds")

    m = Matcher(WATCH, native=False)
    m._engine = Exploding()  # type: ignore[assignment]
    with capture_logs() as logs:
        got = m.classify(story("Mistral AI raises $111M seed"))
    assert got.round == "seed"
    assert any(e["event"].startswith("native matcher failed") and "index out of bounds" in e["error"]
               for e in logs)

    class Interrupting:
        def classify(self, title: str, summary: str) -> None:
            raise KeyboardInterrupt

    m._engine = Interrupting()  # type: ignore[assignment]
    with pytest.raises(KeyboardInterrupt):
        m.classify(story("Mistral AI raises $111M seed"))
