"""The audit trail: the promotion ledger and the activity record, read as one list.

Both stay where they are (append-only, each with its own guarantees); this module only
reads them together, newest first, with one vocabulary of event names that the page
and the CSV share, and filters that match parts of names in any case.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from itertools import islice
from typing import Any

from django.db.models import Q, QuerySet

from webui.activity.models import Activity
from webui.reviews.models import LedgerEntry

PROMOTIONS = "promotions"
ACTIVITY = "activity"
RECORDS = [("", "any"), (PROMOTIONS, "promotions"), (ACTIVITY, "activity")]

# One name per event, on the page and in the CSV: the ledger's own display words,
# then the activity record's actions ("deployed" is both: the same thing happened).
LEDGER_EVENTS: dict[str, str] = dict(LedgerEntry.KIND_CHOICES)
ACTIVITY_EVENTS: dict[str, str] = {action: action for action, _ in Activity.ACTION_CHOICES}
EVENTS: list[str] = list(dict.fromkeys([*LEDGER_EVENTS.values(), *ACTIVITY_EVENTS.values()]))
# Links made before the names were shared used the ledger's raw kinds: they still work.
EVENT_ALIASES: dict[str, str] = {kind: name for kind, name in LEDGER_EVENTS.items()}


@dataclass(frozen=True)
class AuditEvent:
    record: str  # PROMOTIONS or ACTIVITY
    pk: int
    when: datetime
    who: str
    event: str
    model_id: str = ""
    model_name: str = ""
    version_id: str = ""
    version_label: str = ""
    object_kind: str = ""
    object_id: str = ""
    object_name: str = ""
    from_status: str = ""
    to_status: str = ""
    outcome: str = ""  # code: upstream, pond, failed or ""
    outcome_text: str = ""
    comment: str = ""
    request_id: int | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    changes: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def sort_key(self) -> tuple[datetime, int, int]:
        # Newest first; ties (the same instant) keep each record's own order.
        return (self.when, self.record == PROMOTIONS, self.pk)


def _from_ledger(e: LedgerEntry) -> AuditEvent:
    return AuditEvent(
        record=PROMOTIONS, pk=e.pk, when=e.created_at, who=e.actor, event=LEDGER_EVENTS.get(e.kind, e.kind),
        model_id=e.model_id, model_name=e.model_name, version_id=e.version_id, version_label=e.version_label,
        object_kind="version", object_id=e.version_id, object_name=e.version_label,
        from_status=e.from_status, to_status=e.to_status, outcome=e.outcome,
        outcome_text=e.get_outcome_display() if e.outcome else "", comment=e.comment, request_id=e.request_id,
        metrics=e.metrics or {}, details=e.details or {},
    )  # fmt: skip


def _from_activity(a: Activity) -> AuditEvent:
    details = a.details or {}
    is_version = a.object_kind == Activity.VERSION
    return AuditEvent(
        record=ACTIVITY, pk=a.pk, when=a.created_at, who=a.actor, event=ACTIVITY_EVENTS.get(a.action, a.action),
        model_id=a.model_id, model_name=a.model_name,
        version_id=a.object_id if is_version else "", version_label=a.object_name if is_version else "",
        object_kind=a.object_kind, object_id=a.object_id, object_name=a.object_name,
        from_status=str(details.get("from") or "") if a.action == Activity.OBSERVED else "",
        to_status=str(details.get("status") or "") if a.action == Activity.OBSERVED else "",
        comment=str(details.get("override_reason") or details.get("reason") or ""),
        changes=a.changes or {}, details=details,
    )  # fmt: skip


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _day_end(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)


def _shared(qs: QuerySet, *, model: str, person: str, date_from, date_to) -> QuerySet:
    """The filters both records take alike (both have model_id, model_name, actor, created_at)."""
    if model:
        qs = qs.filter(Q(model_id__icontains=model) | Q(model_name__icontains=model))
    if person:
        qs = qs.filter(actor__icontains=person)
    if date_from:
        qs = qs.filter(created_at__gte=_day_start(date_from))
    if date_to:
        qs = qs.filter(created_at__lte=_day_end(date_to))
    return qs.order_by("-created_at", "-id")


def _ledger(*, status: str, event: str, **shared) -> QuerySet[LedgerEntry]:
    qs = LedgerEntry.objects.all()
    if status:
        qs = qs.filter(Q(to_status=status) | Q(from_status=status))
    if event:
        qs = qs.filter(kind__in=[kind for kind, name in LEDGER_EVENTS.items() if name == event])
    return _shared(qs, **shared)


def _activity(*, status: str, event: str, **shared) -> QuerySet[Activity]:
    qs = Activity.objects.all()
    if status:
        # Only a status seen changing outside Pond is a status in this record.
        qs = qs.filter(action=Activity.OBSERVED).filter(Q(details__status=status) | Q(details__from=status))
    if event:
        qs = qs.filter(action__in=[action for action, name in ACTIVITY_EVENTS.items() if name == event])
    return _shared(qs, **shared)


class AuditTrail:
    """Both records, filtered and merged newest first; sliceable and countable, so a
    Paginator pages it: page n reads at most n pages' worth of rows from each record."""

    def __init__(self, ledger: QuerySet[LedgerEntry] | None, activity: QuerySet[Activity] | None) -> None:
        self._sources = [
            (qs, convert) for qs, convert in ((ledger, _from_ledger), (activity, _from_activity)) if qs is not None
        ]
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            self._count = sum(qs.count() for qs, _ in self._sources)
        return self._count

    def __len__(self) -> int:
        return self.count()

    def _merged(self, streams: Iterable[Iterable[AuditEvent]]) -> Iterator[AuditEvent]:
        return heapq.merge(*streams, key=lambda e: e.sort_key, reverse=True)

    def __getitem__(self, index: slice) -> list[AuditEvent]:
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("An audit trail is read by slices.")
        start, stop = index.start or 0, index.stop if index.stop is not None else self.count()
        streams = [map(convert, qs[:stop]) for qs, convert in self._sources]
        return list(islice(self._merged(streams), start, stop))

    def __iter__(self) -> Iterator[AuditEvent]:
        """Every event, newest first, streamed (the CSV export)."""
        streams = [map(convert, qs.iterator(chunk_size=500)) for qs, convert in self._sources]
        return self._merged(streams)


def audit_trail(
    *,
    model: str = "",
    person: str = "",
    status: str = "",
    event: str = "",
    record: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> AuditTrail:
    """Promotions and activity, newest first. `model` and `person` match any part of the
    model's id or name and of the person's username, in any case; `status` either end of
    a move; `event` one of EVENTS; `record` PROMOTIONS or ACTIVITY (else both);
    dates are inclusive days in UTC."""
    filters = dict(model=model, person=person, status=status, event=event, date_from=date_from, date_to=date_to)
    return AuditTrail(
        _ledger(**filters) if record in ("", PROMOTIONS) and (not event or event in LEDGER_EVENTS.values()) else None,
        _activity(**filters) if record in ("", ACTIVITY) and (not event or event in ACTIVITY_EVENTS.values()) else None,
    )
