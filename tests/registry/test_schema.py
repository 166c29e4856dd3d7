"""The registry's own OpenAPI document states what the server enforces."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.django_db

SPEC = Path(__file__).resolve().parents[2].parent / "shared" / "jfrog-ml-openapi.yml"
EXTENSIONS = {"updateModelVersion", "updateExperiment", "updateDeployment"}


@pytest.fixture
def document(client) -> dict:
    resp = client.get("/ml/api/schema/?format=json")
    assert resp.status_code == 200
    return json.loads(resp.content)


def _operations(doc: dict) -> dict[str, tuple[str, str, dict]]:
    return {
        op["operationId"]: (path, method, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and "operationId" in op
    }


def test_it_documents_every_operation_of_the_spec_at_the_same_path_and_method(document):
    if not SPEC.exists():
        message = f"the upstream spec is not at {SPEC} (shared/ beside the repository)"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    spec = _operations(yaml.safe_load(SPEC.read_text()))
    ours = _operations(document)
    assert len(spec) == 17
    for operation_id, (path, method, _) in spec.items():
        assert ours[operation_id][:2] == (path, method), operation_id
    assert set(ours) - set(spec) == EXTENSIONS


def test_extensions_are_marked_as_such(document):
    for operation_id, (_, method, op) in _operations(document).items():
        if operation_id in EXTENSIONS:
            assert method == "patch"
            assert op.get("x-pond-extension") is True
            assert "Pond extension" in op["description"]
        else:
            assert "x-pond-extension" not in op


def test_it_states_the_constraints_it_enforces(document):
    schemas = document["components"]["schemas"]
    name = schemas["ModelRequest"]["properties"]["name"]
    assert name["maxLength"] == 200 and name["minLength"] == 1
    assert schemas["ModelRequest"]["required"] == ["name"]
    assert schemas["DeploymentRequest"]["properties"]["replicas"] == {
        "type": "integer", "maximum": 100, "minimum": 1, "default": 1,
    }
    metrics = schemas["ModelVersionRequest"]["properties"]["metrics"]
    assert metrics["additionalProperties"]["type"] == "number"
    assert schemas["VersionStatusEnum"]["enum"] == ["draft", "staging", "production", "archived"]
    limit = next(p for p in document["paths"]["/v1/models"]["get"]["parameters"] if p["name"] == "limit")
    assert limit["schema"] == {"type": "integer", "minimum": 0, "maximum": 1000, "default": 25}


def test_every_error_response_uses_the_one_error_shape_and_401_names_its_header(document):
    for _, _, op in _operations(document).values():
        for code, response in op["responses"].items():
            if code.startswith("4"):
                assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
        assert "WWW-Authenticate" in op["responses"]["401"]["headers"]
        assert op["security"] == [{"bearerAuth": []}, {"basicAuth": []}]


def test_the_delete_descriptions_document_the_cascade_and_the_refusal(document):
    ops = _operations(document)
    assert "experiments are kept" in ops["deleteModel"][2]["description"]
    assert "409" in ops["deleteModelVersion"][2]["description"]


def test_the_docs_page_uses_local_assets_only(client):
    page = client.get("/ml/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/" in page
    assert "cdn" not in page.lower()


def test_the_document_says_who_may_do_what(document):
    intro = document["info"]["description"]
    for words in ("viewer", "engineer", "registry.access_api", "service principal", "/reviews/", "401", "403"):
        assert words in intro, words
    ops = _operations(document)
    for operation_id in ("createModelVersion", "updateModelVersion", "deleteModelVersion", "deleteModel"):
        assert "review in Pond (/reviews/)" in ops[operation_id][2]["description"], operation_id
    assert "viewer" in ops["createModel"][2]["responses"]["403"]["description"]


@pytest.mark.parametrize(
    ("path", "operation_id", "key"),
    [
        ("/v1/models/{modelId}/versions", "listModelVersions", "versions"),
        ("/v1/experiments", "listExperiments", "experiments"),
        ("/v1/deployments", "listDeployments", "deployments"),
    ],
)
def test_the_lists_the_spec_does_not_page_page_only_as_a_documented_extension(document, path, operation_id, key):
    op = document["paths"][path]["get"]
    assert op["operationId"] == operation_id
    params = {p["name"]: p for p in op["parameters"] if p["in"] == "query"}
    # No default page size: without `limit` the whole list comes back, as the spec says.
    assert params["limit"]["schema"] == {"type": "integer", "minimum": 0, "maximum": 1000}
    assert params["offset"]["schema"] == {"type": "integer", "minimum": 0, "maximum": 1_000_000_000, "default": 0}
    for name in ("limit", "offset"):
        assert params[name]["description"].startswith("Pond extension"), name
    assert "Pond extension" in op["description"] and "without `limit` the whole list" in op["description"]
    listed = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(listed["required"]) == {key, "total_count"}
    assert "400" in op["responses"]


def test_it_states_how_many_metrics_and_parameters_an_object_holds(document):
    schemas = document["components"]["schemas"]
    for resource in ("ModelVersion", "Experiment"):
        for field in ("metrics", "parameters"):
            stored = schemas[resource]["properties"][field]
            assert stored["maxProperties"] == 1000, (resource, field)
            assert "1000" in stored["description"], (resource, field)
    # What one request may send stays within what an object may hold.
    for request, field in (("ModelVersionRequest", "metrics"), ("ModelVersionRequest", "parameters"),
                           ("ExperimentRequest", "parameters"), ("PatchedExperimentPatch", "metrics")):
        assert schemas[request]["properties"][field]["maxProperties"] == 100, (request, field)
    merged = schemas["PatchedExperimentPatch"]["properties"]["metrics"]["description"]
    assert "1000" in merged and "400" in merged
    update = _operations(document)["updateExperiment"][2]["description"]
    assert "1000" in update and "metrics" in update
