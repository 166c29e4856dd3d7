"""Webhook notifications: Slack-compatible JSON through Pond's one sender, retried,
short timeout, never blocking the poll; and a webhook URL treated as the credential it is."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime

import pytest

from tests.support.faultserver import FaultServer, hang, json_response, sequence, status, text
from webui.celery import app as celery_app
from webui.status import webhooks
from webui.status.poller import ConfirmedChange
from webui.status.tasks import deployment_status_poll, webhook_send

CHANGE = ConfirmedChange(
    deployment_id="dep_1",
    name="fraud-prod",
    model_id="mdl_1",
    version_id="ver_1",
    from_status="active",
    to_status="failed",
    since=datetime(2026, 11, 20, 12, 0, tzinfo=UTC),
)
# Where Slack keeps the credential: in the path (and some receivers in the query).
SECRET_PATH = "/services/T0SECRET/B0SECRET/xoxSECRETxyz"
SECRET_QUERY = "token=qSECRETq"


@pytest.fixture
def hook():
    with FaultServer(prefix="") as server:
        yield server


@pytest.fixture
def eager():
    # The webhook tasks that the poll task enqueues run at once, in this process.
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def subscribe(settings, url: str) -> str:
    """Configure `url` as the one status webhook; returns its subscription key."""
    settings.POND_STATUS_WEBHOOKS = [url]
    (subscription,) = webhooks.subscriptions("status")
    return subscription.key


def poll_a_failure(settings, django_capture_on_commit_callbacks, *, name: str = "fraud-prod") -> None:
    """One poll that confirms a first `failed` status (news), its webhooks sent eagerly."""
    settings.POND_STATUS_CONFIRMATIONS = 1
    deployment = {"id": "dep_1", "name": name, "model_id": "mdl_1", "model_version_id": "ver_1", "status": "failed"}
    with FaultServer() as upstream:
        settings.JFROG_ML_URL = upstream.url
        upstream.on("GET", "/v1/deployments", json_response({"deployments": [deployment]}))
        with django_capture_on_commit_callbacks(execute=True):
            assert deployment_status_poll.apply(kwargs={"force": True}).get() == "ok"


def test_the_message_names_the_deployment_model_and_version_and_both_statuses():
    named = ConfirmedChange(**{**CHANGE.__dict__, "model_name": "fraud-detector", "version_label": "3.1.0"})
    assert webhooks.message(named) == (
        "Deployment fraud-prod of fraud-detector 3.1.0 is now failed (was active), since 2026-11-20 12:00:00 UTC."
    )
    # Ids only where the catalog had no name for them.
    assert webhooks.message(CHANGE) == (
        "Deployment fraud-prod of mdl_1 ver_1 is now failed (was active), since 2026-11-20 12:00:00 UTC."
    )


def test_a_first_status_is_news_only_when_it_is_a_problem():
    first_active = ConfirmedChange(**{**CHANGE.__dict__, "from_status": "", "to_status": "active"})
    first_failed = ConfirmedChange(**{**CHANGE.__dict__, "from_status": "", "to_status": "failed"})
    assert not webhooks.worth_notifying(first_active)
    assert webhooks.worth_notifying(first_failed)
    assert webhooks.worth_notifying(CHANGE)


def test_it_posts_slack_compatible_json_with_a_delivery_id(hook, settings):
    hook.on("POST", "/hook", json_response({"ok": True}))
    key = subscribe(settings, f"http://127.0.0.1:{hook.port}/hook")
    webhooks.deliver(subscription=key, payload={"text": "hello"}, delivery_id="d-1")
    (request,) = hook.requests
    assert json.loads(request.body) == {"text": "hello"}
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers[webhooks.DELIVERY_HEADER] == "d-1"


def test_the_task_retries_a_failing_webhook_until_it_answers(hook, settings):
    hook.on("POST", "/hook", sequence(status(500), status(502), json_response({"ok": True})))
    key = subscribe(settings, f"http://127.0.0.1:{hook.port}/hook")
    result = webhook_send.apply(kwargs={"subscription": key, "payload": {"text": "x"}, "delivery_id": "d-2"})
    assert result.successful()
    assert hook.count("POST", "/hook") == 3
    # Retries repeat the delivery id: the receiver can drop a duplicate.
    assert {r.headers[webhooks.DELIVERY_HEADER] for r in hook.requests} == {"d-2"}


def test_the_task_gives_up_after_its_retries(hook, settings):
    hook.on("POST", "/hook", status(500))
    key = subscribe(settings, f"http://127.0.0.1:{hook.port}/hook")
    result = webhook_send.apply(kwargs={"subscription": key, "payload": {"text": "x"}, "delivery_id": "d-3"})
    assert result.failed()
    assert hook.count("POST", "/hook") == 1 + webhook_send.max_retries


def test_a_hanging_webhook_costs_at_most_the_short_timeout(hook, settings):
    settings.POND_STATUS_WEBHOOK_TIMEOUT = 0.3
    hook.on("POST", "/hook", hang)
    key = subscribe(settings, f"http://127.0.0.1:{hook.port}/hook")
    started = time.monotonic()
    with pytest.raises(webhooks.WebhookFailed):
        webhooks.deliver(subscription=key, payload={"text": "x"}, delivery_id="d-4")
    assert time.monotonic() - started < 2


# --- a webhook URL is a credential ----------------------------------------------------------


def test_the_task_posts_only_to_a_configured_subscription_never_to_a_url_it_is_given(hook, settings):
    hook.on("POST", "/hook", json_response({"ok": True}))
    url = f"http://127.0.0.1:{hook.port}/hook"
    settings.POND_STATUS_WEBHOOKS = []
    for given in (url, f"status:{url}", "status:0"):
        result = webhook_send.apply(kwargs={"subscription": given, "payload": {"text": "x"}, "delivery_id": "d-5"})
        assert result.failed()
        assert isinstance(result.result, webhooks.WebhookRejected)
    assert hook.count() == 0


@pytest.mark.django_db
def test_a_redirect_is_a_failed_delivery_and_the_body_goes_nowhere_else(
    hook, settings, eager, django_capture_on_commit_callbacks
):
    with FaultServer(prefix="") as elsewhere:
        elsewhere.on("POST", None, json_response({"ok": True}))
        hook.on("POST", "/hook", text("", 307, headers={"Location": f"http://127.0.0.1:{elsewhere.port}/steal"}))
        subscribe(settings, f"http://127.0.0.1:{hook.port}/hook")
        poll_a_failure(settings, django_capture_on_commit_callbacks)
        assert hook.count("POST", "/hook") == 1  # refused, and not retried: a redirect will not go away
        assert elsewhere.count() == 0, [r.body for r in elsewhere.requests]


@pytest.mark.django_db
def test_logs_name_the_webhooks_host_never_its_path_or_query(
    hook, settings, eager, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.DEBUG)
    hook.on("POST", SECRET_PATH, sequence(status(503), json_response({"ok": True})))
    subscribe(settings, f"http://127.0.0.1:{hook.port}{SECRET_PATH}?{SECRET_QUERY}")
    poll_a_failure(settings, django_capture_on_commit_callbacks)
    assert hook.count("POST", SECRET_PATH) == 2
    sender_lines = [r.getMessage() for r in caplog.records if r.name == "pond.status.webhooks"]
    assert any(f"127.0.0.1:{hook.port}" in line for line in sender_lines), sender_lines
    assert "SECRET" not in caplog.text, [line for line in caplog.text.splitlines() if "SECRET" in line]


def test_a_failed_deliverys_error_names_only_the_host(settings, dead_port):
    key = subscribe(settings, f"http://127.0.0.1:{dead_port}{SECRET_PATH}?{SECRET_QUERY}")
    with pytest.raises(webhooks.WebhookFailed) as failed:
        webhooks.deliver(subscription=key, payload={"text": "x"}, delivery_id="d-6")
    assert f"127.0.0.1:{dead_port}" in str(failed.value)
    assert failed.value.__cause__ is None and failed.value.__suppress_context__
    assert "SECRET" not in str(failed.value)


@pytest.mark.django_db
def test_a_deployment_name_cannot_ping_the_channel(hook, settings, eager, django_capture_on_commit_callbacks):
    hook.on("POST", "/hook", json_response({"ok": True}))
    subscribe(settings, f"http://127.0.0.1:{hook.port}/hook")
    poll_a_failure(settings, django_capture_on_commit_callbacks, name="<!channel> fraud & <@U024BE7LH>")
    (request,) = hook.requests
    sent = json.loads(request.body)["text"]
    assert sent.startswith("Deployment &lt;!channel&gt; fraud &amp; &lt;@U024BE7LH&gt; of mdl_1 ver_1 is now failed")
    assert "<" not in sent and ">" not in sent
    assert request.headers.get(webhooks.DELIVERY_HEADER)
