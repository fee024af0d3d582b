"""Same-event clustering: many outlets, one event, one alert (pure, no I/O).

A story becomes an :class:`EventSignature` (normalised tokens, canonical parties,
amounts, round, deal *stage*, time).  :func:`pair_score` says how likely two
signatures report the same development; :func:`assign` attaches a new story to the
best recent cluster (or none), and :func:`cluster_stories` runs that incrementally
over a batch sorted by time.

The rules, in order of authority:

1. Hard vetoes: a different stage (talks vs signed vs approved vs closed, memorandum
   vs definitive, pilot vs general availability, deal vs its collapse), a time gap
   beyond the window, conflicting rounds or deal amounts, and parallel
   announcements (the pairs share a party but each names another one the other
   never mentions: AMD-OpenAI vs Broadcom-OpenAI).
2. Evidence: rare words shared by the titles (weighted by inverse document
   frequency, so "OpenAI" counts for little and "Rockset" for a lot), shared
   summary vocabulary, the same amount, the same parties.
3. Running stories (one dispute developing day after day, reposted by
   aggregators): a link dated before the story is a repost and counts on the
   article's day; same-day stories sharing two headline words get a bonus
   (copies of one day's development are re-worded heavily); and two headlines
   whose subjects ("X says...", "Y orders...") are each absent from the other
   story are penalised as different developments.

Rarity needs document frequencies; :class:`TokenStats` keeps them incrementally
so the bot can update it per story, and :func:`cluster_stories` builds one from
the batch itself.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import unquote, urlsplit

from bot.types import Match, Story

__all__ = [
    "Cluster",
    "Clusterer",
    "EventSignature",
    "TokenStats",
    "assign",
    "cluster_stories",
    "pair_score",
    "same_event",
    "signature",
    "stage_of",
]

# --------------------------------------------------------------------------- tuning
WINDOW = timedelta(days=4)  # stories further apart are different events ...
WINDOW_SAME_DEAL = timedelta(days=10)  # ... unless amount and parties agree
DATE_ONLY_SLACK = timedelta(days=1)  # a date-only stamp could be any time that day
SPAN = timedelta(days=2)  # from a cluster's first story (its event) to any later copy
BEST_LINK = 0.6  # cluster score = this * best link + (1 - this) * average link
BEST_LINK_MULTI_DAY = 0.4  # ... when the cluster already spans several calendar days
TRIM = 0.25  # the average link ignores this share of the cluster's weakest links (n >= 4)
NEW_ACTOR = 0.2  # later day, headline actor absent from the whole cluster: score penalty
LOST_ACTOR = 0.2  # the cluster's first headline actor absent from the new story: penalty
INDEX_WORDS = 12  # a new story looks up clusters by its this-many rarest headline words
INDEX_RARITY = 0.3  # ... ignoring words so common (idf/scale below this, and seen in more
# than 20 stories: tiny batches make every shared word look common) they match everything
RARE = 0.5  # a word is "rare" above half the maximum rarity (idf/scale)
THRESHOLD = 0.45  # pair_score at or above which two stories are the same event
AMOUNT_TOLERANCE = 0.01  # "$6.6B" vs "$6.60B": the same; "$420M" vs "$483M": not

# --------------------------------------------------------------------------- text
# Function words, newsroom boilerplate and verbs every deal story uses; rarity
# weighting would discount them anyway, but dropping them keeps short titles
# ("OpenAI acquires TBPN") from matching on "acquires".
_STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers herself him himself his how
    i if in into is it its itself just me more most my myself no nor not now of off on
    once only or other our ours out over own same she should so some such than that the
    their theirs them then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your
    yours new says said say report reports reportedly according sources source exclusive
    update updated latest today week here's heres what's whats how-to everything know need
    via per vs via year years one two first still really now here just get gets got
    make makes made take takes way ways want wants could may might can
    """.split()
)

