"""The status document: computed once per poll and cached (read by webui.status.snapshot).

`publish()` (called by the poller) reads Pond's database once and stores in the
default cache:

- DOC_KEY: the whole document as a dict (the HTML page and the feed render it);
- JSON_KEY: /status.json's body pre-serialised twice, as fresh and as stale (every
  status replaced by "unknown"), so the JSON view only splices a small envelope;
- BADGES_KEY: for the badges, {deployment id: (name, status, confirmed)}, and the
  worst status per model and over everything (`Rollup`);
- bar_key(id): each deployment's 90-day bar as SVG text.

- META_KEY: the poller's health (last success, last error and since when) and the
  document's stamp;
- HISTORY_KEY: per-deployment uptime figures, recomputed when a deployment has a
  new event and otherwise a batch at a time once older than POND_STATUS_HISTORY_TTL.

Every publish gets a new stamp (STAMP), stored in each of these parts. META_KEY is
small and read on every request; the read side keeps what it derived from the big
parts (encoded bodies, rendered pages) in process memory under the stamp, so a new
document shows at once and an unchanged one is never fetched or decoded again.

Freshness is not decided here but per request (webui.status.snapshot).
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from webui.status import incidents as status_incidents
from webui.status import maintenance, svg, uptime, watch
from webui.status.models import (
    GONE,
    DeploymentEvent,
    DeploymentState,
    Incident,
    IncidentUpdate,
    ObservationWindow,
    PollerHealth,
)

# v2: every part carries the stamp of the publish that wrote it; badges v3: and the
# per-model and overall rollups.
DOC_KEY = "status:document:v2"
JSON_KEY = "status:json:v2"
BADGES_KEY = "status:badges:v3"
META_KEY = "status:meta:v2"
STAMP = "stamp"
HISTORY_KEY = "status:history:v1"
INCIDENTS_SHOWN = 50
MAINTENANCE_SHOWN = 50
EXPIRED_PER_PUBLISH = 200
RANGES = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "90d": timedelta(days=90)}


def bar_key(deployment_id: str) -> str:
    return f"status:bar:v1:{deployment_id}"


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def is_problem(status: str) -> bool:
    return status in settings.POND_STATUS_INCIDENT_STATUSES


# --- building -------------------------------------------------------------------


def publish(*, now: datetime | None = None) -> dict[str, Any]:
    """Compute the document from the database and cache it (and its derived parts)."""
    now = now or timezone.now()
    doc, bars = build(now=now)
    fresh_body, stale_body = _json_bodies(doc)
    badges = {d["id"]: (d["name"], d["status"], d["confirmed"]) for d in doc["deployments"]}
    by_model: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for d in doc["deployments"]:
        by_model[d["model_id"]].append(d)
    # Unique per publish (not per content): readers compare it for equality only.
    stamp = uuid.uuid4().hex
    doc[STAMP] = stamp
    values: dict[str, Any] = {
        DOC_KEY: doc,
        JSON_KEY: {"fresh": fresh_body, "stale": stale_body, STAMP: stamp},
        BADGES_KEY: {
            "badges": badges,
            "models": {
                model_id: rollup(rows[0]["model_name"] or model_id, rows)
                for model_id, rows in by_model.items()
                if model_id
            },
            "overall": rollup("deployments", doc["deployments"]),
            STAMP: stamp,
        },
        META_KEY: {"poller": doc["poller"], STAMP: stamp},
    }
    from webui.status import snapshot  # the read side; it imports this module

    snapshot.remember(values)
    cache.set_many(values, timeout=None)
    # After the parts are stored: a process told of this stamp finds them.
    watch.announce(values[META_KEY])
    # Bars go in small batches: one pipeline of a thousand 10 KB bars can outlast
    # the Redis socket timeout, and an ignored error would silently drop them all.
    items = [(bar_key(deployment_id), text) for deployment_id, text in bars.items()]
    for index in range(0, len(items), 100):
        cache.set_many(dict(items[index : index + 100]), timeout=None)
    return doc


def build(*, now: datetime) -> tuple[dict[str, Any], dict[str, str]]:
    """The document, and the bars recomputed this time (the others are still cached)."""
    health = PollerHealth.objects.filter(pk=1).first()
    states = list(DeploymentState.objects.exclude(status=GONE, confirmed_status=GONE))
    # Maintenance windows touching the history's range (and those still ahead).
    windows = maintenance.overlapping(
        now - timedelta(days=max(settings.POND_STATUS_HISTORY_DAYS, 90)),
        now + maintenance.MAX_AHEAD + maintenance.MAX_LENGTH,
    )
    spans = maintenance.spans_by_deployment(windows, states)
    history, bars = _history(states, now=now, spans=spans)
    open_incidents = set(
        Incident.objects.filter(ended_at__isnull=True).values_list("deployment_id", flat=True)
    )
    names = _catalog_names()
    active = [w for w in windows if (span := maintenance.effective(w)) and span[0] <= now < span[1]]
    deployments = [
        {
            **_deployment(state, history.get(state.deployment_id), open_incidents, names),
            "maintenance": _active_for(state, active),
        }
        for state in states
    ]
    deployments.sort(key=lambda d: (not d["problem"], d["model_id"], d["name"], d["id"]))
    shown = list(Incident.objects.order_by("-started_at", "-id")[:INCIDENTS_SHOWN])
    updates = _updates_of(shown)
    incidents = [_incident(i, now, names, updates.get(i.pk, [])) for i in shown]
    counts: dict[str, int] = defaultdict(int)
    for d in deployments:
        counts[d["status"]] += 1
    failing = sum(1 for d in deployments if d["problem"] and d["confirmed"])
    unconfirmed_failing = sum(1 for d in deployments if d["problem"] and not d["confirmed"])
    doc = {
        "version": 1,
        "generated_at": iso(now),
        "poller": {
            "last_success_at": iso(health.last_success_at) if health else None,
            "last_error": health.last_error if health else "",
            "error_since": iso(health.error_since) if health else None,
            "last_cycle_seconds": health.last_cycle_seconds if health else None,
            "interval_seconds": settings.POND_POLL_INTERVAL,
        },
        "summary": {
            "total": len(deployments),
            "failing": failing,
            "unconfirmed_failing": unconfirmed_failing,
            "by_status": dict(sorted(counts.items())),
            "banner": banner(deployments),
        },
        "deployments": deployments,
        "incidents": incidents,
        # Under way and ahead (soonest first); cancelled ones are gone from both.
        "maintenance": {
            "active": [maintenance.entry(w) for w in active],
            "upcoming": [
                maintenance.entry(w)
                for w in windows
                if w.cancelled_at is None and w.starts_at > now
            ][:MAINTENANCE_SHOWN],
        },
    }
    return doc, bars


def _active_for(state: DeploymentState, active: list) -> dict[str, Any] | None:
    """The window (of it or of its model) it is in now, the one ending last; None."""
    mine = [
        w for w in active if maintenance.covers(w, deployment_id=state.deployment_id, model_id=state.model_id)
    ]
    if not mine:
        return None
    return maintenance.entry(max(mine, key=lambda w: maintenance.effective(w)[1]))


class Rollup(NamedTuple):
    """A badge over several deployments (a model's, or all): the worst status among them."""

    label: str
    status: str | None  # None: no deployments
    confirmed: bool  # at least one deployment in the worst status is confirmed in it
    count: int  # deployments in the worst status
    total: int


def rollup(label: str, deployments: list[dict[str, Any]]) -> Rollup:
    if not deployments:
        return Rollup(label, None, True, 0, 0)
    worst = max(uptime.severity(d["status"]) for d in deployments)
    rows = [d for d in deployments if uptime.severity(d["status"]) == worst]
    # Statuses of equal severity (two unknown ones): the most common names the badge.
    names = defaultdict(int)
    for d in rows:
        names[d["status"]] += 1
    status = max(sorted(names), key=lambda name: names[name])
    rows = [d for d in rows if d["status"] == status]
    return Rollup(label, status, any(d["confirmed"] for d in rows), len(rows), len(deployments))


def banner(deployments: list[dict[str, Any]]) -> str:
    if not deployments:
        return "No deployments yet"
    failing = sum(1 for d in deployments if d["problem"] and d["confirmed"])
    unconfirmed = sum(1 for d in deployments if d["problem"] and not d["confirmed"])
    if failing:
        text = f"{failing} deployment{'s' if failing != 1 else ''} failing"
    elif all(d["status"] == "active" for d in deployments):
        return "All deployments active"
    else:
        others = defaultdict(int)
        for d in deployments:
            if d["status"] != "active" and not d["problem"]:
                others[d["status"]] += 1
        detail = ", ".join(f"{n} {status}" for status, n in sorted(others.items()))
        text = "No deployments failing" + (f" ({detail})" if detail else "")
    if unconfirmed:
        text += f"; {unconfirmed} more unconfirmed"
    return text


def _catalog_names() -> tuple[dict[str, str], dict[str, str]]:
    """Model names and version labels from the cached catalog, when there is one.

    Only what is already cached: publishing must never wait on JFrog ML. Without a
    catalog the page shows IDs.
    """
    try:
        from webui.jfrogml import catalog

        loaded = catalog.load()
    except Exception:  # the catalog is a nicety here, never a reason to fail a poll
        return {}, {}
    if loaded is None:
        return {}, {}
    models: dict[str, str] = {}
    versions: dict[str, str] = {}
    for row in loaded.rows:
        models[row.id] = row.name or row.id
        for version in row.versions or ():
            versions[version.id] = version.label or version.id
    return models, versions


def _deployment(
    state: DeploymentState,
    history: dict | None,
    open_incidents: set[str],
    names: tuple[dict[str, str], dict[str, str]],
) -> dict[str, Any]:
    confirmed = (
        state.streak >= settings.POND_STATUS_CONFIRMATIONS
        and state.status == state.confirmed_status
    )
    return {
        "id": state.deployment_id,
        "name": state.name or state.deployment_id,
        "model_id": state.model_id,
        "model_name": names[0].get(state.model_id) or state.model_id,
        "version_id": state.version_id,
        "version": names[1].get(state.version_id) or state.version_id,
        "status": state.status,
        "confirmed": confirmed,
        "confirmed_status": state.confirmed_status or None,
        "since": iso(state.status_since),
        "first_observed_at": iso(state.first_observed_at),
        "last_observed_at": iso(state.last_observed_at),
        "problem": is_problem(state.status),
        "open_incident": state.deployment_id in open_incidents,
        "uptime": (history or {}).get("uptime", {key: None for key in RANGES}),
        # Seconds in maintenance per range: left out of `uptime`, shown apart.
        "maintenance_seconds": (history or {}).get(
            "maintenance_seconds", {key: 0.0 for key in RANGES}
        ),
    }


def _updates_of(shown: list[Incident]) -> dict[int, list[dict[str, Any]]]:
    """The people's updates of the incidents shown, oldest first (one query)."""
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    rows = IncidentUpdate.objects.filter(incident_id__in=[i.pk for i in shown]).order_by("created_at", "id")
    for update in rows:
        found[update.incident_id].append(
            {
                "id": update.pk,
                "state": update.state,
                "text": update.text,
                "author": update.author,
                "created_at": iso(update.created_at),
            }
        )
    return found


def _incident(
    incident: Incident,
    now: datetime,
    names: tuple[dict[str, str], dict[str, str]] = ({}, {}),
    updates: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    end = incident.ended_at or now
    updates = updates or []
    # Names at the time it opened; for an incident older than that, today's catalog names, then ids.
    shown = status_incidents.shown_names(
        deployment_id=incident.deployment_id,
        deployment_name=incident.deployment_name,
        model_id=incident.model_id,
        model_name=incident.model_name,
        version_id=incident.version_id,
        version_label=incident.version_label,
        current=names,
    )
    # When it last changed (opened, acknowledged, updated, recovered): the feed's <updated>.
    changed = [incident.started_at, incident.acknowledged_at, incident.ended_at]
    changed += [parse_iso(u["created_at"]) for u in updates]
    return {
        "id": incident.pk,
        "title": status_incidents.headline(shown, incident.status),
        "deployment_id": incident.deployment_id,
        "deployment_name": shown["deployment"],
        "model_id": incident.model_id,
        "model_name": shown["model"],
        "version_id": incident.version_id,
        "version_label": shown["version"],
        "status": incident.status,
        "acknowledged_at": iso(incident.acknowledged_at),
        "acknowledged_by": incident.acknowledged_by or None,
        "updates": updates,
        "latest_update": updates[-1] if updates else None,
        "last_changed_at": iso(max(when for when in changed if when is not None)),
        "started_at": iso(incident.started_at),
        "ended_at": iso(incident.ended_at),
        "ongoing": incident.ended_at is None,
        "recovered_to": incident.recovered_to or None,
        "duration_seconds": round(max(0.0, (end - incident.started_at).total_seconds()), 1),
    }


def _history(
    states: list[DeploymentState],
    *,
    now: datetime,
    spans: dict[str, list[tuple[datetime, datetime]]] | None = None,
) -> tuple[dict[str, dict], dict[str, str]]:
    """Uptime per deployment, recomputed only where stale (new event, a maintenance
    window begun or cancelled, or older than the TTL)."""
    spans = spans or {}
    cached: dict[str, dict] = cache.get(HISTORY_KEY) or {}
    ttl = settings.POND_STATUS_HISTORY_TTL
    stamp = now.timestamp()
    changed = [
        s
        for s in states
        if (entry := cached.get(s.deployment_id)) is None
        or entry["sequence"] != s.sequence
        or entry.get("maintenance", []) != maintenance.stamp(spans.get(s.deployment_id, []), now=now)
    ]
    changed_ids = {s.deployment_id for s in changed}
    expired = sorted(
        (
            s
            for s in states
            if s.deployment_id not in changed_ids
            and not 0 <= stamp - cached[s.deployment_id]["at"] < ttl
        ),
        key=lambda s: cached[s.deployment_id]["at"],
    )
    # Merely aged figures are refreshed a batch at a time, oldest first, so that a
    # thousand deployments never make one poll recompute everything at once.
    due = changed + expired[:EXPIRED_PER_PUBLISH]
    due_ids = {s.deployment_id for s in due}
    history = {
        s.deployment_id: cached[s.deployment_id] for s in states if s.deployment_id not in due_ids
    }
    entries, bars = compute(due, now=now, spans=spans)
    history.update(entries)
    cache.set(HISTORY_KEY, history, timeout=None)
    return history, bars


def compute(
    states: list[DeploymentState],
    *,
    now: datetime,
    spans: dict[str, list[tuple[datetime, datetime]]] | None = None,
) -> tuple[dict[str, dict], dict[str, str]]:
    """Uptime figures and 90-day bars of `states`, from events and observation windows,
    without the time of their maintenance windows (`spans`, per deployment)."""
    spans = spans or {}
    if not states:
        return {}, {}
    days = settings.POND_STATUS_HISTORY_DAYS
    start = now - timedelta(days=max(days, 90))
    windows = list(
        ObservationWindow.objects.filter(ended_at__gte=start).values_list("started_at", "ended_at")
    )
    events = DeploymentEvent.objects.filter(observed_at__gte=start).order_by(
        "deployment_id", "sequence"
    )
    if len(states) <= 500:
        events = events.filter(deployment_id__in=[s.deployment_id for s in states])
    grouped: dict[str, list[DeploymentEvent]] = defaultdict(list)
    for event in events.only(
        "deployment_id", "sequence", "from_status", "to_status", "observed_at"
    ):
        grouped[event.deployment_id].append(event)
    entries: dict[str, dict] = {}
    bars: dict[str, str] = {}
    for state in states:
        planned = [(s, min(e, now)) for s, e in spans.get(state.deployment_id, []) if s < now]
        seen = uptime.outside(
            uptime.observed(
                _timeline(state, grouped.get(state.deployment_id, []), start=start, now=now), windows
            ),
            planned,
        )
        entries[state.deployment_id] = {
            "sequence": state.sequence,
            "at": now.timestamp(),
            "maintenance": maintenance.stamp(spans.get(state.deployment_id, []), now=now),
            "uptime": {
                key: _round(uptime.uptime(seen, start=now - span, end=now))
                for key, span in RANGES.items()
            },
            "maintenance_seconds": {
                key: round(uptime.window_seconds(planned, start=now - span, end=now), 1)
                for key, span in RANGES.items()
            },
        }
        daily = uptime.daily(seen, days=days, now=now, maintenance=planned)
        if daily and state.status != GONE and state.last_observed_at.date() == now.date():
            # A status seen at this very poll has no duration yet, but today's cell
            # must already show it (a failure must not wait for the next recompute).
            worst = uptime.worst_of([daily[-1].worst or state.status, state.status])
            daily[-1] = dataclasses.replace(daily[-1], worst=worst)
        bars[state.deployment_id] = svg.bar_svg(daily, label=state.name or state.deployment_id)
    return entries, bars


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _timeline(
    state: DeploymentState, events: list[DeploymentEvent], *, start: datetime, now: datetime
) -> list[uptime.Segment]:
    """Status segments within [start, now] from the deployment's events in the range.

    The status entering the range is the first in-range event's `from_status`, or,
    with no event in the range, the current status (it has not changed since).
    """
    points: list[tuple[datetime, str]] = []
    if events:
        if events[0].from_status:
            points.append((start, events[0].from_status))
    else:
        points.append((max(start, state.first_observed_at), state.status))
    points.extend((e.observed_at, e.to_status) for e in events)
    return uptime.timeline(points, until=now)


def _json_bodies(doc: dict[str, Any]) -> tuple[str, str]:
    body = {
        "summary": doc["summary"],
        "deployments": [_public(d) for d in doc["deployments"]],
        "incidents": doc["incidents"],
        "maintenance": doc.get("maintenance", {"active": [], "upcoming": []}),
    }
    stale = {
        "summary": {
            **doc["summary"],
            "banner": "Status unknown: the poller is not reaching JFrog ML",
        },
        "deployments": [
            {
                **_public(d),
                "status": "unknown",
                "confirmed": False,
                "last_known_status": d["status"],
            }
            for d in doc["deployments"]
        ],
        "incidents": doc["incidents"],
        "maintenance": doc.get("maintenance", {"active": [], "upcoming": []}),
    }
    return json.dumps(body, separators=(",", ":")), json.dumps(stale, separators=(",", ":"))


def _public(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k != "problem"}
