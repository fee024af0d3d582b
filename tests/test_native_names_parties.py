"""Parity of the native names.rs / parties.rs with bot/matcher/names.py and parties.py.

Texts: every title and summary of bench/data/written_*.jsonl, of ../shared/corpus/dev.jsonl
and ../shared/corpus/clusters/*.jsonl when present, sentences written here, and variants of
all of them (upper/lower case, "’", "é", "€", "—" inserted at word boundaries, truncations).
Only texts the native path takes (``_native.text_ok``) are compared.
"""

from __future__ import annotations

import re

import pytest

from bot.matcher import native

_native = native.load()
if _native is None:
    pytest.skip("bot.matcher._native is not built (scripts/build_native.sh)", allow_module_level=True)

from bot.matcher import default_matcher, names  # noqa: E402
from bot.matcher.classify import _merge_watch_runs  # noqa: E402
from bot.matcher.parties import Slots, may_name_investors  # noqa: E402
from tests.native_corpus import corpus_note, field_texts  # noqa: E402

WRITTEN = [
    "Backed by Sequoia and Andreessen Horowitz, Acme raises $20M Series B",
    "Acme, an AI startup, raises $5 million led by Foo Ventures, Bar Capital and Baz Partners",
    "Acme, which makes Widget, raised $10M from Thrive Capital. Andreessen Horowitz also participated.",
    "Zentrix AI deal with Orbix Partners with Quorvia to Use Face Recognition",
    "Exclusive-Mistral AI nabs funding; Nvidia AI Chips and Stack AI in talks - report",
    "Sam Altman's OpenAI partners with Microsoft & Larsen & Toubro on U.S. Department of Energy project",
    "Backers include Lightspeed, Index Ventures and General Catalyst, with Accel participating.",
    "Foo and Bar led the round, with existing investors Qux and Quux among its backers",
    "Helix Foundry AI, backed by SoftBank, was joined by Temasek in its Series C extension",
    "India's Snabbit raises Rs 100 crore; Israeli startup Orca Security acquires Opus",
    "The company is set to acquire DataRobot for $1B, sources say — it will merge with Foo Inc.",
    "Generative AI firm Cohere’s CEO says Big Tech can't win: Q3 2025 revenue hits 131k",
    "Series A: Kumo Reasoning closes ¥10 billion Series C with Mitsubishi UFJ Financial Group and NEC",
    "Google signs deal to use Anthropic’s Claude; Amazon-backed Anthropic co-led by Spark Capital",
    "TORONTO-- Shopify Inc. (NYSE: SHOP) partners with OpenAI, Stripe and the Air Force",
    "ACME RAISES $5M FROM FOO VENTURES AND BAR CAPITAL",
    "Investors included Y Combinator, SV Angel and Elad Gil; Sarah Guo's Conviction co-led",
    "Stanford researchers and the Air Force team up with Palantir to build the Gemini Lab",
    "Orbix has reportedly raised $30M, with participation from GV, Khosla and the Gates Foundation",
    "eBay, 11x.ai and H1 join forces in US$2.5bn deal; 6GW data centre and 4K screens",
    "Backed by Ørsted Ventures, Łódź Robotics and the Gates Foundation, Über AI raises",
    "Backed by Y Combinator, Acme raises; Foo\nBar\tBaz and Qux\tLabs participated",
    "Exclusive- Reuters: Mistral’s Le Chat adds Series B funding from Lightspeed's Fund of",
    "Deal to Use Foo; partners to Build Bar with Baz; acquires to the Qux Corp. Ltd. of",
    "Acme , which makes Widget , the maker of Foo, has reportedly raised $5M, Bar said",
    "BlackRock and Temasek co-led the Series B round. Nvidia also participated, joined by Intel",
    "including new investors Foo Capital, Bar Fund & Baz Ventures; Qux joined the seed round",
    "with Acme Ventures co-investing alongside Bar Capital, and with Baz among the backers",
]

INSERTS = "’é€—😉"


def _base_texts() -> tuple[list[str], str]:
    texts = WRITTEN + field_texts(False) + field_texts(True)
    return list(dict.fromkeys(texts)), corpus_note()


