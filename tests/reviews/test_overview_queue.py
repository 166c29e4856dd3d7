"""The overview's "Awaiting review" card lists Pond's pending promotion requests."""

from __future__ import annotations

from datetime import UTC, datetime

from webui.reviews.models import ReviewRequest


def test_the_overview_lists_pending_promotion_requests_oldest_first(client_for, users, upstream_url):
    for label, day, state in (("v9", 3, "pending"), ("v7", 1, "pending"), ("v8", 2, "rejected")):
        ReviewRequest.objects.create(
            model_id="mdl_a", model_name="churn", version_id=f"ver_{label}", version_label=label,
            from_status="staging", to_status="production", note="ship it", requested_by=users["eve"],
            requested_by_name="eve", created_at=datetime(2026, 5, day, tzinfo=UTC), state=state,
        )
    page = client_for("rita").get("/").content.decode()
    table = page.split('data-testid="pending-requests"', 1)[1].split("</table>", 1)[0]
    assert table.index(">v7<") < table.index(">v9<")
    assert ">v8<" not in table
    assert "staging → production" in table


def test_with_nothing_pending_the_overview_says_so(client_for, users, upstream_url):
    page = client_for("rita").get("/").content.decode()
    assert 'data-testid="pending-requests"' not in page
    assert "Nothing awaits review" in page
