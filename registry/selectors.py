"""Reads, and the JSON each resource is rendered as.

Absent values (a model without versions has no `latest_version`, a running
experiment no `completed_at`) are omitted, never `null`: the spec's types are plain.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from registry import ids
from registry.models import Deployment, Experiment, ModelVersion, RegisteredModel
from registry.services import effective_status


def iso(moment: datetime) -> str:
    # isoformat, not strftime: glibc's %Y does not zero-pad years before 1000, which
    # made "702-04-10T..." (not an RFC 3339 date-time; found by schemathesis at 40 examples).
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def model_json(model: RegisteredModel) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": model.id,
        "name": model.name,
        "description": model.description,
        "framework": model.framework,
        "task_type": model.task_type,
        "tags": model.tags,
        "versions_count": model.versions_count,
        "created_at": iso(model.created_at),
        "updated_at": iso(model.updated_at),
        "created_by": model.created_by,
    }
    if model.latest_version:
        body["latest_version"] = model.latest_version
    return body


def version_json(version: ModelVersion) -> dict[str, Any]:
    return {
        "id": version.id,
        "model_id": version.model_id,
        "version": version.version,
        "description": version.description,
        "status": version.status,
        "artifact_path": version.artifact_path,
        "metrics": version.metrics,
        "parameters": version.parameters,
        "created_at": iso(version.created_at),
        "created_by": version.created_by,
    }


def experiment_json(experiment: Experiment) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": experiment.id,
        "name": experiment.name,
        "description": experiment.description,
        "status": experiment.status,
        "metrics": experiment.metrics,
        "parameters": experiment.parameters,
        "created_at": iso(experiment.created_at),
        "created_by": experiment.created_by,
    }
    if experiment.model_id:
        body["model_id"] = experiment.model_id
    if experiment.completed_at is not None:
        body["completed_at"] = iso(experiment.completed_at)
    return body


def deployment_json(deployment: Deployment, *, now: datetime | None = None, with_resources: bool = False) -> dict[str, Any]:
    status, updated_at = effective_status(deployment, now)
    body: dict[str, Any] = {
        "id": deployment.id,
        "name": deployment.name,
        "model_id": deployment.model_id,
        "model_version_id": deployment.model_version_id,
        "status": status,
        "endpoint_url": deployment.endpoint_url,
        "replicas": deployment.replicas,
        "created_at": iso(deployment.created_at),
        "updated_at": iso(updated_at),
    }
    # Real JFrog ML echoes resources on create only.
    if with_resources:
        body["resources"] = deployment.resources
    return body


def _page(queryset: Any, limit: int | None, offset: int) -> tuple[list[Any], int]:
    if limit is None and offset == 0:
        rows = list(queryset)
        return rows, len(rows)
    end = None if limit is None else offset + limit
    return list(queryset[offset:end]), queryset.count()


def model_list(*, limit: int, offset: int) -> tuple[list[RegisteredModel], int]:
    """A page of models, oldest first (index registry_model_created), and the number of all models."""
    return _page(RegisteredModel.objects.order_by("created_at", "id"), limit, offset)


def version_list(*, model: RegisteredModel, limit: int | None = None, offset: int = 0) -> tuple[list[ModelVersion], int]:
    """The model's versions, newest first. Returns the page and the total."""
    return _page(ModelVersion.objects.filter(model=model).order_by("-created_at", "-id"), limit, offset)


def experiment_list(*, model_id: str | None, limit: int | None = None, offset: int = 0) -> tuple[list[Experiment], int]:
    """Newest first; an unknown `model_id` filters to nothing. Returns the page and the total."""
    queryset = Experiment.objects.order_by("-created_at", "-id")
    if model_id is not None:
        if not ids.looks_like_id(model_id):
            return [], 0
        queryset = queryset.filter(model_id=model_id)
    return _page(queryset, limit, offset)


def deployment_list(*, limit: int | None = None, offset: int = 0) -> tuple[list[Deployment], int]:
    """Newest first. Returns the page and the total."""
    return _page(Deployment.objects.order_by("-created_at", "-id"), limit, offset)
