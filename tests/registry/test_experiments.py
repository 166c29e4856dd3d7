from __future__ import annotations

import pytest
from django.utils import timezone

from registry.models import Experiment
from tests.registry.conftest import error_of

pytestmark = pytest.mark.django_db


def test_it_creates_a_running_experiment(api):
    model = api.model()
    resp = api.post("/experiments", {"name": "tuning", "model_id": model["id"], "parameters": {"lr": "0.1"}})
    assert resp.status_code == 201
    body = resp.json()
    assert body["id"].startswith("exp_")
    assert body["status"] == "running"
    assert body["model_id"] == model["id"]
    assert body["metrics"] == {}
    assert body["description"] == ""
    assert "completed_at" not in body
    assert body["created_by"] == "alice"
    assert api.get(f"/experiments/{body['id']}").json() == body


def test_an_experiment_without_a_model_omits_model_id(api):
    assert "model_id" not in api.experiment("scratch")


def test_it_refuses_an_experiment_for_an_unknown_model_naming_model_id(api):
    resp = api.post("/experiments", {"name": "x", "model_id": "mdl_missing"})
    assert resp.status_code == 400
    assert "model_id" in error_of(resp)["fields"]
    assert Experiment.objects.count() == 0


def test_it_filters_experiments_by_model_id(api):
    a = api.model("a")
    b = api.model("b")
    ea = api.experiment("on-a", model_id=a["id"])
    eb = api.experiment("on-b", model_id=b["id"])
    loose = api.experiment("loose")
    everything = [e["id"] for e in api.get("/experiments").json()["experiments"]]
    assert everything == [loose["id"], eb["id"], ea["id"]]
    assert [e["id"] for e in api.get("/experiments", model_id=a["id"]).json()["experiments"]] == [ea["id"]]
    assert api.get("/experiments", model_id="mdl_unknown").json() == {"experiments": [], "total_count": 0}


def test_the_paging_extension_pages_experiments_and_counts_them_all(api):
    made = [api.experiment(f"run-{i}")["id"] for i in range(5)]
    newest_first = made[::-1]
    whole = api.get("/experiments").json()
    assert [e["id"] for e in whole["experiments"]] == newest_first
    assert whole["total_count"] == 5
    page = api.get("/experiments", limit=2, offset=1).json()
    assert [e["id"] for e in page["experiments"]] == newest_first[1:3]
    assert page["total_count"] == 5
    assert api.get("/experiments", limit=-1).status_code == 400


def test_finishing_an_experiment_sets_completed_at_and_merges_metrics(api):
    experiment = api.experiment("run")
    api.patch(f"/experiments/{experiment['id']}", {"metrics": {"loss": 0.5}})
    resp = api.patch(f"/experiments/{experiment['id']}", {"status": "completed", "metrics": {"auc": 0.9}})
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "completed"
    assert body["metrics"] == {"loss": 0.5, "auc": 0.9}
    assert body["completed_at"] >= body["created_at"]


def test_a_given_completed_at_is_kept_in_utc(api):
    experiment = api.experiment("run")
    resp = api.patch(f"/experiments/{experiment['id']}", {"status": "failed", "completed_at": "2030-01-02T03:04:05+02:00"})
    assert resp.json()["completed_at"] == "2030-01-02T01:04:05.000000Z"


@pytest.mark.parametrize("status", ["completed", "failed", "cancelled"])
def test_every_terminal_status_is_reachable_and_final(api, status):
    experiment = api.experiment("run")
    assert api.patch(f"/experiments/{experiment['id']}", {"status": status}).json()["status"] == status
    resp = api.patch(f"/experiments/{experiment['id']}", {"status": "running"})
    assert resp.status_code == 409
    assert Experiment.objects.get(pk=experiment["id"]).status == status


def test_completed_at_on_a_running_experiment_is_refused(api):
    experiment = api.experiment("run")
    resp = api.patch(f"/experiments/{experiment['id']}", {"completed_at": "2030-01-01T00:00:00Z"})
    assert resp.status_code == 409
    assert "completed_at" in error_of(resp)["message"]
    assert Experiment.objects.get(pk=experiment["id"]).completed_at is None


def test_it_deletes_an_experiment(api):
    experiment = api.experiment("run")
    assert api.delete(f"/experiments/{experiment['id']}").status_code == 204
    assert api.get(f"/experiments/{experiment['id']}").status_code == 404
    assert api.delete(f"/experiments/{experiment['id']}").status_code == 404


def _metrics(start: int, count: int) -> dict[str, float]:
    return {f"m{i}": float(i) for i in range(start, start + count)}


def test_patches_cannot_merge_an_experiments_metrics_past_the_documented_cap(api):
    experiment = api.experiment("run")
    path = f"/experiments/{experiment['id']}"
    for start in range(0, 1000, 100):
        assert api.patch(path, {"metrics": _metrics(start, 100)}).status_code == 200
    full = api.get(path).json()
    assert len(full["metrics"]) == 1000
    # One more name, even sent with a status change, is refused and nothing moves.
    resp = api.patch(path, {"status": "completed", "metrics": {"one-too-many": 1.0}})
    assert resp.status_code == 400, resp.content
    error = error_of(resp)
    assert error["code"] == "invalid"
    assert "metrics" in error["fields"] and "1000" in error["fields"]["metrics"][0]
    assert api.get(path).json() == full
    # Updating names it already has keeps it at the cap, and is a write like any other.
    resp = api.patch(path, {"status": "completed", "metrics": {"m0": 0.5}})
    assert resp.status_code == 200
    assert len(resp.json()["metrics"]) == 1000 and resp.json()["metrics"]["m0"] == 0.5


def test_without_limit_every_experiment_is_listed_even_past_the_largest_page(api):
    # The spec's listExperiments has no paging: Pond's client reads every experiment at once.
    now = timezone.now()
    Experiment.objects.bulk_create(
        Experiment(id=f"exp_{i:05d}", name=f"run-{i}", created_at=now, created_by="alice") for i in range(1001)
    )
    body = api.get("/experiments").json()
    assert len(body["experiments"]) == body["total_count"] == 1001
