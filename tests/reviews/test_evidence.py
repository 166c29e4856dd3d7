"""A decided review keeps what was decided on: the candidate's and the then-production
versions' metrics and parameters, each rule's result and any override, shown with the
decision's time beside today's state, after production has moved on (issue: governance)."""

from __future__ import annotations

import re

from tests.reviews.conftest import post_form
from webui.reviews.models import LedgerEntry, ReviewRequest


def _request(client_for, churn, version: str, to_status: str, note: str = "go") -> ReviewRequest:
    resp = post_form(
        client_for("eve"),
        f"/reviews/new/{churn['id']}/{churn[version]['id']}/",
        {"to_status": to_status, "note": note, "archive_current": "on"},
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    return ReviewRequest.objects.order_by("-pk").first()


def _decide(client_for, review: ReviewRequest, **form) -> None:
    resp = post_form(client_for("rita"), f"/reviews/{review.pk}/decide", form)
    assert resp.status_code == 302, resp.content.decode()[:3000]


def _section(page: str, testid: str) -> str:
    match = re.search(rf'<section[^>]*data-testid="{testid}".*?</section>', page, re.S)
    assert match, f"no {testid} section"
    return match.group(0)


def test_an_approved_review_keeps_its_comparison_after_production_moved_on(client_for, churn, registry, settings):
    settings.POND_PROMOTION_RULES = [{"kind": "metric_min", "metric": "accuracy", "threshold": 0.95}]
    first = _request(client_for, churn, "v2", "production")
    _decide(client_for, first, decision="approve", override_reason="0.93 is enough for this quarter.")
    first.refresh_from_db()
    assert first.state == "approved"
    assert registry.status_of(churn["id"], churn["v1"]["id"]) == "archived"

    # Production moves on: v2 is archived through a second review; nothing is in production.
    second = _request(client_for, churn, "v2", "archived", note="retire it")
    _decide(client_for, second, decision="approve")
    assert registry.status_of(churn["id"], churn["v2"]["id"]) == "archived"

    page = client_for("vic").get(f"/reviews/{first.pk}/").content.decode()
    kept = _section(page, "evidence")
    decided_at = LedgerEntry.objects.get(request=first, kind="approve").created_at
    assert f"As of {decided_at:%Y-%m-%d %H:%M}" in kept and "when rita approved it" in kept
    # The then-production version and the candidate, side by side, with their numbers.
    assert "Candidate v2" in kept and "Production v1" in kept
    accuracy = re.search(r'data-metric="accuracy".*?</tr>', kept, re.S).group(0)
    assert "0.93" in accuracy and "0.9<" in accuracy.replace("0.90", "0.9") and "+0.03" in accuracy
    assert 'data-param="lr"' in kept and "0.02" in kept and "0.01" in kept
    # Each rule's result then, and the override.
    assert 'data-passed="false"' in kept and "accuracy" in _section(page, "evidence")
    assert "0.93 is enough for this quarter." in kept
    # Today's state is shown as well, and today nothing is in production.
    assert 'data-testid="no-production"' in page.split('data-testid="evidence"')[1].split("</section>", 1)[1]


def test_a_rejected_review_keeps_what_it_was_rejected_on(client_for, churn):
    review = _request(client_for, churn, "v2", "production")
    _decide(client_for, review, decision="reject", comment="Loss is fine but the holdout set is stale.")
    page = client_for("vic").get(f"/reviews/{review.pk}/").content.decode()
    kept = _section(page, "evidence")
    assert "when rita rejected it" in kept
    assert "Production v1" in kept and "Candidate v2" in kept


def test_a_withdrawn_request_has_no_evidence_and_an_old_decision_says_so(client_for, churn):
    review = _request(client_for, churn, "v2", "production")
    assert post_form(client_for("eve"), f"/reviews/{review.pk}/cancel", {}).status_code == 302
    page = client_for("vic").get(f"/reviews/{review.pk}/").content.decode()
    assert 'data-testid="evidence"' not in page and 'data-testid="evidence-missing"' not in page

    # A decision recorded before evidence was kept: said, not invented.
    old = ReviewRequest.objects.create(
        model_id=churn["id"], model_name="churn", version_id=churn["v3"]["id"], version_label="v3",
        from_status="draft", to_status="staging", note="old", state="rejected", requested_by_name="eve",
        decided_by_name="rita",
    )  # fmt: skip
    LedgerEntry.objects.create(kind="reject", actor="rita", model_id=churn["id"], version_id=churn["v3"]["id"], request=old)
    page = client_for("vic").get(f"/reviews/{old.pk}/").content.decode()
    assert 'data-testid="evidence-missing"' in page
