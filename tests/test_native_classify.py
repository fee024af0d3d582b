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

import pytest

from bot.matcher import native
from bot.matcher.events import find_hits
from bot.matcher.tokens import has_money_char, word_bits
from bot.matcher.watchlist import default_watchlist_path, load_watchlist, parse_watchlist
from bot.types import Amount, Story
from tests.native_corpus import stories

_native = native.load()
if _native is None:
    pytest.skip("bot.matcher._native is not built (scripts/build_native.sh)", allow_module_level=True)

classify = importlib.import_module("bot.matcher.classify")  # the package re-exports a function by that name


_INSERTS = ("’", "é", "€", "—", "😉")


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
        for t, s in stories(corpus):
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


def _compare_hits(texts: list[str]) -> tuple[int, int, int, list]:  # type: ignore[type-arg]
    """find_hits, native against Python, on each text as title and as summary: (pairs
    compared, mismatches, pairs with hits, the first examples)."""
    ev = _native.EventsTest()
    compared = mismatches = found = 0
    examples = []
    for text in texts:
        if not _native.text_ok(text):
            continue
        for field in ("title", "summary"):
            want, bits, money = _py_hits(text, field)
            got = ev.find_hits(text, field, bits, money)
            compared += 1
            found += bool(want)
            if [tuple(x) for x in got] != want:
                mismatches += 1
                if len(examples) < 5:
                    examples.append((text, field, want, got))
    return compared, mismatches, found, examples


def test_find_hits_parity() -> None:
    compared, mismatches, _, examples = _compare_hits(_field_texts())
    print(f"find_hits: {compared} (text, field) pairs compared, {mismatches} mismatches")
    assert compared > 1000
    assert mismatches == 0, examples


# Names and amounts where a rule's start-offset filter must not lose a match (events.rs
# `Heads`, `LitIndex`): at the text start, after punctuation, after non-ASCII letters and
# digits, lowercase-led ("eBay"), digit-led ("11x.ai"), and glued to a word character.
_HEAD_NAMES = ("Acme", "eBay", "iOS", "xAI", "11x.ai", "3M", "Zoë", "ÉcoleAI", "OpenAI’s", "A.I.", "K+S",
               "foo_Bar", "xxxxxBar", "abcdEF", "٣Labs", "Cohere-Mistral", "U.S.$5", "€3bn", "$30M")
_HEAD_GLUE = ("", " ", "-", "_", "x", "é", "’", "'", ".", ",", "(", "—", "9", "\n", "&", "+", "$")
_HEAD_FRAMES = (
    "{a}{A}-{B} deal", "{a}{A} and {B}'s partnership", "{a}{A} joins {B}", "{a}{A} and {B} launch apps",
    "{a}{A}, {B} to build chips", "{a}{A} & {B} merge", "{a}{A} and the {B} partner", "{a}{A} raises {B}",
    "{a}{B} in funding from {A}", "{a}{A} Series B round of {B}", "x {a}{A} government and {B} unveil",
)


def _head_texts() -> list[str]:
    out = []
    for k, frame in enumerate(_HEAD_FRAMES):
        for i, a in enumerate(_HEAD_NAMES):
            b = _HEAD_NAMES[(i * 7 + k) % len(_HEAD_NAMES)]
            for glue in _HEAD_GLUE:
                t = frame.format(a=glue, A=a, B=b)
                out += [t, "Foo" + t, t + " today", t.lower(), t.upper()]
    return list(dict.fromkeys(out))


def test_find_hits_start_offsets() -> None:
    # The filtered rules are the ones this test is for: keep it honest when they change.
    assert _native.EventsTest().filtered_rules(), "no rule uses a start-offset filter any more"
    compared, mismatches, found, examples = _compare_hits(_head_texts())
    print(f"find_hits start offsets: {compared} pairs compared ({found} with hits), {mismatches} mismatches")
    assert compared > 5000 and found > 1000
    assert mismatches == 0, examples


# ---- part 2: whole-story Engine ---------------------------------------------------------------
def _engine(matcher):  # type: ignore[no-untyped-def]
    return _native.Engine(matcher, classify._match, classify._evidence, Amount)


def _fields(m) -> tuple:  # type: ignore[no-untyped-def]
    """Every field of a Match, evidence and amount included (astuple recurses into both);
    the amount's value as its exact bits."""
    t = dataclasses.astuple(m)
    amount = m.amount
    return t + ((amount.value.hex(), type(amount.value)) if amount is not None else None,
                type(m.confidence), m.confidence.hex())


