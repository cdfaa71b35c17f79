"""Server-side SVG charts: no script, no CDN, print cleanly, and carry text alternatives.

Only presentation attributes and classes are used (no style attributes), so the strict CSP holds.
"""
from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape


@dataclass
class Point:
    """One row of an interval chart: a label, an estimate with its interval, a colour class."""

    label: str
    estimate: float | None
    low: float | None
    high: float | None
    css: str = "neutral"
    note: str = ""


def _scale(lo: float, hi: float, x0: float, x1: float):
    span = max(hi - lo, 1e-9)
    return lambda v: x0 + (v - lo) / span * (x1 - x0)


def interval_chart(points: list[Point], *, title: str, description: str, reference: float | None = None,
                   reference_label: str = "", label_width: int = 260, width: int = 760, row: int = 22) -> Markup:
    """Horizontal dot-and-whisker chart (a forest or caterpillar plot) on the 0-100 scale, zoomed to the data."""
    values = [v for p in points for v in (p.low, p.high, p.estimate) if v is not None]
    if reference is not None:
        values.append(reference)
    lo = max(0.0, (min(values) if values else 0) - 5)
    hi = min(100.0, (max(values) if values else 100) + 5)
    lo, hi = 5 * (lo // 5), 5 * -(-hi // 5)
    top, bottom = 10, 30
    height = top + row * len(points) + bottom
    x = _scale(lo, hi, label_width, width - 20)
    uid = abs(hash((title, len(points)))) % 10 ** 8
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'aria-labelledby="t{uid} d{uid}" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="t{uid}">{escape(title)}</title><desc id="d{uid}">{escape(description)}</desc>']
    tick = 5 if hi - lo <= 40 else 10
    v = lo
    while v <= hi + 1e-9:
        parts.append(f'<line class="grid" x1="{x(v):.1f}" x2="{x(v):.1f}" y1="{top}" y2="{height - bottom + 4}"/>'
                     f'<text class="tick" x="{x(v):.1f}" y="{height - bottom + 18}" text-anchor="middle">{v:g}</text>')
        v += tick
    if reference is not None:
        parts.append(f'<line class="reference" x1="{x(reference):.1f}" x2="{x(reference):.1f}" y1="{top - 4}" '
                     f'y2="{height - bottom}"/><text class="reflabel" x="{x(reference) + 4:.1f}" y="{top + 6}">'
                     f'{escape(reference_label)}</text>')
    for i, p in enumerate(points):
        y = top + row * i + row / 2
        label = p.label if len(p.label) <= 42 else p.label[:40] + "…"
        parts.append(f'<text class="label" x="{label_width - 8}" y="{y + 4:.1f}" text-anchor="end">{escape(label)}'
                     f'<title>{escape(p.label)}</title></text>')
        if p.estimate is None:
            parts.append(f'<text class="na" x="{label_width + 4}" y="{y + 4:.1f}">—</text>')
            continue
        if p.low is not None and p.high is not None:
            parts.append(f'<line class="whisker {p.css}" x1="{x(p.low):.1f}" x2="{x(p.high):.1f}" y1="{y:.1f}" '
                         f'y2="{y:.1f}"/>')
        parts.append(f'<circle class="dot {p.css}" cx="{x(p.estimate):.1f}" cy="{y:.1f}" r="5">'
                     f'<title>{escape(p.label)}: {p.estimate:.2f}'
                     + (f' ({p.low:.2f}–{p.high:.2f})' if p.low is not None and p.high is not None else "")
                     + f'{" · " + escape(p.note) if p.note else ""}</title></circle>')
    parts.append("</svg>")
    return Markup("".join(parts))


def trend_chart(points: list[dict], *, title: str, description: str, width: int = 760, height: int = 260) -> Markup:
    """SIPAS over rounds: points joined only between comparable rounds; a method or map break is drawn."""
    values = [v for p in points for v in (p["low"], p["high"], p["estimate"]) if v is not None]
    lo = 5 * ((min(values) - 5) // 5) if values else 0
    hi = 5 * -(-(max(values) + 5) // 5) if values else 100
    left, right, top, bottom = 50, 20, 20, 40
    n = max(len(points), 1)
    xs = [left + (width - left - right) * (i + 0.5) / n for i in range(len(points))]
    y = _scale(lo, hi, height - bottom, top)
    uid = abs(hash((title, n))) % 10 ** 8
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'aria-labelledby="t{uid} d{uid}" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="t{uid}">{escape(title)}</title><desc id="d{uid}">{escape(description)}</desc>']
    v = lo
    while v <= hi + 1e-9:
        parts.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}"/>'
                     f'<text class="tick" x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:g}</text>')
        v += 5
    for i, p in enumerate(points):
        parts.append(f'<text class="tick" x="{xs[i]:.1f}" y="{height - 12}" text-anchor="middle">{p["year"]}</text>')
        if i > 0 and p.get("break"):
            mid = (xs[i - 1] + xs[i]) / 2
            parts.append(f'<line class="break" x1="{mid:.1f}" x2="{mid:.1f}" y1="{top}" y2="{height - bottom}"/>'
                         f'<text class="breaklabel" x="{mid + 3:.1f}" y="{top + 10}">{escape(p["break"])}</text>')
        elif i > 0 and p["estimate"] is not None and points[i - 1]["estimate"] is not None:
            parts.append(f'<line class="trendline" x1="{xs[i - 1]:.1f}" x2="{xs[i]:.1f}" '
                         f'y1="{y(points[i - 1]["estimate"]):.1f}" y2="{y(p["estimate"]):.1f}"/>')
        if p["estimate"] is not None:
            if p["low"] is not None:
                parts.append(f'<line class="whisker neutral" x1="{xs[i]:.1f}" x2="{xs[i]:.1f}" y1="{y(p["low"]):.1f}" '
                             f'y2="{y(p["high"]):.1f}"/>')
            parts.append(f'<circle class="dot neutral" cx="{xs[i]:.1f}" cy="{y(p["estimate"]):.1f}" r="5">'
                         f'<title>{p["year"]}: {p["estimate"]:.2f}</title></circle>')
    parts.append("</svg>")
    return Markup("".join(parts))
