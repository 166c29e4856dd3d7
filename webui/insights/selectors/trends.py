"""The overview's counts and weekly activity, and a metric across a model's versions."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncWeek

# A deployment in one of these is (or is about to be) answering requests.
from webui.insights.selectors._shared import (
    url_for,
)
from webui.insights.selectors.hygiene import (
    hygiene,
)
from webui.insights.selectors.production import (
    production_truth,
)
from webui.insights.selectors.resources import (
    resource_report,
)
from webui.insights.sources import Estate
from webui.reviews.effective import versions_effective_status

# --- attention (the overview's counts) -------------------------------------------------------


@dataclass(frozen=True)
class Attention:
    problem_models: int
    hygiene_findings: int
    unknown_resources: int
    deployments_known: bool


def attention(estate: Estate) -> Attention:
    report = resource_report(estate)
    return Attention(
        problem_models=production_truth(estate, only_problems=True).problem_models,
        hygiene_findings=hygiene(estate).total,
        unknown_resources=report.total.unknown,
        deployments_known=estate.deployments_known,
    )


# --- trends -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    version_id: str
    label: str
    value: float | None
    created_at: datetime | None
    status: str
    status_source: str
    production: bool
    promoted_at: tuple[datetime, ...]
    url: str


@dataclass(frozen=True)
class MetricTrend:
    model_id: str
    metric: str
    metric_names: list[str]
    points: list[TrendPoint]

    @property
    def plotted(self) -> list[TrendPoint]:
        return [p for p in self.points if p.value is not None]


def metric_trend(*, model_id: str, versions: list[Any], metric: str, ledger_entries: list[Any]) -> MetricTrend:
    """One metric across a model's versions in creation order, production versions (by
    effective status) marked, with the dates the ledger promoted each to production.

    `versions` are the model page's full versions (with metrics): no extra upstream call.
    """
    names = sorted({n for v in versions for n in (v.metrics or {})})
    if metric not in names:
        metric = names[0] if names else ""
    effective = versions_effective_status(versions=versions, ledger_entries=ledger_entries)
    promoted: dict[str, list[datetime]] = defaultdict(list)
    for entry in ledger_entries:
        # A compensation (restoring the version a failed decision archived) is no promotion.
        compensation = bool((getattr(entry, "details", None) or {}).get("compensation"))
        if entry.to_status == "production" and getattr(entry, "applied", False) and not compensation:
            promoted[str(entry.version_id)].append(entry.created_at)
    ordered = sorted(versions, key=lambda v: (v.created_at is None, v.created_at or datetime.min, v.id))
    points = []
    for v in ordered:
        raw = (v.metrics or {}).get(metric)
        value = float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw) else None
        eff = effective.get(str(v.id))
        points.append(
            TrendPoint(
                version_id=v.id,
                label=getattr(v, "label", None) or v.version or v.id,
                value=value,
                created_at=v.created_at,
                status=eff.status if eff else (v.status or ""),
                status_source=eff.source if eff else "upstream",
                production=bool(eff and eff.status == "production"),
                promoted_at=tuple(sorted(promoted.get(str(v.id), ()))),
                url=url_for("version_detail", model_id, v.id),
            )
        )
    return MetricTrend(model_id=model_id, metric=metric, metric_names=names, points=points)


@dataclass(frozen=True)
class WeekActivity:
    start: date
    promoted: int
    failed: int


def weekly_activity(*, now: datetime, weeks: int) -> list[WeekActivity]:
    """Versions promoted to production (ledger) and deployments that failed (status
    events) per ISO week (Monday to Sunday, UTC), oldest first, this week included."""
    from webui.reviews.models import LedgerEntry
    from webui.status.models import DeploymentEvent

    today = now.astimezone(UTC).date()
    this_monday = today - timedelta(days=today.weekday())
    first = this_monday - timedelta(weeks=weeks - 1)
    since = datetime(first.year, first.month, first.day, tzinfo=UTC)
    promoted: Counter = Counter()
    for created, details in LedgerEntry.objects.filter(
        kind=LedgerEntry.APPLY,
        outcome__in=(LedgerEntry.UPSTREAM, LedgerEntry.POND),
        to_status="production",
        created_at__gte=since,
    ).values_list("created_at", "details"):
        if not (details or {}).get("compensation"):  # restoring what a failed decision archived is no promotion
            promoted[_monday(created)] += 1
    # Counted by the database per week: months of status history are many rows.
    failed: Counter = Counter()
    for week, count in (
        DeploymentEvent.objects.filter(to_status="failed", observed_at__gte=since)
        .annotate(week=TruncWeek("observed_at", tzinfo=UTC))
        .values("week")
        .annotate(count=Count("id"))
        .values_list("week", "count")
    ):
        failed[_monday(week)] += count
    return [
        WeekActivity(start=first + timedelta(weeks=i), promoted=promoted[first + timedelta(weeks=i)], failed=failed[first + timedelta(weeks=i)])
        for i in range(weeks)
    ]


def _monday(moment: datetime) -> date:
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())
