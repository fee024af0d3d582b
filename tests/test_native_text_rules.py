"""Parity of the native ports of tokens.py, ai.py, rounds.py, amounts.py and the matching half
of watchlist.py (native/src/{tokens,ai,rounds,amounts,watchlist}.rs) with the Python modules.

Texts: every title and summary of bench/data/written_*.jsonl, of ../shared/corpus/dev.jsonl and
../shared/corpus/clusters/* when present, variants of them (upper, lower, "’"/"é"/"€"/"—"
inserted at word boundaries, truncated), and sentences written here.  Only texts the native
path takes (``_native.text_ok``) are compared; every comparison must agree.
"""

from __future__ import annotations

import importlib
import random

import pytest

from bot.matcher import ai, amounts, default_matcher, native, rounds, tokens
from bot.matcher.watchlist import parse_watchlist
from tests.native_corpus import field_texts, shared_corpus

_native = native.load()
if _native is None:
    pytest.skip("bot.matcher._native is not built (scripts/build_native.sh)", allow_module_level=True)

classify = importlib.import_module("bot.matcher.classify")
SHARED = shared_corpus()

_OWN = [
    "Acme raises $30M Series B led by Sequoia Capital; US$48.5M, €105M and ₹500 crore",
    "Kumo closed a ¥10 billion Series C; 1.2 billion dollars; 500 crore rupees; Rs. 20 lakh",
    "Startup valued at $2B raises $300 million at a $5B post-money valuation",
    "Foo values the company at about $1.5 billion; valuing Bar at $3bn; $4B market cap",
    "The $20 a month plan and the $299 robot; 1,000 businesses; 10 gigawatts; $5+ million",
    "C$12.5 mln, A$3 bn, HK$1.25 trillion, S$ 7 million, R$ 40 millones, NZ$9m, CHF 20 million",
    "10 billion yen, 3 million swiss francs, 2 pound sterling, 1.005 million, 2.675 million",
    "$0.125 and $0.375 and $2.675 and $1.005 and $12,345,678.915 and $5 Canadian dollars",
    "Series A-2 extension for Bar; pre-seed funding; seed capital; loan facility; Series H+",
    "pre-IPO round; pre IPO funding; preseed; Seed-stage; seed; strategic backing; line of credit",
    "Debt financing, credit facility, growth round, bridge loan, strategic investment",
    "series b-1 and SERIES C and a growth equity deal, credit line, the seeds of doubt",
    "DeepMind's Gemini, ChatGPT, GPT-4o, Claude, Llama 3 and A.I. agents; GenAI and LLMs on GPUs",
    "Machine-learning, deep learning, large language models, foundation model, frontier models",
    "Self-driving robotaxis, humanoid robots, robotics, computer vision, facial recognition",
    "type inference, statistical inference, Bayesian inference and inference chips; xAI, AIs",
    "Data centers for AI; autonomous vehicles; superintelligence; Midjourney; Stable Diffusion",
    "OpenAI's “deal” — (Anthropic’s) partner 'Meta's' «Nvidia» x/y co-founder self-driving",
    "Scale AI is not at scale; Meta the company, meta the prefix; AT&T and H&M; 3M and 7-Eleven",
    "Mistral AI, mistral ai, MISTRAL AI, Mistral’s, Hugging Face's, hugging   face",
    "Crédit Agricole, Société Générale and Zürich-based Café AI; naïve; Ørsted",
    "٣ million dollars and ١٢٣ crore; $١٠ billion",
    "",
    " ",
    "$",
    "5",
    "$5",
    "AI",
    "a-b/c d's e’s 's ’s x's's ... (a) [b] {c} \"d\" «e» *f* g",
]


def _base_texts() -> list[str]:
    return list(_OWN) + field_texts(False) + field_texts(True)


