"""Incidents people read and write: names at the time, acknowledgements, updates, and
the promotion that preceded an incident.

The poller opens and closes incidents (webui.status.poller); this module gives them
what a person needs to read them (model, version and deployment by name, as they were
when it started; the ledger entry of a promotion just before it) and lets the members
who may operate (access.can_operate) acknowledge one and post updates. Each write is
attributed (author on the row, the activity record), announced to the status webhooks
in its own transaction, and republishes the status document so that the page and the
feed show it at once.

A "resolved" update is what the team says; it does not close the incident. Only the
poller's confirmed recovery does: the incident is a fact about the deployment, and a
person's "resolved" while the deployment still fails must not turn the page green.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from webui.activity.models import Activity
from webui.activity.services import activity_record
from webui.status import webhooks
from webui.status.models import NAME_MAX, Incident, IncidentUpdate
from webui.status.text import control_problem, name_kept, typed

log = logging.getLogger("pond.status.incidents")

# The activity record's words for these (Activity.object_kind holds 16 characters).
ACTIVITY_KIND = "incident"
ACTIVITY_UPDATE_KIND = "incident update"
STATES = dict(IncidentUpdate.STATE_CHOICES)


class IncidentRefused(Exception):
    """A write that cannot be done; `errors` says why, per form field ({field: message})."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


# --- names ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Names:
    model: str = ""
    version: str = ""


def catalog_names(*, model_id: str, version_id: str) -> Names:
    """The model's name and the version's label from the cached catalog ("" unknown).

    Only what is cached: the poller opening an incident never waits on JFrog ML, and a
    catalog that cannot be read leaves the names empty rather than fail the poll."""
    try:
        from webui.jfrogml import catalog

        loaded = catalog.load()
        if loaded is None:
            return Names()
        for row in loaded.rows:
            if str(row.id) != model_id:
                continue
            version = next((v for v in row.versions or () if str(v.id) == version_id), None)
            return Names(
                model=name_kept(row.name or "", NAME_MAX),
                version=name_kept(getattr(version, "label", "") or "", NAME_MAX),
            )
    except Exception:  # the catalog is a nicety here, never a reason to fail a poll
        log.warning("could not read the catalog for an incident's names", exc_info=True)
    return Names()


def shown_names(
    *,
    deployment_id: str,
    deployment_name: str,
    model_id: str,
    model_name: str,
    version_id: str,
    version_label: str,
    current: tuple[dict[str, str], dict[str, str]] | None = None,
) -> dict[str, str]:
    """What to call an incident's deployment, model and version: the names stored when
    it opened, else the catalog's current ones (`current`: model and version maps, as
    webui.status.document reads them), else the ids."""
    models, versions = current or ({}, {})
    return {
        "deployment": deployment_name or deployment_id,
        "model": model_name or models.get(model_id) or model_id,
        "version": version_label or versions.get(version_id) or version_id,
    }


def headline(names: dict[str, str], status: str) -> str:
    """Names, never ids: "Deployment fraud-api of fraud-detector 3.1.0 failed"."""
    of = " ".join(part for part in (names["model"], names["version"]) if part)
    return f"Deployment {names['deployment']}{f' of {of}' if of else ''} {status}"


def announce_held_back(incident: Incident, *, since: datetime) -> list[str]:
    """Announce an incident that maintenance held back: its failure began inside a window
    (and was not announced then) and is still there when the window ends."""
    names = _names(incident)
    return webhooks.status_announce(
        text=(
            f"{headline(names, incident.status)}: still {incident.status} when its maintenance "
            f"ended at {since:%Y-%m-%d %H:%M} UTC; an incident is open."
        ),
        event={"type": "incident_opened", **_event(incident, names), "after_maintenance": True},
        model_id=incident.model_id,
        deployment_id=incident.deployment_id,
    )


# --- the promotion before an incident -------------------------------------------------


def promotion_before(*, model_id: str, started_at: datetime) -> int | None:
    """The ledger entry (pk) of the latest applied promotion or deployment of `model_id`
    within POND_STATUS_PROMOTION_WINDOW before `started_at`, if any.

    Applied steps only (kinds apply and deploy, set in JFrog ML or recorded by Pond): a
    request or an approval changes nothing that serves, a failed step changed nothing.
    Any target status counts: a staging deployment can fail after a staging promotion."""
    from webui.reviews.models import LedgerEntry

    window = int(settings.POND_STATUS_PROMOTION_WINDOW)
    if not model_id or window <= 0:
        return None
    return (
        LedgerEntry.objects.filter(
            model_id=model_id,
            kind__in=(LedgerEntry.APPLY, LedgerEntry.DEPLOY),
            outcome__in=(LedgerEntry.UPSTREAM, LedgerEntry.POND),
            created_at__lte=started_at,
            created_at__gte=started_at - timedelta(seconds=window),
        )
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )


def opening_facts(*, model_id: str, started_at: datetime, names: Names) -> dict[str, Any]:
    """What the poller stores on an incident it opens: names at the time (`names`, from
    `catalog_names`) and the promotion just before. Never raises: a ledger that cannot be
    read leaves it empty (the poll, and so the status page, must go on)."""
    facts: dict[str, Any] = {"model_name": names.model, "version_label": names.version}
    try:
        # A savepoint: a failed read leaves the poll's transaction usable.
        with transaction.atomic():
            facts["promotion_entry_id"] = promotion_before(model_id=model_id, started_at=started_at)
    except DatabaseError:
        log.warning("could not read the ledger for the promotion before an incident", exc_info=True)
    return facts


def promotion_of(incident: Incident) -> dict[str, Any] | None:
    """The preceding promotion as the incident page shows it: "started 12 min after 3.1.0
    was promoted by alice", and where the ledger shows that entry."""
    from webui.reviews.models import LedgerEntry

    if incident.promotion_entry_id is None:
        return None
    entry = LedgerEntry.objects.filter(pk=incident.promotion_entry_id).first()
    if entry is None:
        return None
    from webui.status.pages import duration

    gap = max(0.0, (incident.started_at - entry.created_at).total_seconds())
    version = entry.version_label or entry.version_id
    verb = "deployed" if entry.kind == LedgerEntry.DEPLOY else "promoted"
    target = f" to {entry.to_status}" if entry.to_status and verb == "promoted" else ""
    return {
        "entry": entry,
        "text": f"started {duration(gap)} after {version} was {verb}{target} by {entry.actor}",
        "query": _audit_query(entry),
    }


def _audit_query(entry) -> dict[str, str]:
    """The audit trail's filters that show this entry: its model, event and day (the
    ledger has no page per entry; its request, when it has one, is linked as well)."""
    from webui.reviews.audit import LEDGER_EVENTS, PROMOTIONS

    day = entry.created_at.date().isoformat()
    return {
        "model": entry.model_id,
        "record": PROMOTIONS,
        "event": LEDGER_EVENTS.get(entry.kind, entry.kind),
        "date_from": day,
        "date_to": day,
    }


# --- writes ---------------------------------------------------------------------------


def _names(incident: Incident) -> dict[str, str]:
    current = None
    if not (incident.model_name and incident.version_label):
        from webui.status.document import _catalog_names

        current = _catalog_names()
    return shown_names(
        deployment_id=incident.deployment_id,
        deployment_name=incident.deployment_name,
        model_id=incident.model_id,
        model_name=incident.model_name,
        version_id=incident.version_id,
        version_label=incident.version_label,
        current=current,
    )


def _event(incident: Incident, names: dict[str, str]) -> dict[str, Any]:
    return {
        "incident_id": incident.pk,
        "deployment_id": incident.deployment_id,
        "deployment_name": names["deployment"],
        "model_id": incident.model_id,
        "model_name": names["model"],
        "version_id": incident.version_id,
        "version_label": names["version"],
        "status": incident.status,
        "started_at": incident.started_at,
        "ongoing": incident.ended_at is None,
    }


def _republish() -> None:
    # The page and the feed read the published document: show the write at once rather
    # than at the next poll. After the commit, so the document reads it.
    from webui.status.document import publish

    def run() -> None:
        try:
            publish()
        except Exception:  # the next poll publishes it anyway
            log.warning(
                "could not republish the status document after an incident write", exc_info=True
            )

    transaction.on_commit(run)