# Outlet names that leak into titles ("... | TechCrunch", "Show HN: ...").
_BOILERPLATE = frozenset(
    """
    techcrunch verge zdnet venturebeat reuters bloomberg axios cnbc wired engadget
    hn show ask pdf video podcast newsletter live blog theverge www com org net html htm
    index status amp
    """.split()
)
# Words every launch/deal headline uses; a company's own post says "Introducing X"
# where the press says "X launches X": neither word identifies the event.
_GENERIC_VERBS = frozenset(
    """
    introducing introduce introduces announcing announce announces announced launch launches
    launched launching unveil unveils unveiled release releases released rolls rolling
    debut debuts brings bringing adds adding
    """.split()
)

_WORD = re.compile(r"[a-z0-9]+(?:[.\-][a-z0-9]+)*")
_DIGIT = re.compile(r"\d")


def _fold(text: str) -> str:
    """NFKC + lowercase + ASCII quotes, so "Neon’s" and "Neon's" tokenise alike."""
    text = unicodedata.normalize("NFKC", text).lower()
    return text.translate(_QUOTES)


_QUOTES = str.maketrans("’‘“”–—", "''\"\"--")


def _stem(word: str) -> str:
    """A deliberately tiny stemmer: plural/3rd-person 's' only.

    Heavier stemming merges product names ("Operator"/"operators" is fine, but
    "Gemini"/"Gem" is not); plural folding is what cross-outlet titles need.
    """
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokens(text: str) -> tuple[str, ...]:
    """Content tokens of ``text``: folded, possessives dropped, stopwords removed.

    Hyphenated words contribute their parts as well ("supply-chain" -> supply,
    chain) unless they carry digits ("gpt-5.2" stays one token: model versions
    must not match their neighbours).
    """
    out: list[str] = []
    for raw in _WORD.findall(_fold(text).replace("'s ", " ").replace("'s", "")):
        raw = raw.strip(".-")
        if not raw:
            continue
        parts = [raw] if _DIGIT.search(raw) or "-" not in raw else raw.split("-")
        for part in parts:
            if part in _STOPWORDS or part in _BOILERPLATE or part in _GENERIC_VERBS:
                continue
            if len(part) < 2 and not part.isdigit():
                continue
            out.append(_stem(part))
    return tuple(out)


_LONG_NUMBER = re.compile(r"^\d{3,}$")  # article ids and years in paths: 696056, 2025


def url_tokens(url: str) -> tuple[frozenset[str], frozenset[str]]:
    """(slug tokens, site tokens) of an article URL.

    Editors write slugs as keyword summaries ("grammarly-acquires-superhuman" under
    the headline "Grammarly wants to become an 'AI productivity platform'"), so a
    slug is a second headline.  The site name matters for first-party posts: a
    company's own blog rarely repeats the company's name in the headline.
    """
    parts = urlsplit(url)
    path_words = [w for w in re.split(r"[/\-_.]+", unquote(parts.path)) if not _LONG_NUMBER.match(w)]
    slug = frozenset(tokens(" ".join(path_words)))
    host = [h for h in (parts.hostname or "").split(".")[:-1] if h not in _HOST_NOISE]
    return slug, frozenset(tokens(" ".join(host)))


_HOST_NOISE = frozenset("www blog news cdn help developers platform docs m amp".split())


# --------------------------------------------------------------------------- amounts
_SCALES = {
    "k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6,
    "b": 1e9, "bn": 1e9, "billion": 1e9, "t": 1e12, "tn": 1e12, "trillion": 1e12,
}  # fmt: skip
_MONEY = re.compile(
    r"(?P<cur>[$€£¥₹])\s?(?P<num>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s?"
    r"(?P<scale>thousand|million|billion|trillion|bn|mn|tn|[kmbt])?\b",
    re.IGNORECASE,
)


