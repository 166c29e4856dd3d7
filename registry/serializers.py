"""Input serializers, one per write operation. They validate; services write."""

from __future__ import annotations

from rest_framework import serializers

from registry.fields import (
    MAX_DESCRIPTION,
    MAX_ENTRIES,
    MAX_LABEL,
    MAX_PATH,
    MAX_STORED_ENTRIES,
    MetricsField,
    NameField,
    ParametersField,
    RFC3339DateTimeField,
    StrictCharField,
    StrictChoiceField,
    StrictIntegerField,
    TagsField,
)
from registry.models import DeploymentStatus, ExperimentStatus, VersionStatus

MAX_REPLICAS = 100
MAX_GPU = 64


def _description() -> StrictCharField:
    return StrictCharField(required=False, allow_blank=True, max_length=MAX_DESCRIPTION)


def _label() -> StrictCharField:
    return StrictCharField(required=False, allow_blank=True, max_length=MAX_LABEL)


def _ref(help_text: str) -> StrictCharField:
    return StrictCharField(max_length=64, help_text=help_text)


class ModelRequestSerializer(serializers.Serializer):
    name = NameField(help_text="Unique among models.")
    description = _description()
    framework = _label()
    task_type = _label()
    tags = TagsField(required=False)


class ModelVersionRequestSerializer(serializers.Serializer):
    version = NameField(max_length=MAX_LABEL, help_text="Unique among the model's versions.")
    description = _description()
    status = StrictChoiceField(choices=VersionStatus.choices, required=False)
    artifact_path = StrictCharField(required=False, allow_blank=True, max_length=MAX_PATH)
    metrics = MetricsField(required=False)
    parameters = ParametersField(required=False)


class ModelVersionPatchSerializer(serializers.Serializer):
    status = StrictChoiceField(choices=VersionStatus.choices, required=False)
    description = _description()


class ExperimentRequestSerializer(serializers.Serializer):
    name = NameField()
    description = _description()
    model_id = StrictCharField(required=False, max_length=64, help_text="An existing model's ID.")
    parameters = ParametersField(required=False)


class ExperimentPatchSerializer(serializers.Serializer):
    status = StrictChoiceField(choices=ExperimentStatus.choices, required=False)
    metrics = MetricsField(
        required=False,
        help_text=(
            f"Merged into the experiment's metrics; at most {MAX_ENTRIES} entries per request, and the "
            f"merged total at most {MAX_STORED_ENTRIES} names (else 400 naming `metrics`, nothing written)."
        ),
    )
    completed_at = RFC3339DateTimeField(
        required=False,
        help_text="RFC 3339 date-time with an offset; only with a terminal status.",
    )


class ResourcesSerializer(serializers.Serializer):
    cpu = StrictCharField(required=False, max_length=32, help_text="e.g. `500m` or `2`.")
    memory = StrictCharField(required=False, max_length=32, help_text="e.g. `512Mi` or `4Gi`.")
    gpu = StrictIntegerField(required=False, min_value=0, max_value=MAX_GPU)

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"body": ["Expected a JSON object."]})
        return super().to_internal_value(data)


class DeploymentRequestSerializer(serializers.Serializer):
    name = NameField()
    model_id = _ref("An existing model's ID.")
    model_version_id = _ref("The ID of a version of that model.")
    replicas = StrictIntegerField(required=False, default=1, min_value=1, max_value=MAX_REPLICAS)
    resources = ResourcesSerializer(required=False)


class DeploymentPatchSerializer(serializers.Serializer):
    replicas = StrictIntegerField(required=False, min_value=1, max_value=MAX_REPLICAS)
    status = StrictChoiceField(choices=DeploymentStatus.choices, required=False)
