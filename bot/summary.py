"""Summaries of a period's flagged stories: grouped, ranked, totalled (pure)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.alerts import format_amount
from bot.store.store import StoredStory
from bot.types import Amount

PERIODS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
GROUPS = ("partnership", "funding", "acquisition")


def parse_period(text: str) -> timedelta:
    period = PERIODS.get(text.lower())
    if period is None:
        raise ValueError(f"period {text!r} is not one of {', '.join(PERIODS)}")
    return period


@dataclass(frozen=True, slots=True)
class SummaryItem:
    story: StoredStory
    outlets: tuple[str, ...]
    score: float


@dataclass(frozen=True, slots=True)
class Summary:
    period: str
    since: datetime
    until: datetime
    groups: dict[str, list[SummaryItem]] = field(default_factory=dict)
    deals: int = 0
    raised: dict[str, float] = field(default_factory=dict)  # currency -> total
    top_orgs: list[tuple[str, int]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.deals == 0


def _score(s: StoredStory, outlets: int, watched: set[str]) -> float:
    m = s.match
    usd = 0.0
    if m is not None and m.amount is not None:
        from bot.query import usd_value

        usd = usd_value(m) or 0.0
    on_watchlist = 1.0 if m is not None and any(p.lower() in watched for p in m.parties) else 0.0
    # Outlets first (what the industry talks about), then money, then the watchlist.
    return outlets * 10.0 + min(usd / 1e8, 50.0) + on_watchlist * 5.0


def collapse_events(
    stories: Sequence[StoredStory],
) -> tuple[list[StoredStory], dict[int, tuple[str, ...]]]:
    """One story per event (its cluster's first), with every outlet that reported it.

    Summaries count events, not articles: twenty outlets on one deal is one deal
    that twenty outlets covered.
    """
    by_cluster: dict[int, list[StoredStory]] = defaultdict(list)
    for s in stories:
        by_cluster[s.cluster_id if s.cluster_id is not None else s.id].append(s)
    firsts: list[StoredStory] = []
    outlets: dict[int, tuple[str, ...]] = {}
    for members in by_cluster.values():
        members.sort(key=lambda m: (m.first_seen, m.id))
        first = members[0]
        firsts.append(first)
        outlets[first.id] = tuple(dict.fromkeys(m.story.source for m in members))
    firsts.sort(key=lambda m: (m.first_seen, m.id), reverse=True)
    return firsts, outlets


def build_summary(
    stories: Sequence[StoredStory],
    *,
    period: str,
    now: datetime,
    watched: set[str] | None = None,
    outlets: dict[int, tuple[str, ...]] | None = None,
    per_group: int = 5,
) -> Summary:
    watched = watched or set()
    since = now - parse_period(period)
    if outlets is None:
        stories, outlets = collapse_events(stories)
    groups: dict[str, list[SummaryItem]] = defaultdict(list)
    raised: dict[str, float] = defaultdict(float)
    orgs: Counter[str] = Counter()
    deals = 0
    for s in stories:
        m = s.match
        if m is None or s.first_seen < since:
            continue
        group = next((g for g in GROUPS if g in m.events), None)
        if group is None:
            continue
        deals += 1
        srcs = outlets.get(s.id, (s.story.source,))
        groups[group].append(SummaryItem(s, srcs, _score(s, len(srcs), watched)))
        if "funding" in m.events and m.amount is not None:
            raised[m.amount.currency] += m.amount.value
        orgs.update(dict.fromkeys(m.parties, 1))
    ranked = {
        g: sorted(items, key=lambda i: (-i.score, -i.story.first_seen.timestamp()))[:per_group]
        for g, items in groups.items()
    }
    return Summary(period, since, now, ranked, deals, dict(raised), orgs.most_common(5))


def render_summary_text(summary: Summary) -> str:
    """Plain text (each adapter escapes it for its platform)."""
    if summary.empty:
        return f"No partnerships, funding rounds or acquisitions flagged in the last {summary.period}."
    lines = [f"AI alliances, last {summary.period}: {summary.deals} deals"]
    if summary.raised:
        totals = ", ".join(
            format_amount(Amount(v, c)) or "" for c, v in sorted(summary.raised.items())
        )
        lines.append(f"Money raised: {totals}")
    if summary.top_orgs:
        lines.append("Most active: " + ", ".join(f"{o} ({n})" for o, n in summary.top_orgs))
    for group in GROUPS:
        items = summary.groups.get(group)
        if not items:
            continue
        lines.append("")
        lines.append(group.capitalize() + ("s" if not group.endswith("ing") else ""))
        for item in items:
            lines.append("• " + story_line(item.story, item.outlets))
    return "\n".join(lines)


def story_line(s: StoredStory, outlets: Sequence[str] = ()) -> str:
    m = s.match
    bits = [s.story.title]
    if m is not None:
        extra = [x for x in (format_amount(m.amount), m.round) if x]
        if extra:
            bits.append("(" + ", ".join(extra) + ")")
    if len(outlets) > 1:
        bits.append(f"[{len(outlets)} outlets]")
    if s.story.url:
        bits.append(s.story.url)
    return " ".join(bits)


def summary_json(summary: Summary) -> dict[str, object]:
    return {
        "period": summary.period,
        "since": summary.since.isoformat(),
        "until": summary.until.isoformat(),
        "deals": summary.deals,
        "raised": [{"currency": c, "value": v} for c, v in sorted(summary.raised.items())],
        "most_active": [{"name": n, "deals": k} for n, k in summary.top_orgs],
        "groups": {
            g: [
                {
                    "title": i.story.story.title,
                    "link": i.story.story.url,
                    "outlets": list(i.outlets),
                    "score": round(i.score, 2),
                    **(i.story.match.to_json() if i.story.match else {}),
                }
                for i in items
            ]
            for g, items in summary.groups.items()
        },
    }
