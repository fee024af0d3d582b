"""The native port folds text as the Python matcher normalises it (native/src/normalize.rs).

Text holding characters the char table refuses but ``normalize._fold_char`` folds ("…",
"™", NO-BREAK SPACE, zero-width spaces, full-width letters ...) is folded natively; the
rules run on the folded text and evidence quotes the original.  Checked here:

1. the fold table is ``_fold_char`` (for the characters it holds), and the native fold and
   span map equal ``normalize.normalize`` / ``NormText.span`` (character offsets);
2. whole-``Match`` parity of ``Engine.classify`` with ``Matcher.classify_python`` on the
   corpora stories and variants with folding characters inserted (word boundaries, text
   ends, inside words, runs, next to evidence, fields made only of them), and sentences;
3. what the port must still hand back (None): combining marks, characters beyond plane 1,
   the ``re.IGNORECASE`` oddities, stable characters the table refuses ("ß").
"""

from __future__ import annotations

import importlib

from bot.matcher import native
from bot.matcher.normalize import _fold_char, normalize
from bot.matcher.tokens import _IGNORECASE_ODD
from bot.matcher.watchlist import parse_watchlist
from bot.types import Story

_native = native.load()
if _native is None:
    import pytest

    pytest.skip("bot.matcher._native is not built (scripts/build_native.sh)", allow_module_level=True)

from tests.native_corpus import stories  # noqa: E402
from tests.test_native_classify import (  # noqa: E402  (after the skip: needs _native)
    _CUSTOM,
    _MATCHER,
    _WHEN,
    _engine,
    _fields,
)

classify = importlib.import_module("bot.matcher.classify")
_FOLDS = native.fold_table()

# The characters seen in the corpora, then format characters, then a spread of the table
# (full-width and mathematical letters, ligatures, circled digits, fractions, spaces ...).
_CORE = ("…", "™", "\xa0", "\u2011", "²", "\u200b", "\xad", "\u2060", "\ufeff")
_SAMPLE = tuple(sorted(_FOLDS))[::97]
_CHARS = _CORE + tuple(c for c in _SAMPLE if c not in _CORE)


def _taken(text: str) -> bool:
    """Does the port take ``text`` (each character accepted or folded by the table)?"""
    return all(_native.text_ok(c) or c in _FOLDS for c in text)


def test_fold_table_is_fold_char() -> None:
    assert len(_FOLDS) > 1000
    for c, f in _FOLDS.items():
        assert _fold_char(c) == f != c
        assert not _native.text_ok(c) and _native.text_ok(f)
    for c in _CORE:
        assert c in _FOLDS, hex(ord(c))
    for c in _IGNORECASE_ODD:
        assert c not in _FOLDS
    assert "e\u0301"[1] not in _FOLDS and "ß" not in _FOLDS


def _insert(text: str, ch: str, k: int) -> list[str]:
    """``text`` with ``ch`` at word boundaries, glued to a word, inside one, at both ends,
    as a run, and in place of what it folds to where that occurs."""
    spaces = [i for i, c in enumerate(text) if c == " "]
    out = [ch + text, text + ch, ch * 2 + text + ch * 3]
    if spaces:
        i = spaces[(k * 7 + 3) % len(spaces)]
        j = spaces[(k * 5 + 1) % len(spaces)]
        out += [text[:i] + " " + ch + text[i:], text[:j] + ch + text[j:], text[:i] + ch * 2 + text[i + 1:]]
    letters = [i for i in range(1, len(text)) if text[i - 1].isalpha() and text[i].isalpha()]
    if letters:
        i = letters[(k * 11 + 2) % len(letters)]
        out.append(text[:i] + ch + text[i:])
    f = _FOLDS.get(ch, "")
    if f and f in text:
        out.append(text.replace(f, ch))
    return out


def _variants(title: str, summary: str, n: int) -> list[tuple[str, str]]:
    """Fold variants of a story: the core characters on every story, two of the sampled
    characters (rotating with ``n``) on each."""
    chars = _CORE + (_SAMPLE[n % len(_SAMPLE)], _SAMPLE[(n * 7 + 3) % len(_SAMPLE)])
    out: list[tuple[str, str]] = []
    for k, ch in enumerate(chars):
        ts = _insert(title, ch, k + n)
        ss = _insert(summary, ch, k + n) if summary else [ch]
        out += [(t, summary) for t in ts[::2]]
        out += [(title, s) for s in ss[1::2]]
        out.append((ts[-1], ss[0]))
    return out


_SENTENCES = [
    ("Zentrix raises\xa0$5M…", ""),
    ("Zentrix raises $5M…", "The round was led by Helix Foundry\xa0and others…"),
    ("Open\u200bAI partners with Zentrix™", ""),
    ("Open\u200bAI partners with Zentrix™", "Zentrix™ and Open\u200bAI will co\u2011develop chips."),
    ("Quorvia raises $40M Series\xa0B led by Helix\u00adFoundry", ""),
    ("Helix Foundry invests $5\xa0M in Quorvia Labs…", "Zentrix also participated…"),
    ("Zentrix acquires Nordlicht\u2060AI for $1.2\xa0billion", "The deal values the startup at $2B²."),
    ("…", ""), ("……", "™"), ("\u200b", "Acme raises $5M"), ("Acme raises $5M", "\u200b\u200b"),
    ("\xa0", "\xa0"), ("\u200b\u200b", ""), ("™", "…"), ("\xad", "\u2011"),
    ("ＡＣＭＥ raises $30M Series B led by Sequoia Capital", "The ﬁrm builds AI chips."),
    ("Mistral\xa0AI raises €600\xa0million…", "Mistral\u00a0AI, the Paris-based AI lab…"),
    ("Google to acquire Wiz in $32B deal…", "Google™ will pay $32\xa0billion in cash…"),
    ("Amazon invests $4B in Anthropic\u200b", "…and will invest more into AWS chips."),
    ("Nvidia\u2011backed startup raises $100M Series\u00a0C", "Led by a16z\u2026"),
]


