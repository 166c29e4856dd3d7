"""Plausible status history for a demo, so the status page is not empty on first sight.

`seed_history()` writes, for each deployment, 90 days of events (a deploy, a few
failures and recoveries, the odd stop and redeploy) ending in the deployment's
current status, the incidents those imply, its "last known" row, and observation
windows covering the period (with one short poller outage, which the uptime
figures leave out). Deterministic per deployment ID, and idempotent: deployments
Pond already has history for are left alone, as are existing windows.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from webui.status.models import DeploymentEvent, DeploymentState, Incident, ObservationWindow
from webui.status.poller import Observation


def _observation(deployment: Any) -> Observation:
    if isinstance(deployment, dict):
        return Observation(
            deployment_id=str(deployment["id"]),
            status=str(deployment.get("status") or "active"),
            name=str(deployment.get("name") or ""),
            model_id=str(deployment.get("model_id") or ""),
            version_id=str(
                deployment.get("model_version_id") or deployment.get("version_id") or ""
            ),
        )
    return Observation.from_deployment(deployment)


def seed_history(
    *, days: int = 90, deployments: Iterable[Any] | None = None, now: datetime | None = None
) -> int:
    """Seed history for `deployments` (default: the service layer's list); returns how many got one."""
    if deployments is None:
        from webui.jfrogml import services

        deployments = services.deployments_refresh()
    now = now or timezone.now()
    start = now - timedelta(days=days)
    seeded = 0
    for deployment in deployments:
        observation = _observation(deployment)
        if _seed_one(observation, start=start, now=now):
            seeded += 1
    _seed_windows(start=start, now=now)
    from webui.status.document import publish

    publish(now=now)
    return seeded


def _timeline(
    observation: Observation, *, start: datetime, now: datetime
) -> list[tuple[datetime, str]]:
    """(time, status) changes from the first deploy to `now`, ending in the current status."""
    rng = random.Random(f"pond-demo:{observation.deployment_id}")  # noqa: S311 - a demo, not security
    span = (now - start).total_seconds()
    t = start + timedelta(seconds=rng.uniform(0, span * 0.3))
    points = [(t, "deploying")]
    t += timedelta(minutes=rng.uniform(2, 6))
    points.append((t, "active"))
    while True:
        t += timedelta(hours=rng.expovariate(1 / (24 * rng.uniform(8, 30))))
        if t >= now - timedelta(hours=2):
            break
        roll = rng.random()
        if roll < 0.7:  # a failure, then a recovery
            points.append((t, "failed"))
            t += timedelta(minutes=rng.choice([4, 9, 17, 35, 70, 180]) * rng.uniform(0.8, 1.2))
        else:  # a stop for maintenance, then a redeploy
            points.append((t, "stopped"))
            t += timedelta(hours=rng.uniform(0.5, 5))
            points.append((t, "deploying"))
            t += timedelta(minutes=rng.uniform(2, 6))
        if t >= now - timedelta(minutes=30):
            break
        points.append((t, "active"))
    points = [p for p in points if p[0] < now - timedelta(minutes=2)] or [
        (now - timedelta(minutes=2), "active")
    ]
    if points[-1][1] != observation.status:
        # End in the status the deployment really has now.
        points.append(
            (
                max(points[-1][0] + timedelta(seconds=30), now - timedelta(minutes=20)),
                observation.status,
            )
        )
    return points


def _seed_one(observation: Observation, *, start: datetime, now: datetime) -> bool:
    with transaction.atomic():
        if (
            DeploymentState.objects.select_for_update()
            .filter(deployment_id=observation.deployment_id)
            .exists()
        ):
            return False
        points = _timeline(observation, start=start, now=now)
        incident_statuses = set(settings.POND_STATUS_INCIDENT_STATUSES)
        previous = ""
        events: list[DeploymentEvent] = []
        incidents: list[Incident] = []
        open_incident: Incident | None = None
        for sequence, (at, status) in enumerate(points, start=1):
            events.append(
                DeploymentEvent(
                    deployment_id=observation.deployment_id,
                    sequence=sequence,
                    model_id=observation.model_id,
                    version_id=observation.version_id,
                    from_status=previous,
                    to_status=status,
                    observed_at=at,
                )
            )
            if status in incident_statuses and open_incident is None:
                open_incident = Incident(
                    deployment_id=observation.deployment_id,
                    deployment_name=observation.name,
                    model_id=observation.model_id,
                    version_id=observation.version_id,
                    status=status,
                    started_at=at,
                    opened_by_sequence=sequence,
                )
                incidents.append(open_incident)
            elif status not in incident_statuses and open_incident is not None:
                open_incident.ended_at = at
                open_incident.recovered_to = status
                open_incident = None
            previous = status
        DeploymentEvent.objects.bulk_create(events)
        Incident.objects.bulk_create(incidents)
        last_at, last_status = points[-1]
        DeploymentState.objects.create(
            deployment_id=observation.deployment_id,
            name=observation.name,
            model_id=observation.model_id,
            version_id=observation.version_id,
            status=last_status,
            status_since=last_at,
            streak=settings.POND_STATUS_CONFIRMATIONS,
            confirmed_status=last_status,
            confirmed_since=last_at,
            sequence=len(points),
            first_observed_at=points[0][0],
            last_observed_at=now,
        )
    return True


def _seed_windows(*, start: datetime, now: datetime) -> None:
    """The poller "ran" the whole period but for a two-hour outage 40 days ago."""
    if ObservationWindow.objects.filter(started_at__lte=start + timedelta(days=1)).exists():
        return
    outage = now - timedelta(days=40)
    with transaction.atomic():
        ObservationWindow.objects.create(started_at=start, ended_at=outage)
        ObservationWindow.objects.create(started_at=outage + timedelta(hours=2), ended_at=now)
