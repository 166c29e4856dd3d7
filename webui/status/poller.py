"""The deployment poller: observe upstream deployment statuses, record what changed.

One poll = one `services.deployments_refresh()` (which also refreshes the cached
deployment list that pages read), then one short transaction per deployment that
writes its event (if its status changed) together with its "last known" row, then
the poller's health row, then the published status document (webui.status.document).

Why it is safe under real conditions:
- `poll()` holds `locks.lock(POLL_LOCK)`: two beats or workers never poll at once;
  the loser returns at once (`reason="locked"`).
- An event's sequence number is taken from the deployment's row in the same
  transaction that writes the event, and (deployment_id, sequence) is unique: a
  poll killed between two deployments has committed exactly the ones it finished,
  and the next poll (or a retried task) sees the others' changes still pending,
  so nothing is lost and nothing is written twice.
- An upstream failure is recorded on the health row ("could not reach JFrog ML
  since ...") and backs off; it never touches deployment rows, so an outage can
  not produce a false incident.

Scheduling: the beat ticks every POND_POLL_FAST_INTERVAL; a tick polls only when
due (`_due`): POND_POLL_INTERVAL after the previous poll, the fast interval while
anything is `deploying` or unconfirmed, and with exponential backoff after failures.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from webui.activity.observed import deployment_confirmed
from webui.jfrogml import errors, locks, services
from webui.metrics import instruments
from webui.status import incidents, maintenance, webhooks
from webui.status.models import (
    GONE,
    ID_MAX,
    NAME_MAX,
    STATUS_MAX,
    DeploymentEvent,
    DeploymentState,
    Incident,
    ObservationWindow,
    PollerHealth,
)

log = logging.getLogger("pond.status.poller")

POLL_LOCK = "status:deployment-poll"
# How long a Redis-held poll lock outlives a worker killed while holding it. A live
# poller keeps renewing it (locks.lock(renew=True)), so it can be short: one poll
# interval, at least POLL_LOCK_MIN seconds. A restarted worker then polls within two
# intervals (the fault drills measured 25 s of "locked" ticks with a fixed 30 s).
# Should renewal ever fail, the unique constraints still keep a second poller from
# duplicating events.
POLL_LOCK_MIN = 2.0


def _poll_lock_lease() -> float:
    return max(float(settings.POND_POLL_INTERVAL), POLL_LOCK_MIN)


@dataclass(frozen=True)
class Observation:
    """One deployment as one poll saw it (primitive fields only)."""

    deployment_id: str
    status: str
    name: str = ""
    model_id: str = ""
    version_id: str = ""

    @classmethod
    def from_deployment(cls, deployment: Any) -> Observation:
        return cls(
            deployment_id=str(deployment.id),
            status=str(deployment.status or "unknown"),
            name=str(getattr(deployment, "name", "") or ""),
            model_id=str(getattr(deployment, "model_id", "") or ""),
            version_id=str(getattr(deployment, "model_version_id", "") or ""),
        )

    def fitted(self) -> Observation:
        """Upstream text cut to Pond's columns (and without NUL, which PostgreSQL refuses):
        one hostile deployment must not fail the poll (and so the status page) for every other."""
        return replace(
            self,
            status=_clean(self.status)[:STATUS_MAX],
            name=_clean(self.name)[:NAME_MAX],
            model_id=_clean(self.model_id)[:ID_MAX],
            version_id=_clean(self.version_id)[:ID_MAX],
        )

    @property
    def trackable(self) -> bool:
        """An id Pond can key on: no NUL, and within what an index entry holds in bytes."""
        return "\x00" not in self.deployment_id and len(self.deployment_id.encode("utf-8", "replace")) <= ID_MAX


def _clean(text: str) -> str:
    return text.replace("\x00", "")


@dataclass(frozen=True)
class ConfirmedChange:
    deployment_id: str
    name: str
    model_id: str
    version_id: str
    from_status: str  # "" for a deployment's first confirmed status
    to_status: str
    since: datetime
    # The catalog's names at the time ("" when it could not tell): what people read.
    model_name: str = ""
    version_label: str = ""


@dataclass
class PollOutcome:
    polled: bool
    reason: str  # "ok", "locked", "not due", "upstream error"
    deployments: int = 0
    events: int = 0
    error: str = ""
    retry_after: float | None = None
    confirmed: list[ConfirmedChange] = field(default_factory=list)


def poll(*, force: bool = False, now: datetime | None = None) -> PollOutcome:
    """Poll once if due (always, with `force`) and nobody else is polling."""
    with locks.lock(POLL_LOCK, timeout=_poll_lock_lease(), blocking=False, renew=True) as acquired:
        if not acquired:
            return PollOutcome(polled=False, reason="locked")
        now = now or timezone.now()
        health = _health()
        if not force and not _due(health, now):
            return PollOutcome(polled=False, reason="not due")
        PollerHealth.objects.filter(pk=health.pk).update(last_started_at=now)
        started = time.monotonic()
        try:
            deployments = services.deployments_refresh()
        except errors.JFrogMLError as exc:
            retry_after = getattr(exc, "retry_after", None)
            record_failure(error=_describe(exc), now=now, retry_after=retry_after)
            instruments.poll_observed(result="upstream_error")
            _maintenance(now=now, observed=False)
            _publish()
            log.warning("deployment poll failed: %s", _describe(exc))
            return PollOutcome(
                polled=False, reason="upstream error", error=_describe(exc), retry_after=retry_after
            )
        observations = [Observation.from_deployment(d) for d in deployments]
        events, confirmed = record_observations(observations, now=now)
        cycle_seconds = time.monotonic() - started
        record_success(now=now, cycle_seconds=cycle_seconds)
        instruments.poll_observed(result="ok", seconds=cycle_seconds)
        _maintenance(now=now, observed=True)
        _publish()
        return PollOutcome(
            polled=True,
            reason="ok",
            deployments=len(observations),
            events=events,
            confirmed=confirmed,
        )


def _describe(exc: Exception) -> str:
    message = getattr(exc, "message", "") or str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {message}"


def _maintenance(*, now: datetime, observed: bool) -> None:
    """Each poll cycle announces the maintenance windows that started or ended, once, and
    opens the incidents they held back (webui.status.maintenance.sweep); never failing
    the poll."""
    try:
        maintenance.sweep(now=now, observed=observed)
    except Exception:
        log.exception("maintenance sweep failed; the next poll tries again")


def _publish() -> None:
    # Imported here: document imports this module's models only, but keeping the
    # publishing step late-bound lets record_* be used without the page machinery.
    from webui.status.document import publish

    publish()


def _health() -> PollerHealth:
    health, _ = PollerHealth.objects.get_or_create(pk=1)
    return health


def poll_interval(*, busy: bool) -> float:
    return settings.POND_POLL_FAST_INTERVAL if busy else settings.POND_POLL_INTERVAL


def _busy() -> bool:
    """Anything still settling: a deployment deploying, or a status not yet confirmed."""
    return (
        DeploymentState.objects.exclude(status=GONE, confirmed_status=GONE)
        .filter(status="deploying")
        .exists()
        or DeploymentState.objects.exclude(status=GONE, confirmed_status=GONE)
        .filter(streak__lt=settings.POND_STATUS_CONFIRMATIONS)
        .exists()
    )


def _due(health: PollerHealth, now: datetime) -> bool:
    if health.consecutive_failures and health.next_attempt_at:
        return now >= health.next_attempt_at
    if health.last_started_at is None:
        return True
    interval = poll_interval(busy=_busy())
    # Half a beat tick of slack: a tick that arrives a hair early still polls,
    # otherwise a 1 s interval on a 1 s beat would poll every 2 s.
    slack = settings.POND_POLL_FAST_INTERVAL / 2
    return (now - health.last_started_at).total_seconds() >= interval - slack


def backoff_seconds(failures: int, *, retry_after: float | None = None) -> float:
    """Exponential backoff with jitter from one poll interval, capped; Retry-After wins if longer."""
    base = settings.POND_POLL_INTERVAL * (2 ** max(0, failures - 1))
    delay = min(settings.POND_POLL_BACKOFF_MAX, base) * random.uniform(0.8, 1.0)
    if retry_after:
        delay = max(delay, min(float(retry_after), settings.POND_POLL_BACKOFF_MAX))
    return delay


def record_failure(*, error: str, now: datetime, retry_after: float | None = None) -> PollerHealth:
    with transaction.atomic():
        health = PollerHealth.objects.select_for_update().get_or_create(pk=1)[0]
        health.consecutive_failures += 1
        health.last_error = error[:2000]
        if health.error_since is None:
            health.error_since = now
        health.next_attempt_at = now + timedelta(
            seconds=backoff_seconds(health.consecutive_failures, retry_after=retry_after)
        )
        health.save()
    return health


def record_success(*, now: datetime, cycle_seconds: float) -> PollerHealth:
    """Mark a good poll and extend (or open) the observation window it falls in."""
    stale_after = timedelta(
        seconds=settings.POND_STATUS_STALE_INTERVALS * settings.POND_POLL_INTERVAL
    )
    with transaction.atomic():
        health = PollerHealth.objects.select_for_update().get_or_create(pk=1)[0]
        health.last_success_at = now
        health.last_error = ""
        health.error_since = None
        health.consecutive_failures = 0
        health.next_attempt_at = None
        health.last_cycle_seconds = cycle_seconds
        health.save()
        window = ObservationWindow.objects.select_for_update().order_by("-ended_at").first()
        if window is not None and window.ended_at <= now and now - window.ended_at <= stale_after:
            window.ended_at = now
            window.save(update_fields=["ended_at"])
        elif window is None or window.ended_at < now:
            ObservationWindow.objects.create(started_at=now, ended_at=now)
    return health


def record_observations(
    observations: Iterable[Observation], *, now: datetime
) -> tuple[int, list[ConfirmedChange]]:
    """Apply one poll's view of every deployment; returns (events written, confirmed changes).

    Deployments the poll did not list are observed as GONE. Each deployment is its
    own transaction, so a poll killed half-way has lost nothing it committed.
    """
    seen: dict[str, Observation] = {}
    for observation in observations:
        if not observation.trackable:
            log.warning("a deployment id of %d characters cannot be tracked (over %d bytes, or a NUL)",
                        len(observation.deployment_id), ID_MAX)  # fmt: skip
            continue
        seen[observation.deployment_id] = observation.fitted()
    known = {
        row[0]: row[1:]
        for row in DeploymentState.objects.values_list(
            "deployment_id",
            "status",
            "confirmed_status",
            "streak",
            "name",
            "model_id",
            "version_id",
        ).iterator()
    }
    events = 0
    confirmed: list[ConfirmedChange] = []
    settled: list[str] = []
    for observation in seen.values():
        if _settled(observation, known.get(observation.deployment_id)):
            settled.append(observation.deployment_id)
            continue
        wrote, change = observe(observation, now=now)
        events += wrote
        if change:
            confirmed.append(change)
    # Nothing to decide for a deployment whose confirmed status was seen again:
    # one UPDATE for all of them instead of a transaction each (1,000 deployments
    # would otherwise cost seconds a poll). Chunked for SQLite's parameter limit.
    for index in range(0, len(settled), 500):
        DeploymentState.objects.filter(deployment_id__in=settled[index : index + 500]).update(
            last_observed_at=now
        )
    # Known deployments missing from the list: gone (until the goneness is confirmed).
    missing = [
        deployment_id
        for deployment_id, (status, confirmed_status, *_) in known.items()
        if deployment_id not in seen and not (status == GONE and confirmed_status == GONE)
    ]
    for deployment_id in missing:
        wrote, change = observe(Observation(deployment_id=deployment_id, status=GONE), now=now)
        events += wrote
        if change:
            confirmed.append(change)
    return events, confirmed


def _settled(observation: Observation, known: tuple | None) -> bool:
    """Seen again exactly as already confirmed: no event, no confirmation, no rename."""
    if known is None:
        return False
    status, confirmed_status, streak, name, model_id, version_id = known
    return (
        observation.status == status == confirmed_status
        and streak >= settings.POND_STATUS_CONFIRMATIONS
        and (observation.name or name) == name
        and (observation.model_id or model_id) == model_id
        and (observation.version_id or version_id) == version_id
    )


def observe(observation: Observation, *, now: datetime) -> tuple[int, ConfirmedChange | None]:
    """Record one deployment's observed status; returns (events written, confirmed change)."""
    wrote = 0
    with transaction.atomic():
        state = (
            DeploymentState.objects.select_for_update()
            .filter(deployment_id=observation.deployment_id)
            .first()
        )
        if state is None:
            if observation.status == GONE:
                return 0, None
            state = DeploymentState(
                deployment_id=observation.deployment_id,
                status=observation.status,
                status_since=now,
                streak=1,
                sequence=0,
                first_observed_at=now,
                last_observed_at=now,
            )
            wrote = _event(state, from_status="", observation=observation, now=now)
        elif state.status != observation.status:
            from_status = state.status
            wrote = _event(state, from_status=from_status, observation=observation, now=now)
            state.status = observation.status
            state.status_since = now
            state.streak = 1
        else:
            state.streak += 1
        if observation.status != GONE:
            state.name = observation.name or state.name
            state.model_id = observation.model_id or state.model_id
            state.version_id = observation.version_id or state.version_id
            state.last_observed_at = now
        change = None
        if (
            state.streak >= settings.POND_STATUS_CONFIRMATIONS
            and state.status != state.confirmed_status
        ):
            change = _confirm(state)
        state.save()
        if change is not None:
            # The webhook outbox rows commit with the confirmation itself: a poll killed
            # after this transaction delays the message (the outbox sweep sends it), a
            # poll killed before it confirms again next time. Never one without the other.
            # Planned downtime is not news: a change inside a maintenance window is
            # recorded and shown, not announced (an incident it outlives is, by sweep).
            if not maintenance.under_way(deployment_id=state.deployment_id, model_id=state.model_id, at=now):
                webhooks.change_announce(change)
            _outside_pond(state, change, now=now)
    return wrote, change


