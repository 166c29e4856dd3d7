"""Status subscriptions deliver: each hears exactly what its scope (everything, a model,
a deployment) concerns, in its format (Slack text escaped, or Pond's JSON document),
through the outbox, retried and logged, and nothing once disabled. A real HTTP
receiver takes every delivery."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from tests.status.conftest import observe_poll
from tests.support.faultserver import FaultServer, json_response, sequence, status
from webui.celery import app as celery_app
from webui.reviews.models import OutboxMessage
from webui.status import subscriptions, webhooks
from webui.status.models import StatusSubscription

pytestmark = pytest.mark.django_db

SECRET_PATH = "/services/T0SECRET/B0SECRET/xoxSECRETxyz"


@pytest.fixture
def hook(settings):
    # Plain http to 127.0.0.1 is a subscription URL only with DEBUG on (webhooks.url_problem).
    settings.DEBUG = True
    settings.POND_STATUS_WEBHOOKS = []
    settings.POND_STATUS_WEBHOOK_TIMEOUT = 1.0
    with FaultServer(prefix="") as server:
        server.on("POST", None, json_response({"ok": True}))
        yield server


def subscribe(
    hook, path: str, *, scope: str = "all", target: str = "", fmt: str = "json", label: str = ""
) -> StatusSubscription:
    return StatusSubscription.objects.create(
        label=label or path,
        format=fmt,
        url=f"http://127.0.0.1:{hook.port}{path}",
        scope=scope,
        target_id=target,
        created_by="alice",
        created_at=timezone.now(),
    )


def received(hook, path: str) -> list[dict]:
    return [json.loads(r.body) for r in hook.requests if r.path == path]


def announce(
    event_type: str, *, model_id: str = "", deployment_id: str = "", text: str = ""
) -> list[str]:
    return webhooks.status_announce(
        text=text or f"{event_type} {deployment_id or model_id}",
        event={
            "type": event_type,
            "deployment_id": deployment_id or None,
            "model_id": model_id or None,
        },
        model_id=model_id,
        deployment_id=deployment_id,
    )


def test_each_subscription_hears_exactly_what_its_scope_concerns(hook, settings):
    # The poller knows d-1 and d-2 (of m-1) and d-3 (of m-2).
    now = timezone.now()
    observe_poll({"d-1": "active", "d-2": "active"}, at=now, model_id="m-1")
    observe_poll({"d-3": "active"}, at=now, model_id="m-2")
    settings.POND_STATUS_WEBHOOKS = [f"http://127.0.0.1:{hook.port}/settings"]
    subscribe(hook, "/all")
    subscribe(hook, "/model", scope="model", target="m-1")
    subscribe(hook, "/deployment", scope="deployment", target="d-2")
    subscribe(hook, "/other-model", scope="model", target="m-9")
    subscribe(hook, "/slack-deployment", scope="deployment", target="d-3", fmt="slack")

    announce("status_change", model_id="m-1", deployment_id="d-1")
    announce("incident_update", model_id="m-1", deployment_id="d-2")
    announce("maintenance_start", model_id="m-1")  # the whole model: its deployments too
    announce("maintenance_end", model_id="m-2", deployment_id="d-3")
    webhooks.outbox_send_due()

    def events(path):
        return [
            (b["event"]["type"], b["about"]["deployment_id"] or b["about"]["model_id"])
            for b in received(hook, path)
        ]

    assert events("/all") == [
        ("status_change", "d-1"), ("incident_update", "d-2"), ("maintenance_start", "m-1"), ("maintenance_end", "d-3")
    ]  # fmt: skip
    assert events("/model") == [
        ("status_change", "d-1"),
        ("incident_update", "d-2"),
        ("maintenance_start", "m-1"),
    ]
    assert events("/deployment") == [("incident_update", "d-2"), ("maintenance_start", "m-1")]
    assert events("/other-model") == []
    assert received(hook, "/slack-deployment") == [{"text": "maintenance_end d-3"}]
    # The settings' webhooks hear everything, as Slack text.
    assert [b["text"] for b in received(hook, "/settings")] == [
        "status_change d-1", "incident_update d-2", "maintenance_start m-1", "maintenance_end d-3"
    ]  # fmt: skip
    assert OutboxMessage.objects.exclude(state=OutboxMessage.SENT).count() == 0


def test_a_confirmed_failure_reaches_the_subscribers_of_its_deployment_as_it_commits(
    hook, settings, django_capture_on_commit_callbacks
):
    settings.POND_STATUS_CONFIRMATIONS = 1
    mine = subscribe(hook, "/mine", scope="deployment", target="d-bad")
    subscribe(hook, "/not-mine", scope="deployment", target="d-ok")
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        now = timezone.now()
        with django_capture_on_commit_callbacks(execute=True):
            observe_poll({"d-ok": "active", "d-bad": "active"}, at=now - timedelta(seconds=10))
        with django_capture_on_commit_callbacks(execute=True):
            observe_poll({"d-ok": "active", "d-bad": "failed"}, at=now)
    finally:
        celery_app.conf.task_always_eager = previous
    (body,) = received(hook, "/mine")
    assert body["event"]["type"] == "status_change"
    assert body["event"]["deployment_id"] == "d-bad"
    assert (body["event"]["from_status"], body["event"]["to_status"]) == ("active", "failed")
    assert body["subscription"]["id"] == mine.pk
    assert received(hook, "/not-mine") == []


def test_the_json_body_is_pond_s_event_document(hook):
    subscription = subscribe(hook, "/json", scope="model", target="m-1", label="ops bot")
    event = {"type": "incident_update", "incident_id": 7, "state": "identified"}
    (delivery_id,) = webhooks.status_announce(
        text="a & <b>", event=event, model_id="m-1", deployment_id="d-1"
    )
    webhooks.outbox_send_due()
    (request,) = hook.requests
    body = json.loads(request.body)
    created = body["delivery"].pop("created_at")
    assert datetime.fromisoformat(created).tzinfo is not None
    assert body == {
        "pond": 1,
        "event": event,
        "text": "a & <b>",  # plain: only Slack's format is escaped
        "about": {"model_id": "m-1", "deployment_id": "d-1"},
        "subscription": {
            "id": subscription.pk,
            "label": "ops bot",
            "scope": "model",
            "target_id": "m-1",
        },
        "delivery": {"id": delivery_id},
    }
    assert request.headers[webhooks.DELIVERY_HEADER] == delivery_id
    assert request.headers["Content-Type"] == "application/json"


def test_a_name_in_a_slack_body_cannot_ping_the_channel_or_make_a_link(hook):
    subscribe(hook, "/slack", fmt="slack")
    subscribe(hook, "/json", fmt="json")
    name = "<!channel> fraud & <@U024BE7LH> <https://evil.example|click>"
    announce(
        "status_change", model_id="m-1", deployment_id="d-1", text=f"Deployment {name} is failed"
    )
    webhooks.outbox_send_due()
    (slack,) = received(hook, "/slack")
    assert slack == {
        "text": "Deployment &lt;!channel&gt; fraud &amp; &lt;@U024BE7LH&gt; &lt;https://evil.example|click&gt; is failed"
    }
    (plain,) = received(hook, "/json")
    assert plain["text"] == f"Deployment {name} is failed"


def test_a_disabled_subscription_receives_nothing_not_even_what_was_queued(hook):
    alice = User.objects.create_superuser("alice", "alice@example.com", "alice-password-1")
    subscription = subscribe(hook, "/gone")
    announce("status_change", model_id="m-1", deployment_id="d-1")  # queued before
    assert subscriptions.subscription_disable(subscription=subscription, user=alice)
    announce("incident_update", model_id="m-1", deployment_id="d-1")  # after
    webhooks.outbox_send_due()
    assert hook.count() == 0
    (row,) = OutboxMessage.objects.filter(subscription=subscription.key)
    assert row.state == OutboxMessage.FAILED
    assert "disabled" in row.last_error
    # Disabling twice changes nothing.
    assert not subscriptions.subscription_disable(subscription=subscription, user=alice)


def test_a_subscription_to_plain_http_is_not_posted_to_once_debug_is_off(hook, settings):
    subscribe(hook, "/local")
    settings.DEBUG = False
    announce("status_change", model_id="m-1", deployment_id="d-1")
    webhooks.outbox_send_due()
    assert hook.count() == 0
    (row,) = OutboxMessage.objects.all()
    assert row.state == OutboxMessage.FAILED and "https" in row.last_error


def test_a_failing_receiver_is_retried_and_each_try_is_logged_without_the_urls_path(hook, caplog):
    caplog.set_level(logging.DEBUG)
    hook.on("POST", SECRET_PATH, sequence(status(500), json_response({"ok": True})))
    subscription = subscribe(hook, f"{SECRET_PATH}?token=qSECRETq", fmt="slack")
    announce("status_change", model_id="m-1", deployment_id="d-1")
    webhooks.outbox_send_due()
    (row,) = OutboxMessage.objects.filter(subscription=subscription.key)
    assert (row.state, row.attempts) == (OutboxMessage.PENDING, 1)
    assert row.last_error == f"webhook {subscription.key} (127.0.0.1:{hook.port}) answered 500"
    (logged,) = subscriptions.delivery_log(subscription)
    assert (logged.state, logged.attempts, logged.next_attempt_at) == (
        "failing",
        1,
        row.next_attempt_at,
    )

    OutboxMessage.objects.filter(pk=row.pk).update(
        next_attempt_at=timezone.now()
    )  # its backoff has passed
    assert webhooks.outbox_send_due() == 1
    row.refresh_from_db()
    assert (row.state, row.attempts) == (OutboxMessage.SENT, 2)
    assert hook.count("POST", SECRET_PATH) == 2
    assert {r.headers[webhooks.DELIVERY_HEADER] for r in hook.requests} == {row.delivery_id}
    lines = [r.getMessage() for r in caplog.records if r.name == "pond.status.webhooks"]
    assert any("answered 500" in line for line in lines) and any(
        "answered 200" in line for line in lines
    )
    assert "SECRET" not in caplog.text


def test_the_feed_url_of_a_scope_carries_its_id_encoded():
    assert subscriptions.feed_url("all") == "/status/feed.atom"
    assert subscriptions.feed_url("model", "m/1?x=#y") == "/status/feed.atom?model=m%2F1%3Fx%3D%23y"
    assert (
        subscriptions.feed_url("deployment", "d 1", share_token="tok")
        == "/status/s/tok/feed.atom?deployment=d+1"
    )


def test_an_event_holding_a_datetime_is_sent_with_its_iso_text(hook):
    subscribe(hook, "/json")
    when = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    webhooks.status_announce(
        text="t", event={"type": "maintenance_start", "starts_at": when}, model_id="m-1"
    )
    webhooks.outbox_send_due()
    (body,) = received(hook, "/json")
    assert body["event"] == {"type": "maintenance_start", "starts_at": "2026-12-01T09:30:00Z"}


def test_the_json_body_version_is_stamped_on_every_json_delivery():
    when = datetime(2026, 12, 1, tzinfo=UTC)
    subscription = StatusSubscription(pk=3, label="x", format="json", scope="all")
    body = webhooks.json_body(
        text="t",
        event={"type": "maintenance_end"},
        subscription=subscription,
        delivery_id="d",
        at=when,
    )
    assert body["pond"] == webhooks.JSON_BODY_VERSION == 1
    assert body["about"] == {"model_id": None, "deployment_id": None}


def test_the_task_posts_to_a_stored_subscription_only_while_it_is_active(hook):
    from webui.status.tasks import webhook_send

    subscription = subscribe(hook, "/hook", fmt="slack")
    payload = {"text": "x"}
    for key in (
        "sub:abc",
        "sub:",
        "sub:99999999",
        f"sub:{subscription.pk}x",
        f"sub:-{subscription.pk}",
    ):
        result = webhook_send.apply(
            kwargs={"subscription": key, "payload": payload, "delivery_id": "d-1"}
        )
        assert isinstance(result.result, webhooks.WebhookRejected), key
    assert hook.count() == 0
    assert (
        webhook_send.apply(
            kwargs={"subscription": subscription.key, "payload": payload, "delivery_id": "d-2"}
        ).get()
        == 200
    )
    StatusSubscription.objects.filter(pk=subscription.pk).update(disabled_at=timezone.now())
    result = webhook_send.apply(
        kwargs={"subscription": subscription.key, "payload": payload, "delivery_id": "d-3"}
    )
    assert isinstance(result.result, webhooks.WebhookRejected)
    assert hook.count() == 1
