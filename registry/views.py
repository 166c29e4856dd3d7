"""The JFrog ML REST API: thin views that validate, call a service, render JSON."""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers as drf_serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import selectors, services
from registry.auth import (
    CHANGE_PERM,
    DEPLOY_PERM,
    BasicAuthentication,
    BearerTokenAuthentication,
    HasRegistryAccess,
    is_service_principal,
)
from registry.errors import exception_handler
from registry.fields import MAX_STORED_ENTRIES
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

DEFAULT_LIMIT = 25
MAX_LIMIT = 1000
MAX_OFFSET = 1_000_000_000
# A body bigger than this is refused before parsing.
MAX_BODY_BYTES = 1_048_576

PRODUCTION_NOTE = (
    "**Pond's review flow:** a version reaches staging or production, or leaves production, only "
    "through a review in Pond (/reviews/), which applies its decision as Pond's own service principal. "
)
EXTENSION_NOTE = (
    "**Pond extension** (`x-pond-extension: true`): the JFrog ML spec has no such operation; "
    "Pond's embedded registry adds it. "
)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _list_of(key: str, item: str, *, total: bool = False) -> dict[str, Any]:
    properties: dict[str, Any] = {key: {"type": "array", "items": _ref(item)}}
    if total:
        properties["total_count"] = {"type": "integer", "minimum": 0}
    return {"type": "object", "properties": properties, "required": list(properties)}


_ERROR_TEXT = {
    400: "Invalid input: the `fields` member names each bad field. Nothing was written.",
    401: "No or invalid credentials (bearer token or HTTP basic).",
    403: (
        "The credentials are valid but do not allow this call: their user has no Pond role (any "
        "call), or is a viewer (a write), or the call would move a version to staging or production, "
        "or out of production, which only Pond's review flow does."
    ),
    404: "No such resource.",
    409: "Conflict with the current state; nothing was written.",
}


def _responses(success: dict[int, Any], *errors: int) -> dict[int, Any]:
    out = dict(success)
    for code in (*errors, 401, 403):
        out[code] = OpenApiResponse(response=_ref("Error"), description=_ERROR_TEXT[code])
    return out


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


def _query_int(request: Request | HttpRequest, name: str, *, default: int | None, maximum: int) -> int | None:
    values = request.GET.getlist(name)
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


