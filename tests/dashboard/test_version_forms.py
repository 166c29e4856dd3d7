"""Creating and deleting versions; metrics and parameters as key=value lines."""

from __future__ import annotations

import pytest

from tests.dashboard.fake_upstream import serve_world, simple_world
from tests.support.faultserver import FaultServer, json_response

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def model(registry):
    return registry.model("scorer")


def test_a_new_version_is_created_as_draft_with_its_metrics_and_parameters(client_for, registry, model):
    resp = client_for("bob").post(
        f"/models/{model['id']}/versions/new/",
        {
            "version": "1.2.0",
            "artifact_path": "models/scorer/1.2.0",
            "metrics": "accuracy=0.93\n\n# a comment\nloss = 0.12",
            "parameters": "lr=0.01\noptimizer=adam",
        },
        follow=True,
    )
    assert "Version “1.2.0” created as draft." in [str(m) for m in resp.context["messages"]]
    versions = registry.get(f"/v1/models/{model['id']}/versions").json()["versions"]
    assert len(versions) == 1
    v = versions[0]
    assert v["status"] == "draft"
    assert v["metrics"] == {"accuracy": 0.93, "loss": 0.12}
    assert v["parameters"] == {"lr": "0.01", "optimizer": "adam"}
    assert "1.2.0" in resp.content.decode()


def test_the_version_form_has_no_status_field(client_for, model):
    body = client_for("bob").get(f"/models/{model['id']}/versions/new/").content.decode()
    assert 'name="status"' not in body
    assert 'name="version"' in body


def test_a_status_smuggled_into_the_post_is_ignored(client_for, registry, model):
    client_for("bob").post(f"/models/{model['id']}/versions/new/", {"version": "9", "status": "production"})
    (v,) = registry.get(f"/v1/models/{model['id']}/versions").json()["versions"]
    assert v["status"] == "draft"


def test_a_bad_metric_line_is_reported_by_its_number_and_nothing_is_written(client_for, registry, model):
    resp = client_for("bob").post(
        f"/models/{model['id']}/versions/new/",
        {"version": "1.0", "metrics": "accuracy=0.9\nloss=low\nnot a pair"},
    )
    body = resp.content.decode()
    assert "Line 2: “low” is not a number (key “loss”)." in body
    assert "Line 3: “not a pair” is not key=value." in body
    assert registry.get(f"/v1/models/{model['id']}/versions").json()["versions"] == []


def test_a_duplicate_key_and_an_infinite_metric_are_refused(client_for, model):
    resp = client_for("bob").post(
        f"/models/{model['id']}/versions/new/",
        {"version": "1.0", "metrics": "a=1\na=2\nb=inf", "parameters": "=x"},
    )
    errors = resp.context["form"].errors
    assert "Line 2: “a” is given twice." in errors["metrics"]
    assert "Line 3: the value of “b” must be a finite number." in errors["metrics"]
    assert "Line 1: the key is empty." in errors["parameters"]


def test_a_duplicate_version_shows_jfrog_mls_conflict(client_for, registry, model):
    registry.version(model["id"], "1.0")
    resp = client_for("bob").post(f"/models/{model['id']}/versions/new/", {"version": "1.0"})
    assert "already has a version" in resp.content.decode()
    assert len(registry.get(f"/v1/models/{model['id']}/versions").json()["versions"]) == 1


def test_an_upstream_field_error_lands_on_the_matching_field(client_for, settings):
    # Another JFrog ML may have limits Pond does not know: its refusal is shown on
    # the field it names, and on top of the form when no field has that name.
    with FaultServer() as server:
        serve_world(server, **simple_world())
        server.on(
            "POST",
            "/v1/models/mdl_1/versions",
            json_response({"metrics": ["Keys must be at most 100 characters."], "owner": ["Unknown team."]}, 400),
        )
        settings.JFROG_ML_URL = server.url
        resp = client_for("bob").post("/models/mdl_1/versions/new/", {"version": "1.0", "metrics": "k" * 120 + "=1"})
    form = resp.context["form"]
    assert form.errors["metrics"] == ["JFrog ML: Keys must be at most 100 characters."]
    assert form.non_field_errors() == ["JFrog ML rejected owner: Unknown team."]
    assert 'value="1.0"' in resp.content.decode()


def test_deleting_a_version_asks_first_then_deletes_it(client_for, registry, model):
    v = registry.version(model["id"], "1.0")
    client = client_for("bob")
    assert client.get(f"/models/{model['id']}/versions/{v['id']}/delete/").status_code == 200
    resp = client.post(f"/models/{model['id']}/versions/{v['id']}/delete/", follow=True)
    assert "Version deleted." in [str(m) for m in resp.context["messages"]]
    assert registry.get(f"/v1/models/{model['id']}/versions").json()["versions"] == []


def test_deleting_a_served_version_shows_why_it_was_refused(client_for, registry, model):
    v = registry.version(model["id"], "1.0")
    registry.deployment(model["id"], v["id"], name="live")
    client = client_for("bob")
    confirm = client.get(f"/models/{model['id']}/versions/{v['id']}/delete/").content.decode()
    assert 'data-testid="blast-deployments"' in confirm and "live" in confirm
    resp = client.post(f"/models/{model['id']}/versions/{v['id']}/delete/")
    assert resp.status_code == 200
    assert "1 deployment is live: choose to stop it as part of this, or stop it first." in resp.content.decode()
    assert len(registry.get(f"/v1/models/{model['id']}/versions").json()["versions"]) == 1
    assert len(registry.get("/v1/deployments").json()["deployments"]) == 1
