"""Deploying a version (model first, then version and resources), and deleting."""

from __future__ import annotations

import pytest

from webui.dashboard.models import DeploymentResources

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def model(registry):
    """A model whose version went through review: only staging or production versions are deployed."""
    model = registry.model("churn")
    model["v1"] = registry.version(model["id"], "1.0", status="staging")
    return model


def test_deploying_starts_by_picking_a_model(client_for, model):
    body = client_for("bob").get("/deployments/new/").content.decode()
    assert f'<option value="{model["id"]}">churn</option>' in body


def test_then_it_offers_that_models_versions(client_for, model):
    body = client_for("bob").get(f"/deployments/new/?model={model['id']}").content.decode()
    assert f'value="{model["v1"]["id"]}"' in body and "1.0 (staging)" in body


def test_a_deployment_is_created_and_pond_records_the_resources(client_for, registry, users, model):
    resp = client_for("bob").post(
        f"/deployments/new/?model={model['id']}",
        {"name": "churn-live", "model_id": model["id"], "model_version_id": model["v1"]["id"], "replicas": "2", "cpu": "500m", "memory": "1Gi", "gpu": "1"},
        follow=True,
    )
    assert resp.status_code == 200
    (dep,) = registry.get("/v1/deployments").json()["deployments"]
    assert (dep["name"], dep["replicas"], dep["model_version_id"]) == ("churn-live", 2, model["v1"]["id"])
    row = DeploymentResources.objects.get(deployment_id=dep["id"])
    assert (row.cpu, row.memory, row.gpu, row.replicas, row.created_by) == ("500m", "1Gi", 1, 2, users["bob"])
    body = resp.content.decode()
    assert resp.redirect_chain[-1][0] == f"/deployments/{dep['id']}/"
    assert "500m" in body and "1Gi" in body
    assert f'data-deployment-status="{dep["id"]}"' in body


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cpu", "lots", "CPU must be"),
        ("memory", "1 GB", "Memory must be"),
        ("replicas", "0", "greater than or equal to 1"),
        ("gpu", "-1", "greater than or equal to 0"),
        ("name", "", "This field is required"),
    ],
)
def test_bad_resources_are_refused_on_their_field_and_nothing_is_deployed(client_for, registry, model, field, value, message):
    data = {"name": "x", "model_id": model["id"], "model_version_id": model["v1"]["id"], "replicas": "1", field: value}
    resp = client_for("bob").post(f"/deployments/new/?model={model['id']}", data)
    assert field in resp.context["form"].errors
    assert message in resp.content.decode()
    assert registry.get("/v1/deployments").json()["deployments"] == []
    assert not DeploymentResources.objects.exists()


def test_a_version_of_another_model_is_refused(client_for, registry, model):
    other = registry.model("other")
    other_v = registry.version(other["id"], "9.9")
    resp = client_for("bob").post(
        f"/deployments/new/?model={model['id']}",
        {"name": "x", "model_id": model["id"], "model_version_id": other_v["id"], "replicas": "1"},
    )
    assert "model_version_id" in resp.context["form"].errors
    assert registry.get("/v1/deployments").json()["deployments"] == []


def test_deleting_a_deployment_removes_it_and_its_resources(client_for, registry, model):
    client = client_for("bob")
    client.post(
        f"/deployments/new/?model={model['id']}",
        {"name": "temp", "model_id": model["id"], "model_version_id": model["v1"]["id"], "replicas": "1", "cpu": "1"},
    )
    (dep,) = registry.get("/v1/deployments").json()["deployments"]
    assert "temp" in client.get(f"/deployments/{dep['id']}/delete/").content.decode()
    resp = client.post(f"/deployments/{dep['id']}/delete/", {"stop_live": "on"}, follow=True)
    assert "Deployment deleted." in [str(m) for m in resp.context["messages"]]
    assert registry.get("/v1/deployments").json()["deployments"] == []
    assert not DeploymentResources.objects.exists()


def test_an_unknown_model_in_the_deploy_form_sends_back_to_step_one(client_for, upstream_url):
    resp = client_for("bob").get("/deployments/new/?model=md_nope", follow=True)
    assert resp.redirect_chain[-1][0] == "/deployments/new/"
    assert "does not exist" in resp.content.decode()


def test_an_unknown_deployment_is_a_friendly_404(client_for, upstream_url):
    resp = client_for("alice").get("/deployments/dp_nope/")
    assert resp.status_code == 404


def test_an_engineer_scales_and_stops_a_deployment(client_for, registry, model):
    client = client_for("bob")
    client.post(
        f"/deployments/new/?model={model['id']}",
        {"name": "scaled", "model_id": model["id"], "model_version_id": model["v1"]["id"], "replicas": "1"},
    )
    (dep,) = registry.get("/v1/deployments").json()["deployments"]
    form = client.get(f"/deployments/{dep['id']}/edit/").content.decode()
    assert 'name="replicas"' in form and 'value="1"' in form
    resp = client.post(f"/deployments/{dep['id']}/edit/", {"replicas": "4", "status": "stopped"}, follow=True)
    assert "Deployment updated: 4 replica(s), stopped." in [str(m) for m in resp.context["messages"]]
    fresh = registry.get(f"/v1/deployments/{dep['id']}").json()
    assert (fresh["replicas"], fresh["status"]) == (4, "stopped")
    assert DeploymentResources.objects.get(deployment_id=dep["id"]).replicas == 4


def test_scaling_to_zero_replicas_is_refused_on_the_field(client_for, registry, model):
    dep = registry.deployment(model["id"], model["v1"]["id"], name="fixed", replicas=2)
    resp = client_for("bob").post(f"/deployments/{dep['id']}/edit/", {"replicas": "0"})
    assert "replicas" in resp.context["form"].errors
    assert registry.get(f"/v1/deployments/{dep['id']}").json()["replicas"] == 2