def _story_variants(title: str, summary: str) -> list[tuple[str, str]]:
    out = [(title, summary), (title.upper(), summary), (title.lower(), summary), (summary, title),
           (title, "")]
    for t in _insert_variants(title)[::2]:
        out.append((t, summary))
    for s in _insert_variants(summary)[1::2]:
        out.append((title, s))
    n = len(summary)
    for cut in (n // 4, n // 2, 3 * n // 4, max(0, n - 5)):
        out.append((title, summary[:cut]))
    return out


_CUSTOM = {
    "org": [
        {"name": "Quorvia", "aliases": ["Quorvia Labs"], "kind": "startup"},
        {"name": "Zentrix", "kind": "company"},
        {"name": "Helix Foundry Capital", "aliases": ["Helix Foundry"], "kind": "investor"},
        {"name": "Nordlicht AI", "aliases": ["Nordlicht"], "kind": "lab"},
        {"name": "Straße Corp", "kind": "company"},
    ]
}
_CUSTOM_STORIES = [
    ("Quorvia raises $40M Series B led by Helix Foundry", ""),
    ("Zentrix partners with Nordlicht on sovereign models", "The two companies will co-develop chips."),
    ("Zentrix & Quorvia sign multi-year compute deal", ""),
    ("Helix Foundry invests $5M in Quorvia Labs", "Zentrix also participated."),
    ("Zentrix acquires Nordlicht AI for $1.2 billion", "The deal values the startup at $2B."),
    ("Strasse Corp partners with Quorvia", ""),
    ("The startup Quorvia raised $3M", "The startup has landed a $3M seed round from Zentrix."),
]


def _compare(engine, matcher, stories) -> tuple[int, int, list]:  # type: ignore[no-untyped-def]
    compared = mismatches = 0
    examples: list = []
    for title, summary in stories:
        got = engine.classify(title, summary)
        if got is None:
            assert not (_native.text_ok(title) and _native.text_ok(summary))
            continue
        want = matcher.classify_python(Story(source="t", key="k", url="", title=title, summary=summary,
                                      published=_WHEN))
        compared += 1
        if _fields(got) != _fields(want):
            mismatches += 1
            if len(examples) < 5:
                examples.append((title, summary, want, got))
    return compared, mismatches, examples


_WHEN = __import__("datetime").datetime(2025, 1, 1, tzinfo=__import__("datetime").timezone.utc)


@pytest.mark.parametrize("corpus", [False, True], ids=["written", "shared-corpus"])
def test_engine_parity(corpus: bool) -> None:
    base = list(stories(corpus))
    if corpus and not base:
        pytest.skip("the shared corpus (../shared/corpus) is not present")
    variants = list(dict.fromkeys(v for t, s in base for v in _story_variants(t, s)))
    engine = _engine(_MATCHER)
    compared, mismatches, examples = _compare(engine, _MATCHER, variants)
    print(f"Engine ({'shared corpus' if corpus else 'written'}): {len(base)} stories, "
          f"{compared} variants compared, {mismatches} mismatches")
    assert compared > len(base)
    assert mismatches == 0, examples


def test_engine_custom_watchlist() -> None:
    matcher = classify.Matcher(parse_watchlist(_CUSTOM))
    engine = _engine(matcher)
    stories = [v for t, s in _CUSTOM_STORIES for v in _story_variants(t, s)]
    compared, mismatches, examples = _compare(engine, matcher, stories)
    print(f"Engine (custom watchlist): {compared} compared, {mismatches} mismatches")
    assert mismatches == 0, examples
    # The watchlist is honoured: a custom investor is a party, a custom lab makes it AI.
    m = engine.classify("Quorvia raises $40M Series B led by Helix Foundry", "")
    assert "Helix Foundry Capital" in m.parties
    assert engine.classify("Zentrix partners with Nordlicht on chips", "").ai


def test_engine_odd_inputs() -> None:
    engine = _engine(_MATCHER)
    odd = ["", " ", "!!!", ".,;:!?", "— – - ’ ‘ “ ”", "$", "$$$ 1", "€€€", "A" * 100_000,
           ("Acme raises $30M Series B led by Sequoia Capital. " * 2000)[:100_000],
           "a. " * 30_000, "Foo & Bar & Baz - - — ;;", "x" * 100_000 + " raises $5M"]
    stories = [(a, b) for a in odd for b in ("", odd[3], odd[9][:5000])]
    compared, mismatches, examples = _compare(engine, _MATCHER, stories)
    assert compared == len(stories)
    assert mismatches == 0, examples
    # Text the native path does not take is handed back (folded text is taken: see
    # tests/test_native_normalize.py).
    assert engine.classify("Open\u200bAI raises $5M", "") is not None
    assert engine.classify("Acme\u0301 raises $5M", "") is None
    assert engine.classify("Acme", "\u0130stanbul") is None
    assert engine.classify("Acme \ud800 raises $5M", "") is None  # a lone surrogate
