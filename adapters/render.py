"""Platform-neutral text helpers shared by the chat adapters.

Nothing here imports a chat SDK: escaping rules that belong to one platform
(Discord markdown, Slack's three entities) are passed in as functions, so the
truncation logic is written and tested once.

The rule every adapter follows for untrusted feed text is *clean, truncate,
then escape, measuring the escaped length against the limit*: escaping after
the cut means an entity such as ``&amp;`` or an escape such as ``\\*`` can never be
split, and measuring after escaping means the platform never sees more
characters than it allows.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit

ELLIPSIS = "…"

# Summaries and digests may carry the alliance map; every adapter sends it under this name.
MAP_FILENAME = "alliance-map.png"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# Event type -> (label, emoji).  Unknown event types fall back to a neutral label.
EVENT_STYLES: dict[str, tuple[str, str]] = {
    "partnership": ("Partnership", "🤝"),
    "funding": ("Funding", "💰"),
    "acquisition": ("Acquisition", "🏢"),
}

# C0/C1 controls (except tab/newline) and bidi *embedding/override/isolate*
# controls.  Feed titles with U+202E can visually reverse the rest of a
# message ("Trojan Source" style spoofing); plain right-to-left letters are kept.
_BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f" + _BIDI_CONTROLS + "]")
_SPACES_RE = re.compile(r"[ \t\r\n\u2028\u2029]+")


def clean(text: str | None, *, single_line: bool = False, keep_blank_lines: bool = False) -> str:
    """Normalise untrusted text: NFC, no control or bidi-override characters.

    ``single_line`` collapses all whitespace (titles, field values), otherwise
    only runs of spaces are collapsed and newlines survive.  Blank lines are
    dropped unless ``keep_blank_lines`` (summaries separate their groups with
    one), which keeps single blank lines between text.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFC", str(text))
    text = _CONTROL_RE.sub("", text)
    if single_line:
        return _SPACES_RE.sub(" ", text).strip()
    lines = [re.sub(r"[ \t\u2028\u2029]+", " ", line).strip() for line in text.splitlines()]
    if not keep_blank_lines:
        return "\n".join(line for line in lines if line)
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    while kept and not kept[-1]:
        kept.pop()
    return "\n".join(kept)


def _identity(text: str) -> str:
    return text


def fit(
    text: str,
    limit: int,
    escape: Callable[[str], str] = _identity,
    *,
    ellipsis: str = ELLIPSIS,
) -> str:
    """Return ``escape(prefix) + ellipsis`` (or ``escape(text)``), never longer than ``limit``.

    The cut is on a code-point boundary of the *raw* text, so an escape sequence
    produced by ``escape`` is never split.  Escaped length grows monotonically
    with the prefix length for the escapers we use, so a binary search finds
    the longest prefix that fits; a final linear step guards the rare
    context-dependent escaper.
    """
    if limit <= 0:
        return ""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    budget = limit - len(ellipsis)
    if budget <= 0:
        return ellipsis[:limit]
    lo, hi = 0, len(text)
    while lo < hi:  # largest n with len(escape(text[:n].rstrip())) <= budget
        mid = (lo + hi + 1) // 2
        if len(escape(text[:mid].rstrip())) <= budget:
            lo = mid
        else:
            hi = mid - 1
    n = lo
    # Avoid leaving a dangling combining mark / variation selector / ZWJ at the end,
    # which would attach to the ellipsis and render oddly.
    while n > 0 and (unicodedata.combining(text[n - 1]) or text[n - 1] in "\u200d\ufe0f"):
        n -= 1
    out = escape(text[:n].rstrip())
    while n > 0 and len(out) + len(ellipsis) > limit:
        n -= 1
        out = escape(text[:n].rstrip())
    return out + ellipsis


def _longest_prefix(text: str, limit: int, escape: Callable[[str], str]) -> int:
    """Length of the longest raw prefix whose escaped form fits in ``limit`` (at least 1 if possible)."""
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(escape(text[:mid])) <= limit:
            lo = mid
        else:
            hi = mid - 1
    n = lo
    while n > 0 and len(escape(text[:n])) > limit:  # context-dependent escapers
        n -= 1
    # Do not strand a combining mark / ZWJ / variation selector at the start of the next piece.
    while 1 < n < len(text) and (unicodedata.combining(text[n]) or text[n] in "\u200d\ufe0f"):
        n -= 1
    return n


