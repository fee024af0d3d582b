"""Cheap gates in front of the matcher's regexes, each a few C-level passes per field.

* ``word_bits`` (and ``words_of_lower``/``word_set``): a field's lowercase words, split by
  string methods and two small substitutions, looked up in one table whose bits tell which
  word lists the field touches, so the matcher skips every rule whose key words are absent.
* ``safe_lower``: a lowercase copy with the text's offsets, on which literal prefilters are
  exact.
* ``word_start_scanner``: one pass that lists the word starts where a pattern can match,
  so the pattern is tried there only (instead of at every offset).
"""

from __future__ import annotations

import re
from typing import Any

_STRIP = ".,;:!?()[]{}\"'’‘“”«»*…"
MONEY_CHARS = "$€£¥₹₩₪"
MONEY_WORDS = frozenset(
    "million billion trillion crore lakh usd eur gbp chf sek nok dkk inr jpy cny rmb cad aud rs "
    "dollars euros pounds yen yuan rupees".split()
)


_SPLIT = str.maketrans("-/", "  ")
_POSS = ("'s", "’s")


# Word splitting done by C-level string operations instead of a per-token Python loop:
# after "-" and "/" become spaces, ``_EDGE`` deletes the runs of ``_STRIP`` characters that
# touch a token's start (the char before the run is whitespace or the text start) or its
# end (whitespace or the text end follows) -- exactly what ``str.strip(_STRIP)`` removes
# per token -- and ``_POSS_END`` then drops one trailing "'s" per token.  (``\s``/``\S``
# and ``str.split`` share one definition of whitespace.)  The pattern starts with a
# character class, so the regex engine skips to the next punctuation mark in C.
_SC = "[" + re.escape(_STRIP) + "]"
_EDGE = re.compile(rf"{_SC}(?:(?<![^\s].){_SC}*|{_SC}*(?!\S))")
_POSS_END = re.compile(r"['’]s(?!\S)")


def _word_text(low: str) -> str:
    """``low`` with every token turned into its word (``str.split`` then yields the words)."""
    s = low.replace("-", " ").replace("/", " ")
    s = _EDGE.sub("", s)
    if "'" in s or "’" in s:
        s = _POSS_END.sub("", s)
    return s


def words_of_lower(low: str) -> set[str]:
    """``set(word_set(text))`` given ``low == text.lower()``."""
    return set(_word_text(low).split())


def with_possessives(table: dict[str, int]) -> dict[str, int]:
    """The table ``word_bits`` needs: each word's possessives ("x's", "x’s") mapped to the
    word's value, and each word itself unless it ends in "'s" (no token's word can: one
    trailing "'s" is always dropped, so only "x's's" reaches the word "x's")."""
    out: dict[str, int] = {}
    for w, value in table.items():
        if not w.endswith(_POSS):
            out[w] = value
        for suffix in _POSS:
            out[w + suffix] = value
    return out


def word_bits(low: str, table: dict[str, int]) -> int:
    """The OR of ``table[w]`` over the words ``w`` of ``words_of_lower(low)`` in ``table``,
    for a ``table`` built by ``with_possessives``.

    One pass answers every vocabulary question a caller has (which word lists the text
    touches), instead of building the whole word set and intersecting it list by list.
    Tokens keep their trailing "'s": the table maps a token "x's" to the value of its word
    "x", which saves the substitution that deletes it (a regex pass over every text holding
    an apostrophe).
    """
    bits = 0
    for w in table.keys() & _EDGE.sub("", low.replace("-", " ").replace("/", " ")).split():
        bits |= table[w]
    return bits


def word_set(text: str, low: str | None = None) -> frozenset[str]:
    """Lowercase words of ``text``; hyphens and slashes split, punctuation and "'s" dropped.

    ``low`` may pass ``text.lower()`` when the caller already has it.
    """
    if low is None:
        low = text.lower()
    return frozenset(words_of_lower(low))


MONEY_CHAR_RX = re.compile("[" + re.escape(MONEY_CHARS) + "]")


def has_money_char(text: str) -> bool:
    """``MONEY_CHAR_RX.search(text) is not None``, by ``in`` tests: each is a C-level memchr
    (and a non-ASCII test on ASCII text is skipped), while a character-class search steps
    through the text one character at a time (five times slower on the corpus)."""
    if "$" in text:
        return True
    if text.isascii():
        return False
    return ("€" in text or "£" in text or "¥" in text or "₹" in text or "₩" in text
            or "₪" in text)


# ---- lowercase prefilters -----------------------------------------------------------------
# Case-insensitive regexes (and case-sensitive ones, a fortiori) can only match an ASCII
# letter where ``str.lower()`` yields that letter -- except for these four characters, which
# ``re.IGNORECASE`` also equates with i/s/k (and U+0130 even changes length when lowered).
# Texts holding one of them take the plain regex path; every other text gets a lowercase
# copy with the same offsets, on which ``in``/``find`` prefilters are exact.
_IGNORECASE_ODD = ("\u0130", "\u0131", "\u017f", "\u212a")


def safe_lower(text: str) -> str | None:
    """``text.lower()`` when prefilters on it are exact (see above), else None."""
    if not text.isascii():
        for c in _IGNORECASE_ODD:
            if c in text:
                return None
    return text.lower()


# ---- word-start scanners ------------------------------------------------------------------
# For a pattern whose every match begins at a word start (``\b`` or ``(?<![A-Za-z])`` before
# a letter) with one of some lowercase literals (each beginning with an ASCII letter), the
# offsets worth trying are those where a literal occurs in the safe lowercase copy and the
# character before is not an ASCII lowercase letter.  (On a safe_lower copy a character
# lowers to an ASCII letter only if it is one: U+0130 and U+212A are the exceptions, and
# safe_lower refuses them.)  One regex finds them all in a single C-level pass: it matches
# the character *before* each such offset (the text is padded with one space), so the
# engine only stops at non-letters, and it consumes one character, so no offset is skipped.
def trie_pattern(words: list[str], *, after_first: str = "") -> str:
    """A regex alternation of ``words`` as a character trie (escaped, no group).

    At an offset the engine follows one branch per character instead of trying each word,
    and every branch tries its continuation before ending, so the longest word matching
    there wins, as in a longest-first alternation.  ``after_first`` is inserted after the
    first character of every word (the watchlist puts a lookbehind there).
    """
    root: dict[str, Any] = {}
    for w in words:
        node = root
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any], glue: str = "") -> str:
        ends = "" in node
        branches = [re.escape(ch) + glue + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return emit(root, after_first)


def word_start_scanner(literals: tuple[str, ...]) -> re.Pattern[str]:
    """A scanner whose matches start one character before each word start where a literal
    begins (on ``" " + low``); every literal must start with an ASCII letter."""
    for lit in literals:
        if not ("a" <= lit[:1] <= "z"):
            raise ValueError(f"literal must start with a lowercase ASCII letter: {lit!r}")
    return re.compile(r"[^a-z](?=" + trie_pattern(sorted(set(literals))) + ")")

