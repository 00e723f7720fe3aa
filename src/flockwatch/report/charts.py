"""Inline SVG charts drawn here, with no library and no script: the report must render offline and request nothing.

Consumes plain Python lists (counts, labels, edges); produces SVG markup strings (escaped, self-contained) for the
HTML report: a bar timeline, an hour-of-week heatmap, a histogram, a line chart (the red-team curves) and a
network picture (igraph layout). Colours
come from one small palette so every chart reads the same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import igraph as ig

INK = "#1f2933"
MUTED = "#7b8794"
ACCENT = "#2f6fb0"
PALETTE = ["#2f6fb0", "#d9480f", "#2b8a3e", "#862e9c", "#e67700", "#0b7285", "#c2255c", "#5c940d", "#495057"]
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _svg(width: int, height: int, body: str, label: str) -> str:
    return (
        f'<svg viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{escape(label)}" font-family="sans-serif" font-size="11">'
        f"<title>{escape(label)}</title>{body}</svg>"
    )


def _empty(label: str) -> str:
    return _svg(600, 60, f'<text x="10" y="35" fill="{MUTED}">no data for {escape(label)}</text>', label)


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    label: str,
    width: int = 1100,
    height: int = 240,
    color: str = ACCENT,
    max_ticks: int = 12,
) -> str:
    """Vertical bars, one per label (dates, weeks, months), with a y scale and thinned x labels."""
    if not values or max(values) <= 0:
        return _empty(label)
    left, right, top, bottom = 50, 36, 10, 40
    w, h = width - left - right, height - top - bottom
    vmax = max(values)
    step = min(w / len(values), 60.0)  # a handful of bins should not become slabs across the page
    left += (w - step * len(values)) / 2
    parts = []
    for tick in _nice_ticks(vmax):
        y = top + h - h * tick / vmax
        parts.append(
            f'<line x1="50" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e4e7eb"/>'
            f'<text x="44" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">{_fmt(tick)}</text>'
        )
    for i, v in enumerate(values):
        bh = h * v / vmax
        parts.append(
            f'<rect x="{left + i * step:.2f}" y="{top + h - bh:.2f}" width="{max(step * 0.85, 0.6):.2f}" '
            f'height="{bh:.2f}" fill="{color}"><title>{escape(str(labels[i]))}: {_fmt(v)}</title></rect>'
        )
    every = max(1, math.ceil(len(labels) / max_ticks))
    for i in range(0, len(labels), every):
        x = left + (i + 0.5) * step
        parts.append(
            f'<text x="{x:.1f}" y="{height - bottom + 16}" text-anchor="middle" fill="{INK}">'
            f"{escape(str(labels[i]))}</text>"
        )
    parts.append(f'<line x1="50" x2="{width - right}" y1="{top + h}" y2="{top + h}" stroke="{INK}"/>')
    return _svg(width, height, "".join(parts), label)


def heatmap(
    matrix: Sequence[Sequence[float]],
    label: str,
    hour_labels: Sequence[str] | None = None,
    second_axis: Sequence[str] | None = None,
    second_axis_title: str = "",
) -> str:
    """7×24 hour-of-week heatmap (rows Monday..Sunday), darker = more activity."""
    cell, left, top = 38, 44, 22
    rows = len(matrix)
    bottom = 44 if second_axis else 20
    width, height = left + 24 * cell + 10, top + rows * cell + bottom
    vmax = max((max(r) for r in matrix), default=0)
    if vmax <= 0:
        return _empty(label)
    parts = []
    hours = hour_labels or [f"{h:02d}" for h in range(24)]
    for hcol in range(24):
        parts.append(
            f'<text x="{left + hcol * cell + cell / 2}" y="{top - 6}" text-anchor="middle" '
            f'fill="{INK}">{escape(hours[hcol])}</text>'
        )
    for d in range(rows):
        parts.append(
            f'<text x="{left - 6}" y="{top + d * cell + cell / 2 + 4}" text-anchor="end" fill="{INK}">{DAYS[d]}</text>'
        )
        for hcol in range(24):
            v = matrix[d][hcol]
            t = (v / vmax) ** 0.6  # gamma: quiet hours stay visible next to a peak
            parts.append(
                f'<rect x="{left + hcol * cell}" y="{top + d * cell}" width="{cell - 2}" '
                f'height="{cell - 2}" fill="{_blue(t)}"><title>{DAYS[d]} {hours[hcol]}: '
                f"{_fmt(v)}</title></rect>"
            )
    if second_axis:
        y = top + rows * cell + 16
        for hcol in range(24):
            parts.append(
                f'<text x="{left + hcol * cell + cell / 2}" y="{y}" text-anchor="middle" '
                f'fill="{MUTED}">{escape(second_axis[hcol])}</text>'
            )
        parts.append(f'<text x="{left}" y="{y + 18}" fill="{MUTED}">{escape(second_axis_title)}</text>')
    return _svg(width, height, "".join(parts), label)


def network_picture(
    nodes: Sequence[str],
    edges: Sequence[tuple[str, str, float]],
    label: str,
    groups: dict[str, int] | None = None,
    size: int = 760,
    seed: int = 7,
) -> str:
    """Nodes placed by igraph's Fruchterman–Reingold layout; edge width by weight, node colour by group."""
    if not nodes:
        return _empty(label)
    index = {n: i for i, n in enumerate(nodes)}
    es = [(index[a], index[b]) for a, b, _ in edges if a in index and b in index and a != b]
    weights = [float(w) for a, b, w in edges if a in index and b in index and a != b]
    g = ig.Graph(n=len(nodes), edges=es)
    import random

    random.seed(seed)  # igraph's layouts draw from Python's RNG: fixed seed, same picture for the same network
    layout = g.layout_fruchterman_reingold(weights=weights or None, niter=500) if es else g.layout_circle()
    coords = layout.coords
    xs, ys = [c[0] for c in coords], [c[1] for c in coords]
    pad = 24
    span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0

    def pos(i: int) -> tuple[float, float]:
        return (
            pad + (xs[i] - min(xs)) / span_x * (size - 2 * pad),
            pad + (ys[i] - min(ys)) / span_y * (size - 2 * pad),
        )

    wmax = max(weights, default=1.0) or 1.0
    parts = []
    for (a, b), w in zip(es, weights, strict=False):
        (x1, y1), (x2, y2) = pos(a), pos(b)
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#9aa5b1" '
            f'stroke-opacity="0.55" stroke-width="{0.4 + 2.2 * w / wmax:.2f}"/>'
        )
    degree = g.degree()
    dmax = max(degree, default=1) or 1
    for i, n in enumerate(nodes):
        x, y = pos(i)
        color = PALETTE[(groups or {}).get(n, 0) % len(PALETTE)]
        r = 3 + 6 * math.sqrt(degree[i] / dmax)
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{color}" stroke="white" '
            f'stroke-width="0.8"><title>{escape(n)} (degree {degree[i]})</title></circle>'
        )
    return _svg(size, size, "".join(parts), label)