PAGE_NOTE = (
    f" **Pond extension:** optional `limit` (0–{MAX_LIMIT}) and `offset` (0–{MAX_OFFSET}) page the "
    "list, each given once, and `total_count` counts every match; without `limit` the whole list "
    "is returned, as the spec says."
)
PAGE_PARAMETERS = [
    OpenApiParameter("limit", {"type": "integer", "minimum": 0, "maximum": MAX_LIMIT}, OpenApiParameter.QUERY, description="Pond extension: maximum number of results (default: all)"),
    OpenApiParameter("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}, OpenApiParameter.QUERY, description="Pond extension: offset for pagination"),
]


def _page_params(request: Request) -> tuple[int | None, int]:
    limit = _query_int(request, "limit", default=None, maximum=MAX_LIMIT)
    offset = _query_int(request, "offset", default=0, maximum=MAX_OFFSET)
    return limit, offset or 0


MODEL_ID = OpenApiParameter("modelId", str, OpenApiParameter.PATH, description="Model ID")
VERSION_ID = OpenApiParameter("versionId", str, OpenApiParameter.PATH, description="Version ID (not the version label)")
EXPERIMENT_ID = OpenApiParameter("experimentId", str, OpenApiParameter.PATH, description="Experiment ID")
DEPLOYMENT_ID = OpenApiParameter("deploymentId", str, OpenApiParameter.PATH, description="Deployment ID")


# --- models --------------------------------------------------------------------


class ModelListApi(RegistryApi):
    @extend_schema(
        operation_id="listModels",
        summary="JFrog List Models",
        description=(
            "Returns a list of all registered ML models, oldest first (by `created_at`, then `id`), "
            f"`limit` (default {DEFAULT_LIMIT}, 0–{MAX_LIMIT}) at a time from `offset` (0–{MAX_OFFSET}). "
            "`total_count` counts every model. Each parameter may be given once."
        ),
        tags=["Models"],
        parameters=[
            OpenApiParameter("limit", {"type": "integer", "minimum": 0, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}, OpenApiParameter.QUERY, description="Maximum number of results"),
            OpenApiParameter("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}, OpenApiParameter.QUERY, description="Offset for pagination"),
        ],
        responses=_responses({200: OpenApiResponse(_list_of("models", "Model", total=True), description="Models list retrieved")}, 400),
    )
    def get(self, request: Request) -> Response:
        limit = _query_int(request, "limit", default=DEFAULT_LIMIT, maximum=MAX_LIMIT)
        offset = _query_int(request, "offset", default=0, maximum=MAX_OFFSET)
        models, total = selectors.model_list(limit=limit, offset=offset)
        return Response({"models": [selectors.model_json(m) for m in models], "total_count": total})

    @extend_schema(
        operation_id="createModel",
        summary="JFrog Create Model",
        description="Registers a new ML model in the model registry. Model names are unique: a duplicate is 409.",
        tags=["Models"],
        request=ModelRequestSerializer,
        responses=_responses({201: OpenApiResponse(_ref("Model"), description="Model created")}, 400, 409),
    )
    def post(self, request: Request) -> Response:
        data = _body(request, ModelRequestSerializer)
        model = services.model_create(data=data, created_by=self.username)
        return Response(selectors.model_json(model), status=201)


class ModelDetailApi(RegistryApi):
    @extend_schema(
        operation_id="getModel",
        summary="JFrog Get Model",
        description="Returns details for a specific model.",
        tags=["Models"],
        parameters=[MODEL_ID],
        responses=_responses({200: OpenApiResponse(_ref("Model"), description="Model details retrieved")}, 404),
    )
    def get(self, request: Request, modelId: str) -> Response:  # noqa: N803 - the spec's name
        return Response(selectors.model_json(services.get_or_404(RegisteredModel.objects, modelId, "Model")))

    @extend_schema(
        operation_id="updateModel",
        summary="JFrog Update Model",
        description=(
            "Updates model metadata. `name` is required; the other fields sent replace the stored "
            "values and fields not sent are kept. Renaming onto another model's name is 409. "
            "Answers the updated model."
        ),
        tags=["Models"],
        parameters=[MODEL_ID],
        request=ModelRequestSerializer,
        responses=_responses({200: OpenApiResponse(_ref("Model"), description="Model updated")}, 400, 404, 409),
    )
    def put(self, request: Request, modelId: str) -> Response:  # noqa: N803
        services.get_or_404(RegisteredModel.objects, modelId, "Model")
        data = _body(request, ModelRequestSerializer)
        model = services.model_update(model_id=modelId, data=data)
        return Response(selectors.model_json(model))

    @extend_schema(
        operation_id="deleteModel",
        summary="JFrog Delete Model",
        description=(
            "Deletes a model and all its versions, and its deployments. Its experiments are kept, "
            "detached from it: their `model_id` is then omitted. " + PRODUCTION_NOTE + "A model with a "
            "version in production is therefore not deleted (403) but by Pond's service principal."
        ),
        tags=["Models"],
        parameters=[MODEL_ID],
        responses=_responses({204: OpenApiResponse(description="Model deleted")}, 404),
    )
    def delete(self, request: Request, modelId: str) -> Response:  # noqa: N803
        services.model_delete(model_id=modelId, by_service_principal=self.by_service_principal)
        return Response(status=204)


# --- versions ------------------------------------------------------------------


class VersionListApi(RegistryApi):
    @extend_schema(
        operation_id="listModelVersions",
        summary="JFrog List Model Versions",
        description="Returns all versions for a specific model, newest first." + PAGE_NOTE,
        tags=["Model Versions"],
        parameters=[MODEL_ID, *PAGE_PARAMETERS],
        responses=_responses(
            {200: OpenApiResponse(_list_of("versions", "ModelVersion", total=True), description="Model versions list")}, 400, 404
        ),
    )
    def get(self, request: Request, modelId: str) -> Response:  # noqa: N803
        limit, offset = _page_params(request)
        model = services.get_or_404(RegisteredModel.objects, modelId, "Model")
        versions, total = selectors.version_list(model=model, limit=limit, offset=offset)
        return Response({"versions": [selectors.version_json(v) for v in versions], "total_count": total})

    @extend_schema(
        operation_id="createModelVersion",
        summary="JFrog Create Model Version",
        description=(
            "Creates a new version for a model (status `draft` unless given). Version labels are "
            "unique per model: a duplicate is 409. The model's `latest_version`, `versions_count` "
            "and `updated_at` follow. " + PRODUCTION_NOTE + "A version created as `staging` or "
            "`production` is therefore refused (403) but for Pond's service principal."
        ),
        tags=["Model Versions"],
        parameters=[MODEL_ID],
        request=ModelVersionRequestSerializer,
        responses=_responses({201: OpenApiResponse(_ref("ModelVersion"), description="Model version created")}, 400, 404, 409),
    )
    def post(self, request: Request, modelId: str) -> Response:  # noqa: N803
        services.get_or_404(RegisteredModel.objects, modelId, "Model")
        data = _body(request, ModelVersionRequestSerializer)
        version = services.version_create(
            model_id=modelId, data=data, created_by=self.username, by_service_principal=self.by_service_principal
        )
        return Response(selectors.version_json(version), status=201)


class VersionDetailApi(RegistryApi):
    @extend_schema(
        operation_id="getModelVersion",
        summary="JFrog Get Model Version",
        description="Returns details for a specific model version.",
        tags=["Model Versions"],
        parameters=[MODEL_ID, VERSION_ID],
        responses=_responses({200: OpenApiResponse(_ref("ModelVersion"), description="Model version details")}, 404),
    )
    def get(self, request: Request, modelId: str, versionId: str) -> Response:  # noqa: N803
        model = services.get_or_404(RegisteredModel.objects, modelId, "Model")
        version = services.get_or_404(ModelVersion.objects.filter(model=model), versionId, "Version")
        return Response(selectors.version_json(version))

    @extend_schema(
        operation_id="updateModelVersion",
        summary="Update Model Version (Pond extension)",
        description=EXTENSION_NOTE + (
            "Changes a version's `status` and/or `description`; other fields are immutable. "
            + PRODUCTION_NOTE
            + "Setting `status` to `staging` or `production`, or changing the status of a version in "
            "production, is therefore refused (403, nothing changes) but for Pond's service principal; "
            "a status the version already has is no move."
        ),
        tags=["Model Versions"],
        parameters=[MODEL_ID, VERSION_ID],
        request=ModelVersionPatchSerializer,
        responses=_responses({200: OpenApiResponse(_ref("ModelVersion"), description="Model version updated")}, 400, 404),
        extensions={"x-pond-extension": True},
    )
    def patch(self, request: Request, modelId: str, versionId: str) -> Response:  # noqa: N803
        model = services.get_or_404(RegisteredModel.objects, modelId, "Model")
        services.get_or_404(ModelVersion.objects.filter(model=model), versionId, "Version")
        data = _body(request, ModelVersionPatchSerializer, required=False)
        version = services.version_update(
            model_id=modelId, version_id=versionId, data=data, by_service_principal=self.by_service_principal
        )
        return Response(selectors.version_json(version))

    @extend_schema(
        operation_id="deleteModelVersion",
        summary="JFrog Delete Model Version",
        description=(
            "Deletes a specific model version. Refused with 409, naming the deployment, while a "
            "deployment serves the version: delete the deployment first. " + PRODUCTION_NOTE + "A "
            "version in production is therefore not deleted (403) but by Pond's service principal."
        ),
        tags=["Model Versions"],
        parameters=[MODEL_ID, VERSION_ID],
        responses=_responses({204: OpenApiResponse(description="Model version deleted")}, 404, 409),
    )
    def delete(self, request: Request, modelId: str, versionId: str) -> Response:  # noqa: N803
        services.version_delete(model_id=modelId, version_id=versionId, by_service_principal=self.by_service_principal)
        return Response(status=204)


# --- experiments -----------------------------------------------------------------


class ExperimentListApi(RegistryApi):
    @extend_schema(
        operation_id="listExperiments",
        summary="JFrog List Experiments",
        description="Returns a list of all ML experiments, newest first. `model_id` (given once) filters by model; an unknown ID yields an empty list." + PAGE_NOTE,
        tags=["Experiments"],
        parameters=[OpenApiParameter("model_id", str, OpenApiParameter.QUERY, description="Filter by model ID"), *PAGE_PARAMETERS],
        responses=_responses({200: OpenApiResponse(_list_of("experiments", "Experiment", total=True), description="Experiments list")}, 400),
    )
    def get(self, request: Request) -> Response:
        model_id = _query_str(request, "model_id")
        limit, offset = _page_params(request)
        experiments, total = selectors.experiment_list(model_id=model_id, limit=limit, offset=offset)
        return Response({"experiments": [selectors.experiment_json(e) for e in experiments], "total_count": total})

    @extend_schema(
        operation_id="createExperiment",
        summary="JFrog Create Experiment",
        description="Creates a new ML experiment, `running`. `model_id`, when given, must name an existing model (else 400 naming `model_id`).",
        tags=["Experiments"],
        request=ExperimentRequestSerializer,
        responses=_responses({201: OpenApiResponse(_ref("Experiment"), description="Experiment created")}, 400),
    )
    def post(self, request: Request) -> Response:
        data = _body(request, ExperimentRequestSerializer)
        experiment = services.experiment_create(data=data, created_by=self.username)
        return Response(selectors.experiment_json(experiment), status=201)


class ExperimentDetailApi(RegistryApi):
    @extend_schema(
        operation_id="getExperiment",
        summary="JFrog Get Experiment",
        description="Returns details for a specific experiment.",
        tags=["Experiments"],
        parameters=[EXPERIMENT_ID],
        responses=_responses({200: OpenApiResponse(_ref("Experiment"), description="Experiment details")}, 404),
    )
    def get(self, request: Request, experimentId: str) -> Response:  # noqa: N803
        experiment = services.get_or_404(Experiment.objects, experimentId, "Experiment")
        return Response(selectors.experiment_json(experiment))

    @extend_schema(
        operation_id="updateExperiment",
        summary="Update Experiment (Pond extension)",
        description=EXTENSION_NOTE + (
            "Sets `status`, merges `metrics` into the experiment's metrics, sets `completed_at`. "
            f"An experiment holds at most {MAX_STORED_ENTRIES} metrics: a merge that would pass that "
            "is 400 naming `metrics`, and nothing changes. "
            "Moving to a terminal status (completed, failed, cancelled) sets `completed_at` to now "
            "unless given; `completed_at` with a running status is 400. A finished experiment "
            "cannot change status (409)."
        ),
        tags=["Experiments"],
        parameters=[EXPERIMENT_ID],
        request=ExperimentPatchSerializer,
        responses=_responses({200: OpenApiResponse(_ref("Experiment"), description="Experiment updated")}, 400, 404, 409),
        extensions={"x-pond-extension": True},
    )
    def patch(self, request: Request, experimentId: str) -> Response:  # noqa: N803
        services.get_or_404(Experiment.objects, experimentId, "Experiment")
        data = _body(request, ExperimentPatchSerializer, required=False)
        experiment = services.experiment_update(experiment_id=experimentId, data=data)
        return Response(selectors.experiment_json(experiment))

    @extend_schema(
        operation_id="deleteExperiment",
        summary="JFrog Delete Experiment",
        description="Deletes an experiment.",
        tags=["Experiments"],
        parameters=[EXPERIMENT_ID],
        responses=_responses({204: OpenApiResponse(description="Experiment deleted")}, 404),
    )
    def delete(self, request: Request, experimentId: str) -> Response:  # noqa: N803
        services.experiment_delete(experiment_id=experimentId)
        return Response(status=204)


# --- deployments -------------------------------------------------------------------


class DeploymentListApi(RegistryApi):
    write_permission = DEPLOY_PERM

    @extend_schema(
        operation_id="listDeployments",
        summary="JFrog List Deployments",
        description="Returns a list of all model deployments, newest first." + PAGE_NOTE,
        tags=["Deployments"],
        parameters=PAGE_PARAMETERS,
        responses=_responses({200: OpenApiResponse(_list_of("deployments", "Deployment", total=True), description="Deployments list")}, 400),
    )
    def get(self, request: Request) -> Response:
        limit, offset = _page_params(request)
        deployments, total = selectors.deployment_list(limit=limit, offset=offset)
        now = timezone.now()
        return Response({"deployments": [selectors.deployment_json(d, now=now) for d in deployments], "total_count": total})

    @extend_schema(
        operation_id="createDeployment",
        summary="JFrog Create Deployment",
        description=(
            "Deploys a model version for serving predictions. The deployment starts `deploying` and "
            "becomes `active` after the registry's deploy delay (REGISTRY_DEPLOY_DELAY seconds). "
            "`model_id` and `model_version_id` must name an existing model and a version of that "
            "model (else 400 naming the field). `resources` is echoed in this response only."
        ),
        tags=["Deployments"],
        request=DeploymentRequestSerializer,
        responses=_responses({201: OpenApiResponse(_ref("DeploymentCreated"), description="Deployment created")}, 400),
    )
    def post(self, request: Request) -> Response:
        data = _body(request, DeploymentRequestSerializer)
        deployment = services.deployment_create(data=data, created_by=self.username)
        return Response(selectors.deployment_json(deployment, with_resources=True), status=201)


class DeploymentDetailApi(RegistryApi):
    write_permission = DEPLOY_PERM

    @extend_schema(
        operation_id="getDeployment",
        summary="JFrog Get Deployment",
        description="Returns details for a specific deployment.",
        tags=["Deployments"],
        parameters=[DEPLOYMENT_ID],
        responses=_responses({200: OpenApiResponse(_ref("Deployment"), description="Deployment details")}, 404),
    )
    def get(self, request: Request, deploymentId: str) -> Response:  # noqa: N803
        deployment = services.get_or_404(Deployment.objects, deploymentId, "Deployment")
        return Response(selectors.deployment_json(deployment))

    @extend_schema(
        operation_id="updateDeployment",
        summary="Update Deployment (Pond extension)",
        description=EXTENSION_NOTE + (
            "Scales (`replicas`) or changes `status`: `stopped` stops it, `failed` marks it failed, "
            "`deploying` (re)deploys it and restarts the activation timer, `active` completes a "
            "deployment at once. A stopped deployment can only be redeployed, a failed one redeployed "
            "or stopped; other moves are 409."
        ),
        tags=["Deployments"],
        parameters=[DEPLOYMENT_ID],
        request=DeploymentPatchSerializer,
        responses=_responses({200: OpenApiResponse(_ref("Deployment"), description="Deployment updated")}, 400, 404, 409),
        extensions={"x-pond-extension": True},
    )
    def patch(self, request: Request, deploymentId: str) -> Response:  # noqa: N803
        services.get_or_404(Deployment.objects, deploymentId, "Deployment")
        data = _body(request, DeploymentPatchSerializer, required=False)
        deployment = services.deployment_update(deployment_id=deploymentId, data=data)
        return Response(selectors.deployment_json(deployment))

    @extend_schema(
        operation_id="deleteDeployment",
        summary="JFrog Delete Deployment",
        description="Removes a model deployment.",
        tags=["Deployments"],
        parameters=[DEPLOYMENT_ID],
        responses=_responses({204: OpenApiResponse(description="Deployment deleted")}, 404),
    )
    def delete(self, request: Request, deploymentId: str) -> Response:  # noqa: N803
        services.deployment_delete(deployment_id=deploymentId)
        return Response(status=204)


@extend_schema(exclude=True)  # not an operation; documenting it failed `check --deploy` (W002)
class NotFoundApi(RegistryApi):
    """Any other path under /ml/api/: a JSON 404 in the one error shape."""

    def _not_found(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise NotFound("No such API path.")

    get = post = put = patch = delete = _not_found
