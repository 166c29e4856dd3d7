"""The poller and the review over the JFrog ML platform: events, one incident, the
ledger as a version's status (nothing pretends to have written it upstream)."""

from __future__ import annotations

import pytest

from webui.reviews.models import LedgerEntry, ReviewRequest
from webui.status.models import DeploymentEvent, DeploymentState, Incident
from webui.status.poller import poll

pytestmark = pytest.mark.django_db(transaction=True)


def test_deployment_status_changes_become_events_and_one_incident_for_a_confirmed_failure(
    world, client_for
):
    mock, d1 = world["mock"], world["d1"]
    mock.set_deployment_status(d1, "in_progress")
    poll(force=True)
    poll(force=True)
    assert DeploymentState.objects.get(deployment_id=d1).confirmed_status == "deploying"
    mock.set_deployment_status(d1, "successful")
    poll(force=True)
    poll(force=True)
    assert DeploymentState.objects.get(deployment_id=d1).confirmed_status == "active"

    mock.set_deployment_status(d1, "failed")
    poll(force=True)
    assert Incident.objects.count() == 0  # seen once: unconfirmed
    poll(force=True)
    poll(force=True)
    incident = Incident.objects.get()
    assert (incident.deployment_id, incident.status, incident.ended_at) == (d1, "failed", None)
    statuses = list(
        DeploymentEvent.objects.filter(deployment_id=d1)
        .order_by("id")
        .values_list("to_status", flat=True)
    )
    assert statuses[-1] == "failed" and "active" in statuses and "deploying" in statuses, statuses
    data = client_for("alice").get("/status.json").json()
    assert data["incidents"][0]["deployment_id"] == d1


def test_failing_is_kept_visible_and_never_counted_as_active(world, client_for):
    mock, d2 = world["mock"], world["d2"]
    mock.set_deployment_status(d2, "failing")
    poll(force=True)
    poll(force=True)
    state = DeploymentState.objects.get(deployment_id=d2)
    assert state.confirmed_status == "failing"
    data = client_for("alice").get("/status.json").json()
    assert d2 in str(data) and "failing" in str(data)


def _post(client, url: str, data: dict):
    client.get("/reviews/")
    return client.post(url, {**data, "csrfmiddlewaretoken": client.cookies["csrftoken"].value})


def test_a_promotion_through_the_review_is_recorded_and_is_the_effective_status(world, client_for):
    churn, b2 = world["churn"], world["b2"]
    bob, carol = client_for("bob"), client_for("carol")
    page = bob.get(f"/models/{churn}/versions/{b2}/").content.decode()
    assert "draft" in page and "Pond&#x27;s ledger" in page

    resp = _post(bob, f"/reviews/new/{churn}/{b2}/", {"to_status": "staging", "note": "ready"})
    assert resp.status_code == 302, resp.content.decode()[:3000]
    review = ReviewRequest.objects.get(state="pending")
    resp = _post(carol, f"/reviews/{review.pk}/decide", {"decision": "approve"})
    assert resp.status_code == 302
    review.refresh_from_db()
    assert review.state == "approved"

    entry = LedgerEntry.objects.get(kind="apply", version_id=b2)
    assert (entry.to_status, entry.outcome) == ("staging", "pond")  # recorded by Pond, not upstream
    page = bob.get(f"/models/{churn}/versions/{b2}/").content.decode()
    assert 'data-testid="ledger-status"' in page
    assert "staging" in page
    # The platform was asked nothing it cannot do: a build still has no status.
    from webui.jfrogml.client import get_client

    assert get_client().get_model_version(churn, b2).status is None


def _promote(bob, carol, model_id: str, version_id: str, to_status: str) -> None:
    resp = _post(
        bob, f"/reviews/new/{model_id}/{version_id}/", {"to_status": to_status, "note": "go"}
    )
    assert resp.status_code == 302, resp.content.decode()[:3000]
    review = ReviewRequest.objects.get(state="pending")
    assert _post(carol, f"/reviews/{review.pk}/decide", {"decision": "approve"}).status_code == 302
    review.refresh_from_db()
    assert review.state == "approved", review.outcome_message


def test_a_version_in_production_by_the_ledger_is_guarded_and_shown_by_insights(world, client_for):
    churn, b1 = world["churn"], world["b1"]
    bob, carol = client_for("bob"), client_for("carol")
    _promote(bob, carol, churn, b1, "staging")
    _promote(bob, carol, churn, b1, "production")

    body = client_for("alice").get("/insights/production/").content.decode()
    assert "build-1" in body

    # Deleting it is refused as for a production version over REST; the build stays.
    page = bob.get(f"/models/{churn}/versions/{b1}/delete/")
    assert "is in production" in page.content.decode()
    resp = _post(bob, f"/models/{churn}/versions/{b1}/delete/", {"confirm_name": "build-1"})
    assert resp.status_code == 409
    assert b1 in world["mock"].mocks.build_orchestrator_build_api.builds
    resp = _post(bob, f"/models/{churn}/delete/", {"confirm_name": "churn-predictor"})
    assert resp.status_code == 409


def test_a_promotion_to_production_does_not_offer_a_deploy_the_platform_cannot_take(world, client_for):
    churn, b1 = world["churn"], world["b1"]
    bob, carol = client_for("bob"), client_for("carol")
    _promote(bob, carol, churn, b1, "staging")
    page = bob.get(f"/reviews/new/{churn}/{b1}/").content.decode()
    assert 'name="deploy"' not in page
    # Sent anyway: ignored, nothing is deployed, the promotion is recorded.
    resp = _post(bob, f"/reviews/new/{churn}/{b1}/", {"to_status": "production", "note": "go", "deploy": "on"})
    assert resp.status_code == 302
    review = ReviewRequest.objects.get(state="pending")
    assert review.deploy is False
