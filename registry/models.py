"""The embedded JFrog ML registry's data.

Derived fields of a model (`versions_count`, `latest_version`, `updated_at`) are
denormalised onto its row and kept true by the services in the same transaction,
so that listing 10,000 models never aggregates 100,000 versions.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

STORED_TEXT_MAX = 1000


class JSONTextField(models.TextField):
    """JSON kept as text: PostgreSQL's jsonb refuses NUL (\\u0000) in strings, which
    JSON allows and clients may send in metric names or parameter values. Nothing
    queries inside these values, so text loses nothing."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return None if value is None else json.loads(value)

    def to_python(self, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    def get_prep_value(self, value: Any) -> Any:
        return None if value is None else json.dumps(value, separators=(",", ":"))


class VersionStatus(models.TextChoices):
    DRAFT = "draft"
    STAGING = "staging"
    PRODUCTION = "production"
    ARCHIVED = "archived"


class ExperimentStatus(models.TextChoices):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class DeploymentStatus(models.TextChoices):
    DEPLOYING = "deploying"
    ACTIVE = "active"
    STOPPED = "stopped"
    FAILED = "failed"


class RegisteredModel(models.Model):
    id = models.CharField(primary_key=True, max_length=64)
    # Stored wider than the API accepts (fields.MAX_NAME): tests write what a real
    # JFrog ML may hold (a 1,000-character name) straight into these tables, on
    # PostgreSQL too, to show Pond's pages cope with it.
    name = models.CharField(max_length=STORED_TEXT_MAX, unique=True)
    description = models.TextField(blank=True, default="")
    framework = models.CharField(max_length=100, blank=True, default="")
    task_type = models.CharField(max_length=100, blank=True, default="")
    tags = JSONTextField(default=list)
    latest_version = models.CharField(max_length=100, blank=True, default="")
    versions_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["created_at", "id"], name="registry_model_created")]
        permissions = [("access_api", "Can use the embedded JFrog ML registry API")]

    def __str__(self) -> str:
        return self.name


class ModelVersion(models.Model):
    id = models.CharField(primary_key=True, max_length=64)
    model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="versions")
    version = models.CharField(max_length=STORED_TEXT_MAX)  # wider than the API takes: see RegisteredModel.name
    description = models.TextField(blank=True, default="")
    status = models.CharField(max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    artifact_path = models.CharField(max_length=1000, blank=True, default="")
    metrics = JSONTextField(default=dict)
    parameters = JSONTextField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=150)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["model", "version"], name="registry_version_unique_label")
        ]
        indexes = [
            models.Index(fields=["model", "created_at", "id"], name="registry_version_by_model")
        ]

    def __str__(self) -> str:
        return f"{self.model_id}:{self.version}"


class Experiment(models.Model):
    id = models.CharField(primary_key=True, max_length=64)
    name = models.CharField(max_length=STORED_TEXT_MAX)  # wider than the API takes: see RegisteredModel.name
    description = models.TextField(blank=True, default="")
    # Deleting a model keeps its experiments: they are history, detached from it.
    model = models.ForeignKey(
        RegisteredModel, on_delete=models.SET_NULL, null=True, blank=True, related_name="experiments"
    )
    status = models.CharField(
        max_length=16, choices=ExperimentStatus.choices, default=ExperimentStatus.RUNNING
    )
    metrics = JSONTextField(default=dict)
    parameters = JSONTextField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=150)

    class Meta:
        indexes = [
            models.Index(fields=["created_at", "id"], name="registry_experiment_created"),
            models.Index(fields=["model", "created_at", "id"], name="registry_experiment_by_model"),
        ]

    def __str__(self) -> str:
        return self.name


class Deployment(models.Model):
    id = models.CharField(primary_key=True, max_length=64)
    name = models.CharField(max_length=STORED_TEXT_MAX)  # wider than the API takes: see RegisteredModel.name
    model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="deployments")
    # A served version cannot disappear underneath its deployment (the API answers 409).
    # RESTRICT, not PROTECT: deleting the model still takes both along in one go.
    model_version = models.ForeignKey(ModelVersion, on_delete=models.RESTRICT, related_name="deployments")
    status = models.CharField(
        max_length=16, choices=DeploymentStatus.choices, default=DeploymentStatus.DEPLOYING
    )
    # While `deploying`, the moment it becomes `active`; reads compute the transition
    # lazily so that no background process is needed.
    activates_at = models.DateTimeField(null=True, blank=True)
    endpoint_url = models.CharField(max_length=500)
    replicas = models.PositiveIntegerField(default=1)
    resources = JSONTextField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=150)

    class Meta:
        indexes = [models.Index(fields=["created_at", "id"], name="registry_deployment_created")]

    def __str__(self) -> str:
        return self.name


class ApiToken(models.Model):
    """A bearer token; only the sha256 of the token is stored, never the token."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="registry_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=16, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user_id})"
