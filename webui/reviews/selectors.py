"""Promotion workflow reads: the queue, the ledger, history, comparisons."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from django.db.models import QuerySet

from webui.jfrogml.metrics import metric_direction
from webui.reviews.effective import EffectiveStatus, version_effective_status
from webui.reviews.models import Decision, DecisionStep, LedgerEntry, ReviewRequest

# --- the queue -------------------------------------------------------------------------------


def pending_requests() -> QuerySet[ReviewRequest]:
    """Pending requests, oldest first: the reviewers' queue."""
    return ReviewRequest.objects.filter(state=ReviewRequest.PENDING).order_by("created_at", "id")


def pending_count() -> int:
    return ReviewRequest.objects.filter(state=ReviewRequest.PENDING).count()


def request_get(*, request_id: int) -> ReviewRequest:
    return ReviewRequest.objects.select_related("requested_by", "decided_by").get(pk=request_id)


def decision_steps(*, request: ReviewRequest) -> list[DecisionStep]:
    """The plan of an approved request, step by step (empty before it is decided)."""
    return list(DecisionStep.objects.filter(decision__request=request).order_by("order"))


def models_left_without_production() -> list[Decision]:
    """Per model, the decision that left it without a production version (its restore
    failed), unless a later decision of that model put a version in production.

    Pond's record only: a version set to production in JFrog ML directly since then
    is not seen here (the production truth page, which reads JFrog ML, is).
    """
    left: dict[str, Decision] = {}
    for decision in Decision.objects.filter(state=Decision.UNRESTORED).order_by("-created_at", "-id"):
        if decision.model_id in left:
            continue
        fixed = Decision.objects.filter(
            model_id=decision.model_id,
            created_at__gt=decision.created_at,
            state=Decision.APPLIED,
            to_status="production",
        ).exists()
        if not fixed:
            left[decision.model_id] = decision
    return sorted(left.values(), key=lambda d: (d.model_name or d.model_id).lower())


# --- the ledger --------------------------------------------------------------------------------


def version_history(*, model_id: str, version_id: str) -> QuerySet[LedgerEntry]:
    """Everything that happened to one version, oldest first."""
    return LedgerEntry.objects.filter(model_id=model_id, version_id=version_id).order_by("created_at", "id")


def model_applied_entries(*, model_id: str) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(
        model_id=model_id, kind=LedgerEntry.APPLY, outcome__in=(LedgerEntry.UPSTREAM, LedgerEntry.POND)
    ).order_by("created_at", "id")


def ledger_for_versions(*, model_id: str) -> list[LedgerEntry]:
    """The applied entries that effective statuses are computed from (one query)."""
    return list(model_applied_entries(model_id=model_id))


@dataclass(frozen=True)
class VersionPromotions:
    """What a version's page shows of Pond's record: its effective status, its ledger
    (oldest first) and the request pending for it, if any."""

    status: EffectiveStatus
    history: list[LedgerEntry]
    pending: ReviewRequest | None


def version_promotions(*, model_id: str, version: Any) -> VersionPromotions:
    """One read of the version's ledger serves both its history and its status."""
    history = list(version_history(model_id=model_id, version_id=str(version.id)))
    return VersionPromotions(
        status=version_effective_status(version=version, ledger_entries=history),
        history=history,
        pending=pending_requests().filter(model_id=model_id, version_id=str(version.id)).first(),
    )


# --- what was in production when ----------------------------------------------------------------


@dataclass(frozen=True)
class ProductionAt:
    version_id: str
    version_label: str
    since: datetime | None
    # True when Pond saw it leave production later but has no record of it arriving:
    # it was already production when Pond's record of it begins.
    inferred: bool = False
    source: str = ""


def _cutoff(when: date | datetime) -> datetime:
    if isinstance(when, datetime):
        return when if when.tzinfo else when.replace(tzinfo=UTC)
    return datetime.combine(when, time.max, tzinfo=UTC)


