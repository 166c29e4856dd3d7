"""Cached data never crosses a permission scope: what an engineer or admin was shown
is never served to a viewer or a share-link holder, on the real Redis cache that
production uses (where any page or fragment caching would show)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]

ENGINEER_ONLY = ("/edit/", "/delete/", "/versions/new/", "/deployments/new/", "/experiments/new/", "/models/new/")


@pytest.fixture(autouse=True)
def _redis(redis_cache):
    return redis_cache


def test_a_page_rendered_for_an_engineer_is_never_shown_to_a_viewer(client_as, world):
    pages = [f"/models/{world['m']}/", "/models/", f"/deployments/{world['d']}/", "/deployments/", "/experiments/",
             f"/experiments/{world['e']}/", f"/models/{world['m']}/versions/{world['v']}/", "/"]  # fmt: skip
    engineer, viewer = client_as("engineer"), client_as("viewer")
    for url in pages:
        for _ in range(2):  # the second engineer view is the one a cache would keep
            engineer.get(url)
        body = viewer.get(url).content.decode()
        shown = [a for a in ENGINEER_ONLY if f'{a}"' in body or f"{a}?" in body]
        assert not shown, (url, shown)
    # The control: the engineer does see them.
    assert "/edit/" in engineer.get(f"/models/{world['m']}/").content.decode()


def test_a_reviewers_decision_buttons_never_reach_an_engineer(client_as, world):
    reviewer, engineer = client_as("reviewer"), client_as("engineer")
    url = f"/reviews/{world['review']}/"
    reviewer_body = reviewer.get(url).content.decode()
    assert f"/reviews/{world['review']}/decide" in reviewer_body
    assert f"/reviews/{world['review']}/decide" not in engineer.get(url).content.decode()


def test_a_share_link_holder_gets_status_only_after_an_admin_looked_at_everything(client_as, world):
    admin, share = client_as("admin"), client_as("share")
    for url in ("/", "/models/", f"/models/{world['m']}/", "/deployments/", "/experiments/", "/status/", "/status/live/"):
        admin.get(url)
    for url in ("/", "/models/", f"/models/{world['m']}/", "/deployments/", "/deployments/status.json", "/experiments/"):
        resp = share.get(url)
        assert resp.status_code == 302 and resp["Location"].startswith("/accounts/login/"), url
    page = share.get("/status/").content.decode()
    assert "matrix-prod" in page, "the status page itself is shown"
    assert "/status/share-links/" not in page, "the admin's management link leaked"
    for private in ("exp-a", "exp-b", f"/models/{world['m']}/"):
        assert private not in page, private


def test_the_status_json_for_a_share_link_is_private_to_caches(client_as, world):
    resp = client_as("share").get("/status.json")
    assert resp.status_code == 200
    assert "private" in resp["Cache-Control"] and "Cookie" in resp.get("Vary", "")
