"""Small SVG images: the badges (per deployment, per model, overall) and the 90-day bar.

Built as strings with every text escaped by Django's `escape`, which covers both
quotes (`xml.sax.saxutils.escape` leaves `"` alone, and a deployment named
`" onload="…` broke out of `aria-label`), after dropping the characters XML cannot
hold at all (a control character would make the whole image unreadable); no template
engine, because these are served hard (READMEs, the status page's lazy images) and
must stay cheap.
"""

from __future__ import annotations

import re
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
MAINTENANCE = "#6a1b9a"  # a day entirely inside maintenance windows
OTHER = "#8d6e00"  # statuses the spec does not know


def colour(status: str | None) -> str:
    if status is None:
        return NO_DATA
    return COLOURS.get(status, OTHER)


# Characters XML 1.0 cannot contain, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# shields.io's styles that Pond draws (?style=); "flat" is shields.io's default too.
STYLES = ("flat", "flat-square")


def _text(text: str) -> str:
    return escape(_NOT_XML.sub("", text))


def _text_width(text: str) -> int:
    # Verdana 11px averages ~6.5 px a character; exact metrics are not worth a font table.
    return int(len(text) * 6.5) + 10


def badge_svg(label: str, message: str, fill: str, *, style: str = "flat") -> str:
    """A shields.io-style badge: `label | message` (only the message when `label` is
    empty), `flat` (rounded, a light gradient) or `flat-square`."""
    if style not in STYLES:
        raise ValueError(f"style: expected one of {', '.join(STYLES)}")
    label, message = _NOT_XML.sub("", label), _NOT_XML.sub("", message)
    label_w = _text_width(label) if label else 0
    message_w = _text_width(message)
    width = label_w + message_w
    label_e, message_e = escape(label), escape(message)
    title = f"{label_e}: {message_e}" if label else message_e
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" '
        f'aria-label="{title}">',
        f"<title>{title}</title>",
    ]
    shapes = (f'<rect width="{label_w}" height="20" fill="#555"/>' if label else "") + (
        f'<rect x="{label_w}" width="{message_w}" height="20" fill="{fill}"/>'
    )
    if style == "flat":
        parts += [
            '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" '
            'stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>',
            f'<clipPath id="r"><rect width="{width}" height="20" rx="3" fill="#fff"/></clipPath>',
            f'<g clip-path="url(#r)">{shapes}<rect width="{width}" height="20" fill="url(#s)"/></g>',
        ]
    else:
        parts.append(shapes)
    parts.append(
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">'
    )
    if label:
        parts.append(f'<text x="{label_w / 2:.1f}" y="14">{label_e}</text>')
    parts.append(f'<text x="{label_w + message_w / 2:.1f}" y="14">{message_e}</text></g></svg>')
    return "".join(parts)


def _percent(value: float | None) -> str:
    return "no data" if value is None else f"{value * 100:.2f}% up"


def _hours(seconds: float) -> str:
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours and minutes else f"{hours} h" if hours else f"{minutes} min"


def bar_svg(days: Sequence[Day], *, label: str = "") -> str:
    """One 3x20 cell a day, coloured by the day's worst status, with a tooltip each."""
    cell, gap = 3, 1
    width = len(days) * (cell + gap) - gap if days else 0
    title = _text(f"{label}: last {len(days)} days" if label else f"last {len(days)} days")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" '
        f'viewBox="0 0 {width} 20" role="img" aria-label="{title}">',
        f"<title>{title}</title>",
    ]
    for index, day in enumerate(days):
        worst = day.worst or "no data"
        if day.maintenance:
            tip, fill = _text(f"{day.day.isoformat()}: maintenance"), MAINTENANCE
        else:
            # A day partly in maintenance is judged on the rest of it.
            extra = f", maintenance {_hours(day.maintenance_seconds)}" if day.maintenance_seconds else ""
            tip = _text(f"{day.day.isoformat()}: {worst}, {_percent(day.uptime)}{extra}")
            fill = colour(day.worst)
        parts.append(
            f'<rect x="{index * (cell + gap)}" width="{cell}" height="20" rx="1" '
            f'fill="{fill}"><title>{tip}</title></rect>'
        )
    parts.append("</svg>")
    return "".join(parts)
