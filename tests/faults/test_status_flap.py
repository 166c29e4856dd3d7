"""A status that flaps once does not become an incident; one that holds does.

A real worker with beat polls a real upstream whose deployment fails for exactly
one poll. State changes need POND_STATUS_CONFIRMATIONS consecutive observations
(documented in webui/settings.py); the raw flap is still recorded as events.
(tests/status/test_poller_records.py proves the rule on the recording functions.)
"""

from __future__ import annotations

import pytest

from tests.support.faultserver import FaultServer, json_response, sequence
from tests.support.worker import celery_worker, eventually, worker_env
from webui.status.models import DeploymentEvent, Incident, PollerHealth

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.redis, pytest.mark.celery]


def _body(status: str) -> dict:
    return {"deployments": [{"id": "dep_1", "name": "d1", "model_id": "mdl_1", "model_version_id": "ver_1", "status": status}]}


def test_a_single_failed_poll_is_recorded_but_opens_no_incident_and_a_held_failure_does(redis_url, redis_cache, tmp_path):
    with FaultServer() as upstream:
        flap = sequence(*(json_response(_body(s)) for s in ["active", "active", "active", "failed", "active"]))
        upstream.on("GET", "/v1/deployments", flap)
        env = worker_env(upstream_url=upstream.url, redis_url=redis_url, cache_prefix=redis_cache, poll_interval=1.0,
                         extra={"POND_STATUS_CONFIRMATIONS": "2"})  # fmt: skip
        with celery_worker(env=env, tmp_path=tmp_path) as worker:
            eventually(lambda: upstream.count("GET", "/v1/deployments") >= 7 or not worker.alive(), timeout=60,
                       message=worker.log_tail())  # fmt: skip
            assert worker.alive(), worker.log_tail()
            flapped = list(DeploymentEvent.objects.order_by("sequence").values_list("to_status", flat=True))
            assert flapped == ["active", "failed", "active"], flapped
            assert not Incident.objects.exists()

            # The control: a failure that holds for two polls is an incident.
            upstream.on("GET", "/v1/deployments", json_response(_body("failed")))
            eventually(lambda: Incident.objects.filter(deployment_id="dep_1", status="failed").exists(), timeout=15,
                       message=worker.log_tail())  # fmt: skip
            assert PollerHealth.objects.get(pk=1).consecutive_failures == 0
