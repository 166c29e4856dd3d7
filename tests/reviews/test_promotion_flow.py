"""An engineer requests, a reviewer approves, Pond applies it upstream and records it."""

from __future__ import annotations

from tests.reviews.conftest import post_form
from webui.reviews.models import LedgerEntry, ReviewRequest


def _request(client, churn, version="v2", to_status="production", **extra):
    url = f"/reviews/new/{churn['id']}/{churn[version]['id']}/"
    data = {"to_status": to_status, "note": "Better accuracy on the holdout set.", "archive_current": "on", **extra}
    return post_form(client, url, data)


def test_an_engineer_requests_a_promotion_with_a_note(client_for, churn):
    eve = client_for("eve")
    resp = _request(eve, churn)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    review = ReviewRequest.objects.get()
    assert resp["Location"] == f"/reviews/{review.pk}/"
    assert (review.from_status, review.to_status, review.state) == ("staging", "production", "pending")
    assert review.requested_by_name == "eve"
    assert review.archive_current is True
    entry = LedgerEntry.objects.get()
    assert entry.kind == "request"
    assert entry.actor == "eve"
    assert entry.comment == "Better accuracy on the holdout set."
    assert entry.metrics == {"accuracy": 0.93, "loss": 0.25}


def test_approving_promotes_upstream_and_archives_the_current_production_version(client_for, churn, registry):
    _request(client_for("eve"), churn)
    review = ReviewRequest.objects.get()
    resp = post_form(client_for("rita"), f"/reviews/{review.pk}/decide", {"decision": "approve", "comment": "LGTM"})
    assert resp.status_code == 302, resp.content.decode()[:2000]

    assert registry.status_of(churn["id"], churn["v2"]["id"]) == "production"
    assert registry.status_of(churn["id"], churn["v1"]["id"]) == "archived"
    review.refresh_from_db()
    assert review.state == "approved"
    assert review.decided_by_name == "rita"

    entries = list(LedgerEntry.objects.order_by("id"))
    assert [(e.kind, e.version_label, e.from_status, e.to_status, e.outcome) for e in entries] == [
        ("request", "v2", "staging", "production", ""),
        ("approve", "v2", "staging", "production", ""),
        ("apply", "v1", "production", "archived", "upstream"),
        ("apply", "v2", "staging", "production", "upstream"),
    ]
    approve = entries[1]
    assert approve.actor == "rita" and approve.comment == "LGTM"
    assert approve.details["production_metrics"] == {"v1": {"accuracy": 0.9, "loss": 0.3}}
    assert all(e.request_id == review.pk for e in entries)


def test_unticking_archive_leaves_the_current_production_version_alone(client_for, churn, registry):
    url = f"/reviews/new/{churn['id']}/{churn['v2']['id']}/"
    post_form(client_for("eve"), url, {"to_status": "production", "note": "Canary next to v1."})
    review = ReviewRequest.objects.get()
    assert review.archive_current is False
    post_form(client_for("rita"), f"/reviews/{review.pk}/decide", {"decision": "approve"})
    assert registry.status_of(churn["id"], churn["v1"]["id"]) == "production"
    assert registry.status_of(churn["id"], churn["v2"]["id"]) == "production"


def test_approving_with_deploy_creates_a_deployment_of_the_promoted_version(client_for, churn, registry):
    _request(client_for("eve"), churn, deploy="on")
    review = ReviewRequest.objects.get()
    post_form(client_for("rita"), f"/reviews/{review.pk}/decide", {"decision": "approve"})
    deployments = registry.deployments()
    assert [(d["model_id"], d["model_version_id"]) for d in deployments] == [(churn["id"], churn["v2"]["id"])]
    deploy = LedgerEntry.objects.get(kind="deploy")
    assert deploy.outcome == "upstream"
    assert deploy.details["deployment_id"] == deployments[0]["id"]


def test_rejecting_needs_a_comment_and_changes_nothing_upstream(client_for, churn, registry):
    _request(client_for("eve"), churn)
    review = ReviewRequest.objects.get()
    rita = client_for("rita")
    resp = post_form(rita, f"/reviews/{review.pk}/decide", {"decision": "reject", "comment": ""})
    assert resp.status_code == 400
    assert "A comment is required" in resp.content.decode()
    review.refresh_from_db()
    assert review.state == "pending"

    resp = post_form(rita, f"/reviews/{review.pk}/decide", {"decision": "reject", "comment": "Loss on EU traffic regressed."})
    assert resp.status_code == 302
    review.refresh_from_db()
    assert review.state == "rejected"
    assert registry.status_of(churn["id"], churn["v2"]["id"]) == "staging"
    assert registry.status_of(churn["id"], churn["v1"]["id"]) == "production"
    reject = LedgerEntry.objects.get(kind="reject")
    assert (reject.actor, reject.comment) == ("rita", "Loss on EU traffic regressed.")


def test_a_decided_request_cannot_be_decided_again(client_for, churn):
    _request(client_for("eve"), churn)
    review = ReviewRequest.objects.get()
    post_form(client_for("rita"), f"/reviews/{review.pk}/decide", {"decision": "approve"})
    resp = post_form(client_for("rex"), f"/reviews/{review.pk}/decide", {"decision": "reject", "comment": "late"})
    assert resp.status_code == 409
    assert "already been approved" in resp.content.decode()
    assert not LedgerEntry.objects.filter(kind="reject").exists()


def test_a_second_request_for_the_same_version_is_refused(client_for, churn):
    eve = client_for("eve")
    _request(eve, churn)
    resp = _request(eve, churn)
    assert resp.status_code == 409
    assert "already pending" in resp.content.decode()
    assert ReviewRequest.objects.count() == 1


def test_the_requester_can_withdraw_a_pending_request(client_for, churn):
    eve = client_for("eve")
    _request(eve, churn)
    review = ReviewRequest.objects.get()
    resp = post_form(eve, f"/reviews/{review.pk}/cancel", {})
    assert resp.status_code == 302
    review.refresh_from_db()
    assert review.state == "cancelled"
    assert LedgerEntry.objects.filter(kind="cancel", actor="eve").count() == 1
