"""Insight panels other pages show, built by their views (templates load no data)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import QueryDict
from django.utils import timezone

from webui.dashboard.charts import Point, line_chart
from webui.insights import selectors
from webui.jfrogml.client import upstream_namespace
from webui.jfrogml.errors import JFrogMLError

log = logging.getLogger("pond.insights")


def metric_trend(*, data: Any, metric: str, ledger_entries: list, query: QueryDict, param: str) -> dict[str, Any]:
    """A metric across the model's versions (from the model page's `data`, no upstream
    call), production versions by effective status marked, promotion dates from the
    ledger entries the view read. The picker submits `param`, keeping the page's other
    query parameters."""
    trend = selectors.metric_trend(
        model_id=data.model.id, versions=list(data.versions), metric=metric, ledger_entries=ledger_entries
    )
    chart = (
        line_chart([Point(p.label, p.value, marked=p.production) for p in trend.plotted], title=f"{trend.metric} across versions")
        if trend.metric
        else ""
    )
    keep = [(k, v) for k, values in query.lists() if k != param for v in values]
    return {"trend": trend, "chart": chart, "param": param, "keep": keep}


def attention() -> dict[str, Any]:
    """The overview's counts: models that need attention, hygiene findings, unknown
    resources; `{"error": ...}` when even the cached data is unavailable.

    They span every model, so they are kept in the shared cache for
    POND_INSIGHTS_ATTENTION_SECONDS, under the catalog's stamp: a write through Pond
    patches the catalog, and the next overview counts afresh.
    """
    from webui.insights.sources import estate_load
    from webui.jfrogml import catalog

    seconds = settings.POND_INSIGHTS_ATTENTION_SECONDS
    if seconds > 0:
        try:
            kept = cache.get(_attention_key(catalog.catalog_stamp()))
        except Exception:  # a cache outage costs speed, never the overview
            kept = None
        if isinstance(kept, selectors.Attention):
            return {"attention": kept}
    try:
        estate = estate_load(with_experiments=True)
    except JFrogMLError as exc:
        return {"error": exc.message}
    counts = selectors.attention(estate)
    if seconds > 0 and estate.deployments_known:
        try:
            # Under the stamp of the catalog the counts were made from (loading the
            # estate may have built it).
            cache.set(_attention_key(catalog.catalog_stamp()), counts, timeout=seconds)
        except Exception:
            log.warning("could not keep the insight counts", exc_info=True)
    return {"attention": counts}


def _attention_key(stamp: str) -> str:
    return f"insights:attention:{upstream_namespace()}:{stamp}"


def weekly(weeks: int | None = None) -> dict[str, Any]:
    """Versions promoted and deployments failed per week (Pond's own records)."""
    rows = selectors.weekly_activity(now=timezone.now(), weeks=weeks or settings.POND_INSIGHTS_TREND_WEEKS)
    peak = max([1, *(max(r.promoted, r.failed) for r in rows)])
    return {"weeks": rows, "peak": peak}
