"""The Celery tasks, run in-process (eagerly): thin wrappers that poll, notify and refresh."""

from __future__ import annotations

import json

import pytest

from tests.support.faultserver import FaultServer, json_response
from webui.celery import app as celery_app
from webui.jfrogml import locks
from webui.status.models import Incident
from webui.status.tasks import catalog_refresh, deployment_status_poll, experiments_refresh

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def eager():
    # Webhook tasks that the poll task enqueues run at once, in this process.
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def body(status: str) -> dict:
    return {
        "deployments": [
            {
                "id": "dep_1",
                "name": "fraud-prod",
                "model_id": "mdl_1",
                "model_version_id": "ver_1",
                "status": status,
            }
        ]
    }


def test_the_poll_task_notifies_each_webhook_of_a_confirmed_failure(settings, eager):
    settings.POND_STATUS_CONFIRMATIONS = 2
    with FaultServer(prefix="") as hooks, FaultServer() as upstream:
        hooks.on("POST", "/a", json_response({"ok": True}))
        hooks.on("POST", "/b", json_response({"ok": True}))
        settings.POND_STATUS_WEBHOOKS = [
            f"http://127.0.0.1:{hooks.port}/a",
            f"http://127.0.0.1:{hooks.port}/b",
        ]
        settings.JFROG_ML_URL = upstream.url
        upstream.on("GET", "/v1/deployments", json_response(body("active")))
        for _ in range(2):
            assert deployment_status_poll.apply(kwargs={"force": True}).get() == "ok"
        assert hooks.count() == 0  # a first status that is fine is not news
        upstream.on("GET", "/v1/deployments", json_response(body("failed")))
        deployment_status_poll.apply(kwargs={"force": True})
        assert hooks.count() == 0  # unconfirmed: no noise
        deployment_status_poll.apply(kwargs={"force": True})
        assert hooks.count("POST", "/a") == 1 and hooks.count("POST", "/b") == 1
        text = json.loads(hooks.requests[0].body)["text"]
        assert "fraud-prod" in text and "is now failed (was active)" in text
    assert Incident.objects.count() == 1


def test_a_failing_webhook_does_not_fail_the_poll(settings, eager, dead_port):
    settings.POND_STATUS_CONFIRMATIONS = 1
    settings.POND_STATUS_WEBHOOKS = [f"http://127.0.0.1:{dead_port}/hook"]
    with FaultServer() as upstream:
        settings.JFROG_ML_URL = upstream.url
        upstream.on("GET", "/v1/deployments", json_response(body("failed")))
        result = deployment_status_poll.apply(kwargs={"force": True})
    assert result.successful() and result.get() == "ok"
    assert Incident.objects.count() == 1


def test_the_catalog_task_refreshes_the_catalog_once_at_a_time(upstream_url):
    from webui.jfrogml import services

    services.model_create(name="catalogued")
    assert catalog_refresh.apply().get() == "ok"
    with locks.lock("status:catalog-refresh", timeout=5) as acquired:
        assert acquired
        assert catalog_refresh.apply().get() == "locked"


def test_the_experiments_task_keeps_the_list_pages_read_warm(settings):
    """The experiments page (and the overview and hygiene) answer from the list Celery
    keeps, without asking JFrog ML, even when the page's own cached copy is gone."""
    from django.core.cache import caches

    from webui.jfrogml import services

    settings.JFROG_ML_TTL_EXPERIMENTS = 60
    listing = {"experiments": [{"id": "exp_1", "name": "tune", "status": "running"}]}
    with FaultServer() as upstream:
        settings.JFROG_ML_URL = upstream.url
        upstream.on("GET", "/v1/experiments", json_response(listing))
        caches["default"].clear()
        assert experiments_refresh.apply().get() == "1 experiments"
        assert upstream.count("GET", "/v1/experiments") == 1
        page = services.experiment_list()
        assert [e.id for e in page.experiments] == ["exp_1"] and not page.freshness.stale
        assert upstream.count("GET", "/v1/experiments") == 1  # the page asked JFrog ML nothing
        with locks.lock("status:experiments-refresh", timeout=5) as acquired:
            assert acquired
            assert experiments_refresh.apply().get() == "locked"
