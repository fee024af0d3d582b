"""Funding-round stage: "seed", "Series B", "pre-IPO round", "debt financing", ..."""

from __future__ import annotations

import re

from bot.matcher.tokens import word_start_scanner

_ROUND = re.compile(
    r"""
    \b(?:
      (?P<preseed>pre-?seed)
    | (?P<preipo>pre-?IPO)\s+(?:round|funding|financing|raise)
    | (?P<series>series)[\s-](?P<letter>[A-H])(?:-?\d|\+)?(?![\w-])
    | (?P<seed>seed)(?:\s+(?:round|funding|financing|capital|investment|extension)|(?![\w-]))
    | (?P<strategic>strategic)\s+(?:investment|round|funding|financing|backing|stake)
    | (?P<debt>debt|credit|loan)\s+(?:financing|funding|round|facility|raise|line)
    | (?P<debt2>line)\s+of\s+credit
    | (?P<growth>growth)\s+(?:round|equity|funding|financing|investment)
    | (?P<bridge>bridge)\s+(?:round|funding|financing|loan)
    )
    """,
    re.IGNORECASE | re.VERBOSE,
)


# Every _ROUND match starts with one of these lowercase literals.
ROUND_STARTS = ("pre", "series", "seed", "strategic", "debt", "credit", "loan", "growth", "bridge", "line")
_ROUND_SCAN = word_start_scanner(ROUND_STARTS)


def find_round(text: str, low: str | None = None,
               starts: list[int] | None = None) -> tuple[str, int, int] | None:
    """The first round stage named in ``text`` as (label, start, end), else None.

    ``low`` is ``tokens.safe_lower(text)`` when available (exact fast path), else None.
    ``starts`` may pass, in order, the offsets where a ROUND_STARTS literal begins in
    ``low`` after a non-letter (what ``_ROUND_SCAN`` finds), when a caller's own scan of
    ``low`` already found them.
    """
    if low is None:
        m = _ROUND.search(text)
    else:
        # Every _ROUND match starts with "\b" before a letter: try its word starts in order.
        if starts is None:
            starts = [s.start() for s in _ROUND_SCAN.finditer(" " + low)]
        m = None
        match = _ROUND.match
        for i in starts:
            m = match(text, i)
            if m is not None:
                break
    if m is None:
        return None
    return _label(m), m.start(), m.end()


def _label(m: re.Match[str]) -> str:
    if m.group("preseed"):
        return "pre-seed"
    if m.group("preipo"):
        return "pre-ipo"
    if m.group("series"):
        return "series " + m.group("letter").lower()
    if m.group("seed"):
        return "seed"
    if m.group("strategic"):
        return "strategic"
    if m.group("growth"):
        return "growth"
    if m.group("bridge"):
        return "bridge"
    return "debt"