def incident_acknowledge(*, incident_id: int, user: Any, now: datetime | None = None) -> Incident:
    """Say that someone is on it. Only an ongoing incident, once (a second
    acknowledgement is refused, naming who acknowledged it first)."""
    now = now or timezone.now()
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident_id)
        if incident.ended_at is not None:
            raise IncidentRefused(
                {"acknowledge": "this incident is over: there is nothing to acknowledge."}
            )
        if incident.acknowledged_at is not None:
            raise IncidentRefused(
                {"acknowledge": f"already acknowledged by {incident.acknowledged_by or 'someone'}."}
            )
        incident.acknowledged_at = now
        incident.acknowledged_by = user.get_username()
        incident.save(update_fields=["acknowledged_at", "acknowledged_by"])
        names = _names(incident)
        activity_record(
            user=user,
            action=Activity.EDITED,
            kind=ACTIVITY_KIND,
            object_id=incident.pk,
            object_name=headline(names, incident.status),
            model_id=incident.model_id,
            model_name=names["model"],
            changes={"acknowledged_by": incident.acknowledged_by},
            details={"deployment_id": incident.deployment_id},
            at=now,
        )
        webhooks.status_announce(
            text=f"{headline(names, incident.status)}: acknowledged by {incident.acknowledged_by}.",
            event={
                "type": "incident_acknowledged",
                **_event(incident, names),
                "acknowledged_by": incident.acknowledged_by,
                "acknowledged_at": now,
            },
            model_id=incident.model_id,
            deployment_id=incident.deployment_id,
        )
        _republish()
    return incident


def incident_update_add(
    *, incident_id: int, user: Any, state: str, text: str, now: datetime | None = None
) -> IncidentUpdate:
    """Post what the team knows now. An update to an ongoing incident acknowledges it
    too, if nobody had (someone is evidently on it)."""
    text = typed(text)
    errors = {}
    if state not in STATES:
        errors["state"] = f"choose one of {', '.join(STATES)}."
    if problem := control_problem(text):
        errors["text"] = problem
    elif len(text) > IncidentUpdate.TEXT_MAX:
        errors["text"] = f"at most {IncidentUpdate.TEXT_MAX} characters (this has {len(text)})."
    elif not text:
        errors["text"] = "say what the team knows, or what it is doing."
    if errors:
        raise IncidentRefused(errors)
    now = now or timezone.now()
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident_id)
        update = IncidentUpdate.objects.create(
            incident=incident, state=state, text=text, author=user.get_username(), created_at=now
        )
        if incident.ended_at is None and incident.acknowledged_at is None:
            incident.acknowledged_at = now
            incident.acknowledged_by = update.author
            incident.save(update_fields=["acknowledged_at", "acknowledged_by"])
        names = _names(incident)
        activity_record(
            user=user,
            action=Activity.CREATED,
            kind=ACTIVITY_UPDATE_KIND,
            object_id=update.pk,
            object_name=f"{headline(names, incident.status)}: {STATES[state]}",
            model_id=incident.model_id,
            model_name=names["model"],
            changes={"state": state, "text": text},
            details={"incident": incident.pk, "deployment_id": incident.deployment_id},
            at=now,
        )
        webhooks.status_announce(
            text=f"{headline(names, incident.status)} — {STATES[state]} ({update.author}): {text}",
            event={
                "type": "incident_update",
                **_event(incident, names),
                "update": {
                    "id": update.pk,
                    "state": state,
                    "text": text,
                    "author": update.author,
                    "at": now,
                },
            },
            model_id=incident.model_id,
            deployment_id=incident.deployment_id,
        )
        _republish()
    return update


# --- reading one incident -------------------------------------------------------------


def incident_timeline(incident: Incident) -> list[dict[str, Any]]:
    """What happened, oldest first: opened, acknowledged, each update, recovered."""
    events: list[dict[str, Any]] = [
        {"kind": "opened", "at": incident.started_at, "status": incident.status}
    ]
    if incident.acknowledged_at is not None:
        events.append(
            {"kind": "acknowledged", "at": incident.acknowledged_at, "by": incident.acknowledged_by}
        )
    events += [
        {"kind": "update", "at": u.created_at, "by": u.author, "state": u.state, "state_label": STATES.get(u.state, u.state), "text": u.text, "id": u.pk}
        for u in incident.updates.all()
    ]  # fmt: skip
    if incident.ended_at is not None:
        events.append(
            {"kind": "recovered", "at": incident.ended_at, "status": incident.recovered_to}
        )
    order = {"opened": 0, "acknowledged": 1, "update": 2, "recovered": 3}
    return sorted(events, key=lambda e: (e["at"], order[e["kind"]]))


def incident_read(*, incident_id: int) -> dict[str, Any] | None:
    """Everything the incident page shows (None: no such incident)."""
    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is None:
        return None
    names = _names(incident)
    end = incident.ended_at or timezone.now()
    from webui.status.pages import duration

    return {
        "incident": incident,
        "names": names,
        "title": headline(names, incident.status),
        "ongoing": incident.ended_at is None,
        "duration": duration(max(0.0, (end - incident.started_at).total_seconds())),
        "timeline": incident_timeline(incident),
        "promotion": promotion_of(incident),
    }
