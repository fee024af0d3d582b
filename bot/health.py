"""Pure deciders for a source's schedule and health after each poll.

No I/O and no clock: ``now`` and the random source are passed in, so every
rule (backoff, Retry-After, pausing, 301 handling) is tested without waiting.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.errors import AllianceError, FetchError
from bot.store.store import SourceState, SourceUpdate
from bot.types import FetchResult

MAX_RETRY_AFTER_S = 86400.0  # a server may not park us for more than a day
MIN_RETRY_S = 60.0


@dataclass(frozen=True, slots=True)
class HealthPolicy:
    max_backoff_s: float = 86400.0
    pause_after_failures: int = 10
    jitter_fraction: float = 0.1  # +-10 % so sources on one host don't retry in lockstep


@dataclass(frozen=True, slots=True)
class FailureDecision:
    update: SourceUpdate
    paused_now: bool  # the source was just paused: tell the admin channel, once
    reason: str


def after_success(
    state: SourceState, result: FetchResult, *, interval_s: float, now: datetime
) -> SourceUpdate:
    values: dict[str, object] = {
        "failures": 0,
        "last_status": result.status,
        "last_error": None,
        "last_error_kind": None,
        "last_polled_at": now,
        "last_success_at": now,
        "next_poll_at": now + timedelta(seconds=interval_s),
    }
    if not result.not_modified:
        # A 200 without validators clears the old ones: sending a stale ETag
        # to a server that stopped using them can pin us to an old 304.
        values["etag"] = result.etag
        values["last_modified"] = result.last_modified
    else:
        if result.etag:
            values["etag"] = result.etag
        if result.last_modified:
            values["last_modified"] = result.last_modified
    values.update(_redirect_values(state, result.permanent_redirect))
    return SourceUpdate(values)


def _redirect_values(state: SourceState, target: str | None) -> dict[str, object]:
    """A 301/308 moves the stored URL only when it holds over two polls.

    One permanent redirect can be a misconfiguration that the publisher fixes
    an hour later; following it blindly would lose the feed.
    """
    if not target or target == state.url:
        return {"redirect_candidate": None}
    if state.redirect_candidate == target:
        return {"url": target, "redirect_candidate": None, "etag": None, "last_modified": None}
    return {"redirect_candidate": target}


def after_failure(
    state: SourceState,
    error: AllianceError,
    *,
    interval_s: float,
    now: datetime,
    policy: HealthPolicy,
    rng: random.Random,
) -> FailureDecision:
    status = error.status if isinstance(error, FetchError) else None
    kind = getattr(error, "kind", "error")
    retry_after = error.retry_after_s if isinstance(error, FetchError) else None
    message = str(error)[:500]
    base: dict[str, object] = {
        "last_status": status,
        "last_error": message,
        "last_error_kind": kind,
        "last_polled_at": now,
    }
    if status == 429:
        # Being rate limited says nothing about the feed's health: never
        # count it towards pausing, just wait as long as the server asks.
        wait = _clamp(retry_after if retry_after is not None else interval_s, interval_s)
        base["next_poll_at"] = now + timedelta(seconds=wait)
        return FailureDecision(SourceUpdate(base), False, message)

    failures = state.failures + 1
    base["failures"] = failures
    permanent = isinstance(error, FetchError) and error.permanent
    if permanent or failures >= policy.pause_after_failures:
        reason = (
            f"{message} (the server says the feed is gone)"
            if status == 410
            else message
            if permanent
            else f"{failures} failures in a row; last: {message}"
        )
        base.update(
            paused=True,
            paused_reason=reason[:500],
            next_poll_at=None,
        )
        return FailureDecision(SourceUpdate(base), not state.paused, reason)

    backoff = min(interval_s * (2 ** (failures - 1)), policy.max_backoff_s)
    backoff *= 1 + rng.uniform(-policy.jitter_fraction, policy.jitter_fraction)
    if retry_after is not None:  # 503 with Retry-After: the server knows best
        backoff = max(backoff, _clamp(retry_after, MIN_RETRY_S))
    base["next_poll_at"] = now + timedelta(seconds=max(backoff, MIN_RETRY_S))
    return FailureDecision(SourceUpdate(base), False, message)


def resume_values() -> SourceUpdate:
    return SourceUpdate(
        {"paused": False, "paused_reason": None, "failures": 0, "next_poll_at": None}
    )


def is_due(state: SourceState, now: datetime) -> bool:
    if not state.enabled or state.paused:
        return False
    return state.next_poll_at is None or state.next_poll_at <= now


def _clamp(seconds: float, floor: float) -> float:
    return min(max(seconds, floor, 0.0), MAX_RETRY_AFTER_S)
