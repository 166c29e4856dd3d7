"""Page-facing reads and writes: the only functions Pond's views and tasks call.

Each read assembles one page from a small, fixed number of cached upstream calls
(fetched concurrently where independent; never one per row) and returns a
dataclass with `.freshness`. Reads raise NotFound for unknown ids and Unavailable
only when JFrog ML fails and nothing is cached. Deployment status always comes
from the cached deployment list that the poller refreshes
(`deployments_refresh()`), so pages do not wait on JFrog ML for it.

Writes are keyword-only, call JFrog ML once, then expire every cache entry they
affect and patch the catalog; they raise ValidationFailed, Conflict, NotFound,
Unavailable (and OperationUnsupported for extension operations).
"""

from __future__ import annotations

import functools
import logging
import math
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings

from webui.jfrogml import cache, catalog
from webui.jfrogml.cache import Cached
from webui.jfrogml.catalog import catalog_refresh  # re-exported for the Celery task
from webui.jfrogml.client import call_purpose, get_client
from webui.jfrogml.errors import JFrogMLError, NotFound, ValidationFailed
from webui.jfrogml.freshness import Freshness
from webui.jfrogml.memo import Memo
from webui.jfrogml.metrics import best_values
from webui.jfrogml.resources import Deployment, Experiment, Model, ModelVersion

log = logging.getLogger("pond.jfrogml.services")

__all__ = [
    "catalog_refresh",
    "catalog_exists",
    "deployment_create",
    "deployment_delete",
    "deployment_detail",
    "deployment_list",
    "deployment_statuses",
    "deployment_update",
    "deployments_refresh",
    "experiment_create",
    "experiment_delete",
    "experiment_detail",
    "experiment_list",
    "experiment_update",
    "experiments_compare",
    "model_create",
    "model_delete",
    "model_list",
    "model_overview",
    "model_update",
    "overview",
    "version_create",
    "version_delete",
    "version_detail",
    "version_set_status",
    "versions_compare",
]

# Worst first: what a summary of several deployments shows.
_DEPLOYMENT_SEVERITY = {"failed": 0, "deploying": 2, "stopped": 3, "active": 4}
SORTS = {"name", "-name", "updated", "-updated", "versions", "-versions", "framework", "-framework"}
COMPARE_MIN, COMPARE_MAX = 2, 10
MAX_PER_PAGE = 200

@functools.cache
def _pool() -> ThreadPoolExecutor:
    """Shared by every request thread of this process, made on first use (not at import:
    a forked worker must not inherit a parent's threads). Tasks never wait on other
    tasks of this pool, so a full pool only queues, never deadlocks."""
    return ThreadPoolExecutor(max_workers=settings.JFROG_ML_POOL_THREADS, thread_name_prefix="jfrogml")


def _parallel(*calls: Callable[[], Any]) -> list[Any]:
    """Run independent upstream reads concurrently; raise the first error in order."""
    futures = [_pool().submit(copy_context().run, call) for call in calls]
    results: list[Any] = []
    first_error: BaseException | None = None
    for future in futures:
        try:
            results.append(future.result())
        except BaseException as exc:  # collected, then re-raised below
            results.append(None)
            first_error = first_error or exc
    if first_error is not None:
        raise first_error
    return results


# family -> {name: value}, under the source the figures came from.
_derived = Memo(maxsize=32)


def _derive(family: str, name: str, source: Any, compute: Callable[[], Any]) -> Any:
    """compute() once per `source` object, not once per request.

    The cache layer hands back the very same decoded list while its entry is
    unchanged (and the catalog is one object per stamp), so what a page figures
    from it (a sort of 20,000 experiments, status counts) is kept beside it and
    recomputed only when the source is replaced (a tuple of sources: when any is).
    A new source replaces its whole family, so no old list is kept alive by a figure
    nobody asked for since. Results are shared between requests: never mutate them.
    """
    figures = _derived.recall(family, source, dict)
    try:
        return figures[name]
    except KeyError:
        value = figures[name] = compute()
        return value


