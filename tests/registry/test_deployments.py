from __future__ import annotations

import time

import pytest

from registry.models import Deployment
from tests.registry.conftest import error_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def served(api):
    model = api.model("churn")
    version = api.version(model["id"], "1.0")
    return model, version


def test_it_creates_a_deploying_deployment_and_echoes_resources_on_create_only(api, served, settings):
    settings.REGISTRY_DEPLOY_DELAY = 60
    model, version = served
    resources = {"cpu": "500m", "memory": "1Gi", "gpu": 0}
    resp = api.post(
        "/deployments",
        {"name": "Churn prod", "model_id": model["id"], "model_version_id": version["id"], "resources": resources},
    )
    assert resp.status_code == 201
    body = resp.json()
    assert body["id"].startswith("dep_")
    assert body["status"] == "deploying"
    assert body["replicas"] == 1
    assert body["resources"] == resources
    assert body["endpoint_url"].startswith("https://churn-prod-")
    assert body["endpoint_url"].endswith("/v1/predict")
    fetched = api.get(f"/deployments/{body['id']}").json()
    assert "resources" not in fetched
    assert fetched == {k: v for k, v in body.items() if k != "resources"}
    assert "resources" not in api.get("/deployments").json()["deployments"][0]


def test_a_deployment_becomes_active_after_the_deploy_delay(api, served, settings):
    settings.REGISTRY_DEPLOY_DELAY = 0.2
    model, version = served
    deployment = api.deployment(model["id"], version["id"], replicas=2)
    assert deployment["status"] == "deploying"
    time.sleep(0.3)
    fetched = api.get(f"/deployments/{deployment['id']}").json()
    assert fetched["status"] == "active"
    assert fetched["updated_at"] > deployment["updated_at"]
    assert api.get("/deployments").json()["deployments"][0]["status"] == "active"


def test_the_patch_extension_reaches_stopped_failed_and_redeploys(api, served, settings):
    settings.REGISTRY_DEPLOY_DELAY = 0.2
    model, version = served
    deployment = api.deployment(model["id"], version["id"])
    path = f"/deployments/{deployment['id']}"
    stopped = api.patch(path, {"status": "stopped"}).json()
    assert stopped["status"] == "stopped"
    time.sleep(0.3)
    assert api.get(path).json()["status"] == "stopped"
    # A stopped deployment can only be redeployed.
    assert api.patch(path, {"status": "active"}).status_code == 409
    redeploying = api.patch(path, {"status": "deploying"}).json()
    assert redeploying["status"] == "deploying"
    assert redeploying["updated_at"] > stopped["updated_at"]
    time.sleep(0.3)
    assert api.get(path).json()["status"] == "active"
    failed = api.patch(path, {"status": "failed"}).json()
    assert failed["status"] == "failed"
    assert api.get(path).json()["status"] == "failed"


def test_the_patch_extension_scales_replicas(api, served):
    model, version = served
    deployment = api.deployment(model["id"], version["id"])
    resp = api.patch(f"/deployments/{deployment['id']}", {"replicas": 3})
    assert resp.status_code == 200
    assert resp.json()["replicas"] == 3
    assert Deployment.objects.get(pk=deployment["id"]).replicas == 3


@pytest.mark.parametrize("replicas", [0, -1, 101, True, "2", 1.5])
def test_bad_replicas_are_refused_and_nothing_changes(api, served, replicas):
    model, version = served
    deployment = api.deployment(model["id"], version["id"])
    resp = api.patch(f"/deployments/{deployment['id']}", {"replicas": replicas})
    assert resp.status_code == 400
    assert "replicas" in error_of(resp)["fields"]
    assert Deployment.objects.get(pk=deployment["id"]).replicas == 1


def test_it_refuses_a_version_of_another_model_naming_model_version_id(api, served):
    model, _ = served
    other_version = api.version(api.model("other")["id"], "1.0")
    resp = api.post("/deployments", {"name": "x", "model_id": model["id"], "model_version_id": other_version["id"]})
    assert resp.status_code == 400
    assert list(error_of(resp)["fields"]) == ["model_version_id"]
    assert Deployment.objects.count() == 0


@pytest.mark.parametrize("field", ["model_id", "model_version_id"])
def test_it_refuses_an_unknown_model_or_version_naming_the_field(api, served, field):
    model, version = served
    body = {"name": "x", "model_id": model["id"], "model_version_id": version["id"], field: "zzz_unknown"}
    resp = api.post("/deployments", body)
    assert resp.status_code == 400
    assert field in error_of(resp)["fields"]
    assert Deployment.objects.count() == 0


@pytest.mark.parametrize(
    ("resources", "field"),
    [
        ({"gpu": "1"}, "resources.gpu"),
        ({"gpu": True}, "resources.gpu"),
        ({"gpu": -1}, "resources.gpu"),
        ({"cpu": 2}, "resources.cpu"),
        ({"memory": ["4Gi"]}, "resources.memory"),
        ("big", "resources.body"),
    ],
)
def test_it_refuses_bad_resources_naming_the_field(api, served, resources, field):
    model, version = served
    body = {"name": "x", "model_id": model["id"], "model_version_id": version["id"], "resources": resources}
    resp = api.post("/deployments", body)
    assert resp.status_code == 400
    assert field in error_of(resp)["fields"], error_of(resp)
    assert Deployment.objects.count() == 0


def test_it_deletes_a_deployment(api, served):
    model, version = served
    deployment = api.deployment(model["id"], version["id"])
    assert api.delete(f"/deployments/{deployment['id']}").status_code == 204
    assert api.get(f"/deployments/{deployment['id']}").status_code == 404


def test_the_paging_extension_pages_deployments(api, served):
    model, version = served
    made = [api.deployment(model["id"], version["id"], name=f"d{i}")["id"] for i in range(3)]
    page = api.get("/deployments", limit=1, offset=1).json()
    assert [d["id"] for d in page["deployments"]] == [made[1]]
    assert page["total_count"] == 3
    assert api.get("/deployments", offset="x").status_code == 400


def test_without_limit_every_deployment_is_listed_even_past_the_largest_page(api, served):
    # The spec's listDeployments has no paging: Pond's client reads every deployment at once.
    model, version = served
    Deployment.objects.bulk_create(
        Deployment(
            id=f"dep_{i:05d}", name=f"d{i}", model_id=model["id"], model_version_id=version["id"],
            endpoint_url="https://d.example/v1/predict", created_by="alice",
        )
        for i in range(1001)
    )
    body = api.get("/deployments").json()
    assert len(body["deployments"]) == body["total_count"] == 1001
