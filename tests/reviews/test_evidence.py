"""A decided review keeps what was decided on: the candidate's and the then-production
versions' metrics and parameters, each rule's result and any override, shown with the
decision's time beside today's state, after production has moved on (issue: governance)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from tests.reviews.conftest import post_form
from tests.support.faultserver import FaultServer, json_response, status
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


def _kept_at(review: ReviewRequest, kind: str) -> datetime:
    """When the decision's evidence was taken: the moment of the decision itself."""
    entry = LedgerEntry.objects.get(request=review, kind=kind)
    at = datetime.fromisoformat(entry.details["evidence"]["at"])
    assert abs(at - entry.created_at) < timedelta(seconds=2)
    return at


def _section(page: str, testid: str) -> str:
    match = re.search(rf'<section[^>]*data-testid="{testid}".*?</section>', page, re.S)
    assert match, f"no {testid} section"
    return match.group(0)


def test_an_approved_review_keeps_its_comparison_after_production_moved_on(
    client_for, churn, registry, settings
):
    settings.POND_PROMOTION_RULES = [
        {"kind": "metric_min", "metric": "accuracy", "threshold": 0.95}
    ]
    first = _request(client_for, churn, "v2", "production")
    _decide(
        client_for, first, decision="approve", override_reason="0.93 is enough for this quarter."
    )
    first.refresh_from_db()
    assert first.state == "approved"
    assert registry.status_of(churn["id"], churn["v1"]["id"]) == "archived"

    # Production moves on: v2 is archived through a second review; nothing is in production.
    second = _request(client_for, churn, "v2", "archived", note="retire it")
    _decide(client_for, second, decision="approve")
    assert registry.status_of(churn["id"], churn["v2"]["id"]) == "archived"

    page = client_for("vic").get(f"/reviews/{first.pk}/").content.decode()
    kept = _section(page, "evidence")
    assert (
        f"As of {_kept_at(first, 'approve'):%Y-%m-%d %H:%M:%S} UTC" in kept
        and "when rita approved it" in kept
    )
    # The then-production version and the candidate, side by side, with their numbers.
    assert "Candidate v2" in kept and "Production v1" in kept
    accuracy = re.search(r'data-metric="accuracy".*?</tr>', kept, re.S).group(0)
    assert "0.93" in accuracy and "0.9<" in accuracy.replace("0.90", "0.9") and "+0.03" in accuracy
    assert 'data-param="lr"' in kept and "0.02" in kept and "0.01" in kept
    # Each rule's result then, and the override.
    assert 'data-passed="false"' in kept and "accuracy" in _section(page, "evidence")
    assert "0.93 is enough for this quarter." in kept
    # Today's state is shown as well, and today nothing is in production.
    assert (
        'data-testid="no-production"'
        in page.split('data-testid="evidence"')[1].split("</section>", 1)[1]
    )


def test_a_rejected_review_keeps_what_it_was_rejected_on(client_for, churn):
    review = _request(client_for, churn, "v2", "production")
    _decide(
        client_for, review, decision="reject", comment="Loss is fine but the holdout set is stale."
    )
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
    LedgerEntry.objects.create(
        kind="reject", actor="rita", model_id=churn["id"], version_id=churn["v3"]["id"], request=old
    )
    page = client_for("vic").get(f"/reviews/{old.pk}/").content.decode()
    assert 'data-testid="evidence-missing"' in page


def test_the_kept_comparison_names_the_old_production_version_after_another_took_its_place(
    client_for, churn, registry
):
    first = _request(client_for, churn, "v2", "production")
    _decide(client_for, first, decision="approve")

    # v3 goes up through staging to production, archiving v2: production moved on to v3.
    _decide(client_for, _request(client_for, churn, "v3", "staging"), decision="approve")
    _decide(client_for, _request(client_for, churn, "v3", "production"), decision="approve")
    assert registry.status_of(churn["id"], churn["v3"]["id"]) == "production"
    assert registry.status_of(churn["id"], churn["v2"]["id"]) == "archived"

    page = client_for("vic").get(f"/reviews/{first.pk}/").content.decode()
    kept = _section(page, "evidence")
    assert f"As of {_kept_at(first, 'approve'):%Y-%m-%d %H:%M:%S} UTC" in kept
    # Then: v2 against v1, with v1's numbers. Today: v2 against v3, which was nowhere then.
    assert "Production v1" in kept and "Production v3" not in kept
    loss = re.search(r'data-metric="loss".*?</tr>', kept, re.S).group(0)
    assert "0.25" in loss and "0.3<" in loss
    today = page.split(kept, 1)[1]
    assert "Production v3" in today and "Production v1" not in today
    assert "No promotion rule applied to this move." in kept


