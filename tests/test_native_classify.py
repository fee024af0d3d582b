"""The native (Rust) events rules and whole-story Engine must give exactly what Python gives.

Part 1: ``events.find_hits`` (native ``EventsTest``) against the Python function, with the
gate bits and money flag computed as ``classify._FieldView.hits()`` does.
Part 2: ``Engine.classify`` against ``Matcher.classify``: every field of the ``Match``.

Texts: every story of bench/data/written_*.jsonl, the shared dev corpus and cluster
records when present, and variants (case, inserted non-ASCII characters, swapped fields,
truncated and empty summaries); only texts the native path accepts (``text_ok``).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import subprocess
from pathlib import Path

import pytest

from bot.matcher import native
from bot.matcher.events import find_hits
from bot.matcher.tokens import has_money_char, word_bits
from bot.matcher.watchlist import load_watchlist, default_watchlist_path, parse_watchlist
from bot.types import Amount, Story

_native = native.load()
if _native is None:
    pytest.skip("bot.matcher._native is not built (scripts/build_native.sh)", allow_module_level=True)

classify = importlib.import_module("bot.matcher.classify")  # the package re-exports a function by that name
_ROOT = Path(__file__).resolve().parents[1]


def _corpus_dir() -> Path | None:
    """The shared corpus: ``../shared/corpus`` next to the repository (or next to the main
    checkout when this is a git worktree)."""
    cands = [_ROOT.parent / "shared" / "corpus"]
    try:
        common = subprocess.run(["git", "-C", str(_ROOT), "rev-parse", "--git-common-dir"],
                                capture_output=True, text=True, timeout=10).stdout.strip()
        if common:
            cands.append((_ROOT / common).resolve().parent.parent / "shared" / "corpus")
    except (OSError, subprocess.SubprocessError):
        pass
    for c in cands:
        if c.is_dir():
            return c
    return None


def _read_jsonl(path: Path) -> list[dict]:
    out = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                out.append(json.loads(line))
    return out


def _stories(corpus: bool) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if not corpus:
        for p in sorted((_ROOT / "bench" / "data").glob("written_*.jsonl")):
            out += [(r.get("title", ""), r.get("summary", "")) for r in _read_jsonl(p)]
        return out
    d = _corpus_dir()
    if d is None:
        return out
    if (d / "dev.jsonl").is_file():
        out += [(r.get("title", ""), r.get("summary", "")) for r in _read_jsonl(d / "dev.jsonl")]
    for p in sorted((d / "clusters").glob("*.jsonl")) if (d / "clusters").is_dir() else []:
        out += [(r["title"], r.get("summary", "")) for r in _read_jsonl(p)
                if isinstance(r, dict) and isinstance(r.get("title"), str)]
    return out


_INSERTS = ("’", "é", "€", "—")


def _insert_variants(text: str) -> list[str]:
    """``text`` with each of _INSERTS at a few word boundaries (and glued to a word)."""
    spaces = [i for i, c in enumerate(text) if c == " "]
    out = []
    for k, ch in enumerate(_INSERTS):
        if not spaces:
            out.append(ch + text)
            continue
        i = spaces[(k * 7 + 3) % len(spaces)]
        out.append(text[:i] + " " + ch + text[i:])
        j = spaces[(k * 5 + 1) % len(spaces)]
        out.append(text[:j] + ch + text[j:])
    return out


def _text_variants(text: str) -> list[str]:
    out = [text, text.upper(), text.lower()]
    out += _insert_variants(text)
    n = len(text)
    out += [text[: n // 3], text[: n // 2], text[: 2 * n // 3], text[: max(0, n - 7)]]
    return out


# ---- part 1: find_hits ----------------------------------------------------------------------
_MATCHER = classify.Matcher(load_watchlist(default_watchlist_path()))
_VOCAB = _MATCHER._vocab


def _py_hits(text: str, field: str) -> tuple[list, int, bool]:
    low = text.lower()
    bits = word_bits(low, _VOCAB)
    money = bits & classify._MONEY_BIT != 0 or has_money_char(text)
    hits = find_hits(text, field, bits, money, low)
    return [(h.rule.signal, h.field, h.start, h.end) for h in hits], bits, money


def _field_texts() -> list[str]:
    texts: list[str] = []
    for corpus in (False, True):
        for t, s in _stories(corpus):
            for x in (t, s):
                if x:
                    texts += _text_variants(x)
    texts += [
        "", "!!!", "... — ’’ €€ $$", "Acme raises $30M Series B led by Sequoia Capital",
        "Google to acquire Wiz in $32B deal, its biggest acquisition ever",
        "Foo, which was acquired by Bar in 2019, partners with Baz",
        "Amazon invests $4B in Anthropic and will invest more into AWS chips",
        "The Apple-Alibaba deal and Foo and Bar's partnership; Nvidia nabs $3M",
    ]
    return list(dict.fromkeys(texts))


def test_find_hits_parity() -> None:
    ev = _native.EventsTest()
    compared = mismatches = 0
    examples = []
    for text in _field_texts():
        if not _native.text_ok(text):
            continue
        for field in ("title", "summary"):
            want, bits, money = _py_hits(text, field)
            got = ev.find_hits(text, field, bits, money)
            compared += 1
            if [tuple(x) for x in got] != want:
                mismatches += 1
                if len(examples) < 5:
                    examples.append((text, field, want, got))
    print(f"find_hits: {compared} (text, field) pairs compared, {mismatches} mismatches")
    assert compared > 1000
    assert mismatches == 0, examples