# --- cached reads ------------------------------------------------------------------------


def _deployments() -> Cached[list[Deployment]]:
    return cache.read_through("deployments", lambda: get_client().list_deployments(), ttl_seconds=cache.ttl("deployments"))


def _model(model_id: str) -> Cached[Model]:
    return cache.read_through(cache.key("model", model_id), lambda: get_client().get_model(model_id), ttl_seconds=cache.ttl("model"))


def _versions(model_id: str) -> Cached[list[ModelVersion]]:
    return cache.read_through(
        cache.key("versions", model_id), lambda: get_client().list_model_versions(model_id), ttl_seconds=cache.ttl("versions")
    )


def versions_as_of(*, model_id: str) -> tuple[datetime | None, dict[str, str]]:
    """When the kept version list of a model was fetched, and the status it gave each
    version: what a page built from it showed, and how old that is (no upstream call;
    (None, {}) when nothing is kept)."""
    kept = cache.peek(cache.key("versions", model_id))
    if kept is None or kept.freshness.fetched_at is None:
        return None, {}
    return kept.freshness.fetched_at, {str(v.id): str(v.status or "") for v in kept.value or ()}


def _experiments(model_id: str = "") -> Cached[list[Experiment]]:
    # The list of every experiment is the one big list the spec forces on pages (no
    # status filter, no paging): pages answer from it at once while it refreshes.
    return cache.read_through(
        (cache.key("experiments", model_id) if model_id else "experiments:*"),
        lambda: get_client().list_experiments(model_id or None),
        ttl_seconds=cache.ttl("experiments"),
        revalidate_seconds=0.0 if model_id else cache.revalidate("experiments"),
    )


def _experiment(experiment_id: str) -> Cached[Experiment]:
    return cache.read_through(
        cache.key("experiment", experiment_id), lambda: get_client().get_experiment(experiment_id), ttl_seconds=cache.ttl("experiment")
    )


def _deployment(deployment_id: str) -> Cached[Deployment]:
    return cache.read_through(
        cache.key("deployment", deployment_id),
        lambda: get_client().get_deployment(deployment_id),
        ttl_seconds=cache.ttl("deployment"),
    )


def _require(field_name: str, value: Any) -> str:
    text = "" if value is None else str(value).strip()
    if not text:
        raise ValidationFailed(fields={field_name: ["This field is required."]})
    return text


# --- deployment status summaries -------------------------------------------------------------


@dataclass(frozen=True)
class DeploymentSummary:
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def worst(self) -> str | None:
        if not self.counts:
            return None
        return min(self.counts, key=lambda s: (_DEPLOYMENT_SEVERITY.get(s, 1), s))

    @property
    def label(self) -> str:
        if not self.counts:
            return "not deployed"
        return ", ".join(f"{n} {s}" for s, n in sorted(self.counts.items(), key=lambda i: _DEPLOYMENT_SEVERITY.get(i[0], 1)))


def _summaries(deployments: Iterable[Deployment]) -> dict[str, DeploymentSummary]:
    counts: dict[str, Counter] = {}
    for d in deployments:
        counts.setdefault(d.model_id or "", Counter())[d.status or "unknown"] += 1
    return {mid: DeploymentSummary(dict(c)) for mid, c in counts.items()}


def _failures_first(deployments: Iterable[Deployment]) -> list[Deployment]:
    return sorted(deployments, key=lambda d: (_DEPLOYMENT_SEVERITY.get(d.status or "", 1), (d.name or "").lower()))


def _deployments_or_empty() -> tuple[list[Deployment], Freshness]:
    """Deployment status for a page: cached list; empty (with the error) if none at all."""
    try:
        result = _deployments()
        return result.value, result.freshness
    except JFrogMLError as exc:
        if isinstance(exc, NotFound):
            raise
        return [], Freshness(fetched_at=None, age_seconds=None, stale=True, error=exc.message)


def deployments_refresh() -> list[Deployment]:
    """Fetch the deployment list and store it where pages read it (for the poller)."""
    with call_purpose("poller"):
        deployments = get_client().list_deployments()
    cache.store("deployments", deployments)
    return deployments


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


