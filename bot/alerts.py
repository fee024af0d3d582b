"""Turn a stored story and its match into the platform-neutral AlertMessage."""

from __future__ import annotations

from adapters.base import AlertMessage
from bot.store.store import StoredStory
from bot.types import Amount, Match, Story

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CNY": "CN¥"}


def format_amount(amount: Amount | None) -> str | None:
    """'$111M', '€1.2B', '₹5B', 'CHF 40M': short and unambiguous."""
    if amount is None:
        return None
    v = amount.value
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):  # noqa: B007 - used after
        if v >= size:
            num = f"{v / size:.2f}".rstrip("0").rstrip(".")
            break
    else:
        num, suffix = f"{v:,.0f}", ""
    symbol = _SYMBOLS.get(amount.currency)
    return f"{symbol}{num}{suffix}" if symbol else f"{amount.currency} {num}{suffix}"


def alert_message(
    story: Story, match: Match | None, also_reported_by: tuple[str, ...] = ()
) -> AlertMessage:
    return AlertMessage(
        title=story.title,
        url=story.url,
        events=match.events if match else (),
        parties=match.parties if match else (),
        amount=format_amount(match.amount) if match else None,
        round=match.round if match else None,
        evidence=tuple(dict.fromkeys(e.quote for e in match.evidence))[:5] if match else (),
        source=story.source,
        also_reported_by=also_reported_by,
        published=story.published,
        summary=story.summary,
    )


def to_alert(stored: StoredStory, also_reported_by: tuple[str, ...] = ()) -> AlertMessage:
    return alert_message(stored.story, stored.match, also_reported_by)
