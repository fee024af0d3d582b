from __future__ import annotations

import pytest

from bot.urls import MAX_URL_LEN, canonical_url, safe_link

BASE = "https://feeds.example.org/blog/feed.xml"


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("https://example.com/a?b=1#f", "https://example.com/a?b=1#f"),
        ("/rel/a", "https://feeds.example.org/rel/a"),
        ("post-2", "https://feeds.example.org/blog/post-2"),
        ("//cdn.example.com/x", "https://cdn.example.com/x"),
        ("HTTPS://Example.COM:443", "https://example.com/"),
        ("http://93.184.216.34/a", "http://93.184.216.34/a"),
        ("  https://example.com/a\n", "https://example.com/a"),
        ("https://пример.рф/", "https://xn--e1afmkfd.xn--p1ai/"),
    ],
)
def test_safe_link_accepts(link: str, expected: str) -> None:
    assert safe_link(link, base=BASE) == expected


@pytest.mark.parametrize(
    "link",
    [
        None,
        "",
        "javascript:alert(1)",
        " JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>",
        "file:///etc/passwd",
        "ftp://example.com/",
        "https://openai.com@evil.example/",
        "https://user:pw@example.com/",
        "http://localhost/",
        "http://LOCALHOST./",
        "http://app.localhost/",
        "http://ｌｏｃａｌｈｏｓｔ/",
        "http://metadata.google.internal/",
        "http://127.0.0.1:8080/admin",
        "http://127.1/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://0177.0.0.1/",
        "http://0/",
        "http://１２７.０.０.１/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://172.16.0.1/",
        "http://100.64.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://[2002:7f00:1::]/",
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://%6c%6fcalhost/",
        "https://x.com\\@evil.com/",
        "http://a.b.1/",
        "http://[::1/",
        "https://example.com:99999/",
        "https://example.com/" + "a" * MAX_URL_LEN,
        "https://exa\x00mple.com/",
    ],
)
def test_safe_link_refuses(link: str | None) -> None:
    assert safe_link(link, base=BASE) is None


def test_safe_link_without_base_refuses_relative() -> None:
    assert safe_link("/rel", base=None) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "HTTPS://Example.COM:443/a?utm_source=x&id=3&fbclid=y&q=a%20b&REF=z#frag",
            "https://example.com/a?id=3&q=a%20b",
        ),
        ("http://example.com", "http://example.com/"),
        ("http://example.com:8080/x?b=2&a=1", "http://example.com:8080/x?b=2&a=1"),
        (
            "https://example.com/?gclid=1&mc_cid=2&mc_eid=3&_hsenc=4&_hsmi=5&igshid=6&spm=7&ref_src=8",
            "https://example.com/",
        ),
        ("https://example.com/s/0?utm_source=rss&ts=a0", "https://example.com/s/0?ts=a0"),
        ("http://[::1", "http://[::1"),
        ("mailto:x@example.com", "mailto:x@example.com"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected
