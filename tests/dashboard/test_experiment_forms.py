"""Creating and deleting experiments, and filtering the list."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_engineer_creates_an_experiment_for_a_model(client_for, registry):
    model = registry.model("ranker")
    client = client_for("bob")
    form = client.get(f"/experiments/new/?model={model['id']}").content.decode()
    assert f'<option value="{model["id"]}" selected>ranker</option>' in form
    resp = client.post(
        "/experiments/new/",
        {"name": "try-lr", "model_id": model["id"], "parameters": "lr=0.3"},
        follow=True,
    )
    assert "Experiment “try-lr” created." in [str(m) for m in resp.context["messages"]]
    (exp,) = registry.get("/v1/experiments").json()["experiments"]
    assert (exp["name"], exp["model_id"], exp["parameters"]) == ("try-lr", model["id"], {"lr": "0.3"})


def test_an_unknown_model_choice_is_refused_on_the_field(client_for, registry):
    resp = client_for("bob").post("/experiments/new/", {"name": "x", "model_id": "md_nope"})
    assert "model_id" in resp.context["form"].errors
    assert registry.get("/v1/experiments").json()["experiments"] == []


def test_the_list_filters_by_model_and_status(client_for, registry):
    a = registry.model("a")
    b = registry.model("b")
    registry.experiment("exp-of-a", model_id=a["id"])
    registry.experiment("exp-of-b", model_id=b["id"])
    client = client_for("alice")
    body = client.get(f"/experiments/?model={a['id']}").content.decode()
    assert "exp-of-a" in body and "exp-of-b" not in body
    body = client.get("/experiments/?status=completed").content.decode()
    assert "exp-of-a" not in body and "No experiments match" in body
    body = client.get("/experiments/?status=running").content.decode()
    assert "exp-of-a" in body and "exp-of-b" in body


def test_an_unknown_status_filter_is_named_and_ignored(client_for, registry):
    registry.experiment("e")
    resp = client_for("alice").get("/experiments/?status=bogus")
    body = resp.content.decode()
    assert resp.status_code == 200 and "Status: " in body and ">e</a>" in body


def test_deleting_an_experiment_asks_then_deletes(client_for, registry):
    exp = registry.experiment("gone-soon")
    client = client_for("bob")
    assert "gone-soon" in client.get(f"/experiments/{exp['id']}/delete/").content.decode()
    resp = client.post(f"/experiments/{exp['id']}/delete/", follow=True)
    assert "Experiment deleted." in [str(m) for m in resp.context["messages"]]
    assert registry.get("/v1/experiments").json()["experiments"] == []


def test_an_unknown_experiment_is_a_friendly_404(client_for, upstream_url):
    resp = client_for("alice").get("/experiments/ex_nope/")
    assert resp.status_code == 404
    assert "We could not find that" in resp.content.decode()


def test_an_engineer_records_an_experiments_outcome(client_for, registry):
    exp = registry.experiment("training")
    client = client_for("bob")
    assert client.get(f"/experiments/{exp['id']}/edit/").status_code == 200
    resp = client.post(
        f"/experiments/{exp['id']}/edit/", {"status": "completed", "metrics": "accuracy=0.91"}, follow=True
    )
    assert "Experiment updated." in [str(m) for m in resp.context["messages"]]
    fresh = registry.get(f"/v1/experiments/{exp['id']}").json()
    assert fresh["status"] == "completed" and fresh["metrics"] == {"accuracy": 0.91}
    assert fresh["completed_at"]
    assert "0.91" in resp.content.decode()


def test_an_empty_update_is_refused_with_a_message(client_for, registry):
    exp = registry.experiment("training")
    resp = client_for("bob").post(f"/experiments/{exp['id']}/edit/", {"status": "", "metrics": ""})
    assert "nothing to save" in resp.content.decode()
    assert registry.get(f"/v1/experiments/{exp['id']}").json()["status"] == "running"


def test_reopening_a_finished_experiment_shows_jfrog_mls_refusal(client_for, registry):
    exp = registry.experiment("done")
    client = client_for("bob")
    client.post(f"/experiments/{exp['id']}/edit/", {"status": "failed"})
    resp = client.post(f"/experiments/{exp['id']}/edit/", {"status": "running"})
    assert resp.status_code == 200
    assert "cannot change status" in resp.content.decode()
    assert registry.get(f"/v1/experiments/{exp['id']}").json()["status"] == "failed"
