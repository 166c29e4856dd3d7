"""Pond's state as /metrics reports it, from what the poller recorded: deployments per
confirmed status (an upstream status outside the spec is "other", never a label of
its own), and a poller that never succeeded."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.metrics.conftest import scrape
from webui.status.poller import Observation, record_observations, record_success

pytestmark = pytest.mark.django_db(transaction=True)

HOSTILE_STATUS = 'evil"} 1\n# x{a="\\'


def test_a_poller_that_never_succeeded_is_infinitely_old(live_server):
    got = scrape(live_server.url)
    assert math.isinf(got.value("pond_poller_last_success_age_seconds"))
    assert got.value("pond_state_up") == 1


def test_deployments_are_counted_per_confirmed_status_and_hostile_statuses_are_other(live_server, settings):
    settings.POND_STATUS_CONFIRMATIONS = 2
    start = timezone.now() - timedelta(seconds=30)
    seen = {"d-1": "active", "d-2": "active", "d-3": "failed", "evil/../?#" + "é" * 50: HOSTILE_STATUS}
    for i in range(2):
        record_observations([Observation(deployment_id=d, status=s) for d, s in seen.items()], now=start + timedelta(seconds=i))
    record_observations([Observation(deployment_id=d, status=s) for d, s in {**seen, "d-new": "deploying"}.items()], now=start + timedelta(seconds=2))
    record_success(now=start + timedelta(seconds=2), cycle_seconds=0.25)

    got = scrape(live_server.url)
    assert got.value("pond_deployments", status="active") == 2
    assert got.value("pond_deployments", status="failed") == 1
    assert got.value("pond_deployments", status="other") == 1
    assert got.value("pond_deployments", status="unconfirmed") == 1  # seen once: not confirmed yet
    assert got.value("pond_deployments", status="stopped") == 0  # every known status has a series
    assert got.value("pond_incidents_open") == 1
    assert got.value("pond_poller_last_cycle_seconds") == 0.25
    assert 28 <= got.value("pond_poller_last_success_age_seconds") < 120
    assert "evil" not in got.text and "é" not in got.text
    assert {labels["status"] for labels in got.labels_of("pond_deployments")} == {
        "deploying", "active", "stopped", "failed", "other", "unconfirmed",
    }  # fmt: skip
