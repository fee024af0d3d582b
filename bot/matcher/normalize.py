"""Text normalisation before matching, with offsets that map back to the original.

Feeds smuggle in look-alike characters: full-width letters, ligatures, non-breaking
spaces (NFKC folds them) and invisible format characters (zero-width space, bidi
controls, soft hyphen: Unicode category Cf) that split a name such as ``Open\\u200bAI``.
Rules run on the normalised text; evidence must quote the *original* story text,
so every normalised character remembers the original span it came from.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from bot.matcher.tokens import _IGNORECASE_ODD


@dataclass(frozen=True, slots=True)
class NormText:
    """``text`` is what rules see; ``span`` maps offsets of ``text`` back to ``original``.

    ``segments`` is None when ``text is original`` (the common, allocation-free case);
    otherwise it lists (norm_start, norm_end, orig_start, orig_end, identity) pieces:
    identity pieces map character for character, the others (a folded or dropped
    character) map every output character to the whole original piece.
    """

    original: str
    text: str
    segments: tuple[tuple[int, int, int, int, bool], ...] | None = None

    def _locate(self, i: int) -> tuple[int, int]:
        """Original (start, end) of normalised character ``i``."""
        assert self.segments is not None
        lo, hi = 0, len(self.segments) - 1
        while lo < hi:  # last segment with norm_start <= i
            mid = (lo + hi + 1) // 2
            if self.segments[mid][0] <= i:
                lo = mid
            else:
                hi = mid - 1
        ns, _ne, os_, oe, identity = self.segments[lo]
        if identity:
            return os_ + (i - ns), os_ + (i - ns) + 1
        return os_, oe

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a half-open span of ``text`` to the corresponding span of ``original``."""
        if self.segments is None:
            return start, end
        if start >= end:
            pos = self._locate(start)[0] if start < len(self.text) else len(self.original)
            return pos, pos
        return self._locate(start)[0], self._locate(end - 1)[1]


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@lru_cache(maxsize=4096)
def _fold_char(c: str) -> str | None:
    """NFKC of one character ('' for Cf); None for combining marks (need the slow path)."""
    if unicodedata.category(c) == "Cf":
        return ""
    if unicodedata.combining(c):
        return None
    return "".join(ch for ch in unicodedata.normalize("NFKC", c) if unicodedata.category(ch) != "Cf")


# Characters normalize() leaves alone *and* tokens.safe_lower accepts: all of ASCII plus the
# non-ASCII characters seen so far whose _fold_char is themselves (typographic quotes,
# dashes, accented letters, ...) other than safe_lower's four exceptions.  A text made of
# them only is its own normal form with a safe lowercase copy (see ``is_plain``).
_UNSAFE = frozenset(_IGNORECASE_ODD)
_PLAIN: set[str] = {chr(i) for i in range(128)}
_PLAIN_MAX = 60_000


def is_plain(original: str) -> bool:
    """True when ``normalize(original).text is original`` and ``safe_lower`` accepts it
    (checked against characters already seen; False only means "not known")."""
    # _PLAIN holds all of ASCII, so only the (few) other characters need looking up: one
    # C-level scan collects them instead of hashing every character of the text.
    return _PLAIN.issuperset(_NON_ASCII.findall(original))


def normalize(original: str) -> NormText:
    """NFKC-normalise ``original`` and drop Cf characters, keeping an offset map."""
    if original.isascii():
        return NormText(original, original)
    return _normalize_chars(original, set(_NON_ASCII.findall(original)).difference(_PLAIN))


def normalize_unless_plain(original: str) -> NormText | None:
    """None when ``is_plain(original)``, else ``normalize(original)``: the same answers
    from one scan of the text's non-ASCII characters instead of two."""
    if original.isascii():
        return None
    new = set(_NON_ASCII.findall(original)).difference(_PLAIN)
    return _normalize_chars(original, new) if new else None


def _normalize_chars(original: str, new: set[str]) -> NormText:
    """``normalize(original)`` given ``new``, the text's non-ASCII characters not in _PLAIN.

    Characters in _PLAIN fold to themselves, so only the new ones can need an edit; each
    folding character's occurrences are found with ``str.find`` (a C-level search), rather
    than handling every non-ASCII occurrence (mostly typographic quotes) one by one.
    """
    edits: list[tuple[int, str]] = []
    stable: list[str] = []
    find = original.find
    for c in new:
        folded = _fold_char(c)
        if folded is None:
            return _normalize_slow(original)
        if folded != c:
            i = find(c)
            while i >= 0:
                edits.append((i, folded))
                i = find(c, i + 1)
        elif c not in _UNSAFE:
            stable.append(c)
    if stable and len(_PLAIN) < _PLAIN_MAX:
        _PLAIN.update(stable)
    if not edits:
        return NormText(original, original)
    edits.sort()  # by offset (offsets are distinct)
    return _apply_edits(original, edits)


def _apply_edits(original: str, edits: list[tuple[int, str]]) -> NormText:
    parts: list[str] = []
    segments: list[tuple[int, int, int, int, bool]] = []
    npos = opos = 0
    for at, repl in edits:
        if at > opos:
            parts.append(original[opos:at])
            segments.append((npos, npos + at - opos, opos, at, True))
            npos += at - opos
        if repl:
            parts.append(repl)
            segments.append((npos, npos + len(repl), at, at + 1, False))
            npos += len(repl)
        opos = at + 1
    if opos < len(original):
        parts.append(original[opos:])
        segments.append((npos, npos + len(original) - opos, opos, len(original), True))
    return NormText(original, "".join(parts), tuple(segments))


def _clusters(original: str) -> list[tuple[int, int]]:
    """Split into (start, end) runs of a base character plus its combining marks.

    NFKC may compose a base with following marks (e + U+0301 -> é), so they must be
    normalised together; a run is the smallest unit whose output we can attribute.
    """
    runs: list[tuple[int, int]] = []
    i, n = 0, len(original)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(original[j]):
            j += 1
        runs.append((i, j))
        i = j
    return runs


def _normalize_slow(original: str) -> NormText:
    parts: list[str] = []
    segments: list[tuple[int, int, int, int, bool]] = []
    npos = 0
    for a, b in _clusters(original):
        chunk = "".join(c for c in original[a:b] if unicodedata.category(c) != "Cf")
        folded = "".join(
            ch for ch in unicodedata.normalize("NFKC", chunk) if unicodedata.category(ch) != "Cf"
        )
        if not folded:
            continue
        identity = folded == original[a:b]
        parts.append(folded)
        segments.append((npos, npos + len(folded), a, b, identity))
        npos += len(folded)
    return NormText(original, "".join(parts), tuple(segments))
