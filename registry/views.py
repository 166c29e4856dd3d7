"""The JFrog ML REST API: thin views that validate, call a service, render JSON."""

from __future__ import annotations

import re
from typing import Any

from django.utils import timezone
from rest_framework import serializers as drf_serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import schema, selectors, services
from registry.auth import (
    CHANGE_PERM,
    DEPLOY_PERM,
    BasicAuthentication,
    BearerTokenAuthentication,
    HasRegistryAccess,
    is_service_principal,
)
from registry.errors import exception_handler
from registry.fields import DEFAULT_LIMIT, MAX_BODY_BYTES, MAX_LIMIT, MAX_OFFSET
from registry.models import Deployment, Experiment, ModelVersion, RegisteredModel
from registry.serializers import (
    DeploymentPatchSerializer,
    DeploymentRequestSerializer,
    ExperimentPatchSerializer,
    ExperimentRequestSerializer,
    ModelRequestSerializer,
    ModelVersionPatchSerializer,
    ModelVersionRequestSerializer,
)


class JSONOnlyNegotiation(BaseContentNegotiation):
    """The API speaks JSON only, whatever the Accept header asks for."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class RegistryApi(APIView):
    authentication_classes = [BearerTokenAuthentication, BasicAuthentication]
    permission_classes = [HasRegistryAccess]
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    content_negotiation_class = JSONOnlyNegotiation
    metadata_class = None
    # No OPTIONS: the documents list every method each path supports.
    http_method_names = ["get", "post", "put", "patch", "delete", "head"]
    # What a write needs besides registry.access_api (HasRegistryAccess), as in Pond's forms.
    write_permission = CHANGE_PERM

    def get_exception_handler(self):
        return exception_handler

    @property
    def username(self) -> str:
        return self.request.user.get_username()

    @property
    def by_service_principal(self) -> bool:
        """Pond itself, whose review flow alone moves versions into or out of production."""
        return is_service_principal(self.request.auth)


def _body(
    request: Request, serializer_class: type[drf_serializers.Serializer], *, required: bool = True
) -> dict[str, Any]:
    """The validated JSON object body, or a 400 naming what is wrong.

    A PATCH may come without a body: it changes nothing."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= 0:
        if not required:
            return {}
        raise ValidationError({"body": ["A JSON object body is required."]})
    if length > MAX_BODY_BYTES:
        raise ValidationError({"body": [f"The body exceeds {MAX_BODY_BYTES} bytes."]})
    media_type = (request.content_type or "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise ValidationError({"Content-Type": ["Content-Type must be application/json."]})
    data = request.data
    if not isinstance(data, dict):
        raise ValidationError({"body": [f"Expected a JSON object, got {type(data).__name__}."]})
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _query_int(request: Request, name: str, *, default: int | None, maximum: int) -> int | None:
    values = request.query_params.getlist(name)
    if not values:
        return default
    if len(values) > 1:
        raise ValidationError({name: [f"Give {name} at most once."]})
    raw = values[0]
    if not re.fullmatch(r"-?[0-9]{1,12}", raw):
        raise ValidationError({name: ["A whole number is required."]})
    value = int(raw)
    if value < 0:
        raise ValidationError({name: ["Must be 0 or more."]})
    if value > maximum:
        raise ValidationError({name: [f"Must be at most {maximum}."]})
    return value


def _query_str(request: Request, name: str) -> str | None:
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise ValidationError({name: [f"Give {name} at most once."]})
    return values[0] if values else None


def _page_params(request: Request) -> tuple[int | None, int]:
    limit = _query_int(request, "limit", default=None, maximum=MAX_LIMIT)
    offset = _query_int(request, "offset", default=0, maximum=MAX_OFFSET)
    return limit, offset or 0


# --- models --------------------------------------------------------------------


class ModelListApi(RegistryApi):
    @schema.list_models
    def get(self, request: Request) -> Response:
        limit = _query_int(request, "limit", default=DEFAULT_LIMIT, maximum=MAX_LIMIT)
        offset = _query_int(request, "offset", default=0, maximum=MAX_OFFSET)
        models, total = selectors.model_list(limit=limit, offset=offset)
        return Response({"models": [selectors.model_json(m) for m in models], "total_count": total})

    @schema.create_model
    def post(self, request: Request) -> Response:
        data = _body(request, ModelRequestSerializer)
        model = services.model_create(data=data, created_by=self.username)
        return Response(selectors.model_json(model), status=201)


class ModelDetailApi(RegistryApi):
    @schema.get_model
    def get(self, request: Request, modelId: str) -> Response:  # noqa: N803 - the spec's name
        model = services.get_or_404(RegisteredModel.objects, modelId, "Model")
        return Response(selectors.model_json(model))

    @schema.update_model
    def put(self, request: Request, modelId: str) -> Response:  # noqa: N803
        services.get_or_404(RegisteredModel.objects, modelId, "Model")
        data = _body(request, ModelRequestSerializer)
        model = services.model_update(model_id=modelId, data=data)
        return Response(selectors.model_json(model))

    @schema.delete_model
    def delete(self, request: Request, modelId: str) -> Response:  # noqa: N803
        services.model_delete(model_id=modelId, by_service_principal=self.by_service_principal)
        return Response(status=204)


# --- versions ------------------------------------------------------------------


class VersionListApi(RegistryApi):
    @schema.list_model_versions
    def get(self, request: Request, modelId: str) -> Response:  # noqa: N803
        limit, offset = _page_params(request)
        model = services.get_or_404(RegisteredModel.objects, modelId, "Model")
        versions, total = selectors.version_list(model=model, limit=limit, offset=offset)
        return Response({"versions": [selectors.version_json(v) for v in versions], "total_count": total})

    @schema.create_model_version
    def post(self, request: Request, modelId: str) -> Response:  # noqa: N803
        services.get_or_404(RegisteredModel.objects, modelId, "Model")
        data = _body(request, ModelVersionRequestSerializer)
        version = services.version_create(
            model_id=modelId, data=data, created_by=self.username, by_service_principal=self.by_service_principal
        )
        return Response(selectors.version_json(version), status=201)


class VersionDetailApi(RegistryApi):
    @schema.get_model_version
    def get(self, request: Request, modelId: str, versionId: str) -> Response:  # noqa: N803
        model = services.get_or_404(RegisteredModel.objects, modelId, "Model")
        version = services.get_or_404(ModelVersion.objects.filter(model=model), versionId, "Version")
        return Response(selectors.version_json(version))

    @schema.update_model_version
    def patch(self, request: Request, modelId: str, versionId: str) -> Response:  # noqa: N803
        model = services.get_or_404(RegisteredModel.objects, modelId, "Model")
        services.get_or_404(ModelVersion.objects.filter(model=model), versionId, "Version")
        data = _body(request, ModelVersionPatchSerializer, required=False)
        version = services.version_update(
            model_id=modelId, version_id=versionId, data=data, by_service_principal=self.by_service_principal
        )
        return Response(selectors.version_json(version))

    @schema.delete_model_version
    def delete(self, request: Request, modelId: str, versionId: str) -> Response:  # noqa: N803
        services.version_delete(model_id=modelId, version_id=versionId, by_service_principal=self.by_service_principal)
        return Response(status=204)


# --- experiments -----------------------------------------------------------------


class ExperimentListApi(RegistryApi):
    @schema.list_experiments
    def get(self, request: Request) -> Response:
        model_id = _query_str(request, "model_id")
        limit, offset = _page_params(request)
        experiments, total = selectors.experiment_list(model_id=model_id, limit=limit, offset=offset)
        return Response({"experiments": [selectors.experiment_json(e) for e in experiments], "total_count": total})

    @schema.create_experiment
    def post(self, request: Request) -> Response:
        data = _body(request, ExperimentRequestSerializer)
        experiment = services.experiment_create(data=data, created_by=self.username)
        return Response(selectors.experiment_json(experiment), status=201)


class ExperimentDetailApi(RegistryApi):
    @schema.get_experiment
    def get(self, request: Request, experimentId: str) -> Response:  # noqa: N803
        experiment = services.get_or_404(Experiment.objects, experimentId, "Experiment")
        return Response(selectors.experiment_json(experiment))

    @schema.update_experiment
    def patch(self, request: Request, experimentId: str) -> Response:  # noqa: N803
        services.get_or_404(Experiment.objects, experimentId, "Experiment")
        data = _body(request, ExperimentPatchSerializer, required=False)
        experiment = services.experiment_update(experiment_id=experimentId, data=data)
        return Response(selectors.experiment_json(experiment))

    @schema.delete_experiment
    def delete(self, request: Request, experimentId: str) -> Response:  # noqa: N803
        services.experiment_delete(experiment_id=experimentId)
        return Response(status=204)


# --- deployments -------------------------------------------------------------------


class DeploymentListApi(RegistryApi):
    write_permission = DEPLOY_PERM

    @schema.list_deployments
    def get(self, request: Request) -> Response:
        limit, offset = _page_params(request)
        deployments, total = selectors.deployment_list(limit=limit, offset=offset)
        now = timezone.now()
        return Response({"deployments": [selectors.deployment_json(d, now=now) for d in deployments], "total_count": total})

    @schema.create_deployment
    def post(self, request: Request) -> Response:
        data = _body(request, DeploymentRequestSerializer)
        deployment = services.deployment_create(data=data, created_by=self.username)
        return Response(selectors.deployment_json(deployment, with_resources=True), status=201)


class DeploymentDetailApi(RegistryApi):
    write_permission = DEPLOY_PERM

    @schema.get_deployment
    def get(self, request: Request, deploymentId: str) -> Response:  # noqa: N803
        deployment = services.get_or_404(Deployment.objects, deploymentId, "Deployment")
        return Response(selectors.deployment_json(deployment))

    @schema.update_deployment
    def patch(self, request: Request, deploymentId: str) -> Response:  # noqa: N803
        services.get_or_404(Deployment.objects, deploymentId, "Deployment")
        data = _body(request, DeploymentPatchSerializer, required=False)
        deployment = services.deployment_update(deployment_id=deploymentId, data=data)
        return Response(selectors.deployment_json(deployment))

    @schema.delete_deployment
    def delete(self, request: Request, deploymentId: str) -> Response:  # noqa: N803
        services.deployment_delete(deployment_id=deploymentId)
        return Response(status=204)


@schema.not_an_operation
class NotFoundApi(RegistryApi):
    """Any other path under /ml/api/: a JSON 404 in the one error shape."""

    def _not_found(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise NotFound("No such API path.")

    get = post = put = patch = delete = _not_found
