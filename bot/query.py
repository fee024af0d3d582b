"""The subscription query language.

    event:funding amount>=50M (mistral OR anthropic) NOT lawsuit

Words and "quoted phrases" match the story's title and summary (whole words,
case-insensitive); a word that names a watchlist company (``mistral``) matches
that company by any alias or as an extracted party.  ``event:`` (partnership,
funding, acquisition), ``round:``, ``source:`` and ``amount`` comparisons filter
on the matcher's output.  Juxtaposition means AND; AND, OR, NOT and parentheses
work as usual (NOT binds tightest, then AND, then OR).  ``mode:instant`` or
``mode:digest`` sets the delivery mode.  ``*`` or an empty query matches every
flagged story.  Errors point at the offending character.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Union

from bot.errors import CommandError
from bot.types import EVENT_TYPES, ROUNDS, Match, Story

# Rough conversion for amount filters only (documented in the README); a
# subscription threshold is a coarse filter, not accounting.
USD_PER_UNIT = {
    "USD": 1.0,
    "EUR": 1.08,
    "GBP": 1.27,
    "JPY": 0.0067,
    "CNY": 0.14,
    "INR": 0.012,
    "CAD": 0.73,
    "AUD": 0.66,
    "CHF": 1.13,
    "SEK": 0.095,
    "KRW": 0.00073,
    "SGD": 0.74,
    "HKD": 0.128,
    "BRL": 0.18,
    "ILS": 0.27,
    "AED": 0.27,
    "SAR": 0.27,
}

_MULT = {"": 1.0, "k": 1e3, "m": 1e6, "mn": 1e6, "b": 1e9, "bn": 1e9, "t": 1e12}
_AMOUNT_RE = re.compile(r"amount\s*(>=|<=|>|<|=)\s*\$?(\d+(?:\.\d+)?)\s*(k|mn|m|bn|b|t)?", re.I)
_TOKEN_RE = re.compile(
    r"""\s*(?:
        (?P<lp>\()|(?P<rp>\))|
        (?P<phrase>"[^"]*"?)|
        (?P<amount>amount\s*(?:>=|<=|>|<|=)\s*\S+)|
        (?P<word>[^\s()"]+)
    )""",
    re.X | re.I,
)


class QueryError(CommandError):
    def __init__(self, query: str, pos: int, reason: str):
        # An inline marker, not a caret line: chat clients strip leading spaces,
        # which would move a caret away from the spot.
        marked = f"{query[:pos]}⟦here⟧{query[pos:]}"
        super().__init__(f"{reason} (at character {pos + 1}): {marked}")
        self.pos = pos
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Term:
    kind: str  # word | phrase | company | event | round | source | amount | all
    value: str
    op: str = ""
    number: float = 0.0


@dataclass(frozen=True, slots=True)
class Not:
    node: Node


@dataclass(frozen=True, slots=True)
class And:
    nodes: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    nodes: tuple[Node, ...]


Node = Union[Term, Not, And, Or]  # noqa: UP007 - a runtime alias of forward references


@dataclass(frozen=True, slots=True)
class Query:
    text: str
    node: Node
    mode: str = "instant"

    def matches(self, story: Story, match: Match) -> bool:
        return evaluate(self.node, _Doc(story, match))


# A resolver maps a word to a watchlist company: (canonical, all lowercase aliases).
Resolver = Callable[[str], tuple[str, tuple[str, ...]] | None]


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None or m.end() == pos:
            if text[pos:].strip() == "":
                break
            raise QueryError(text, pos, "unexpected character")
        kind = m.lastgroup or ""
        value = m.group(kind) if kind else ""
        start = m.start(kind) if kind else pos
        pos = m.end()
        if kind:
            out.append((kind, value, start))
    return out


class _Parser:
    def __init__(self, text: str, resolver: Resolver | None):
        self.text = text
        self.toks = _tokens(text)
        self.i = 0
        self.resolver = resolver
        self.mode = "instant"

    def peek(self) -> tuple[str, str, int] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def _is_op(self, tok: tuple[str, str, int] | None, op: str) -> bool:
        return tok is not None and tok[0] == "word" and tok[1] == op

    def parse(self) -> Node:
        if not self.toks:
            return Term("all", "*")
        node = self.parse_or()
        tok = self.peek()
        if tok is not None:
            if tok[0] == "rp":
                raise QueryError(self.text, tok[2], "')' without a matching '('")
            raise QueryError(self.text, tok[2], f"unexpected {tok[1]!r}")
        return node

    def parse_or(self) -> Node:
        nodes = [self.parse_and()]
        while self._is_op(self.peek(), "OR"):
            self.i += 1
            nodes.append(self.parse_and(after="OR"))
        return nodes[0] if len(nodes) == 1 else Or(tuple(nodes))

    def parse_and(self, after: str | None = None) -> Node:
        nodes = [self.parse_not(after)]
        while True:
            tok = self.peek()
            if tok is None or tok[0] == "rp" or self._is_op(tok, "OR"):
                break
            if self._is_op(tok, "AND"):
                self.i += 1
                nodes.append(self.parse_not("AND"))
                continue
            nodes.append(self.parse_not())
        nodes = [n for n in nodes if not (isinstance(n, Term) and n.kind == "mode")]
        if not nodes:
            return Term("all", "*")
        return nodes[0] if len(nodes) == 1 else And(tuple(nodes))

    def parse_not(self, after: str | None = None) -> Node:
        tok = self.peek()
        if tok is None:
            raise QueryError(
                self.text, len(self.text), f"'{after}' needs something after it" if after else "query ends too early"
            )
        if self._is_op(tok, "NOT"):
            self.i += 1
            return Not(self.parse_not("NOT"))
        if tok[0] == "word" and tok[1].startswith("-") and len(tok[1]) > 1:
            self.i += 1
            return Not(self.term(("word", tok[1][1:], tok[2] + 1)))
        return self.parse_atom(after)

    def parse_atom(self, after: str | None) -> Node:
        tok = self.peek()
        assert tok is not None
        kind, value, pos = tok
        if kind == "lp":
            self.i += 1
            if self.peek() is None:
                raise QueryError(self.text, len(self.text), "'(' is never closed")
            if self.peek() and self.peek()[0] == "rp":  # type: ignore[index]
                raise QueryError(self.text, pos, "empty parentheses")
            node = self.parse_or()
            closing = self.peek()
            if closing is None or closing[0] != "rp":
                raise QueryError(self.text, pos, "'(' is never closed")
            self.i += 1
            return node
        if kind == "rp":
            raise QueryError(self.text, pos, f"'{after}' needs something after it" if after else "')' without a matching '('")
        if kind == "word" and value in ("AND", "OR"):
            raise QueryError(self.text, pos, f"'{value}' needs something before it")
        self.i += 1
        return self.term(tok)

    def term(self, tok: tuple[str, str, int]) -> Node:
        kind, value, pos = tok
        if kind == "phrase":
            if len(value) < 2 or not value.endswith('"'):
                raise QueryError(self.text, pos, "unclosed quote")
            phrase = value[1:-1].strip().lower()
            if not phrase:
                raise QueryError(self.text, pos, "empty phrase")
            return Term("phrase", " ".join(phrase.split()))
        if kind == "amount":
            m = _AMOUNT_RE.fullmatch(value.replace(" ", ""))
            if not m:
                raise QueryError(
                    self.text, pos, "amount filters look like amount>=50M, amount<1B or amount>=250k"
                )
            number = float(m.group(2)) * _MULT[(m.group(3) or "").lower()]
            return Term("amount", value, m.group(1), number)
        if value == "*":
            return Term("all", "*")
        field, colon, arg = value.partition(":")
        if colon and field.lower() in ("event", "round", "source", "mode"):
            return self.field_term(field.lower(), arg, pos)
        word = value.lower().strip(".,;!?")
        if not word:
            raise QueryError(self.text, pos, "empty word")
        if self.resolver is not None:
            company = self.resolver(word)
            if company is not None:
                return Term("company", company[0], "|".join(company[1]))
        return Term("word", word)

    def field_term(self, field: str, arg: str, pos: int) -> Node:
        arg_l = arg.lower().replace("_", " ").replace("-", " ") if field == "round" else arg.lower()
        if field == "event":
            aliases = {"partnerships": "partnership", "investment": "funding", "acquisitions": "acquisition", "acq": "acquisition"}
            arg_l = aliases.get(arg_l, arg_l)
            if arg_l not in EVENT_TYPES:
                raise QueryError(self.text, pos, f"unknown event {arg!r}; use one of {', '.join(EVENT_TYPES)}")
            return Term("event", arg_l)
        if field == "round":
            canon = {r.replace("-", " "): r for r in ROUNDS}
            if arg_l in ("a", "b", "c", "d", "e", "f", "g", "h"):
                arg_l = f"series {arg_l}"
            if arg_l not in canon:
                raise QueryError(self.text, pos, f"unknown round {arg!r}; e.g. round:seed, round:series-a")
            return Term("round", canon[arg_l])
        if field == "source":
            if not arg:
                raise QueryError(self.text, pos, "source: needs a source name")
            return Term("source", arg.lower())
        if arg_l not in ("instant", "digest"):
            raise QueryError(self.text, pos, "mode is mode:instant or mode:digest")
        self.mode = arg_l
        return Term("mode", arg_l)


def parse_query(text: str, resolver: Resolver | None = None) -> Query:
    text = text.strip()
    if len(text) > 1000:
        raise QueryError(text[:1000], 1000, "query longer than 1000 characters")
    if text in ("", "*"):
        return Query(text or "*", Term("all", "*"))
    p = _Parser(text, resolver)
    node = p.parse()
    return Query(text, node, p.mode)


class _Doc:
    """What a query looks at, computed lazily once per story."""

    __slots__ = ("story", "match", "_text", "_parties")

    def __init__(self, story: Story, match: Match):
        self.story = story
        self.match = match
        self._text: str | None = None
        self._parties: frozenset[str] | None = None

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = f" {self.story.title} \n {self.story.summary} ".lower()
        return self._text

    @property
    def parties(self) -> frozenset[str]:
        if self._parties is None:
            self._parties = frozenset(p.lower() for p in self.match.parties)
        return self._parties


def contains_words(text: str, phrase: str) -> bool:
    """Whole-word containment: 'ai' matches 'AI startup' but not 'said'."""
    start = 0
    while True:
        i = text.find(phrase, start)
        if i < 0:
            return False
        end = i + len(phrase)
        before = text[i - 1] if i > 0 else " "
        after = text[end] if end < len(text) else " "
        if not before.isalnum() and not after.isalnum():
            return True
        start = i + 1


def usd_value(match: Match) -> float | None:
    if match.amount is None:
        return None
    rate = USD_PER_UNIT.get(match.amount.currency.upper())
    return match.amount.value * rate if rate is not None else match.amount.value


def evaluate(node: Node, doc: _Doc) -> bool:
    if isinstance(node, Term):
        return _term(node, doc)
    if isinstance(node, Not):
        return not evaluate(node.node, doc)
    if isinstance(node, And):
        return all(evaluate(n, doc) for n in node.nodes)
    return any(evaluate(n, doc) for n in node.nodes)


def _term(t: Term, doc: _Doc) -> bool:
    if t.kind == "all":
        return True
    if t.kind in ("word", "phrase"):
        return contains_words(doc.text, t.value)
    if t.kind == "company":
        if t.value.lower() in doc.parties:
            return True
        return any(contains_words(doc.text, a) for a in t.op.split("|") if a)
    if t.kind == "event":
        return t.value in doc.match.events
    if t.kind == "round":
        return doc.match.round == t.value
    if t.kind == "source":
        return t.value in doc.story.source.lower()
    if t.kind == "amount":
        v = usd_value(doc.match)
        if v is None:
            return False
        return {
            ">=": v >= t.number,
            ">": v > t.number,
            "<=": v <= t.number,
            "<": v < t.number,
            "=": abs(v - t.number) <= 0.01 * t.number,
        }[t.op]
    return True
