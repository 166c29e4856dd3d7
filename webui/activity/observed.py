"""Changes made outside Pond: seen upstream, explained by no record of Pond's.

Pond cannot stop someone writing to JFrog ML directly; it can notice. Whenever Pond
reads version statuses (the catalog refresh, a model or version page), it compares
each with the status it last saw (`SeenStatus`). A version seen for the first time
sets the baseline silently. A changed status that a promotion applied by Pond explains
(an `apply` ledger entry to that status since the last sighting) moves the baseline;
any other change is recorded once as an `observed` activity ("status became
production outside Pond, first seen at ..."): the baseline row is compared-and-set,
so two processes seeing the same change record it once. Sightings carry the time
JFrog ML gave the data (a catalog row or a kept version list may be older than the
last sighting): data older than the baseline is neither a change nor news.

A version is flagged while its latest observed change still stands: its status is the
observed one and no promotion through Pond has been applied to it since.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from webui.activity.models import Activity, SeenStatus
from webui.activity.services import OUTSIDE, activity_record, fit_text

VERSION = Activity.VERSION
# A promotion's ledger entry is written just after JFrog ML answered; a sighting in
# between must not count as a change made outside Pond.
EXPLAIN_SLACK = timedelta(seconds=60)


@dataclass(frozen=True)
class SeenVersion:
    model_id: str
    model_name: str
    version_id: str
    label: str
    status: str
    # When JFrog ML gave this status (the version list's fetch time); None: just now.
    # Data older than the sighting that set the baseline is old news, not a change.
    as_of: datetime | None = None


STATUS_MAX = 64  # SeenStatus.status


def _key(kind: str, object_id: str) -> str:
    return hashlib.sha256(f"{kind}\x00{object_id}".encode("utf-8", "surrogatepass")).hexdigest()


def _explained(*, version_id: str, status: str, since: datetime) -> bool:
    from webui.reviews.models import LedgerEntry

    return LedgerEntry.objects.filter(
        kind=LedgerEntry.APPLY,
        version_id=version_id,
        to_status=status,
        outcome__in=(LedgerEntry.UPSTREAM, LedgerEntry.POND),
        created_at__gte=since - EXPLAIN_SLACK,
    ).exists()


def _busy_models(model_ids: set[str]) -> set[str]:
    """Models with a decision still being applied: their statuses are in motion."""
    from webui.reviews.models import Decision

    return set(
        Decision.objects.filter(model_id__in=model_ids, state=Decision.APPLYING).values_list("model_id", flat=True)
    )


def versions_seen(versions: Iterable[SeenVersion], *, now: datetime | None = None) -> list[Activity]:
    """Compare what upstream shows with what Pond last saw; returns the observed
    activities recorded (each change once, whoever else saw it at the same time)."""
    now = now or timezone.now()
    # Stored as any database can hold it (upstream text is hostile: NUL, 1,000 characters).
    seen = [
        SeenVersion(
            fit_text(v.model_id), fit_text(v.model_name), fit_text(v.version_id), fit_text(v.label), fit_text(v.status, STATUS_MAX),
            v.as_of,
        )
        for v in versions
        if v.version_id and v.status
    ]
    if not seen:
        return []
    keys = {_key(VERSION, v.version_id): v for v in seen}
    known: dict[str, tuple[str, datetime]] = {}
    key_list = list(keys)
    for start in range(0, len(key_list), 500):  # SQLite's parameter limit
        for key, status, seen_at in SeenStatus.objects.filter(key__in=key_list[start : start + 500]).values_list(
            "key", "status", "seen_at"
        ):
            known[key] = (status, seen_at)
    new = [
        SeenStatus(
            key=key,
            object_kind=VERSION,
            object_id=v.version_id,
            model_id=v.model_id,
            status=v.status,
            seen_at=v.as_of or now,
        )
        for key, v in keys.items()
        if key not in known
    ]
    if new:
        SeenStatus.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
    # A page may show a version list kept from before the sighting that set the
    # baseline (a refresh read newer data since): that is no change, nor is it news.
    changed = [
        (key, v)
        for key, v in keys.items()
        if key in known
        and known[key][0] != v.status
        and (v.as_of is None or v.as_of > known[key][1])
    ]
    if not changed:
        return []
    busy = _busy_models({v.model_id for _, v in changed})
    recorded: list[Activity] = []
    for key, v in changed:
        if v.model_id in busy:
            continue
        before, since = known[key]
        with transaction.atomic():
            # Compare-and-set: of every process that saw this change, one moves the baseline.
            won = SeenStatus.objects.filter(key=key, status=before, seen_at=since).update(
                status=v.status, seen_at=v.as_of or now
            )
            if not won or _explained(version_id=v.version_id, status=v.status, since=since):
                continue
            recorded.append(
                activity_record(
                    user=OUTSIDE, action=Activity.OBSERVED, kind=VERSION, object_id=v.version_id,
                    object_name=v.label, model_id=v.model_id, model_name=v.model_name, at=now,
                    changes={"status": [before, v.status]},
                    details={"from": before, "status": v.status, "first_seen_at": now.isoformat()},
                )  # fmt: skip
            )
    return recorded


def unexplained(*, version_ids: Iterable[str] | None = None) -> dict[str, Activity]:
    """Per version, its latest observed change that no promotion through Pond has
    followed. Callers compare its status with today's (a later change outside Pond
    is its own observed event)."""
    from webui.reviews.models import LedgerEntry

    rows = Activity.objects.filter(action=Activity.OBSERVED, object_kind=VERSION)
    if version_ids is not None:
        ids = list(version_ids)
        if not ids:
            return {}
        rows = rows.filter(object_id__in=[fit_text(i) for i in ids])
    latest: dict[str, Activity] = {}
    for row in rows.order_by("created_at", "id"):
        latest[row.object_id] = row
    if not latest:
        return {}
    applied: dict[str, datetime] = {}
    for version_id, created_at in LedgerEntry.objects.filter(
        kind=LedgerEntry.APPLY, version_id__in=list(latest), outcome__in=(LedgerEntry.UPSTREAM, LedgerEntry.POND)
    ).values_list("version_id", "created_at"):
        applied[version_id] = max(created_at, applied.get(version_id, created_at))
    return {vid: row for vid, row in latest.items() if vid not in applied or applied[vid] < row.created_at}


def standing(observed: Activity | None, status: str) -> Activity | None:
    """The observed change if it still explains today's status."""
    if observed is None or (observed.details or {}).get("status") != status:
        return None
    return observed


