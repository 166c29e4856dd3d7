"""An upstream without the status extension: Pond keeps the decision, marked as its own."""

from __future__ import annotations

from tests.reviews.conftest import post_form
from webui.reviews.models import LedgerEntry, ReviewRequest


def _approve(client_for, churn, version="v2", to_status="production"):
    resp = post_form(
        client_for("eve"),
        f"/reviews/new/{churn['id']}/{churn[version]['id']}/",
        {"to_status": to_status, "note": "go", "archive_current": "on"},
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    review = ReviewRequest.objects.get(state="pending")
    resp = post_form(client_for("rita"), f"/reviews/{review.pk}/decide", {"decision": "approve"})
    assert resp.status_code == 302
    review.refresh_from_db()
    return review


def test_without_the_extension_the_decision_is_kept_by_pond_and_upstream_is_untouched(proxy, client_for, churn, registry):
    proxy.refuse_version_patch()
    review = _approve(client_for, churn)
    assert review.state == "approved"
    assert "Pond keeps them as the effective status" in review.outcome_message

    # Upstream really did not change, and Pond never claims it did.
    assert registry.status_of(churn["id"], churn["v2"]["id"]) == "staging"
    assert registry.status_of(churn["id"], churn["v1"]["id"]) == "production"
    assert len(proxy.patched()) == 2
    applied = LedgerEntry.objects.filter(kind="apply").order_by("id")
    assert [(e.version_label, e.to_status, e.outcome) for e in applied] == [
        ("v1", "archived", "pond"),
        ("v2", "production", "pond"),
    ]
    assert applied[1].details["upstream_before"] == "staging"


def test_pages_show_the_effective_status_with_a_clear_marker(proxy, client_for, churn):
    proxy.refuse_version_patch()
    review = _approve(client_for, churn)
    page = client_for("vic").get(f"/reviews/{review.pk}/").content.decode()
    assert "recorded by Pond" in page
    assert "Set in JFrog ML" not in page and "set in JFrog ML" not in page


def test_the_next_promotion_starts_from_the_effective_status(proxy, client_for, churn, registry):
    proxy.refuse_version_patch()
    _approve(client_for, churn)
    # v2 is production in Pond's record (staging upstream): production → archived is allowed,
    # and staging → production is not offered again.
    url = f"/reviews/new/{churn['id']}/{churn['v2']['id']}/"
    page = client_for("eve").get(url).content.decode()
    select = page.split('name="to_status"', 1)[1].split("</select>", 1)[0]
    assert 'value="archived"' in select
    assert 'value="production"' not in select
    assert "recorded by Pond" in page
    resp = post_form(client_for("eve"), url, {"to_status": "production", "note": "again"})
    assert resp.status_code == 400
    assert "already production" in resp.content.decode()


def test_the_review_screen_compares_with_the_effective_production_version(proxy, client_for, churn, registry):
    proxy.refuse_version_patch()
    _approve(client_for, churn)
    # Now v3 (via staging) would be compared against v2, Pond's production version, not v1.
    resp = post_form(
        client_for("eve"), f"/reviews/new/{churn['id']}/{churn['v3']['id']}/", {"to_status": "staging", "note": "next"}
    )
    assert resp.status_code == 302
    review = ReviewRequest.objects.get(state="pending")
    page = client_for("rita").get(f"/reviews/{review.pk}/").content.decode()
    assert "Production v2" in page
    assert "Production v1" not in page
