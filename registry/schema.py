"""The OpenAPI description of each operation of the registry's API (drf-spectacular).

The views apply these (`@schema.list_models`); registry.openapi adds what drf-spectacular
cannot infer (the response shapes, the error shape, the security schemes).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from registry.fields import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, MAX_STORED_ENTRIES
from registry.serializers import (
    DeploymentPatchSerializer,
    DeploymentRequestSerializer,
    ExperimentPatchSerializer,
    ExperimentRequestSerializer,
    ModelRequestSerializer,
    ModelVersionPatchSerializer,
    ModelVersionRequestSerializer,
)

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


PAGE_NOTE = (
    f" **Pond extension:** optional `limit` (0–{MAX_LIMIT}) and `offset` (0–{MAX_OFFSET}) page the "
    "list, each given once, and `total_count` counts every match; without `limit` the whole list "
    "is returned, as the spec says."
)
PAGE_PARAMETERS = [
    OpenApiParameter("limit", {"type": "integer", "minimum": 0, "maximum": MAX_LIMIT}, OpenApiParameter.QUERY, description="Pond extension: maximum number of results (default: all)"),
    OpenApiParameter("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}, OpenApiParameter.QUERY, description="Pond extension: offset for pagination"),
]

MODEL_ID = OpenApiParameter("modelId", str, OpenApiParameter.PATH, description="Model ID")
VERSION_ID = OpenApiParameter("versionId", str, OpenApiParameter.PATH, description="Version ID (not the version label)")
EXPERIMENT_ID = OpenApiParameter("experimentId", str, OpenApiParameter.PATH, description="Experiment ID")
DEPLOYMENT_ID = OpenApiParameter("deploymentId", str, OpenApiParameter.PATH, description="Deployment ID")

# Not an operation: the JSON 404 of any other path (documenting it failed `check --deploy`, W002).
not_an_operation = extend_schema(exclude=True)


# --- models ----------------------------------------------------------------

list_models = extend_schema(
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

create_model = extend_schema(
    operation_id="createModel",
    summary="JFrog Create Model",
    description="Registers a new ML model in the model registry. Model names are unique: a duplicate is 409.",
    tags=["Models"],
    request=ModelRequestSerializer,
    responses=_responses({201: OpenApiResponse(_ref("Model"), description="Model created")}, 400, 409),
)

get_model = extend_schema(
    operation_id="getModel",
    summary="JFrog Get Model",
    description="Returns details for a specific model.",
    tags=["Models"],
    parameters=[MODEL_ID],
    responses=_responses({200: OpenApiResponse(_ref("Model"), description="Model details retrieved")}, 404),
)

update_model = extend_schema(
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

delete_model = extend_schema(
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

# --- versions --------------------------------------------------------------

list_model_versions = extend_schema(
    operation_id="listModelVersions",
    summary="JFrog List Model Versions",
    description="Returns all versions for a specific model, newest first." + PAGE_NOTE,
    tags=["Model Versions"],
    parameters=[MODEL_ID, *PAGE_PARAMETERS],
    responses=_responses(
        {200: OpenApiResponse(_list_of("versions", "ModelVersion", total=True), description="Model versions list")}, 400, 404
    ),
)

create_model_version = extend_schema(
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

get_model_version = extend_schema(
    operation_id="getModelVersion",
    summary="JFrog Get Model Version",
    description="Returns details for a specific model version.",
    tags=["Model Versions"],
    parameters=[MODEL_ID, VERSION_ID],
    responses=_responses({200: OpenApiResponse(_ref("ModelVersion"), description="Model version details")}, 404),
)

update_model_version = extend_schema(
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

delete_model_version = extend_schema(
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

# --- experiments -----------------------------------------------------------

list_experiments = extend_schema(
    operation_id="listExperiments",
    summary="JFrog List Experiments",
    description="Returns a list of all ML experiments, newest first. `model_id` (given once) filters by model; an unknown ID yields an empty list." + PAGE_NOTE,
    tags=["Experiments"],
    parameters=[OpenApiParameter("model_id", str, OpenApiParameter.QUERY, description="Filter by model ID"), *PAGE_PARAMETERS],
    responses=_responses({200: OpenApiResponse(_list_of("experiments", "Experiment", total=True), description="Experiments list")}, 400),
)

create_experiment = extend_schema(
    operation_id="createExperiment",
    summary="JFrog Create Experiment",
    description="Creates a new ML experiment, `running`. `model_id`, when given, must name an existing model (else 400 naming `model_id`).",
    tags=["Experiments"],
    request=ExperimentRequestSerializer,
    responses=_responses({201: OpenApiResponse(_ref("Experiment"), description="Experiment created")}, 400),
)

get_experiment = extend_schema(
    operation_id="getExperiment",
    summary="JFrog Get Experiment",
    description="Returns details for a specific experiment.",
    tags=["Experiments"],
    parameters=[EXPERIMENT_ID],
    responses=_responses({200: OpenApiResponse(_ref("Experiment"), description="Experiment details")}, 404),
)

update_experiment = extend_schema(
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

delete_experiment = extend_schema(
    operation_id="deleteExperiment",
    summary="JFrog Delete Experiment",
    description="Deletes an experiment.",
    tags=["Experiments"],
    parameters=[EXPERIMENT_ID],
    responses=_responses({204: OpenApiResponse(description="Experiment deleted")}, 404),
)

# --- deployments -----------------------------------------------------------

list_deployments = extend_schema(
    operation_id="listDeployments",
    summary="JFrog List Deployments",
    description="Returns a list of all model deployments, newest first." + PAGE_NOTE,
    tags=["Deployments"],
    parameters=PAGE_PARAMETERS,
    responses=_responses({200: OpenApiResponse(_list_of("deployments", "Deployment", total=True), description="Deployments list")}, 400),
)

create_deployment = extend_schema(
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

get_deployment = extend_schema(
    operation_id="getDeployment",
    summary="JFrog Get Deployment",
    description="Returns details for a specific deployment.",
    tags=["Deployments"],
    parameters=[DEPLOYMENT_ID],
    responses=_responses({200: OpenApiResponse(_ref("Deployment"), description="Deployment details")}, 404),
)

update_deployment = extend_schema(
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

delete_deployment = extend_schema(
    operation_id="deleteDeployment",
    summary="JFrog Delete Deployment",
    description="Removes a model deployment.",
    tags=["Deployments"],
    parameters=[DEPLOYMENT_ID],
    responses=_responses({204: OpenApiResponse(description="Deployment deleted")}, 404),
)