def amounts_in(text: str) -> frozenset[float]:
    """Every money figure in ``text`` (deal sizes and valuations alike), in units."""
    found: set[float] = set()
    for m in _MONEY.finditer(unicodedata.normalize("NFKC", text)):
        value = float(m.group("num").replace(",", ""))
        scale = (m.group("scale") or "").lower()
        found.add(value * _SCALES.get(scale, 1.0))
    return frozenset(found)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= AMOUNT_TOLERANCE * max(a, b)


# --------------------------------------------------------------------------- stage
# Each family is a ladder; two stories on different rungs of the same ladder are
# different events.  Only explicit vocabulary sets a rung: most copies of an
# announcement carry no stage word at all, and "unknown" is compatible with all.
_STAGE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ended", re.compile(
        r"\b(falls? apart|fell apart|collaps(?:e|es|ed)|call(?:s|ed)? off|scrap(?:s|ped)|"
        r"abandon(?:s|ed)|exits?|pulls? out|terminat(?:e|es|ed)|unwind(?:s)?|"
        r"shut(?:s|ting)? down|shutters?|kills?)\b")),
    ("regulatory", re.compile(
        r"\b(approv(?:e|es|ed|al)|clear(?:s|ed)|blocks?|blocked|antitrust|regulators?|"
        r"probe|investigation)\b")),
    ("closed", re.compile(
        r"\b(clos(?:es|ed|ing) (?:its |the |a )?(?:\w+ )?(?:acquisition|deal|purchase|merger|round)|"
        r"complet(?:e|es|ed) (?:its |the |a )?(?:\w+ )?(?:acquisition|deal|purchase|merger)|"
        r"finaliz(?:e|es|ed))\b")),
    ("talks", re.compile(
        r"\b(in talks|talks to|in discussions|discussions to|nears?|considering|"
        r"consider(?:s)? (?:buying|acquiring|investing)|explor(?:es|ing)|weighs?|eyes|"
        r"seek(?:s|ing)|said to be|plans? to raise|looking to raise|in early talks|"
        r"rumou?r(?:s|ed)?)\b")),
    ("memorandum", re.compile(
        r"\b(memorandum of understanding|mou|non-binding|letter of intent|term sheet)\b")),
    ("definitive", re.compile(r"\b(definitive agreement|definitive deal)\b")),
    ("pilot", re.compile(
        r"\b(pilot(?:s|ing)?|beta|preview|early access|limited release|waitlist)\b")),
    ("general", re.compile(
        r"\b(generally available|general availability|globally|to all users|"
        r"for everyone|everyone can|worldwide)\b")),
    # Last: a plain announcement ("agrees to buy", "signs", "raises") is the rung
    # after talks and before approval/closing; checked after every other rung
    # because "in talks to acquire" also contains "acquire".
    ("agreed", re.compile(
        r"\b(acquir(?:e|es|ed)|buys|bought|to buy|agree(?:s|d)? to|agreement|signs?|signed|"
        r"raises|raised|invests|invested|merg(?:e|es|ed|ing) with)\b")),
)


def stage_of(title: str) -> str | None:
    """The deal/product stage a headline states, or None when it states none.

    Read from the title only: summaries recount history ("after months of
    talks...") and would mislabel the announcement itself.
    """
    low = _fold(title)
    for name, pattern in _STAGE_PATTERNS:
        if pattern.search(low):
            return name
    return None


# --------------------------------------------------------------------------- subject
_CAPWORD = re.compile(r"^[\"'‘“(]*[A-Z0-9]")


