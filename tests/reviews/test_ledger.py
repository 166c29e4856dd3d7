"""The ledger is append-only: no edit or delete path, not even for a superuser in the admin."""

from __future__ import annotations

import pytest
from django.test import Client

from webui.reviews.models import LedgerEntry, LedgerImmutable


@pytest.fixture
def entry(db) -> LedgerEntry:
    return LedgerEntry.objects.create(
        kind="approve", actor="rita", model_id="mdl_1", model_name="churn", version_id="ver_2", version_label="v2",
        from_status="staging", to_status="production", comment="LGTM", metrics={"accuracy": 0.93},
    )


def test_saving_an_existing_entry_is_refused(entry):
    entry.comment = "rewritten"
    with pytest.raises(LedgerImmutable):
        entry.save()
    assert LedgerEntry.objects.get(pk=entry.pk).comment == "LGTM"


def test_deleting_an_entry_is_refused(entry):
    with pytest.raises(LedgerImmutable):
        entry.delete()
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


def test_the_queryset_refuses_update_and_delete(entry):
    with pytest.raises(LedgerImmutable):
        LedgerEntry.objects.filter(pk=entry.pk).update(comment="rewritten")
    with pytest.raises(LedgerImmutable):
        LedgerEntry.objects.all().delete()
    with pytest.raises(LedgerImmutable):
        LedgerEntry.objects.bulk_update([entry], ["comment"])
    assert LedgerEntry.objects.get(pk=entry.pk).comment == "LGTM"


def test_new_entries_are_still_appended(entry):
    LedgerEntry.objects.create(kind="reject", actor="rex", model_id="mdl_1", version_id="ver_3", comment="no")
    assert LedgerEntry.objects.count() == 2


@pytest.fixture
def superuser_client(users) -> Client:
    client = Client()
    client.force_login(users["root"])
    return client


def test_a_superuser_can_read_the_ledger_in_the_admin(superuser_client, entry):
    assert superuser_client.get("/admin/reviews/ledgerentry/").status_code == 200
    page = superuser_client.get(f"/admin/reviews/ledgerentry/{entry.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "LGTM" in body
    assert 'name="_save"' not in body
    assert "deletelink" not in body


def test_a_superuser_cannot_edit_an_entry_in_the_admin(superuser_client, entry):
    resp = superuser_client.post(
        f"/admin/reviews/ledgerentry/{entry.pk}/change/", {"comment": "rewritten", "kind": "approve", "actor": "root"}
    )
    assert resp.status_code == 403
    assert LedgerEntry.objects.get(pk=entry.pk).comment == "LGTM"


def test_a_superuser_cannot_delete_an_entry_in_the_admin(superuser_client, entry):
    assert superuser_client.get(f"/admin/reviews/ledgerentry/{entry.pk}/delete/").status_code == 403
    assert superuser_client.post(f"/admin/reviews/ledgerentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    resp = superuser_client.post(
        "/admin/reviews/ledgerentry/", {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"}
    )
    assert resp.status_code in (200, 302)
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


def test_a_superuser_cannot_add_an_entry_in_the_admin(superuser_client, entry):
    assert superuser_client.get("/admin/reviews/ledgerentry/add/").status_code == 403
    assert LedgerEntry.objects.count() == 1


def test_requests_are_read_only_in_the_admin_too(superuser_client, users):
    from webui.reviews.models import ReviewRequest

    review = ReviewRequest.objects.create(
        model_id="m", version_id="v", from_status="staging", to_status="production", note="n",
        requested_by=users["eve"], requested_by_name="eve",
    )
    resp = superuser_client.post(f"/admin/reviews/reviewrequest/{review.pk}/change/", {"state": "approved"})
    assert resp.status_code == 403
    assert superuser_client.post(f"/admin/reviews/reviewrequest/{review.pk}/delete/", {"post": "yes"}).status_code == 403
    review.refresh_from_db()
    assert review.state == "pending"


def test_promotion_rules_are_editable_in_the_admin(superuser_client):
    from webui.reviews.models import PromotionRule

    resp = superuser_client.post(
        "/admin/reviews/promotionrule/add/",
        {"scope_tag": "fraud", "kind": "metric_min", "metric": "accuracy", "threshold": "0.9", "target_status": "production", "enabled": "on"},
    )
    assert resp.status_code == 302, resp.content.decode()[:3000]
    rule = PromotionRule.objects.get()
    assert (rule.scope_tag, rule.metric, rule.threshold) == ("fraud", "accuracy", 0.9)
    bad = superuser_client.post(
        "/admin/reviews/promotionrule/add/",
        {"kind": "metric_min", "metric": "accuracy", "target_status": "production", "enabled": "on"},
    )
    assert bad.status_code == 200
    assert "needs a threshold" in bad.content.decode()
    assert PromotionRule.objects.count() == 1
