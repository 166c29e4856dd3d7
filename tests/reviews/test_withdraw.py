"""Withdrawing a request: only the person who asked, or an admin with a comment on the
record. A reviewer who disagrees rejects it instead (a rejection needs a comment too)."""

from __future__ import annotations

from tests.reviews.conftest import post_form
from tests.support.people import users_with_roles
from webui.reviews.models import LedgerEntry, ReviewRequest


def _requested(client_for, churn) -> ReviewRequest:
    resp = post_form(
        client_for("eve"),
        f"/reviews/new/{churn['id']}/{churn['v2']['id']}/",
        {"to_status": "production", "note": "ready", "archive_current": "on"},
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    return ReviewRequest.objects.get()


def _withdraw_button(page: str) -> bool:
    return 'data-testid="withdraw"' in page


def test_a_reviewer_cannot_withdraw_someone_elses_request(client_for, churn, registry, users):
    review = _requested(client_for, churn)
    users.update(users_with_roles({"erin": "engineer"}))
    for name in ("rita", "erin"):  # a reviewer, and an engineer who did not ask either
        other = client_for(name)
        page = other.get(f"/reviews/{review.pk}/").content.decode()
        assert not _withdraw_button(page) and 'data-testid="withdraw-form"' not in page
        resp = post_form(other, f"/reviews/{review.pk}/cancel", {"comment": "not needed"})
        assert resp.status_code == 403
        # Said on the review's page, with the reason (it is not a matter of role).
        refusal = resp.content.decode()
        assert 'data-testid="withdraw-error"' in refusal
        assert "Only eve can withdraw this request" in refusal
    review.refresh_from_db()
    assert review.state == "pending"
    assert not LedgerEntry.objects.filter(kind="cancel").exists()
    assert registry.status_of(churn["id"], churn["v2"]["id"]) == "staging"


def test_the_requester_withdraws_without_a_comment(client_for, churn):
    review = _requested(client_for, churn)
    eve = client_for("eve")
    page = eve.get(f"/reviews/{review.pk}/").content.decode()
    assert _withdraw_button(page) and 'data-testid="withdraw-form"' not in page
    assert post_form(eve, f"/reviews/{review.pk}/cancel", {}).status_code == 302
    review.refresh_from_db()
    assert review.state == "cancelled"
    assert LedgerEntry.objects.get(kind="cancel").actor == "eve"


def test_an_admin_withdraws_only_with_a_comment_which_is_recorded(client_for, churn):
    review = _requested(client_for, churn)
    ada = client_for("ada")
    page = ada.get(f"/reviews/{review.pk}/").content.decode()
    assert 'data-testid="withdraw-form"' in page and "Why withdraw eve" in page

    resp = post_form(ada, f"/reviews/{review.pk}/cancel", {"comment": "   "})
    assert resp.status_code == 400
    assert "A comment saying why you withdraw someone else" in resp.content.decode()
    review.refresh_from_db()
    assert review.state == "pending" and not LedgerEntry.objects.filter(kind="cancel").exists()

    assert post_form(ada, f"/reviews/{review.pk}/cancel", {"comment": "Superseded by 2.1, asked on chat."}).status_code == 302
    review.refresh_from_db()
    assert (review.state, review.decided_by_name, review.decision_comment) == (
        "cancelled", "ada", "Superseded by 2.1, asked on chat."
    )
    entry = LedgerEntry.objects.get(kind="cancel")
    assert (entry.actor, entry.comment) == ("ada", "Superseded by 2.1, asked on chat.")


def test_a_superuser_is_an_admin_here_too(client_for, churn):
    review = _requested(client_for, churn)
    root = client_for("root")
    assert 'data-testid="withdraw-form"' in root.get(f"/reviews/{review.pk}/").content.decode()
    assert post_form(root, f"/reviews/{review.pk}/cancel", {}).status_code == 400
    review.refresh_from_db()
    assert review.state == "pending"
    resp = post_form(root, f"/reviews/{review.pk}/cancel", {"comment": "Model retired."})
    assert resp.status_code == 302
    entry = LedgerEntry.objects.get(kind="cancel")
    assert (entry.actor, entry.comment, entry.request_id) == ("root", "Model retired.", review.pk)


def test_a_decided_request_is_not_withdrawn(client_for, churn):
    review = _requested(client_for, churn)
    rita = client_for("rita")
    decision = {"decision": "reject", "comment": "not yet"}
    resp = post_form(rita, f"/reviews/{review.pk}/decide", decision)
    assert resp.status_code == 302
    eve = client_for("eve")
    assert not _withdraw_button(eve.get(f"/reviews/{review.pk}/").content.decode())
    assert post_form(eve, f"/reviews/{review.pk}/cancel", {}).status_code == 409
    review.refresh_from_db()
    assert review.state == "rejected"
    assert not LedgerEntry.objects.filter(kind="cancel").exists()
