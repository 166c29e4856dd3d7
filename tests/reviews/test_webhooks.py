"""Every decision is posted to the configured webhooks through Pond's one sender (the
status page's retried Celery task), without ever holding up the page."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from tests.faults.pond_server import drill_env, pond_server
from tests.reviews.conftest import post_form
from tests.support.faultserver import FaultServer, json_response, sequence, slow, status
from tests.support.people import PASSWORD, users_with_roles
from tests.support.worker import celery_worker, eventually
from webui.celery import app as celery_app
from webui.reviews.models import OutboxMessage, ReviewRequest
from webui.status.tasks import webhook_outbox_send
from webui.status.webhooks import DELIVERY_HEADER


@pytest.fixture
def eager():
    # The webhook task a decision enqueues runs at once, in this process.
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def hook(settings, eager) -> Iterator[FaultServer]:
    with FaultServer(prefix="") as server:
        server.on("POST", "/hook", json_response({"ok": True}))
        settings.POND_REVIEW_WEBHOOKS = [f"http://127.0.0.1:{server.port}/hook"]
        settings.POND_REVIEW_WEBHOOK_TIMEOUT = 0.5
        yield server


def _request(client_for, churn):
    post_form(client_for("eve"), f"/reviews/new/{churn['id']}/{churn['v2']['id']}/", {"to_status": "production", "note": "go"})
    return ReviewRequest.objects.get()


def _decide(client, review, data, capture):
    # Outside a test's transaction the webhook is queued as the decision commits.
    with capture(execute=True):
        return post_form(client, f"/reviews/{review.pk}/decide", data)


def test_a_decision_is_posted_as_slack_compatible_json(hook, client_for, churn, django_capture_on_commit_callbacks):
    review = _request(client_for, churn)
    _decide(client_for("rita"), review, {"decision": "reject", "comment": "not yet"}, django_capture_on_commit_callbacks)
    (request,) = eventually(lambda: hook.requests, timeout=5, message="no webhook arrived")
    payload = json.loads(request.body)
    assert payload["text"].startswith("rita rejected churn v2: staging → production")
    assert "not yet" in payload["text"]
    assert payload["pond"]["kind"] == "reject"


def test_a_decision_goes_through_the_retried_sender_with_a_delivery_id(
    hook, client_for, churn, django_capture_on_commit_callbacks
):
    hook.on("POST", "/hook", sequence(status(503), json_response({"ok": True})))
    review = _request(client_for, churn)
    _decide(client_for("rita"), review, {"decision": "reject", "comment": "no"}, django_capture_on_commit_callbacks)
    eventually(lambda: hook.requests, timeout=5, message="no webhook arrived")
    assert hook.requests[0].headers.get(DELIVERY_HEADER)
    eventually(lambda: hook.count("POST", "/hook") == 2, timeout=5, message="the failed delivery was not retried")
    ids = {r.headers.get(DELIVERY_HEADER) for r in hook.requests}
    assert len(ids) == 1 and None not in ids  # one delivery, retried under its id


def test_a_comment_cannot_ping_the_channel(hook, client_for, churn, django_capture_on_commit_callbacks):
    review = _request(client_for, churn)
    comment = "<!channel> see <https://evil.example|the fix> & more"
    _decide(client_for("rita"), review, {"decision": "reject", "comment": comment}, django_capture_on_commit_callbacks)
    (request,) = eventually(lambda: hook.requests, timeout=5, message="no webhook arrived")
    sent = json.loads(request.body)["text"]
    assert "&lt;!channel&gt; see &lt;https://evil.example|the fix&gt; &amp; more" in sent
    assert "<" not in sent and ">" not in sent


def test_a_dead_webhook_does_not_fail_the_decision(
    settings, eager, dead_port, client_for, churn, django_capture_on_commit_callbacks
):
    settings.POND_REVIEW_WEBHOOKS = [f"http://127.0.0.1:{dead_port}/hook"]
    review = _request(client_for, churn)
    resp = _decide(client_for("rita"), review, {"decision": "approve"}, django_capture_on_commit_callbacks)
    assert resp.status_code == 302
    review.refresh_from_db()
    assert review.state == "approved"


@pytest.mark.django_db(transaction=True)
@pytest.mark.celery
@pytest.mark.slow
def test_a_slow_webhook_does_not_hold_up_the_decision_a_worker_delivers_it(tmp_path):
    """A real gunicorn takes the decision and a real Celery worker delivers it, sharing the
    embedded filesystem broker of their own var dir."""
    users_with_roles({"eve": "engineer", "rita": "reviewer"})
    review = ReviewRequest.objects.create(
        model_id="m-1", model_name="churn", version_id="v-2", version_label="v2", from_status="staging",
        to_status="production", note="go", requested_by=User.objects.get(username="eve"), requested_by_name="eve",
    )  # fmt: skip
    with FaultServer(prefix="") as hook:
        # Slower than the page may take, within the webhook's timeout: only not waiting keeps the page fast.
        hook.on("POST", "/hook", slow(3.0, json_response({"ok": True})))
        shared = {
            "POND_REVIEW_WEBHOOKS": f"http://127.0.0.1:{hook.port}/hook",
            "POND_REVIEW_WEBHOOK_TIMEOUT": "5",
            "POND_CELERY_QUEUE": f"pond-test-{uuid.uuid4().hex[:10]}",
            "POND_LOG_LEVEL": "INFO",
        }
        env = drill_env(upstream="http://127.0.0.1:9/ml/api", tmp_path=tmp_path, extra=shared)
        with pond_server(env=env, tmp_path=tmp_path) as pond, celery_worker(env=env, tmp_path=tmp_path, beat=False) as worker:
            session = pond.login("rita", PASSWORD)
            page = session.get(f"{pond.url}/reviews/{review.pk}/", timeout=10)
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
            started = time.monotonic()
            resp = session.post(
                f"{pond.url}/reviews/{review.pk}/decide",
                data={"decision": "reject", "comment": "not yet", "csrfmiddlewaretoken": token},
                headers={"Referer": page.url},
                allow_redirects=False,
                timeout=10,
            )
            assert resp.status_code == 302, resp.text[:500]
            assert time.monotonic() - started < 2.5
            eventually(lambda: hook.count("POST", "/hook") == 1, timeout=60, message=worker.log_tail)
            eventually(lambda: "succeeded" in worker.log_tail(), timeout=10, message=worker.log_tail)
        (request,) = hook.requests
        assert json.loads(request.body)["pond"]["kind"] == "reject"
        assert request.headers.get(DELIVERY_HEADER)
    review.refresh_from_db()
    assert review.state == "rejected"


# --- the outbox: a message is delayed, never lost ----------------------------------------------
# Rejections need no upstream, so these run inside the test's transaction, where a commit
# hook that is not executed is exactly a process that died before handing its message over.


@pytest.fixture
def asked(users) -> ReviewRequest:
    return ReviewRequest.objects.create(
        model_id="m-1", model_name="churn", version_id="v-2", version_label="v2", from_status="staging",
        to_status="production", note="go", requested_by=users["eve"], requested_by_name="eve",
    )  # fmt: skip


def _reject_without_hand_over(client_for, review, capture) -> list:
    with capture(execute=False) as hand_over:
        resp = post_form(client_for("rita"), f"/reviews/{review.pk}/decide", {"decision": "reject", "comment": "no"})
    assert resp.status_code == 302
    return hand_over


def test_a_decision_whose_message_was_never_handed_over_is_sent_by_the_outbox_sweep(
    hook, client_for, asked, django_capture_on_commit_callbacks
):
    _reject_without_hand_over(client_for, asked, django_capture_on_commit_callbacks)
    assert hook.requests == []
    (row,) = OutboxMessage.objects.all()
    assert row.state == "pending" and row.payload["pond"]["kind"] == "reject"

    assert webhook_outbox_send.apply().get() == 1
    (request,) = hook.requests
    assert request.headers[DELIVERY_HEADER] == row.delivery_id
    row.refresh_from_db()
    assert row.state == "sent" and row.sent_at is not None
    assert webhook_outbox_send.apply().get() == 0  # sent once: not again
    assert len(hook.requests) == 1


def test_a_failing_receiver_is_tried_again_when_due_under_the_same_id_then_given_up(
    hook, settings, client_for, asked, django_capture_on_commit_callbacks
):
    settings.POND_WEBHOOK_ATTEMPTS = 2
    hook.on("POST", "/hook", status(500))
    _reject_without_hand_over(client_for, asked, django_capture_on_commit_callbacks)
    row = OutboxMessage.objects.get()

    assert webhook_outbox_send.apply().get() == 0
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("pending", 1)
    assert row.next_attempt_at > timezone.now()  # backing off: the next sweep leaves it alone
    webhook_outbox_send.apply()
    assert hook.count("POST", "/hook") == 1

    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())  # its time comes
    webhook_outbox_send.apply()
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("failed", 2)
    assert "answered 500" in row.last_error
    assert {r.headers[DELIVERY_HEADER] for r in hook.requests} == {row.delivery_id}
    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    webhook_outbox_send.apply()
    assert hook.count("POST", "/hook") == 2  # given up: never again


def test_a_delivery_the_sweep_already_sent_is_not_sent_again_by_its_late_task(
    hook, client_for, asked, django_capture_on_commit_callbacks
):
    hand_over = _reject_without_hand_over(client_for, asked, django_capture_on_commit_callbacks)
    webhook_outbox_send.apply()
    # The worker's task arrives late (a slow broker): the row is sent, nothing more goes out.
    for callback in hand_over:
        callback()
    assert len(hook.requests) == 1


def test_a_decision_rolled_back_takes_its_message_with_it(hook, client_for, asked, users):
    # The outbox row is written in the decision's transaction: no decision, no message.
    from django.db import transaction

    from webui.reviews.approvals import promotion_request_decide

    with pytest.raises(RuntimeError), transaction.atomic():
        promotion_request_decide(user=users["rita"], request_id=asked.pk, approve=False, comment="no")
        assert OutboxMessage.objects.count() == 1
        raise RuntimeError("the database gave up before the commit")
    assert not OutboxMessage.objects.exists()
    asked.refresh_from_db()
    assert asked.state == "pending"
