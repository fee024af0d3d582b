"""Feed autodiscovery: the feed an HTML page advertises with <link rel="alternate">.

Used once, when a user adds a page instead of a feed. The discovered URL is
fetched through the same guarded fetcher as everything else, so a page cannot
point the bot at a private address.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
    "text/xml",
    "application/xml",
)
MAX_SCAN_BYTES = 512 * 1024  # <link> tags live in <head>; never scan a whole huge page


class _LinkFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "link":
            return
        a = {k.lower(): (v or "") for k, v in attrs}
        rels = a.get("rel", "").lower().split()
        kind = a.get("type", "").lower().split(";")[0].strip()
        if "alternate" in rels and kind in FEED_TYPES and a.get("href"):
            self.found.append((FEED_TYPES.index(kind), a["href"].strip()))


def discover_feed_url(body: bytes, *, base: str) -> str | None:
    """The best advertised feed URL (RSS, then Atom, then JSON Feed), or None."""
    text = body[:MAX_SCAN_BYTES].decode("utf-8", errors="replace")
    finder = _LinkFinder()
    try:
        finder.feed(text)
        finder.close()
    except Exception:  # malformed HTML is the norm; take what was found so far
        pass
    for _, href in sorted(finder.found, key=lambda pair: pair[0]):
        url = urljoin(base, href)
        if urlsplit(url).scheme in ("http", "https") and len(url) <= 2048:
            return url
    return None
