"""Models and their versions: the overview, the model list, one model, one version,
comparisons, and the writes to them."""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from webui.jfrogml import cache, catalog
from webui.jfrogml.client import call_purpose, get_client
from webui.jfrogml.errors import JFrogMLError, NotFound, ValidationFailed
from webui.jfrogml.freshness import Freshness
from webui.jfrogml.resources import Deployment, Experiment, Model, ModelVersion
from webui.jfrogml.services._shared import (
    MAX_PER_PAGE,
    SORTS,
    Comparison,
    DeploymentSummary,
    _by_creation,
    _compare,
    _compare_ids,
    _deployments_or_empty,
    _derive,
    _experiments,
    _failures_first,
    _metric_names,
    _model,
    _parallel,
    _require,
    _summaries,
    _versions,
)

log = logging.getLogger("pond.jfrogml.services")


# --- overview --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewItem:
    model: Model
    version_id: str
    version: str | None
    created_at: datetime | None


@dataclass(frozen=True)
class Overview:
    model_count: int
    version_count: int
    version_status_counts: dict[str, int]
    deployments: list[Deployment]
    deployment_status_counts: dict[str, int]
    recent_models: list[Model]
    running_experiments: list[Experiment]
    experiment_count: int
    awaiting_review: list[ReviewItem]
    catalog_age: float | None
    catalog_complete: bool
    freshness: Freshness


def _experiments_or_empty() -> tuple[list[Experiment], Freshness]:
    try:
        experiments = _experiments()
        return experiments.value, experiments.freshness
    except JFrogMLError as exc:
        return [], Freshness(fetched_at=None, age_seconds=None, stale=True, error=exc.message)


def overview(*, recent: int = 8) -> Overview:
    # Independent reads, concurrently: when the cache is cold the page waits for the
    # slowest upstream list, not for the sum of them.
    cat, (deployments, dep_fresh), (exp_list, exp_fresh) = _parallel(
        catalog.get_catalog, _deployments_or_empty, _experiments_or_empty
    )
    figures = cat.overview_figures(recent=recent)
    ordered = _derive("deployments", "ordered", deployments, lambda: _failures_first(deployments))
    dep_counts = _derive(
        "deployments", "counts", deployments, lambda: dict(Counter(d.status or "unknown" for d in deployments))
    )
    running = _derive("experiments:*", "running", exp_list, lambda: [e for e in exp_list if e.status == "running"])
    cat_fresh = Freshness.from_timestamp(cat.built_at)
    return Overview(
        model_count=figures.model_count,
        version_count=figures.version_count,
        version_status_counts=dict(figures.version_status_counts),
        deployments=ordered,
        deployment_status_counts=dep_counts,
        recent_models=list(figures.recent_models),
        running_experiments=running,
        experiment_count=len(exp_list),
        awaiting_review=[
            ReviewItem(model=model, version_id=v.id, version=v.label, created_at=catalog.dt(v.created))
            for model, v in figures.awaiting_review
        ],
        catalog_age=cat.age_seconds,
        catalog_complete=cat.complete,
        freshness=Freshness.combine(dep_fresh, exp_fresh, cat_fresh),
    )


# --- model list ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelRow:
    model: Model
    deployment_status: DeploymentSummary
    version_status_counts: dict[str, int]


@dataclass(frozen=True)
class Facets:
    frameworks: list[tuple[str, int]]
    task_types: list[tuple[str, int]]
    tags: list[tuple[str, int]]
    version_statuses: list[tuple[str, int]]


@dataclass(frozen=True)
class ModelListPage:
    rows: list[ModelRow]
    total: int
    page: int
    num_pages: int
    per_page: int
    sort: str
    facets: Facets
    catalog_age: float
    catalog_complete: bool
    freshness: Freshness


def _positive_int(name: str, value: Any, *, maximum: int | None = None) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationFailed(fields={name: ["Enter a whole number."]}) from None
    if number < 1:
        raise ValidationFailed(fields={name: ["Must be 1 or more."]})
    if maximum is not None and number > maximum:
        raise ValidationFailed(fields={name: [f"Must be at most {maximum}."]})
    return number


