"""Maintenance windows: planned downtime of one deployment, or of every deployment of
one model.

Inside a window a failure opens no incident (the poller still records the event), and
its time counts neither as up nor as down: uptime leaves it out and shows it apart
(the arithmetic is webui.status.uptime's: `effective_window`, `outside`,
`window_seconds`). Here: what may be scheduled (`schedule` checks the form and writes
nothing on bad input), cancelling, which windows cover what and when, and the poll
cycle's `sweep`, which announces each window's start and end exactly once and opens
the incident of a failure still going on when the window ends.

Who may schedule and cancel: access.can_operate. Times are UTC.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from webui.activity.models import Activity
from webui.activity.services import activity_record
from webui.status import incidents, uptime, webhooks
from webui.status.models import NAME_MAX, DeploymentState, Incident, MaintenanceWindow
from webui.status.text import control_problem, name_kept, typed

log = logging.getLogger("pond.status.maintenance")

# The activity record's word for these (Activity.object_kind holds 16 characters).
ACTIVITY_KIND = "maintenance"
# A window may start this far in the past ("from now" typed a minute ago), no further:
# maintenance is planned, not a way to rewrite past uptime.
PAST_GRACE = timedelta(minutes=5)
MAX_LENGTH = timedelta(days=30)
# How far ahead a window may be scheduled.
MAX_AHEAD = timedelta(days=365)
REASON_MAX = MaintenanceWindow.REASON_MAX
TIME_FORMAT = "%Y-%m-%d %H:%M"
TIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S")


# --- what may be scheduled ------------------------------------------------------------


@dataclass
class WindowForm:
    """What the schedule form sent, and what is wrong with it (field name first)."""

    scope: str = MaintenanceWindow.DEPLOYMENT
    model: str = ""
    deployment: str = ""
    starts_at: str = ""
    ends_at: str = ""
    reason: str = ""
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_post(cls, post) -> WindowForm:
        return cls(
            scope=post.get("scope", ""),
            model=post.get("model", ""),
            deployment=post.get("deployment", ""),
            starts_at=post.get("starts_at", "").strip(),
            ends_at=post.get("ends_at", "").strip(),
            reason=typed(post.get("reason", "")),
        )

    def error_for(self, name: str) -> str:
        """The first error of one field (for the message next to it)."""
        prefix = f"{name}: "
        return next((e[len(prefix) :] for e in self.errors if e.startswith(prefix)), "")


def parse_utc(text: str) -> datetime | None:
    """`YYYY-MM-DD HH:MM` (or the `T` of a datetime-local field), read as UTC."""
    for fmt in TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _check(form: WindowForm, *, now: datetime):
    """Fill `form.errors`; (target, starts, ends) when it is fine."""
    from webui.status.subscriptions import targets  # the status page's models and deployments

    errors = form.errors
    known = targets()
    target = None
    if form.scope == MaintenanceWindow.MODEL:
        target = known.model(form.model)
        if target is None:
            errors.append("model: choose one of the models on the status page.")
    elif form.scope == MaintenanceWindow.DEPLOYMENT:
        target = known.deployment(form.deployment)
        if target is None:
            errors.append("deployment: choose one of the deployments on the status page.")
    else:
        errors.append("scope: choose a deployment or a model.")
    starts = parse_utc(form.starts_at)
    ends = parse_utc(form.ends_at)
    if not form.starts_at:
        errors.append("starts_at: give the start (UTC), e.g. 2026-12-24 22:00.")
    elif starts is None:
        errors.append("starts_at: expected YYYY-MM-DD HH:MM (UTC).")
    elif starts < now - PAST_GRACE:
        errors.append(
            "starts_at: already in the past; maintenance cannot be scheduled after the fact."
        )
    elif starts > now + MAX_AHEAD:
        errors.append("starts_at: at most a year ahead.")
    if not form.ends_at:
        errors.append("ends_at: give the end (UTC).")
    elif ends is None:
        errors.append("ends_at: expected YYYY-MM-DD HH:MM (UTC).")
    elif starts is not None and ends <= starts:
        errors.append("ends_at: must be after the start.")
    elif starts is not None and ends - starts > MAX_LENGTH:
        errors.append(f"ends_at: a window lasts at most {MAX_LENGTH.days} days.")
    if problem := control_problem(form.reason):
        errors.append(f"reason: {problem}")
    elif len(form.reason) > REASON_MAX:
        errors.append(f"reason: at most {REASON_MAX} characters.")
    return target, starts, ends


def schedule(
    *, form: WindowForm, user: Any, now: datetime | None = None
) -> MaintenanceWindow | None:
    """Schedule the window the form describes, on the activity record; None (and nothing
    written) when `form.errors` says what is wrong."""
    now = now or timezone.now()
    target, starts, ends = _check(form, now=now)
    if form.errors:
        return None
    with transaction.atomic():
        window = MaintenanceWindow.objects.create(
            scope=form.scope,
            target_id=target.id,
            target_name=name_kept(target.name or "", NAME_MAX),
            starts_at=starts,
            ends_at=ends,
            reason=form.reason,
            created_by=user.get_username(),
            created_at=now,
        )
        activity_record(
            user=user,
            action=Activity.CREATED,
            kind=ACTIVITY_KIND,
            object_id=window.pk,
            object_name=describe(window),
            model_id=window.target_id if window.scope == MaintenanceWindow.MODEL else "",
            model_name=window.target_name if window.scope == MaintenanceWindow.MODEL else "",
            changes=_facts(window),
        )
    _republish()
    return window


def cancel(*, window: MaintenanceWindow, user: Any, now: datetime | None = None) -> bool:
    """Cancel it (a window under way ends now); False when it was already cancelled or over."""
    now = now or timezone.now()
    with transaction.atomic():
        changed = MaintenanceWindow.objects.filter(
            pk=window.pk, cancelled_at__isnull=True, ends_at__gt=now
        ).update(cancelled_at=now, cancelled_by=user.get_username())
        if not changed:
            return False
        window.cancelled_at, window.cancelled_by = now, user.get_username()
        activity_record(
            user=user,
            action=Activity.REVOKED,
            kind=ACTIVITY_KIND,
            object_id=window.pk,
            object_name=describe(window),
            model_id=window.target_id if window.scope == MaintenanceWindow.MODEL else "",
            model_name=window.target_name if window.scope == MaintenanceWindow.MODEL else "",
            details={**_facts(window), "under_way": window.starts_at <= now},
        )
    _republish()
    return True


def _facts(window: MaintenanceWindow) -> dict[str, Any]:
    return {
        "scope": window.scope,
        "target_id": window.target_id,
        "target_name": window.target_name,
        "starts_at": window.starts_at.isoformat(),
        "ends_at": window.ends_at.isoformat(),
        "reason": window.reason,
    }


def _republish() -> None:
    """The page shows a new or cancelled window at once, not at the next poll."""
    from webui.status.document import publish

    try:
        publish()
    except Exception:  # the window is saved; the next poll publishes it anyway
        log.exception("could not republish the status document after a maintenance change")


def describe(window: MaintenanceWindow) -> str:
    name = window.target_name or window.target_id
    return (
        f"{window.scope} {name}: {window.starts_at.astimezone(UTC):{TIME_FORMAT}} – "
        f"{window.ends_at.astimezone(UTC):{TIME_FORMAT}} UTC"
    )


# --- which windows cover what ---------------------------------------------------------


def effective(window: MaintenanceWindow) -> tuple[datetime, datetime] | None:
    return uptime.effective_window(window.starts_at, window.ends_at, window.cancelled_at)


def overlapping(start: datetime, end: datetime) -> list[MaintenanceWindow]:
    """Windows that cover some of [start, end), cancelled ones cut short (and those
    cancelled before they started left out)."""
    rows = MaintenanceWindow.objects.filter(starts_at__lt=end, ends_at__gt=start).filter(
        Q(cancelled_at__isnull=True) | Q(cancelled_at__gt=F("starts_at"))
    )
    return [w for w in rows if (span := effective(w)) and span[1] > start]


def active_at(now: datetime) -> list[MaintenanceWindow]:
    """Windows under way at `now`."""
    return [w for w in overlapping(now, now + timedelta(microseconds=1)) if effective(w)[0] <= now]


def upcoming(now: datetime) -> list[MaintenanceWindow]:
    """Windows not yet started and not cancelled, soonest first."""
    return list(
        MaintenanceWindow.objects.filter(starts_at__gt=now, cancelled_at__isnull=True).order_by(
            "starts_at", "id"
        )
    )


def covers(window: MaintenanceWindow, *, deployment_id: str, model_id: str) -> bool:
    if window.scope == MaintenanceWindow.DEPLOYMENT:
        return window.target_id == deployment_id
    return bool(model_id) and window.target_id == model_id


def spans_by_deployment(
    windows: list[MaintenanceWindow], states: list[DeploymentState]
) -> dict[str, list[tuple[datetime, datetime]]]:
    """{deployment id: the effective spans of the windows that cover it}."""
    by_deployment: dict[str, list] = defaultdict(list)
    by_model: dict[str, list] = defaultdict(list)
    for w in windows:
        span = effective(w)
        if span is None:
            continue
        (by_deployment if w.scope == MaintenanceWindow.DEPLOYMENT else by_model)[
            w.target_id
        ].append(span)
    return {
        s.deployment_id: sorted(
            by_deployment.get(s.deployment_id, [])
            + (by_model.get(s.model_id, []) if s.model_id else [])
        )
        for s in states
        if s.deployment_id in by_deployment or (s.model_id and s.model_id in by_model)
    }


def under_way(*, deployment_id: str, model_id: str, at: datetime) -> bool:
    """Is this deployment (or its model) in a maintenance window at `at`?"""
    return bool(_in_maintenance(deployment_id, model_id, at))


def _in_maintenance(
    deployment_id: str, model_id: str, at: datetime
) -> list[tuple[datetime, datetime]]:
    """The effective spans of the windows covering this deployment at `at`."""
    match = Q(scope=MaintenanceWindow.DEPLOYMENT, target_id=deployment_id)
    if model_id:
        match |= Q(scope=MaintenanceWindow.MODEL, target_id=model_id)
    rows = MaintenanceWindow.objects.filter(match, starts_at__lte=at, ends_at__gt=at)
    return [span for w in rows if (span := effective(w)) and span[0] <= at < span[1]]


def incident_start(
    *, deployment_id: str, model_id: str, since: datetime, now: datetime
) -> datetime | None:
    """When the incident of a failure confirmed `now`, first seen at `since`, starts;
    None: it opens none (yet), being inside maintenance.

    Outside any window: at `since`. Seen first inside a window still under way: none now
    (`sweep` opens it when the window ends, if the failure is still there). Inside a
    window that has ended by its confirmation: at the end of the maintenance."""
    at = since
    # Windows chained or overlapping: follow them to the end of the maintenance.
    for _ in range(100):
        spans = _in_maintenance(deployment_id, model_id, at)
        if not spans:
            break
        at = max(end for _, end in spans)
    if at > now:
        return None
    return at


# --- the poll cycle: announcements and the incidents maintenance held back ------------


def sweep(*, now: datetime, observed: bool = True) -> int:
    """Announce the windows that started or ended by `now`, each exactly once (a
    conditional UPDATE of start_announced_at / end_announced_at: two sweeps can never
    both announce one), and, when the poll `observed` the deployments, open the
    incidents of failures still going on after their window. Returns announcements made.

    Called by the poller on every poll cycle (webui.status.poller.poll), failed ones
    too: a window's start is news even while JFrog ML cannot be reached."""
    made = 0
    due_start = MaintenanceWindow.objects.filter(
        start_announced_at__isnull=True, starts_at__lte=now, cancelled_at__isnull=True
    ).filter(ends_at__gt=now)
    for window in due_start:
        with transaction.atomic():
            if MaintenanceWindow.objects.filter(
                pk=window.pk, start_announced_at__isnull=True
            ).update(start_announced_at=now):
                _announce(window, "maintenance_start")
                made += 1
    # A window ends when its time is up, or when it is cancelled under way (its start
    # was announced). One cancelled before it started, or over before any sweep saw
    # it start, is never announced at all.
    due_end = MaintenanceWindow.objects.filter(
        start_announced_at__isnull=False, end_announced_at__isnull=True
    ).filter(Q(ends_at__lte=now) | Q(cancelled_at__lte=now))
    for window in due_end:
        with transaction.atomic():
            if MaintenanceWindow.objects.filter(pk=window.pk, end_announced_at__isnull=True).update(
                end_announced_at=now
            ):
                _announce(window, "maintenance_end")
                made += 1
    # Windows that never got a start announcement and are over: settled without a word.
    MaintenanceWindow.objects.filter(
        start_announced_at__isnull=True, end_announced_at__isnull=True
    ).filter(Q(ends_at__lte=now) | Q(cancelled_at__lte=now)).update(end_announced_at=now)
    if observed:
        _open_held_back(now=now)
    return made


