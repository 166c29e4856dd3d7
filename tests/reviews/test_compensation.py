"""A failed step after the archive never leaves production empty: the archived version is
restored (compensation, on the record), and where that fails too the model is flagged
as left without production, and Pond keeps trying. A step JFrog ML gave no answer
about is finished later by recovery, never applied twice.

The upstream misbehaves for real: a proxy in front of the embedded registry fails or
holds the chosen calls (tests/reviews/proxy.py).
"""

from __future__ import annotations

import json

import pytest

from tests.reviews.conftest import post_form
from tests.support.faultserver import FaultServer, json_response
from webui.celery import app as celery_app
from webui.reviews.decisions import decisions_recover
from webui.reviews.models import Decision, DecisionStep, LedgerEntry, ReviewRequest


@pytest.fixture
def hook(settings):
    """A webhook receiver; the webhook tasks run at once, in this process."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    with FaultServer(prefix="") as server:
        server.on("POST", "/hook", json_response({"ok": True}))
        settings.POND_REVIEW_WEBHOOKS = [f"http://127.0.0.1:{server.port}/hook"]
        yield server
    celery_app.conf.task_always_eager = previous


def _approve(client_for, churn, capture, **extra) -> ReviewRequest:
    resp = post_form(
        client_for("eve"),
        f"/reviews/new/{churn['id']}/{churn['v2']['id']}/",
        {"to_status": "production", "note": "go", "archive_current": "on", **extra},
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    review = ReviewRequest.objects.get()
    with capture(execute=True):
        resp = post_form(client_for("rita"), f"/reviews/{review.pk}/decide", {"decision": "approve"})
    assert resp.status_code == 302
    review.refresh_from_db()
    return review


def _applied(churn) -> list[tuple[str, str, str, str]]:
    return [
        (e.version_label, e.from_status, e.to_status, e.outcome)
        for e in LedgerEntry.objects.filter(kind="apply", model_id=churn["id"]).order_by("id")
    ]


def _recover(settings, capture) -> None:
    settings.POND_DECISION_RECOVERY_GRACE = 0
    with capture(execute=True):
        decisions_recover()


V2 = "/versions/{}$"


def test_a_failed_candidate_step_after_the_archive_puts_the_old_version_back_in_production(
    proxy, client_for, churn, registry, django_capture_on_commit_callbacks
):
    proxy.fail("PATCH", V2.format(churn["v2"]["id"]), 503)
    review = _approve(client_for, churn, django_capture_on_commit_callbacks)

    assert registry.status_of(churn["id"], churn["v1"]["id"]) == "production"
    assert registry.status_of(churn["id"], churn["v2"]["id"]) == "staging"
    # archive → failed step → compensation, in that order, each on the record.
    assert _applied(churn) == [
        ("v1", "production", "archived", "upstream"),
        ("v2", "staging", "production", "failed"),
        ("v1", "archived", "production", "upstream"),
    ]
    restore = LedgerEntry.objects.filter(kind="apply").order_by("id").last()
    assert restore.details["compensation"] is True
    assert restore.comment.startswith("Compensation: back to production, because v2 could not be set to production")
    assert review.state == "rolled_back"
    assert review.get_state_display() == "failed, rolled back"
    assert review.outcome_message.startswith("Could not set v2 to production")
    assert "Rolled back: v1 → production again" in review.outcome_message
    assert proxy.count("PATCH", V2.format(churn["v2"]["id"])) == 1

    page = client_for("rita").get(f"/reviews/{review.pk}/").content.decode()
    assert 'data-testid="review-state">failed, rolled back<' in page
    assert "Rolled back: v1 → production again" in page
    # The plan, step by step: the archive undone by the restore after the failed move.
    rows = [(r.split('data-kind="')[1].split('"')[0], r.split('data-state="')[1].split('"')[0])
            for r in page.split('data-testid="step-row"')[1:]]  # fmt: skip
    assert rows == [("archive", "compensated"), ("promote", "failed"), ("restore", "done")]


def test_an_answer_lost_after_the_change_took_effect_counts_as_done(
    proxy, client_for, churn, registry, django_capture_on_commit_callbacks
):
    proxy.fail_after_forwarding("PATCH", V2.format(churn["v2"]["id"]), 502)
    review = _approve(client_for, churn, django_capture_on_commit_callbacks)
    assert review.state == "approved"
    assert registry.status_of(churn["id"], churn["v2"]["id"]) == "production"
    assert registry.status_of(churn["id"], churn["v1"]["id"]) == "archived"
    assert _applied(churn) == [
        ("v1", "production", "archived", "upstream"),
        ("v2", "staging", "production", "upstream"),
    ]
    assert proxy.applied("PATCH", V2.format(churn["v2"]["id"])) == 1


def test_when_restoring_fails_too_the_model_is_left_without_production_said_at_once_then_restored(
    proxy, client_for, churn, registry, hook, settings, django_capture_on_commit_callbacks
):
    v1, v2 = churn["v1"]["id"], churn["v2"]["id"]
    proxy.fail("PATCH", V2.format(v2), 503)
    # The archive of v1 goes through; the restore of v1 that follows fails once.
    proxy.after("PATCH", V2.format(v1), lambda: proxy.fail("PATCH", V2.format(v1), 503))
    review = _approve(client_for, churn, django_capture_on_commit_callbacks)

    assert registry.status_of(churn["id"], v1) == "archived"
    assert review.state == "unrestored"
    assert review.get_state_display() == "failed, left without production"
    assert "churn has no production version now" in review.outcome_message
    assert "Pond keeps trying" in review.outcome_message
    (sent,) = hook.requests
    payload = json.loads(sent.body)["pond"]
    assert (payload["state"], payload["without_production"], payload["ok"]) == ("unrestored", True, False)
    assert "churn is left WITHOUT a production version" in json.loads(sent.body)["text"]
    page = client_for("vic").get("/reviews/").content.decode()
    assert 'data-testid="without-production"' in page and "churn" in page
    # ... and the overview and production truth say so at once.
    overview = client_for("vic").get("/").content.decode()
    assert 'data-testid="without-production"' in overview and f"review #{review.pk}" in overview
    assert "<strong>1</strong> model needs attention" in overview  # nothing else is wrong with churn
    truth = client_for("vic").get("/insights/production/?problems=1").content.decode()
    assert 'data-flag="without_production"' in truth
    assert f"Left without production by the failed rollback of review #{review.pk}" in truth
    assert f'href="/reviews/{review.pk}/"' in truth

    # Recovery tries the restore again once JFrog ML takes it: production is back,
    # and the webhook says so.
    _recover(settings, django_capture_on_commit_callbacks)
    review.refresh_from_db()
    assert registry.status_of(churn["id"], v1) == "production"
    assert review.state == "rolled_back"
    assert _applied(churn)[-1] == ("v1", "archived", "production", "upstream")
    assert [json.loads(r.body)["pond"]["state"] for r in hook.requests] == ["unrestored", "rolled_back"]
    assert 'data-testid="without-production"' not in client_for("vic").get("/reviews/").content.decode()
    assert 'data-testid="without-production"' not in client_for("vic").get("/").content.decode()
    truth = client_for("vic").get("/insights/production/?problems=1").content.decode()
    assert 'data-flag="without_production"' not in truth


def test_a_restore_that_cannot_be_done_is_given_up_and_the_model_stays_flagged(
    proxy, client_for, churn, registry, settings, django_capture_on_commit_callbacks
):
    v1, v2 = churn["v1"]["id"], churn["v2"]["id"]
    proxy.fail("PATCH", V2.format(v2), 503)
    proxy.after("PATCH", V2.format(v1), lambda: registry.delete_version(churn["id"], v1))
    review = _approve(client_for, churn, django_capture_on_commit_callbacks)
    assert review.state == "unrestored"
    assert "Pond keeps trying" not in review.outcome_message
    assert Decision.objects.get().steps.get(kind="restore").state == "failed"
    assert _applied(churn)[-1][3] == "failed"
    # Nothing left for recovery to do.
    _recover(settings, django_capture_on_commit_callbacks)
    review.refresh_from_db()
    assert review.state == "unrestored"


def test_a_step_jfrog_ml_gave_no_answer_about_is_finished_by_recovery_and_applied_once(
    proxy, client_for, churn, registry, settings, django_capture_on_commit_callbacks
):
    v2 = churn["v2"]["id"]
    # The change takes effect, the answer is lost, and asking afterwards fails too.
    proxy.fail_after_forwarding("PATCH", V2.format(v2), 504)
    proxy.fail("GET", V2.format(v2), 503)
    review = _approve(client_for, churn, django_capture_on_commit_callbacks)
    assert review.state == "applying"
    assert "JFrog ML did not answer while setting v2 to production" in review.outcome_message
    assert "Pond" in review.outcome_message and "finishes it, or undoes it" in review.outcome_message

    _recover(settings, django_capture_on_commit_callbacks)
    review.refresh_from_db()
    assert review.state == "approved", review.outcome_message
    assert registry.status_of(churn["id"], v2) == "production"
    # Recovery saw it done upstream and sent nothing again.
    assert proxy.count("PATCH", V2.format(v2)) == 1
    assert _applied(churn) == [
        ("v1", "production", "archived", "upstream"),
        ("v2", "staging", "production", "upstream"),
    ]
    step = LedgerEntry.objects.filter(kind="apply").order_by("id").last()
    assert step.details["already"] is True and step.details["recovered"] is True


def test_a_step_that_never_reached_jfrog_ml_is_sent_once_by_recovery(
    proxy, client_for, churn, registry, settings, django_capture_on_commit_callbacks
):
    v2 = churn["v2"]["id"]
    proxy.fail("PATCH", V2.format(v2), 503)
    proxy.fail("GET", V2.format(v2), 503)
    review = _approve(client_for, churn, django_capture_on_commit_callbacks)
    assert review.state == "applying"
    _recover(settings, django_capture_on_commit_callbacks)
    review.refresh_from_db()
    assert review.state == "approved", review.outcome_message
    assert proxy.applied("PATCH", V2.format(v2)) == 1
    assert registry.status_of(churn["id"], v2) == "production"


def test_a_step_without_an_answer_for_all_its_tries_counts_as_failed_and_is_compensated(
    proxy, client_for, churn, registry, settings, django_capture_on_commit_callbacks
):
    settings.POND_DECISION_STEP_ATTEMPTS = 2
    v2 = churn["v2"]["id"]
    proxy.fail("PATCH", V2.format(v2), 503)
    proxy.fail("GET", V2.format(v2), 503, times=2)
    review = _approve(client_for, churn, django_capture_on_commit_callbacks)
    assert review.state == "applying"
    _recover(settings, django_capture_on_commit_callbacks)
    review.refresh_from_db()
    assert review.state == "rolled_back", review.outcome_message
    assert "gave no answer about this step in 2 tries" in review.outcome_message
    assert registry.status_of(churn["id"], churn["v1"]["id"]) == "production"
    assert proxy.applied("PATCH", V2.format(v2)) == 0


def test_a_failed_deployment_leaves_the_promotion_in_place(
    proxy, client_for, churn, registry, django_capture_on_commit_callbacks
):
    proxy.fail("POST", "/deployments$", 400)
    review = _approve(client_for, churn, django_capture_on_commit_callbacks, deploy="on")
    assert review.state == "failed"
    assert review.outcome_message.startswith("v2 is now production, but deploying it failed")
    assert registry.status_of(churn["id"], churn["v2"]["id"]) == "production"
    assert registry.status_of(churn["id"], churn["v1"]["id"]) == "archived"
    assert not DecisionStep.objects.filter(kind="restore").exists()


def test_a_direct_promotion_is_compensated_the_same_way(
    proxy, client_for, churn, registry, settings, django_capture_on_commit_callbacks
):
    settings.POND_REVIEWER_DIRECT_PROMOTE = True
    proxy.fail("PATCH", V2.format(churn["v2"]["id"]), 503)
    url = f"/reviews/promote/{churn['id']}/{churn['v2']['id']}"
    with django_capture_on_commit_callbacks(execute=True):
        resp = post_form(client_for("rita"), url, {"to_status": "production", "comment": "hotfix", "archive_current": "on"})
    assert resp.status_code == 302
    assert registry.status_of(churn["id"], churn["v1"]["id"]) == "production"
    assert Decision.objects.get().state == "rolled_back"
    assert [e[3] for e in _applied(churn)] == ["upstream", "failed", "upstream"]


def _request_and_approve(client_for, churn, version: str, to_status: str, capture):
    resp = post_form(
        client_for("eve"),
        f"/reviews/new/{churn['id']}/{churn[version]['id']}/",
        {"to_status": to_status, "note": "next", "archive_current": "on"},
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    review = ReviewRequest.objects.get(state="pending")
    with capture(execute=True):
        resp = post_form(client_for("rita"), f"/reviews/{review.pk}/decide", {"decision": "approve"})
    review.refresh_from_db()
    return resp, review


def test_a_decision_on_a_model_waits_for_an_unfinished_one_of_the_same_model(
    proxy, client_for, churn, registry, settings, django_capture_on_commit_callbacks
):
    v2 = churn["v2"]["id"]
    proxy.fail("PATCH", V2.format(v2), 503)
    proxy.fail("GET", V2.format(v2), 503)
    first = _approve(client_for, churn, django_capture_on_commit_callbacks)
    assert first.state == "applying"

    resp, second = _request_and_approve(client_for, churn, "v3", "staging", django_capture_on_commit_callbacks)
    assert resp.status_code == 409
    assert "An earlier decision on this model (v2 → production) is still being applied" in resp.content.decode()
    assert second.state == "pending"

    _recover(settings, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        resp = post_form(client_for("rita"), f"/reviews/{second.pk}/decide", {"decision": "approve"})
    assert resp.status_code == 302
    second.refresh_from_db()
    assert second.state == "approved"
    assert registry.status_of(churn["id"], churn["v3"]["id"]) == "staging"


def test_a_new_version_going_to_production_ends_an_earlier_decisions_restore(
    proxy, client_for, churn, registry, settings, django_capture_on_commit_callbacks
):
    v1, v2 = churn["v1"]["id"], churn["v2"]["id"]
    proxy.fail("PATCH", V2.format(v2), 503)
    proxy.after("PATCH", V2.format(v1), lambda: proxy.fail("PATCH", V2.format(v1), 503))
    first = _approve(client_for, churn, django_capture_on_commit_callbacks)
    assert first.state == "unrestored"

    # Someone fixes production the other way: v2 again, and this time it goes through.
    resp, second = _request_and_approve(client_for, churn, "v2", "production", django_capture_on_commit_callbacks)
    assert resp.status_code == 302 and second.state == "approved", second.outcome_message
    first.refresh_from_db()
    assert first.state == "unrestored"
    assert "Restoring it was given up: v2 is going to production instead." in first.outcome_message
    assert 'data-testid="without-production"' not in client_for("vic").get("/reviews/").content.decode()

    # A late restore would make two production versions: recovery has nothing to do.
    _recover(settings, django_capture_on_commit_callbacks)
    assert registry.status_of(churn["id"], v1) == "archived"
    assert registry.status_of(churn["id"], v2) == "production"
