"""A failure part way: the archive step done, the promotion failed; the archived version
is production again, and the record says exactly that."""

from __future__ import annotations

import requests
from django.conf import settings

from tests.reviews.conftest import post_form
from webui.reviews.models import LedgerEntry, ReviewRequest


def test_archive_done_then_the_candidate_deleted_upstream_is_rolled_back_and_recorded(proxy, client_for, churn, registry):
    # (Before decisions were plans with compensation, this left v1 archived and the
    # request "failed" with "Already applied: v1 → archived": the model had no production.)
    resp = post_form(
        client_for("eve"),
        f"/reviews/new/{churn['id']}/{churn['v2']['id']}/",
        {"to_status": "production", "note": "go", "archive_current": "on"},
    )
    assert resp.status_code == 302
    review = ReviewRequest.objects.get()

    def delete_candidate() -> None:
        # Someone deletes v2 upstream right after Pond archived v1.
        resp = requests.delete(
            f"{registry.base_url}/v1/models/{churn['id']}/versions/{churn['v2']['id']}",
            headers={"Authorization": f"Bearer {settings.REGISTRY_SERVICE_TOKEN}"},
            timeout=10,
        )
        assert resp.status_code == 204

    proxy.after("PATCH", f"/versions/{churn['v1']['id']}$", delete_candidate)
    resp = post_form(client_for("rita"), f"/reviews/{review.pk}/decide", {"decision": "approve"})
    assert resp.status_code == 302

    review.refresh_from_db()
    assert review.state == "rolled_back"
    assert "Could not set v2 to production" in review.outcome_message
    assert "Rolled back: v1 → production again" in review.outcome_message

    assert registry.status_of(churn["id"], churn["v1"]["id"]) == "production"
    steps = LedgerEntry.objects.filter(kind="apply").order_by("id")
    assert [(e.version_label, e.from_status, e.to_status, e.outcome) for e in steps] == [
        ("v1", "production", "archived", "upstream"),
        ("v2", "staging", "production", "failed"),
        ("v1", "archived", "production", "upstream"),
    ]
    assert steps[1].details["error_type"] == "NotFound"
    assert steps[2].details["compensation"] is True
    assert "v2 could not be set to production" in steps[2].comment

    page = client_for("rita").get(f"/reviews/{review.pk}/").content.decode()
    assert "failed, rolled back" in page
    assert "Could not set v2 to production" in page
    assert "This version no longer exists in JFrog ML" in page


def test_a_failure_on_the_first_step_changes_nothing_and_says_so(proxy, client_for, churn, registry):
    resp = post_form(
        client_for("eve"),
        f"/reviews/new/{churn['id']}/{churn['v2']['id']}/",
        {"to_status": "production", "note": "go", "archive_current": "on"},
    )
    assert resp.status_code == 302
    review = ReviewRequest.objects.get()

    def delete_production_version() -> None:
        registry.delete_version(churn["id"], churn["v1"]["id"])

    # The fresh read sees v1 in production; it is deleted before Pond archives it.
    proxy.after("GET", f"/models/{churn['id']}/versions$", delete_production_version)
    post_form(client_for("rita"), f"/reviews/{review.pk}/decide", {"decision": "approve"})
    review.refresh_from_db()
    assert review.state == "failed"
    assert "Nothing was changed" in review.outcome_message
    assert registry.status_of(churn["id"], churn["v2"]["id"]) == "staging"
    assert list(LedgerEntry.objects.filter(kind="apply").values_list("outcome", flat=True)) == ["failed"]