def subject_of(title: str) -> frozenset[str]:
    """The headline's grammatical subject: its leading run of capitalised words.

    "Sam Altman says ..." -> {sam, altman}; "Trump orders ..." -> {trump}.  In a
    Title Case Headline every word is capitalised, so only the first word counts.
    Generic openers ("Introducing", "New", "The") tokenise to nothing.
    """
    title = unicodedata.normalize("NFKC", title)
    words = [w for w in title.replace("|", " ").split() if w.strip("\"'‘’“”()[]:,.!?-–—")]
    if not words:
        return frozenset()
    long_words = [w for w in words if len(w) > 3]
    title_case = bool(long_words) and sum(1 for w in long_words if _CAPWORD.match(w)) >= 0.7 * len(long_words)
    run: list[str] = []
    for w in words[: 1 if title_case else 4]:
        if not _CAPWORD.match(w):
            break
        run.append(w)
        if w.endswith((":", ",", "’s", "'s")):
            break
    return frozenset(tokens(" ".join(run)))


def _subject_conflict(a: EventSignature, b: EventSignature) -> bool:
    """Each headline is about someone the other story never mentions.

    "X says ..." and "Y orders ..." on the same day of a running story are two
    developments, even when both name the same two parties.
    """
    if not a.subject or not b.subject:
        return False
    return not (a.subject & b.text_tokens) and not (b.subject & a.text_tokens)


def _same_day(a: EventSignature, b: EventSignature) -> bool:
    """Published on the same (UTC) calendar day (a repost counts on its article's day)."""
    return a.published.astimezone(UTC).date() == b.published.astimezone(UTC).date()


# --------------------------------------------------------------------------- signature
_PARTY_NOISE = re.compile(r"^(?:though|while|after|as|days?|and|the)\s+", re.IGNORECASE)


def canonical_party(name: str) -> str:
    """'OpenAI, Inc.' / 'Though Netflix' -> 'openai' / 'netflix' (comparison key)."""
    folded = _PARTY_NOISE.sub("", _fold(name).strip())
    folded = re.sub(r"[,.]?\s+(?:inc|corp|corporation|ltd|llc|plc|gmbh|co)\.?$", "", folded)
    return " ".join(tokens(folded))


@dataclass(frozen=True, slots=True)
class EventSignature:
    """Everything :func:`pair_score` needs about one story, precomputed once."""

    id: str
    published: datetime
    title_tokens: frozenset[str]  # title + URL slug
    bare_title_tokens: frozenset[str]  # the title alone
    text_tokens: frozenset[str]  # title + summary
    parties: frozenset[str]  # canonical, noise dropped
    events: frozenset[str]
    amount: float | None  # the matcher's deal amount (not a valuation)
    amounts: frozenset[float]  # every figure in title + summary
    round: str | None
    stage: str | None
    date_only: bool  # the feed gave a date without a time (00:00:00)
    link: str = ""
    source: str = ""
    title_key: str = ""  # folded title, for the exact-copy shortcut
    subject: frozenset[str] = frozenset()  # who the headline is about / who acts (see subject_of)


_URL_DATE = re.compile(r"/(20\d\d)[/-](0[1-9]|1[0-2])[/-](0[1-9]|[12]\d|3[01])(?:/|$)")


def url_date(url: str) -> datetime | None:
    """The publication day an article URL carries ("/2031/03/10/slug"), if any."""
    m = _URL_DATE.search(urlsplit(url).path)
    if not m:
        return None
    try:
        return datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=UTC)
    except ValueError:
        return None


def signature(story: Story, match: Match | None = None, *, id: str | None = None) -> EventSignature:
    """The signature of a story (``match`` adds parties, events, amount, round).

    A link dated before the story's own timestamp is a repost (an aggregator
    picked up an older article): the article's date is the event's, so the story
    is placed on that day (as a date-only stamp).
    """
    published = story.published
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    day = url_date(story.url)
    repost = day is not None and day.date() < published.astimezone(UTC).date()
    if repost:
        published = day  # type: ignore[assignment]
    slug, site = url_tokens(story.url)
    bare = frozenset(tokens(story.title))
    title_tokens = bare | slug
    parties = frozenset(
        p for p in (canonical_party(x) for x in (match.parties if match else ())) if len(p) > 1
    )
    return EventSignature(
        id=id if id is not None else (story.id or story.key),
        published=published,
        title_tokens=title_tokens,
        bare_title_tokens=bare,
        text_tokens=title_tokens | site | frozenset(tokens(story.summary)),
        parties=parties,
        events=frozenset(match.events) if match else frozenset(),
        amount=match.amount.value if match and match.amount else None,
        amounts=amounts_in(story.title) | amounts_in(story.summary),
        round=match.round if match else None,
        stage=stage_of(story.title),
        date_only=repost or (published.hour, published.minute, published.second) == (0, 0, 0),
        link=story.url,
        source=story.source,
        title_key=" ".join(_fold(story.title).split()),
        subject=subject_of(story.title),
    )


