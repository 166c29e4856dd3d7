"""Who may request, decide, promote directly; and nobody approves their own request."""

from __future__ import annotations

from tests.reviews.conftest import post_form
from webui.reviews.models import LedgerEntry, ReviewRequest


def _requested_by(client, churn, to_status="production"):
    resp = post_form(
        client, f"/reviews/new/{churn['id']}/{churn['v2']['id']}/", {"to_status": to_status, "note": "ship it"}
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    return ReviewRequest.objects.get()


def test_a_viewer_cannot_request_a_promotion(client_for, churn):
    vic = client_for("vic")
    url = f"/reviews/new/{churn['id']}/{churn['v2']['id']}/"
    assert vic.get(url).status_code == 403
    resp = post_form(vic, url, {"to_status": "production", "note": "ship it"})
    assert resp.status_code == 403
    assert not ReviewRequest.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_an_engineer_cannot_approve(client_for, churn, registry):
    review = _requested_by(client_for("eve"), churn)
    resp = post_form(client_for("eve"), f"/reviews/{review.pk}/decide", {"decision": "approve"})
    assert resp.status_code == 403
    review.refresh_from_db()
    assert review.state == "pending"
    assert registry.status_of(churn["id"], churn["v2"]["id"]) == "staging"


def test_a_viewer_cannot_decide_or_withdraw(client_for, churn):
    review = _requested_by(client_for("eve"), churn)
    vic = client_for("vic")
    assert post_form(vic, f"/reviews/{review.pk}/decide", {"decision": "reject", "comment": "no"}).status_code == 403
    assert post_form(vic, f"/reviews/{review.pk}/cancel", {}).status_code == 403
    review.refresh_from_db()
    assert review.state == "pending"


def test_anonymous_users_are_sent_to_log_in(client, churn):
    assert client.get("/reviews/").status_code == 302
    assert client.get("/audit/").status_code == 302
    resp = client.post(f"/reviews/new/{churn['id']}/{churn['v2']['id']}/", {"to_status": "production", "note": "x"})
    assert resp.status_code == 302
    assert not ReviewRequest.objects.exists()


def test_a_reviewer_cannot_approve_their_own_request(client_for, churn, registry):
    rita = client_for("rita")
    review = _requested_by(rita, churn)
    page = rita.get(f"/reviews/{review.pk}/").content.decode()
    assert 'data-testid="approve"' not in page
    assert "another reviewer must approve it" in page
    resp = post_form(rita, f"/reviews/{review.pk}/decide", {"decision": "approve"})
    assert resp.status_code == 403
    assert "two-person rule" in resp.content.decode()
    review.refresh_from_db()
    assert review.state == "pending"
    assert registry.status_of(churn["id"], churn["v2"]["id"]) == "staging"
    assert not LedgerEntry.objects.filter(kind="approve").exists()


def test_another_reviewer_can_approve_it(client_for, churn, registry):
    review = _requested_by(client_for("rita"), churn)
    resp = post_form(client_for("rex"), f"/reviews/{review.pk}/decide", {"decision": "approve"})
    assert resp.status_code == 302
    assert registry.status_of(churn["id"], churn["v2"]["id"]) == "production"


def test_with_the_two_person_rule_off_a_reviewer_may_approve_their_own(client_for, churn, registry, settings):
    settings.POND_TWO_PERSON_RULE = False
    rita = client_for("rita")
    review = _requested_by(rita, churn)
    resp = post_form(rita, f"/reviews/{review.pk}/decide", {"decision": "approve"})
    assert resp.status_code == 302
    assert registry.status_of(churn["id"], churn["v2"]["id"]) == "production"


def test_direct_promotion_is_refused_unless_settings_allow_it(client_for, churn, registry):
    url = f"/reviews/promote/{churn['id']}/{churn['v2']['id']}"
    resp = post_form(client_for("rita"), url, {"to_status": "production", "comment": "hotfix", "archive_current": "on"})
    assert resp.status_code == 403
    assert "POND_REVIEWER_DIRECT_PROMOTE" in resp.content.decode()
    assert registry.status_of(churn["id"], churn["v2"]["id"]) == "staging"
    assert not LedgerEntry.objects.exists()


def test_a_reviewer_promotes_directly_where_settings_allow(client_for, churn, registry, settings):
    settings.POND_REVIEWER_DIRECT_PROMOTE = True
    url = f"/reviews/promote/{churn['id']}/{churn['v2']['id']}"
    resp = post_form(client_for("rita"), url, {"to_status": "production", "comment": "hotfix", "archive_current": "on"})
    assert resp.status_code == 302
    assert registry.status_of(churn["id"], churn["v2"]["id"]) == "production"
    assert registry.status_of(churn["id"], churn["v1"]["id"]) == "archived"
    kinds = list(LedgerEntry.objects.order_by("id").values_list("kind", "actor", "version_label"))
    assert kinds == [("direct", "rita", "v2"), ("apply", "rita", "v1"), ("apply", "rita", "v2")]


def test_an_engineer_cannot_promote_directly_even_where_allowed(client_for, churn, registry, settings):
    settings.POND_REVIEWER_DIRECT_PROMOTE = True
    url = f"/reviews/promote/{churn['id']}/{churn['v2']['id']}"
    resp = post_form(client_for("eve"), url, {"to_status": "production", "comment": "hotfix"})
    assert resp.status_code == 403
    assert registry.status_of(churn["id"], churn["v2"]["id"]) == "staging"


def test_a_post_without_a_csrf_token_is_refused(client_for, churn):
    eve = client_for("eve")
    resp = eve.post(f"/reviews/new/{churn['id']}/{churn['v2']['id']}/", {"to_status": "production", "note": "x"})
    assert resp.status_code == 403
    assert not ReviewRequest.objects.exists()
