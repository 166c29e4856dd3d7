"""Insights for other pages: the overview's counts and weekly trend, the model page's
metric trend. `{% load insights %}` then one tag where the partial belongs."""

from __future__ import annotations

import logging
import time
from typing import Any

from django import template
from django.conf import settings
from django.core.cache import caches
from django.utils import timezone

from webui.core import pagecache
from webui.insights import selectors
from webui.jfrogml.client import upstream_namespace
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


@register.inclusion_tag("insights/_attention.html")
def insights_attention() -> dict[str, Any]:
    """The overview's counts: models that need attention, hygiene findings, unknown resources.

    Reads the same cached data as the pages; if even that is unavailable the partial
    says so instead of failing the overview.
    """
    from webui.insights.sources import estate_load

    # The overview is Pond's busiest page and the counts span every model: they are
    # kept for a few seconds (POND_INSIGHTS_ATTENTION_SECONDS) like the data they read.
    # They are also kept in this process until the same moment, so that a page after
    # the shared cache was emptied (a Redis restart) does not recompute them at once.
    ttl = float(getattr(settings, "POND_INSIGHTS_ATTENTION_SECONDS", 0))
    # Per page-cache generation as well: a write through Pond shows in them at once.
    key = f"insights:attention:{upstream_namespace()}:{pagecache.generation()}"
    if ttl > 0:
        local = _kept.get(_local_key(key))
        if local is not None and time.time() < local[0]:
            return {"attention": local[1]}
        try:
            kept = caches["default"].get(key)
        except Exception:  # a cache outage costs speed, never the overview
            kept = None
        if isinstance(kept, dict) and isinstance(kept.get("counts"), selectors.Attention):
            until = float(kept.get("until") or 0.0)
            if time.time() < until:
                _keep(_local_key(key), (until, kept["counts"]))
                return {"attention": kept["counts"]}
    try:
        estate = estate_load(with_experiments=True, with_artifacts=True)
    except JFrogMLError as exc:
        return {"error": exc.message}
    counts = selectors.attention(estate)
    if ttl > 0 and estate.deployments_known:
        until = time.time() + ttl
        _keep(_local_key(key), (until, counts))
        try:
            caches["default"].set(key, {"counts": counts, "until": until}, timeout=ttl)
        except Exception:
            log.warning("could not keep the insight counts", exc_info=True)
    return {"attention": counts}


# key -> (until, counts): the overview's counts as this process last computed or read
# them, valid until the same moment as the shared entry.
_kept: dict[tuple[str, str], tuple[float, selectors.Attention]] = {}


def _keep(local_key: tuple[str, str], value: tuple[float, selectors.Attention]) -> None:
    # One entry per shared cache: those of older generations go.
    for other in [k for k in _kept if k[1] == local_key[1] and k != local_key]:
        _kept.pop(other, None)
    _kept[local_key] = value


def _local_key(key: str) -> tuple[str, str]:
    # Per shared cache too (tests give each test a cache of its own).
    conf = settings.CACHES.get("default", {})
    return key, f"{conf.get('LOCATION')}|{conf.get('KEY_PREFIX', '')}"


@register.inclusion_tag("insights/_weekly.html")
def insights_weekly(weeks: int | None = None) -> dict[str, Any]:
    """Versions promoted and deployments failed per week (Pond's own records)."""
    count = int(weeks or getattr(settings, "POND_INSIGHTS_TREND_WEEKS", 12))
    rows = selectors.weekly_activity(now=timezone.now(), weeks=count)
    peak = max([1, *(max(r.promoted, r.failed) for r in rows)])
    return {"weeks": rows, "peak": peak}


@register.inclusion_tag("insights/_metric_trend.html", takes_context=True)
def insights_metric_trend(context: template.Context, data: Any, metric: str = "", param: str = "trend") -> dict[str, Any]:
    """A metric across the model's versions (from the model page's `data`, no extra
    upstream call), production versions by effective status marked, promotion dates
    from the ledger. The metric comes from the argument, else the query parameter
    `param` (`?trend=` by default), which the partial's picker submits, keeping the
    page's other query parameters."""
    from webui.dashboard.charts import Point, line_chart
    from webui.reviews.selectors import model_applied_entries

    request = context.get("request")
    chosen = metric or (request.GET.get(param, "") if request is not None else "")
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
    keep = [(k, v) for k, values in request.GET.lists() if k != param for v in values] if request is not None else []
    return {"trend": trend, "chart": chart, "param": param, "keep": keep}