def _outside_pond(state: DeploymentState, change: ConfirmedChange, *, now: datetime) -> None:
    """A deployment that appeared or went away without a write through Pond goes on the
    record as observed (webui.activity.observed), once: in the confirming transaction."""
    if change.from_status and change.to_status != GONE:
        return  # a status change of a deployment that stays: the status page's business
    watched_before = (
        DeploymentEvent.objects.filter(observed_at__lt=state.first_observed_at)
        .exclude(deployment_id=state.deployment_id)
        .exists()
    )
    deployment_confirmed(
        deployment_id=state.deployment_id, name=state.name, model_id=state.model_id, version_id=state.version_id,
        from_status=change.from_status, to_status=change.to_status, first_seen=state.first_observed_at,
        watched_before=watched_before, now=now,
    )  # fmt: skip


def _event(
    state: DeploymentState, *, from_status: str, observation: Observation, now: datetime
) -> int:
    sequence = state.sequence + 1
    _, created = DeploymentEvent.objects.get_or_create(
        deployment_id=state.deployment_id,
        sequence=sequence,
        defaults={
            "model_id": observation.model_id or state.model_id,
            "version_id": observation.version_id or state.version_id,
            "from_status": from_status,
            "to_status": observation.status,
            "observed_at": now,
        },
    )
    state.sequence = sequence
    return int(created)