def _open_held_back(*, now: datetime) -> int:
    """Open the incident of every deployment confirmed failing, with none open, whose
    maintenance is over: the failure started inside a window and outlived it."""
    statuses = list(settings.POND_STATUS_INCIDENT_STATUSES)
    open_ids = Incident.objects.filter(ended_at__isnull=True).values("deployment_id")
    candidates = DeploymentState.objects.filter(confirmed_status__in=statuses).exclude(
        deployment_id__in=open_ids
    )
    opened = 0
    for state in candidates:
        since = state.confirmed_since or state.status_since
        start = incident_start(
            deployment_id=state.deployment_id, model_id=state.model_id, since=since, now=now
        )
        if start is None or start == since:
            continue  # still in maintenance, or never was (the poller's business)
        names = incidents.catalog_names(model_id=state.model_id, version_id=state.version_id)
        incident, created = Incident.objects.get_or_create(
            deployment_id=state.deployment_id,
            opened_by_sequence=state.sequence,
            defaults={
                "deployment_name": state.name,
                "model_id": state.model_id,
                "version_id": state.version_id,
                "status": state.confirmed_status,
                "started_at": start,
                # As the poller's own incidents: names now, and a promotion just before.
                **incidents.opening_facts(model_id=state.model_id, started_at=start, names=names),
            },
        )
        if created:
            # Its change was not announced (maintenance): the incident is the news.
            incidents.announce_held_back(incident, since=start)
        opened += int(created)
    return opened