def _variants(t: str, rng: random.Random) -> list[str]:
    out = [t, t.upper(), t.lower()]
    words = t.split(" ")
    for ins in ("’", "é", "€", "—", "😉", "’s", "$", "1"):
        if len(words) > 1:
            w = list(words)
            for _ in range(3):
                i = rng.randrange(len(w))
                w[i] = ins + w[i] if rng.random() < 0.5 else w[i] + ins
            out.append(" ".join(w))
    n = len(t)
    for cut in (n // 3, n // 2, (2 * n) // 3, n - 1):
        if 0 < cut < n:
            out.append(t[:cut])
            out.append(t[cut:])
    return out


_TEXTS: list[str] | None = None


def _texts() -> list[str]:
    global _TEXTS
    if _TEXTS is None:
        rng = random.Random(1)
        seen: set[str] = set()
        out: list[str] = []
        for t in _base_texts():
            for v in _variants(t, rng):
                if v not in seen and _native.text_ok(v):
                    seen.add(v)
                    out.append(v)
        _TEXTS = out
    return _TEXTS


def _report(name: str, n: int, bad: list[object]) -> None:
    print(f"\n{name}: {n} texts compared, {len(bad)} mismatches")
    assert not bad, bad[:5]


def test_corpus_present_or_skipped_reason() -> None:
    if SHARED is None:
        pytest.skip("../shared/corpus absent: only bench/data and own sentences are compared")


def test_tokens() -> None:
    m = default_matcher()
    probe = _native.TokensProbe(m._vocab)
    bad = []
    texts = _texts()
    for t in texts:
        low = t.lower()
        if probe.word_bits(low) != tokens.word_bits(low, m._vocab):
            bad.append(("word_bits", t))
        if probe.words_of_lower(low) != sorted(tokens.words_of_lower(low)):
            bad.append(("words_of_lower", t))
        if probe.has_money_char(t) != tokens.has_money_char(t):
            bad.append(("has_money_char", t))
    base = {"ai": 1, "x's": 2, "y’s": 4, "z": 8}
    assert _native.TokensProbe.with_possessives(base) == tokens.with_possessives(base)
    _report("tokens", len(texts), bad)


def test_ai() -> None:
    probe = _native.AiProbe()
    bad = []
    texts = _texts()
    for t in texts:
        low = t.lower()
        m = ai.ai_keyword_low(t, low)
        want = None if m is None else m.span()
        if probe.ai_keyword_low(t) != want:
            bad.append(("ai_keyword_low", t, probe.ai_keyword_low(t), want))
        if probe.ai_phrase_low(t) != ai.ai_phrase_low(t, low):
            bad.append(("ai_phrase_low", t))
    _report("ai", len(texts), bad)


def test_rounds() -> None:
    probe = _native.RoundsProbe()
    assert tuple(probe.round_starts()) == rounds.ROUND_STARTS
    m = default_matcher()
    bad = []
    texts = _texts()
    for t in texts:
        low = t.lower()
        want = rounds.find_round(t, low)
        if probe.find_round(t, None) != want:
            bad.append(("find_round", t, probe.find_round(t, None), want))
        starts = [s.start() for s in rounds._ROUND_SCAN.finditer(" " + low)]
        if probe.starts(t) != starts:
            bad.append(("starts", t))
        # the starts classify's _title_vetoes computes for a title
        view = classify._FieldView("title", t, m.watchlist, m._vocab)
        if view.low is not None:
            _, vstarts = classify._title_vetoes(view)
            want = rounds.find_round(view.text, view.low, vstarts)
            got = probe.find_round(view.text, vstarts)
            if got != want:
                bad.append(("find_round/starts", t, got, want))
    _report("rounds", len(texts), bad)


def _py_amounts(t: str) -> list[tuple[object, ...]]:
    return [((h.start, h.end, h.value, h.currency, h.scaled, h.valuation), amounts.is_bare_price(h))
            for h in amounts.find_amounts(t, t.lower())]


def test_amounts() -> None:
    probe = _native.AmountsProbe()
    bad = []
    texts = _texts()
    hits = 0
    for t in texts:
        want = _py_amounts(t)
        got = probe.find_amounts(t)
        hits += len(want)
        # values compared bit for bit (== on floats, and repr to catch -0.0)
        if got != want or [repr(g[0][2]) for g in got] != [repr(w[0][2]) for w in want]:
            bad.append((t, got, want))
    print(f"\namount hits compared: {hits}")
    _report("amounts", len(texts), bad)


def test_round2() -> None:
    rng = random.Random(2)
    xs = [0.125, 0.375, 2.675, 1.005, 0.005, 0.015, 0.025, 1e16, 1.5e15 + 0.125, 123456789.125,
          12345678.915, 5e-324, 0.0, 1e300]
    xs += [rng.randrange(1, 10**7) / 1000 * 10 ** rng.randrange(0, 10) for _ in range(20000)]
    xs += [rng.random() * 10 ** rng.randrange(-3, 16) for _ in range(20000)]
    bad = [x for x in xs if _native.AmountsProbe.round2(x) != round(x, 2)]
    _report("round2", len(xs), bad)


def _tricky_watchlist():
    return parse_watchlist({"org": [
        {"name": "AT&T", "aliases": ["AT & T"], "kind": "company"},
        {"name": "H&M", "kind": "company"},
        {"name": "3M", "aliases": ["3M Co."], "kind": "company"},
        {"name": "7-Eleven", "kind": "company"},
        {"name": "Crédit Agricole", "aliases": ["Credit Agricole", "CA"], "kind": "investor"},
        {"name": "Société Générale", "aliases": ["SocGen"], "kind": "investor"},
        {"name": "Café AI", "kind": "startup"},
        {"name": "Mistral AI", "aliases": ["Mistral"], "kind": "lab"},
        {"name": "Hugging Face", "kind": "startup"},
        {"name": "Yahoo!", "kind": "company"},
        {"name": "C3.ai", "aliases": ["C3 AI"], "kind": "company"},
        {"name": "O’Reilly", "aliases": ["O'Reilly Media"], "kind": "company"},
        {"name": "a16z", "aliases": ["Andreessen Horowitz"], "kind": "investor"},
        {"name": "Meta", "kind": "company"},
        {"name": "meta", "kind": "company"},
        {"name": "Scale AI", "kind": "startup"},
        {"name": "Straße GmbH", "kind": "company"},
        {"name": "(Parens) Inc", "kind": "company"},
        {"name": ".io Labs", "kind": "startup"},
    ]})


def _watch_case(wl, probe, texts: list[str]) -> list[object]:
    index = {id(e): i for i, e in reversed(list(enumerate(wl.entries)))}
    bad: list[object] = []
    for i, e in enumerate(wl.entries):
        if probe.entry(i) != (e.name, e.kind, e.ai_first):
            bad.append(("entry", i))
    for t in texts:
        want = [(h.start, h.end, index[id(h.entry)]) for h in wl.find_all(t)]
        got = probe.find_all(t)
        if got != want:
            bad.append(("find_all", t, got, want))
        # lookup / canonical on each hit's text and on words and word pairs around it
        words = t.split()
        cands = [t[a:b] for a, b, _ in want]
        cands += words[:20] + [" ".join(words[i:i + 2]) for i in range(min(len(words), 20))]
        cands += [c.upper() for c in cands[:10]] + [c.lower() for c in cands[:10]]
        cands += ["  " + c + " " for c in cands[:5]] + [c.replace("'", "’") for c in cands[:5]]
        for c in cands:
            if not _native.text_ok(c):
                continue
            e = wl.lookup(c)
            if probe.lookup(c) != (None if e is None else index[id(e)]):
                bad.append(("lookup", c))
            if probe.canonical(c) != wl.canonical(c):
                bad.append(("canonical", c))
    return bad


def test_watchlist_default() -> None:
    wl = default_matcher().watchlist
    probe = _native.WatchProbe(wl)
    texts = _texts()
    spellings = [s for e in wl.entries for s in e.spellings()]
    extra = [f"{s} and {s.upper()}, {s.lower()}’s “{s}” {s}-based {s}.com {s}&Co" for s in spellings]
    extra = [t for t in extra if _native.text_ok(t)]
    bad = _watch_case(wl, probe, texts + extra)
    for s in spellings:
        for c in (s, s.lower(), s.upper(), s.replace("'", "’"), f" {s}  "):
            if _native.text_ok(c) and probe.canonical(c) != wl.canonical(c):
                bad.append(("canonical", c))
    _report("watchlist(default)", len(texts) + len(extra), bad)


def test_watchlist_tricky() -> None:
    wl = _tricky_watchlist()
    probe = _native.WatchProbe(wl)
    spellings = [s for e in wl.entries for s in e.spellings()]
    texts = [f"{s} and {s.upper()}, {s.lower()}’s “{s}” {s}-based x{s} {s}x {s}.com {s}&Co ({s})"
             for s in spellings]
    texts += ["AT&T's deal with H&M, 3M Co. and 7-Eleven; Yahoo! Japan; C3.ai and C3 AI",
              "O’Reilly and O'Reilly Media; a16z and Andreessen Horowitz; meta and Meta",
              "(Parens) Inc and .io Labs; Straße GmbH; Café AI; Crédit Agricole; CA; SocGen"]
    texts = [t for t in texts + _texts()[:3000] if _native.text_ok(t)]
    bad = _watch_case(wl, probe, texts)
    empty = parse_watchlist({})
    assert _native.WatchProbe(empty).find_all("Meta and OpenAI") == []
    assert _native.WatchProbe(empty).canonical("Meta") == "Meta"
    _report("watchlist(tricky)", len(texts), bad)


# ---- random texts over the characters the rules care about ---------------------------------
_PIECES = (
    list("aAiIsSlLmMbBkK0123456789 .,;:!?()[]{}\"'’‘“”«»*-/$€£¥₹₩₪&_+\t\n\u00a0é") +
    ["AI", "A.I.", "ai", "GPT-4", "LLMs", "ML", "genAI", "inference", "type ", "chat bot",
     "machine-learning", "robot", "Series ", "series", "seed", "pre-", "pre", "IPO", "round",
     "credit", "line of credit", "loan", "bridge", "growth", "strategic", "debt",
     "million", "bn", "M", "crore", "lakh", "US$", "Rs.", "Rs", "C$", "dollars", "yen", "valuation",
     "valued at ", "market cap", "company", "1,000", "2.5", "٣", "١٠", "'s", "’s",
     "OpenAI", "Meta", "Anthropic", "Mistral AI", "Scale AI", "Nvidia", "xAI", "Hugging Face"]
)


def _random_texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        t = "".join(rng.choice(_PIECES) for _ in range(rng.randrange(1, 40)))
        if _native.text_ok(t):
            out.append(t)
    return out


def test_random_texts() -> None:
    m = default_matcher()
    tp = _native.TokensProbe(m._vocab)
    ap, rp, mp = _native.AiProbe(), _native.RoundsProbe(), _native.AmountsProbe()
    wl = m.watchlist
    wp = _native.WatchProbe(wl)
    index = {id(e): i for i, e in reversed(list(enumerate(wl.entries)))}
    texts = _random_texts(30000, 3)
    bad: list[object] = []
    for t in texts:
        low = t.lower()
        if tp.word_bits(low) != tokens.word_bits(low, m._vocab):
            bad.append(("word_bits", t))
        if tp.words_of_lower(low) != sorted(tokens.words_of_lower(low)):
            bad.append(("words_of_lower", t))
        k = ai.ai_keyword_low(t, low)
        if ap.ai_keyword_low(t) != (None if k is None else k.span()):
            bad.append(("ai_keyword_low", t))
        if ap.ai_phrase_low(t) != ai.ai_phrase_low(t, low):
            bad.append(("ai_phrase_low", t))
        if rp.find_round(t, None) != rounds.find_round(t, low):
            bad.append(("find_round", t))
        if mp.find_amounts(t) != _py_amounts(t):
            bad.append(("find_amounts", t))
        if wp.find_all(t) != [(h.start, h.end, index[id(h.entry)]) for h in wl.find_all(t)]:
            bad.append(("find_all", t))
        if wp.canonical(t) != wl.canonical(t):
            bad.append(("canonical", t))
    _report("random", len(texts), bad)
