"""A status changed outside Pond (someone writing to JFrog ML directly) is seen on the
next refresh, recorded once as an observed event, and flagged on the version page, the
model page, production truth and the overview; a change made through Pond's review is
not; versions Pond first sees are the baseline, not news (issue: governance)."""

from __future__ import annotations

import pytest

from tests.reviews.conftest import post_form
from webui.activity.models import Activity
from webui.reviews.models import ReviewRequest
from webui.status.tasks import catalog_refresh

pytestmark = pytest.mark.django_db(transaction=True)


def _observed() -> list[tuple[str, str, str, str]]:
    rows = Activity.objects.filter(action="observed").order_by("id")
    return [(a.object_name, a.details["from"], a.details["status"], a.model_name) for a in rows]


def test_a_status_set_directly_upstream_is_flagged_within_one_refresh_and_recorded_once(client_for, churn, registry):
    assert catalog_refresh.apply().get() == "ok"
    assert _observed() == []  # what was there before Pond looked is the baseline

    registry.set_status(churn["id"], churn["v3"]["id"], "production")  # not through Pond
    assert catalog_refresh.apply().get() == "ok"
    assert _observed() == [("v3", "draft", "production", "churn")]
    assert catalog_refresh.apply().get() == "ok"
    assert len(_observed()) == 1  # once, however often it is seen again

    vic = client_for("vic")
    version_page = vic.get(f"/models/{churn['id']}/versions/{churn['v3']['id']}/").content.decode()
    assert 'data-testid="observed-outside"' in version_page
    assert "status became production (was draft) outside Pond, first seen at" in version_page
    model_page = vic.get(f"/models/{churn['id']}/").content.decode()
    assert 'data-testid="observed-outside"' in model_page and "v3" in model_page
    truth = vic.get("/insights/production/?problems=1").content.decode()
    assert 'data-flag="changed_outside_pond"' in truth and "Version v3: status became production outside Pond" in truth
    overview = vic.get("/").content.decode()
    assert "<strong>1</strong> model needs attention" in overview
    audit = vic.get("/audit/?kind=observed").content.decode()
    assert audit.count('data-testid="audit-row"') == 1 and "(outside Pond)" in audit


def test_a_page_read_notices_the_change_before_any_refresh(client_for, churn, registry, settings):
    settings.JFROG_ML_TTL_VERSIONS = 0.0
    vic = client_for("vic")
    assert 'data-testid="observed-outside"' not in vic.get(f"/models/{churn['id']}/").content.decode()
    registry.set_status(churn["id"], churn["v2"]["id"], "archived")
    page = vic.get(f"/models/{churn['id']}/versions/{churn['v2']['id']}/").content.decode()
    assert "status became archived (was staging) outside Pond" in page
    assert _observed() == [("v2", "staging", "archived", "churn")]


def test_a_change_through_the_review_is_not_flagged(client_for, churn):
    assert catalog_refresh.apply().get() == "ok"
    resp = post_form(
        client_for("eve"),
        f"/reviews/new/{churn['id']}/{churn['v2']['id']}/",
        {"to_status": "production", "note": "go", "archive_current": "on"},
    )
    assert resp.status_code == 302
    review = ReviewRequest.objects.get()
    assert post_form(client_for("rita"), f"/reviews/{review.pk}/decide", {"decision": "approve"}).status_code == 302
    assert catalog_refresh.apply().get() == "ok"
    assert _observed() == []
    page = client_for("vic").get(f"/models/{churn['id']}/").content.decode()
    assert 'data-testid="observed-outside"' not in page


def test_a_flag_ends_when_a_review_moves_the_version_again(client_for, churn, registry):
    assert catalog_refresh.apply().get() == "ok"
    registry.set_status(churn["id"], churn["v2"]["id"], "draft")  # staging → draft, outside Pond
    assert catalog_refresh.apply().get() == "ok"
    assert _observed() == [("v2", "staging", "draft", "churn")]
    resp = post_form(
        client_for("eve"), f"/reviews/new/{churn['id']}/{churn['v2']['id']}/", {"to_status": "staging", "note": "back"}
    )
    review = ReviewRequest.objects.get()
    assert resp.status_code == 302
    assert post_form(client_for("rita"), f"/reviews/{review.pk}/decide", {"decision": "approve"}).status_code == 302
    assert catalog_refresh.apply().get() == "ok"
    assert len(_observed()) == 1
    page = client_for("vic").get(f"/models/{churn['id']}/").content.decode()
    assert 'data-testid="observed-outside"' not in page
