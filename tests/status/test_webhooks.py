"""Webhook notifications: Slack-compatible JSON, retried, short timeout, never blocking the poll."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from tests.support.faultserver import FaultServer, hang, json_response, sequence, status
from webui.status import webhooks
from webui.status.poller import ConfirmedChange
from webui.status.tasks import status_webhook_send

CHANGE = ConfirmedChange(
    deployment_id="dep_1",
    name="fraud-prod",
    model_id="mdl_1",
    version_id="ver_1",
    from_status="active",
    to_status="failed",
    since=datetime(2026, 11, 20, 12, 0, tzinfo=UTC),
)


@pytest.fixture
def hook():
    with FaultServer(prefix="") as server:
        yield server


def test_the_message_names_the_deployment_and_both_statuses():
    text = webhooks.message(CHANGE)
    assert text == (
        "Deployment fraud-prod (dep_1) of model mdl_1, version ver_1, is now failed (was active), "
        "since 2026-11-20 12:00:00 UTC."
    )


def test_a_first_status_is_news_only_when_it_is_a_problem():
    first_active = ConfirmedChange(**{**CHANGE.__dict__, "from_status": "", "to_status": "active"})
    first_failed = ConfirmedChange(**{**CHANGE.__dict__, "from_status": "", "to_status": "failed"})
    assert not webhooks.worth_notifying(first_active)
    assert webhooks.worth_notifying(first_failed)
    assert webhooks.worth_notifying(CHANGE)


def test_it_posts_slack_compatible_json(hook):
    hook.on("POST", "/hook", json_response({"ok": True}))
    webhooks.send(url=f"http://127.0.0.1:{hook.port}/hook", text="hello")
    (request,) = hook.requests
    assert json.loads(request.body) == {"text": "hello"}
    assert request.headers["Content-Type"] == "application/json"


def test_the_task_retries_a_failing_webhook_until_it_answers(hook, settings):
    hook.on("POST", "/hook", sequence(status(500), status(502), json_response({"ok": True})))
    result = status_webhook_send.apply(
        kwargs={"url": f"http://127.0.0.1:{hook.port}/hook", "text": "x"}
    )
    assert result.successful()
    assert hook.count("POST", "/hook") == 3


def test_the_task_gives_up_after_its_retries(hook):
    hook.on("POST", "/hook", status(500))
    result = status_webhook_send.apply(
        kwargs={"url": f"http://127.0.0.1:{hook.port}/hook", "text": "x"}
    )
    assert result.failed()
    assert hook.count("POST", "/hook") == 1 + status_webhook_send.max_retries


def test_a_hanging_webhook_costs_at_most_the_short_timeout(hook, settings):
    settings.POND_STATUS_WEBHOOK_TIMEOUT = 0.3
    hook.on("POST", "/hook", hang)
    started = time.monotonic()
    with pytest.raises(Exception):  # noqa: B017 - requests' timeout error, retried by the task
        webhooks.send(url=f"http://127.0.0.1:{hook.port}/hook", text="x")
    assert time.monotonic() - started < 2