def deployment_confirmed(
    *, deployment_id: str, name: str, model_id: str, version_id: str, from_status: str, to_status: str,
    first_seen: datetime, watched_before: bool, now: datetime,
) -> Activity | None:
    """A deployment that appeared, or went away, with no write through Pond behind it:
    recorded as observed. Called by the poller once per confirmed change, in the
    transaction that confirms it (so once). `watched_before`: the poller had seen
    other deployments before this one first showed (the first poll is the baseline)."""
    deployment = Q(object_kind=Activity.DEPLOYMENT, object_id=fit_text(deployment_id))
    if from_status == "" and to_status != "gone":
        if not watched_before or Activity.objects.filter(deployment, action=Activity.DEPLOYED).exists():
            return None
        what = "appeared"
    elif to_status == "gone" and from_status:
        # Stopped or deleted through Pond, or gone with its model or version deleted there.
        gone_with = deployment & Q(action__in=(Activity.STOPPED, Activity.DELETED))
        if model_id:
            gone_with |= Q(object_kind=Activity.MODEL, object_id=model_id, action=Activity.DELETED)
        if version_id:
            gone_with |= Q(object_kind=Activity.VERSION, object_id=version_id, action=Activity.DELETED)
        if Activity.objects.filter(gone_with).exists():
            return None
        what = "went away"
    else:
        return None
    return activity_record(
        user=OUTSIDE, action=Activity.OBSERVED, kind=Activity.DEPLOYMENT, object_id=deployment_id,
        object_name=name or deployment_id, model_id=model_id, at=now,
        changes={"status": [from_status or None, to_status]},
        details={"from": from_status, "status": to_status, "deployment": what, "first_seen_at": first_seen.isoformat()},
    )  # fmt: skip
