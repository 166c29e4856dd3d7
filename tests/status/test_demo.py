"""Demo history: plausible, consistent with the current status, idempotent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from webui.status import document
from webui.status.demo import seed_history
from webui.status.models import DeploymentEvent, DeploymentState, Incident, ObservationWindow
from webui.status.poller import Observation, record_observations

pytestmark = pytest.mark.django_db

DEPLOYMENTS = [
    {"id": "dep_a", "name": "a", "model_id": "m1", "model_version_id": "v1", "status": "active"},
    {"id": "dep_b", "name": "b", "model_id": "m1", "model_version_id": "v2", "status": "failed"},
    {"id": "dep_c", "name": "c", "model_id": "m2", "model_version_id": "v3", "status": "stopped"},
]


def test_it_seeds_ninety_days_ending_in_each_current_status():
    now = timezone.now()
    assert seed_history(deployments=DEPLOYMENTS, now=now) == 3
    for d in DEPLOYMENTS:
        state = DeploymentState.objects.get(deployment_id=d["id"])
        assert (state.status, state.confirmed_status) == (d["status"], d["status"])
        events = list(DeploymentEvent.objects.filter(deployment_id=d["id"]).order_by("sequence"))
        assert events[0].from_status == "" and events[-1].to_status == d["status"]
        assert [e.sequence for e in events] == list(range(1, len(events) + 1))
        assert all(a.to_status == b.from_status for a, b in zip(events, events[1:], strict=False))
        assert all(now - timedelta(days=90) <= e.observed_at < now for e in events)
        assert state.sequence == len(events)
    # A failing deployment has exactly one open incident; recovered ones are closed.
    assert Incident.objects.filter(deployment_id="dep_b", ended_at__isnull=True).count() == 1
    assert not Incident.objects.filter(deployment_id="dep_a", ended_at__isnull=True).exists()


def test_it_is_idempotent():
    now = timezone.now()
    seed_history(deployments=DEPLOYMENTS, now=now)
    counts = (
        DeploymentEvent.objects.count(),
        Incident.objects.count(),
        ObservationWindow.objects.count(),
    )
    assert seed_history(deployments=DEPLOYMENTS, now=now + timedelta(minutes=5)) == 0
    assert counts == (
        DeploymentEvent.objects.count(),
        Incident.objects.count(),
        ObservationWindow.objects.count(),
    )


def test_the_seeded_page_has_uptime_figures_and_bars(client, settings):
    settings.POND_STATUS_PUBLIC = True
    seed_history(deployments=DEPLOYMENTS)
    data = client.get("/status.json").json()
    assert {d["id"] for d in data["deployments"]} == {"dep_a", "dep_b", "dep_c"}
    assert all(d["uptime"]["90d"] is not None for d in data["deployments"])
    assert data["incidents"]
    bar = client.get("/status/bar/dep_a.svg").content.decode()
    assert bar.count("<rect") == 90


def test_the_poller_continues_a_seeded_history_without_a_spurious_event():
    now = timezone.now()
    seed_history(deployments=DEPLOYMENTS, now=now)
    before = DeploymentEvent.objects.count()
    record_observations(
        [
            Observation(deployment_id=d["id"], status=d["status"], name=d["name"])
            for d in DEPLOYMENTS
        ],
        now=now + timedelta(seconds=5),
    )
    assert DeploymentEvent.objects.count() == before
    document.publish()