# --------------------------------------------------------------------------- rarity
@dataclass
class TokenStats:
    """Document frequencies for inverse-document-frequency weights (mutable).

    Unknown tokens get the maximum weight: a word never seen before is exactly
    the kind of name (a startup, a model) that identifies an event.
    """

    docs: int = 0
    df: dict[str, int] = field(default_factory=dict)
    # Memoised token-set weights; valid for one ``docs`` value (frozensets cache
    # their hash, so a lookup is cheap).  Cleared whenever a document is added.
    _weights: dict[frozenset[str], float] = field(default_factory=dict, repr=False)

    def add(self, sig: EventSignature) -> None:
        self.docs += 1
        for tok in sig.text_tokens:
            self.df[tok] = self.df.get(tok, 0) + 1
        self._weights.clear()

    def weight(self, toks: frozenset[str]) -> float:
        w = self._weights.get(toks)
        if w is None:
            w = self._weights[toks] = sum(self.idf(t) for t in toks)
        return w

    def idf(self, tok: str) -> float:
        # Smoothed; never below a floor so that with tiny corpora shared common
        # words still count a little.
        return max(0.2, math.log((self.docs + 1) / (self.df.get(tok, 0) + 0.5)))

    @property
    def scale(self) -> float:
        """The largest possible idf, to express rarity as 0..1 whatever the corpus size."""
        return math.log((self.docs + 1) / 0.5) if self.docs else 1.0

    @classmethod
    def of(cls, sigs: Iterable[EventSignature]) -> TokenStats:
        stats = cls()
        for sig in sigs:
            stats.add(sig)
        return stats


_UNIFORM = TokenStats()


def _weight(toks: Iterable[str], stats: TokenStats) -> float:
    return sum(stats.idf(t) for t in toks)


def _overlap(a: frozenset[str], b: frozenset[str], stats: TokenStats) -> tuple[float, float]:
    """(weighted Jaccard, weighted containment of the smaller in the larger)."""
    common = a & b
    if not common:
        return 0.0, 0.0
    shared = _weight(common, stats)
    wa, wb = stats.weight(a), stats.weight(b)
    return shared / (wa + wb - shared), shared / min(wa, wb)


# --------------------------------------------------------------------------- rules
def _gap(a: EventSignature, b: EventSignature) -> timedelta:
    """Time between two stories; a date-only stamp could be any time that day."""
    gap = abs(a.published - b.published)
    if a.date_only or b.date_only:
        gap = max(timedelta(0), gap - DATE_ONLY_SLACK)
    return gap


def _mentions(sig: EventSignature, party: str) -> bool:
    return all(part in sig.text_tokens for part in party.split())


def _parallel(a: EventSignature, b: EventSignature) -> bool:
    """Same hub, different spokes: each side names a party the other never mentions.

    Needs a shared party, or it is just two unrelated deals (scored elsewhere).
    """
    if not (a.parties & b.parties):
        return False
    only_a = [p for p in a.parties - b.parties if not _mentions(b, p)]
    only_b = [p for p in b.parties - a.parties if not _mentions(a, p)]
    return bool(only_a) and bool(only_b)


