from __future__ import annotations

import pytest

from registry.models import ModelVersion
from tests.registry.conftest import error_of

pytestmark = pytest.mark.django_db


def test_it_creates_a_version_as_draft_by_default(api):
    model = api.model()
    resp = api.post(
        f"/models/{model['id']}/versions",
        {"version": "1.0", "metrics": {"auc": 0.91, "latency_ms": 12}, "parameters": {"lr": "0.1"}, "artifact_path": "m/1.pkl"},
    )
    assert resp.status_code == 201
    body = resp.json()
    assert body["id"].startswith("ver_")
    assert body["model_id"] == model["id"]
    assert body["status"] == "draft"
    assert body["metrics"] == {"auc": 0.91, "latency_ms": 12}
    assert body["parameters"] == {"lr": "0.1"}
    assert body["created_by"] == "alice"
    assert api.get(f"/models/{model['id']}/versions/{body['id']}").json() == body


def test_creating_versions_keeps_the_models_derived_fields_true(api):
    model = api.model()
    api.version(model["id"], "1.0")
    second = api.version(model["id"], "2.0")
    fresh = api.get(f"/models/{model['id']}").json()
    assert fresh["versions_count"] == 2
    assert fresh["latest_version"] == "2.0"
    assert fresh["updated_at"] >= second["created_at"]


def test_deleting_the_latest_version_moves_latest_version_back(api):
    model = api.model()
    api.version(model["id"], "1.0")
    second = api.version(model["id"], "2.0")
    assert api.delete(f"/models/{model['id']}/versions/{second['id']}").status_code == 204
    fresh = api.get(f"/models/{model['id']}").json()
    assert fresh["versions_count"] == 1
    assert fresh["latest_version"] == "1.0"


def test_deleting_the_last_version_omits_latest_version(api):
    model = api.model()
    only = api.version(model["id"], "1.0")
    api.delete(f"/models/{model['id']}/versions/{only['id']}")
    fresh = api.get(f"/models/{model['id']}").json()
    assert fresh["versions_count"] == 0
    assert "latest_version" not in fresh


def test_it_lists_a_models_versions_newest_first(api):
    model = api.model()
    first = api.version(model["id"], "1.0")
    second = api.version(model["id"], "1.1")
    api.version(api.model("other")["id"], "9.9")
    resp = api.get(f"/models/{model['id']}/versions")
    assert resp.status_code == 200
    assert [v["id"] for v in resp.json()["versions"]] == [second["id"], first["id"]]


def test_it_refuses_a_duplicate_version_label_per_model_only(api):
    model = api.model()
    api.version(model["id"], "1.0")
    resp = api.post(f"/models/{model['id']}/versions", {"version": "1.0"})
    assert resp.status_code == 409
    assert error_of(resp)["code"] == "conflict"
    assert api.get(f"/models/{model['id']}").json()["versions_count"] == 1
    api.version(api.model("other")["id"], "1.0")


def test_a_version_is_reached_by_its_id_not_its_label_and_only_under_its_model(api):
    model = api.model()
    other = api.model("other")
    version = api.version(model["id"], "1.0")
    assert api.get(f"/models/{model['id']}/versions/1.0").status_code == 404
    assert api.get(f"/models/{other['id']}/versions/{version['id']}").status_code == 404
    assert api.delete(f"/models/{other['id']}/versions/{version['id']}").status_code == 404
    assert ModelVersion.objects.filter(pk=version["id"]).exists()


def test_the_patch_extension_changes_status_and_description(api, service_api):
    # Production is reached through Pond's review flow, i.e. its service principal
    # (tests/registry/test_roles.py); describing the version is anyone's write.
    model = api.model()
    version = api.version(model["id"], "1.0", description="first")
    resp = service_api.patch(f"/models/{model['id']}/versions/{version['id']}", {"status": "production"})
    assert resp.status_code == 200
    assert resp.json()["status"] == "production"
    assert resp.json()["description"] == "first"
    resp = api.patch(f"/models/{model['id']}/versions/{version['id']}", {"description": "promoted"})
    assert resp.json() == {**version, "status": "production", "description": "promoted"}


def test_the_patch_extension_refuses_an_unknown_status(api):
    model = api.model()
    version = api.version(model["id"], "1.0")
    resp = api.patch(f"/models/{model['id']}/versions/{version['id']}", {"status": "live"})
    assert resp.status_code == 400
    assert "status" in error_of(resp)["fields"]
    assert ModelVersion.objects.get(pk=version["id"]).status == "draft"


def test_deleting_a_served_version_is_refused_naming_the_deployment(api):
    model = api.model()
    version = api.version(model["id"], "1.0")
    deployment = api.deployment(model["id"], version["id"], name="churn-prod")
    resp = api.delete(f"/models/{model['id']}/versions/{version['id']}")
    assert resp.status_code == 409
    message = error_of(resp)["message"]
    assert deployment["id"] in message and "churn-prod" in message
    assert ModelVersion.objects.filter(pk=version["id"]).exists()
    api.delete(f"/deployments/{deployment['id']}")
    assert api.delete(f"/models/{model['id']}/versions/{version['id']}").status_code == 204


def test_the_paging_extension_pages_a_models_versions_and_counts_them_all(api):
    model = api.model()
    made = [api.version(model["id"], f"1.{i}")["id"] for i in range(4)]
    api.version(api.model("other")["id"], "9.9")
    newest_first = made[::-1]
    path = f"/models/{model['id']}/versions"
    whole = api.get(path).json()
    assert [v["id"] for v in whole["versions"]] == newest_first
    assert whole["total_count"] == 4
    page = api.get(path, limit=2, offset=1).json()
    assert [v["id"] for v in page["versions"]] == newest_first[1:3]
    assert page["total_count"] == 4
    assert api.get(path, limit=0).json() == {"versions": [], "total_count": 4}
    assert [v["id"] for v in api.get(path, offset=3).json()["versions"]] == newest_first[3:]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=-1", "limit"),
        ("limit=x", "limit"),
        ("limit=1001", "limit"),
        ("limit=1&limit=2", "limit"),
        ("offset=1.5", "offset"),
        ("offset=1000000001", "offset"),
    ],
)
def test_a_bad_page_of_versions_is_refused_naming_the_parameter(api, query, field):
    model = api.model()
    api.version(model["id"], "1.0")
    resp = api.client.get(f"/ml/api/v1/models/{model['id']}/versions?{query}")
    assert resp.status_code == 400, resp.content
    error = error_of(resp)
    assert error["code"] == "invalid"
    assert field in error["fields"] and field in error["message"]


def test_without_limit_every_version_of_a_model_is_listed_even_past_the_largest_page(api):
    # Pond's client lists a model's versions unpaged, as the spec does.
    model = api.model()
    ModelVersion.objects.bulk_create(
        ModelVersion(id=f"ver_{i:05d}", model_id=model["id"], version=f"0.{i}", created_by="alice") for i in range(1001)
    )
    body = api.get(f"/models/{model['id']}/versions").json()
    assert len(body["versions"]) == body["total_count"] == 1001
