"""What the service modules share: the worker pool, derived figures, the cached reads,
deployment summaries, comparisons and the catalog for labels."""

from __future__ import annotations

import functools
import logging
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
from webui.jfrogml.client import call_purpose, get_client
from webui.jfrogml.errors import JFrogMLError, NotFound, ValidationFailed
from webui.jfrogml.freshness import Freshness
from webui.jfrogml.memo import Memo
from webui.jfrogml.metrics import best_values
from webui.jfrogml.resources import Deployment, Experiment, Model, ModelVersion

log = logging.getLogger("pond.jfrogml.services")

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


