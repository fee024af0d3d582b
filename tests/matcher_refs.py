"""Plain reference versions of the matcher's scans, for the tests that check the fast paths."""

from __future__ import annotations

import re


def positions(low: str, literals: tuple[str, ...]) -> list[int]:
    """Sorted start offsets of every occurrence of every literal in ``low``."""
    out: set[int] = set()
    find = low.find
    for lit in literals:
        i = find(lit)
        while i >= 0:
            out.add(i)
            i = find(lit, i + 1)
    return sorted(out)


def first_match(regex: re.Pattern[str], text: str, starts: list[int]) -> re.Match[str] | None:
    """``regex.search(text)`` when ``starts`` holds every offset at which a match can begin."""
    match = regex.match
    for p in starts:
        m = match(text, p)
        if m is not None:
            return m
    return None


def find_iter(regex: re.Pattern[str], text: str, starts: list[int]) -> list[re.Match[str]]:
    """``list(regex.finditer(text))`` when ``starts`` holds every offset a match can begin at.

    ``match(text, p)`` sees the whole string, so lookbehinds and ``\\b`` behave as in a scan.
    (The patterns this is used for never match the empty string.)
    """
    out: list[re.Match[str]] = []
    match = regex.match
    end = 0
    for p in starts:
        if p < end:
            continue
        m = match(text, p)
        if m is not None:
            out.append(m)
            end = m.end()
    return out
