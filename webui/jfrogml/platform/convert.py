"""JFrog ML platform messages → Pond's typed resources (the mapping in docs/jfrog-platform.md).

Pure functions over protobuf messages, read the way `resources` reads JSON: a field
the platform does not have stays None (never invented), the platform's own facts that
Pond's resources have no field for go to `.extra` (project, environment, variation,
the platform's own status word), and an unknown value is carried, not guessed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from webui.jfrogml.resources import (
    DEPLOYMENT_STATUSES,
    EXPERIMENT_STATUSES,
    Deployment,
    Experiment,
    Model,
    ModelVersion,
)

# ModelDeploymentService (v1) status → Pond's deployment status. `failing` and
# `partial` have no Pond word: they are shown as they are, never guessed as active.
DEPLOYMENT_STATUS = {
    "in_progress": "deploying",
    "successful": "active",
    "failed": "failed",
    "init_failed": "failed",
    "undeployed": "stopped",
    "canceled": "stopped",
    "failing": "failing",
    "partial": "partial",
}

# BuildAPI build status → Pond's experiment status (a build *is* the run that tracked
# the parameters and metrics). Unlisted values are shown in lower case as they are.
BUILD_TO_EXPERIMENT = {
    "IN_PROGRESS": "running",
    "REMOTE_BUILD_INITIALIZING": "running",
    "SYNCING_ENVIRONMENTS": "running",
    "FINISHED_SYNCING": "running",
    "BUILD_REQUESTED": "running",
    "BUILD_PENDING": "running",
    "SUCCESSFUL": "completed",
    "FAILED": "failed",
    "FAILED_INITIATING_BUILD": "failed",
    "REMOTE_BUILD_TIMED_OUT": "failed",
    "REMOTE_BUILD_CANCELLED": "cancelled",
}


def timestamp(message: Any, field: str) -> datetime | None:
    """A google.protobuf.Timestamp field as an aware datetime; None when unset."""
    try:
        if not message.HasField(field):
            return None
        value = getattr(message, field)
    except ValueError:
        return None
    if not value.seconds and not value.nanos:
        return None
    return value.ToDatetime(tzinfo=UTC)


def _text(value: str) -> str | None:
    """proto3 strings are "" when unset: that is "absent" to Pond."""
    return value or None


def _enum_name(enum_type: Any, value: int) -> str:
    try:
        return enum_type.Name(value)
    except ValueError:
        return str(value)


def model(message: Any) -> Model:
    """qwak.models.Model → Model. The platform has no framework, task type or tags."""
    from frogml._proto.qwak.models import models_pb2

    extra = {
        "project_id": message.project_id,
        "project_name": message.project_name,
        "uuid": message.uuid,
        "jfrog_project_key": message.jfrog_project_key,
        "model_status": _enum_name(models_pb2.ModelStatus, message.model_status).lower(),
    }
    return Model(
        id=message.model_id,
        name=_text(message.display_name),
        description=_text(message.model_description),
        created_at=timestamp(message, "created_at"),
        updated_at=timestamp(message, "last_modified_at"),
        created_by=_text(message.created_by),
        extra={k: v for k, v in extra.items() if v},
    )


def _build_label(build: Any) -> str:
    if build.build_name:
        return build.build_name
    if build.build_version:
        return str(build.build_version)
    return build.buildId


def _build_extra(build: Any) -> dict:
    from frogml._proto.qwak.build.v1 import build_pb2

    extra = {
        "build_status": _enum_name(build_pb2.BuildStatus, build.build_status).lower(),
        "commit_id": build.commitId,
        "branch_id": build.branchId,
        "model_version_id": build.model_version_id,
        "tags": ", ".join(build.tags),
        "image": build.image_name_tag,
        "failure_reason": build.failure_reason_code,
    }
    return {k: v for k, v in extra.items() if v}


def version(build: Any, *, model_id: str) -> ModelVersion:
    """A build → ModelVersion. `status` is None: the platform has no draft / staging /
    production, so the effective status comes from Pond's ledger (webui.reviews)."""
    return ModelVersion(
        id=build.buildId,
        model_id=model_id,
        version=_build_label(build),
        status=None,
        status_known=False,
        artifact_path=_text(build.image_name_tag),
        metrics={str(k): float(v) for k, v in build.metrics.items()},
        parameters={str(k): str(v) for k, v in build.params.items()},
        created_at=timestamp(build.audit, "created_at") if build.HasField("audit") else None,
        created_by=_text(build.audit.created_by),
        extra=_build_extra(build),
    )


