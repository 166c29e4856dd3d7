"""The registry's own OpenAPI document: drf-spectacular plus the parts it cannot infer.

Responses are rendered by plain functions (selectors), so their schemas are written
here once, next to the error shape and the two security schemes.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from registry.errors import ERROR_CODES
from registry.fields import MAX_STORED_ENTRIES
from registry.models import DeploymentStatus, ExperimentStatus, VersionStatus

_TIME = {"type": "string", "format": "date-time", "description": "ISO 8601, UTC (`Z`)."}
# What one version or experiment holds in all; registry.fields caps each request below it.
_METRICS = {
    "type": "object",
    "maxProperties": MAX_STORED_ENTRIES,
    "additionalProperties": {"type": "number"},
    "description": f"Metric name → number; at most {MAX_STORED_ENTRIES} names in all.",
}
_PARAMETERS = {
    "type": "object",
    "maxProperties": MAX_STORED_ENTRIES,
    "additionalProperties": {"type": "string"},
    "description": f"Parameter name → string value; at most {MAX_STORED_ENTRIES} names in all.",
}


def _obj(properties: dict[str, Any], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
    }


_DEPLOYMENT = {
    "id": {"type": "string"},
    "name": {"type": "string"},
    "model_id": {"type": "string"},
    "model_version_id": {"type": "string"},
    "status": {"type": "string", "enum": list(DeploymentStatus.values)},
    "endpoint_url": {"type": "string", "format": "uri"},
    "replicas": {"type": "integer", "minimum": 1},
    "created_at": _TIME,
    "updated_at": {**_TIME, "description": "ISO 8601, UTC; the time of the last status or scale change."},
}

COMPONENTS: dict[str, Any] = {
    "Model": _obj(
        {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "framework": {"type": "string", "description": "ML framework (e.g., tensorflow, pytorch, sklearn)"},
            "task_type": {"type": "string", "description": "Type of ML task (e.g., classification, regression, nlp)"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "latest_version": {
                "type": "string",
                "description": "The `version` label of the most recently created version; omitted while the model has none.",
            },
            "versions_count": {"type": "integer", "minimum": 0},
            "created_at": _TIME,
            "updated_at": _TIME,
            "created_by": {"type": "string"},
        },
        optional=("latest_version",),
    ),
    "ModelVersion": _obj(
        {
            "id": {"type": "string"},
            "model_id": {"type": "string"},
            "version": {"type": "string"},
            "description": {"type": "string"},
            "status": {"type": "string", "enum": list(VersionStatus.values)},
            "artifact_path": {"type": "string", "description": "Path to the model artifact in Artifactory"},
            "metrics": _METRICS,
            "parameters": _PARAMETERS,
            "created_at": _TIME,
            "created_by": {"type": "string"},
        }
    ),
    "Experiment": _obj(
        {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "model_id": {"type": "string", "description": "Omitted when the experiment has no model (or its model was deleted)."},
            "status": {"type": "string", "enum": list(ExperimentStatus.values)},
            "metrics": _METRICS,
            "parameters": _PARAMETERS,
            "created_at": _TIME,
            "completed_at": {**_TIME, "description": "Omitted while the experiment is running."},
            "created_by": {"type": "string"},
        },
        optional=("model_id", "completed_at"),
    ),
    "Deployment": _obj(_DEPLOYMENT),
    "DeploymentCreated": _obj(
        {
            **_DEPLOYMENT,
            "resources": {
                "type": "object",
                "description": "As requested; returned by create only.",
                "properties": {"cpu": {"type": "string"}, "memory": {"type": "string"}, "gpu": {"type": "integer"}},
            },
        }
    ),
    "Error": {
        "type": "object",
        "description": "The one error shape. `fields` appears on validation errors (code `invalid`) only.",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "enum": ERROR_CODES},
                    "message": {"type": "string"},
                    "fields": {
                        "type": "object",
                        "description": "Field name (dotted when nested) → messages.",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    },
                },
            }
        },
    },
}

# Appended to the document's description (SPECTACULAR_SETTINGS): who may do what.
ACCESS_TEXT = """

## Who may do what

The same rule holds for a bearer token and for HTTP basic: a token carries the Pond rights of the
user it was made for, exactly as that user's password would.

- No or invalid credentials: **401**, with `WWW-Authenticate`.
- A user with no Pond role: **403** for every call.
- A `viewer`: reads only; every write is **403**.
- An `engineer`, `reviewer` or `admin` (or a superuser): reads and writes.
- A program's account holding `registry.access_api` (what `manage.py registry_token create` gives
  an account it makes): reads and writes, as an engineer does.
- Pond's review flow: a version reaches `staging` or `production`, or leaves `production`, only
  through a review in Pond (/reviews/), which applies its decision as Pond's own
  **service principal**. For anyone else, creating a version as `staging` or `production`, setting either
  status, changing the status of a version in production, deleting such a version, or deleting a
  model that has one is **403**, naming the review flow, and nothing changes. Setting `draft` or
  `archived` (but for a version in production), or a status the version already has, is a write
  like any other.

A running server remembers a checked token for `REGISTRY_TOKEN_CACHE_SECONDS` (10 s by default):
a role taken away by another process may still be honoured there for that long.
"""

SECURITY_SCHEMES = {
    "bearerAuth": {"type": "http", "scheme": "bearer", "description": "Access token authentication"},
    "basicAuth": {"type": "http", "scheme": "basic", "description": "Basic username/password authentication"},
}


class BearerScheme(OpenApiAuthenticationExtension):
    target_class = "registry.auth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return SECURITY_SCHEMES["bearerAuth"]


class BasicScheme(OpenApiAuthenticationExtension):
    target_class = "registry.auth.BasicAuthentication"
    name = "basicAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return SECURITY_SCHEMES["basicAuth"]


def _drop_blank_alternative(node: Any) -> None:
    """drf-spectacular renders `allow_blank` as `oneOf: [string, {maxLength: 0}]`; "" then
    matches both branches, which oneOf forbids. Our patterns already admit "", so keep
    the first branch alone."""
    if isinstance(node, dict):
        branches = node.get("oneOf")
        if (
            isinstance(branches, list)
            and len(branches) == 2
            and branches[1] == {"type": "string", "maxLength": 0}
        ):
            del node["oneOf"]
            node.update(branches[0])
        for value in node.values():
            _drop_blank_alternative(value)
    elif isinstance(node, list):
        for value in node:
            _drop_blank_alternative(value)


def postprocess(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook (see SPECTACULAR_SETTINGS)."""
    _drop_blank_alternative(result)
    info = result.setdefault("info", {})
    info["description"] = info.get("description", "") + ACCESS_TEXT
    components = result.setdefault("components", {})
    components.setdefault("schemas", {}).update(COMPONENTS)
    components["securitySchemes"] = SECURITY_SCHEMES
    result["security"] = [{"bearerAuth": []}, {"basicAuth": []}]
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            operation["security"] = [{"bearerAuth": []}, {"basicAuth": []}]
            unauthorized = operation.get("responses", {}).get("401")
            if unauthorized is not None:
                unauthorized["headers"] = {
                    "WWW-Authenticate": {
                        "schema": {"type": "string"},
                        "required": True,
                        "description": 'The schemes accepted, e.g. `Bearer realm="jfrog-ml"`.',
                    }
                }
    return result