def _metric_names(items: Iterable[ModelVersion | Experiment]) -> list[str]:
    """Metric names, most common first (the key metrics of a table), then by name."""
    counts: Counter = Counter()
    for item in items:
        counts.update(item.metrics.keys())
    return [name for name, _ in sorted(counts.items(), key=lambda i: (-i[1], i[0]))]


def _param_names(items: Iterable[ModelVersion | Experiment]) -> list[str]:
    names: set[str] = set()
    for item in items:
        names.update(item.parameters.keys())
    return sorted(names)


def _by_creation(versions: Iterable[ModelVersion]) -> list[ModelVersion]:
    return sorted(versions, key=lambda v: (v.created_at is None, v.created_at or datetime.min, v.id))


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
class Comparison:
    metric_names: list[str]
    param_names: list[str]
    best: dict[str, float]
    differs: dict[str, set[str]]  # {"metrics": names, "parameters": names} whose values differ


def _compare(items: list[ModelVersion] | list[Experiment]) -> Comparison:
    metric_names = _metric_names(items)
    param_names = _param_names(items)

    def differing(names: list[str], attr: str) -> set[str]:
        out = set()
        for name in names:
            values = [getattr(i, attr).get(name) for i in items]
            if any(v != values[0] for v in values[1:]) or any(v is None for v in values):
                out.add(name)
        return out

    return Comparison(
        metric_names=metric_names,
        param_names=param_names,
        best=best_values([i.metrics for i in items]),
        differs={"metrics": differing(metric_names, "metrics"), "parameters": differing(param_names, "parameters")},
    )


def _compare_ids(name: str, ids: Iterable[str]) -> list[str]:
    unique = list(dict.fromkeys(str(i).strip() for i in (ids or ()) if str(i).strip()))
    if not COMPARE_MIN <= len(unique) <= COMPARE_MAX:
        raise ValidationFailed(fields={name: [f"Choose between {COMPARE_MIN} and {COMPARE_MAX} to compare."]})
    return unique


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


# --- experiments ----------------------------------------------------------------------------------


def catalog_exists() -> bool:
    """Whether a catalog has been built (no upstream call; a cache outage reads as none)."""
    return catalog.load() is not None


def _catalog_or_none(*, build: bool = True) -> catalog.Catalog | None:
    """The catalog for labels on a page; a page still renders (with ids) without it.

    `build=False` when the page already found JFrog ML failing: building would only
    add another timeout to the page.
    """
    if not build:
        return catalog.load()
    try:
        return catalog.get_catalog()
    except JFrogMLError as exc:
        log.warning("catalog unavailable for labels: %s", exc.message)
        return catalog.load()


def _model_names(cat: catalog.Catalog | None) -> dict[str, str]:
    """Model id -> name from the catalog (see `_catalog_or_none`)."""
    return cat.model_names() if cat is not None else {}


@dataclass(frozen=True)
class ExperimentList:
    experiments: list[Experiment]
    model_names: dict[str, str]
    model_id: str
    status: str
    status_counts: dict[str, int]
    freshness: Freshness


def experiment_list(*, model_id: str = "", status: str = "") -> ExperimentList:
    model_id = (model_id or "").strip()
    result = _experiments(model_id)
    status = (status or "").strip()
    every = result.value

    def derive(name: str, compute: Callable[[], Any]) -> Any:
        # Kept for the list of every experiment only: one model's list is short.
        return compute() if model_id else _derive("experiments:*", name, every, compute)

    newest_first = derive(
        "sorted",
        lambda: sorted(
            every, key=lambda e: (e.created_at is None, -(e.created_at.timestamp() if e.created_at else 0.0), e.id)
        ),
    )
    experiments = derive(f"status:{status}", lambda: [e for e in newest_first if e.status == status]) if status else newest_first
    return ExperimentList(
        experiments=experiments,
        model_names=_model_names(_catalog_or_none(build=not result.freshness.stale)),
        model_id=model_id,
        status=status,
        status_counts=dict(derive("counts", lambda: Counter(e.status or "unknown" for e in every))),
        freshness=result.freshness,
    )