def model_list(
    *,
    q: str = "",
    framework: str = "",
    task_type: str = "",
    tag: str = "",
    has_status: str = "",
    sort: str = "name",
    page: int = 1,
    per_page: int = 25,
) -> ModelListPage:
    sort = (sort or "name").strip()
    if sort not in SORTS:
        raise ValidationFailed(fields={"sort": [f"Unknown sort; use one of {', '.join(sorted(SORTS))}."]})
    page = _positive_int("page", page)
    per_page = _positive_int("per_page", per_page, maximum=MAX_PER_PAGE)
    cat = catalog.get_catalog()
    deployments, dep_fresh = _deployments_or_empty()

    needle = (q or "").strip().lower()
    key = sort.lstrip("-")
    reverse = sort.startswith("-")
    # Every row in this sort's order, computed once per loaded catalog: filtering keeps
    # that order (the sort is stable), so a search sorts nothing per request.
    order = cat.once(("model_list:order", sort), lambda: _sorted_indexes(cat.rows, key, reverse))
    rows, haystack, statuses = cat.rows, cat.haystack, cat.statuses
    # One pass with the cheapest tests first; the haystack is precomputed per load.
    selected = [
        rows[i]
        for i in order
        if (not framework or rows[i].framework == framework)
        and (not task_type or rows[i].task_type == task_type)
        and (not tag or tag in rows[i].tags)
        and (not has_status or has_status in statuses[i])
        and (not needle or needle in haystack[i])
    ]

    total = len(selected)
    num_pages = max(1, math.ceil(total / per_page))
    page = min(page, num_pages)
    window = selected[(page - 1) * per_page : page * per_page]
    summaries = _derive("deployments", "summaries", deployments, lambda: _summaries(deployments))
    out = [
        ModelRow(
            model=catalog.row_model(row),
            deployment_status=summaries.get(row.id, DeploymentSummary()),
            version_status_counts=dict(Counter(v.status for v in (row.versions or ()))),
        )
        for row in window
    ]
    facet_counts = cat.facets()
    facets = Facets(
        frameworks=facet_counts["frameworks"],
        task_types=facet_counts["task_types"],
        tags=facet_counts["tags"],
        version_statuses=facet_counts["version_statuses"],
    )
    return ModelListPage(
        rows=out,
        total=total,
        page=page,
        num_pages=num_pages,
        per_page=per_page,
        sort=sort,
        facets=facets,
        catalog_age=cat.age_seconds,
        catalog_complete=cat.complete,
        freshness=Freshness.combine(Freshness.from_timestamp(cat.built_at), dep_fresh),
    )


def _sorted_indexes(rows: list[catalog.ModelRow], key: str, reverse: bool) -> list[int]:
    if key == "name":
        sort_key, backwards = (lambda i: ((rows[i].name or "").lower(), rows[i].id)), reverse
    elif key == "updated":
        # "updated" means most recent first; "-updated" oldest first.
        sort_key, backwards = (lambda i: (rows[i].updated or 0.0, rows[i].id)), not reverse
    elif key == "versions":
        sort_key, backwards = (lambda i: (rows[i].versions_count or 0, (rows[i].name or "").lower())), not reverse
    else:
        sort_key = lambda i: ((rows[i].framework or "\uffff").lower(), (rows[i].name or "").lower())  # noqa: E731
        backwards = reverse
    return sorted(range(len(rows)), key=sort_key, reverse=backwards)


# --- one model ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelOverview:
    model: Model
    versions: list[ModelVersion]
    experiments: list[Experiment]
    deployments: list[Deployment]
    production_versions: list[ModelVersion]
    metric_names: list[str]
    freshness: Freshness


def model_overview(*, model_id: str) -> ModelOverview:
    model_id = _require("model_id", model_id)
    try:
        model, versions, experiments, deps = _parallel(
            lambda: _model(model_id),
            lambda: _versions(model_id),
            lambda: _experiments(model_id),
            _deployments_or_empty,
        )
    except NotFound:
        # No such model: keep nothing for it. Its experiment list answered [] all the
        # same and would have been kept for days: random ids left litter behind.
        cache.forget(cache.key("experiments", model_id))
        raise
    deployments, dep_fresh = deps
    ordered = _by_creation(versions.value)
    return ModelOverview(
        model=model.value,
        versions=ordered,
        experiments=experiments.value,
        deployments=_failures_first(d for d in deployments if d.model_id == model_id),
        production_versions=[v for v in ordered if v.status == "production"],
        metric_names=_metric_names(ordered),
        freshness=Freshness.combine(model.freshness, versions.freshness, experiments.freshness, dep_fresh),
    )


@dataclass(frozen=True)
class VersionDetail:
    model: Model
    version: ModelVersion
    deployments: list[Deployment]
    production_versions: list[ModelVersion]
    freshness: Freshness


def version_detail(*, model_id: str, version_id: str) -> VersionDetail:
    model_id = _require("model_id", model_id)
    version_id = _require("version_id", version_id)
    model, versions, deps = _parallel(lambda: _model(model_id), lambda: _versions(model_id), _deployments_or_empty)
    version = next((v for v in versions.value if v.id == version_id), None)
    if version is None:
        raise NotFound(f"Model {model_id} has no version {version_id}.", status=404)
    deployments, dep_fresh = deps
    return VersionDetail(
        model=model.value,
        version=version,
        deployments=_failures_first(d for d in deployments if d.model_version_id == version_id),
        production_versions=[v for v in _by_creation(versions.value) if v.status == "production"],
        freshness=Freshness.combine(model.freshness, versions.freshness, dep_fresh),
    )


@dataclass(frozen=True)
class VersionsCompare(Comparison):
    model: Model | None = None
    versions: list[ModelVersion] = field(default_factory=list)
    freshness: Freshness | None = None


