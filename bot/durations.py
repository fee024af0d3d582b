"""Human durations ("10m", "1h30m", "45s", "2d") for config values and commands."""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)", re.IGNORECASE)
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}


def parse_duration(value: str | int | float) -> float:
    """Seconds in ``value``; a bare number means seconds. Raises ValueError with a reason."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as '10m', not a boolean")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    text = value.strip().lower().replace(" ", "")
    if not text:
        raise ValueError("empty duration; use e.g. '30s', '10m', '1h'")
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    pos = 0
    total = 0.0
    for m in _PART.finditer(text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNIT_S[m.group(2).lower()]
        pos = m.end()
    if pos != len(text) or pos == 0:
        raise ValueError(f"{value!r} is not a duration; use e.g. '30s', '10m', '1h30m', '2d'")
    return total


def format_duration(seconds: float) -> str:
    """Short form for humans: 90 -> '1m30s', 3600 -> '1h'."""
    s = int(round(seconds))
    if s <= 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        n, s = divmod(s, size)
        if n:
            parts.append(f"{n}{unit}")
    return "".join(parts)
