"""Small text guards shared by the console and logs."""

from __future__ import annotations

import re

# C0/C1 controls (ESC drives terminals), bidi overrides/isolates and zero-width marks.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def printable(text: str) -> str:
    return _UNSAFE.sub("", text).replace("\n", " ").replace("\r", " ")
