"""The poller and maintenance windows, against the embedded registry over HTTP: a failure
inside a window opens no incident (its event is still recorded); one still going on
when the window ends opens an incident then, dated from the end of the window."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from webui.jfrogml import services
from webui.status.models import DeploymentEvent, DeploymentState, Incident, MaintenanceWindow
from webui.status.poller import poll

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.POND_POLL_INTERVAL = 1
    settings.POND_POLL_FAST_INTERVAL = 0.5
    settings.POND_STATUS_CONFIRMATIONS = 2
    settings.POND_STATUS_PUBLIC = True
    settings.JFROG_ML_RETRIES = 0
    settings.JFROG_ML_READ_TIMEOUT = 5
    settings.REGISTRY_DEPLOY_DELAY = 0


def _deployment(name: str) -> tuple[str, str]:
    model = services.model_create(name=f"{name}-model", framework="sklearn")
    version = services.version_create(model_id=model.id, version="1.0.0")
    deployment = services.deployment_create(
        name=name, model_id=model.id, model_version_id=version.id
    )
    return model.id, deployment.id


def _window(scope: str, target: str, *, hours: float = 1) -> MaintenanceWindow:
    now = timezone.now()
    return MaintenanceWindow.objects.create(
        scope=scope, target_id=target, starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=hours),
        created_by="alice", created_at=now,
    )  # fmt: skip


def _fail(deployment_id: str) -> None:
    services.deployment_update(deployment_id=deployment_id, status="failed")
    poll(force=True)
    poll(force=True)  # confirmed


def test_a_failure_inside_a_window_opens_no_incident_until_the_window_ends(upstream_url):
    model_id, in_window = _deployment("in-window")
    _, outside = _deployment("outside")
    poll(force=True)
    poll(force=True)
    window = _window("deployment", in_window)
    _fail(in_window)
    _fail(outside)
    # The failure is recorded and confirmed, but only the deployment outside opens one.
    assert DeploymentEvent.objects.filter(deployment_id=in_window, to_status="failed").exists()
    assert list(Incident.objects.values_list("deployment_id", flat=True)) == [outside]
    poll(force=True)
    assert Incident.objects.filter(deployment_id=in_window).count() == 0
    # The window ends with the deployment still failing: the next poll opens it, once,
    # dated from the end of the maintenance.
    end = timezone.now()
    MaintenanceWindow.objects.filter(pk=window.pk).update(ends_at=end)
    poll(force=True)
    poll(force=True)
    incident = Incident.objects.get(deployment_id=in_window)
    assert (incident.status, incident.started_at, incident.ended_at) == ("failed", end, None)


def test_a_window_of_the_model_covers_its_deployments_and_a_recovery_inside_opens_nothing(
    upstream_url,
):
    model_id, deployment_id = _deployment("model-wide")
    poll(force=True)
    poll(force=True)
    window = _window("model", model_id)
    _fail(deployment_id)
    services.deployment_update(deployment_id=deployment_id, status="deploying")  # a redeploy
    poll(force=True)
    poll(force=True)
    assert DeploymentState.objects.get(deployment_id=deployment_id).confirmed_status == "active"
    MaintenanceWindow.objects.filter(pk=window.pk).update(ends_at=timezone.now())
    poll(force=True)
    assert Incident.objects.count() == 0


def test_a_failure_first_seen_inside_a_window_but_confirmed_after_it_opens_at_its_end(upstream_url):
    _, deployment_id = _deployment("late-confirm")
    poll(force=True)
    poll(force=True)
    window = _window("deployment", deployment_id)
    services.deployment_update(deployment_id=deployment_id, status="failed")
    poll(force=True)  # seen once, inside the window
    end = timezone.now()
    MaintenanceWindow.objects.filter(pk=window.pk).update(cancelled_at=end)  # cancelled: over now
    poll(force=True)  # confirmed after it
    incident = Incident.objects.get()
    assert incident.started_at == end


def test_a_failure_after_a_window_is_an_ordinary_incident(upstream_url):
    _, deployment_id = _deployment("after")
    poll(force=True)
    poll(force=True)
    window = _window("deployment", deployment_id)
    MaintenanceWindow.objects.filter(pk=window.pk).update(ends_at=timezone.now())
    _fail(deployment_id)
    incident = Incident.objects.get()
    first_seen = DeploymentEvent.objects.get(
        deployment_id=deployment_id, to_status="failed"
    ).observed_at
    assert incident.started_at == first_seen
