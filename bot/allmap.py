"""The alliance map: who partnered with, invested in or bought whom, as a PNG.

    edges = map_edges((cluster_id, match) for ...)   # pure data, one edge per event pair
    png = render_map(edges, title="AI alliances, last 7 days")

Organisations are nodes (sized by degree), events are labelled edges: partnerships
undirected, funding investor -> company, acquisitions acquirer -> target; width
grows with the amount.  At most ``max_nodes`` organisations are drawn (the best
connected, then the biggest money), the rest are counted as "+N more".

Rendering is deterministic: inputs are sorted, the layout is seeded, and the PNG
carries no timestamp or version metadata, so the same edges give the same bytes.
matplotlib and networkx are imported inside the functions that need them: they
are slow to import and the bot core imports this module lazily anyway.
"""

from __future__ import annotations

import io
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, overload

from bot.types import Amount, EventType, Match

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["MapEdge", "MapLayout", "layout_map", "map_edges", "render_map"]

# Rough USD rates, only to rank and size edges (never shown as converted money).
_USD = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "JPY": 0.0067, "INR": 0.012, "CNY": 0.14,
        "CHF": 1.13, "CAD": 0.73, "KRW": 0.00073}
_COLOURS: dict[str, str] = {"partnership": "#1f77b4", "funding": "#2ca02c", "acquisition": "#d62728"}
_VERB = {"partnership": "partner", "funding": "invests", "acquisition": "acquires"}
MAX_LABEL = 18  # characters of an organisation name before "…"
SEED = 7


@dataclass(frozen=True, slots=True)
class MapEdge:
    """One relation between two organisations, aggregated over events.

    ``source`` -> ``target`` reads: investor invests in company, acquirer acquires
    target; partnerships are stored with the names in sorted order.
    """

    source: str
    target: str
    kind: EventType
    events: int = 1
    amount: Amount | None = None  # the largest stated amount, in its own currency

    @property
    def usd(self) -> float:
        if self.amount is None:
            return 0.0
        return self.amount.value * _USD.get(self.amount.currency, 1.0)

    @property
    def label(self) -> str:
        from bot.alerts import format_amount

        money = format_amount(self.amount)
        text = _VERB[self.kind] + (f" {money}" if money else "")
        return text + (f" ×{self.events}" if self.events > 1 else "")


def _key(name: str) -> str:
    return " ".join(name.casefold().split())


def _pairs(kind: EventType, parties: Sequence[str]) -> list[tuple[str, str]]:
    """(source, target) pairs for one event, by the matcher's party order.

    The matcher lists the raising company first for funding and the acquirer first
    for acquisitions; partnerships connect every pair.
    """
    if len(parties) < 2:
        return []
    head, rest = parties[0], parties[1:]
    if kind == "funding":
        return [(investor, head) for investor in rest]
    if kind == "acquisition":
        return [(head, target) for target in rest[:1]]
    return [(min(a, b), max(a, b)) for i, a in enumerate(parties) for b in parties[i + 1:]]


def map_edges(items: Iterable[tuple[str, Match]]) -> list[MapEdge]:
    """Edges from clustered events: ``(cluster id, match)`` pairs, one or more per cluster.

    Each cluster counts once (twenty articles about one deal are one edge, one
    event); within a cluster the match naming the most parties and an amount wins.
    Names are merged case-insensitively, keeping the first spelling seen in sorted order.
    """
    best: dict[str, Match] = {}
    for cid, match in sorted(items, key=lambda x: x[0]):
        cur = best.get(cid)
        if cur is None or _richness(match) > _richness(cur):
            best[cid] = match
    spelling: dict[str, str] = {}
    agg: dict[tuple[str, str, EventType], list[Amount | None]] = defaultdict(list)
    for cid in sorted(best):
        m = best[cid]
        names = [spelling.setdefault(_key(p), p.strip()) for p in m.parties if p.strip()]
        names = list(dict.fromkeys(names))
        kind = _main_kind(m)
        if kind is None:
            continue
        for src, dst in _pairs(kind, names):
            if src != dst:
                agg[(src, dst, kind)].append(m.amount)
    edges = [
        MapEdge(src, dst, kind, len(amounts), _largest(amounts))
        for (src, dst, kind), amounts in agg.items()
    ]
    return sorted(edges, key=lambda e: (e.source, e.target, e.kind))


