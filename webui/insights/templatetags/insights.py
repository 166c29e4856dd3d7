"""Insights for other pages: the overview's counts and weekly trend, the model page's
metric trend. `{% load insights %}` then one tag where the partial belongs."""

from __future__ import annotations

import logging
from typing import Any

from django import template
from django.conf import settings
from django.utils import timezone

from webui.insights import selectors
from webui.jfrogml.errors import JFrogMLError

log = logging.getLogger("pond.insights")
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
    return f"{value / selectors.GIB:.2f}".rstrip("0").rstrip(".") or "0"


@register.filter
def total_tables(report: selectors.ResourceReport) -> list[tuple[str, list, str]]:
    return [("Per model", report.by_model, "model"), ("Per tag", report.by_tag, "tag")]


@register.inclusion_tag("insights/_attention.html")
def insights_attention() -> dict[str, Any]:
    """The overview's counts: models that need attention, hygiene findings, unknown resources.

    Reads the same cached data as the pages; if even that is unavailable the partial
    says so instead of failing the overview.
    """
    from webui.insights.sources import estate_load

    try:
        estate = estate_load(with_experiments=True)
    except JFrogMLError as exc:
        return {"error": exc.message}
    return {"attention": selectors.attention(estate), "errors": estate.errors}


@register.inclusion_tag("insights/_weekly.html")
def insights_weekly(weeks: int | None = None) -> dict[str, Any]:
    """Versions promoted and deployments failed per week (Pond's own records)."""
    count = int(weeks or getattr(settings, "POND_INSIGHTS_TREND_WEEKS", 12))
    rows = selectors.weekly_activity(now=timezone.now(), weeks=count)
    peak = max([1, *(max(r.promoted, r.failed) for r in rows)])
    return {"weeks": rows, "peak": peak}


@register.inclusion_tag("insights/_metric_trend.html", takes_context=True)
def insights_metric_trend(context: template.Context, data: Any, metric: str = "") -> dict[str, Any]:
    """A metric across the model's versions (from the model page's `data`, no extra
    upstream call), production versions by effective status marked, promotion dates
    from the ledger. The metric comes from the argument, else `?trend=`."""
    from webui.dashboard.charts import Point, line_chart
    from webui.reviews.selectors import model_applied_entries

    request = context.get("request")
    chosen = metric or (request.GET.get("trend", "") if request is not None else "")
    model_id = data.model.id
    trend = selectors.metric_trend(
        model_id=model_id,
        versions=list(data.versions),
        metric=chosen,
        ledger_entries=list(model_applied_entries(model_id=model_id)),
    )
    chart = (
        line_chart(
            [Point(p.label, p.value, marked=p.production) for p in trend.plotted],
            title=f"{trend.metric} across versions",
        )
        if trend.metric
        else ""
    )
    return {"trend": trend, "chart": chart, "request": request}