def production_on(*, model_id: str, date: date | datetime) -> list[ProductionAt]:
    """The versions of a model that were in production at the end of `date` (UTC),
    or at that moment for a datetime, as Pond's ledger records it."""
    cutoff = _cutoff(date)
    state: dict[str, tuple[str, datetime, str, str]] = {}
    first_after: dict[str, LedgerEntry] = {}
    for entry in model_applied_entries(model_id=model_id):
        if entry.created_at <= cutoff:
            state[entry.version_id] = (entry.to_status, entry.created_at, entry.version_label, entry.outcome)
        else:
            first_after.setdefault(entry.version_id, entry)
    rows = [
        ProductionAt(version_id=vid, version_label=label, since=since, source=outcome)
        for vid, (status, since, label, outcome) in state.items()
        if status == "production"
    ]
    for vid, entry in first_after.items():
        if vid in state or entry.from_status != "production":
            continue
        created = (entry.details or {}).get("version_created_at")
        if created:
            try:
                if datetime.fromisoformat(created) > cutoff:
                    continue
            except ValueError:
                pass
        rows.append(ProductionAt(version_id=vid, version_label=entry.version_label, since=None, inferred=True))
    return sorted(rows, key=lambda r: (r.since or datetime.min.replace(tzinfo=UTC), r.version_label))


# --- the review screen's comparison --------------------------------------------------------------


@dataclass(frozen=True)
class MetricCell:
    value: float | None
    delta: float | None = None  # candidate minus this production value
    verdict: str = ""  # "better", "worse", "same", "" (unknown)


@dataclass(frozen=True)
class MetricRow:
    name: str
    direction: str | None
    candidate: float | None
    production: list[MetricCell] = field(default_factory=list)

    @property
    def regressed(self) -> bool:
        return any(c.verdict == "worse" for c in self.production)


@dataclass(frozen=True)
class ParamRow:
    name: str
    candidate: str | None
    production: list[str | None] = field(default_factory=list)


@dataclass(frozen=True)
class Comparison:
    candidate: Any
    production_versions: list[Any]
    metrics: list[MetricRow]
    parameters: list[ParamRow]  # only the parameters that differ
    same_parameters: int = 0

    @property
    def regressions(self) -> list[MetricRow]:
        return [m for m in self.metrics if m.regressed]


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _verdict(candidate: float | None, other: float | None, direction: str | None) -> tuple[float | None, str]:
    if candidate is None or other is None:
        return None, ""
    delta = candidate - other
    if math.isclose(candidate, other, rel_tol=1e-12, abs_tol=1e-12):
        return 0.0, "same"
    if direction is None:
        return delta, ""
    better = delta > 0 if direction == "higher" else delta < 0
    return delta, "better" if better else "worse"


def review_comparison(*, candidate: Any, production_versions: list[Any]) -> Comparison:
    """Metrics side by side with direction-aware deltas; parameters that differ only."""
    cand_metrics = getattr(candidate, "metrics", None) or {}
    names = sorted({*cand_metrics, *(n for v in production_versions for n in (v.metrics or {}))})
    rows = []
    for name in names:
        direction = metric_direction(name)
        cand = _num(cand_metrics.get(name))
        cells = []
        for version in production_versions:
            value = _num((version.metrics or {}).get(name))
            delta, verdict = _verdict(cand, value, direction)
            cells.append(MetricCell(value=value, delta=delta, verdict=verdict))
        rows.append(MetricRow(name=name, direction=direction, candidate=cand, production=cells))

    cand_params = getattr(candidate, "parameters", None) or {}
    pnames = sorted({*cand_params, *(n for v in production_versions for n in (v.parameters or {}))})
    params, same = [], 0
    for name in pnames:
        values = [(v.parameters or {}).get(name) for v in production_versions]
        if all(value == cand_params.get(name) for value in values):
            same += 1
            continue
        params.append(ParamRow(name=name, candidate=cand_params.get(name), production=values))
    return Comparison(
        candidate=candidate,
        production_versions=list(production_versions),
        metrics=rows,
        parameters=params,
        same_parameters=same,
    )


def model_name_known(*, model_id: str) -> str:
    """The model's name as the ledger last recorded it (no upstream call), or its id."""
    entry = LedgerEntry.objects.filter(model_id=model_id).exclude(model_name="").order_by("-created_at").first()
    return entry.model_name if entry else model_id
