"""Template tags other pages use to show promotions: `{% load reviews %}`.

- `{% pending_reviews_count as n %}` — pending requests, for the navigation.
- `{% version_history model_id version_id %}` — a version's ledger, oldest first.
- `{% version_status model_id version %}` — a status badge from the effective status
  (one query); `{% effective_statuses model_id versions as statuses %}` then
  `{% status_for statuses version %}` for lists (one query for the list).
- `{% promotion_actions model_id version %}` — request/pending links for a version.
- `{% production_on_form model_id %}` — "what was in production on …?".
- `{% without_production_alert %}` — an alert naming every model a failed rollback
  left without a production version (nothing when there is none; one query).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from webui.reviews import selectors
from webui.reviews.effective import (
    EffectiveStatus,
    version_effective_status,
    versions_effective_status,
)
from webui.reviews.forms import ProductionOnForm

register = template.Library()


@register.simple_tag
def pending_reviews_count() -> int:
    return selectors.pending_count()


@register.inclusion_tag("reviews/_version_history.html")
def version_history(model_id: Any, version_id: Any) -> dict:
    return {
        "entries": list(selectors.version_history(model_id=str(model_id), version_id=str(version_id))),
        "model_id": model_id,
        "version_id": version_id,
    }


@register.simple_tag
def effective_statuses(model_id: Any, versions: Any) -> dict[str, EffectiveStatus]:
    return versions_effective_status(
        versions=list(versions or ()), ledger_entries=selectors.ledger_for_versions(model_id=str(model_id))
    )


def _badge(status: EffectiveStatus) -> SafeString:
    css = status.status if status.status in {"draft", "staging", "production", "archived"} else "unknown"
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
def status_for(statuses: dict, version: Any) -> SafeString:
    status = (statuses or {}).get(str(getattr(version, "id", "")))
    if status is None:
        status = EffectiveStatus(str(getattr(version, "status", "") or ""), "upstream")
    return _badge(status)


@register.simple_tag
def version_status(model_id: Any, version: Any) -> SafeString:
    entries = selectors.model_applied_entries(model_id=str(model_id)).filter(
        version_id=str(version.id)
    )
    return _badge(version_effective_status(version=version, ledger_entries=entries))


@register.inclusion_tag("reviews/_promotion_actions.html", takes_context=True)
def promotion_actions(context: template.Context, model_id: Any, version: Any) -> dict:
    user = context.get("user")
    pending = selectors.pending_requests().filter(model_id=str(model_id), version_id=str(version.id)).first()
    return {
        "model_id": model_id,
        "version": version,
        "pending": pending,
        "can_request": bool(user and user.has_perm("dashboard.request_promotion")),
    }


@register.inclusion_tag("reviews/_production_on_form.html")
def production_on_form(model_id: Any) -> dict:
    return {"model_id": model_id, "form": ProductionOnForm()}


@register.inclusion_tag("reviews/_without_production.html")
def without_production_alert() -> dict:
    return {"decisions": selectors.models_left_without_production()}


@register.filter
def signed(value: Any) -> str:
    """A delta with its sign (+0.03, −0.1); empty when unknown."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return ""
    if value == 0:
        return "±0"
    text = f"{abs(value):.4g}"
    return f"+{text}" if value > 0 else f"−{text}"
