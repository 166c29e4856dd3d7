"""The two-person rule outlives the requester's account.

`ReviewRequest.requested_by` is SET_NULL (deleting a user must stay possible), so the
rule compares on the username kept beside it, as the ledger does. A person whose
account is deleted and made again (an SSO re-provision, an admin's "fix") is the same
person; a request whose requester nobody knows any more cannot be approved at all.
"""

from __future__ import annotations

import importlib

import pytest
from django.contrib.auth.models import Group, User

from tests.reviews.conftest import post_form
from webui.reviews.approvals import promotion_request_decide
from webui.reviews.models import ReviewRequest
from webui.reviews.services import ReviewRefused


def _requested_by(client, churn) -> ReviewRequest:
    resp = post_form(client, f"/reviews/new/{churn['id']}/{churn['v2']['id']}/", {"to_status": "production", "note": "go"})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    return ReviewRequest.objects.get()


def test_a_requester_deleted_and_made_again_still_cannot_approve_their_own_request(client_for, users, churn, registry):
    review = _requested_by(client_for("rita"), churn)
    users["rita"].delete()
    again = User.objects.create_user("rita", "rita@example.com", "another password 1")
    again.groups.add(Group.objects.get(name="reviewer"))
    review.refresh_from_db()
    assert review.requested_by is None and review.requested_by_name == "rita"

    with pytest.raises(ReviewRefused, match="two-person rule"):
        promotion_request_decide(user=again, request_id=review.pk, approve=True)
    review.refresh_from_db()
    assert review.state == "pending"
    assert registry.status_of(churn["id"], churn["v2"]["id"]) == "staging"


def test_the_rule_ignores_the_case_of_the_username(client_for, users, churn):
    review = _requested_by(client_for("rita"), churn)
    users["rita"].delete()
    again = User.objects.create_user("RITA", "rita@example.com", "another password 1")
    again.groups.add(Group.objects.get(name="reviewer"))
    with pytest.raises(ReviewRefused, match="two-person rule"):
        promotion_request_decide(user=again, request_id=review.pk, approve=True)


def test_another_reviewer_may_still_approve_once_the_requester_is_deleted(client_for, users, churn, registry):
    review = _requested_by(client_for("eve"), churn)
    users["eve"].delete()
    resp = post_form(client_for("rita"), f"/reviews/{review.pk}/decide", {"decision": "approve"})
    assert resp.status_code == 302
    review.refresh_from_db()
    assert review.state == "approved"
    assert registry.status_of(churn["id"], churn["v2"]["id"]) == "production"


def test_nobody_approves_a_request_whose_requester_is_unknown_but_it_can_be_rejected(client_for, users, churn):
    review = _requested_by(client_for("eve"), churn)
    # A row that lost both: its user deleted, and no name kept (made outside Pond's services).
    ReviewRequest.objects.filter(pk=review.pk).update(requested_by=None, requested_by_name="")
    resp = post_form(client_for("rita"), f"/reviews/{review.pk}/decide", {"decision": "approve"})
    assert resp.status_code == 403
    assert "does not know who requested" in resp.content.decode()
    review.refresh_from_db()
    assert review.state == "pending"
    resp = post_form(client_for("rita"), f"/reviews/{review.pk}/decide", {"decision": "reject", "comment": "ask again"})
    assert resp.status_code == 302
    review.refresh_from_db()
    assert review.state == "rejected"


def test_the_rule_can_still_be_turned_off(client_for, users, churn, settings):
    settings.POND_TWO_PERSON_RULE = False
    review = _requested_by(client_for("rita"), churn)
    ReviewRequest.objects.filter(pk=review.pk).update(requested_by=None, requested_by_name="")
    resp = post_form(client_for("rita"), f"/reviews/{review.pk}/decide", {"decision": "approve"})
    assert resp.status_code == 302


def test_the_migration_fills_in_a_missing_requester_name_from_the_account(users):
    from django.apps import apps

    backfill = importlib.import_module("webui.reviews.migrations.0002_requested_by_name_backfill")
    fields = dict(model_id="m", version_id="v", from_status="staging", to_status="production", note="n")
    nameless = ReviewRequest.objects.create(**fields, requested_by=users["eve"], requested_by_name="")
    named = ReviewRequest.objects.create(
        **{**fields, "version_id": "v2"}, requested_by=users["rex"], requested_by_name="rex-at-the-time"
    )
    backfill.requested_by_name_backfill(apps, None)
    nameless.refresh_from_db()
    named.refresh_from_db()
    assert nameless.requested_by_name == "eve"
    assert named.requested_by_name == "rex-at-the-time"
