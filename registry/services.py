"""Writes. Each runs in one transaction and keeps the model's derived fields true."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError

from registry import ids
from registry.errors import Conflict
from registry.fields import MAX_STORED_ENTRIES
from registry.models import (
    Deployment,
    DeploymentStatus,
    Experiment,
    ExperimentStatus,
    ModelVersion,
    RegisteredModel,
    VersionStatus,
)

# A version reaches staging or production, and leaves production, only through Pond's review
# flow (/reviews/), which applies its decisions as the registry's service principal
# (registry.auth.ServicePrincipal). Any other writer is refused (403) such a move; draft and
# archived, and leaving staging, stay theirs.
REVIEWED_STATUSES = frozenset({VersionStatus.STAGING, VersionStatus.PRODUCTION})
_ONLY_POND = "Through this API only Pond's own service principal does that."

TERMINAL_EXPERIMENT = {ExperimentStatus.COMPLETED, ExperimentStatus.FAILED, ExperimentStatus.CANCELLED}
# Where a deployment may go from each status (through the PATCH extension).
DEPLOYMENT_MOVES: dict[str, set[str]] = {
    DeploymentStatus.DEPLOYING: {"deploying", "active", "failed", "stopped"},
    DeploymentStatus.ACTIVE: {"active", "deploying", "failed", "stopped"},
    DeploymentStatus.STOPPED: {"stopped", "deploying"},
    DeploymentStatus.FAILED: {"failed", "deploying", "stopped"},
}


def not_found(label: str, object_id: str) -> NotFound:
    if not ids.looks_like_id(object_id):
        return NotFound(f"{label} {object_id[:80]!r} not found.")
    return NotFound(f"{label} {object_id!r} not found.")


def get_or_404(queryset: Any, object_id: str, label: str) -> Any:
    if not ids.looks_like_id(object_id):
        raise not_found(label, object_id)
    obj = queryset.filter(pk=object_id).first()
    if obj is None:
        raise not_found(label, object_id)
    return obj


def _lock(model_cls: type, object_id: str, label: str) -> Any:
    return get_or_404(model_cls.objects.select_for_update(), object_id, label)


def _refresh_latest(model: RegisteredModel, now: datetime) -> None:
    latest = (
        ModelVersion.objects.filter(model=model).order_by("-created_at", "-id").values_list("version", flat=True).first()
    )
    model.latest_version = latest or ""
    model.versions_count = ModelVersion.objects.filter(model=model).count()
    model.updated_at = now
    model.save(update_fields=["latest_version", "versions_count", "updated_at"])


def _status_refusal(*, current: str | None, target: str | None, label: str) -> str | None:
    """Why a writer other than the service principal may not make this status move, or None."""
    if target is None or target == current:
        return None  # nothing moves
    if current == VersionStatus.PRODUCTION:
        return f"Version {label!r} is in production: it leaves production only through a review in Pond (/reviews/). {_ONLY_POND}"
    if target in REVIEWED_STATUSES:
        return f"Moving a version to {target} goes through a review in Pond (/reviews/): ask for one there. {_ONLY_POND}"
    return None


def _refuse_unreviewed(refusal: str | None) -> None:
    if refusal is not None:
        raise PermissionDenied(refusal)


# --- models ------------------------------------------------------------------


@transaction.atomic
def model_create(*, data: dict[str, Any], created_by: str) -> RegisteredModel:
    if RegisteredModel.objects.filter(name=data["name"]).exists():
        raise Conflict(f"A model named {data['name']!r} already exists.")
    now = timezone.now()
    model = RegisteredModel(
        id=ids.new_id(ids.MODEL),
        name=data["name"],
        description=data.get("description", ""),
        framework=data.get("framework", ""),
        task_type=data.get("task_type", ""),
        tags=data.get("tags", []),
        created_at=now,
        updated_at=now,
        created_by=created_by,
    )
    try:
        with transaction.atomic():
            model.save(force_insert=True)
    except IntegrityError:
        raise Conflict(f"A model named {data['name']!r} already exists.") from None
    return model


@transaction.atomic
def model_update(*, model_id: str, data: dict[str, Any]) -> RegisteredModel:
    """PUT: the fields sent replace the stored ones; fields not sent are kept."""
    model = _lock(RegisteredModel, model_id, "Model")
    if data["name"] != model.name and RegisteredModel.objects.filter(name=data["name"]).exists():
        raise Conflict(f"A model named {data['name']!r} already exists.")
    for field in ("name", "description", "framework", "task_type", "tags"):
        if field in data:
            setattr(model, field, data[field])
    model.updated_at = timezone.now()
    try:
        with transaction.atomic():
            model.save()
    except IntegrityError:
        raise Conflict(f"A model named {data['name']!r} already exists.") from None
    return model


@transaction.atomic
def model_delete(*, model_id: str, by_service_principal: bool) -> None:
    """Deletes the model, its versions and its deployments; detaches its experiments.

    Refused (403) while a version is in production, unless Pond's review flow asks."""
    model = _lock(RegisteredModel, model_id, "Model")
    if not by_service_principal:
        serving = ModelVersion.objects.filter(model=model, status=VersionStatus.PRODUCTION).values_list("version", flat=True).first()
        if serving is not None:
            raise PermissionDenied(
                f"Model {model.name!r} has version {serving!r} in production: it leaves production only through a "
                f"review in Pond (/reviews/); delete the model once no version of it is in production. {_ONLY_POND}"
            )
    Deployment.objects.filter(model=model).delete()
    Experiment.objects.filter(model=model).update(model=None)
    ModelVersion.objects.filter(model=model).delete()
    model.delete()