def _amount_conflict(a: EventSignature, b: EventSignature) -> bool:
    """Both state a deal amount and neither's appears anywhere in the other."""
    if a.amount is None or b.amount is None or _close(a.amount, b.amount):
        return False
    return not any(_close(a.amount, x) for x in b.amounts) and not any(
        _close(b.amount, x) for x in a.amounts
    )


def _same_deal(a: EventSignature, b: EventSignature) -> bool:
    return (
        a.amount is not None
        and b.amount is not None
        and _close(a.amount, b.amount)
        and len(a.parties & b.parties) >= 1
    )


def veto(a: EventSignature, b: EventSignature) -> str | None:
    """Why two stories cannot be the same event, or None when they may be."""
    if a.stage and b.stage and a.stage != b.stage:
        return "stage"
    if a.round and b.round and a.round != b.round:
        return "round"
    if _amount_conflict(a, b):
        return "amount"
    window = WINDOW_SAME_DEAL if _same_deal(a, b) else WINDOW
    if _gap(a, b) > window:
        return "time"
    if _parallel(a, b):
        return "parallel"
    return None


# Weights of the evidence, fitted once by logistic regression on the dev half of
# the labelled corpus (bench/cluster_quality.py) and rounded; every feature is
# generic (overlap, rarity, time), none names a company.
_WEIGHTS = {
    "headline_containment": 0.7,  # title + URL slug, rarity-weighted
    "headline_jaccard": 0.45,
    "title_containment": 0.9,  # the visible title alone
    "text_containment": 0.75,  # title + slug + site + summary
    "text_jaccard": 0.3,
    "rarest_shared": 0.9,  # rarity of the rarest shared word, 0..1
    "rare_shared": 1.15,  # how many rare words are shared, 0..1 (5+)
    "days": -1.4,  # per day apart (after the date-only allowance)
    "same_source": 0.25,  # an outlet's own follow-up / re-titled copy
    "short": -0.75,  # long texts overlap by chance; per 30 tokens of the shorter
    "same_parties": 0.1,
    "same_deal": 0.1,  # same amount and a shared party (beyond the window bonus)
    # Added on top of the fit, tuned on the dev half and checked on the held-out
    # half: a running story's copies are written the same day ...
    "same_day": 0.65,  # same calendar day and at least two shared headline words
    # ... and its next development usually has a different actor in the headline.
    "subject_conflict": -1.5,  # each headline's subject is absent from the other story
    "bias": -1.25,
}


def features(a: EventSignature, b: EventSignature, stats: TokenStats) -> dict[str, float]:
    """The evidence that two stories report one event (see ``_WEIGHTS``)."""
    h_jac, h_con = _overlap(a.title_tokens, b.title_tokens, stats)
    _, t_con = _overlap(a.bare_title_tokens, b.bare_title_tokens, stats)
    x_jac, x_con = _overlap(a.text_tokens, b.text_tokens, stats)
    scale = stats.scale
    rarity = sorted((stats.idf(t) / scale for t in a.text_tokens & b.text_tokens), reverse=True)
    return {
        "headline_containment": h_con,
        "headline_jaccard": h_jac,
        "title_containment": t_con,
        "text_containment": x_con,
        "text_jaccard": x_jac,
        "rarest_shared": rarity[0] if rarity else 0.0,
        "rare_shared": min(sum(1 for r in rarity if r > RARE), 5) / 5,
        "days": _gap(a, b) / timedelta(days=1),
        "same_source": float(bool(a.source) and a.source == b.source),
        "short": min(len(a.text_tokens), len(b.text_tokens)) / 30,
        "same_parties": float(bool(a.parties) and a.parties == b.parties),
        "same_deal": float(_same_deal(a, b)),
        "same_day": float(_same_day(a, b) and len(a.title_tokens & b.title_tokens) >= 2),
        "subject_conflict": float(_subject_conflict(a, b)),
        "bias": 1.0,
    }