def _richness(m: Match) -> tuple[int, int, int]:
    return (len(m.parties), m.amount is not None, len(m.events))


def _main_kind(m: Match) -> EventType | None:
    # An acquisition outranks a "partnership" word in the same story; funding
    # with a named investor outranks a generic partnership.
    for kind in ("acquisition", "funding", "partnership"):
        if kind in m.events:
            return kind
    return None


def _largest(amounts: Sequence[Amount | None]) -> Amount | None:
    known = [a for a in amounts if a is not None]
    return max(known, key=lambda a: (a.value * _USD.get(a.currency, 1.0), a.currency), default=None)


# --------------------------------------------------------------------------- layout
@dataclass(frozen=True, slots=True)
class MapLayout:
    """What will be drawn: kept nodes with positions in [-1, 1]², kept edges, hidden count."""

    positions: dict[str, tuple[float, float]]
    degree: dict[str, int]
    edges: tuple[MapEdge, ...]
    hidden: int  # organisations left out to stay readable
    extra: dict[str, float] = field(default_factory=dict)


def layout_map(edges: Sequence[MapEdge], *, max_nodes: int = 40) -> MapLayout:
    """Pick the nodes to show and place them (deterministic: sorted input, fixed seed)."""
    import networkx as nx

    degree: Counter[str] = Counter()
    money: dict[str, float] = defaultdict(float)
    for e in edges:
        for n in (e.source, e.target):
            degree[n] += e.events
            money[n] += e.usd
    ranked = sorted(degree, key=lambda n: (-degree[n], -money[n], n))
    kept = set(ranked[:max_nodes])
    shown = tuple(e for e in sorted(edges, key=lambda e: (e.source, e.target, e.kind))
                  if e.source in kept and e.target in kept)
    graph = nx.Graph()
    graph.add_nodes_from(sorted(kept))
    for e in shown:
        graph.add_edge(e.source, e.target)
    positions = _normalise(_pack(graph)) if kept else {}
    return MapLayout(positions, {n: degree[n] for n in sorted(kept)}, shown, len(degree) - len(kept))


def _pack(graph: Any) -> dict[str, tuple[float, float]]:
    """Lay out each connected component on its own, then shelve them in rows.

    A spring layout of a disconnected graph flings the components to the corners
    and crushes each into a blob; packing keeps every deal cluster legible.
    Components are placed biggest first, ties by name, so the result is stable.
    """
    import networkx as nx

    comps = sorted((sorted(c) for c in nx.connected_components(graph)), key=lambda c: (-len(c), c[0]))
    sides = [math.sqrt(len(c)) for c in comps]
    row_limit = max(max(sides), math.sqrt(sum(x * x for x in sides) * 1.5) * 1.15)
    out: dict[str, tuple[float, float]] = {}
    x = y = row_h = 0.0
    for comp, side in zip(comps, sides, strict=True):
        if x > 0 and x + side > row_limit:
            x, y, row_h = 0.0, y - row_h, 0.0
        local = _component_layout(graph.subgraph(comp), comp)
        for n, (lx, ly) in local.items():
            out[n] = (x + side / 2 + lx * side * 0.42, y - side / 2 + ly * side * 0.42)
        x += side
        row_h = max(row_h, side)
    return out


def _component_layout(sub: Any, nodes: list[str]) -> dict[str, tuple[float, float]]:
    import networkx as nx

    if len(nodes) == 1:
        return {nodes[0]: (0.0, 0.0)}
    if len(nodes) == 2:
        return {nodes[0]: (-1.0, 0.0), nodes[1]: (1.0, 0.0)}
    # k above the default spreads a hub's spokes so their labels do not collide.
    raw = nx.spring_layout(sub, seed=SEED, k=2.2 / math.sqrt(len(nodes)), iterations=200)
    return _normalise({n: (float(raw[n][0]), float(raw[n][1])) for n in nodes})


