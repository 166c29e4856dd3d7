from __future__ import annotations

import re

import pytest

from registry.models import RegisteredModel
from tests.registry.conftest import error_of

pytestmark = pytest.mark.django_db
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def test_it_creates_a_model_with_defaults_and_the_callers_name(api):
    resp = api.post("/models", {"name": "churn"})
    assert resp.status_code == 201
    body = resp.json()
    assert body["id"].startswith("mdl_")
    assert body["name"] == "churn"
    assert body["description"] == ""
    assert body["tags"] == []
    assert body["versions_count"] == 0
    assert "latest_version" not in body
    assert body["created_by"] == "alice"
    assert ISO_Z.match(body["created_at"]) and ISO_Z.match(body["updated_at"])


def test_it_gets_a_model_by_id(api):
    model = api.model("churn", framework="sklearn", task_type="classification", tags=["crm"])
    resp = api.get(f"/models/{model['id']}")
    assert resp.status_code == 200
    assert resp.json() == model


def test_it_refuses_a_duplicate_name(api):
    api.model("churn")
    resp = api.post("/models", {"name": "churn"})
    assert resp.status_code == 409
    assert error_of(resp)["code"] == "conflict"
    assert RegisteredModel.objects.count() == 1


def test_it_lists_models_oldest_first_with_total_count_and_paging(api):
    ids = [api.model(f"m{i}")["id"] for i in range(5)]
    resp = api.get("/models")
    assert resp.status_code == 200
    assert [m["id"] for m in resp.json()["models"]] == ids
    assert resp.json()["total_count"] == 5
    page = api.get("/models", limit=2, offset=2).json()
    assert [m["id"] for m in page["models"]] == ids[2:4]
    assert page["total_count"] == 5


def test_the_default_limit_is_25(api):
    for i in range(27):
        api.model(f"m{i:02d}")
    body = api.get("/models").json()
    assert len(body["models"]) == 25
    assert body["total_count"] == 27


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "-1"}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"limit": "1.5"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"offset": "-3"}, "offset"),
        ({"offset": "x"}, "offset"),
        ({"limit": ""}, "limit"),
    ],
)
def test_it_refuses_a_bad_limit_or_offset_naming_it(api, params, field):
    resp = api.get("/models", **params)
    assert resp.status_code == 400
    error = error_of(resp)
    assert error["code"] == "invalid"
    assert field in error["fields"]


def test_put_replaces_the_fields_sent_and_keeps_the_rest(api):
    model = api.model("churn", description="old", framework="sklearn", tags=["a"])
    resp = api.put(f"/models/{model['id']}", {"name": "churn-v2", "tags": ["b", "c"]})
    assert resp.status_code == 200
    body = resp.json()
    assert body["name"] == "churn-v2"
    assert body["tags"] == ["b", "c"]
    assert body["description"] == "old"
    assert body["framework"] == "sklearn"
    assert body["updated_at"] > model["updated_at"]
    assert api.get(f"/models/{model['id']}").json() == body


def test_put_refuses_renaming_onto_another_model(api):
    api.model("a")
    b = api.model("b")
    resp = api.put(f"/models/{b['id']}", {"name": "a"})
    assert resp.status_code == 409
    assert RegisteredModel.objects.get(pk=b["id"]).name == "b"


def test_unknown_model_ids_are_404_in_the_error_shape(api):
    for resp in (
        api.get("/models/mdl_nope"),
        api.put("/models/mdl_nope", {"name": "x"}),
        api.delete("/models/mdl_nope"),
        api.get("/models/mdl_nope/versions"),
        api.get("/models/" + "x" * 300),
    ):
        assert resp.status_code == 404
        assert error_of(resp)["code"] == "not_found"


def test_deleting_a_model_deletes_its_versions_and_deployments_and_detaches_its_experiments(api):
    model = api.model("churn")
    other = api.model("other")
    version = api.version(model["id"], "1.0")
    other_version = api.version(other["id"], "1.0")
    api.deployment(model["id"], version["id"], name="churn-prod")
    kept = api.deployment(other["id"], other_version["id"], name="other-prod")
    experiment = api.experiment("tuning", model_id=model["id"])
    assert api.delete(f"/models/{model['id']}").status_code == 204
    assert api.get(f"/models/{model['id']}").status_code == 404
    assert api.get(f"/models/{model['id']}/versions/{version['id']}").status_code == 404
    assert [d["id"] for d in api.get("/deployments").json()["deployments"]] == [kept["id"]]
    detached = api.get(f"/experiments/{experiment['id']}").json()
    assert "model_id" not in detached
    assert detached["name"] == "tuning"


def test_deleting_a_model_through_the_orm_also_takes_its_served_versions_along(api):
    # The admin and bulk clean-ups delete through the ORM, not the API.
    model = api.model("churn")
    version = api.version(model["id"], "1.0")
    api.deployment(model["id"], version["id"])
    RegisteredModel.objects.filter(pk=model["id"]).delete()
    assert api.get("/deployments").json()["deployments"] == []
