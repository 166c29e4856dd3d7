"""Only the explicit moves are allowed; every other one is refused with its reason."""

from __future__ import annotations

import pytest

from tests.reviews.conftest import post_form
from webui.reviews.models import LedgerEntry, ReviewRequest
from webui.reviews.transitions import ALLOWED_MOVES, STATUSES, allowed_targets, move_refusal

ALLOWED = [
    ("draft", "staging"),
    ("staging", "production"),
    ("staging", "draft"),
    ("production", "archived"),
    ("archived", "staging"),
]
REFUSED = [(a, b) for a in STATUSES for b in STATUSES if (a, b) not in ALLOWED]


def test_the_allowed_moves_are_exactly_the_five_of_the_life_cycle():
    assert set(ALLOWED) == ALLOWED_MOVES
    assert allowed_targets("staging") == ["draft", "production"]


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED)
def test_it_allows_the_move(from_status, to_status):
    assert move_refusal(from_status=from_status, to_status=to_status) is None


@pytest.mark.parametrize(("from_status", "to_status"), REFUSED)
def test_it_refuses_the_move_with_a_reason(from_status, to_status):
    reason = move_refusal(from_status=from_status, to_status=to_status)
    assert reason
    assert to_status in reason


def test_it_says_production_is_reached_only_through_staging():
    assert "only from staging" in move_refusal(from_status="draft", to_status="production")


def test_it_refuses_a_status_that_does_not_exist():
    assert "not a version status" in move_refusal(from_status="draft", to_status="live")


@pytest.mark.parametrize(
    ("version", "to_status"),
    [("v2", "production"), ("v2", "draft"), ("v3", "staging"), ("v1", "archived")],
)
def test_an_allowed_move_can_be_requested_and_applied(client_for, churn, registry, version, to_status):
    resp = post_form(
        client_for("eve"),
        f"/reviews/new/{churn['id']}/{churn[version]['id']}/",
        {"to_status": to_status, "note": "please"},
    )
    assert resp.status_code == 302, resp.content.decode()[:3000]
    review = ReviewRequest.objects.get()
    resp = post_form(client_for("rita"), f"/reviews/{review.pk}/decide", {"decision": "approve"})
    assert resp.status_code == 302
    assert registry.status_of(churn["id"], churn[version]["id"]) == to_status


def test_archived_can_come_back_to_staging(client_for, churn, registry):
    registry.set_status(churn["id"], churn["v1"]["id"], "archived")
    resp = post_form(
        client_for("eve"), f"/reviews/new/{churn['id']}/{churn['v1']['id']}/", {"to_status": "staging", "note": "rollback"}
    )
    assert resp.status_code == 302
    assert ReviewRequest.objects.get().from_status == "archived"


@pytest.mark.parametrize(
    ("version", "to_status", "reason"),
    [
        ("v3", "production", "only from staging"),
        ("v3", "archived", "cannot move to archived"),
        ("v1", "staging", "cannot move to staging"),
        ("v1", "production", "already production"),
        ("v2", "archived", "cannot move to archived"),
        ("v2", "live", "not a version status"),
    ],
)
def test_a_refused_move_is_a_400_naming_the_reason_and_records_nothing(client_for, churn, version, to_status, reason):
    resp = post_form(
        client_for("eve"),
        f"/reviews/new/{churn['id']}/{churn[version]['id']}/",
        {"to_status": to_status, "note": "please"},
    )
    assert resp.status_code == 400
    body = resp.content.decode()
    assert reason in body
    assert 'id="id_to_status_errors"' in body or "Move to:" in body
    assert not ReviewRequest.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_the_form_offers_only_the_allowed_moves(client_for, churn):
    body = client_for("eve").get(f"/reviews/new/{churn['id']}/{churn['v2']['id']}/").content.decode()
    select = body.split('name="to_status"', 1)[1].split("</select>", 1)[0]
    assert 'value="production"' in select and 'value="draft"' in select
    assert 'value="archived"' not in select and 'value="staging"' not in select


def test_a_missing_note_is_refused_naming_the_field(client_for, churn):
    resp = post_form(
        client_for("eve"), f"/reviews/new/{churn['id']}/{churn['v2']['id']}/", {"to_status": "production", "note": " "}
    )
    assert resp.status_code == 400
    assert "id_note_errors" in resp.content.decode()
    assert not ReviewRequest.objects.exists()


def test_an_unknown_version_is_a_404(client_for, churn):
    resp = client_for("eve").get(f"/reviews/new/{churn['id']}/ver_nope/")
    assert resp.status_code == 404
