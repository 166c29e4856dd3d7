"""A real Celery worker (with beat) polls the embedded registry while pages are
loaded: its figures (polls, cycle time, upstream calls) reach the web process's
/metrics through the shared multiprocess directory, and Pond's state (deployments
per status, open incidents, pending reviews, the last poll's age) follows.
"""

from __future__ import annotations

import pytest

from tests.dashboard.conftest import Registry
from tests.metrics.conftest import log_in_over_http, scrape
from tests.support.worker import celery_worker, eventually, worker_env
from webui.reviews import services as reviews
from webui.status.models import PollerHealth

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.celery,
    pytest.mark.redis,
    pytest.mark.slow,
]

INTERVAL = 1.0
WITHIN = 4 * INTERVAL + 6.0  # confirmations take two polls; slack for a busy 2-core machine


@pytest.fixture
def registry(upstream_url):
    reg = Registry(upstream_url)
    yield reg
    reg.close()


@pytest.fixture
def worker(upstream_url, redis_url, redis_cache, tmp_path, settings):
    settings.POND_POLL_INTERVAL = INTERVAL
    settings.POND_STATUS_CONFIRMATIONS = 2
    env = worker_env(upstream_url=upstream_url, redis_url=redis_url, cache_prefix=redis_cache, poll_interval=INTERVAL)
    with celery_worker(env=env, tmp_path=tmp_path) as running:
        eventually(
            lambda: PollerHealth.objects.filter(last_success_at__isnull=False).exists() or not running.alive(),
            timeout=60,
            message="the worker's first poll",
        )
        assert running.alive(), running.log_tail()
        yield running


def test_the_workers_polls_and_pond_state_show_on_the_web_processes_metrics(
    live_server, registry, viewer, worker, users_for_reviews
):
    before = scrape(live_server.url)
    session = log_in_over_http(live_server.url, viewer)
    model = registry.model("fraud")
    version = registry.version(model["id"], "1.0")
    deployment = registry.deployment(model["id"], version["id"], name="fraud-prod")
    assert session.get(f"{live_server.url}/models/{model['id']}/", timeout=30).status_code == 200

    # This process never polls: every poll counted here is the worker's, read from its files.
    def active_and_polled():
        now = scrape(live_server.url)
        polled = now.value("pond_poller_polls_total", result="ok") > before.value("pond_poller_polls_total", result="ok")
        return now if polled and now.value("pond_deployments", status="active") == 1 else None

    now = eventually(active_and_polled, timeout=WITHIN, message=worker.log_tail)
    assert now.value("pond_poller_cycle_seconds_count") > before.value("pond_poller_cycle_seconds_count")
    assert now.value("pond_upstream_requests_total", operation="GET /v1/deployments", result="200") > before.value(
        "pond_upstream_requests_total", operation="GET /v1/deployments", result="200"
    )
    assert 0 <= now.value("pond_poller_last_success_age_seconds") < WITHIN
    assert now.value("pond_poller_last_success_age_seconds") < now.value("pond_poller_stale_after_seconds")
    assert now.value("pond_poller_last_cycle_seconds") > 0
    assert now.value("pond_incidents_open") == 0
    assert now.value("pond_state_up") == 1
    assert now.value("pond_http_requests_total", view="model_detail", method="GET", status="200") > before.value(
        "pond_http_requests_total", view="model_detail", method="GET", status="200"
    )

    # The deployment fails: once confirmed, it is counted as failing, with its incident.
    registry._send("PATCH", f"/v1/deployments/{deployment['id']}", {"status": "failed"}, 200)
    failing = eventually(
        lambda: (s := scrape(live_server.url)).value("pond_deployments", status="failed") == 1 and s,
        timeout=WITHIN,
        message=worker.log_tail,
    )
    assert failing.value("pond_deployments", status="active") == 0
    assert failing.value("pond_incidents_open") == 1

    assert failing.value("pond_reviews_pending") == 0
    reviews.promotion_request_create(
        user=users_for_reviews, model_id=model["id"], version_id=version["id"], to_status="staging", note="ready"
    )
    assert scrape(live_server.url).value("pond_reviews_pending") == 1


@pytest.fixture
def users_for_reviews(viewer):
    from tests.support.people import users_with_roles

    return users_with_roles({"bob": "engineer"})["bob"]
