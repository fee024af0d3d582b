"""The alliance map renders readable, deterministic PNGs from synthetic deals."""

from __future__ import annotations

import io
import struct

import pytest

from bot.allmap import MapEdge, layout_map, map_edges, render_map
from bot.types import Amount, Match

pytest.importorskip("matplotlib")
pytest.importorskip("networkx")


def _items() -> list[tuple[str, Match]]:
    m = lambda kind, *p, amount=None: Match(  # noqa: E731
        ai=True, events=(kind,), parties=p, amount=Amount(amount, "USD") if amount else None)
    return [
        ("c1", m("funding", "Acme Robotics", "Globex Ventures", amount=4e9)),
        ("c1", m("funding", "Acme Robotics")),  # a poorer copy of the same event
        ("c2", m("partnership", "Initech", "Acme Robotics")),
        ("c3", m("acquisition", "Initech", "Hooli Labs", amount=6e8)),
        ("c4", m("partnership", "Umbrella AI", "Initech")),
        ("c5", m("partnership", "umbrella ai", "initech")),  # same pair, another event
        ("c6", m("funding", "Solo Startup", amount=1e7)),  # no counterparty: no edge
    ]


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_map_edges_one_edge_per_relation_with_direction() -> None:
    edges = map_edges(_items())
    by = {(e.source, e.target, e.kind): e for e in edges}
    assert ("Globex Ventures", "Acme Robotics", "funding") in by  # investor -> company
    assert ("Initech", "Hooli Labs", "acquisition") in by  # acquirer -> target
    assert by[("Acme Robotics", "Initech", "partnership")].events == 1
    assert by[("Initech", "Umbrella AI", "partnership")].events == 2  # two clusters, names merged
    assert by[("Globex Ventures", "Acme Robotics", "funding")].label == "invests $4B"
    assert len(edges) == 4


def test_render_png_size_not_blank_and_a_node_per_party() -> None:
    from PIL import Image

    edges = map_edges(_items())
    png, layout = render_map(edges, title="Synthetic deals", return_layout=True)
    assert _png_size(png) == (1200, 800)
    img = Image.open(io.BytesIO(png)).convert("L")
    hist = img.histogram()  # 256 grey-level counts
    n = sum(hist)
    mean = sum(i * c for i, c in enumerate(hist)) / n
    variance = sum(c * (i - mean) ** 2 for i, c in enumerate(hist)) / n
    assert variance > 100  # drawn, not a flat canvas
    assert set(layout.positions) == {"Acme Robotics", "Globex Ventures", "Initech", "Hooli Labs",
                                     "Umbrella AI"}
    assert all(-1.0 <= x <= 1.0 and -1.0 <= y <= 1.0 for x, y in layout.positions.values())


def test_render_is_deterministic() -> None:
    edges = map_edges(_items())
    a, la = render_map(edges, title="Same", return_layout=True)
    b, lb = render_map(list(reversed(edges)), title="Same", return_layout=True)
    assert la.positions == lb.positions
    assert a == b


def test_caps_nodes_and_counts_the_rest() -> None:
    edges = [MapEdge("Hub Corp", f"Spoke {i:02d}", "partnership") for i in range(60)]
    layout = layout_map(edges, max_nodes=40)
    assert len(layout.positions) == 40 and layout.hidden == 21
    assert "Hub Corp" in layout.positions


def test_empty_input_renders_small_notice() -> None:
    png = render_map([], title="Last 7 days")
    w, h = _png_size(png)
    assert w <= 600 and h <= 200