@dataclass(frozen=True)
class ExperimentDetail:
    experiment: Experiment
    model: Model | None
    freshness: Freshness


def experiment_detail(*, experiment_id: str) -> ExperimentDetail:
    experiment = _experiment(_require("experiment_id", experiment_id))
    model: Model | None = None
    model_fresh = None
    if experiment.value.model_id:
        try:
            cached = _model(experiment.value.model_id)
            model, model_fresh = cached.value, cached.freshness
        except NotFound:
            model = None  # detached: its model was deleted
        except JFrogMLError as exc:
            model_fresh = Freshness(fetched_at=None, age_seconds=None, stale=True, error=exc.message)
    return ExperimentDetail(
        experiment=experiment.value, model=model, freshness=Freshness.combine(experiment.freshness, model_fresh)
    )


@dataclass(frozen=True)
class ExperimentsCompare(Comparison):
    experiments: list[Experiment] = field(default_factory=list)
    model_names: dict[str, str] = field(default_factory=dict)
    freshness: Freshness | None = None


def experiments_compare(*, experiment_ids: Iterable[str]) -> ExperimentsCompare:
    ids = _compare_ids("experiment_ids", experiment_ids)
    # One list call (cached, shared with the overview) rather than one call per column.
    result = _experiments()
    by_id = {e.id: e for e in result.value}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise NotFound(f"No experiment {', '.join(missing)}.", status=404)
    chosen = [by_id[i] for i in ids]
    return ExperimentsCompare(
        **_compare(chosen).__dict__, experiments=chosen, model_names=_model_names(_catalog_or_none(build=not result.freshness.stale)), freshness=result.freshness
    )


# --- deployments -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeploymentRow:
    deployment: Deployment
    model_name: str | None
    version_label: str | None


@dataclass(frozen=True)
class DeploymentList:
    rows: list[DeploymentRow]
    status_counts: dict[str, int]
    freshness: Freshness


def _deployment_labels(cat: catalog.Catalog | None, d: Deployment) -> tuple[str | None, str | None]:
    """The model's name and the version's label for a deployment, from its model's row
    (a few versions), not from an index of every version in the catalog."""
    if cat is None:
        return None, None
    row = cat.by_id.get(d.model_id or "")
    name = (row.name or row.id) if row is not None else None
    for v in (row.versions or ()) if row is not None else ():
        if v.id == d.model_version_id:
            return name, v.label or v.id
    # A version listed under another model (or none): the index of every version.
    return name, cat.version_labels().get(d.model_version_id or "") if d.model_version_id else None


def deployment_list() -> DeploymentList:
    result = _deployments()
    # One catalog read serves both names and labels (this list is also what
    # /deployments/status.json answers from, polled by every open page).
    cat = _catalog_or_none(build=not result.freshness.stale)
    deployments = result.value
    rows = _derive(
        "deployments+catalog",
        "rows",
        (deployments, cat),
        lambda: [DeploymentRow(d, *_deployment_labels(cat, d)) for d in _failures_first(deployments)],
    )
    return DeploymentList(
        rows=rows,
        status_counts=_derive(
            "deployments", "counts", deployments, lambda: dict(Counter(d.status or "unknown" for d in deployments))
        ),
        freshness=result.freshness,
    )


@dataclass(frozen=True)
class DeploymentStatuses:
    deployments: list[Deployment]
    freshness: Freshness


def deployment_statuses() -> DeploymentStatuses:
    """Every deployment as last cached, failures first, without names and labels.

    For callers that need only status (pond.js's badge refresh, the insights): the
    deployment list page's labels cost a pass over the whole catalog.
    """
    result = _deployments()
    every = result.value
    return DeploymentStatuses(
        deployments=_derive("deployments", "ordered", every, lambda: _failures_first(every)), freshness=result.freshness
    )