def _announce(window: MaintenanceWindow, kind: str) -> list[str]:
    name = window.target_name or window.target_id
    what = (
        f"Deployment {name} ({window.target_id})"
        if window.scope == MaintenanceWindow.DEPLOYMENT
        else (f"Every deployment of model {name} ({window.target_id})")
    )
    span = effective(window) or (window.starts_at, window.ends_at)
    start, end = (t.astimezone(UTC).strftime(TIME_FORMAT) for t in span)
    reason = f" Reason: {window.reason}" if window.reason else ""
    if kind == "maintenance_start":
        text = (
            f"Maintenance started: {what} is in maintenance from {start} until {end} UTC.{reason}"
        )
    else:
        cut = (
            " (cancelled early)"
            if window.cancelled_at and window.cancelled_at < window.ends_at
            else ""
        )
        text = f"Maintenance ended{cut}: {what}, maintenance {start} – {end} UTC.{reason}"
    deployment_id = window.target_id if window.scope == MaintenanceWindow.DEPLOYMENT else ""
    model_id = (
        window.target_id if window.scope == MaintenanceWindow.MODEL else _model_of(window.target_id)
    )
    return webhooks.status_announce(
        text=text,
        event={
            "type": kind,
            "window_id": window.pk,
            "scope": window.scope,
            "target_id": window.target_id,
            "target_name": name,
            "starts_at": span[0].isoformat(),
            "ends_at": span[1].isoformat(),
            "reason": window.reason,
            "cancelled": window.cancelled_at is not None,
        },
        model_id=model_id,
        deployment_id=deployment_id,
    )


def _model_of(deployment_id: str) -> str:
    return (
        DeploymentState.objects.filter(deployment_id=deployment_id)
        .values_list("model_id", flat=True)
        .first()
        or ""
    )


# --- for the status document ------------------------------------------------------------


def stamp(spans: list[tuple[datetime, datetime]], *, now: datetime) -> list[list[float]]:
    """What of a deployment's maintenance its cached uptime depends on: the spans begun
    by `now` (a window that starts, or is cancelled, changes it; one ahead does not)."""
    return [[s.timestamp(), e.timestamp()] for s, e in spans if s <= now]


def entry(window: MaintenanceWindow) -> dict[str, Any]:
    """A window as the status document carries it."""
    from webui.status.document import iso

    span = effective(window) or (window.starts_at, window.ends_at)
    return {
        "id": window.pk,
        "scope": window.scope,
        "target_id": window.target_id,
        "target_name": window.target_name or window.target_id,
        "starts_at": iso(span[0]),
        "ends_at": iso(span[1]),
        "reason": window.reason,
        "created_by": window.created_by,
    }
