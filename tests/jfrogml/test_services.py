"""Page-facing services against the live registry: what each page gets, and that
writes through Pond show up at once (every affected cache entry invalidated)."""

from __future__ import annotations

import pytest

from tests.support.faultserver import json_response, status
from webui.jfrogml import errors, services
from webui.jfrogml.client import get_client


@pytest.fixture
def long_ttls(settings, upstream_url):
    # Long TTLs: anything fresh after a write must come from invalidation, not expiry.
    for name in ("DEPLOYMENTS", "DEPLOYMENT", "MODEL", "VERSIONS", "EXPERIMENTS", "EXPERIMENT"):
        setattr(settings, f"JFROG_ML_TTL_{name}", 600)
    settings.REGISTRY_DEPLOY_DELAY = 60
    return settings


@pytest.fixture
def world(long_ttls):
    churn = services.model_create(name="churn", framework="sklearn", task_type="classification", tags=["crm"])
    v1 = services.version_create(model_id=churn.id, version="1.0", metrics={"accuracy": 0.8, "loss": 0.5}, parameters={"lr": "0.1"})
    v2 = services.version_create(model_id=churn.id, version="2.0", metrics={"accuracy": 0.9, "loss": 0.6}, parameters={"lr": "0.2"})
    services.version_set_status(model_id=churn.id, version_id=v1.id, status="production")
    exp = services.experiment_create(name="sweep", model_id=churn.id, parameters={"lr": "0.3"})
    dep = services.deployment_create(name="churn-prod", model_id=churn.id, model_version_id=v1.id, cpu="1", memory="2Gi", gpu=0)
    return {"model": churn, "v1": v1, "v2": v2, "exp": exp, "dep": dep}


def test_a_new_version_is_a_draft_and_shows_on_the_model_page_at_once(world):
    page = services.model_overview(model_id=world["model"].id)
    assert [v.version for v in page.versions] == ["1.0", "2.0"]
    assert world["v2"].status == "draft"
    v3 = services.version_create(model_id=world["model"].id, version="3.0")
    page = services.model_overview(model_id=world["model"].id)
    assert [v.version for v in page.versions] == ["1.0", "2.0", "3.0"]
    assert page.model.latest_version == "3.0" and page.model.versions_count == 3
    assert v3.status == "draft"


def test_the_model_page_has_everything_it_shows(world):
    page = services.model_overview(model_id=world["model"].id)
    assert page.model.name == "churn"
    assert [v.id for v in page.production_versions] == [world["v1"].id]
    assert page.metric_names == ["accuracy", "loss"]
    assert [e.id for e in page.experiments] == [world["exp"].id]
    assert [d.id for d in page.deployments] == [world["dep"].id]
    assert page.freshness.stale is False and page.freshness.fetched_at is not None


def test_version_detail_names_the_deployments_serving_it(world):
    page = services.version_detail(model_id=world["model"].id, version_id=world["v1"].id)
    assert page.version.version == "1.0" and page.version.status == "production"
    assert [d.name for d in page.deployments] == ["churn-prod"]
    other = services.version_detail(model_id=world["model"].id, version_id=world["v2"].id)
    assert other.deployments == [] and [v.id for v in other.production_versions] == [world["v1"].id]


def test_comparing_versions_marks_the_best_value_by_direction_and_the_differences(world):
    page = services.versions_compare(model_id=world["model"].id, version_ids=[world["v1"].id, world["v2"].id])
    assert page.best == {"accuracy": 0.9, "loss": 0.5}
    assert page.differs["metrics"] == {"accuracy", "loss"} and page.differs["parameters"] == {"lr"}
    assert page.param_names == ["lr"]


def test_comparing_refuses_too_few_or_unknown_versions(world):
    with pytest.raises(errors.ValidationFailed) as caught:
        services.versions_compare(model_id=world["model"].id, version_ids=[world["v1"].id])
    assert "version_ids" in caught.value.fields
    with pytest.raises(errors.NotFound):
        services.versions_compare(model_id=world["model"].id, version_ids=[world["v1"].id, "ver_nope"])


def test_unknown_ids_raise_not_found(world):
    with pytest.raises(errors.NotFound):
        services.model_overview(model_id="mdl_nope")
    with pytest.raises(errors.NotFound):
        services.version_detail(model_id=world["model"].id, version_id="ver_nope")
    with pytest.raises(errors.NotFound):
        services.experiment_detail(experiment_id="exp_nope")
    with pytest.raises(errors.NotFound):
        services.deployment_detail(deployment_id="dep_nope")


def test_renaming_a_model_shows_in_the_list_and_the_search_at_once(world):
    services.model_list()  # the catalog exists
    services.model_update(model_id=world["model"].id, name="attrition", description="renamed", framework="xgboost", task_type="classification", tags=["crm", "v2"])
    found = services.model_list(q="attrition")
    assert [r.model.name for r in found.rows] == ["attrition"]
    assert found.rows[0].model.framework == "xgboost"
    assert services.model_list(q="churn").total == 0
    assert services.model_overview(model_id=world["model"].id).model.tags == ("crm", "v2")


def test_the_model_list_shows_live_deployment_status(world):
    row = services.model_list().rows[0]
    assert row.deployment_status.counts == {"deploying": 1}
    assert row.deployment_status.worst == "deploying"
    services.deployment_update(deployment_id=world["dep"].id, status="failed")
    row = services.model_list().rows[0]
    assert row.deployment_status.worst == "failed"


