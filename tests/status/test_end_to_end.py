"""End to end: a real Celery worker with beat polls the live embedded registry over HTTP,
with Redis as broker and cache; the status page, JSON, badge and feed follow."""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET

import pytest

from tests.support.faultserver import FaultServer, json_response
from tests.support.worker import celery_worker, eventually, worker_env
from webui.jfrogml import services
from webui.status.models import PollerHealth

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.celery,
    pytest.mark.redis,
    pytest.mark.slow,
]

ATOM = "{http://www.w3.org/2005/Atom}"
INTERVAL = 1.0
# Two poll intervals, plus slack for a 2-core machine shared with other test runs.
WITHIN = 2 * INTERVAL + 2.0
# Long enough that the `deploying` phase outlasts WITHIN even on a loaded machine.
DEPLOY_DELAY = WITHIN + 1.0


@pytest.fixture
def webhook():
    with FaultServer(prefix="") as server:
        server.on("POST", "/hook", json_response({"ok": True}))
        yield server


@pytest.fixture
def worker(upstream_url, redis_url, redis_cache, tmp_path, settings, webhook):
    settings.POND_STATUS_PUBLIC = True
    settings.POND_POLL_INTERVAL = INTERVAL
    settings.POND_STATUS_CONFIRMATIONS = 2
    settings.REGISTRY_DEPLOY_DELAY = DEPLOY_DELAY
    env = worker_env(
        upstream_url=upstream_url,
        redis_url=redis_url,
        cache_prefix=redis_cache,
        poll_interval=INTERVAL,
        extra={"POND_STATUS_WEBHOOKS": f"http://127.0.0.1:{webhook.port}/hook"},
    )
    with celery_worker(env=env, tmp_path=tmp_path) as running:
        # Ready once its beat has made the first successful poll (an empty registry).
        eventually(
            lambda: (
                PollerHealth.objects.filter(last_success_at__isnull=False).exists()
                or not running.alive()
            ),
            timeout=60,
            message="the worker's first poll",
        )
        assert running.alive(), running.log_tail()
        yield running


def status_of(client, deployment_id: str) -> str | None:
    data = client.get("/status.json").json()
    for deployment in data["deployments"]:
        if deployment["id"] == deployment_id:
            return deployment["status"]
    return None


def confirmed_status_of(client, deployment_id: str) -> str | None:
    data = client.get("/status.json").json()
    for deployment in data["deployments"]:
        if deployment["id"] == deployment_id and deployment["confirmed"]:
            return deployment["status"]
    return None


def test_the_worker_shows_a_deployment_deploying_then_active_then_its_failure_as_an_incident(
    client, worker, webhook
):
    model = services.model_create(name="fraud-model", framework="xgboost")
    version = services.version_create(model_id=model.id, version="2.1.0")
    created_at = time.monotonic()
    deployment = services.deployment_create(
        name="fraud-prod", model_id=model.id, model_version_id=version.id
    )

    eventually(
        lambda: status_of(client, deployment.id) == "deploying",
        timeout=WITHIN,
        message=worker.log_tail,
    )
    assert time.monotonic() - created_at < DEPLOY_DELAY, (
        "deploying was seen only after it had become active"
    )
    page = client.get("/status/").content.decode()
    assert f'data-deployment="{deployment.id}" data-status="deploying"' in page

    # The registry makes it active DEPLOY_DELAY s after creation: seen within two intervals of that.
    wait = DEPLOY_DELAY - (time.monotonic() - created_at)
    time.sleep(max(0.0, wait))
    eventually(
        lambda: status_of(client, deployment.id) == "active",
        timeout=WITHIN,
        message=worker.log_tail,
    )
    eventually(
        lambda: confirmed_status_of(client, deployment.id) == "active",
        timeout=WITHIN,
        message="the active status confirmed",
    )
    assert "All deployments active" in client.get("/status/").content.decode()

    services.deployment_update(deployment_id=deployment.id, status="failed")
    data = eventually(
        lambda: (d := client.get("/status.json").json())["incidents"] and d,
        timeout=WITHIN + INTERVAL,
        message=worker.log_tail,
    )
    incident = data["incidents"][0]
    assert (incident["deployment_id"], incident["status"], incident["ongoing"]) == (
        deployment.id,
        "failed",
        True,
    )
    assert data["summary"]["failing"] == 1 and data["stale"] is False
    (listed,) = data["deployments"]
    assert (listed["model_name"], listed["version"]) == ("fraud-model", "2.1.0")
    # The incident keeps the names it opened with, beside the ids.
    assert (incident["model_name"], incident["version_label"]) == ("fraud-model", "2.1.0")
    assert incident["title"] == "Deployment fraud-prod of fraud-model 2.1.0 failed"

    # The page, the badge and the feed say the same.
    page = client.get("/status/").content.decode()
    assert "1 deployment failing" in page and f'id="incident-{incident["id"]}"' in page
    badge = ET.fromstring(client.get(f"/status/badge/{deployment.id}.svg").content)  # noqa: S314 - our own output
    assert [t.text for t in badge.iter("{http://www.w3.org/2000/svg}text")] == [
        "fraud-prod",
        "failed",
    ]
    feed = ET.fromstring(client.get("/status/feed.atom").content)  # noqa: S314 - our own output
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == ["fraud-prod is failed"]
    assert entries[0].find(f"{ATOM}id").text.endswith(f"#incident-{incident['id']}")

    # The webhook was told about the confirmed failure, by its own task.
    def told() -> list[str]:
        return [
            json.loads(r.body)["text"]
            for r in webhook.requests
            if r.method == "POST" and b"is now failed" in r.body
        ]

    messages = eventually(told, timeout=10, message="the failure webhook")
    assert messages[0].startswith("Deployment fraud-prod of fraud-model 2.1.0 is now failed (was active)")
    assert worker.alive(), worker.log_tail()


def test_the_embedded_default_polls_on_the_filesystem_broker_and_file_cache(
    client, upstream_url, tmp_path, settings
):
    """No REDIS_URL: worker and beat talk over kombu's filesystem:// transport, and the
    page reads the document from the shared file cache."""
    var_dir = tmp_path / "var"
    prefix = "pond-fs-e2e"
    settings.CACHES = {
        "default": {
            "BACKEND": "webui.core.filecache.FileCache",
            "LOCATION": str(var_dir / "cache"),
            "KEY_PREFIX": prefix,
        }
    }
    settings.POND_STATUS_PUBLIC = True
    settings.POND_POLL_INTERVAL = INTERVAL
    settings.REGISTRY_DEPLOY_DELAY = 0
    model = services.model_create(name="embedded-model")
    version = services.version_create(model_id=model.id, version="1.0.0")
    deployment = services.deployment_create(
        name="embedded-prod", model_id=model.id, model_version_id=version.id
    )
    env = worker_env(
        upstream_url=upstream_url,
        redis_url=None,
        cache_prefix=prefix,
        poll_interval=INTERVAL,
        extra={"POND_VAR_DIR": str(var_dir)},
    )
    with celery_worker(env=env, tmp_path=tmp_path) as running:
        eventually(
            lambda: confirmed_status_of(client, deployment.id) == "active" or not running.alive(),
            timeout=60,
            message=running.log_tail,
        )
        assert running.alive(), running.log_tail()
        assert "filesystem" in running.log_tail(200)
        assert "All deployments active" in client.get("/status/").content.decode()
