"""Deployments: list, statuses, detail, and the writes to them."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from webui.jfrogml import cache, catalog
from webui.jfrogml.cache import Cached
from webui.jfrogml.client import get_client
from webui.jfrogml.errors import JFrogMLError
from webui.jfrogml.freshness import Freshness
from webui.jfrogml.resources import Deployment, Model, ModelVersion
from webui.jfrogml.services._shared import (
    _catalog_or_none,
    _deployment,
    _deployments,
    _derive,
    _failures_first,
    _model,
    _parallel,
    _require,
    _versions,
)

log = logging.getLogger("pond.jfrogml.services")


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