def test_a_first_promotion_to_production_kept_that_nothing_was_in_production_then(
    client_for, registry
):
    model = registry.model("fresh")
    version = registry.version(model["id"], "3.0", "staging", metrics={"accuracy": 0.91})
    resp = post_form(
        client_for("eve"),
        f"/reviews/new/{model['id']}/{version['id']}/",
        {"to_status": "production", "note": "first"},
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    review = ReviewRequest.objects.get()
    _decide(client_for, review, decision="approve")

    page = client_for("vic").get(f"/reviews/{review.pk}/").content.decode()
    kept = _section(page, "evidence")
    assert "No version of this model was in production then" in kept and "0.91" in kept
    assert 'data-testid="no-production"' not in kept and "3.0 was staging" in kept


# --- an upstream that sends what the embedded registry refuses -------------------------------

_LONG = "x" * 5000
_ODD_V1 = {
    "id": "odd-v1", "model_id": "odd", "version": "2.9", "status": "production",
    "metrics": {"accuracy": "NaN", "loss": 0.3},
    "parameters": {"<b>lr</b>": "<script>alert(1)</script>", "notes": _LONG},
}  # fmt: skip
_ODD_V2 = {
    "id": "odd-v2", "model_id": "odd", "version": "3.1", "status": "staging",
    "metrics": {"accuracy": 0.93, "loss": "Infinity"}, "parameters": {"<b>lr</b>": "0.02", "seed": "4\u00002"},
}  # fmt: skip


@pytest.fixture
def odd(settings) -> Iterator[FaultServer]:
    """A JFrog ML whose versions carry NaN and infinite metrics (as "NaN" and "Infinity",
    which JSON allows as strings), markup in parameters and a 5,000-character value."""
    with FaultServer() as server:
        settings.JFROG_ML_URL = server.url
        settings.JFROG_ML_TOKEN = "odd-token"
        server.on("GET", "/v1/models/odd", json_response({"id": "odd", "name": "odd", "tags": []}))
        server.on(
            "GET",
            "/v1/models/odd/versions",
            json_response({"versions": [_ODD_V1, _ODD_V2], "total_count": 2}),
        )
        server.on("GET", "/v1/models/odd/versions/odd-v2", json_response(_ODD_V2))
        server.on("GET", "/v1/experiments", json_response({"experiments": [], "total_count": 0}))
        server.on("GET", "/v1/deployments", json_response({"deployments": [], "total_count": 0}))
        server.on(
            "GET",
            "/v1/models",
            json_response({"models": [{"id": "odd", "name": "odd"}], "total_count": 1}),
        )
        yield server


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_odd_upstream_values_are_kept_safely_and_shown_escaped(client_for, odd, decision):
    odd.on(
        "PATCH", "/v1/models/odd/versions/odd-v1", json_response({**_ODD_V1, "status": "archived"})
    )
    odd.on(
        "PATCH",
        "/v1/models/odd/versions/odd-v2",
        json_response({**_ODD_V2, "status": "production"}),
    )
    form = {"to_status": "production", "note": "go", "archive_current": "on"}
    resp = post_form(client_for("eve"), "/reviews/new/odd/odd-v2/", form)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    review = ReviewRequest.objects.get()
    _decide(client_for, review, decision=decision, comment="Production's accuracy is NaN.")
    review.refresh_from_db()
    assert review.state == {"approve": "approved", "reject": "rejected"}[decision]

    kept = LedgerEntry.objects.get(request=review, kind=decision).details["evidence"]
    assert kept["production"][0]["metrics"] == {"accuracy": None, "loss": 0.3}
    assert kept["candidate"]["metrics"] == {"accuracy": 0.93, "loss": None}
    assert len(kept["production"][0]["parameters"]["notes"]) == 1000
    assert kept["candidate"]["parameters"]["seed"] == "4\ufffd2"  # PostgreSQL's JSON refuses NUL

    page = client_for("vic").get(f"/reviews/{review.pk}/").content.decode()
    section = _section(page, "evidence")
    assert "Production 2.9" in section and "Candidate 3.1" in section
    accuracy = re.search(r'data-metric="accuracy".*?</tr>', section, re.S).group(0)
    assert "0.93" in accuracy and "—" in accuracy
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section and "<script>alert" not in page
    assert "&lt;b&gt;lr&lt;/b&gt;" in section and "<b>lr</b>" not in page
    assert "x" * 1000 in section and "x" * 1001 not in section


def test_a_rejection_while_jfrog_ml_is_down_says_so_instead_of_a_comparison(client_for, odd):
    review = ReviewRequest.objects.create(
        model_id="odd", model_name="odd", version_id="odd-v2", version_label="3.1", from_status="staging",
        to_status="production", note="go", requested_by_name="eve",
    )  # fmt: skip
    odd.on(None, "/v1/.*", status(503))
    _decide(client_for, review, decision="reject", comment="Cannot check it now; ask again.")
    review.refresh_from_db()
    assert review.state == "rejected"

    page = client_for("vic").get(f"/reviews/{review.pk}/").content.decode()
    section = _section(page, "evidence")
    assert 'data-testid="evidence-unavailable"' in section and "when rita rejected it" in section
    assert "Production" not in section
