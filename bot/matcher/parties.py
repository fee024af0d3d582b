"""Reading the parties of an event from the words around its trigger.

Headlines put the parties in predictable slots: the subject right before the verb
("Acme raises"), the object right after it ("acquires Foo", "partners with Bar"),
investors after "led by" / "from" / "backed by", lists joined by commas and "and".
Functions here work on one field's normalised text and its name runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.matcher.names import STOP, Run, is_org_like
from bot.matcher.tokens import trie_pattern

# Words allowed between a subject and its verb ("Acme has reportedly raised").
_FILLER = re.compile(
    r"^(?:[\s,]+|(?:has|have|had|is|are|was|were|just|reportedly|officially|also|now|quietly|"
    r"finally|will|would|could|may|might|to|says it|said it|says|said|confirms|confirmed|"
    r"today|again|already|formally|publicly|jointly|together|both|all|set to|plans to|wants to|"
    r"is set to|expected to|agrees to|agreed to|in talks to|looks to|moves to|reportedly to|"
    r"[’']s founders?|[’']s ceo|[’']s team|[’']s parent|founders?|ceo|team|parent)\b)*$",
    re.IGNORECASE,
)
# Words that end an object region ("acquires Foo to bolster ...").
_STOP_WORDS = (
    "to", "for", "with", "in", "on", "at", "as", "from", "after", "amid", "over", "into", "that",
    "which", "who", "while", "but", "about", "by", "via", "despite", "because", "since",
    "following", "than", "its", "their", "his", "her",
)
# The word lists of _STOPPER and _BEFORE_BLOCKERS are character tries (tokens.trie_pattern): the
# engine follows one branch per letter instead of trying every word at each word start.
# Callers read only where a match starts (or whether there is one), which the order the
# words are tried in cannot change.
_STOPPER = re.compile(
    r"[,;:!?()—–|]|\s-\s|\b(?:" + trie_pattern(list(_STOP_WORDS)) + r")\b", re.IGNORECASE
)
# The longest _STOPPER match, plus the character after it that its closing "\b" reads: a
# search with ``endpos`` k + _STOPPER_READ finds exactly the matches that start by offset k.
_STOPPER_READ = max(3, *map(len, _STOP_WORDS)) + 1
# "A, B and C"; a role noun may sit between ("Stanford researchers and the Air Force").
_LIST_JOIN = re.compile(
    r"^(?:\s+(?:researchers|engineers|scientists|team|teams))?"
    r"\s*(?:,\s*(?:and\s+|&\s+)?|\s(?:and|&)\s+)(?:the\s+)?$"
)
_LEADING_PREP = re.compile(
    r"^\s*(?:with|between|to|for|in|into|of|on|from|the|a|an|is with|are with|was with)\b\s*", re.IGNORECASE
)
CLAUSE_BREAK = re.compile(r"[;:|—–]|\s-\s|\.\s")
_BLOCKERS = (
    "by", "from", "after", "behind", "at", "in", "of", "for", "to", "like", "than", "including",
    "under", "via", "founded by", "backed by", "alum", "alums", "vet", "vets", "veteran",
    "veterans", "ex",
)
_BEFORE_BLOCKERS = re.compile(r"(?i:\b(?:" + trie_pattern(list(_BLOCKERS)) + r")\s+(?:\S+\s+){0,1}$)")
_INVESTOR_INTRO = re.compile(
    r"(?i:\b(?:co-led by|led by|from|backed by|with participation from|participation from|"
    r"including|investors include|joined by)\s+)(?:the\s+)?"
)
# Every _INVESTOR_INTRO match holds one of these lowercase literals.
_INVESTOR_INTRO_WORDS = ("led by", "from", "backed by", "including", "investors include", "joined by")
_APPOSITIVE_START = re.compile(
    r"^\s*(?:an?|the|which|who|whose|one|its|founded|backed|led|maker|developer|creator|"
    r"provider|operator|builder)\b",
    re.IGNORECASE,
)


_BACKED_BY = re.compile(r"(?i:backed by|with backing from)\s+")

# Investor sentences around a round, named before their verb or after a list intro:
# "Foo and Bar led the round", "Baz also participated", "Qux joined the financing",
# "with Foo and Bar participating", "Backers include Foo", "with Foo among investors".
_ROUND_NOUN = r"(?:round|financing|raise|investment|funding|series [a-h]|seed|tranche|extension)"
_INVESTOR_VERB = re.compile(
    rf"(?i:\b(?:also\s+)?(?:participated\b|(?:led|co-led)\s+(?:the|this|its|their)\s+(?:\w+\s+)?{_ROUND_NOUN}\b|"
    rf"joined\s+(?:the|this|its)\s+(?:\w+\s+)?{_ROUND_NOUN}\b))"
)
_INVESTOR_LIST_INTRO = re.compile(
    r"(?i:\b(?:(?:backers|investors)\s+(?:also\s+)?(?:include|included|including)|"
    r"(?:include|includes|included|including)\s+(?:new\s+|existing\s+|returning\s+)?(?:investors|backers)|"
    r"(?:(?:was|were|is|are)\s+(?:also\s+)?|,\s*)joined\s+by|"
    r"with\s+(?:(?:existing|new|returning|other)\s+)?(?:(?:investors?|backers?)\s+)?(?=[A-Z]|[a-z]{1,4}[A-Z]|the\s))\s*)"
    r"(?:the\s+)?"
)
_INVESTOR_LIST_TAIL = re.compile(
    r"(?i:\s*(?:also\s+)?(?:participating|co-leading|co-investing|joining|following on|investing|"
    r"among\s+(?:the\s+|its\s+)?(?:investors|backers)))\b"
)
# Every accepted _INVESTOR_VERB / _INVESTOR_LIST_INTRO match holds one of these lowercase
# literals (a "with" list counts only with an _INVESTOR_LIST_TAIL word after it).
_INVESTOR_SENTENCE_WORDS = ("participat", "led", "co-lead", "joined", "includ", "joining", "following on",
                            "investing", "among")


def may_name_investors(low: str) -> bool:
    """False when ``low`` (a safe lowercase copy) holds no investor sentence: an exact test,
    so callers may skip building the field's Slots."""
    return any(w in low for w in _INVESTOR_SENTENCE_WORDS)