def test_deleting_a_model_removes_it_everywhere_and_detaches_its_experiments(world):
    services.model_list()
    services.model_overview(model_id=world["model"].id)
    services.experiment_detail(experiment_id=world["exp"].id)
    services.deployment_delete(deployment_id=world["dep"].id)
    services.model_delete(model_id=world["model"].id)
    assert services.model_list().total == 0
    with pytest.raises(errors.NotFound):
        services.model_overview(model_id=world["model"].id)
    detached = services.experiment_detail(experiment_id=world["exp"].id)
    assert detached.experiment.model_id is None and detached.model is None
    assert services.deployment_list().rows == []


def test_promoting_a_version_shows_in_the_filters_and_the_overview(world):
    assert services.model_list(has_status="staging").total == 0
    services.version_set_status(model_id=world["model"].id, version_id=world["v2"].id, status="staging")
    assert services.model_list(has_status="staging").total == 1
    overview = services.overview()
    assert [item.version_id for item in overview.awaiting_review] == [world["v2"].id]
    assert overview.version_status_counts == {"production": 1, "staging": 1}


def test_experiments_list_filter_update_and_compare(world):
    other = services.experiment_create(name="baseline")
    services.experiment_update(experiment_id=world["exp"].id, status="completed", metrics={"accuracy": 0.7, "rmse": 2.0})
    services.experiment_update(experiment_id=other.id, status="failed", metrics={"accuracy": 0.75, "rmse": 3.0})
    page = services.experiment_list(status="completed")
    assert [e.id for e in page.experiments] == [world["exp"].id]
    assert page.model_names.get(world["model"].id) == "churn"
    by_model = services.experiment_list(model_id=world["model"].id)
    assert [e.id for e in by_model.experiments] == [world["exp"].id]
    compare = services.experiments_compare(experiment_ids=[world["exp"].id, other.id])
    assert compare.best == {"accuracy": 0.75, "rmse": 2.0}
    detail = services.experiment_detail(experiment_id=world["exp"].id)
    assert detail.experiment.status == "completed" and detail.model.name == "churn"
    services.experiment_delete(experiment_id=other.id)
    assert [e.id for e in services.experiment_list().experiments] == [world["exp"].id]


def test_deployment_pages_and_writes(world):
    detail = services.deployment_detail(deployment_id=world["dep"].id)
    assert detail.model.name == "churn" and detail.version.version == "1.0"
    assert world["dep"].resources.memory == "2Gi"
    listed = services.deployment_list()
    assert [(r.model_name, r.version_label) for r in listed.rows] == [("churn", "1.0")]
    scaled = services.deployment_update(deployment_id=world["dep"].id, replicas=3)
    assert scaled.replicas == 3
    assert services.deployment_detail(deployment_id=world["dep"].id).deployment.replicas == 3
    with pytest.raises(errors.Conflict):
        services.version_delete(model_id=world["model"].id, version_id=world["v1"].id)


def test_writes_refuse_bad_input_naming_the_field_and_change_nothing(world):
    with pytest.raises(errors.ValidationFailed) as caught:
        services.model_create(name="  ")
    assert "name" in caught.value.fields
    with pytest.raises(errors.Conflict):
        services.model_create(name="churn")
    with pytest.raises(errors.ValidationFailed) as caught:
        services.deployment_create(name="x", model_id=world["model"].id, model_version_id=world["v1"].id, replicas=-1)
    assert "replicas" in caught.value.fields
    with pytest.raises(errors.ValidationFailed) as caught:
        services.version_set_status(model_id=world["model"].id, version_id=world["v2"].id, status="gold")
    assert "status" in caught.value.fields
    assert services.model_list().total == 1
    assert len(services.deployment_list().rows) == 1
    assert get_client().get_model_version(world["model"].id, world["v2"].id).status == "draft"


def test_a_page_raises_unavailable_only_when_nothing_is_cached(settings, dead_port):
    settings.JFROG_ML_URL = f"http://127.0.0.1:{dead_port}/ml/api"
    with pytest.raises(errors.Unavailable):
        services.model_overview(model_id="mdl_1")
    with pytest.raises(errors.Unavailable):
        services.model_list()


def test_a_page_is_served_from_cached_data_marked_stale_when_upstream_fails(fault, settings):
    model = {"id": "mdl_1", "name": "churn", "versions_count": 1}
    fault.on("GET", "/v1/models/mdl_1", json_response(model))
    fault.on("GET", "/v1/models/mdl_1/versions", json_response({"versions": [{"id": "ver_1", "version": "1", "status": "production"}]}))
    fault.on("GET", "/v1/experiments", json_response({"experiments": []}))
    fault.on("GET", "/v1/deployments", json_response({"deployments": [{"id": "dep_1", "model_id": "mdl_1", "status": "active"}]}))
    services.model_overview(model_id="mdl_1")
    for name in ("MODEL", "VERSIONS", "EXPERIMENTS", "DEPLOYMENTS"):
        setattr(settings, f"JFROG_ML_TTL_{name}", 0)
    fault.on(None, None, status(503))
    page = services.model_overview(model_id="mdl_1")
    assert page.model.name == "churn" and [v.id for v in page.production_versions] == ["ver_1"]
    assert [d.status for d in page.deployments] == ["active"]
    assert page.freshness.stale is True and "503" in page.freshness.error
