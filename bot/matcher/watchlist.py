"""The watchlist: organisations the matcher knows by name, with aliases and a kind.

A ``Watchlist`` is an immutable value: admins extend it from chat by building a new
one (``with_entry`` / ``without``) and handing it to a new ``Matcher``; nothing is
shared through module globals.  Aliases match case-sensitively on whole words so
"Meta" the company is not "meta" the prefix and "Scale AI" is not "at scale".
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NamedTuple

from bot.errors import ConfigError
from bot.matcher.tokens import trie_pattern

Kind = Literal["lab", "startup", "company", "investor"]
KINDS: tuple[Kind, ...] = ("lab", "startup", "company", "investor")
# Kinds whose mere mention makes a story about AI (AI labs and AI-first companies).
AI_FIRST: frozenset[str] = frozenset({"lab", "startup"})

# Characters that may continue a name token; a match must not be glued to them.
_WORD = r"A-Za-z0-9_"


@dataclass(frozen=True, slots=True)
class WatchEntry:
    name: str
    aliases: tuple[str, ...] = ()
    kind: Kind = "company"

    @property
    def ai_first(self) -> bool:
        return self.kind in AI_FIRST

    def spellings(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


class WatchHit(NamedTuple):
    """One watchlist mention found in a text (offsets into that text; a tuple: cheap to build)."""

    start: int
    end: int
    entry: WatchEntry


@dataclass(frozen=True)
class Watchlist:
    entries: tuple[WatchEntry, ...] = ()
    # Derived lookup structures, built once per (immutable) instance.
    _by_spelling: dict[str, WatchEntry] = field(init=False, repr=False, compare=False)
    _by_folded: dict[str, WatchEntry] = field(init=False, repr=False, compare=False)
    _regex: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_spelling: dict[str, WatchEntry] = {}
        by_folded: dict[str, WatchEntry] = {}
        for entry in self.entries:
            for s in entry.spellings():
                if not s.strip():
                    continue  # a blank spelling would "match" the empty string everywhere
                by_spelling.setdefault(s, entry)
                by_folded.setdefault(_fold(s), entry)
        object.__setattr__(self, "_by_spelling", by_spelling)
        object.__setattr__(self, "_by_folded", by_folded)
        object.__setattr__(self, "_regex", _compile(by_spelling))

    # -- queries ---------------------------------------------------------------
    def names(self) -> tuple[str, ...]:
        return tuple(e.name for e in self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.lookup(name) is not None

    def lookup(self, text: str) -> WatchEntry | None:
        """The entry whose name or alias equals ``text`` (exact case first, then folded)."""
        text = text.strip()
        hit = self._by_spelling.get(text)
        if hit is None:
            hit = self._by_folded.get(_fold(text))
        return hit

    def resolve(self, text: str) -> str | None:
        """Canonical name for a spelling of a watched organisation, else None."""
        entry = self.lookup(text)
        return entry.name if entry else None

    def canonical(self, text: str) -> str:
        """Canonical name when watched, else ``text`` itself (for unknown organisations)."""
        entry = self.lookup(text)
        return entry.name if entry else text

    def find_all(self, text: str) -> list[WatchHit]:
        """Every whole-word, case-sensitive mention of a watched spelling, left to right."""
        if self._regex is None:
            return []
        by_spelling = self._by_spelling
        return [WatchHit(*m.span(), by_spelling[m.group()]) for m in self._regex.finditer(text)]

    # -- updates (return new values) ---------------------------------------------
    def with_entry(
        self, name: str, aliases: Iterable[str] = (), kind: Kind = "company"
    ) -> Watchlist:
        """A copy with ``name`` added (or replaced, when already present)."""
        name = name.strip()
        if not name:
            raise ValueError("watchlist name must not be empty")
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
        entry = WatchEntry(name, tuple(a.strip() for a in aliases if a.strip()), kind)
        kept = tuple(e for e in self.entries if e.name != name)
        return Watchlist(kept + (entry,))

    def without(self, name: str) -> Watchlist:
        """A copy without the entry ``name`` refers to (by name or alias)."""
        entry = self.lookup(name)
        if entry is None:
            return self
        return Watchlist(tuple(e for e in self.entries if e is not entry))


def _fold(s: str) -> str:
    return " ".join(s.casefold().replace("\u2019", "'").split())


def _compile(by_spelling: dict[str, WatchEntry]) -> re.Pattern[str] | None:
    if not by_spelling:
        return None
    # A character trie turned into a regex: at each position the engine follows one
    # branch instead of trying hundreds of alternatives (an order of magnitude faster).
    # Longer spellings win because every branch tries its continuation before ending.
    words = list(by_spelling)
    if all(_STARTS_WORD.match(w) for w in words):
        # Same pattern with the leading "\b" moved behind each first character as
        # "(?<!\w.)" (equivalent when every spelling starts with a word character): the
        # pattern then begins with a set of literal characters, and the engine skips to
        # the next one in C instead of trying the trie at every offset.
        body = trie_pattern(words, after_first=r"(?<!\w.)")
        return re.compile(rf"(?:{body})(?![{_WORD}]|[.&]\w)")
    return re.compile(rf"\b(?:{trie_pattern(words)})(?![{_WORD}]|[.&]\w)")


_STARTS_WORD = re.compile(r"\w")


def load_watchlist(path: str | Path) -> Watchlist:
    """Read a watchlist TOML file (``[[org]]`` tables with name, aliases, kind)."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([(str(p), "watchlist file not found")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([(str(p), f"invalid TOML: {exc}")]) from None
    return parse_watchlist(data, source=str(p))


def parse_watchlist(data: dict[str, object], *, source: str = "watchlist") -> Watchlist:
    orgs = data.get("org", [])
    errors: list[tuple[str, str]] = []
    entries: list[WatchEntry] = []
    if not isinstance(orgs, list):
        raise ConfigError([(f"{source}: org", "must be an array of tables ([[org]])")])
    for i, raw in enumerate(orgs):
        key = f"{source}: org[{i}]"
        if not isinstance(raw, dict):
            errors.append((key, "must be a table"))
            continue
        name = raw.get("name")
        aliases = raw.get("aliases", [])
        kind = raw.get("kind", "company")
        if not isinstance(name, str) or not name.strip():
            errors.append((key, "name must be a non-empty string"))
            continue
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            errors.append((key, "aliases must be a list of strings"))
            continue
        if any(not a.strip() for a in aliases):
            # An empty alias can only be a typo (and would match the empty string everywhere).
            errors.append((key, "aliases must not be empty strings"))
            continue
        if kind not in KINDS:
            errors.append((key, f"kind must be one of {', '.join(KINDS)}"))
            continue
        entries.append(WatchEntry(name.strip(), tuple(a.strip() for a in aliases), kind))
    if errors:
        raise ConfigError(errors)
    return Watchlist(tuple(entries))


def default_watchlist_path() -> Path:
    """``config/watchlist.toml`` of the repository this package lives in."""
    return Path(__file__).resolve().parents[2] / "config" / "watchlist.toml"
