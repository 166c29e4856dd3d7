"""Formatting filters for the insights pages (their data comes from webui.insights.panels
and the views)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def cores(value: Any) -> str:
    """CPU cores, compact: 0.5, 2, 1.25."""
    if not isinstance(value, int | float):
        return "—"
    return f"{value:.3f}".rstrip("0").rstrip(".") or "0"


@register.filter
def gib(value: Any) -> str:
    """Bytes as GiB with up to two decimals."""
    if not isinstance(value, int | float):
        return "—"
    return f"{value / 2**30:.2f}".rstrip("0").rstrip(".") or "0"
