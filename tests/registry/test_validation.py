"""Bad input gets a 400 naming the field, in the one error shape, and writes nothing."""

from __future__ import annotations

import pytest

from registry.models import Experiment, ModelVersion, RegisteredModel
from tests.registry.conftest import error_of

pytestmark = pytest.mark.django_db


def _assert_invalid(resp, field: str) -> None:
    assert resp.status_code == 400, resp.content
    error = error_of(resp)
    assert error["code"] == "invalid"
    assert field in error["fields"], error
    assert field in error["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": 5}, "name"),
        ({"name": True}, "name"),
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "a\x00b"}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "ok", "description": 1}, "description"),
        ({"name": "ok", "description": "d" * 5001}, "description"),
        ({"name": "ok", "framework": ["pytorch"]}, "framework"),
        ({"name": "ok", "task_type": 3.5}, "task_type"),
        ({"name": "ok", "tags": "a,b"}, "tags"),
        ({"name": "ok", "tags": [1]}, "tags.0"),
        ({"name": "ok", "tags": ["a", ""]}, "tags.1"),
        ({"name": "ok", "tags": ["t"] * 51}, "tags"),
    ],
)
def test_a_bad_model_is_refused_naming_the_field(api, body, field):
    _assert_invalid(api.post("/models", body), field)
    assert RegisteredModel.objects.count() == 0


def test_a_bad_put_changes_nothing(api):
    model = api.model("churn", description="kept")
    _assert_invalid(api.put(f"/models/{model['id']}", {"name": "new", "tags": [True]}), "tags.0")
    assert api.get(f"/models/{model['id']}").json() == model


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "version"),
        ({"version": 1}, "version"),
        ({"version": "1", "status": "live"}, "status"),
        ({"version": "1", "status": 1}, "status"),
        ({"version": "1", "metrics": {"auc": "0.9"}}, "metrics.auc"),
        ({"version": "1", "metrics": {"auc": True}}, "metrics.auc"),
        ({"version": "1", "metrics": {"auc": None}}, "metrics.auc"),
        ({"version": "1", "metrics": [1]}, "metrics"),
        ({"version": "1", "parameters": {"lr": 0.1}}, "parameters.lr"),
        ({"version": "1", "parameters": "lr=0.1"}, "parameters"),
        ({"version": "1", "artifact_path": 7}, "artifact_path"),
        ({"version": "v" * 101}, "version"),
    ],
)
def test_a_bad_version_is_refused_naming_the_field_and_the_model_is_unchanged(api, body, field):
    model = api.model()
    _assert_invalid(api.post(f"/models/{model['id']}/versions", body), field)
    assert ModelVersion.objects.count() == 0
    assert api.get(f"/models/{model['id']}").json() == model


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ["x"]}, "name"),
        ({"name": "x", "model_id": 12}, "model_id"),
        ({"name": "x", "parameters": {"a": 1}}, "parameters.a"),
    ],
)
def test_a_bad_experiment_is_refused_naming_the_field(api, body, field):
    _assert_invalid(api.post("/experiments", body), field)
    assert Experiment.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "done"}, "status"),
        ({"metrics": {"loss": "low"}}, "metrics.loss"),
        ({"status": "completed", "completed_at": "yesterday"}, "completed_at"),
        ({"status": "completed", "completed_at": "2030-01-01T00:00:00"}, "completed_at"),
        ({"status": "completed", "completed_at": 1700000000}, "completed_at"),
    ],
)
def test_a_bad_experiment_patch_changes_nothing(api, body, field):
    experiment = api.experiment("run")
    _assert_invalid(api.patch(f"/experiments/{experiment['id']}", body), field)
    assert api.get(f"/experiments/{experiment['id']}").json() == experiment


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"model_id": "m", "model_version_id": "v"}, "name"),
        ({"name": "x", "model_version_id": "v"}, "model_id"),
        ({"name": "x", "model_id": "m"}, "model_version_id"),
        ({"name": "x", "model_id": 1, "model_version_id": "v"}, "model_id"),
    ],
)
def test_a_deployment_missing_or_mistyping_a_required_field_is_refused(api, body, field):
    _assert_invalid(api.post("/deployments", body), field)


def test_a_metric_that_overflows_a_double_is_refused(api):
    model = api.model()
    resp = api.raw("POST", f"/models/{model['id']}/versions", b'{"version": "1", "metrics": {"auc": 1e309}}')
    _assert_invalid(resp, "metrics.auc")
    assert ModelVersion.objects.count() == 0


def test_malformed_json_is_a_400(api):
    _assert_invalid(api.raw("POST", "/models", b'{"name": '), "body")
    _assert_invalid(api.raw("POST", "/models", b'{"name": NaN}'), "body")
    assert RegisteredModel.objects.count() == 0


def test_a_deeply_nested_body_is_a_400_not_a_500(api):
    _assert_invalid(api.raw("POST", "/models", b"[" * 100_000 + b"]" * 100_000), "body")


def test_a_body_that_is_not_an_object_is_a_400(api):
    _assert_invalid(api.raw("POST", "/models", b'["churn"]'), "body")
    _assert_invalid(api.raw("POST", "/models", b'"churn"'), "body")


def test_a_wrong_content_type_is_a_400_not_a_415(api):
    resp = api.raw("POST", "/models", b"name=churn", content_type="application/x-www-form-urlencoded")
    _assert_invalid(resp, "Content-Type")
    resp = api.raw("POST", "/models", b'{"name": "churn"}', content_type="text/plain")
    _assert_invalid(resp, "Content-Type")
    assert RegisteredModel.objects.count() == 0


def test_a_missing_body_is_a_400_on_create(api):
    _assert_invalid(api.raw("POST", "/models", b""), "body")


def test_unknown_fields_are_ignored(api):
    resp = api.post("/models", {"name": "churn", "colour": "blue"})
    assert resp.status_code == 201
    assert "colour" not in resp.json()