def _stories_all() -> list[tuple[str, str]]:
    return list(stories(False) + stories(True))


def test_fold_and_span_parity() -> None:
    texts: list[str] = []
    for n, (t, s) in enumerate(_stories_all()):
        for v in _variants(t, s, n)[::3]:
            texts += v
    texts += [x for pair in _SENTENCES for x in pair]
    texts = list(dict.fromkeys(texts))
    compared = spans = 0
    for text in texts:
        got = _native._test_normalize(text)
        if not _taken(text):
            assert got is None, text
            continue
        want = normalize(text)
        assert got is not None, text
        compared += 1
        assert got[0] == want.text, text
        assert got[1] == (None if want.segments is None else list(want.segments)), text
        m = len(want.text)
        cuts = sorted({0, 1, 2, m // 3, m // 2, m - 2, m - 1, m} & set(range(m + 1)))
        for a in cuts:
            for b in cuts:
                if a <= b:
                    spans += 1
                    assert _native._test_span(text, a, b) == want.span(a, b), (text, a, b)
    print(f"normalize: {compared} texts, {spans} spans compared, 0 mismatches")
    assert compared > 1000


def _compare(engine, matcher, stories) -> tuple[int, int, int, list]:  # type: ignore[no-untyped-def]
    compared = folded = mismatches = 0
    examples: list = []
    for title, summary in stories:
        got = engine.classify(title, summary)
        if got is None:
            assert not (_taken(title) and _taken(summary)), (title, summary)
            continue
        want = matcher.classify_python(Story(source="t", key="k", url="", title=title,
                                             summary=summary, published=_WHEN))
        compared += 1
        folded += not (_native.text_ok(title) and _native.text_ok(summary))
        if _fields(got) != _fields(want):
            mismatches += 1
            if len(examples) < 5:
                examples.append((title, summary, want, got))
    return compared, folded, mismatches, examples


def test_engine_parity_with_folds() -> None:
    base = _stories_all()
    stories = list(dict.fromkeys(v for n, (t, s) in enumerate(base) for v in _variants(t, s, n)))
    stories += _SENTENCES
    compared, folded, mismatches, examples = _compare(_engine(_MATCHER), _MATCHER, stories)
    print(f"Engine with folds: {len(base)} stories, {compared} variants compared "
          f"({folded} folded), {mismatches} mismatches")
    assert folded > 1000
    assert mismatches == 0, examples


def test_engine_custom_watchlist_with_folds() -> None:
    matcher = classify.Matcher(parse_watchlist(_CUSTOM))
    stories = list(dict.fromkeys(_SENTENCES + [v for n, (t, s) in enumerate(_SENTENCES)
                                               for v in _variants(t, s, n)]))
    compared, folded, mismatches, examples = _compare(_engine(matcher), matcher, stories)
    print(f"Engine with folds (custom watchlist): {compared} compared ({folded} folded), "
          f"{mismatches} mismatches")
    assert mismatches == 0, examples
    # Evidence quotes the original text, with its offsets.
    m = _engine(matcher).classify("Zentrix raises\xa0$5M…", "")
    assert m is not None
    amount = [e for e in m.evidence if e.signal == "amount"]
    assert amount and "Zentrix raises\xa0$5M…"[amount[0].start:amount[0].end] == amount[0].quote


def test_corpus_stories_are_taken() -> None:
    """Every corpus story made of accepted or folded characters is taken natively."""
    base = _stories_all()
    engine = _engine(_MATCHER)
    taken = sum(engine.classify(t, s) is not None for t, s in base)
    plain = sum(_native.text_ok(t) and _native.text_ok(s) for t, s in base)
    print(f"corpora: {taken}/{len(base)} stories taken natively ({plain} without folds)")
    assert taken == sum(_taken(t) and _taken(s) for t, s in base)


def test_what_is_still_handed_back() -> None:
    engine = _engine(_MATCHER)
    for title, summary in [
        ("Acme\u0301 raises $5M", ""),  # a combining mark: Python normalises the whole text
        ("Zentrix raises\xa0$5M", "Led by e\u0301 Capital…"),
        ("Acme raises $5M \U00020000", ""),  # beyond the table (plane 2)
        ("Acme raises $5M…", "\U0002a700 Capital leads."),  # plane 2 again, beside a fold
        ("\u0130stanbul startup raises $5M…", ""),  # re.IGNORECASE oddities
        ("Acme raises $5M\u212a", ""), ("Acme raises $5M\u017f", ""),
        ("Straße Robotics raises $5M…", ""),  # refused, and NFKC leaves it as it is
        ("Acme raises \ud800 $5M…", ""),  # a lone surrogate
    ]:
        assert engine.classify(title, summary) is None, (title, summary)
    # Plane 1 is in the table: emoji are taken as they are, mathematical letters are folded.
    for title, summary in [("Acme raises $5M 🚀", "We are thrilled 🎉"), ("\U0001d400cme raises $5M", "")]:
        got = engine.classify(title, summary)
        want = _MATCHER.classify_python(Story(source="t", key="k", url="", title=title,
                                              summary=summary, published=_WHEN))
        assert got is not None and _fields(got) == _fields(want), (title, summary)
