"""Insight panels other pages show, built by their views (templates load no data)."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import QueryDict
from django.utils import timezone

from webui.dashboard.charts import Point, line_chart
from webui.insights import selectors
from webui.jfrogml.client import upstream_namespace
from webui.jfrogml.errors import JFrogMLError
from webui.jfrogml.locks import lock

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

    They span every model (at 10,000 models a few hundred milliseconds to count), so
    they are kept in the shared cache and counted by one process at a time while the
    others show the kept ones: again after POND_INSIGHTS_ATTENTION_SECONDS, or, once a
    write through Pond changed the catalog, as soon as they are
    POND_INSIGHTS_ATTENTION_AFTER_WRITE seconds old (under a stream of writes, at most
    that often instead of once per write).
    """
    from webui.jfrogml import catalog

    seconds = settings.POND_INSIGHTS_ATTENTION_SECONDS
    if seconds <= 0:
        return _count_attention()[0]
    key = f"insights:attention:{upstream_namespace()}"
    stamp = catalog.catalog_stamp()
    kept = _kept(key)
    if kept is not None and _current(kept, stamp):
        return {"attention": kept["counts"]}
    with lock(f"insights-attention:{upstream_namespace()}", timeout=60, blocking=kept is None) as mine:
        if not mine and kept is not None:
            return {"attention": kept["counts"]}  # another process is counting
        again = _kept(key)
        if again is not None and _current(again, stamp):
            return {"attention": again["counts"]}  # counted while this one waited
        panel, counts = _count_attention()
        if counts is not None:
            try:
                # Kept past its age: shown while the next count is made.
                cache.set(key, {"counts": counts, "stamp": stamp, "at": time.time()}, timeout=max(4 * seconds, 60))
            except Exception:
                log.warning("could not keep the insight counts", exc_info=True)
        return panel


def _kept(key: str) -> dict[str, Any] | None:
    try:
        kept = cache.get(key)
    except Exception:  # a cache outage costs speed, never the overview
        return None
    ok = isinstance(kept, dict) and isinstance(kept.get("counts"), selectors.Attention)
    return kept if ok else None


def _current(kept: dict[str, Any], stamp: str) -> bool:
    age = time.time() - kept["at"]
    if age >= settings.POND_INSIGHTS_ATTENTION_SECONDS:
        return False
    return kept["stamp"] == stamp or age < settings.POND_INSIGHTS_ATTENTION_AFTER_WRITE


def _count_attention() -> tuple[dict[str, Any], selectors.Attention | None]:
    """(the panel, the counts worth keeping: None when the deployments were unknown)."""
    from webui.insights.sources import estate_load

    try:
        estate = estate_load(with_experiments=True)
    except JFrogMLError as exc:
        return {"error": exc.message}, None
    counts = selectors.attention(estate)
    return {"attention": counts}, counts if estate.deployments_known else None


def weekly(weeks: int | None = None) -> dict[str, Any]:
    """Versions promoted and deployments failed per week (Pond's own records)."""
    rows = selectors.weekly_activity(now=timezone.now(), weeks=weeks or settings.POND_INSIGHTS_TREND_WEEKS)
    peak = max([1, *(max(r.promoted, r.failed) for r in rows)])
    return {"weeks": rows, "peak": peak}
