"""The Matcher: Story -> Match (ai, events, parties, amount, round, confidence, evidence)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

import structlog

from bot.matcher.ai import AI_WORDS, ai_keyword_low, ai_phrase_low
from bot.matcher.amounts import AmountHit, find_amounts, is_bare_price
from bot.matcher.events import (
    GATE_BITS_MASK,
    GATE_WORD_BITS,
    SUMMARY_FIRST_BITS,
    TITLE_FIRST_BITS,
    Hit,
    find_hits,
)
from bot.matcher.names import Run, is_org_like, runs
from bot.matcher.native import load as load_native
from bot.matcher.normalize import NormText, normalize_unless_plain
from bot.matcher.parties import CLAUSE_BREAK, Slots, may_name_investors
from bot.matcher.rounds import ROUND_STARTS, find_round
from bot.matcher.tokens import (
    MONEY_WORDS,
    has_money_char,
    safe_lower,
    trie_pattern,
    with_possessives,
    word_bits,
    word_set,
)
from bot.matcher.watchlist import WatchHit, Watchlist
from bot.types import EVENT_TYPES, Amount, EventType, Evidence, Match, Story

Field = Literal["title", "summary"]
_log = structlog.get_logger("alliance.matcher")


class _Engine(Protocol):
    """native/src/classify.rs's Engine: a Match, or None for text it does not take."""

    def classify(self, title: str, summary: str) -> Match | None: ...

