"""Small SVG images: the per-deployment badge and the 90-day bar.

Built as strings with every text escaped by Django's `escape`, which covers both
quotes (`xml.sax.saxutils.escape` leaves `"` alone, and a deployment named
`" onload="…` broke out of `aria-label`); no template engine, because these are
served hard (READMEs, the status page's lazy images) and must stay cheap.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape

from webui.status.uptime import Day

COLOURS = {
    "active": "#2e7d32",
    "deploying": "#1565c0",
    "stopped": "#616161",
    "failed": "#c62828",
    "gone": "#9e9e9e",
    "unknown": "#8d6e00",
}
NO_DATA = "#d0d0d0"
OTHER = "#8d6e00"  # statuses the spec does not know


def colour(status: str | None) -> str:
    if status is None:
        return NO_DATA
    return COLOURS.get(status, OTHER)


def _text_width(text: str) -> int:
    # Verdana 11px averages ~6.5 px a character; exact metrics are not worth a font table.
    return int(len(text) * 6.5) + 10


def badge_svg(label: str, message: str, fill: str) -> str:
    """A shields.io-style two-part badge: `label | message`."""
    label_w, message_w = _text_width(label), _text_width(message)
    width = label_w + message_w
    label_e, message_e = escape(label), escape(message)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" '
        f'aria-label="{label_e}: {message_e}">'
        f"<title>{label_e}: {message_e}</title>"
        f'<rect width="{label_w}" height="20" fill="#555"/>'
        f'<rect x="{label_w}" width="{message_w}" height="20" fill="{fill}"/>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{label_w / 2:.1f}" y="14">{label_e}</text>'
        f'<text x="{label_w + message_w / 2:.1f}" y="14">{message_e}</text>'
        "</g></svg>"
    )


def _percent(value: float | None) -> str:
    return "no data" if value is None else f"{value * 100:.2f}% up"


def bar_svg(days: Sequence[Day], *, label: str = "") -> str:
    """One 3x20 cell a day, coloured by the day's worst status, with a tooltip each."""
    cell, gap = 3, 1
    width = len(days) * (cell + gap) - gap if days else 0
    title = escape(f"{label}: last {len(days)} days" if label else f"last {len(days)} days")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" '
        f'viewBox="0 0 {width} 20" role="img" aria-label="{title}">',
        f"<title>{title}</title>",
    ]
    for index, day in enumerate(days):
        worst = day.worst or "no data"
        tip = escape(f"{day.day.isoformat()}: {worst}, {_percent(day.uptime)}")
        parts.append(
            f'<rect x="{index * (cell + gap)}" width="{cell}" height="20" rx="1" '
            f'fill="{colour(day.worst)}"><title>{tip}</title></rect>'
        )
    parts.append("</svg>")
    return "".join(parts)