@dataclass(frozen=True, slots=True)
class Slots:
    """Runs of one text and helpers to read slots around a position.

    ``low`` may pass ``tokens.safe_lower(text)``: literal tests on it are exact prefilters.
    """

    text: str
    runs: tuple[Run, ...]
    low: str | None = None

    def org_runs(self) -> list[Run]:
        return [r for r in self.runs if is_org_like(r.text)]

    def subject_before(self, pos: int) -> Run | None:
        """The org run that ends right before ``pos`` (allowing auxiliaries/adverbs)."""
        for r in reversed(self.runs):
            if r.end > pos:
                continue
            gap = self.text[r.end : pos]
            if gap == " ":
                # "Acme raises": the filler, no comma (the checks below, settled).
                return r if is_org_like(r.text) else None
            if len(gap) > 40 or _FILLER.match(gap) is None:
                return None
            if not is_org_like(r.text):
                return None
            if gap.strip().startswith(",") or gap.rstrip().endswith(","):
                return self._appositive_owner(r) or r
            return r
        return None

    def _appositive_owner(self, r: Run) -> Run | None:
        """For "Acme, which makes Foo, raised": Foo sits inside an appositive; Acme is the subject."""
        comma = self.text.rfind(",", 0, r.start)
        if comma < 0:
            return None
        segment = self.text[comma + 1 : r.start]
        if not _APPOSITIVE_START.match(segment):
            return None
        return self.subject_before(comma + 1) or self._run_ending_at(comma)

    def _run_ending_at(self, pos: int) -> Run | None:
        for r in self.runs:
            if r.end <= pos and self.text[r.end : pos].strip(" '’s") == "" and is_org_like(r.text):
                return r
        return None

    def leading_appositive(self) -> Run | None:
        """Headline-initial "Acme, an AI startup, raises ...": the subject is Acme."""
        if not self.runs:
            return None
        first = self.runs[0]
        if first.start > 2 or not is_org_like(first.text):
            return None
        rest = self.text[first.end :]
        if rest.startswith(",") and _APPOSITIVE_START.match(rest[1:]):
            return first
        return None

    def list_backward(self, r: Run) -> list[Run]:
        """``r`` and the runs joined to it on the left by commas/"and" ("A, B and C")."""
        out = [r]
        idx = self.runs.index(r)
        while idx > 0:
            prev = self.runs[idx - 1]
            if not _LIST_JOIN.match(self.text[prev.end : out[-1].start]):
                break
            if not is_org_like(prev.text):
                break
            out.append(prev)
            idx -= 1
        out.reverse()
        return out

    def object_after(self, pos: int, *, skip_prep: bool = True, limit: int = 70) -> Run | None:
        """The first org run after ``pos`` before a clause boundary, skipping descriptors."""
        region = self.text[pos : pos + limit]
        if skip_prep:
            m = _LEADING_PREP.match(region)
            skipped = ""
            while m and m.end() > 0:
                skipped = m.group()
                region = region[m.end() :]
                pos += m.end()
                m = _LEADING_PREP.match(region)
            if skipped.strip().lower() == "to" and region[:1].isalpha():
                # "deal to Use Face Recognition": "to" before a verb starts a purpose clause,
                # not an object ("sells Foo to Bar" reads its object elsewhere).
                word = region.split(None, 1)[0].casefold()
                if word in STOP:
                    return None
        # The runs are in text order: the answer is the first org run from ``pos`` on, if it
        # starts inside the region and before the first stopper.  Find it first, then look for
        # a stopper only up to it (most of the region needs no scan).
        for r in self.runs:
            if r.start >= pos and is_org_like(r.text):
                break
        else:
            return None
        k = r.start - pos
        if k >= len(region):
            return None
        stop = _STOPPER.search(region, 0, k + _STOPPER_READ)
        return r if stop is None or stop.start() > k else None

    def first_run_after(self, pos: int, limit: int = 45) -> Run | None:
        for r in self.runs:
            if r.start >= pos:
                return r if r.start < pos + limit else None
        return None

    def list_forward(self, r: Run) -> list[Run]:
        out = [r]
        idx = self.runs.index(r)
        while idx + 1 < len(self.runs):
            nxt = self.runs[idx + 1]
            if not _LIST_JOIN.match(self.text[out[-1].end : nxt.start]):
                break
            if not is_org_like(nxt.text):
                break
            out.append(nxt)
            idx += 1
        return out

    def clause_subjects(self, pos: int) -> list[Run]:
        """Org runs in the clause before ``pos`` that are not objects of a preposition."""
        start = 0
        for m in CLAUSE_BREAK.finditer(self.text, 0, pos):
            start = m.end()
        out: list[Run] = []
        for r in self.runs:
            if r.start < start or r.end > pos:
                continue
            if not is_org_like(r.text):
                continue
            if _BEFORE_BLOCKERS.search(self.text, max(0, r.start - 25), r.start):
                continue
            out.append(r)
        return out

    def inside(self, start: int, end: int) -> list[Run]:
        return [r for r in self.runs if r.start >= start and r.end <= end and is_org_like(r.text)]

    def investors_after(self, pos: int, limit: int = 90) -> list[Run]:
        """Investors named after a funding trigger: "led by X", "from X, Y and Z"."""
        low = self.low
        if low is not None:
            # Usually none of the intro words follows the trigger: skip the regex scan.
            window = low[pos : pos + limit]
            for word in _INVESTOR_INTRO_WORDS:
                if word in window:
                    break
            else:
                return []
        m = _INVESTOR_INTRO.search(self.text, pos, pos + limit)
        if m is None:
            return []
        first = self.object_after(m.end(), skip_prep=False, limit=40)
        if first is None or first.start > m.end() + 25:
            return []
        return self.list_forward(first)

    def investor_sentences(self) -> list[Run]:
        """Investors a round's text names in its own sentences: "Foo and Bar led the round",
        "Baz also participated", "with Qux participating", "Backers include Foo and Bar"."""
        low = self.low
        if low is not None and not may_name_investors(low):
            return []
        out: list[Run] = []
        for m in _INVESTOR_VERB.finditer(self.text):
            subj = self.subject_before(m.start())
            if subj is not None:
                out.extend(self.list_backward(subj))
        for m in _INVESTOR_LIST_INTRO.finditer(self.text):
            first = self.object_after(m.end(), skip_prep=False, limit=40)
            if first is None or first.start > m.end() + 25:
                continue
            names = self.list_forward(first)
            if m.group().lower().startswith("with") and _INVESTOR_LIST_TAIL.match(
                    self.text, names[-1].end) is None:
                continue  # "with Foo" alone is a partner, not an investor
            out.extend(names)
        return out

    def investors_leading(self) -> list[Run]:
        """Headline-initial "Backed by X and Y, Acme raises ..."."""
        m = _BACKED_BY.match(self.text)
        if m is None:
            return []
        first = self.object_after(m.end(), skip_prep=False, limit=30)
        return self.list_forward(first) if first else []