# ---- whole-story vetoes (why: each is a labelled "not an event" family) --------------------
# Conference promotions, newsletters and shopping "deals" mention rounds and deals in passing.
_PROMO = re.compile(
    r"(?i:\bsave (?:up to |over |big)|\bsavings\b|\btickets?\b|\blast chance\b|\bdays? (?:left|until)\b|"
    r"\bregister now\b|\bearly bird\b|\bwebinar\b|\bpodcast\b|\bnewsletter\b|\bStartups Weekly\b|"
    r"\bThe Download\b|\bdeal days\b|\b\d+% off\b|\$\d+ off\b|\bon sale\b|\bbest deals?\b|"
    r"\bdeal alert\b|\bblack friday\b|\bprime day\b|\bcyber monday\b|\bhow to get the deal\b)"
    r"|\bat [A-Z][\w.]*(?: [A-Z][\w.]*)* 20\d\d\s*$"
)
# An IPO is not a funding round (GUIDE); "pre-IPO round" is.
_IPO = re.compile(
    r"(?<!pre-)(?<!pre )\bIPOs?\b|(?i:\binitial public offering\b|\bgo(?:es|ing)? public\b|"
    r"\bfiles? to go public\b|\bdirect listing\b|\b(?:public|stock market|market) debut\b|\bS-1\b"
    # "soars 80% in KOSDAQ debut", "Nasdaq debut": a listing on a named exchange
    r"|\b(?:kosdaq|kospi|nasdaq|nyse|lse|tsx|asx|sgx|hkex|bse|nse|euronext|exchange|trading|"
    r"stock|share) debut\b)"
)
# A VC firm raising its own fund, or a grant/prize programme, is not a company raise.
_FUND_CLOSE = re.compile(
    r"(?i:\b(?:new|first|second|third|fourth|fifth|sixth|seventh|\w+th|debut|latest|flagship|"
    r"early-stage|growth|seed|ai|opportunity|continuation)\s+(?:stage\s+)?funds?\b"
    # "led by M12, Microsoft's venture fund": an investor described, not a fund closed
    r"|(?<![’']s\s)\b(?:venture|vc)\s+funds?\b)"
    r"(?!ing|rais)|\$[\d.]+\s?[MBK]?\w*\s+(?:\w+\s+)?funds?\b(?!ing)"
)
_GRANTS = re.compile(
    r"(?i:\bgrants?\b|\bprizes?\b|\bscholarships?\b|\bfellowships?\b|\baward\b"
    # a government's own spending: "Cabinet approves ₹10,372 crore funding for IndiaAI Mission"
    r"|\b(?:cabinet|government|govt|ministry|parliament|congress|senate|lawmakers|legislature)\s+"
    r"(?:\w+\s+){0,2}?(?:approves?|approved|allocates?|allocated|earmarks?|earmarked|sanctions?|"
    r"sanctioned)\b"
    # "EU opens €1 billion funding call for AI factories": a programme to apply to
    r"|\bfunding calls?\b|\bcalls? for (?:proposals|applications)\b)"
)
# Advice and how-to pieces talk about raising without anyone raising.
_ADVICE = re.compile(
    r"(?i:\b(?:how to|need to|tips (?:for|to)|guide to|should you|when to|ways to|time to)\s+raise\b)"
)
_LAWSUIT = re.compile(r"(?i:\b(?:sues|sued|suing|lawsuit|class action|verdict)\b)")
_TRADE = re.compile(
    r"(?i:\btrade (?:deal|pact|agreement|talks)\b|\bfree trade\b|\bceasefire\b|\bpeace (?:deal|talks)\b|"
    r"\bplea deal\b|\bmake a deal\b"
    # "agrees to $1.5 billion deal to settle authors' piracy lawsuit": a settlement
    r"|\bto settle\b)"
)
def _fast_constructor(cls: type, names: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """A positional constructor for a frozen slots dataclass that skips the generated
    ``__init__``'s per-field ``object.__setattr__`` indirection (it costs microseconds per
    story).  Only used when ``cls`` has exactly the fields ``names``, in order, all plain
    slots, and no ``__post_init__``; otherwise the class itself is returned (same result).
    """
    import dataclasses
    import types

    try:
        ok = (
            tuple(f.name for f in dataclasses.fields(cls)) == names
            and not hasattr(cls, "__post_init__")
            and all(isinstance(cls.__dict__.get(n), types.MemberDescriptorType) for n in names)
        )
    except TypeError:
        ok = False
    if not ok:
        return cls
    env = {"_new": object.__new__, "_cls": cls}
    env.update({f"_set_{n}": cls.__dict__[n].__set__ for n in names})
    body = "".join(f"    _set_{n}(o, {n})\n" for n in names)
    exec(f"def make({', '.join(names)}):\n    o = _new(_cls)\n{body}    return o\n", env)
    return env["make"]


# Positional: (ai, events, parties, amount, round, confidence, evidence, signals).
_match: Callable[..., Match] = _fast_constructor(
    Match, ("ai", "events", "parties", "amount", "round", "confidence", "evidence", "signals")
)
# Positional: (signal, field, start, end, quote).
_evidence: Callable[..., Evidence] = _fast_constructor(
    Evidence, ("signal", "field", "start", "end", "quote")
)
# Positional: (value, currency); the native port's constructor for Amount.
_amount: Callable[..., Amount] = _fast_constructor(Amount, ("value", "currency"))

# ---- one scan for every title veto ------------------------------------------------------
# Every match of each veto regex begins with "\b" before one of its lowercase start literals
# below, with three exceptions: _PROMO's two amount-led alternatives (_PROMO_NUM on the
# lowercase copy over-approximates them) and _FUND_CLOSE, whose matches all hold whitespace
# then "fund"/"funds" ending a word (_FUND_CLOSE_PRE: the regex runs only when that occurs).
# One word-start scan of the safe lowercase copy (tokens.word_start_scanner's pattern, built
# from tokens.trie_pattern with the literal captured) finds where any literal starts; each veto regex
# is tried only where one of its own literals does, instead of one scan per veto.  The same
# pass lists where rounds.ROUND_STARTS literals start (key "round"): the title's round
# stage is then looked for there, without a scan of its own.
_VETO_STARTS: dict[str, tuple[str, ...]] = {
    "promo": ("save ", "savings", "ticket", "last chance", "day", "register now", "early bird",
              "webinar", "podcast", "newsletter", "startups weekly", "the download", "deal days",
              "on sale", "best deal", "deal alert", "black friday", "prime day", "cyber monday",
              "how to get the deal", "at "),
    "ipo": ("ipo", "initial public offering", "go", "file", "direct listing", "public",
            "stock market", "market", "s-1", "kosdaq", "kospi", "nasdaq", "nyse", "lse", "tsx",
            "asx", "sgx", "hkex", "bse", "nse", "euronext", "exchange", "trading", "stock",
            "share"),
    "fund": ("fund",),
    "grant": ("grant", "prize", "scholarship", "fellowship", "award", "cabinet", "government",
              "govt", "ministry", "parliament", "congress", "senate", "lawmakers", "legislature",
              "funding call", "call for", "calls for"),
    "advice": ("how to", "need to", "tips ", "guide to", "should you", "when to", "ways to",
               "time to"),
    "lawsuit": ("sues", "sued", "suing", "lawsuit", "class action", "verdict"),
    "trade": ("trade ", "free trade", "ceasefire", "peace ", "plea deal", "make a deal", "to settle"),
    "round": ROUND_STARTS,
}
_VETO_REGEX: dict[str, re.Pattern[str]] = {
    "promo": _PROMO, "ipo": _IPO, "fund": _FUND_CLOSE, "grant": _GRANTS, "advice": _ADVICE,
    "lawsuit": _LAWSUIT, "trade": _TRADE,
}
_PROMO_NUM = re.compile(r"\d% off(?![a-z])|\$\d+ off(?![a-z])")
_FUND_CLOSE_PRE = re.compile(r"\sfunds?(?![a-z])")
# The scan's trie takes the longest literal starting at an offset; every shorter literal
# starting there is a prefix of it.  So the vetoes to try at an offset are those owning the
# captured literal or one of its prefixes (precomputed per literal).
_VETO_SCAN = re.compile(
    r"[^a-z](?=(" + trie_pattern(sorted({lit for lits in _VETO_STARTS.values() for lit in lits})) + "))"
)
_VETOES_AT: dict[str, tuple[str, ...]] = {
    lit: tuple(key for key, lits in _VETO_STARTS.items() if any(lit.startswith(p) for p in lits))
    for lits in _VETO_STARTS.values() for lit in lits
}


def _title_vetoes(view: _FieldView) -> tuple[set[str], list[int] | None]:
    """The keys of _VETO_REGEX whose regex is found in ``view.text`` (``regex.search``), and
    the ``starts`` to give ``rounds.find_round`` for the title (None: no lowercase copy)."""
    text = view.text
    low = view.low
    if low is None:
        return {key for key, rx in _VETO_REGEX.items() if rx.search(text) is not None}, None
    found: set[str] = set()
    round_starts: list[int] = []
    # Both _PROMO_NUM alternatives hold " off": a substring test spares its scan of every offset.
    if " off" in low and _PROMO_NUM.search(low) is not None and _PROMO.search(text) is not None:
        found.add("promo")
    padded = " " + low
    fund_gate = False
    for s in _VETO_SCAN.finditer(padded):
        i = s.start()
        for key in _VETOES_AT[s.group(1)]:
            if key in found:
                continue
            if key == "round":
                round_starts.append(i)
            elif key == "fund":
                fund_gate = fund_gate or _FUND_CLOSE_PRE.match(padded, i) is not None
            elif _VETO_REGEX[key].match(text, i) is not None:
                found.add(key)
    if fund_gate and _FUND_CLOSE.search(text) is not None:
        found.add("fund")
    return found, round_starts


_INVESTOR_NAME = re.compile(r"(?:Ventures|Capital|Partners|VC|VCs|Fund|Investments|Management|Equity)$")
# Partnership rules that only say "deal": under an acquisition they describe the purchase.
_GENERIC_DEAL = frozenset(
    {
        "partnership:deal-verb", "partnership:deal-with", "partnership:pair-deal",
        "partnership:kind-deal", "partnership:new-deal", "partnership:with-deal",
        "partnership:commits", "partnership:join-forces", "partnership:joint-launch",
    }
)
_DEAL_MONEY_RULES = frozenset({"funding:valuation", "funding:amount-round"})
_STRATEGIC_RULES = frozenset({"funding:invests-in", "funding:investment-in", "funding:stake",
                              "funding:top-shareholder"})
_STRENGTH = {"strong": 0.85, "medium": 0.55}
# A set of event types as bits; _EVENTS_OF[bits] lists them in EVENT_TYPES order.
_EVENT_BIT: dict[str, int] = {e: 1 << i for i, e in enumerate(EVENT_TYPES)}
_EVENTS_OF: tuple[tuple[EventType, ...], ...] = tuple(
    tuple(e for e in EVENT_TYPES if bits & _EVENT_BIT[e]) for bits in range(1 << len(EVENT_TYPES))
)


# Every question asked of a field's words (any gate word?  which gates?  a money word?  an
# AI word?  the first word of an AI-first watchlist spelling?) is answered by one table:
# word -> the word's gate bits (events.GATE_WORD_BITS) plus one flag bit per word list.
# tokens.word_bits ORs the entries of a field's words in one pass.
_MONEY_BIT = GATE_BITS_MASK + 1
_AI_BIT = _MONEY_BIT << 1
_AI_FIRST_BIT = _MONEY_BIT << 2  # set by the Matcher, whose watchlist knows those words


def _vocab(ai_first_words: frozenset[str] = frozenset()) -> dict[str, int]:
    table = dict(GATE_WORD_BITS)
    for words, flag in ((MONEY_WORDS, _MONEY_BIT), (AI_WORDS, _AI_BIT),
                        (ai_first_words, _AI_FIRST_BIT)):
        for w in words:
            table[w] = table.get(w, 0) | flag
    return with_possessives(table)


_VOCAB = _vocab()


class _FieldView:
    """One field, normalised, with its lazily computed words, runs and amounts."""

    __slots__ = ("name", "norm", "watch", "text", "low", "vocab", "_bits", "_slots", "_amounts",
                 "_watch_hits")

    def __init__(self, name: Field, original: str, watch: Watchlist,
                 vocab: dict[str, int] = _VOCAB) -> None:
        self.name = name
        self.watch = watch
        self.vocab = vocab
        norm = normalize_unless_plain(original)
        self.norm: NormText | None = norm
        if norm is None:
            # normalize() is the identity on such text (and safe_lower accepts it); build
            # no NormText: evidence offsets map one to one.
            self.text = original
            self.low: str | None = original.lower()  # safe_lower(text) == text.lower() here
        else:
            self.text = norm.text
            self.low = safe_lower(norm.text)
        self._bits: int | None = None
        self._slots: Slots | None = None
        self._amounts: list[AmountHit] | None = None
        self._watch_hits: list[WatchHit] | None = None

    @property
    def bits(self) -> int:
        """The vocabulary bits of the field's words (tokens.word_set; see _vocab), computed on
        first use: a summary is often settled by its title and never needs them."""
        bits = self._bits
        if bits is None:
            text = self.text
            low = self.low
            bits = self._bits = word_bits(text.lower() if low is None else low, self.vocab)
        return bits

    def hits(self) -> list[Hit]:
        text = self.text
        if not text:
            return []
        bits = self.bits
        money = bits & _MONEY_BIT != 0 or has_money_char(text)
        if not money and not bits & (TITLE_FIRST_BITS if self.name == "title" else SUMMARY_FIRST_BITS):
            return []  # find_hits' own first test, before the call
        return find_hits(text, self.name, bits, money, self.low)

    @property
    def watch_hits(self) -> list[WatchHit]:
        if self._watch_hits is None:
            self._watch_hits = self.watch.find_all(self.text)
        return self._watch_hits

    @property
    def slots(self) -> Slots:
        if self._slots is None:
            self._slots = Slots(self.text, tuple(_merge_watch_runs(self.text, self.watch_hits)),
                                self.low)
        return self._slots

    @property
    def amounts(self) -> list[AmountHit]:
        if self._amounts is None:
            self._amounts = find_amounts(self.text, self.low)
        return self._amounts

    def evidence(self, signal: str, start: int, end: int) -> Evidence:
        norm = self.norm
        if norm is None:
            return _evidence(signal, self.name, start, end, self.text[start:end])
        a, b = norm.span(start, end)
        return _evidence(signal, self.name, a, b, norm.original[a:b])


def _merge_watch_runs(text: str, hits: list[WatchHit]) -> list[Run]:
    """Capitalised runs, with watchlist mentions kept whole ("Insight Partners", "Stack AI")."""
    base = runs(text)
    if not hits:
        return base
    if any(" & " in r.text for r in base):
        base = [p for r in base for p in _split_known_pair(r, hits)]
    # Usually each mention is exactly one of the runs ("OpenAI"): the merge below would
    # drop that run and add back an equal one, so the result is the runs themselves.
    run_end = {r.start: r.end for r in base}
    for h in hits:
        if run_end.get(h.start) != h.end:
            break
    else:
        return base
    out: list[Run] = []
    for r in base:
        rs, re_ = r.start, r.end
        for h in hits:
            hs, he = h.start, h.end
            if hs < re_ and rs < he and not (rs <= hs and re_ >= he and re_ - rs > he - hs):
                break  # overlaps a watchlist mention it does not strictly contain
        else:
            out.append(r)
    covered = [(r.start, r.end) for r in out]
    for h in hits:
        hs, he = h.start, h.end
        for a, b in covered:
            if a <= hs and he <= b:
                break  # inside a longer unknown name ("Samsung Electronics America"): keep the longer
        else:
            out.append(Run(hs, he, text[hs:he]))
    out.sort(key=_run_start)
    return out


# A summary sentence about "the startup" or "the CRM giant" (or "it"), naming no organisation
# before its verb, is about the company its vague title names ("Kumo Reasoning comes of age" /
# "The Tokyo AI developer closed a ¥10 billion Series C").
_ANAPHOR = re.compile(
    r"\s*(?:(?:The|This|the|this)\s+(?:[\w'’.-]+\s+){0,5}?(?:start-?up|company|firm|developer|"
    r"maker|lab|giant|provider|platform|unicorn|business|outfit|chipmaker|group|scale-?up|"
    r"vendor|specialist|creator|operator|builder|insurer|lender|retailer|fintech|automaker)"
    r"|It)\b(?![-’'])"
)
_AGGREGATE_SUBJECT = re.compile(
    r"\b(?:startups|companies|firms|founders|unicorns|businesses|scale-ups|scaleups|labs)\s+"
    r"(?:have\s+|had\s+|collectively\s+|together\s+)*$", re.IGNORECASE
)
_GERUND_AFTER = re.compile(r"\s+[a-z]+ing\b")
_FIRST_PERSON = re.compile(r"\b[Ww]e(?:['’](?:re|ve|ll))?\s+(?:\w+\s+){0,3}$")
_PUBLISHER = "\x00publisher"
_TITLE_CLAUSE = re.compile(r"[?:;|—–]\s|\s-\s")


def _sentence_naming_none(pos: int, view: _FieldView) -> int | None:
    """Where the sentence holding ``pos`` starts, if it names no organisation before ``pos``."""
    start = view.text.rfind(". ", 0, pos)
    start = 0 if start < 0 else start + 2
    if any(start <= r.start and r.end <= pos for r in view.slots.org_runs()):
        return None
    return start


def _antecedent(pos: int, view: _FieldView, title: _FieldView) -> Run | None:
    """The title's company, when the summary sentence holding ``pos`` opens with a
    descriptor ("The voice-agent startup has landed ...") and names no organisation before
    ``pos``.  The title's last clause holds its news ("Exclusive: Foo buys itself runway")."""
    start = _sentence_naming_none(pos, view)
    if start is None or _ANAPHOR.match(view.text, start) is None:
        return None
    clause = 0
    for m in _TITLE_CLAUSE.finditer(title.text):
        clause = m.end()
    for r in title.slots.org_runs():
        if r.start >= clause:
            return r
    return None


_PAIR_ANAPHOR = re.compile(
    r"(?i:\b(?:the two (?:companies|firms|sides)|both (?:companies|firms|sides)|the companies|the pair)\b)"
)


def _pair_antecedent(pos: int, end: int, view: _FieldView, title: _FieldView) -> list[Run]:
    """The title's first two organisations, when the summary sentence holding ``pos`` says
    "the two companies" (or "both companies") by ``end`` and names none before ``pos``."""
    start = _sentence_naming_none(pos, view)
    if start is None or _PAIR_ANAPHOR.search(view.text, start, end) is None:
        return []
    orgs = title.slots.org_runs()
    return orgs[:2] if len(orgs) >= 2 else []


def _split_known_pair(r: Run, hits: list[WatchHit]) -> list[Run]:
    """"Microsoft & OpenAI": two watchlist organisations joined by "&" are two parties
    ("Larsen & Toubro", with neither side known, stays one name)."""
    left, amp, right = r.text.partition(" & ")
    if not amp or " & " in right:
        return [r]
    cut = r.start + len(left)
    if not (any(r.start <= h.start and h.end <= cut for h in hits)
            and any(cut + 3 <= h.start and h.end <= r.end for h in hits)):
        return [r]
    return [Run(r.start, cut, left), Run(cut + 3, r.end, right)]


def _split_pair(r: Run) -> list[Run]:
    """"Apple-Alibaba" (as in "the Apple-Alibaba deal") names two parties: split it when
    both sides look like organisations; any other run is returned as it is."""
    left, dash, right = r.text.partition("-")
    if not dash or "-" in right or not (is_org_like(left) and is_org_like(right)):
        return [r]
    cut = r.start + len(left)
    return [Run(r.start, cut, left), Run(cut + 1, r.end, right)]


def _run_start(r: Run) -> int:
    return r.start


@dataclass(slots=True)
class _Parties:
    raisers: list[str] = field(default_factory=list)
    investors: list[str] = field(default_factory=list)
    others: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        """``bool(self.ordered())``: some party was recorded."""
        return bool(self.raisers or self.investors or self.others)

    def ordered(self) -> list[str]:
        seen: set[str] = set()
        out: list[str] = []
        for name in (*self.raisers, *self.investors, *self.others):
            key = name.casefold()
            if key not in seen:
                seen.add(key)
                out.append(name)
        return out


class Matcher:
    """Classifies stories with rules; holds its (immutable) watchlist and memo tables of
    pure per-name lookups (canonical name, investor or not), which only ever save work."""

    def __init__(self, watchlist: Watchlist, *, native: bool = True) -> None:
        """``native``: classify with the native port (``native/``, checked against these
        rules by tests/test_native_classify.py) when it is built; False, or a build absent,
        runs these rules in Python.  Either way the results are the same."""
        self.watchlist = watchlist
        self._canon_cache: dict[str, str] = {}
        self._investor_cache: dict[str, bool] = {}
        # One word (lowercased) of the first token of each AI-first spelling: a mention
        # needs it, so it is a cheap gate before the watchlist regex.  ``min`` makes the pick
        # deterministic when the token holds several words ("D-ID").
        ai_first_words = frozenset(
            min(words) for e in watchlist.entries if e.ai_first for s in e.spellings()
            if s.split() and (words := word_set(s.split()[0]))
        )
        self._vocab = _vocab(ai_first_words)
        self._no_summary = _FieldView("summary", "", watchlist, self._vocab)
        self._engine: _Engine | None = None
        module = load_native() if native else None
        if module is not None:
            try:
                self._engine = module.Engine(self, _match, _evidence, _amount)
            except Exception as exc:  # noqa: BLE001 - any failure: the Python rules still answer
                # A build older than these modules (the port reads their patterns and tables
                # by name): same answers from the Python rules, slower; say how to fix it.
                _log.warning("native matcher unusable; classifying with the Python rules "
                             "(rebuild with scripts/build_native.sh)", error=repr(exc))

    @property
    def implementation(self) -> str:
        """"native" or "python": what ``classify`` runs (for the start-up log)."""
        return "python" if self._engine is None else "native"

    # -- public ---------------------------------------------------------------------------
    def classify(self, story: Story) -> Match:
        engine = self._engine
        if engine is not None:
            # None: a character the port does not take (see native/src/chars.rs), rare.
            try:
                match = engine.classify(story.title, story.summary)
            except BaseException as exc:
                # pyo3 raises a Rust panic as PanicException, a BaseException so that it is not
                # caught by accident.  One story must not stop a poll: the Python rules answer
                # for it, and the log says which story (a bug to report).  Anything else
                # (KeyboardInterrupt, SystemExit, MemoryError) propagates.
                if type(exc).__name__ != "PanicException":
                    raise
                _log.error("native matcher failed on a story; the Python rules answered",
                           error=repr(exc), title=story.title[:120], source=story.source)
                match = None
            if match is not None:
                return match
        return self.classify_python(story)

    def classify_python(self, story: Story) -> Match:
        """The rules in Python: the reference the native port is checked against."""
        vocab = self._vocab
        title = _FieldView("title", story.title, self.watchlist, vocab)
        # Half the feeds carry no summary: share one (immutable in effect) empty view.
        summary = (_FieldView("summary", story.summary, self.watchlist, vocab) if story.summary
                   else self._no_summary)
        signals: list[str] = []
        evidence: list[Evidence] = []

        ai = self._ai(title, summary, signals, evidence)
        # The summary adds an event only when the title has none (feeds often carry a
        # vague headline over a factual first sentence); otherwise it only adds details.
        title_hits = title.hits()
        summary_hits: list[Hit] | None = None
        if not title_hits:
            summary_hits = summary.hits()
            if not summary_hits:
                # No trigger anywhere: no event, parties, amount or round work at all.
                return _match(ai, (), (), None, None, 0.0, tuple(evidence), tuple(signals))
        parties = _Parties()
        found_vetoes, round_starts = _title_vetoes(title)
        kept = self._events(found_vetoes, title, summary, title_hits, summary_hits, parties,
                            signals)
        if not kept:
            # Every kept hit adds its event type (and only kept hits can make an investment
            # strategic): no kept hit, no event.
            return _match(ai, (), (), None, None, 0.0, tuple(evidence), tuple(signals))
        # One pass over the kept hits: their event types (as _EVENT_BIT bits), evidence and
        # the probability that every one of them is wrong.
        found = 0
        miss = 1.0
        for h in kept:
            rule = h.rule
            found |= _EVENT_BIT[rule.event]
            miss *= 1.0 - _STRENGTH[rule.strength]
            view = title if h.field == "title" else summary
            evidence.append(view.evidence(rule.signal, h.start, h.end))
        strategic = self._strategic(kept, parties)
        if strategic:
            # GUIDE: "Amazon invests $4B in Anthropic" is both funding and partnership.
            found |= _EVENT_BIT["partnership"]
            signals.append("partnership:strategic-investment")
        events = _EVENTS_OF[found]
        if (found & _EVENT_BIT["funding"] and not parties.investors and summary.text
                and all(h.field == "title" for h in kept)):
            # Feeds often name a title's round's investors in the summary ("The round was
            # led by Foo, with participation from Bar").
            slots, pos, end = summary.slots, 0, len(summary.text)
            for _ in range(3):  # "led by Foo, with participation from Bar and Baz"
                investors = slots.investors_after(pos, limit=end - pos)
                if not investors:
                    break
                parties.investors.extend(self._canon(r) for r in investors)
                pos = investors[-1].end
            if parties.investors:
                signals.append("parties:summary-investors")
        if found & _EVENT_BIT["funding"]:
            # Investors in sentences of their own ("Foo also participated", "with Bar
            # co-leading"), wherever the round itself was read.
            raisers = {n.casefold() for n in parties.raisers}
            for view in (title, summary):
                if not view.text or (view.low is not None and not may_name_investors(view.low)):
                    continue  # (spares building the field's slots)
                for r in view.slots.investor_sentences():
                    name = self._canon(r)
                    if name.casefold() not in raisers:
                        parties.investors.append(name)
                        signals.append("parties:investor-sentence")

        amount = self._amount(kept, title, summary, evidence, signals)
        rnd = self._round(events, strategic, title, summary, round_starts, evidence, signals)
        if (rnd == "strategic" and not strategic and parties.raisers
                and any(not self._is_investor(n) for n in parties.investors)):
            # "Codeforge announces $200M strategic investment from Nvidia": the text calls it
            # strategic and the investor is an operating company (GUIDE: both events).
            events = _EVENTS_OF[found | _EVENT_BIT["partnership"]]
            signals.append("partnership:strategic-investment")
        confidence = (1.0 - miss) * (1.0 if ai else 0.9)
        return _match(
            ai, events, tuple(parties.ordered()), amount, rnd, min(confidence, 0.99),
            tuple(evidence), tuple(dict.fromkeys(signals)),
        )

    # -- ai -------------------------------------------------------------------------------
    def _ai(self, title: _FieldView, summary: _FieldView, signals: list[str],
            evidence: list[Evidence]) -> bool:
        for view in (title, summary):
            text = view.text
            if text and (view.bits & _AI_BIT or ai_phrase_low(text, view.low)):
                m = ai_keyword_low(text, view.low)
                if m is not None:
                    signals.append("ai:keyword")
                    evidence.append(view.evidence("ai:keyword", m.start(), m.end()))
                    return True
        for view in (title, summary):
            if not view.bits & _AI_FIRST_BIT:
                continue  # no first word of an AI-first spelling (or no text)
            for hit in view.watch_hits:
                if hit.entry.ai_first:
                    signals.append(f"ai:watchlist:{hit.entry.kind}")
                    evidence.append(view.evidence("ai:watchlist", hit.start, hit.end))
                    return True
        return False

    # -- events ---------------------------------------------------------------------------
    def _events(self, found: set[str], title: _FieldView, summary: _FieldView,
                title_hits: list[Hit], summary_hits: list[Hit] | None, parties: _Parties,
                signals: list[str]) -> list[Hit]:
        """The kept hits; ``found`` holds the title's vetoes (``_title_vetoes``)."""
        if "promo" in found:
            signals.append("veto:promo")
            return []
        vetoes = self._vetoes(found, signals)
        if "grant" in found or "fund" in found:
            # "commits $50 million in grants to nonprofits through new fund": philanthropy
            title_hits = [h for h in title_hits if h.rule.signal != "partnership:commits"]
        kept = self._keep(title_hits, title, vetoes, parties, signals)
        if not kept and summary.text:
            if summary_hits is None:
                summary_hits = summary.hits()
            kept = self._keep(summary_hits, summary, vetoes, parties, signals, title)
        elif kept and summary.text and all(h.rule.signal in _GENERIC_DEAL for h in kept):
            # The title only says "deal" ("OpenAI's latest deal: $1.1 billion for an A/B testing
            # startup"); a summary that says "agreed to buy Statsig" tells which kind.
            if summary_hits is None:
                summary_hits = summary.hits()
            buys = [h for h in summary_hits
                    if h.rule.event == "acquisition" and h.rule.strength == "strong"]
            if buys:
                kept = kept + self._keep(buys, summary, vetoes, parties, signals, title)
        kept = self._arbitrate(kept, parties, signals)
        if kept:
            kept = self._deal_money(kept, title, summary, signals)
        if kept:
            self._fallback_parties(kept, title, summary, parties)
        return kept

    def _keep(self, hits: list[Hit], view: _FieldView, vetoes: set[EventType],
              parties: _Parties, signals: list[str],
              title: _FieldView | None = None) -> list[Hit]:
        """``title``: given for summary hits, whose "The startup ..." may mean the title's
        company (see ``_antecedent``)."""
        kept: list[Hit] = []
        raisers, investors, others = parties.raisers, parties.investors, parties.others
        for h in hits:
            rule = h.rule
            if rule.event in vetoes:
                continue
            if rule.role == "raise" and self._only_prices(h, view):
                signals.append(f"drop:{rule.signal}:price")
                continue
            # A dropped hit must not leave the parties it did find behind: remember where
            # each list ended, and cut them back on a drop.
            marks = len(raisers), len(investors), len(others)
            names = self._hit_parties(h, view, parties, title, signals)
            need = rule.min_parties or (1 if rule.strength == "medium" else 0)
            if h.field == "summary":
                # Summaries talk about deals in general; require named organisations.
                need = max(need, 2 if rule.event == "partnership" else 1)
            if names is None or len(set(names)) < need:
                signals.append(f"drop:{rule.signal}" if names is None
                               else f"drop:{rule.signal}:parties")
                del raisers[marks[0]:], investors[marks[1]:], others[marks[2]:]
                continue
            kept.append(h)
            signals.append(rule.signal)
        return kept

    @staticmethod
    def _only_prices(h: Hit, view: _FieldView) -> bool:
        """Some amount lies inside the hit (up to two characters past it), and every such
        amount is a bare price.  (A plain loop: no list or generator per raise hit.)"""
        start, end = h.start, h.end + 2
        inside = False
        for a in view.amounts:
            if start <= a.start and a.end <= end:
                if not is_bare_price(a):
                    return False
                inside = True
        return inside

    @staticmethod
    def _vetoes(found: set[str], signals: list[str]) -> set[EventType]:
        """The event types the title's vetoes (``_title_vetoes``) rule out, with their signals."""
        out: set[EventType] = set()
        if "ipo" in found:
            out.add("funding")
            signals.append("veto:ipo")
        if "fund" in found or "grant" in found:
            out.add("funding")
            signals.append("veto:fund-or-grant")
        if "advice" in found:
            out.add("funding")
            signals.append("veto:advice")
        if "lawsuit" in found:
            out.add("funding")
            signals.append("veto:lawsuit")
        if "trade" in found:
            out.add("partnership")
            signals.append("veto:trade-deal")
        return out

    def _arbitrate(self, kept: list[Hit], parties: _Parties, signals: list[str]) -> list[Hit]:
        for h in kept:
            rule = h.rule
            if rule.event == "acquisition" and rule.strength == "strong":
                return [h for h in kept if h.rule.signal not in _GENERIC_DEAL]
        return kept

    @staticmethod
    def _deal_money(kept: list[Hit], title: _FieldView, summary: _FieldView,
                    signals: list[str]) -> list[Hit]:
        """A valuation or an "investment" amount after a partnership or acquisition trigger
        prices that deal ("signs GPU supply agreement valued at $1.1B", "to set up a joint
        venture with ¥3 billion investment"): it is no funding round of its own."""
        money = [h for h in kept if h.rule.signal in _DEAL_MONEY_RULES]
        if not money or any(h.rule.event == "funding" and h.rule.signal not in _DEAL_MONEY_RULES
                            for h in kept):
            return kept
        drop = []
        for h in money:
            text = (title if h.field == "title" else summary).text
            if h.rule.signal == "funding:amount-round" and not text[h.start:h.end].lower().endswith(
                    "investment"):
                continue
            if any(d.field == h.field and d.start < h.start and d.rule.event != "funding"
                   and d.rule.strength == "strong" for d in kept):
                drop.append(h)
        for h in drop:
            signals.append(f"drop:{h.rule.signal}:deal-money")
        return [h for h in kept if h not in drop]

    # -- parties --------------------------------------------------------------------------
    def _canon(self, run: Run) -> str:
        # watchlist.canonical is a pure function of the name; names recur across stories.
        cache = self._canon_cache
        name = cache.get(run.text)
        if name is None:
            if len(cache) > 20_000:
                cache.clear()
            name = self.watchlist.canonical(run.text)
            if name == run.text and name.endswith(" AI"):
                # names.runs keeps a trailing "AI" ("Stack AI"); after a known organisation
                # it names a unit or product ("Google AI", "Nvidia AI"): report the owner.
                owner = name[:-3]
                if self.watchlist.lookup(owner) is not None:
                    name = self.watchlist.canonical(owner)
            cache[run.text] = name
        return name

    def _is_investor(self, name: str) -> bool:
        cache = self._investor_cache  # a pure function of the name, which recur across stories
        known = cache.get(name)
        if known is None:
            if len(cache) > 20_000:
                cache.clear()
            entry = self.watchlist.lookup(name)
            if entry is not None:
                known = entry.kind == "investor"
            else:
                known = _INVESTOR_NAME.search(name) is not None
            cache[name] = known
        return known

    def _hit_parties(self, h: Hit, view: _FieldView, parties: _Parties,
                     title: _FieldView | None = None,
                     signals: list[str] | None = None) -> list[str] | None:
        """Add the parties the trigger's slots name; None vetoes the hit."""
        s = view.slots
        role = h.rule.role
        found: list[str] = []
        if role == "raise":
            subj = s.subject_before(h.start) or s.leading_appositive()
            if subj is None and _AGGREGATE_SUBJECT.search(view.text, max(0, h.start - 40), h.start):
                return None  # "European AI startups raised €12bn in Q3": a market total
            if subj is None and h.rule.strength == "medium":
                # "Support automation firm Capacity grows with new cash": the clause's last name.
                subjects = s.clause_subjects(h.start)
                subj = subjects[-1] if subjects else None
            if subj is None:
                obj = s.object_after(h.end, limit=40)
                subj = obj if obj is not None and view.text[h.end:obj.start].strip(" ,") in ("", "for") else None
            if subj is None and title is not None:
                subj = _antecedent(h.start, view, title)
                if subj is not None and signals is not None:
                    signals.append("parties:title-antecedent")
            if subj is not None:
                name = self._canon(subj)
                if self._is_investor(name) and h.rule.signal != "funding:amount-round":
                    return None  # a VC firm raising its own fund
                parties.raisers.append(name)
                found.append(name)
            inv = [self._canon(r) for r in s.investors_after(h.end) + s.investors_leading()]
            parties.investors.extend(inv)
            found.extend(inv)
        elif role == "investor-subject":
            subj = s.subject_before(h.start)
            obj = s.object_after(h.end)
            if obj is None:
                # "invests in and partners with Acme": look past the clause, but an
                # investment into a place ("invest $4B in Chile") is not a company raise.
                nxt = s.first_run_after(h.end, limit=45)
                if nxt is not None and CLAUSE_BREAK.search(view.text, h.end, nxt.start):
                    nxt = None  # "to invest 1 trillion yen in offshore wind - Nikkei": a byline
                if nxt is not None and not is_org_like(nxt.text):
                    return None
                obj = nxt
            if h.rule.signal == "funding:invests-in" and _GERUND_AFTER.match(view.text, h.end):
                return None  # "to invest in training 1 million people": no company
            if obj is None and h.rule.signal == "funding:invests-in":
                # The guide's funding goes into a specific company: "invests in AI training"
                # names none.
                return None
            if obj is None and subj is None:
                return []
            if obj is not None:
                parties.raisers.append(self._canon(obj))
                found.append(self._canon(obj))
            if subj is not None:
                parties.investors.append(self._canon(subj))
                found.append(self._canon(subj))
            found.extend(self._canon(r) for r in s.investors_after(h.end))
        elif role == "investment-noun":
            inside = s.inside(h.start, h.end)
            clause = s.clause_subjects(h.start)
            before = s.subject_before(h.start) or (clause[0] if clause else None)
            obj = s.object_after(h.end)
            for r in inside + ([obj] if obj else []):
                parties.raisers.append(self._canon(r))
                found.append(self._canon(r))
            if before is not None:
                parties.investors.append(self._canon(before))
                found.append(self._canon(before))
        elif role in ("pair", "acq", "sell"):
            subj_runs: list[Run] = []
            adj = s.subject_before(h.start)
            if adj is not None:
                subj_runs = s.list_backward(adj)
            else:
                subj_runs = s.clause_subjects(h.start)
                if not subj_runs and title is not None:
                    pair = _pair_antecedent(h.start, h.end, view, title)
                    ante = None if pair else _antecedent(h.start, view, title)
                    subj_runs = pair or ([ante] if ante is not None else [])
                    if ante is not None and signals is not None:
                        signals.append("parties:title-antecedent")
            inside = s.inside(h.start, h.end)
            if h.rule.signal == "partnership:pair-deal":
                inside = [p for r in inside for p in _split_pair(r)]
            obj = s.object_after(h.end)
            if role == "acq" and h.field == "summary" and obj is None and not inside:
                # A summary's "bought" / "acquired" with no organisation after it (or after
                # "by": "was acquired by Foo") is someone buying things ("I bought some
                # plywood"), not a takeover.
                by = view.text[h.end : h.end + 4].lower()
                if by != " by " or s.object_after(h.end + 4, skip_prep=False) is None:
                    return None
            if h.rule.signal == "partnership:agrees-to-supply":
                # "agrees to supply 18,000 chips to Foo": the goods follow the verb, the
                # buyer follows "to".
                to = view.text.find(" to ", h.end, h.end + 60)
                obj = s.object_after(to + 4, skip_prep=False) if to >= 0 else None
            obj_runs = s.list_forward(obj) if obj else []
            for r in subj_runs + inside + obj_runs:
                name = self._canon(r)
                parties.others.append(name)
                found.append(name)
            if not subj_runs and role == "pair" and _FIRST_PERSON.search(
                    view.text, max(0, h.start - 30), h.start):
                # A company's own post ("Why we're joining forces with Foo"): "we" is the
                # publisher, a party the text does not name; it counts, but is not reported.
                found.append(_PUBLISHER)
        elif role == "acq-noun":
            for r in s.clause_subjects(h.start) + s.inside(h.start, h.end):
                parties.others.append(self._canon(r))
                found.append(self._canon(r))
            obj = s.object_after(h.end)
            if obj is not None:
                parties.others.append(self._canon(obj))
                found.append(self._canon(obj))
        return found

    def _fallback_parties(self, kept: list[Hit], title: _FieldView, summary: _FieldView,
                          parties: _Parties) -> None:
        if parties:
            return
        for view in (title, summary):
            for r in view.slots.org_runs()[:3]:
                if view.name == "title" or self.watchlist.lookup(r.text):
                    parties.others.append(self._canon(r))
            if parties:
                return

    def _strategic(self, kept: list[Hit], parties: _Parties) -> bool:
        if not any(h.rule.signal in _STRATEGIC_RULES or h.rule.signal == "funding:backs" for h in kept):
            return False
        return bool(parties.raisers) and any(not self._is_investor(n) for n in parties.investors)

    # -- amount & round -------------------------------------------------------------------
    def _amount(self, kept: list[Hit], title: _FieldView, summary: _FieldView,
                evidence: list[Evidence], signals: list[str]) -> Amount | None:
        best: tuple[int, _FieldView, AmountHit] | None = None
        for rank_base, view in ((0, title), (10, summary)):
            if best is not None:
                break  # a title amount (rank < 10) beats every summary amount: skip that scan
            spans = [(h.start, h.end) for h in kept if h.field == view.name]
            for a in view.amounts:
                if a.valuation or is_bare_price(a):
                    continue
                near = any(s - 3 <= a.start and a.end <= e + 3 for s, e in spans)
                rank = rank_base + (0 if near else 5)
                if best is None or rank < best[0]:
                    best = (rank, view, a)
        if best is None:
            return None
        _, view, a = best
        signals.append("amount")
        evidence.append(view.evidence("amount", a.start, a.end))
        return a.amount()

    @staticmethod
    def _round(events: tuple[EventType, ...], strategic: bool,
               title: _FieldView, summary: _FieldView, title_starts: list[int] | None,
               evidence: list[Evidence], signals: list[str]) -> str | None:
        """``title_starts``: where round literals start in the title (``_title_vetoes``);
        ``strategic``: what ``_strategic`` says of the story."""
        if "funding" not in events:
            return None
        for view, starts in ((title, title_starts), (summary, None)):
            found = find_round(view.text, view.low, starts)
            if found is not None:
                label, a, b = found
                signals.append("round")
                evidence.append(view.evidence("round", a, b))
                return label
        if strategic:
            signals.append("round:strategic-investor")
            return "strategic"
        return None


