"""A reviewer who opens a badge whose deployment name is a script: nothing runs and
nothing is decided. (Reproduced on the old code: the name broke out of the SVG's
aria-label, the SVG had no policy, and its onload fetched the review page, read the
CSRF token and approved the request as the reviewer.)"""

from __future__ import annotations

import os
from datetime import timedelta
from urllib.parse import quote

from django.contrib.auth.models import Group, User
from django.utils import timezone

from tests.browser.conftest import PASSWORD, log_in
from tests.status.conftest import observe_poll
from webui.core.roles import ensure_roles
from webui.reviews.models import ReviewRequest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _payload(review_id: int) -> str:
    # Under the 300 characters Pond keeps of a deployment name, so it arrives whole.
    steal_and_approve = (
        "document.documentElement.setAttribute('data-ran',1);"
        f"fetch('/reviews/{review_id}/').then(r=>r.text()).then(t=>fetch('/reviews/{review_id}/decide',"
        "{method:'POST',body:new URLSearchParams({decision:'approve',"
        "csrfmiddlewaretoken:t.split('en\\x22 value=\\x22')[1].split('\\x22')[0]})}))"
    )
    payload = f'" onload="{steal_and_approve}" y="'
    assert len(payload) <= 300, len(payload)
    return payload


def test_a_reviewer_opening_a_hostile_badge_runs_nothing_and_approves_nothing(page, engineer):
    ensure_roles()
    reviewer = User.objects.create_user("rita", "rita@example.com", PASSWORD)
    reviewer.groups.add(Group.objects.get(name="reviewer"))
    review = ReviewRequest.objects.create(
        model_id="mdl_x", model_name="credit-risk", version_id="ver_x", version_label="3.1.0",
        from_status="staging", to_status="production", note="ready", requested_by=engineer,
        requested_by_name=engineer.username,
    )  # fmt: skip
    now = timezone.now()
    for at in (now - timedelta(seconds=2), now - timedelta(seconds=1)):
        observe_poll({"dep-evil": "active"}, at=at, names={"dep-evil": _payload(review.pk)})

    log_in(page, "rita")
    for kind in ("badge", "bar"):
        response = page.goto(page.base + f"/status/{kind}/{quote('dep-evil')}.svg")
        assert response.status == 200
        assert "default-src 'none'" in response.headers["content-security-policy"]
        page.wait_for_timeout(1000)  # time for an onload and its two fetches
        assert page.evaluate("document.documentElement.getAttribute('data-ran')") is None, kind
    review.refresh_from_db()
    assert review.state == ReviewRequest.PENDING and not review.decided_by_name
