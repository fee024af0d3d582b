"""Finding organisation names in headline-style text without a tagger.

A *run* is a maximal sequence of capitalised tokens ("Schibsted Media Group",
"U.S. Department of Energy", "11x.ai", "eBay").  Runs are cut at function words
and headline verbs (title-case headlines capitalise them: "Palo Alto Networks
Announces ..."), then filtered: places, demonyms, people (a common first name
followed by a surname), AI product names and generic words are not organisations.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

_TOKEN = r"(?:[A-Z][\w&.'’+-]*|[a-z]{1,4}[A-Z][\w.&'’-]*|\d+[A-Za-z][\w.&-]*)"
# "Larsen & Toubro" and "Fidelity Management & Research" are one name; the Matcher splits
# "Microsoft & OpenAI" again where both sides are on the watchlist.
_RUN = re.compile(rf"(?<![\w$€£¥₹.,'’-]){_TOKEN}(?:\s(?:of\s|de\s|&\s)?{_TOKEN})*")
_POSSESSIVE = re.compile(r"(?:['’]s|['’])$")

# Title-case headline words that are never (the end of) an organisation name.
STOP: frozenset[str] = frozenset(
    """
    a an the and or but nor of to in on at by for from with without into onto over under
    as about after before since amid among between via per vs versus than then inside
    is are was were be been being has have had do does did will would can could may might
    must should shall not no yes new now just also more most less least all any some
    this that these those its it it's their our your my his her we you they i he she
    how why what when where who whom which whose while if
    so well having again given during unless although though however meanwhile yet still
    i i've i’ve i'd i’d i'm i’m i'll i’ll we've we’ve we'd we’d we're we’re you've you’ve
    says say said reports report reportedly sources source exclusive breaking update
    announces announce announced launches launch launched unveils unveil introduces
    raises raise raised raising secures secure secured lands land landed nabs grabs bags
    closes close closed scores picks gets get got wins win won taps tap hits hit
    partners partner partnering partnered partnership partnerships teams team joins join
    collaborate collaborates collaboration signs sign signed inks ink strikes strike
    acquires acquire acquired acquisition acquisitions buys buy bought sells sell sold
    merges merge merger invests invest investment backs back backed leads lead led
    deal deals agreement agreements contract pact alliance funding round seed series
    expands expand deepens extends ends ending cuts opens open builds build brings bring
    plans plan wants want seeks seek eyes nears near makes make made takes take took
    goes go gives give offers offer helps help uses use using adds add
    entered enters enter reach reaches reached strikes struck seals sealed wins awarded forges
    forged nears renews extends deepens strengthens bets bet commits signed lands nabs
    exits exit quits quit abandons eyes targets
    welcomes welcome welcomed welcoming valued valuing
    thousand million billion trillion crore lakh usd eur gbp inr rmb rs
    strategic definitive multi-year multiyear long-term non-binding binding landmark historic
    mou moa memorandum understanding reseller licensing oversubscribed extension equals
    thrilled excited proud delighted pleased like unlike
    opinion analysis explainer commentary column editorial podcast perspective
    fintech edtech healthtech insurtech proptech adtech medtech legaltech regtech agtech
    agritech cleantech deeptech cr globally worldwide forms formed forming jv
    drops dropped ditches ditched dumps dumped talks stall stalls stalled
    ipo ipos m&a vc vcs llm llms gpu gpus api apis saas smb smbs sme smes b2b b2c
    one two three four five six seven eight nine ten dozens hundreds first second third
    ai ceo cto cfo coo founder founders cofounder co-founder chief president exec execs
    startup startups company companies firm firms unicorn giant maker
    inc ltd llc corp plc
    monday tuesday wednesday thursday friday saturday sunday
    january february march april may june july august september october november december
    week weekly today yesterday tomorrow
    """.split()
)

# Places and demonyms that headlines use as modifiers ("India's Snabbit", "Israeli startup").
PLACES: frozenset[str] = frozenset(
    s.casefold()
    for s in """
    US U.S. USA U.S.A. America American Americans UK U.K. Britain British England English
    EU E.U. Europe European Asia Asian Africa African Latin LatAm Middle East Gulf
    China Chinese Japan Japanese Korea Korean South North India Indian Israel Israeli
    Germany German France French Italy Italian Spain Spanish Canada Canadian Mexico Mexican
    Brazil Brazilian Argentina Chile Colombia Peru Nigeria Nigerian Kenya Kenyan Egypt
    Saudi Arabia UAE Emirati Qatar Dubai Abu Dhabi Singapore Singaporean Indonesia Indonesian
    Vietnam Vietnamese Thailand Malaysia Philippines Pakistan Bangladesh Australia Australian
    Zealand Ireland Irish Netherlands Dutch Belgium Swiss Switzerland Sweden Swedish Norway
    Norwegian Denmark Danish Finland Finnish Poland Polish Ukraine Ukrainian Russia Russian
    Turkey Turkish Greece Taiwan Taiwanese Hong Kong Uzbekistan Estonia Portugal Austria
    Silicon Valley California Texas New York Washington Florida Massachusetts Tennessee
    Illinois Ohio Georgia Virginia Utah Arizona Nevada Oregon Colorado Michigan Ontario Quebec
    Bengaluru Bangalore Mumbai Delhi London Paris Berlin Tokyo Seoul Beijing Shanghai Shenzhen
    Toronto Montreal Vancouver Boston Seattle Austin Chicago Hollywood Memphis Lagos Nairobi
    Stockholm Amsterdam Zurich Munich Madrid Barcelona Lisbon Dublin Tel Aviv Riyadh
    Western Eastern Northern Southern Global Worldwide
    """.split()
)

# AI products and models: they signal AI, but they are not parties to a deal.
PRODUCTS: frozenset[str] = frozenset(
    s.casefold()
    for s in """
    ChatGPT GPT GPT-4 GPT-4o GPT-5 Claude Gemini Bard Copilot Siri Alexa Llama Grok Sora
    DALL-E Midjourney-v6 Codex Devin Cortana Bing Android iOS iPhone iPad Mac Windows Azure
    Einstein Chrome Gmail YouTube-Shorts Watsonx Nova Titan Bedrock Vertex Firefly Photoshop Excel Word Outlook Teams
    MacBook iMac AirPods ThinkPad PlayStation Xbox Kindle
    """.split()
)

# Common given names: a run starting with one (and longer than one token) is a person.
FIRST_NAMES: frozenset[str] = frozenset(
    """
    adam alan alex alexander alexandr alfred alice amy andrew andrej andy anna anne arthur
    ben benjamin bill bob brad brian bruce carl carlos charles charlie chris christopher
    dan daniel dario dave david demis donald doug ed edward elon emily emma eric evan
    frank fred gary george greg gregory hannah harry helen henry ian jack jacob james jan
    jane jason jeff jeffrey jen jennifer jensen jessica jim joe john jon jonathan jony
    jordan joseph josh julia justin karen kate kevin keith kim kyle larry laura lina lisa
    liz marc marcus maria mark martin mary matt matthew max michael michelle mike mira
    mustafa nat natalie nathan nick nicole noam oliver omar parag pat patrick paul peter
    phil rachel ray reid richard rob robert ryan sam samuel sarah satya scott sean sergey
    shane simon stephen steve steven sundar susan thomas tim tom tony travis vinod walter
    will william yann zoe kathy marissa sheryl arvind aravind ilya greg mira kai rene
    """.split()
)

# Fields of work written in title case ("Partnership with Artificial Intelligence").
_FIELDS: frozenset[str] = frozenset(
    ("ai", "artificial intelligence", "machine learning", "deep learning", "generative ai",
     "computer vision", "robotics", "data science", "human-ai", "ai-human", "human-machine",
     "human-robot", "public-private")
)

# Kinds of AI written in title case: "Agentic AI" is a field, "Stack AI" a company.
_AI_KINDS: frozenset[str] = frozenset(
    """
    agentic generative gen conversational responsible physical sovereign enterprise ethical
    trustworthy explainable applied embodied edge frontier general multimodal predictive
    clinical medical healthcare radiology industrial creative open-source narrow strong
    superintelligent human-centered human-centric
    """.split()
)

_GROUPS: frozenset[str] = frozenset(("big tech", "big pharma", "big oil", "big banks", "big four",
                                     "magnificent seven", "mag 7", "faang"))

# Title-case nouns an "AI" before them describes ("Zentrix AI Deal").
_AI_NOUNS: frozenset[str] = frozenset(
    """
    deal deals agreement agreements contract contracts pact alliance partnership partnerships
    tie-up funding round seed series investment startup startups company companies firm
    firms unicorn giant maker chip chips model models push lab labs unit division team
    ambitions plans strategy efforts bet
    """.split()
)

# Words that end a name ("Stack AI", "SolarGrid Partners"), each with the words after it
# that show it is not part of one.
_SUFFIXES: dict[str, frozenset[str]] = {
    "AI": _AI_NOUNS,
    "Partners": frozenset(("with", "on", "to", "in", "for", "up", "across", "over", "around")),
}
_SUFFIX_ENDINGS = tuple(" " + word for word in _SUFFIXES)

_HYPHEN_ADJ = re.compile(r"-(?:backed|based|owned|led|founded|funded|focused|powered|made|native)$")


class Run(NamedTuple):
    """A capitalised run: ``text`` sits at ``start:end`` of its field (a tuple: cheap to build)."""

    start: int
    end: int
    text: str


def _clean(tok: str) -> str:
    return _POSSESSIVE.sub("", tok.rstrip(".,;:!?")).strip("'’\"")


def runs(text: str) -> list[Run]:
    """Capitalised runs of ``text``, cut at headline stop words (offsets into ``text``)."""
    out: list[Run] = []
    for m in _RUN.finditer(text):
        chunk = m.group()
        pieces = _PIECES.get(chunk)
        if pieces is None:
            pieces = _pieces(chunk)
            if len(chunk.split()) <= _CACHED_TOKENS:
                if len(_PIECES) > 20_000:
                    _PIECES.clear()
                _PIECES[chunk] = pieces
        base = m.start()
        for offset, name in pieces:
            start = base + offset
            if len(name) == 1 and _round_letter(text, start):
                continue
            end = start + len(name)
            if end == m.end() and name.endswith(_SUFFIX_ENDINGS):
                head, _, last = name.rpartition(" ")
                if _suffix_describes_next(last, text, end):
                    # "Zentrix AI deal": the "AI" describes the deal; "Orbix Partners with"
                    name = _trim(head)
                    end = start + len(name)
            out.append(_new_tuple(Run, (start, end, name)))
    return out


_WORD_AFTER = re.compile(r"\s([\w-]+)")


def _suffix_describes_next(suffix: str, text: str, pos: int) -> bool:
    m = _WORD_AFTER.match(text, pos)
    return m is not None and m.group(1).casefold() in _SUFFIXES[suffix]


_SERIES_BEFORE = re.compile(r"(?i:series)[\s-]$")
# ``Run(a, b, c)`` without the NamedTuple's Python-level ``__new__`` (same tuple).
_new_tuple = tuple.__new__
# The pieces of a chunk are a pure function of it: chunks of up to _CACHED_TOKENS tokens
# (names, not title-case sentences) keep them, since names recur across stories.
_PIECES: dict[str, tuple[tuple[int, str], ...]] = {}
_CACHED_TOKENS = 4


# Token kinds for _pieces (a pure function of the token, cached: names recur across stories).
# _SUFFIX: a word of _SUFFIXES ends a name it follows ("Helix Foundry AI", "SolarGrid
# Partners") but starts none ("AI startup Foo"), unless the word after it shows it is used
# otherwise ("Zentrix AI Deal", "Orbix Partners With Quorvia").
_NORMAL, _BREAK, _SUFFIX, _STOP, _OF_DE = 0, 1, 2, 3, 4


@lru_cache(maxsize=8192)
def _token_kind(tok: str) -> int:
    clean = _clean(tok)
    low = clean.casefold()
    if low in ("of", "de"):
        return _OF_DE
    if clean in _SUFFIXES:
        return _SUFFIX
    if low in STOP:
        return _STOP
    if _POSSESSIVE.search(tok.rstrip(".,;:!?")) or _HYPHEN_ADJ.search(tok):
        return _BREAK
    if tok.endswith(".") and len(clean) > 1 and _KEEP_DOT.search(tok) is None:
        return _BREAK  # "led by Thrive Capital. Andreessen Horowitz ...": a sentence ends
    return _NORMAL


def _pieces(chunk: str) -> tuple[tuple[int, str], ...]:
    """The runs of one _RUN chunk as (offset in chunk, name), before the "Series B" check."""
    # Walk tokens; a stop word (or a possessive token that is a place) ends the current piece.
    # A _RUN chunk is tokens joined by single whitespace characters, so ``split`` yields
    # them and their offsets follow from their lengths.
    out: list[tuple[int, str]] = []
    piece_start: int | None = None
    piece_end = 0
    pos = 0
    toks = chunk.split()
    for i, tok in enumerate(toks):
        start = pos
        end = pos + len(tok)
        pos = end + 1
        kind = _token_kind(tok)
        if kind == _SUFFIX:
            if piece_start is not None:
                # "Zentrix AI Deal", "Nvidia AI Chips": the "AI" describes the noun after it.
                nxt = toks[i + 1] if i + 1 < len(toks) else ""
                used_otherwise = _clean(nxt).casefold() in _SUFFIXES[_clean(tok)]
                _emit(chunk, piece_start, piece_end if used_otherwise else end, out)
                piece_start = None
            continue
        if kind >= _STOP:
            if kind == _STOP and piece_start is not None:
                _emit(chunk, piece_start, piece_end, out)
                piece_start = None
            continue  # "of"/"de": "Department of Energy": keep going, decided by what follows
        if piece_start is None:
            piece_start = start
            wire = _WIRE_PREFIX.match(tok)
            if wire is not None and wire.end() < len(tok):
                piece_start = start + wire.end()  # "Exclusive-Mistral AI": a wire's tag
        piece_end = end
        if kind == _BREAK:
            # "Amazon's Ring": the possessor is its own run; "Sequoia-backed" too.
            _emit(chunk, piece_start, piece_end, out)
            piece_start = None
    if piece_start is not None:
        _emit(chunk, piece_start, piece_end, out)
    return tuple(out)


_WIRE_PREFIX = re.compile(r"(?:Exclusive|EXCLUSIVE|Breaking|BREAKING|Update|UPDATE|Insight|INSIGHT)-")
_KEEP_DOT = re.compile(r"(?:\b[A-Z]\.|Inc\.|Corp\.|Co\.|Ltd\.)$")
_TRAIL_OF = re.compile(r"\s+(?:of|de)$")


@lru_cache(maxsize=8192)
def _trim(raw: str) -> str:
    # Trim trailing punctuation, possessive and "of"/"de" that lost their right-hand side.
    trimmed = raw.rstrip(".,;:!?\"'’-")  # "TORONTO--" of a dateline
    if raw.endswith(".") and _KEEP_DOT.search(raw):
        trimmed = raw  # "U.S." / "People Inc." keep their dots
    trimmed = _POSSESSIVE.sub("", trimmed)
    return _TRAIL_OF.sub("", trimmed)


def _emit(chunk: str, start: int, end: int, out: list[tuple[int, str]]) -> None:
    trimmed = _trim(chunk[start:end])
    if trimmed:
        out.append((start, trimmed))


def _round_letter(text: str, start: int) -> bool:
    """Is the one-letter token at ``start`` the "B" of "Series B" (a round, not a name)?"""
    return _SERIES_BEFORE.search(text, max(0, start - 8), start) is not None


def is_adjective_run(run: Run) -> bool:
    return _HYPHEN_ADJ.search(run.text) is not None


@lru_cache(maxsize=8192)
def is_org_like(name: str) -> bool:
    """Could ``name`` (a run's text) be an organisation rather than a place/person/product?"""
    folded = name.casefold()
    if len(name) < 2 and not name.isupper():
        return False
    if folded in STOP or folded in PLACES or folded in PRODUCTS or folded in _FIELDS:
        return False
    if _HYPHEN_ADJ.search(name):
        return False
    toks = name.split()
    if all(t.casefold() in PLACES or t.casefold() in STOP
           or (t[-1:] == "s" and t[:-1].casefold() in PLACES) for t in toks):
        return False  # ("South Africans": a demonym's plural too)
    if folded in _GROUPS:
        return False  # "Big Tech": a group of companies, none named
    if len(toks) == 2 and toks[1] == "AI" and toks[0].casefold() in _AI_KINDS:
        return False  # "Agentic AI", "Generative AI": fields
    if toks[0].casefold() in PRODUCTS:
        return False  # "Llama AI model hosts", "Claude Opus"
    if len(toks) >= 2 and toks[0].casefold() in FIRST_NAMES and toks[-1][:1].isupper():
        return False  # "Sam Altman", "Mira Murati"
    if name.isdigit() or _SCALED_NUMBER.match(name):
        return False  # "2025", "131k", "10M": numbers, not names
    return True


_SCALED_NUMBER = re.compile(
    r"\d+(?:[.,]\d+)?(?:[kKmMbBtT]n?|[kMGT]W|[GTP]B|GHz|nm|x|X|K|p|fps)$"  # "131k", "6GW", "4K"
    r"|(?:Q[1-4]|FY\d{2,4})(?:\s?\d{2,4})?$"  # "Q3", "Q1 2025", "FY25": periods ("H1" is a company)
)