def pair_score(a: EventSignature, b: EventSignature, stats: TokenStats | None = None) -> float:
    """Probability-like 0..1 that two stories report the same event (0 when vetoed)."""
    if veto(a, b) is not None:
        return 0.0
    return _evidence(a, b, stats)


def _evidence(a: EventSignature, b: EventSignature, stats: TokenStats | None) -> float:
    """:func:`pair_score` without the veto check (callers that already checked)."""
    if a.title_key and a.title_key == b.title_key or a.link and a.link == b.link:
        return 1.0  # an exact copy (syndication, re-post)
    f = features(a, b, stats or _UNIFORM)
    z = sum(_WEIGHTS[k] * v for k, v in f.items())
    return 1.0 / (1.0 + math.exp(-z))


def same_event(a: EventSignature, b: EventSignature, stats: TokenStats | None = None) -> bool:
    return pair_score(a, b, stats) >= THRESHOLD


# --------------------------------------------------------------------------- clusters
@dataclass
class Cluster:
    """A group of stories about one event; ``id`` is its first story's id (stable)."""

    id: str
    members: list[EventSignature] = field(default_factory=list)

    @property
    def latest(self) -> datetime:
        return max(m.published for m in self.members)


def cluster_score(new: EventSignature, cluster: Cluster, stats: TokenStats | None = None) -> float:
    """How well ``new`` fits a whole cluster, not just its closest member.

    Single-link alone chains a saga's daily developments into one blob (the
    ultimatum, the refusal, the ban...), so: a stage or parallel veto by any member
    vetoes the cluster, the cluster's first story anchors the time window, the
    best link is blended with a trimmed average link (weighted towards the average
    once the cluster spans several days), and a change of headline actor (see
    ``NEW_ACTOR`` / ``LOST_ACTOR``) counts against the join.
    """
    if not cluster.members:
        return 0.0
    first = cluster.members[0]
    if _gap(new, first) > (WINDOW_SAME_DEAL if _same_deal(new, first) else SPAN):
        return 0.0
    scores: list[float] = []
    for member in cluster.members:
        why = veto(new, member)
        if why in ("stage", "parallel", "amount", "round"):
            return 0.0
        scores.append(_evidence(new, member, stats) if why is None else 0.0)
    # Trimmed average: one stray member (a same-day side development that slipped
    # in) must not decide whether a genuine late copy fits the rest of the cluster.
    ranked = sorted(scores)
    kept = ranked[int(len(ranked) * TRIM):] if len(ranked) >= 4 else ranked
    average = sum(kept) / len(kept)
    # A running story: once the cluster spans several days, a best link to one
    # member is weak evidence (each day's copies resemble the next day's), so the
    # average over all members counts for more.
    days = {_day(m) for m in cluster.members}
    best_link = BEST_LINK_MULTI_DAY if len(days) > 1 else BEST_LINK
    score = best_link * max(scores) + (1.0 - best_link) * average
    # Who acts in the headline: a story on a later day whose actor no member of the
    # cluster ever mentions ("Trump orders..." after days of "Anthropic refuses...")
    # is the next development, and so is a story that never mentions the actor of
    # the cluster's own first headline while naming a different one.
    if new.subject and _day(new) != _day(first):
        mentioned = set().union(*(m.text_tokens for m in cluster.members))
        if not new.subject & mentioned:
            score -= NEW_ACTOR
    if first.subject and not first.subject & new.text_tokens and not first.subject & new.subject:
        score -= LOST_ACTOR
    return score


def _day(sig: EventSignature) -> date:
    """A story's (UTC) calendar day (a repost counts on its article's day)."""
    return sig.published.astimezone(UTC).date()


