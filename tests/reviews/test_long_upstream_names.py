"""A name JFrog ML holds may be any length: asking for and deciding a promotion of a
version whose model name and label are 1,000 characters works on every database, and
the record keeps the names cut to their columns."""

from __future__ import annotations

import pytest

from registry.models import ModelVersion, RegisteredModel
from tests.reviews.conftest import post_form
from webui.reviews.approvals import promotion_request_decide
from webui.reviews.decisions import NAME_KEPT
from webui.reviews.models import LedgerEntry, ReviewRequest

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_promotion_of_a_version_with_1000_character_names_is_asked_decided_and_recorded(client_for, users, churn, registry):
    RegisteredModel.objects.filter(pk=churn["id"]).update(name="N" * 1000)
    ModelVersion.objects.filter(pk=churn["v2"]["id"]).update(version="V" * 1000)

    resp = post_form(client_for("eve"), f"/reviews/new/{churn['id']}/{churn['v2']['id']}/", {"to_status": "production", "note": "go"})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    review = ReviewRequest.objects.get()
    assert (review.model_name, review.version_label) == ("N" * NAME_KEPT, "V" * NAME_KEPT)

    promotion_request_decide(user=users["rita"], request_id=review.pk, approve=True)
    assert registry.status_of(churn["id"], churn["v2"]["id"]) == "production"
    assert LedgerEntry.objects.filter(version_id=churn["v2"]["id"], version_label="V" * NAME_KEPT).count() >= 2
    page = client_for("rita").get(f"/reviews/{review.pk}/")
    assert page.status_code == 200 and "N" * NAME_KEPT in page.content.decode()
