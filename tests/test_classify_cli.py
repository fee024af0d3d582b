from __future__ import annotations

import io
import json

from bot.classify_cli import run_classify
from bot.matcher import Matcher, default_watchlist_path, load_watchlist

MATCHER = Matcher(load_watchlist(default_watchlist_path()))
FIELDS = {"id", "ai", "events", "parties", "amount", "round", "confidence", "evidence"}


def run(text: str, explain: bool = False) -> tuple[int, list[dict[str, object]], str]:
    out, err = io.StringIO(), io.StringIO()
    rc = run_classify(io.StringIO(text), out, matcher=MATCHER, explain=explain, err_stream=err)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    return rc, rows, err.getvalue()


def test_good_lines() -> None:
    lines = [
        {"id": "a1", "title": "Zentrix raises $40M Series A for AI agents", "summary": ""},
        {"id": "a2", "title": "Zentrix launches a bakery", "summary": None},
    ]
    rc, rows, err = run("\n".join(json.dumps(x) for x in lines) + "\n")
    assert rc == 0 and err == ""
    assert [r["id"] for r in rows] == ["a1", "a2"]
    assert set(rows[0]) == FIELDS
    assert rows[0]["events"] == ["funding"]
    assert rows[0]["amount"] == {"value": 40000000, "currency": "USD"}
    assert rows[0]["round"] == "series a"


def test_bad_lines_are_reported_and_skipped() -> None:
    text = "\n".join([
        '{"id": "ok1", "title": "Zentrix partners with OpenAI", "summary": ""}',
        "{not json",
        '{"id": "x", "summary": ""}',
        '["a list"]',
        '{"id": "ok2", "title": "AI news", "summary": ""}',
    ])
    rc, rows, err = run(text)
    assert rc == 1
    assert [r["id"] for r in rows] == ["ok1", "ok2"]
    assert "line 2: invalid JSON" in err
    assert "line 3: missing field(s): title" in err
    assert "line 4: expected a JSON object" in err


def test_explain_adds_signals() -> None:
    rc, rows, err = run('{"id": "e", "title": "Zentrix raises $5M for AI agents", "summary": ""}', explain=True)
    assert rc == 0
    assert "funding:raise-amount" in rows[0]["signals"]  # type: ignore[operator]
    assert "[e] alert=True" in err