@dataclass(frozen=True)
class DeploymentDetail:
    deployment: Deployment
    model: Model | None
    version: ModelVersion | None
    freshness: Freshness


def deployment_detail(*, deployment_id: str) -> DeploymentDetail:
    deployment = _deployment(_require("deployment_id", deployment_id))
    dep = deployment.value
    model = versions = None
    if dep.model_id:

        def soft(call: Callable[[], Cached]) -> Cached | None:
            try:
                return call()
            except JFrogMLError:
                return None  # the deployment page still shows what it has

        model, versions = _parallel(lambda: soft(lambda: _model(dep.model_id)), lambda: soft(lambda: _versions(dep.model_id)))
    version = None
    if versions is not None:
        version = next((v for v in versions.value if v.id == dep.model_version_id), None)
    return DeploymentDetail(
        deployment=dep,
        model=model.value if model else None,
        version=version,
        freshness=Freshness.combine(
            deployment.freshness, model.freshness if model else None, versions.freshness if versions else None
        ),
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


def _after_experiment_write(experiment_id: str | None, model_ids: Iterable[str | None]) -> None:
    keys = ["experiments:*"] + [cache.key("experiments", m) for m in model_ids if m]
    if experiment_id:
        keys.append(cache.key("experiment", experiment_id))
    cache.expire(*keys)


def experiment_create(
    *, name: str, description: str = "", model_id: str = "", parameters: dict[str, str] | None = None
) -> Experiment:
    created = get_client().create_experiment(
        name=_require("name", name), description=description, model_id=model_id or None, parameters=parameters or None
    )
    _after_experiment_write(None, [model_id, created.model_id])
    cache.store(cache.key("experiment", created.id), created)
    return created


def experiment_update(
    *,
    experiment_id: str,
    status: str | None = None,
    metrics: dict[str, float] | None = None,
    completed_at: datetime | str | None = None,
) -> Experiment:
    experiment_id = _require("experiment_id", experiment_id)
    updated = get_client().update_experiment(experiment_id, status=status, metrics=metrics, completed_at=completed_at)
    if updated is None:
        updated = get_client().get_experiment(experiment_id)
    _after_experiment_write(experiment_id, [updated.model_id])
    cache.store(cache.key("experiment", experiment_id), updated)
    return updated


def experiment_delete(*, experiment_id: str) -> None:
    experiment_id = _require("experiment_id", experiment_id)
    known = cache.peek(cache.key("experiment", experiment_id))
    get_client().delete_experiment(experiment_id)
    cache.forget(cache.key("experiment", experiment_id))
    _after_experiment_write(None, [known.value.model_id if known else None])


def _after_deployment_write(deployment_id: str | None) -> None:
    keys = ["deployments"] + ([cache.key("deployment", deployment_id)] if deployment_id else [])
    cache.expire(*keys)


def deployment_create(
    *,
    name: str,
    model_id: str,
    model_version_id: str,
    replicas: int = 1,
    cpu: str = "",
    memory: str = "",
    gpu: int | None = None,
) -> Deployment:
    resources = {k: v for k, v in {"cpu": cpu or None, "memory": memory or None, "gpu": gpu}.items() if v is not None}
    created = get_client().create_deployment(
        name=_require("name", name),
        model_id=_require("model_id", model_id),
        model_version_id=_require("model_version_id", model_version_id),
        replicas=replicas,
        resources=resources or None,
    )
    _after_deployment_write(created.id)
    return created


def deployment_update(*, deployment_id: str, replicas: int | None = None, status: str | None = None) -> Deployment:
    deployment_id = _require("deployment_id", deployment_id)
    updated = get_client().update_deployment(deployment_id, replicas=replicas, status=status)
    _after_deployment_write(deployment_id)
    return updated if updated is not None else get_client().get_deployment(deployment_id)


def deployment_delete(*, deployment_id: str) -> None:
    deployment_id = _require("deployment_id", deployment_id)
    get_client().delete_deployment(deployment_id)
    cache.forget(cache.key("deployment", deployment_id))
    _after_deployment_write(None)