def split_fit(
    text: str,
    limit: int,
    escape: Callable[[str], str] = _identity,
    *,
    max_chunks: int | None = None,
    ellipsis: str = ELLIPSIS,
) -> list[str]:
    """Split multi-line ``text`` into escaped chunks of at most ``limit`` characters each.

    Chunks break on line boundaries; a single line longer than ``limit`` is cut
    on code-point boundaries of the raw text (so no escape is split).  With
    ``max_chunks``, text beyond the last chunk is dropped and that chunk ends
    with ``ellipsis``.  ``text`` should already be ``clean``-ed.
    """
    if limit <= 0 or not text:
        return []
    # Break every line into pieces that fit on their own.
    pieces: list[str] = []
    for line in text.split("\n"):
        while len(escape(line)) > limit:
            n = _longest_prefix(line, limit, escape)
            if n <= 0:  # one code point escapes to more than the limit: drop it
                n = 1
            else:
                pieces.append(line[:n])
            line = line[n:]
        pieces.append(line)
    # Pack pieces greedily; lengths add up because the escapers work per line.
    chunks: list[str] = []
    current: list[str] = []
    used = 0
    for piece in pieces:
        size = len(escape(piece))
        if current and used + 1 + size > limit:
            chunks.append("\n".join(current))
            current, used = [piece], size
        else:
            used = used + 1 + size if current else size
            current.append(piece)
    if current:
        chunks.append("\n".join(current))
    chunks = [c.strip("\n") for c in chunks]
    chunks = [c for c in chunks if c.strip()]
    if max_chunks is not None and len(chunks) > max_chunks:
        if max_chunks <= 0:
            return []
        kept = chunks[:max_chunks]
        # Re-fit the last kept chunk together with (the start of) what follows, so the
        # cut is visible as an ellipsis; escaping never shrinks text, so limit + 1 raw
        # characters of the rest are enough to force the cut.
        rest = "\n".join(chunks[max_chunks:])[: limit + 1]
        last = fit(kept[-1] + "\n" + rest, limit, escape, ellipsis=ellipsis)
        return [fit(c, limit, escape) for c in kept[:-1]] + [last]
    # fit() is a no-op when the chunk fits, and a guard for a context-dependent escaper.
    return [fit(c, limit, escape) for c in chunks]


def is_png(data: bytes | None) -> bool:
    return data is not None and bytes(data[:8]) == PNG_MAGIC


def join_fit(
    items: Iterable[str],
    limit: int,
    escape: Callable[[str], str] = _identity,
    *,
    sep: str = ", ",
) -> str:
    """Join escaped items within ``limit``; say how many were left out (", +3 more")."""
    cleaned = [c for c in (clean(i, single_line=True) for i in items) if c]
    kept: list[str] = []
    for index, item in enumerate(cleaned):
        piece = escape(item)
        remaining = len(cleaned) - index - 1
        tail = f"{sep}+{remaining} more" if remaining else ""
        if len(sep.join([*kept, piece])) + len(tail) <= limit:
            kept.append(piece)
            continue
        if not kept:  # not even the first item fits whole: shorten it
            return fit(item, max(limit - len(tail), 0), escape) + tail
        while kept:
            tail = f"{sep}+{len(cleaned) - len(kept)} more"
            if len(sep.join(kept)) + len(tail) <= limit:
                return sep.join(kept) + tail
            kept.pop()
        return fit(f"{len(cleaned)} items", limit)
    return sep.join(kept)


def safe_url(url: str | None, *, max_len: int) -> str | None:
    """The story URL if it is an absolute http(s) URL short enough to send, else None.

    Links are the one feed value we cannot escape (platforms do not decode
    entities in link targets), so anything odd is dropped instead.
    """
    if not url:
        return None
    url = url.strip()
    if len(url) > max_len or any(c in url for c in ' <>|"\\\x00\n\r\t'):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def event_style(events: Iterable[str]) -> tuple[str, str, str]:
    """(key, label, emoji) of the first known event type; the neutral style otherwise."""
    for event in events:
        key = event.strip().lower()
        if key in EVENT_STYLES:
            label, emoji = EVENT_STYLES[key]
            return key, label, emoji
    return "news", "AI deal", "📰"


def format_time(when: datetime | None) -> str:
    """UTC timestamp for footers; naive datetimes are taken as UTC."""
    if when is None:
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def slack_escape(text: str) -> str:
    """Slack's only escaping rule: ``&``, ``<`` and ``>`` become entities (``&`` first)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
