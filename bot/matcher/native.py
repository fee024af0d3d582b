"""The native matcher (``native/``, Rust): loading it, and what it needs from CPython.

``scripts/build_native.sh`` builds ``bot/matcher/_native*.so``.  When it is absent (no Rust
toolchain) everything runs on the Python matcher, which gives the same results.
"""

from __future__ import annotations

import array
import os
import unicodedata
from functools import lru_cache
from types import ModuleType

from bot.matcher.normalize import _fold_char
from bot.matcher.tokens import _IGNORECASE_ODD

# The table covers the BMP and plane 1 (emoji, mathematical letters): characters beyond are
# handed to the Python rules.  native/src/chars.rs reads the same size and layout.
TABLE_LEN = 0x20000
# Flag bits of the character table.
_OK = 1 << 31
_UPPER, _LOWER, _ALPHA, _DECIMAL = 1 << 21, 1 << 22, 1 << 23, 1 << 24
_DIGIT, _NUMERIC, _SPACE, _TITLE = 1 << 25, 1 << 26, 1 << 27, 1 << 28


def char_table() -> bytes:
    """CPython's answers for every code point below ``TABLE_LEN``, as little-endian u32.

    A character is accepted (``_OK``) when the Python matcher leaves it as it is (NFKC-stable,
    not a format or combining character, not one of the four ``re.IGNORECASE`` oddities) and
    its ``lower()`` and ``casefold()`` are one character of the same UTF-8 length: then byte
    offsets into the text and its lowercase copy agree, which the port relies on.  ASCII
    control characters that ``str.isspace`` counts but Unicode does not (U+001C-U+001F) are
    refused, as are surrogates.  The native side further drops characters on which PCRE2's
    ``\\w``, ``\\s`` or ``\\d`` would disagree with ``re``.
    """
    out = array.array("I", bytes(4 * TABLE_LEN))
    odd = set(_IGNORECASE_ODD)
    fold = getattr(_fold_char, "__wrapped__", _fold_char)  # bypass (and spare) its lru_cache
    category = unicodedata.category
    for cp in range(TABLE_LEN):
        if 0xD800 <= cp < 0xE000 or 0x1C <= cp <= 0x1F:
            continue
        c = chr(cp)
        if cp >= 0x80 and (category(c) in ("Cs", "Co", "Cn") or c in odd or fold(c) != c):
            continue  # (unassigned code points, most of plane 1, leave at the first test)
        low = c.lower()
        if cp >= 0x80:
            if len(low) != 1 or len(low.encode()) != len(c.encode()) or c.casefold() != low:
                continue
        entry = _OK | ord(low)
        for pred, bit in ((c.isupper, _UPPER), (c.islower, _LOWER), (c.isalpha, _ALPHA),
                          (c.isdecimal, _DECIMAL), (c.isdigit, _DIGIT), (c.isnumeric, _NUMERIC),
                          (c.isspace, _SPACE), (c.istitle, _TITLE)):
            if pred():
                entry |= bit
        # str.istitle() of an uppercase letter alone is True; the table wants the character's
        # own titlecase property (Lt), which only differs from upper for digraphs like "ǅ".
        if entry & _TITLE and unicodedata.category(c) != "Lt":
            entry &= ~_TITLE
        out[cp] = entry
    if array.array("I", [1]).tobytes() != b"\x01\x00\x00\x00":
        out.byteswap()
    return out.tobytes()


def fold_table(table: bytes | None = None) -> dict[str, str]:
    """Per-character folds the native path applies, as ``normalize._fold_char`` gives them.

    For every character below ``TABLE_LEN`` the char table (``table``, default ``char_table()``) refuses
    whose fold is another text made only of accepted characters (or empty: a format
    character, dropped): ``{character: fold}``.  On text holding such characters the Python
    matcher folds them one by one (``normalize._normalize_chars``) and runs the rules on the
    result; the native port does the same (native/src/normalize.rs).  Left out, so still
    handed to the Python matcher: combining marks (``_fold_char`` None: Python normalises
    such text as a whole), characters whose fold holds a refused character, and the
    ``re.IGNORECASE`` oddities.
    """
    entries = array.array("I")
    entries.frombytes(char_table() if table is None else table)
    if array.array("I", [1]).tobytes() != b"\x01\x00\x00\x00":
        entries.byteswap()
    odd = set(_IGNORECASE_ODD)
    fold = getattr(_fold_char, "__wrapped__", _fold_char)  # bypass (and spare) its lru_cache
    out: dict[str, str] = {}
    for cp in range(0x80, TABLE_LEN):
        if entries[cp] & _OK or 0xD800 <= cp < 0xE000:
            continue
        c = chr(cp)
        if c in odd:
            continue
        folded = fold(c)
        if folded is None or folded == c:
            continue
        if all(ord(ch) < TABLE_LEN and entries[ord(ch)] & _OK for ch in folded):
            out[c] = folded
    return out


@lru_cache(maxsize=1)
def load() -> ModuleType | None:
    """The native module, ready to use, or None when it was not built (or when
    ``ALLIANCE_MATCHER=python`` asks for the Python matcher: an operator's escape hatch)."""
    if os.environ.get("ALLIANCE_MATCHER", "").strip().lower() == "python":
        return None
    try:
        from bot.matcher import _native  # type: ignore[attr-defined]
    except ImportError:
        return None
    table = char_table()
    _native.install_chars(table)
    _native.install_folds(fold_table(table))
    return _native  # type: ignore[no-any-return]
