"""/reviews/: pending requests oldest first, a count for the navigation, the history partial."""

from __future__ import annotations

from datetime import UTC, datetime

from django.template.loader import render_to_string

from webui.jfrogml.resources import ModelVersion
from webui.reviews.models import LedgerEntry, ReviewRequest
from webui.reviews.selectors import version_promotions


def _history(version_id: str) -> str:
    """The version page's promotion history partial, from what its view reads."""
    promotions = version_promotions(model_id="mdl_a", version=ModelVersion(id=version_id, status="production"))
    return render_to_string("reviews/_version_history.html", {"entries": promotions.history, "version_id": version_id})


def _pending(users, version, when, state="pending"):
    return ReviewRequest.objects.create(
        model_id="mdl_a", model_name="churn", version_id=f"ver_{version}", version_label=version,
        from_status="staging", to_status="production", note=f"note {version}", requested_by=users["eve"],
        requested_by_name="eve", created_at=when, state=state,
    )


def test_the_queue_lists_pending_requests_oldest_first(client_for, users):
    _pending(users, "v3", datetime(2026, 5, 3, tzinfo=UTC))
    _pending(users, "v1", datetime(2026, 5, 1, tzinfo=UTC))
    _pending(users, "v2", datetime(2026, 5, 2, tzinfo=UTC), state="rejected")
    page = client_for("rita").get("/reviews/").content.decode()
    queue = page.split('data-testid="review-queue"', 1)[1].split("</table>", 1)[0]
    assert queue.count('data-testid="queue-row"') == 2
    assert queue.index("note v1") < queue.index("note v3")
    assert "note v2" not in queue
    assert ">Review<" in queue


def test_the_navigation_count_counts_pending_requests(client_for, users):
    _pending(users, "v1", datetime(2026, 5, 1, tzinfo=UTC))
    _pending(users, "v2", datetime(2026, 5, 2, tzinfo=UTC))
    _pending(users, "v3", datetime(2026, 5, 3, tzinfo=UTC), state="approved")
    page = client_for("vic").get("/reviews/").content.decode()
    assert 'data-testid="nav-pending-reviews" aria-label="2 pending">2</span>' in page


def test_the_version_history_partial_shows_each_step_in_order(users):
    for i, (kind, actor, outcome) in enumerate([("request", "eve", ""), ("approve", "rita", ""), ("apply", "rita", "pond")]):
        LedgerEntry.objects.create(
            created_at=datetime(2026, 5, 1, 9, i, tzinfo=UTC), kind=kind, actor=actor, model_id="mdl_a",
            version_id="ver_v1", version_label="v1", from_status="staging", to_status="production", outcome=outcome,
        )
    LedgerEntry.objects.create(kind="request", actor="eve", model_id="mdl_a", version_id="ver_other")
    out = _history("ver_v1")
    assert out.count('data-testid="history-row"') == 3
    assert out.index('data-kind="request"') < out.index('data-kind="approve"') < out.index('data-kind="apply"')
    assert "recorded by Pond" in out


def test_a_version_without_history_says_so(db):
    out = _history("ver_none")
    assert "No promotion has been recorded" in out