def versions_compare(*, model_id: str, version_ids: Iterable[str]) -> VersionsCompare:
    model_id = _require("model_id", model_id)
    ids = _compare_ids("version_ids", version_ids)
    model, versions = _parallel(lambda: _model(model_id), lambda: _versions(model_id))
    by_id = {v.id: v for v in versions.value}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise NotFound(f"Model {model_id} has no version {', '.join(missing)}.", status=404)
    chosen = [by_id[i] for i in ids]
    comparison = _compare(chosen)
    return VersionsCompare(
        **comparison.__dict__,
        model=model.value,
        versions=chosen,
        freshness=Freshness.combine(model.freshness, versions.freshness),
    )


# --- writes --------------------------------------------------------------------------------------------


def _after_model_write(model_id: str, *, model: Model | None = None) -> None:
    """Refresh what a write to a model or its versions changed; never fails the write."""
    cache.expire(cache.key("model", model_id), cache.key("versions", model_id))
    try:
        with call_purpose("catalog"):
            fresh_model, versions = _parallel(
                lambda: get_client().get_model(model_id), lambda: get_client().list_model_versions(model_id)
            )
        cache.store(cache.key("model", model_id), fresh_model)
        cache.store(cache.key("versions", model_id), versions)
        catalog.upsert_model(fresh_model, versions)
    except JFrogMLError as exc:
        log.warning("after a write to model %s, refreshing it failed: %s", model_id, exc.message)
        if model is not None:
            catalog.upsert_model(model, None)


def model_create(
    *, name: str, description: str = "", framework: str = "", task_type: str = "", tags: Iterable[str] = ()
) -> Model:
    model = get_client().create_model(
        name=_require("name", name), description=description, framework=framework, task_type=task_type, tags=list(tags)
    )
    catalog.upsert_model(model, [])
    cache.store(cache.key("model", model.id), model)
    cache.store(cache.key("versions", model.id), [])
    return model


def model_update(
    *, model_id: str, name: str, description: str, framework: str, task_type: str, tags: Iterable[str]
) -> Model:
    model_id = _require("model_id", model_id)
    tags = tuple(tags or ())
    returned = get_client().update_model(
        model_id,
        name=_require("name", name),
        description=description,
        framework=framework,
        task_type=task_type,
        tags=list(tags),
    )
    _after_model_write(model_id, model=returned)
    cached = cache.peek(cache.key("model", model_id))
    if cached is not None and cached.freshness.fetched_at:
        return cached.value
    if returned is not None:
        return returned
    # The write succeeded but re-reading failed: answer with what was written.
    return Model(
        id=model_id, name=name, description=description, framework=framework, task_type=task_type, tags=tuple(tags)
    )


def model_delete(*, model_id: str) -> None:
    model_id = _require("model_id", model_id)
    affected_experiments = cache.peek(cache.key("experiments", model_id))
    get_client().delete_model(model_id)
    # Its versions and deployments went with it; its experiments stay, detached.
    keys = [cache.key("model", model_id), cache.key("versions", model_id), cache.key("experiments", model_id)]
    cache.forget(*keys)
    experiment_keys = [cache.key("experiment", e.id) for e in (affected_experiments.value if affected_experiments else [])]
    cache.expire("deployments", "experiments:*", *experiment_keys)
    catalog.remove_model(model_id)


def version_create(
    *,
    model_id: str,
    version: str,
    description: str = "",
    artifact_path: str = "",
    metrics: dict[str, float] | None = None,
    parameters: dict[str, str] | None = None,
) -> ModelVersion:
    model_id = _require("model_id", model_id)
    # No status is ever sent: a new version is a draft until a promotion says otherwise.
    created = get_client().create_model_version(
        model_id,
        version=_require("version", version),
        description=description,
        artifact_path=artifact_path or None,
        metrics=metrics or None,
        parameters=parameters or None,
    )
    _after_model_write(model_id)
    return created


def version_delete(*, model_id: str, version_id: str) -> None:
    model_id = _require("model_id", model_id)
    get_client().delete_model_version(model_id, _require("version_id", version_id))
    _after_model_write(model_id)


def model_read_fresh(*, model_id: str) -> tuple[Model, list[ModelVersion]]:
    """The model and its versions as JFrog ML holds them now, not through the cache:
    decisions are taken on that (pages show cached data with its age)."""
    client = get_client()
    return client.get_model(model_id), list(client.list_model_versions(model_id))


def version_read_fresh(*, model_id: str, version_id: str) -> ModelVersion:
    """One version as JFrog ML holds it now (see `model_read_fresh`)."""
    return get_client().get_model_version(model_id, version_id)


def deployments_read_fresh() -> list[Deployment]:
    """Every deployment as JFrog ML lists it now, not through the cache."""
    return list(get_client().list_deployments())


def version_set_status(*, model_id: str, version_id: str, status: str) -> ModelVersion:
    model_id = _require("model_id", model_id)
    version_id = _require("version_id", version_id)
    updated = get_client().update_model_version(model_id, version_id, status=_require("status", status))
    _after_model_write(model_id)
    if updated is not None:
        return updated
    return get_client().get_model_version(model_id, version_id)

