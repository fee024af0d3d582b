"""Same-event clustering rules, on sentences written for these tests (no corpus text)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.cluster import (
    Cluster,
    Clusterer,
    TokenStats,
    amounts_in,
    assign,
    cluster_stories,
    pair_score,
    same_event,
    signature,
    stage_of,
    tokens,
    veto,
)
from bot.cluster_cli import run_cluster
from bot.types import Amount, Match, Story

T0 = datetime(2031, 3, 10, 9, 0, tzinfo=UTC)

# A background of unrelated stories, so that word rarity behaves as in a real feed.
BACKGROUND = [
    "Quantum startup Borealis opens a lab in Lisbon",
    "Chipmaker Veltra reports record quarterly revenue",
    "Regulators publish draft rules for autonomous delivery robots",
    "Streaming service Lumio raises subscription prices in Europe",
    "Open-source database Pebble reaches version 3",
    "Drone maker Skylark recalls a battery pack",
    "Payments company Tilde expands to Brazil",
    "Battery firm Ionix signs supply deal with carmaker Ardent",
    "Cloud provider Nimbus cuts prices for GPU instances",
    "Robotics company Halden unveils warehouse arm",
]


def story(title: str, summary: str = "", *, at: datetime = T0, source: str = "outlet-a",
          url: str = "", sid: str | None = None) -> Story:
    sid = sid or title[:24]
    return Story(source=source, key=sid, url=url, title=title, summary=summary, published=at, id=sid)


def sig(title: str, summary: str = "", match: Match | None = None, **kw):  # type: ignore[no-untyped-def]
    return signature(story(title, summary, **kw), match)


def stats_for(*sigs):  # type: ignore[no-untyped-def]
    return TokenStats.of([*sigs, *(sig(t) for t in BACKGROUND)])


def deal(*parties: str, kind: str = "partnership", amount: float | None = None,
         rnd: str | None = None) -> Match:
    return Match(ai=True, events=(kind,), parties=parties,  # type: ignore[arg-type]
                 amount=Amount(amount, "USD") if amount else None, round=rnd)


# ------------------------------------------------------------------ normalisation
def test_tokens_fold_unicode_drop_stopwords_and_outlet_boilerplate() -> None:
    toks = tokens("Ｚephyr’s new deal | TechCrunch")
    assert "zephyr" in toks and "deal" in toks
    assert "techcrunch" not in toks and "new" not in toks


def test_model_versions_stay_whole_tokens() -> None:
    assert "orca-4.1" in tokens("Orca-4.1 is out") and "orca-4" not in tokens("Orca-4.1 is out")


def test_amounts_in_text() -> None:
    assert amounts_in("raises $1.5B, valued at $12 billion") == {1.5e9, 12e9}
    assert amounts_in("€40M seed") == {40e6}


@pytest.mark.parametrize(
    ("title", "stage"),
    [
        ("Zephyr in talks to buy Quillby", "talks"),
        ("Zephyr nears deal for Quillby", "talks"),
        ("Zephyr agrees to acquire Quillby", "agreed"),
        ("Zephyr Assist gets a dark mode", None),
        ("Regulators approve Zephyr's Quillby purchase", "regulatory"),
        ("Zephyr completes its Quillby acquisition", "closed"),
        ("Zephyr and Quillby sign memorandum of understanding", "memorandum"),
        ("Zephyr and Quillby sign definitive agreement", "definitive"),
        ("Zephyr Assist enters public beta", "pilot"),
        ("Zephyr Assist is now generally available", "general"),
    ],
)
def test_stage_vocabulary(title: str, stage: str | None) -> None:
    assert stage_of(title) == stage


# ------------------------------------------------------------------ rule families
def test_same_event_cross_outlet() -> None:
    a = sig("Zephyr Robotics partners with Quillby to build warehouse copilots",
            match=deal("Zephyr Robotics", "Quillby"), source="outlet-a")
    b = sig("Quillby and Zephyr Robotics team up on AI copilots for warehouses",
            match=deal("Quillby", "Zephyr Robotics"), at=T0 + timedelta(hours=5), source="outlet-b")
    assert same_event(a, b, stats_for(a, b))


def test_retitled_copy_same_outlet() -> None:
    a = sig("Marlowe AI raises $42M to automate insurance claims",
            match=deal("Marlowe AI", kind="funding", amount=42e6))
    b = sig("Marlowe AI raises $42M to automate insurance claims processing",
            match=deal("Marlowe AI", kind="funding", amount=42e6), at=T0 + timedelta(hours=20))
    assert same_event(a, b, stats_for(a, b))


def test_exact_copy_always_joins() -> None:
    a = sig("Kestrel buys Pipit", url="https://example.test/kestrel-pipit")
    b = sig("Kestrel buys Pipit", url="https://example.test/kestrel-pipit", at=T0 + timedelta(hours=2))
    assert pair_score(a, b) == 1.0


def test_new_stage_is_new_event() -> None:
    talks = sig("Kestrel in talks to acquire Pipit for $900M",
                match=deal("Kestrel", "Pipit", kind="acquisition", amount=900e6))
    signed = sig("Kestrel to acquire Pipit for $900M",
                 match=deal("Kestrel", "Pipit", kind="acquisition", amount=900e6),
                 at=T0 + timedelta(days=1))
    closed = sig("Kestrel completes its Pipit acquisition",
                 match=deal("Kestrel", "Pipit", kind="acquisition"), at=T0 + timedelta(days=2))
    stats = stats_for(talks, signed, closed)
    assert veto(talks, signed) == "stage" and not same_event(talks, signed, stats)
    assert veto(signed, closed) == "stage" and not same_event(signed, closed, stats)


def test_parallel_announcements_differ() -> None:
    a = sig("Vantor and Orchid Labs announce chip partnership",
            match=deal("Vantor", "Orchid Labs"))
    b = sig("Brightline and Orchid Labs announce chip partnership",
            match=deal("Brightline", "Orchid Labs"), at=T0 + timedelta(days=1))
    assert veto(a, b) == "parallel"
    assert not same_event(a, b, stats_for(a, b))


def test_different_amounts_differ() -> None:
    a = sig("Marlowe AI raises $42M Series B", match=deal("Marlowe AI", kind="funding", amount=42e6,
                                                           rnd="series b"))
    b = sig("Marlowe AI raises $90M Series B", match=deal("Marlowe AI", kind="funding", amount=90e6,
                                                           rnd="series b"), at=T0 + timedelta(hours=3))
    assert veto(a, b) == "amount"


def test_conflicting_rounds_differ() -> None:
    a = sig("Marlowe AI closes Series B", match=deal("Marlowe AI", kind="funding", rnd="series b"))
    b = sig("Marlowe AI lands Series C", match=deal("Marlowe AI", kind="funding", rnd="series c"))
    assert veto(a, b) == "round"


def test_amounts_within_one_percent_agree() -> None:
    a = sig("Marlowe AI raises $42M", match=deal("Marlowe AI", kind="funding", amount=42.0e6))
    b = sig("Marlowe AI raises $42.2M", match=deal("Marlowe AI", kind="funding", amount=42.2e6))
    assert veto(a, b) is None


def test_time_window() -> None:
    a = sig("Zephyr Robotics partners with Quillby on warehouse copilots",
            match=deal("Zephyr Robotics", "Quillby"))
    later = sig("Zephyr Robotics partners with Quillby on warehouse copilots",
                match=deal("Zephyr Robotics", "Quillby"), at=T0 + timedelta(days=9))
    assert veto(a, later) == "time"
    # The same amount and parties stretch the window: a late explainer still joins.
    c = sig("Kestrel buys Pipit for $900M", match=deal("Kestrel", "Pipit", kind="acquisition", amount=9e8))
    d = sig("What Kestrel's $900M Pipit deal means", at=T0 + timedelta(days=6),
            match=deal("Kestrel", "Pipit", kind="acquisition", amount=9e8))
    assert veto(c, d) is None


def test_unrelated_same_day_stories_stay_apart() -> None:
    a = sig("Zephyr Robotics partners with Quillby on warehouse copilots")
    b = sig("Marlowe AI raises $42M to automate insurance claims", at=T0 + timedelta(hours=1))
    assert not same_event(a, b, stats_for(a, b))


# ------------------------------------------------------------------ assign / batch
def test_assign_picks_the_matching_cluster_or_none() -> None:
    z1 = sig("Zephyr Robotics partners with Quillby on warehouse copilots", sid="z1")
    m1 = sig("Marlowe AI raises $42M to automate insurance claims", sid="m1")
    stats = stats_for(z1, m1)
    clusters = [Cluster("z1", [z1]), Cluster("m1", [m1])]
    z2 = sig("Quillby, Zephyr Robotics team up on warehouse copilots", at=T0 + timedelta(hours=2), sid="z2")
    assert assign(z2, clusters, stats) == "z1"
    other = sig("Pebble database hits version 4", at=T0 + timedelta(hours=2), sid="p1")
    assert assign(other, clusters, stats) is None


def test_cluster_stories_batch_is_order_independent_and_ids_stable() -> None:
    rows = [
        ("a", story("Zephyr Robotics partners with Quillby on warehouse copilots", at=T0, sid="a"), None),
        ("b", story("Quillby and Zephyr Robotics team up on warehouse copilots",
                    at=T0 + timedelta(hours=3), source="outlet-b", sid="b"), None),
        ("c", story("Marlowe AI raises $42M to automate insurance claims",
                    at=T0 + timedelta(hours=1), sid="c"), None),
        *((f"bg{i}", story(t, at=T0 - timedelta(days=20), sid=f"bg{i}"), None)
          for i, t in enumerate(BACKGROUND)),
    ]
    out = cluster_stories(rows)
    assert out["a"] == out["b"] == "a"  # the earliest story names the cluster
    assert out["c"] == "c"
    assert cluster_stories(list(reversed(rows))) == out


def test_clusterer_indexes_candidates_and_forgets_old_clusters() -> None:
    cl = Clusterer()
    for i, t in enumerate(BACKGROUND):
        cl.add(sig(t, at=T0 - timedelta(days=30), sid=f"bg{i}"))
    first = cl.add(sig("Zephyr Robotics partners with Quillby on warehouse copilots", sid="z1"))
    assert all(c.id != "bg0" for c in cl.clusters.values())  # expired
    z2 = sig("Quillby, Zephyr Robotics team up on warehouse copilots", at=T0 + timedelta(hours=1), sid="z2")
    assert [c.id for c in cl.candidates(z2)] == ["z1"]
    assert cl.add(z2) == first == "z1"


# ------------------------------------------------------------------ CLI
class _Matcher:
    def classify(self, story: Story) -> Match:
        return Match(ai=True)


def _line(**obj: object) -> str:
    return json.dumps(obj) + "\n"


def test_cli_clusters_lines_and_reports_bad_ones() -> None:
    text = (
        _line(id="a", title="Zephyr Robotics partners with Quillby on warehouse copilots",
              summary="", link="https://one.test/zephyr-quillby", published="2031-03-10T09:00:00Z",
              source="one")
        + "{not json\n"
        + _line(id="b", title="Quillby and Zephyr Robotics team up on warehouse copilots",
                published="2031-03-10", source="two")
        + _line(id="c", title="no date")
        + "[1, 2]\n"
        + _line(id="d", title="Marlowe AI raises $42M to automate insurance claims",
                published="2031-03-10T11:00:00+00:00")
        + _line(id="a", title="dup", published="2031-03-10")
        + _line(id="e", title="x", published="yesterday")
    )
    out, err = io.StringIO(), io.StringIO()
    code = run_cluster(io.StringIO(text), out, matcher=_Matcher(), err_stream=err)
    assert code == 1
    rows = [json.loads(x) for x in out.getvalue().splitlines()]
    assert [r["id"] for r in rows] == ["a", "b", "d"]
    got = {r["id"]: r["cluster"] for r in rows}
    assert got["a"] == got["b"] and got["d"] == "d"
    msgs = err.getvalue().splitlines()
    assert msgs[0].startswith("line 2: invalid JSON")
    assert msgs[1] == "line 4: missing field(s): published"
    assert msgs[2] == "line 5: expected a JSON object"
    assert msgs[3] == "line 7: duplicate id 'a'"
    assert msgs[4].startswith("line 8: field 'published' is not an ISO 8601 date")


def test_cli_all_good_exits_zero() -> None:
    out = io.StringIO()
    code = run_cluster(io.StringIO(_line(id=1, title="Kestrel buys Pipit", published="2031-01-01")),
                       out, matcher=_Matcher(), err_stream=io.StringIO())
    assert code == 0 and json.loads(out.getvalue()) == {"id": "1", "cluster": "1"}


# ------------------------------------------------------------------ running stories
def test_url_date_and_reposts_take_the_article_day() -> None:
    from bot.cluster import url_date

    assert url_date("https://news.test/2031/03/08/harbor-dispute/") == datetime(2031, 3, 8, tzinfo=UTC)
    assert url_date("https://news.test/2031-03-08/harbor") == datetime(2031, 3, 8, tzinfo=UTC)
    assert url_date("https://news.test/harbor-dispute-2031") is None
    assert url_date("https://news.test/2031/13/40/nope") is None
    # An aggregator re-post two days later is placed on the article's own day ...
    repost = sig("Harbor Authority gives Meridian a Friday deadline", at=T0 + timedelta(days=2),
                 url="https://news.test/2031/03/10/harbor-meridian-deadline")
    assert repost.published == datetime(2031, 3, 10, tzinfo=UTC) and repost.date_only
    # ... while a link dated the same day (or later) leaves the timestamp alone.
    fresh = sig("Harbor Authority gives Meridian a Friday deadline",
                url="https://news.test/2031/03/10/harbor-meridian-deadline")
    assert fresh.published == T0 and not fresh.date_only


@pytest.mark.parametrize(
    ("title", "subject"),
    [
        ("Calder orders agencies to stop using Meridian", {"calder"}),
        ("Rosa Vance says Meridian was right to refuse", {"rosa", "vance"}),
        ("Introducing Meridian Atlas", set()),  # a generic opener is nobody
        ("I am asking the board to reconsider", set()),
        ("Calder Orders Agencies To Stop Using Meridian", {"calder"}),  # Title Case: first word only
        ("New rules for harbor pilots", set()),
    ],
)
def test_headline_subject(title: str, subject: set[str]) -> None:
    from bot.cluster import subject_of

    assert subject_of(title) == subject


def test_running_story_same_day_copies_join_but_other_actors_do_not() -> None:
    """Several developments of one dispute on one day: copies join, a new actor does not."""
    order = sig("Harbor Authority orders Meridian off the port network",
                summary="The Harbor Authority told every terminal to stop using Meridian software.",
                sid="order", source="outlet-a")
    copy = sig("Harbor Authority cuts Meridian from the port network",
               at=T0 + timedelta(hours=3), sid="copy", source="outlet-b")
    voice = sig("Rosa Vance backs Meridian in port network fight",
                at=T0 + timedelta(hours=4), sid="voice", source="outlet-c")
    stats = stats_for(order, copy, voice)
    assert same_event(order, copy, stats)
    assert not same_event(order, voice, stats) and not same_event(copy, voice, stats)


def test_same_day_evidence_needs_two_shared_headline_words() -> None:
    from bot.cluster import features

    a = sig("Harbor Authority orders Meridian off the port network", sid="a")
    same = sig("Harbor Authority cuts Meridian from the port network", at=T0 + timedelta(hours=3), sid="b")
    thin = sig("Meridian opens an office in Oslo", at=T0 + timedelta(hours=3), sid="c")
    next_day = sig("Harbor Authority cuts Meridian from the port network", at=T0 + timedelta(days=1), sid="d")
    stats = stats_for(a, same, thin, next_day)
    assert features(a, same, stats)["same_day"] == 1.0
    assert features(a, thin, stats)["same_day"] == 0.0  # one shared word is not enough
    assert features(a, next_day, stats)["same_day"] == 0.0