def _variants(t: str) -> list[str]:
    out = [t, t.upper(), t.lower()]
    bounds = [m.start() for m in re.finditer(r"\b", t)]
    for i, ch in enumerate(INSERTS):
        picks = set(bounds[i::4])
        out.append("".join((ch if j in picks else "") + c for j, c in enumerate(t)))
    for cut in (len(t) // 3, len(t) // 2, (2 * len(t)) // 3, len(t) - 1):
        out.append(t[:cut])
    return [v for v in dict.fromkeys(out) if v and _native.text_ok(v)]


_CACHE: dict[str, list[str]] = {}


def _all_texts() -> list[str]:
    if "all" not in _CACHE:
        base, note = _base_texts()
        out = []
        for t in base:
            out += _variants(t)
        _CACHE["all"] = list(dict.fromkeys(out))
        _CACHE["base"] = list(base)
        _CACHE["note"] = [note, str(len(base))]
    return _CACHE["all"]


def _tuple(r):
    return None if r is None else (r.start, r.end, r.text)


def _tuples(rs):
    return [(r.start, r.end, r.text) for r in rs]


def test_names_parity():
    probe = _native.NamesProbe()
    texts = _all_texts()
    mismatches = []
    words = 0
    for t in texts:
        py_runs = _tuples(names.runs(t))
        rs_runs = probe.runs(t)
        if py_runs != rs_runs:
            mismatches.append(("runs", t, py_runs, rs_runs))
            continue
        cands = {r[2] for r in py_runs} | set(t.split()) | {w.strip(".,;:!?()") for w in t.split()}
        for c in cands:
            words += 1
            if names.is_org_like(c) != probe.is_org_like(c):
                mismatches.append(("is_org_like", c))
            run = names.Run(0, len(c), c)
            if names.is_adjective_run(run) != probe.is_adjective_run(c):
                mismatches.append(("is_adjective_run", c))
            if (c in names.STOP) != probe.is_stop(c):
                mismatches.append(("is_stop", c))
    print(f"names: {len(texts)} texts ({_CACHE['note']}), {words} words, {len(mismatches)} mismatches")
    assert not mismatches, mismatches[:10]


def _queries(t: str, runs, full: bool = True) -> list[tuple[str, tuple[int, ...]]]:
    """Every method at every word boundary; ``full``: with several limits each, else with
    the defaults classify uses (variants of a text get the defaults only: the suite stays fast)."""
    obj_limits, first_limits, inv_limits, spans = (
        ((70, 40, 30, 10), (45, 10, 100), (90, 40, 200), (1, 5, 20)) if full
        else ((70, 40), (45,), (90,), (1, 5)))
    bounds = sorted({0, len(t)} | {m.start() for m in re.finditer(r"\b", t)})
    q: list[tuple[str, tuple[int, ...]]] = [
        ("org_runs", ()), ("leading_appositive", ()), ("investor_sentences", ()), ("investors_leading", ()),
    ]
    for i in range(len(runs)):
        q.append(("list_backward", (i,)))
        q.append(("list_forward", (i,)))
    for j, p in enumerate(bounds):
        q.append(("subject_before", (p,)))
        for skip in (1, 0):
            for lim in obj_limits:
                q.append(("object_after", (p, skip, lim)))
        for lim in first_limits:
            q.append(("first_run_after", (p, lim)))
        q.append(("clause_subjects", (p,)))
        for lim in inv_limits:
            q.append(("investors_after", (p, lim)))
        for k in spans:
            if j + k < len(bounds):
                q.append(("inside", (p, bounds[j + k])))
    q.append(("inside", (0, len(t))))
    return q


def _py_answer(s: Slots, runs, name: str, a: tuple[int, ...]):
    if name == "org_runs":
        return _tuples(s.org_runs())
    if name == "leading_appositive":
        return _tuple(s.leading_appositive())
    if name == "investor_sentences":
        return _tuples(s.investor_sentences())
    if name == "investors_leading":
        return _tuples(s.investors_leading())
    if name == "list_backward":
        return _tuples(s.list_backward(runs[a[0]]))
    if name == "list_forward":
        return _tuples(s.list_forward(runs[a[0]]))
    if name == "subject_before":
        return _tuple(s.subject_before(a[0]))
    if name == "object_after":
        return _tuple(s.object_after(a[0], skip_prep=bool(a[1]), limit=a[2]))
    if name == "first_run_after":
        return _tuple(s.first_run_after(a[0], a[1]))
    if name == "clause_subjects":
        return _tuples(s.clause_subjects(a[0]))
    if name == "investors_after":
        return _tuples(s.investors_after(a[0], a[1]))
    if name == "inside":
        return _tuples(s.inside(a[0], a[1]))
    raise AssertionError(name)


def test_slots_parity():
    probe = _native.PartiesProbe()
    watchlist = default_matcher().watchlist
    texts = _all_texts()
    base = set(_CACHE["base"])
    mismatches = []
    n_queries = 0
    for t in texts:
        low = t.lower()
        assert probe.may_name_investors(low) == may_name_investors(low)
        runs = tuple(_merge_watch_runs(t, watchlist.find_all(t)))
        s = Slots(t, runs, low)
        queries = _queries(t, runs, full=t in base)
        got = probe.query(t, [tuple(r) for r in runs], [(n, list(a)) for n, a in queries])
        n_queries += len(queries)
        for (name, a), g in zip(queries, got):
            want = _py_answer(s, runs, name, a)
            if want != g:
                mismatches.append((t, name, a, want, g))
    print(f"slots: {len(texts)} texts ({_CACHE['note']}), {n_queries} queries, {len(mismatches)} mismatches")
    assert not mismatches, mismatches[:10]
