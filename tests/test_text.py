from __future__ import annotations

import time

import pytest

from bot.text import clean_text, strip_invisible, strip_tags, truncate


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ""),
        ("", ""),
        ("  plain   title ", "plain title"),
        ("<b>Open</b>AI <i>raises</i>", "OpenAI raises"),
        ("a<br>b<p>c</p>d", "a b c d"),
        ("x<script>alert(1)</script>y", "x y"),
        ("x<style>p{}</style>y<!-- hidden -->z", "x yz"),
        ("unterminated <script>alert(1)", "unterminated"),
        ('cut tag <a href="https://x', "cut tag"),
        ("&lt;!channel&gt; and &amp;lt;b&amp;gt;", "<!channel> and &lt;b&gt;"),  # once only
        ("@everyone <@&123> @here", "@everyone <@&123> @here"),
        ("Open\u200bAI", "OpenAI"),
        ("\u202eevil\u202c text", "evil text"),
        ("soft\u00adhyphen \ufeffbom \u2066iso\u2069", "softhyphen bom iso"),
        ("nul\x00 esc\x1b[31m del\x7f c1\x85x", "nul esc[31m del c1 x"),
        ("tab\there\r\nnew\u2028line", "tab here new line"),
        ("ＯｐｅｎＡＩ ﬁnance", "OpenAI finance"),  # NFKC
        ("a < b and c > d", "a < b and c > d"),
        ("<![CDATA[<kept> text]]>", "<kept> text"),
        ("tag\U000e0041chars", "tagchars"),
    ],
)
def test_clean_text(raw: str | None, expected: str) -> None:
    assert clean_text(raw, max_len=500) == expected


def test_truncate_on_boundaries() -> None:
    assert truncate("short", 10) == "short"
    out = truncate("word " * 100, 50)
    assert len(out) <= 50 and out.endswith("…") and not out.endswith(" …")
    # Never separate a base letter from its combining mark.
    s = "e\u0301" * 100
    out = truncate(s, 11)
    assert "\u0301" != out[0] and len(out) <= 11
    assert out[-2] == "\u0301"


def test_huge_inputs_are_fast_and_capped() -> None:
    for raw in (
        "x" * 100_000,
        "<b>x</b>" * 100_000,
        "<script>" * 50_000,
        "<!--" * 50_000,
        "&amp;" * 100_000,
        "\u200b" * 100_000 + "tail",
    ):
        start = time.perf_counter()
        out = clean_text(raw, max_len=500)
        assert time.perf_counter() - start < 0.5
        assert len(out) <= 500


def test_markup_heavy_field_still_yields_text() -> None:
    raw = "<i></i>" * 5_000 + "real text"  # 35 KB of markup, past the first prefix
    assert clean_text(raw, max_len=100) == "real text"


def test_strip_helpers() -> None:
    assert strip_invisible("a\u200bb\tc") == "ab c"
    assert strip_tags("<p>a</p>&amp;") == " a &amp;"