def assign(
    new: EventSignature,
    candidates: Sequence[Cluster] | Mapping[str, Cluster],
    stats: TokenStats | None = None,
    *,
    threshold: float = THRESHOLD,
) -> str | None:
    """The id of the cluster ``new`` joins (best score >= threshold), else None."""
    pool = candidates.values() if isinstance(candidates, Mapping) else candidates
    best_id, best = None, threshold
    for cluster in pool:
        score = cluster_score(new, cluster, stats)
        if score >= best and (best_id is None or score > best):
            best_id, best = cluster.id, score
    return best_id


class Clusterer:
    """Incremental clustering for the bot: feed stories in time order.

    Keeps recent clusters indexed by token and party so that a new story is only
    scored against clusters sharing something with it, and forgets clusters whose
    latest story is older than ``WINDOW_SAME_DEAL`` before the newest story seen.
    """

    def __init__(self, stats: TokenStats | None = None, *, threshold: float = THRESHOLD) -> None:
        self.stats = stats if stats is not None else TokenStats()
        self._learn = stats is None  # update frequencies ourselves unless given fixed ones
        self.threshold = threshold
        self.clusters: dict[str, Cluster] = {}
        self._index: dict[str, set[str]] = defaultdict(set)
        self._now: datetime | None = None

    def candidates(self, sig: EventSignature) -> list[Cluster]:
        """Clusters sharing a party, the link, or one of the story's rarer headline words.

        Common words ("AI", a giant's name) would make every cluster a candidate;
        a same-event copy always shares at least one uncommon word or a party.
        """
        scale = self.stats.scale
        rare = [t for t in sorted(sig.title_tokens, key=lambda t: (-self.stats.idf(t), t))[:INDEX_WORDS]
                if self.stats.df.get(t, 0) <= 20 or self.stats.idf(t) / scale >= INDEX_RARITY]
        keys = set(rare) | {"party:" + p for p in sig.parties}
        if sig.link:
            keys.add("link:" + sig.link)
        ids: set[str] = set()
        for key in keys:
            ids |= self._index.get(key, set())
        return [self.clusters[i] for i in sorted(ids) if i in self.clusters]

    def add(self, sig: EventSignature) -> str:
        """Place ``sig``; returns its cluster id (its own id for a new cluster)."""
        if self._learn:
            self.stats.add(sig)
        if self._now is None or sig.published > self._now:
            self._now = sig.published
            self._expire()
        cid = assign(sig, self.candidates(sig), self.stats, threshold=self.threshold)
        if cid is None:
            cid = sig.id
            self.clusters[cid] = Cluster(cid)
        self.clusters[cid].members.append(sig)
        self._index_sig(cid, sig)
        return cid

    def _index_sig(self, cid: str, sig: EventSignature) -> None:
        for tok in sig.title_tokens | sig.text_tokens:
            self._index[tok].add(cid)
        for p in sig.parties:
            self._index["party:" + p].add(cid)
        if sig.link:
            self._index["link:" + sig.link].add(cid)

    def _expire(self) -> None:
        assert self._now is not None
        horizon = self._now - WINDOW_SAME_DEAL - timedelta(days=1)
        stale = [cid for cid, c in self.clusters.items() if c.latest < horizon]
        for cid in stale:
            del self.clusters[cid]
        if stale:
            gone = set(stale)
            for key in list(self._index):
                self._index[key] -= gone
                if not self._index[key]:
                    del self._index[key]


def cluster_stories(
    items: Sequence[tuple[str, Story, Match | None]],
    *,
    threshold: float = THRESHOLD,
) -> dict[str, str]:
    """Batch clustering: ``{story id: cluster id}``; a cluster's id is its first story's.

    Frequencies come from the whole batch (the batch *is* the corpus), then stories
    are assigned incrementally in publication order, ties broken by id so the
    result does not depend on input order.
    """
    sigs = [signature(story, match, id=sid) for sid, story, match in items]
    stats = TokenStats.of(sigs)
    clusterer = Clusterer(stats, threshold=threshold)
    order = sorted(sigs, key=lambda s: (s.published, s.id))
    return {sig.id: clusterer.add(sig) for sig in order}
