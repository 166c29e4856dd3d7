"""Every page renders from JFrog's fake platform over gRPC, with the seeded data."""

from __future__ import annotations

from urllib.parse import quote

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def _get(client, url: str) -> str:
    resp = client.get(url)
    assert resp.status_code == 200, (url, resp.status_code, resp.content.decode()[:2000])
    return resp.content.decode()


def test_the_model_list_and_a_model_page_show_the_platform_models_and_builds(client_for, world):
    alice = client_for("alice")
    body = _get(alice, "/models/")
    assert "churn-predictor" in body and "fraud-scorer" in body
    body = _get(alice, f"/models/{quote(world['churn'])}/")
    assert "build-1" in body and "build-2" in body
    assert "Predicts churn" in body


def test_a_version_page_is_a_build_with_its_tracked_metrics(client_for, world):
    body = _get(client_for("alice"), f"/models/{world['churn']}/versions/{world['b2']}/")
    assert "build-2" in body and "accuracy" in body and "0.88" in body
    assert "Pond&#x27;s ledger" in body or "Pond's ledger" in body


def test_experiments_are_the_builds_tracking(client_for, world):
    alice = client_for("alice")
    body = _get(alice, "/experiments/")
    assert "build-1" in body and "fraud-build-1" in body
    body = _get(alice, f"/experiments/{world['b1']}/")
    assert "lr" in body and "0.01" in body


def test_deployments_show_their_environment_and_platform_status(client_for, world):
    alice = client_for("alice")
    world["mock"].set_deployment_status(world["d2"], "failing")
    body = _get(alice, "/deployments/")
    assert world["d1"] in body and world["d2"] in body
    assert "failing" in body
    body = _get(alice, f"/deployments/{world['d1']}/")
    assert "11111111-1111-4111-8111-111111111111" in body


def test_the_overview_status_page_and_insights_render(client_for, world):
    alice = client_for("alice")
    body = _get(alice, "/")
    assert "churn-predictor" in body
    from webui.status.poller import poll

    poll(force=True)  # the status page shows what the poller recorded
    body = _get(alice, "/status/")
    assert "churn-predictor" in body or "churn_predictor" in body
    for url in ("/insights/production/", "/insights/hygiene/", "/insights/resources/"):
        _get(alice, url)


def test_forms_offer_only_what_the_platform_can_do(client_for, world):
    bob = client_for("bob")
    page = _get(bob, f"/models/{world['churn']}/edit/")
    name_input = page.split('name="name"', 1)[1].split(">", 1)[0]
    assert "readonly" in name_input
    assert "cannot rename" in page
    assert 'name="framework"' not in page and 'name="tags"' not in page
    model_page = _get(bob, f"/models/{world['churn']}/")
    assert "New version" not in model_page and "New experiment" not in model_page
    assert "Scale or stop" not in _get(bob, f"/deployments/{world['d1']}/")


def test_a_model_description_edit_goes_to_the_platform_and_a_rename_is_refused_inline(
    client_for, world
):
    bob = client_for("bob")
    bob.get(f"/models/{world['churn']}/edit/")
    token = bob.cookies["csrftoken"].value
    resp = bob.post(
        f"/models/{world['churn']}/edit/",
        {"name": "renamed", "description": "x", "csrfmiddlewaretoken": token},
    )
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "cannot rename" in body
    from webui.activity.models import Activity

    assert not Activity.objects.filter(object_id=world["churn"]).exists()
