"""The poller against real upstreams: the embedded registry over HTTP, and a broken one."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from tests.support.faultserver import FaultServer, json_response, slow, status
from webui.jfrogml import locks, services
from webui.jfrogml.client import reset_upstream_calls, upstream_calls
from webui.status import snapshot
from webui.status.models import DeploymentEvent, DeploymentState, Incident, PollerHealth
from webui.status.poller import POLL_LOCK, poll

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.POND_POLL_INTERVAL = 1
    settings.POND_POLL_FAST_INTERVAL = 0.5
    settings.POND_STATUS_CONFIRMATIONS = 2
    settings.POND_POLL_BACKOFF_MAX = 2
    settings.POND_STATUS_PUBLIC = True
    settings.JFROG_ML_RETRIES = 0
    settings.JFROG_ML_CONNECT_TIMEOUT = 0.5
    settings.JFROG_ML_READ_TIMEOUT = 5  # the live registry on a busy 2-core machine
    settings.JFROG_ML_BREAKER_THRESHOLD = 100


def make_deployment(name: str = "churn-prod") -> str:
    model = services.model_create(name=f"{name}-model", framework="sklearn")
    version = services.version_create(model_id=model.id, version="1.0.0")
    return services.deployment_create(name=name, model_id=model.id, model_version_id=version.id).id


def deployments_body(*statuses: str) -> dict:
    return {
        "deployments": [
            {
                "id": f"dep_{i}",
                "name": f"d{i}",
                "model_id": "mdl_1",
                "model_version_id": "ver_1",
                "status": s,
            }
            for i, s in enumerate(statuses)
        ]
    }


def test_a_poll_records_a_new_deployment_as_deploying_then_active(upstream_url, settings):
    settings.REGISTRY_DEPLOY_DELAY = 1.0
    deployment_id = make_deployment()
    outcome = poll(force=True)
    assert (outcome.polled, outcome.deployments, outcome.events) == (True, 1, 1)
    assert DeploymentState.objects.get(deployment_id=deployment_id).status == "deploying"
    time.sleep(1.1)
    poll(force=True)
    events = list(DeploymentEvent.objects.values_list("from_status", "to_status"))
    assert events == [("", "deploying"), ("deploying", "active")]
    assert snapshot.document()["deployments"][0]["status"] == "active"


def test_a_poll_refreshes_the_deployment_list_that_pages_read(upstream_url, settings):
    settings.REGISTRY_DEPLOY_DELAY = 0
    deployment_id = make_deployment()
    poll(force=True)
    services.catalog_refresh()  # model names: not what this test is about
    reset_upstream_calls()
    listed = services.deployment_list()
    assert [row.deployment.id for row in listed.rows] == [deployment_id]
    assert listed.rows[0].deployment.status == "active"
    # The page read the list the poll stored: it did not ask JFrog ML.
    assert upstream_calls() == 0


def test_two_polls_at_once_make_one_upstream_call(settings):
    with FaultServer() as server:
        server.on("GET", "/v1/deployments", slow(0.6, json_response(deployments_body("active"))))
        settings.JFROG_ML_URL = server.url
        results = []

        def run() -> None:
            try:
                results.append(poll(force=True))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert server.count("GET", "/v1/deployments") == 1
        assert sorted(r.reason for r in results) == ["locked", "ok"]


def test_a_poll_does_nothing_while_another_holds_the_lock(settings):
    with FaultServer() as server:
        server.on("GET", "/v1/deployments", json_response(deployments_body("active")))
        settings.JFROG_ML_URL = server.url
        with locks.lock(POLL_LOCK, timeout=5) as acquired:
            assert acquired
            assert poll(force=True).reason == "locked"
        assert server.count() == 0
        assert poll(force=True).reason == "ok"
        assert server.count() == 1


def test_an_upstream_outage_is_the_pollers_failure_not_the_deployments(settings, dead_port, client):
    with FaultServer() as server:
        server.on("GET", "/v1/deployments", json_response(deployments_body("active", "active")))
        settings.JFROG_ML_URL = server.url
        poll(force=True)
        poll(force=True)
    settings.JFROG_ML_URL = f"http://127.0.0.1:{dead_port}/ml/api"
    outcome = poll(force=True)
    assert (outcome.polled, outcome.reason) == (False, "upstream error")
    health = PollerHealth.objects.get()
    assert health.consecutive_failures == 1 and health.error_since is not None
    assert "Unavailable" in health.last_error
    # Nothing changed for the deployments: no event, no incident.
    assert DeploymentEvent.objects.count() == 2
    assert Incident.objects.count() == 0
    assert set(DeploymentState.objects.values_list("status", flat=True)) == {"active"}
    # Within three intervals the page still shows the status, and says the last poll failed.
    page = client.get("/status/").content.decode()
    assert "the last poll failed" in page and 'data-status="active"' in page
    # After three intervals without a success: unknown, and since when.
    time.sleep(3.1)
    page = client.get("/status/").content.decode()
    assert "Status unknown" in page and "could not reach JFrog ML since" in page
    assert 'data-status="active"' not in page


def test_a_server_error_answer_is_retried_with_backoff_and_not_polled_before_then(settings):
    with FaultServer() as server:
        server.on("GET", "/v1/deployments", status(503))
        settings.JFROG_ML_URL = server.url
        poll(force=True)
        health = PollerHealth.objects.get()
        assert health.next_attempt_at > health.last_started_at
        # A beat tick before the backoff ends does not call upstream.
        assert poll().reason == "not due"
        assert server.count() == 1
        server.on("GET", "/v1/deployments", json_response(deployments_body("active")))
        assert poll(now=health.next_attempt_at + timedelta(milliseconds=1)).reason == "ok"
        health.refresh_from_db()
        assert (health.consecutive_failures, health.last_error, health.error_since) == (0, "", None)


def test_backoff_doubles_and_honours_retry_after(settings):
    settings.POND_POLL_BACKOFF_MAX = 60
    settings.POND_POLL_INTERVAL = 2
    with FaultServer() as server:
        server.on("GET", "/v1/deployments", status(503))
        settings.JFROG_ML_URL = server.url
        delays = []
        for _ in range(3):
            start = timezone.now()
            poll(force=True, now=start)
            delays.append((PollerHealth.objects.get().next_attempt_at - start).total_seconds())
        assert 1.6 <= delays[0] <= 2 and 3.2 <= delays[1] <= 4 and 6.4 <= delays[2] <= 8
        server.on("GET", "/v1/deployments", status(429, retry_after=30))
        start = timezone.now()
        poll(force=True, now=start)
        assert (PollerHealth.objects.get().next_attempt_at - start).total_seconds() >= 30


def test_garbage_from_upstream_is_a_poller_error_too(settings):
    with FaultServer() as server:
        server.on("GET", "/v1/deployments", json_response(["not", "an", "object"]))
        settings.JFROG_ML_URL = server.url
        outcome = poll(force=True)
    assert outcome.reason == "upstream error"
    assert "BadResponse" in PollerHealth.objects.get().last_error
    assert DeploymentEvent.objects.count() == 0


def test_it_polls_at_the_fast_interval_while_something_is_deploying(settings):
    with FaultServer() as server:
        server.on("GET", "/v1/deployments", json_response(deployments_body("deploying")))
        settings.JFROG_ML_URL = server.url
        settings.POND_POLL_INTERVAL = 10
        settings.POND_POLL_FAST_INTERVAL = 1
        t0 = timezone.now()
        assert poll(now=t0).reason == "ok"
        assert poll(now=t0 + timedelta(seconds=0.2)).reason == "not due"
        assert poll(now=t0 + timedelta(seconds=1)).reason == "ok"
        server.on("GET", "/v1/deployments", json_response(deployments_body("active")))
        t1 = t0 + timedelta(seconds=2)
        assert poll(now=t1).reason == "ok"  # sees active (unconfirmed): still fast
        assert poll(now=t1 + timedelta(seconds=1)).reason == "ok"  # confirmed active
        # Nothing settling any more: back to the normal interval.
        assert poll(now=t1 + timedelta(seconds=2)).reason == "not due"
        assert poll(now=t1 + timedelta(seconds=11)).reason == "ok"


def test_a_failure_marked_through_the_registry_opens_an_incident(upstream_url, settings, client):
    settings.REGISTRY_DEPLOY_DELAY = 0
    deployment_id = make_deployment()
    poll(force=True)
    poll(force=True)
    services.deployment_update(deployment_id=deployment_id, status="failed")
    poll(force=True)
    assert Incident.objects.count() == 0  # seen once: unconfirmed
    poll(force=True)
    incident = Incident.objects.get()
    assert (incident.deployment_id, incident.status, incident.ended_at) == (
        deployment_id,
        "failed",
        None,
    )
    data = client.get("/status.json").json()
    assert data["summary"]["failing"] == 1
    assert data["incidents"][0]["deployment_id"] == deployment_id


def test_one_hostile_deployment_does_not_fail_the_poll_for_every_other(settings):
    """A 1,000-character id, a 1,000-character name and a 200-character status were
    over Pond's columns: on PostgreSQL the poll failed, and the whole status page with it."""
    now = "2026-01-01T12:00:00Z"
    hostile = [
        {"id": "d" * 1000, "name": "n" * 1000, "status": "s" * 200, "model_id": "m" * 1000,
         "model_version_id": "v" * 1000, "created_at": now, "updated_at": now},
        {"id": "x" * 5000, "name": "too-long-an-id", "status": "active", "created_at": now, "updated_at": now},
        # 1,000 characters but 4,000 bytes (over a PostgreSQL index entry), and a NUL.
        {"id": "\U0001f642" * 1000, "name": "wide", "status": "active", "created_at": now, "updated_at": now},
        {"id": "nul\x00id", "name": "nul\x00name", "status": "active", "created_at": now, "updated_at": now},
        {"id": "nul-name", "name": "a\x00b", "status": "act\x00ive", "created_at": now, "updated_at": now},
        {"id": "ok", "name": "fine", "status": "active", "model_id": "m", "model_version_id": "v",
         "created_at": now, "updated_at": now},
    ]  # fmt: skip
    with FaultServer() as server:
        server.on("GET", "/v1/deployments", json_response({"deployments": hostile}))
        settings.JFROG_ML_URL = server.url
        assert poll(force=True).reason == "ok"
    states = {s.deployment_id: s for s in DeploymentState.objects.all()}
    assert set(states) == {"d" * 1000, "ok", "nul-name"}  # untrackable ids skipped, with a warning
    assert (states["nul-name"].name, states["nul-name"].status) == ("ab", "active")
    long_one = states["d" * 1000]
    assert len(long_one.name) == 300 and len(long_one.status) == 64 and long_one.model_id == "m" * 1000
