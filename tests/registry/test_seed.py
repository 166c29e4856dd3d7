from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from registry.demo import seed_registry
from registry.models import Deployment, Experiment, ModelVersion, RegisteredModel

pytestmark = pytest.mark.django_db


def test_seeding_twice_creates_nothing_new():
    first = seed_registry()
    assert (first.models, first.experiments) == (12, 24)
    assert 36 <= first.versions <= 120
    counts = [m.objects.count() for m in (RegisteredModel, ModelVersion, Experiment, Deployment)]
    second = seed_registry()
    assert (second.models, second.versions, second.experiments, second.deployments) == (0, 0, 0, 0)
    assert [m.objects.count() for m in (RegisteredModel, ModelVersion, Experiment, Deployment)] == counts


def test_the_demo_covers_frameworks_task_types_and_every_status():
    seed_registry()
    assert {"pytorch", "tensorflow", "sklearn", "xgboost", "lightgbm", "huggingface"} <= set(
        RegisteredModel.objects.values_list("framework", flat=True)
    )
    assert {"classification", "regression", "nlp", "vision", "ranking", "forecasting"} <= set(
        RegisteredModel.objects.values_list("task_type", flat=True)
    )
    assert set(ModelVersion.objects.values_list("status", flat=True)) == {"draft", "staging", "production", "archived"}
    assert set(Experiment.objects.values_list("status", flat=True)) == {"running", "completed", "failed", "cancelled"}
    assert set(Deployment.objects.values_list("status", flat=True)) == {"deploying", "active", "failed", "stopped"}
    for model in RegisteredModel.objects.all():
        assert model.tags
        assert model.versions.filter(status="production").count() <= 1


def test_seeded_derived_fields_are_true(api):
    seed_registry(models=5, versions_per_model=(2, 4))
    for model in api.get("/models").json()["models"]:
        versions = api.get(f"/models/{model['id']}/versions").json()["versions"]
        assert model["versions_count"] == len(versions)
        assert model["latest_version"] == versions[0]["version"]
    for deployment in api.get("/deployments").json()["deployments"]:
        version = api.get(f"/models/{deployment['model_id']}/versions/{deployment['model_version_id']}")
        assert version.status_code == 200


def test_the_command_takes_sizes_and_a_versions_range():
    out = io.StringIO()
    call_command("seed_registry", models=30, versions_per_model="1-2", experiments=10, deployments=5, stdout=out)
    assert "created 30 models" in out.getvalue()
    assert RegisteredModel.objects.count() == 30
    assert 30 <= ModelVersion.objects.count() <= 60
    assert Experiment.objects.count() == 10
    assert Deployment.objects.count() == 5
    assert len(set(RegisteredModel.objects.values_list("name", flat=True))) == 30