def experiment(build: Any, *, model_id: str | None) -> Experiment:
    """A build's experiment tracking (its params and metrics) → Experiment (same id)."""
    from frogml._proto.qwak.build.v1 import build_pb2

    raw = _enum_name(build_pb2.BuildStatus, build.build_status)
    status = BUILD_TO_EXPERIMENT.get(raw, raw.lower())
    return Experiment(
        id=build.buildId,
        name=_build_label(build),
        model_id=model_id,
        status=status,
        status_known=status in EXPERIMENT_STATUSES,
        metrics={str(k): float(v) for k, v in build.metrics.items()},
        parameters={str(k): str(v) for k, v in build.params.items()},
        created_at=timestamp(build.audit, "created_at") if build.HasField("audit") else None,
        completed_at=timestamp(build, "end_date"),
        created_by=_text(build.audit.created_by),
        extra=_build_extra(build),
    )


def deployment_status(status_message: Any) -> tuple[str | None, str]:
    """(Pond's status, the platform's word) from a v1 ModelDeploymentStatus oneof."""
    which = status_message.WhichOneof("status") if status_message is not None else None
    if not which:
        return None, ""
    word = which.removeprefix("model_deployment_status_")
    return DEPLOYMENT_STATUS.get(word, word), word


def _artifact(identifier: Any) -> tuple[str, dict]:
    """(model id, extra) from a ModelArtifactIdentifier (model-based or custom)."""
    kind = identifier.WhichOneof("identifier_type")
    if kind == "model_based_artifact_id":
        a = identifier.model_based_artifact_id
        return a.model_id, {
            "model_group_id": a.model_group_id,
            "image_path": a.image_path,
            "jfrog_project_key": a.jfrog_project_key,
        }
    if kind == "custom_model_artifact_id":
        a = identifier.custom_model_artifact_id
        return a.model_id, {
            "model_group_id": a.model_group_id,
            "build_id": a.build_id,
            "jfrog_project_key": a.jfrog_project_key,
        }
    return "", {}


def _deployment(
    *,
    deployment_id: str,
    status_message: Any,
    environment: str,
    created_at,
    identifier: Any,
    failures,
    replicas=None,
) -> Deployment:
    status, word = deployment_status(status_message)
    model_id, extra = _artifact(identifier)
    extra.update(environment=environment, platform_status=word)
    reasons = "; ".join(f"{f.reason}: {f.message}".strip(": ") for f in failures)
    if reasons:
        extra["failure_reasons"] = reasons
    return Deployment(
        id=deployment_id,
        name=None,  # the platform names no deployment: pages show its id, environment and model
        model_id=_text(model_id),
        # A version (build) is named only by a custom artifact; a model-based one names none.
        model_version_id=_text(extra.get("build_id", "")),
        status=status,
        status_known=status in DEPLOYMENT_STATUSES,
        replicas=replicas,
        created_at=created_at,
        extra={k: v for k, v in extra.items() if v},
    )


def deployment_brief(brief: Any) -> Deployment:
    """ModelDeploymentBrief (the list) → Deployment."""
    return _deployment(
        deployment_id=brief.deployment_id,
        status_message=brief.status if brief.HasField("status") else None,
        environment=brief.environment,
        created_at=timestamp(brief, "created_at"),
        identifier=brief.model_artifact_identifier,
        failures=brief.failure_reasons,
    )


def deployment_information(info: Any) -> Deployment:
    """ModelDeploymentInformation (one deployment) → Deployment, with replicas."""
    meta = info.model_deployment_metadata
    spec = info.model_deployment_spec
    replicas = (
        spec.realtime_deployment.replica_count if spec.HasField("realtime_deployment") else None
    )
    return _deployment(
        deployment_id=meta.deployment_id,
        status_message=meta.status if meta.HasField("status") else None,
        environment=meta.environment,
        created_at=timestamp(meta, "created_at"),
        identifier=info.model_artifact_identifier,
        failures=meta.failure_reasons,
        replicas=replicas or None,
    )
