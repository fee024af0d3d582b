"""Money amounts: "$111 million", "€105M", "1.2 billion dollars", "₹500 crore", "US$48.5M".

Each hit is classified by its context as a raise/deal amount or a valuation ("at a
$2B valuation", "valued at $5B"), because the label wants the money that moved, not
what the company is said to be worth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.matcher.tokens import trie_pattern
from bot.types import Amount

# Currency marks written before the number.  Longest first: "US$" before "$".
_PREFIX: dict[str, str] = {
    "US$": "USD", "U.S.$": "USD", "USD": "USD", "$": "USD",
    "C$": "CAD", "CA$": "CAD", "CAD": "CAD",
    "A$": "AUD", "AU$": "AUD", "AUD": "AUD",
    "NZ$": "NZD", "NZD": "NZD", "HK$": "HKD", "HKD": "HKD", "S$": "SGD", "SGD": "SGD",
    "R$": "BRL", "BRL": "BRL", "MX$": "MXN",
    "€": "EUR", "EUR": "EUR", "£": "GBP", "GBP": "GBP",
    "¥": "JPY", "JP¥": "JPY", "JPY": "JPY", "CN¥": "CNY", "CNY": "CNY", "RMB": "CNY",
    "₹": "INR", "Rs.": "INR", "Rs": "INR", "INR": "INR",
    "₩": "KRW", "KRW": "KRW", "CHF": "CHF", "SEK": "SEK", "NOK": "NOK", "DKK": "DKK",
    "₪": "ILS", "ILS": "ILS", "NIS": "ILS", "₦": "NGN", "AED": "AED", "SAR": "SAR", "ZAR": "ZAR",
}
# Currency words written after the number ("10 billion yen", "500 crore rupees").
_SUFFIX: dict[str, str] = {
    "dollars": "USD", "dollar": "USD", "usd": "USD", "euros": "EUR", "euro": "EUR", "eur": "EUR",
    "pounds": "GBP", "pound sterling": "GBP", "sterling": "GBP", "gbp": "GBP",
    "yen": "JPY", "jpy": "JPY", "yuan": "CNY", "renminbi": "CNY", "cny": "CNY", "rmb": "CNY",
    "rupees": "INR", "rupee": "INR", "inr": "INR", "won": "KRW", "krw": "KRW",
    "swiss francs": "CHF", "francs": "CHF", "chf": "CHF", "kronor": "SEK", "sek": "SEK",
    "krona": "SEK", "nok": "NOK", "dkk": "DKK", "shekels": "ILS", "naira": "NGN",
    "canadian dollars": "CAD", "australian dollars": "AUD", "cad": "CAD", "aud": "AUD",
    "dirhams": "AED", "dirham": "AED", "riyals": "SAR", "riyal": "SAR", "reais": "BRL",
    "shekel": "ILS",
}
_SCALE: dict[str, float] = {
    "thousand": 1e3, "k": 1e3,
    "m": 1e6, "mn": 1e6, "mln": 1e6, "mil": 1e6, "million": 1e6, "millions": 1e6,
    "b": 1e9, "bn": 1e9, "bln": 1e9, "billion": 1e9, "billions": 1e9,
    "t": 1e12, "tn": 1e12, "trillion": 1e12,
    "lakh": 1e5, "lakhs": 1e5, "crore": 1e7, "crores": 1e7, "cr": 1e7,
}


def _alt(words: list[str]) -> str:
    """The words as one alternation that tries longer words first.

    A character trie: the words that match at one offset are prefixes of each other, and
    the trie tries each continuation before ending, so it tries them longest first, as
    the plain longest-first alternation does; but the engine follows one branch per
    character instead of trying every word (no two words differ only in case, so this
    holds under IGNORECASE too).
    """
    return trie_pattern(words)


_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SCALE_RE = _alt(list(_SCALE))
_AMOUNT_BODY = rf"""
    (?<![\w$€£¥₹])
    (?:(?P<pre>{_alt(list(_PREFIX))})\s?)?
    (?P<num>{_NUM})
    (?:\s?\+)?
    (?:[\s-]?(?P<scale>{_SCALE_RE})(?![a-z]))?
    (?:\+)?
    (?:[\s-](?P<suf>{_alt(list(_SUFFIX))})(?![a-z]))?
    """
_AMOUNT = re.compile(_AMOUNT_BODY, re.VERBOSE | re.IGNORECASE)
# Every _AMOUNT match has its number starting at the start of a digit run (no prefix: the
# lookbehind rejects a preceding digit; a prefix never ends in one) at most _LEAD characters
# after the match start (the longest prefix, "U.S.$", plus one space).  So the scan can jump
# from digit run to digit run: ``_AMOUNT_NEAR.match(text, s)`` is the leftmost _AMOUNT match
# starting in s .. s+_LEAD (the lazy skip tries each start in order), group "amt".
_LEAD = max(len(p) for p in _PREFIX) + 1
_AMOUNT_NEAR = re.compile(
    rf"(?s:.{{0,{_LEAD}}}?)(?P<amt>{_AMOUNT_BODY})", re.VERBOSE | re.IGNORECASE
)
_DIGIT_RUN = re.compile(r"\d\d*")  # starts with a class: the engine skips to digits in C
# Cheap gate: no digit, no amount.
_DIGIT = re.compile(r"\d")

# Context that marks an amount as a valuation rather than money raised.
_VALUATION_AFTER = re.compile(
    r"^\+?\s*(?:\(?[\w.-]+\)?\s+)?(?:post-money\s+|pre-money\s+)?valuation"
    r"|^[\s-]*(?:dollar\s+)?(?:company|market cap|market value|valuation)",
    re.IGNORECASE,
)
# "valued at", "values it at", "values the company at", "valuing Foo at"
_VALUED_AT = re.compile(
    r"valu(?:ed|ing|e|es)\s+(?:(?:it|the\s+[\w-]+|[\w.-]+)\s+)?at\s+(?:\w+\s+){0,2}$", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class AmountHit:
    start: int
    end: int
    value: float
    currency: str
    scaled: bool  # carried a scale word ("million") or a currency word: not a bare price
    valuation: bool

    def amount(self) -> Amount:
        return Amount(self.value, self.currency)


def _has_digit(text: str) -> bool:
    for d in "0123456789":
        if d in text:
            return True
    # ``\d`` also matches non-ASCII decimal digits.
    return not text.isascii() and _DIGIT.search(text) is not None


def find_amounts(text: str, low: str | None = None) -> list[AmountHit]:
    """Every money amount in ``text`` with a currency, left to right."""
    if not _has_digit(text):
        return []
    # Same matches as ``_AMOUNT.finditer(text)``: ``pos`` is where finditer would resume;
    # no match can start before ``run start - _LEAD`` of the next digit run at or after it.
    hits: list[AmountHit] = []
    pos = 0
    near = _AMOUNT_NEAR.match
    for run in _DIGIT_RUN.finditer(text):
        d = run.start()
        if d < pos:
            continue
        m = near(text, max(pos, d - _LEAD))
        if m is None:
            continue
        start, end = m.span("amt")
        pos = end
        hit = _hit(text, m, start, end, low)
        if hit is not None:
            hits.append(hit)
    return hits


def _hit(text: str, m: re.Match[str], start: int, end: int, low: str | None = None) -> AmountHit | None:
    pre, suf, scale = m.group("pre"), m.group("suf"), m.group("scale")
    if pre is None and suf is None:
        return None  # a bare number ("10 gigawatts", "1,000 businesses")
    currency = _currency(pre, suf, scale)
    if currency is None:
        return None
    value = float(m.group("num").replace(",", ""))
    if scale:
        value *= _SCALE[scale.lower()]
    return AmountHit(
        start, end, round(value, 2), currency, bool(scale), _is_valuation(text, start, end, low)
    )


def _currency(pre: str | None, suf: str | None, scale: str | None) -> str | None:
    if pre is not None:
        code = _PREFIX.get(pre) or _PREFIX.get(pre.upper())
        if code is None:
            return None
        # A written-out currency after a bare "$" decides ("$5 Canadian dollars" is rare;
        # "C$" is the usual form), so the prefix wins.
        return code
    assert suf is not None
    code = _SUFFIX.get(suf.lower())
    # "Rs 500 crore" / "500 crore" both mean rupees; a scale of crore implies INR.
    if code is None and scale and scale.lower() in ("crore", "crores", "cr", "lakh", "lakhs"):
        return "INR"
    return code


def _is_valuation(text: str, start: int, end: int, low: str | None = None) -> bool:
    """Does the context mark the amount at ``start:end`` as a valuation?

    ``low`` is ``tokens.safe_lower(text)`` when available: on it, literal tests are exact,
    and most amounts have none of the words the two context regexes need nearby.
    """
    lo, hi = max(0, start - 30), end + 40
    if low is None:
        may_after = may_before = True
    else:
        after_low = low[end:hi]
        may_after = "valuation" in after_low or "company" in after_low or "market" in after_low
        may_before = "valu" in low[lo:start]
    if may_after and _VALUATION_AFTER.match(text[end:hi]):
        return True
    return may_before and _VALUED_AT.search(text[lo:start]) is not None


def is_bare_price(hit: AmountHit) -> bool:
    """A small unscaled amount ("$20 a month", "$299 robot") is a price, not a deal."""
    return not hit.scaled and hit.value < 100_000
