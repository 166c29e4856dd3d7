"""Server-rendered SVG charts: no script, no inline style, so the strict CSP holds.

Every label is escaped here because the result is marked safe for templates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
HEIGHT = 260
PAD_LEFT = 56
PAD_RIGHT = 16
PAD_TOP = 16
PAD_BOTTOM = 48


@dataclass(frozen=True)
class Point:
    label: str
    value: float
    marked: bool = False  # production version (line chart) or best value (bar chart)


def _finite(points: list[Point]) -> list[Point]:
    return [p for p in points if isinstance(p.value, int | float) and math.isfinite(p.value)]


def _scale(values: list[float], include_zero: bool) -> tuple[float, float]:
    low, high = min(values), max(values)
    if include_zero:
        low, high = min(low, 0.0), max(high, 0.0)
    if low == high:
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    return low, high


def _short(label: str, limit: int = 14) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def _frame(title: str, low: float, high: float, body: list[str]) -> SafeString:
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for i in range(5):
        value = low + (high - low) * i / 4
        y = PAD_TOP + plot_h - plot_h * i / 4
        parts.append(f'<line class="grid-line" x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text x="{PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(_fmt(value))}</text>')
    parts.append(
        f'<line class="axis" x1="{PAD_LEFT}" x2="{PAD_LEFT}" y1="{PAD_TOP}" y2="{PAD_TOP + plot_h}"/>'
    )
    parts.extend(body)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated label is escaped above


def line_chart(points: list[Point], *, title: str) -> SafeString:
    """Values in order (e.g. versions by creation), marked points drawn as production."""
    points = _finite(points)
    if not points:
        return mark_safe("")
    low, high = _scale([p.value for p in points], include_zero=False)
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    step = plot_w / max(len(points) - 1, 1)
    coords = []
    for i, p in enumerate(points):
        x = PAD_LEFT + (step * i if len(points) > 1 else plot_w / 2)
        y = PAD_TOP + plot_h - (p.value - low) / (high - low) * plot_h
        coords.append((x, y, p))
    body = [
        '<polyline class="line" points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in coords) + '"/>'
    ]
    every = max(1, math.ceil(len(points) / 10))
    for i, (x, y, p) in enumerate(coords):
        cls = "point production" if p.marked else "point"
        tip = f"{p.label}: {_fmt(p.value)}" + (" (production)" if p.marked else "")
        body.append(f'<circle class="{cls}" cx="{x:.1f}" cy="{y:.1f}" r="5"><title>{escape(tip)}</title></circle>')
        if i % every == 0 or p.marked:
            body.append(
                f'<text x="{x:.1f}" y="{HEIGHT - PAD_BOTTOM + 18}" text-anchor="middle">{escape(_short(p.label))}</text>'
            )
    return _frame(title, low, high, body)


def bar_chart(points: list[Point], *, title: str) -> SafeString:
    """One bar per item (e.g. compared versions), marked bars drawn as the best."""
    points = _finite(points)
    if not points:
        return mark_safe("")
    low, high = _scale([p.value for p in points], include_zero=True)
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    slot = plot_w / len(points)
    bar_w = min(slot * 0.6, 60)

    def y_of(v: float) -> float:
        return PAD_TOP + plot_h - (v - low) / (high - low) * plot_h

    zero = y_of(0.0)
    body = [f'<line class="axis" x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{zero:.1f}" y2="{zero:.1f}"/>']
    for i, p in enumerate(points):
        x = PAD_LEFT + slot * i + (slot - bar_w) / 2
        y = y_of(p.value)
        top, h = min(y, zero), abs(zero - y)
        cls = "bar best" if p.marked else "bar"
        tip = f"{p.label}: {_fmt(p.value)}" + (" (best)" if p.marked else "")
        body.append(
            f'<rect class="{cls}" x="{x:.1f}" y="{top:.1f}" width="{bar_w:.1f}" height="{max(h, 1):.1f}">'
            f"<title>{escape(tip)}</title></rect>"
        )
        body.append(
            f'<text class="value" x="{x + bar_w / 2:.1f}" y="{top - 4:.1f}" text-anchor="middle">{escape(_fmt(p.value))}</text>'
        )
        body.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{HEIGHT - PAD_BOTTOM + 18}" text-anchor="middle">{escape(_short(p.label))}</text>'
        )
    return _frame(title, low, high, body)