def _normalise(pos: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    """Stretch each axis to [-1, 1] (a 3:2 canvas is better filled than a square one)
    and round, so float noise across platforms never moves a pixel."""
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    hx = (max(xs) - min(xs)) / 2 or 1.0
    hy = (max(ys) - min(ys)) / 2 or 1.0
    return {n: (round((x - cx) / hx, 4), round((y - cy) / hy, 4)) for n, (x, y) in pos.items()}


# --------------------------------------------------------------------------- drawing
def _short(name: str) -> str:
    return name if len(name) <= MAX_LABEL else name[: MAX_LABEL - 1].rstrip() + "…"


def _width(e: MapEdge) -> float:
    # 1.5 px for an undisclosed amount, about +1.2 per tenfold from $1M, capped.
    if e.usd <= 0:
        return 1.5
    return min(9.0, 1.5 + 1.2 * max(0.0, math.log10(e.usd / 1e6)))


@overload
def render_map(edges: Sequence[MapEdge], *, title: str, size_px: tuple[int, int] = ...,
               max_nodes: int = ..., return_layout: Literal[False] = ...) -> bytes: ...
@overload
def render_map(edges: Sequence[MapEdge], *, title: str, size_px: tuple[int, int] = ...,
               max_nodes: int = ..., return_layout: Literal[True]) -> tuple[bytes, MapLayout]: ...


def render_map(
    edges: Sequence[MapEdge],
    *,
    title: str,
    size_px: tuple[int, int] = (1200, 800),
    max_nodes: int = 40,
    return_layout: bool = False,
) -> bytes | tuple[bytes, MapLayout]:
    """A PNG of the map (and, on request, the layout it drew)."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    layout = layout_map(edges, max_nodes=max_nodes)
    dpi = 100
    if not layout.positions:
        size_px = (min(size_px[0], 600), min(size_px[1], 200))
    # Fixed hash salt and no metadata: byte-identical output for identical input.
    with rc_context({"svg.hashsalt": "alliance-map", "font.size": 10, "path.simplify": True}):
        fig = Figure(figsize=(size_px[0] / dpi, size_px[1] / dpi), dpi=dpi)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.02, 0.04, 0.96, 0.86))
        ax.set_axis_off()
        fig.text(0.5, 0.955, title, ha="center", va="center", fontsize=15, fontweight="bold")
        if layout.positions:
            _draw(ax, layout)
            _legend(fig, layout)
        else:
            ax.text(0.5, 0.5, "No deals in this period", ha="center", va="center",
                    fontsize=14, color="#555555", transform=ax.transAxes)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None}, facecolor="white")
    png = buf.getvalue()
    return (png, layout) if return_layout else png


def _draw(ax: Axes, layout: MapLayout) -> None:
    pos = layout.positions
    ax.set_xlim(-1.25, 1.25)
    ax.set_ylim(-1.15, 1.15)
    for e in layout.edges:
        (x1, y1), (x2, y2) = pos[e.source], pos[e.target]
        directed = e.kind != "partnership"
        ax.annotate(
            "", xy=(x2, y2), xytext=(x1, y1),
            arrowprops={
                "arrowstyle": "-|>" if directed else "-",
                "color": _COLOURS[e.kind], "lw": _width(e), "alpha": 0.75,
                "shrinkA": 14, "shrinkB": 14, "mutation_scale": 16,
            },
            zorder=1,
        )
        # Label nearer the less connected end: around a hub, midpoints pile up.
        t = 0.62 if layout.degree[e.source] >= layout.degree[e.target] else 0.38
        ax.text(x1 + (x2 - x1) * t, y1 + (y2 - y1) * t, e.label, fontsize=8, ha="center", va="center",
                color=_COLOURS[e.kind], zorder=3,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8})
    top = max(layout.degree.values())
    for name in sorted(pos):
        x, y = pos[name]
        size = 120 + 900 * layout.degree[name] / top
        ax.scatter([x], [y], s=size, c="#f4d35e", edgecolors="#333333", linewidths=1.0, zorder=2)
        ax.text(x, y - 0.045 - math.sqrt(size) / 900, _short(name), fontsize=10, ha="center",
                va="top", zorder=4, fontweight="bold",
                bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.7})


def _legend(fig: object, layout: MapLayout) -> None:
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    assert isinstance(fig, Figure)
    kinds = sorted({e.kind for e in layout.edges}, key=list(_COLOURS).index)
    handles = [Line2D([0], [0], color=_COLOURS[k], lw=3, label=k) for k in kinds]
    if handles:
        fig.legend(handles=handles, loc="lower left", fontsize=10, frameon=False, ncols=len(handles))
    note = f"{len(layout.positions)} organisations, {len(layout.edges)} links"
    if layout.hidden:
        note += f"  (+{layout.hidden} more not shown)"
    fig.text(0.98, 0.015, note, ha="right", va="bottom", fontsize=10, color="#444444")
