"""The client against the live embedded registry over real HTTP: every operation,
typed results, and each error class provoked for real."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from tests.support.registry_seed import seed_models
from webui.jfrogml import errors
from webui.jfrogml.client import JFrogMLClient, get_client
from webui.jfrogml.resources import Deployment, Experiment, Model, ModelPage, ModelVersion


@pytest.fixture
def client(upstream_url) -> JFrogMLClient:
    return get_client()


def test_it_creates_reads_updates_lists_and_deletes_a_model(client):
    created = client.create_model(
        name="churn", description="Who leaves", framework="sklearn", task_type="classification", tags=["crm"]
    )
    assert isinstance(created, Model)
    assert created.id and created.name == "churn" and created.tags == ("crm",)
    assert isinstance(created.created_at, datetime) and created.created_at.tzinfo is not None
    assert created.versions_count == 0 and created.latest_version is None
    assert created.created_by

    fetched = client.get_model(created.id)
    assert fetched == created

    client.update_model(created.id, name="churn-2", description="Renamed", tags=["crm", "v2"])
    again = client.get_model(created.id)
    assert again.name == "churn-2" and again.tags == ("crm", "v2")

    page = client.list_models(limit=10, offset=0)
    assert isinstance(page, ModelPage) and page.total_count == 1 and [m.id for m in page.models] == [created.id]

    client.delete_model(created.id)
    with pytest.raises(errors.NotFound):
        client.get_model(created.id)


def test_it_manages_versions_including_the_status_extension(client):
    model = client.create_model(name="ranker")
    version = client.create_model_version(
        model.id, version="1.0", metrics={"ndcg": 0.71, "latency_ms": 12}, parameters={"depth": "6"}
    )
    assert isinstance(version, ModelVersion)
    assert version.status == "draft" and version.status_known
    assert version.metrics == {"ndcg": 0.71, "latency_ms": 12.0}
    assert version.parameters == {"depth": "6"}
    assert client.get_model_version(model.id, version.id) == version
    assert [v.id for v in client.list_model_versions(model.id)] == [version.id]

    promoted = client.update_model_version(model.id, version.id, status="staging")
    assert promoted is not None and promoted.status == "staging"
    assert client.get_model(model.id).latest_version == "1.0"

    client.delete_model_version(model.id, version.id)
    assert client.list_model_versions(model.id) == []


def test_it_manages_experiments_including_the_update_extension(client):
    model = client.create_model(name="forecaster")
    experiment = client.create_experiment(name="sweep", model_id=model.id, parameters={"lr": "0.1"})
    assert isinstance(experiment, Experiment)
    assert experiment.status == "running" and experiment.model_id == model.id and experiment.completed_at is None
    assert client.get_experiment(experiment.id) == experiment
    assert [e.id for e in client.list_experiments(model_id=model.id)] == [experiment.id]
    assert [e.id for e in client.list_experiments()] == [experiment.id]

    done = client.update_experiment(experiment.id, status="completed", metrics={"mape": 0.12})
    assert done is not None and done.status == "completed" and done.metrics == {"mape": 0.12}
    assert done.completed_at is not None and done.duration_seconds is not None

    client.delete_experiment(experiment.id)
    with pytest.raises(errors.NotFound):
        client.get_experiment(experiment.id)


def test_it_manages_deployments_including_the_update_extension(client, settings):
    settings.REGISTRY_DEPLOY_DELAY = 30
    model = client.create_model(name="scorer")
    version = client.create_model_version(model.id, version="1")
    deployment = client.create_deployment(
        name="scorer-prod",
        model_id=model.id,
        model_version_id=version.id,
        replicas=2,
        resources={"cpu": "2", "memory": "4Gi", "gpu": 0},
    )
    assert isinstance(deployment, Deployment)
    assert deployment.status == "deploying" and deployment.replicas == 2
    assert deployment.resources is not None and deployment.resources.memory == "4Gi" and deployment.resources.gpu == 0
    assert deployment.safe_endpoint_url and deployment.safe_endpoint_url.startswith("http")

    fetched = client.get_deployment(deployment.id)
    assert fetched.resources is None  # only the create response carries them
    assert [d.id for d in client.list_deployments()] == [deployment.id]

    stopped = client.update_deployment(deployment.id, status="stopped", replicas=3)
    assert stopped is not None and stopped.status == "stopped" and stopped.replicas == 3

    client.delete_deployment(deployment.id)
    assert client.list_deployments() == []


def test_it_raises_not_found_for_an_unknown_id(client):
    with pytest.raises(errors.NotFound) as caught:
        client.get_model("mdl_doesnotexist")
    assert caught.value.status == 404
    with pytest.raises(errors.NotFound):
        client.update_model_version("mdl_doesnotexist", "ver_nope", status="staging")


def test_it_raises_unauthorized_for_a_wrong_token(upstream_url):
    with pytest.raises(errors.Unauthorized) as caught:
        JFrogMLClient(upstream_url, token="not-a-real-token").list_models()
    assert caught.value.status == 401


def test_it_raises_forbidden_for_a_user_without_registry_access(upstream_url, django_user_model):
    django_user_model.objects.create_user("viewer", password="viewer-password-1")
    with pytest.raises(errors.Forbidden) as caught:
        JFrogMLClient(upstream_url, user="viewer", password="viewer-password-1").list_models()
    assert caught.value.status == 403


def test_it_raises_conflict_for_a_duplicate_name(client):
    client.create_model(name="dupe")
    with pytest.raises(errors.Conflict) as caught:
        client.create_model(name="dupe")
    assert caught.value.status == 409


def test_it_raises_validation_failed_naming_the_bad_field(client):
    model = client.create_model(name="validated")
    with pytest.raises(errors.ValidationFailed) as caught:
        client.create_model_version(model.id, version="1", metrics={"accuracy": "high"})
    # Field names as the server sent them (the registry names the metric: "metrics.accuracy").
    assert any(name.startswith("metrics") for name in caught.value.fields)
    with pytest.raises(errors.ValidationFailed) as caught:
        client.list_models(limit=-1)
    assert "limit" in caught.value.fields
    version = client.create_model_version(model.id, version="2")
    with pytest.raises(errors.ValidationFailed) as caught:
        client.update_model_version(model.id, version.id, status="gold")
    assert "status" in caught.value.fields


def test_it_accepts_a_completion_time_as_a_datetime(client):
    experiment = client.create_experiment(name="timed")
    when = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    done = client.update_experiment(experiment.id, status="failed", completed_at=when)
    assert done is not None and done.completed_at == when


def test_it_pages_through_more_than_a_thousand_models(client):
    seed_models(1205)
    first = client.list_models()
    assert first.total_count == 1205 and len(first.models) == 25  # the spec's default limit
    seen: list[str] = []
    offset = 0
    while True:
        page = client.list_models(limit=500, offset=offset)
        if not page.models:
            break
        seen.extend(m.id for m in page.models)
        offset += len(page.models)
    assert len(seen) == len(set(seen)) == 1205
    assert math.ceil(1205 / 500) == 3
