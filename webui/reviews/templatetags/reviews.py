"""Template tags other pages use to show promotions: `{% load reviews %}`. They format
what the view handed over and read no data (webui.reviews.selectors does).

- `{% effective_badge status %}` — a badge for an `EffectiveStatus`.
- `{% status_for statuses version %}` — the badge of a version in a list, from the
  `{version id: EffectiveStatus}` the view computed from one ledger read.
- `{{ delta|signed }}` — a delta with its sign.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from webui.jfrogml.resources import VERSION_STATUSES
from webui.reviews.effective import EffectiveStatus

register = template.Library()


def _badge(status: EffectiveStatus) -> SafeString:
    css = status.status if status.status in VERSION_STATUSES else "unknown"
    marker = ""
    if status.pond_only:
        marker = format_html(
            ' <span class="badge badge-unknown" title="{}" data-testid="pond-status-marker">recorded by Pond</span>',
            status.note,
        )
    elif status.disagrees:
        marker = format_html(
            ' <span class="badge badge-failed" title="{}" data-testid="status-disagrees">changed outside Pond</span>',
            status.note,
        )
    return format_html(
        '<span class="badge badge-{}" data-effective-status="{}" title="{}">{}</span>{}',
        css,
        status.status,
        status.note,
        status.status or "unknown",
        marker,
    )


@register.simple_tag
def effective_badge(status: EffectiveStatus | None) -> SafeString:
    return _badge(status if status is not None else EffectiveStatus("", "upstream"))


@register.simple_tag
def status_for(statuses: dict, version: Any) -> SafeString:
    status = (statuses or {}).get(str(getattr(version, "id", "")))
    if status is None:
        status = EffectiveStatus(str(getattr(version, "status", "") or ""), "upstream")
    return _badge(status)


@register.filter
def signed(value: Any) -> str:
    """A delta with its sign (+0.03, −0.1); empty when unknown."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return ""
    if value == 0:
        return "±0"
    text = f"{abs(value):.4g}"
    return f"+{text}" if value > 0 else f"−{text}"