# --- versions ----------------------------------------------------------------


@transaction.atomic
def version_create(*, model_id: str, data: dict[str, Any], created_by: str, by_service_principal: bool) -> ModelVersion:
    """A new version, `draft` unless `data` says otherwise; staging and production only for
    Pond's review flow (the service principal), else 403."""
    model = _lock(RegisteredModel, model_id, "Model")
    if not by_service_principal:
        _refuse_unreviewed(_status_refusal(current=None, target=data.get("status"), label=data["version"]))
    if ModelVersion.objects.filter(model=model, version=data["version"]).exists():
        raise Conflict(f"Model {model.id!r} already has a version {data['version']!r}.")
    now = timezone.now()
    version = ModelVersion(
        id=ids.new_id(ids.VERSION),
        model=model,
        version=data["version"],
        description=data.get("description", ""),
        status=data.get("status", VersionStatus.DRAFT),
        artifact_path=data.get("artifact_path", ""),
        metrics=data.get("metrics", {}),
        parameters=data.get("parameters", {}),
        created_at=now,
        created_by=created_by,
    )
    try:
        with transaction.atomic():
            version.save(force_insert=True)
    except IntegrityError:
        raise Conflict(f"Model {model.id!r} already has a version {data['version']!r}.") from None
    model.latest_version = version.version
    model.versions_count += 1
    model.updated_at = now
    model.save(update_fields=["latest_version", "versions_count", "updated_at"])
    return version


@transaction.atomic
def version_update(*, model_id: str, version_id: str, data: dict[str, Any], by_service_principal: bool) -> ModelVersion:
    """Changes status and/or description. Into staging or production, or out of production,
    only for Pond's review flow (the service principal), else 403 and nothing changes."""
    model = _lock(RegisteredModel, model_id, "Model")
    version = get_or_404(ModelVersion.objects.filter(model=model), version_id, "Version")
    if not by_service_principal:
        _refuse_unreviewed(_status_refusal(current=version.status, target=data.get("status"), label=version.version))
    for field in ("status", "description"):
        if field in data:
            setattr(version, field, data[field])
    version.save(update_fields=["status", "description"])
    model.updated_at = timezone.now()
    model.save(update_fields=["updated_at"])
    return version


@transaction.atomic
def version_delete(*, model_id: str, version_id: str, by_service_principal: bool) -> None:
    """Refused (409) while a deployment serves the version, and (403) while it is in
    production unless Pond's review flow (the service principal) asks."""
    model = _lock(RegisteredModel, model_id, "Model")
    version = get_or_404(ModelVersion.objects.filter(model=model), version_id, "Version")
    if not by_service_principal and version.status == VersionStatus.PRODUCTION:
        raise PermissionDenied(
            f"Version {version.version!r} is in production: it leaves production only through a review in "
            f"Pond (/reviews/); delete it once it is archived. {_ONLY_POND}"
        )
    serving = list(Deployment.objects.filter(model_version=version).values_list("id", "name")[:5])
    if serving:
        names = ", ".join(f"{name!r} ({dep_id})" for dep_id, name in serving)
        raise Conflict(f"Version {version.id!r} is served by deployment {names}; delete the deployment first.")
    version.delete()
    _refresh_latest(model, timezone.now())


# --- experiments ---------------------------------------------------------------


def _model_ref(model_id: str, field: str) -> RegisteredModel:
    model = RegisteredModel.objects.filter(pk=model_id).first() if ids.looks_like_id(model_id) else None
    if model is None:
        raise ValidationError({field: [f"No model with ID {model_id[:80]!r}."]})
    return model


@transaction.atomic
def experiment_create(*, data: dict[str, Any], created_by: str) -> Experiment:
    model = _model_ref(data["model_id"], "model_id") if "model_id" in data else None
    return Experiment.objects.create(
        id=ids.new_id(ids.EXPERIMENT),
        name=data["name"],
        description=data.get("description", ""),
        model=model,
        parameters=data.get("parameters", {}),
        created_by=created_by,
    )


