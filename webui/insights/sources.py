"""Gather everything the insights need, once per page, without one upstream call per model.

An `Estate` is a snapshot of what Pond knows: the service layer's catalog (every model
and its versions), the cached deployment list the poller keeps fresh, the cached
experiment list, the promotion ledger, the poller's per-deployment state and the
resources Pond recorded at deployment creation. The selectors are pure functions over
it, so they are easy to test and cost nothing upstream.

Upstream cost of `estate_load()`: the catalog (built once, then refreshed by Celery),
the deployment list and the experiment list: each one cached read, never per model.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from webui.jfrogml import catalog, services
from webui.jfrogml.errors import JFrogMLError
from webui.jfrogml.freshness import Freshness
from webui.jfrogml.memo import Memo
from webui.jfrogml.resources import Deployment, Experiment

log = logging.getLogger("pond.insights")



@dataclass(frozen=True)
class VersionRef:
    """A version as the catalog knows it; `.id`/`.status` suit `version_effective_status`."""

    id: str
    model_id: str
    label: str
    status: str
    created_at: datetime | None
    artifact_path: str = ""


@dataclass(frozen=True)
class ModelRef:
    id: str
    name: str
    tags: tuple[str, ...]
    # None when the catalog has not fetched this model's versions yet.
    versions: tuple[VersionRef, ...] | None
    versions_count: int | None = None

    @property
    def display_name(self) -> str:
        return self.name or self.id


@dataclass(frozen=True)
class ObservedState:
    """What the poller saw last: the raw status and since when."""

    status: str
    since: datetime | None


@dataclass(frozen=True)
class RecordedResources:
    cpu: str
    memory: str
    gpu: int | None
    replicas: int


@dataclass
class Estate:
    models: list[ModelRef]
    deployments: list[Deployment]
    # False when no deployment list could be read at all (JFrog ML down, nothing cached).
    deployments_known: bool
    experiments: list[Experiment] | None
    ledger: list[Any]
    states: dict[str, ObservedState]
    resources: dict[str, RecordedResources]
    freshness: Freshness
    catalog_complete: bool
    now: datetime
    errors: list[str] = field(default_factory=list)
    # Pond's record: model id → the decision whose failed restore left it without production.
    left_without_production: dict[str, Any] = field(default_factory=dict)
    # Version id → its latest change seen made outside Pond that no promotion followed.
    observed: dict[str, Any] = field(default_factory=dict)
    _versions_by_id: dict[str, VersionRef] | None = None
    _models_by_id: dict[str, ModelRef] | None = None

    @property
    def models_by_id(self) -> dict[str, ModelRef]:
        if self._models_by_id is None:
            models = self.models
            self._models_by_id = shared_index("models", models, lambda: {m.id: m for m in models})
        return self._models_by_id

    @property
    def versions_by_id(self) -> dict[str, VersionRef]:
        if self._versions_by_id is None:
            models = self.models
            self._versions_by_id = shared_index(
                "versions", models, lambda: {v.id: v for m in models for v in (m.versions or ())}
            )
        return self._versions_by_id


# Lookups over the model list of the last estate, by name: estates made from one
# loaded catalog share its model list (see `_models_from_catalog`), so they share
# these too instead of indexing 100,000 versions per page. Shared: never mutate.
_indexes = Memo(maxsize=32)


def shared_index(name: str, models: list[ModelRef], build: Callable[[], Any]) -> Any:
    """build() once per model list (by identity) under `name`; shared, never mutate it."""
    return _indexes.recall(name, models, build)


def _dt(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, UTC) if isinstance(ts, int | float) else None


def _models_from_catalog(cat: catalog.Catalog) -> list[ModelRef]:
    """ModelRefs for every catalog row: built once per loaded catalog (100,000 versions
    take the better part of a second to turn into VersionRefs with dates), and after a
    write only for the rows it changed; shared by every estate made from it."""
    return cat.per_row("insights:model", _model_ref)


def _model_ref(row: catalog.ModelRow) -> ModelRef:
    return ModelRef(
        id=row.id,
        name=row.name or "",
        tags=tuple(row.tags or ()),
        versions=None
        if row.versions is None
        else tuple(
            VersionRef(
                id=v.id,
                model_id=row.id,
                label=v.label or v.id,
                status=v.status or "",
                created_at=_dt(v.created),
                artifact_path=v.artifact_path or "",
            )
            for v in row.versions
        ),
        versions_count=row.versions_count,
    )


def _ledger() -> list[Any]:
    from webui.reviews.models import LedgerEntry

    return list(
        LedgerEntry.objects.filter(
            kind=LedgerEntry.APPLY, outcome__in=(LedgerEntry.UPSTREAM, LedgerEntry.POND)
        ).order_by("created_at", "id")
    )


def _left_without_production() -> dict[str, Any]:
    from webui.reviews.selectors import models_left_without_production

    return {decision.model_id: decision for decision in models_left_without_production()}


def _observed() -> dict[str, Any]:
    from webui.activity.observed import unexplained

    return unexplained()


def _states() -> dict[str, ObservedState]:
    from webui.status.models import GONE, DeploymentState

    return {
        did: ObservedState(status=status, since=since)
        for did, status, since in DeploymentState.objects.exclude(status=GONE).values_list(
            "deployment_id", "status", "status_since"
        )
    }


def _resources() -> dict[str, RecordedResources]:
    from webui.dashboard.models import DeploymentResources

    return {
        did: RecordedResources(cpu=cpu or "", memory=memory or "", gpu=gpu, replicas=replicas)
        for did, cpu, memory, gpu, replicas in DeploymentResources.objects.values_list(
            "deployment_id", "cpu", "memory", "gpu", "replicas"
        )
    }


def _failed(error: str) -> Freshness:
    return Freshness(fetched_at=None, age_seconds=None, stale=True, error=error)


def estate_load(*, with_experiments: bool = False, now: datetime | None = None) -> Estate:
    """Everything the insights read. Raises Unavailable only when there is no catalog
    and JFrog ML cannot build one; a missing deployment or experiment list is
    reported in `.errors` and the page still renders."""
    cat = catalog.get_catalog()
    errors: list[str] = []
    parts = [Freshness.from_timestamp(cat.built_at)]
    deployments: list[Deployment] = []
    deployments_known = True
    try:
        listing = services.deployment_statuses()
        deployments = listing.deployments
        parts.append(listing.freshness)
    except JFrogMLError as exc:
        deployments_known = False
        errors.append(f"Deployment status is unknown: {exc.message}")
        parts.append(_failed(exc.message))
    experiments: list[Experiment] | None = None
    if with_experiments:
        try:
            result = services.experiment_list()
            experiments = list(result.experiments)
            parts.append(result.freshness)
        except JFrogMLError as exc:
            errors.append(f"Experiments are unknown: {exc.message}")
            parts.append(_failed(exc.message))
    return Estate(
        models=_models_from_catalog(cat),
        deployments=deployments,
        deployments_known=deployments_known,
        experiments=experiments,
        ledger=_ledger(),
        states=_states(),
        resources=_resources(),
        freshness=Freshness.combine(*parts),
        catalog_complete=cat.complete,
        now=now or timezone.now(),
        errors=errors,
        left_without_production=_left_without_production(),
        observed=_observed(),
    )
