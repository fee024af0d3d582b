"""Pure deciders: backoff, Retry-After, pausing, 301 handling — with ``now`` passed in."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.errors import FetchError, ParseError
from bot.health import HealthPolicy, after_failure, after_success, is_due, resume_values
from bot.store.store import SourceState
from bot.types import FetchResult

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
POLICY = HealthPolicy(max_backoff_s=86400, pause_after_failures=5, jitter_fraction=0.0)
STATE = SourceState(
    id=1, name="s", url="https://a.example/feed", interval_s=600.0, enabled=True, origin="config",
    etag='"old"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT", failures=0, last_status=None,
    last_error=None, last_error_kind=None, last_polled_at=None, last_success_at=None,
    next_poll_at=None, paused=False, paused_reason=None, redirect_candidate=None,
)


def fail(state: SourceState, err: Exception) -> tuple[dict[str, object], bool]:
    d = after_failure(state, err, interval_s=600, now=NOW, policy=POLICY, rng=random.Random(1))  # type: ignore[arg-type]
    return d.update.values, d.paused_now


def test_success_resets_failures_and_schedules_next() -> None:
    v = after_success(replace(STATE, failures=4), FetchResult("u", 200, b"x", etag='"new"'), interval_s=600, now=NOW).values
    assert v["failures"] == 0 and v["next_poll_at"] == NOW + timedelta(seconds=600)
    assert v["etag"] == '"new"' and v["last_modified"] is None


def test_304_keeps_validators() -> None:
    v = after_success(STATE, FetchResult("u", 304, None), interval_s=600, now=NOW).values
    assert "etag" not in v and "last_modified" not in v


def test_exponential_backoff_capped() -> None:
    waits = []
    state = STATE
    big = HealthPolicy(max_backoff_s=3600, pause_after_failures=100, jitter_fraction=0.0)
    for _ in range(6):
        d = after_failure(state, FetchError("boom", status=500), interval_s=600, now=NOW, policy=big, rng=random.Random(0))
        waits.append((d.update.values["next_poll_at"] - NOW).total_seconds())  # type: ignore[operator]
        state = replace(state, failures=d.update.values["failures"])  # type: ignore[arg-type]
    assert waits == [600, 1200, 2400, 3600, 3600, 3600]


def test_429_never_counts_and_honours_retry_after() -> None:
    v, paused = fail(replace(STATE, failures=4), FetchError("slow down", status=429, retry_after_s=7200, kind="rate_limited"))
    assert "failures" not in v and not paused
    assert v["next_poll_at"] == NOW + timedelta(seconds=7200)
    # Retry-After shorter than our interval: we still wait our interval.
    v, _ = fail(STATE, FetchError("slow down", status=429, retry_after_s=5))
    assert v["next_poll_at"] == NOW + timedelta(seconds=600)
    # Absurd Retry-After is capped at a day.
    v, _ = fail(STATE, FetchError("slow down", status=429, retry_after_s=10**9))
    assert v["next_poll_at"] == NOW + timedelta(days=1)


def test_410_pauses_at_once_and_notifies_once() -> None:
    v, paused = fail(STATE, FetchError("gone", status=410, permanent=True, kind="gone"))
    assert v["paused"] is True and paused is True and "gone" in str(v["paused_reason"])
    _, again = fail(replace(STATE, paused=True), FetchError("gone", status=410, permanent=True))
    assert again is False


def test_pause_after_n_failures() -> None:
    v, paused = fail(replace(STATE, failures=3), ParseError("not a feed", kind="not_feed"))
    assert v["failures"] == 4 and not paused
    v, paused = fail(replace(STATE, failures=4), ParseError("not a feed", kind="not_feed"))
    assert v["paused"] is True and paused is True and "5 failures" in str(v["paused_reason"])


def test_503_retry_after_is_a_floor_on_backoff() -> None:
    v, _ = fail(STATE, FetchError("unavailable", status=503, retry_after_s=5000))
    assert v["next_poll_at"] == NOW + timedelta(seconds=5000)


def test_permanent_redirect_applies_after_two_polls() -> None:
    r = FetchResult("https://b.example/feed", 200, b"x", permanent_redirect="https://b.example/feed")
    v1 = after_success(STATE, r, interval_s=600, now=NOW).values
    assert v1["redirect_candidate"] == "https://b.example/feed" and "url" not in v1
    v2 = after_success(replace(STATE, redirect_candidate="https://b.example/feed"), r, interval_s=600, now=NOW).values
    assert v2["url"] == "https://b.example/feed" and v2["redirect_candidate"] is None
    # A redirect that goes away resets the candidate.
    v3 = after_success(replace(STATE, redirect_candidate="https://b.example/feed"), FetchResult("u", 200, b"x"), interval_s=600, now=NOW).values
    assert v3["redirect_candidate"] is None and "url" not in v3


def test_is_due_and_resume() -> None:
    assert is_due(STATE, NOW)
    assert not is_due(replace(STATE, next_poll_at=NOW + timedelta(seconds=1)), NOW)
    assert not is_due(replace(STATE, paused=True), NOW)
    assert resume_values().values["paused"] is False