def _merged_within_cap(stored: dict[str, Any], sent: dict[str, Any], *, field: str) -> dict[str, Any]:
    """`sent` merged over `stored`, or a 400 naming `field` when that holds too many names:
    a request's own cap (registry.fields.MAX_ENTRIES) bounds one PATCH, not their sum."""
    merged = {**stored, **sent}
    if len(merged) > MAX_STORED_ENTRIES:
        added = len(merged) - len(stored)
        raise ValidationError(
            {field: [f"At most {MAX_STORED_ENTRIES} entries in all: {len(stored)} stored and {added} new would make {len(merged)}."]}
        )
    return merged


@transaction.atomic
def experiment_update(*, experiment_id: str, data: dict[str, Any]) -> Experiment:
    experiment = _lock(Experiment, experiment_id, "Experiment")
    target = data.get("status", experiment.status)
    if experiment.status in TERMINAL_EXPERIMENT and target != experiment.status:
        raise Conflict(f"Experiment {experiment.id!r} is {experiment.status}; a finished experiment cannot change status.")
    if "completed_at" in data and target not in TERMINAL_EXPERIMENT:
        # A conflict with the experiment's state, not malformed input: the same body is
        # fine for an experiment being finished.
        raise Conflict("completed_at: only a completed, failed or cancelled experiment has a completion time.")
    if "metrics" in data:
        experiment.metrics = _merged_within_cap(experiment.metrics, data["metrics"], field="metrics")
    experiment.status = target
    if "completed_at" in data:
        experiment.completed_at = data["completed_at"]
    elif target in TERMINAL_EXPERIMENT and experiment.completed_at is None:
        experiment.completed_at = timezone.now()
    experiment.save()
    return experiment


@transaction.atomic
def experiment_delete(*, experiment_id: str) -> None:
    _lock(Experiment, experiment_id, "Experiment").delete()


# --- deployments -------------------------------------------------------------


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40].strip("-")
    return slug or "deployment"


def endpoint_url_for(*, name: str, deployment_id: str) -> str:
    domain = getattr(settings, "REGISTRY_SERVING_DOMAIN", "serving.jfrog-ml.local")
    # The ID's tail keeps two deployments with one name on distinct hosts.
    return f"https://{_slug(name)}-{deployment_id.rsplit('_', 1)[-1][:8]}.{domain}/v1/predict"


def _activation(now: datetime) -> datetime:
    return now + timedelta(seconds=settings.REGISTRY_DEPLOY_DELAY)


def effective_status(deployment: Deployment, now: datetime | None = None) -> tuple[str, datetime]:
    """The status and `updated_at` a reader sees: `deploying` turns `active` on time."""
    now = now or timezone.now()
    if (
        deployment.status == DeploymentStatus.DEPLOYING
        and deployment.activates_at is not None
        and deployment.activates_at <= now
    ):
        return DeploymentStatus.ACTIVE, deployment.activates_at
    return deployment.status, deployment.updated_at


@transaction.atomic
def deployment_create(*, data: dict[str, Any], created_by: str) -> Deployment:
    model = _model_ref(data["model_id"], "model_id")
    version_id = data["model_version_id"]
    version = ModelVersion.objects.filter(pk=version_id).first() if ids.looks_like_id(version_id) else None
    if version is None:
        raise ValidationError({"model_version_id": [f"No model version with ID {version_id[:80]!r}."]})
    if version.model_id != model.id:
        raise ValidationError(
            {"model_version_id": [f"Version {version.id!r} belongs to model {version.model_id!r}, not {model.id!r}."]}
        )
    now = timezone.now()
    deployment_id = ids.new_id(ids.DEPLOYMENT)
    return Deployment.objects.create(
        id=deployment_id,
        name=data["name"],
        model=model,
        model_version=version,
        status=DeploymentStatus.DEPLOYING,
        activates_at=_activation(now),
        endpoint_url=endpoint_url_for(name=data["name"], deployment_id=deployment_id),
        replicas=data.get("replicas", 1),
        resources=data.get("resources", {}),
        created_at=now,
        updated_at=now,
        created_by=created_by,
    )


@transaction.atomic
def deployment_update(*, deployment_id: str, data: dict[str, Any]) -> Deployment:
    deployment = _lock(Deployment, deployment_id, "Deployment")
    now = timezone.now()
    current, since = effective_status(deployment, now)
    # Make a lazy transition real before changing anything else.
    deployment.status, deployment.updated_at = current, since
    target = data.get("status")
    if target is not None:
        if target not in DEPLOYMENT_MOVES[current]:
            raise Conflict(f"Deployment {deployment.id!r} is {current}; it cannot become {target} (redeploy with status 'deploying').")
        if target == DeploymentStatus.DEPLOYING:
            # (Re)deploying restarts the activation timer.
            deployment.activates_at = _activation(now)
            deployment.updated_at = now
        elif target != current:
            deployment.activates_at = None
            deployment.updated_at = now
        deployment.status = target
    if "replicas" in data and data["replicas"] != deployment.replicas:
        deployment.replicas = data["replicas"]
        deployment.updated_at = now
    deployment.save()
    return deployment


@transaction.atomic
def deployment_delete(*, deployment_id: str) -> None:
    _lock(Deployment, deployment_id, "Deployment").delete()