def _confirm(state: DeploymentState) -> ConfirmedChange:
    """The raw status has held long enough: it becomes the confirmed one."""
    old, new = state.confirmed_status, state.status
    state.confirmed_status = new
    state.confirmed_since = state.status_since
    incident_statuses = set(settings.POND_STATUS_INCIDENT_STATUSES)
    names = incidents.catalog_names(model_id=state.model_id, version_id=state.version_id)
    # Inside a maintenance window a failure opens no incident; one that outlives the
    # window opens at its end (here if confirmed after it, else maintenance.sweep).
    opens_at = (
        maintenance.incident_start(
            deployment_id=state.deployment_id, model_id=state.model_id, since=state.status_since,
            now=state.last_observed_at,
        )
        if new in incident_statuses and old not in incident_statuses
        else None
    )  # fmt: skip
    if opens_at is not None:
        Incident.objects.get_or_create(
            deployment_id=state.deployment_id,
            opened_by_sequence=state.sequence,
            defaults={
                "deployment_name": state.name,
                "model_id": state.model_id,
                "version_id": state.version_id,
                "status": new,
                # Dated from the first poll that saw it (or the end of its maintenance),
                # not from its confirmation.
                "started_at": opens_at,
                # Names at the time and the promotion just before (never failing the poll).
                **incidents.opening_facts(model_id=state.model_id, started_at=opens_at, names=names),
            },
        )
    elif old in incident_statuses and new not in incident_statuses:
        Incident.objects.filter(deployment_id=state.deployment_id, ended_at__isnull=True).update(
            ended_at=state.status_since, recovered_to=new
        )
    return ConfirmedChange(
        deployment_id=state.deployment_id,
        name=state.name,
        model_id=state.model_id,
        version_id=state.version_id,
        from_status=old,
        to_status=new,
        since=state.status_since,
        model_name=names.model,
        version_label=names.version,
    )
