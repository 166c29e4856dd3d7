"""Every page renders, for a viewer, from the live embedded registry."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(registry):
    model = registry.model("churn-predictor", description="Predicts churn", tags=["fraud", "demo"])
    v1 = registry.version(model["id"], "1.0.0", metrics={"accuracy": 0.81, "loss": 0.4})
    v2 = registry.version(model["id"], "1.1.0", metrics={"accuracy": 0.88, "loss": 0.3}, parameters={"lr": "0.02"})
    registry.set_version_status(model["id"], v1["id"], "production")
    registry.set_version_status(model["id"], v2["id"], "staging")
    exp1 = registry.experiment("baseline", model_id=model["id"], parameters={"lr": "0.01"})
    exp2 = registry.experiment("bigger-lr", model_id=model["id"], parameters={"lr": "0.1"})
    dep = registry.deployment(model["id"], v1["id"], name="churn-prod")
    return {"model": model, "v1": v1, "v2": v2, "exp1": exp1, "exp2": exp2, "dep": dep}


def test_the_overview_shows_counts_review_queue_and_deployments(client_for, world):
    resp = client_for("alice").get("/")
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "churn-predictor" in body
    assert "churn-prod" in body
    assert 'data-testid="awaiting-review"' in body and "1.1.0" in body
    assert 'class="freshness' in body


def test_the_model_list_shows_each_model_with_its_facts(client_for, world):
    resp = client_for("alice").get("/models/")
    body = resp.content.decode()
    assert resp.status_code == 200
    assert "churn-predictor" in body and "sklearn" in body and "classification" in body
    assert "fraud" in body
    assert 'class="freshness' in body


def test_the_model_page_shows_versions_metrics_chart_experiments_and_deployments(client_for, world):
    m = world["model"]
    resp = client_for("alice").get(f"/models/{m['id']}/")
    body = resp.content.decode()
    assert resp.status_code == 200
    assert "1.0.0" in body and "1.1.0" in body
    assert "<svg" in body and "point production" in body
    assert "baseline" in body and "churn-prod" in body
    assert 'data-testid="versions-table"' in body


def test_the_version_page_shows_metrics_parameters_and_serving_deployments(client_for, world):
    m, v2 = world["model"], world["v2"]
    resp = client_for("alice").get(f"/models/{m['id']}/versions/{v2['id']}/")
    body = resp.content.decode()
    assert resp.status_code == 200
    assert "0.88" in body and "lr" in body and "0.02" in body
    assert 'data-testid="compare-production"' in body
    assert 'data-testid="promotion-history"' in body


def test_the_version_page_lists_the_deployments_that_serve_it(client_for, world):
    m, v1 = world["model"], world["v1"]
    body = client_for("alice").get(f"/models/{m['id']}/versions/{v1['id']}/").content.decode()
    assert "churn-prod" in body


def test_the_experiment_pages_render(client_for, world):
    client = client_for("alice")
    resp = client.get("/experiments/")
    assert resp.status_code == 200 and "baseline" in resp.content.decode()
    resp = client.get(f"/experiments/{world['exp1']['id']}/")
    body = resp.content.decode()
    assert resp.status_code == 200 and "baseline" in body and "0.01" in body


def test_the_deployment_pages_render_with_live_status_hooks(client_for, world):
    client = client_for("alice")
    resp = client.get("/deployments/")
    body = resp.content.decode()
    assert resp.status_code == 200 and "churn-prod" in body
    assert f'data-deployment-status="{world["dep"]["id"]}"' in body
    resp = client.get(f"/deployments/{world['dep']['id']}/")
    body = resp.content.decode()
    assert resp.status_code == 200
    assert "churn-predictor" in body and "1.0.0" in body
    # Created outside Pond: JFrog ML does not say which resources it has.
    assert "unknown" in body


def test_the_status_json_reports_every_deployment(client_for, world):
    resp = client_for("alice").get("/deployments/status.json")
    assert resp.status_code == 200
    payload = resp.json()
    assert payload["deployments"][world["dep"]["id"]]["status"] in {"deploying", "active"}


def test_the_navigation_shows_the_user_and_their_role(client_for, world):
    body = client_for("carol").get("/").content.decode()
    assert 'data-testid="nav-user">carol' in body
    assert ">reviewer</span>" in body
    for link in ("/models/", "/experiments/", "/deployments/", "/status/"):
        assert f'href="{link}"' in body


def test_pages_forbid_inline_scripts_and_styles(client_for, world):
    resp = client_for("alice").get(f"/models/{world['model']['id']}/")
    body = resp.content.decode()
    assert "script-src 'self'" in resp["Content-Security-Policy"]
    assert "<script>" not in body and " style=" not in body and "<style" not in body
    assert resp["Cache-Control"] == "no-store"