def line_chart(
    series: dict[str, Sequence[tuple[float, float]]],
    label: str,
    x_label: str = "",
    y_max: float = 1.0,
    width: int = 520,
    height: int = 220,
) -> str:
    """One line per series over a shared x axis (points ``(x, y)``, y in [0, ``y_max``]), with a legend."""
    points = [p for pts in series.values() for p in pts]
    if not points:
        return _empty(label)
    left, right, top, bottom = 44, 130, 10, 36
    w, h = width - left - right, height - top - bottom
    xs = sorted({x for x, _ in points})
    x_lo, x_hi = xs[0], xs[-1] if xs[-1] > xs[0] else xs[0] + 1

    def px(x: float) -> float:
        return left + w * (x - x_lo) / (x_hi - x_lo)

    def py(y: float) -> float:
        return top + h - h * max(0.0, min(y, y_max)) / y_max

    parts = []
    for tick in (0.25 * y_max, 0.5 * y_max, 0.75 * y_max, y_max):
        parts.append(
            f'<line x1="{left}" x2="{left + w}" y1="{py(tick):.1f}" y2="{py(tick):.1f}" stroke="#e4e7eb"/>'
            f'<text x="{left - 6}" y="{py(tick) + 4:.1f}" text-anchor="end" fill="{MUTED}">{_fmt(tick)}</text>'
        )
    for x in xs:
        parts.append(
            f'<text x="{px(x):.1f}" y="{top + h + 16}" text-anchor="middle" fill="{INK}">{escape(_fmt(x))}</text>'
        )
    parts.append(
        f'<text x="{left + w / 2:.1f}" y="{height - 4}" text-anchor="middle" fill="{MUTED}">{escape(x_label)}</text>'
    )
    for i, (name, pts) in enumerate(series.items()):
        color = PALETTE[i % len(PALETTE)]
        ordered = sorted(pts)
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in ordered)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for x, y in ordered:
            parts.append(
                f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{color}">'
                f"<title>{escape(name)} at {_fmt(x)}: {y:.3f}</title></circle>"
            )
        ly = top + 12 + 16 * i
        parts.append(
            f'<line x1="{left + w + 10}" x2="{left + w + 26}" y1="{ly}" y2="{ly}" stroke="{color}" stroke-width="2"/>'
            f'<text x="{left + w + 30}" y="{ly + 4}" fill="{INK}">{escape(name)}</text>'
        )
    parts.append(f'<line x1="{left}" x2="{left + w}" y1="{top + h}" y2="{top + h}" stroke="{INK}"/>')
    return _svg(width, height, "".join(parts), label)


def _blue(t: float) -> str:
    # white → deep blue
    r, g, b = (int(255 + (c - 255) * t) for c in (18, 62, 120))
    return f"rgb({r},{g},{b})"


def _nice_ticks(vmax: float, n: int = 4) -> list[float]:
    raw = vmax / n
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    return [step * k for k in range(1, int(vmax / step) + 1)]


def _fmt(v: float) -> str:
    return f"{int(v):,}" if float(v).is_integer() else f"{v:,.2f}"
