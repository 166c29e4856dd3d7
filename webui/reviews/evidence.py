"""What a reviewer decided on, kept with the decision.

When a request is approved or rejected (or a version promoted directly), the decision's
ledger entry keeps a snapshot of what the review page showed: the candidate's and the
then-production versions' metrics and parameters, each rule's result and any override.
The review page shows it after the decision, beside today's state, so that a decided
review never forgets what was decided on once production has moved on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from webui.reviews.models import LedgerEntry

MAX_VALUES = 1000  # metrics or parameters kept per version (the registry's own cap)
MAX_TEXT = 1000  # characters kept of a name or a value
DECISION_KINDS = (LedgerEntry.APPROVE, LedgerEntry.REJECT, LedgerEntry.DIRECT)


def _text(value: Any) -> str:
    # Cut, and storable in any database's JSON: PostgreSQL's holds neither NUL nor a lone
    # surrogate, and an upstream other than the embedded registry may send either.
    text = str(value)[:MAX_TEXT].replace("\x00", "\ufffd")
    return text.encode("utf-8", "replace").decode("utf-8")


def _values(mapping: Any, *, numeric: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in list((mapping or {}).items())[:MAX_VALUES]:
        if numeric and isinstance(value, int | float) and not isinstance(value, bool):
            # NaN or infinity: JSON (and so the database) cannot hold it, and the review
            # page showed it as no value ("—"): kept as that.
            out[_text(name)] = (
                None if isinstance(value, float) and not math.isfinite(value) else value
            )
        else:
            out[_text(name)] = None if value is None else _text(value)
    return out


def _version(version: Any) -> dict[str, Any]:
    return {
        "id": _text(version.id),
        "version": _text(getattr(version, "version", None) or version.id),
        "status": _text(getattr(version, "status", "") or ""),
        "metrics": _values(getattr(version, "metrics", None), numeric=True),
        "parameters": _values(getattr(version, "parameters", None), numeric=False),
    }


def snapshot(*, situation: Any, rules: Any, override_reason: str = "") -> dict[str, Any]:
    """The evidence as JSON, taken from the situation the decision was checked against."""
    return {
        "at": timezone.now().isoformat(),
        "candidate": _version(situation.candidate),
        "production": [_version(v) for v in situation.production_versions],
        "rules": rules.as_json() if rules is not None else [],
        "override_reason": override_reason,
    }


def unavailable(message: str) -> dict[str, Any]:
    """A decision taken while JFrog ML could not be read (a rejection may be)."""
    return {"at": timezone.now().isoformat(), "unavailable": _text(message)}


@dataclass(frozen=True)
class SnapshotVersion:
    id: str
    version: str
    status: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Evidence:
    at: datetime | None
    decided_by: str
    kind: str
    candidate: SnapshotVersion | None
    production: list[SnapshotVersion]
    rules: list[dict[str, Any]]
    override_reason: str
    unavailable: str = ""


def _snapshot_version(data: dict[str, Any]) -> SnapshotVersion:
    return SnapshotVersion(
        id=str(data.get("id", "")),
        version=str(data.get("version", "")),
        status=str(data.get("status", "")),
        metrics=dict(data.get("metrics") or {}),
        parameters=dict(data.get("parameters") or {}),
    )


def evidence_of(entry: LedgerEntry | None) -> Evidence | None:
    """The evidence a decision's ledger entry kept (None: decided before Pond kept it)."""
    data = (entry.details or {}).get("evidence") if entry is not None else None
    if not isinstance(data, dict):
        return None
    candidate = data.get("candidate")
    return Evidence(
        at=parse_datetime(str(data.get("at", ""))),
        decided_by=entry.actor,
        kind=entry.get_kind_display(),
        candidate=_snapshot_version(candidate) if isinstance(candidate, dict) else None,
        production=[
            _snapshot_version(v) for v in data.get("production") or [] if isinstance(v, dict)
        ],
        rules=[r for r in data.get("rules") or [] if isinstance(r, dict)],
        override_reason=str(data.get("override_reason") or ""),
        unavailable=str(data.get("unavailable") or ""),
    )


def decision_entry(*, request_id: int) -> LedgerEntry | None:
    return (
        LedgerEntry.objects.filter(request_id=request_id, kind__in=DECISION_KINDS)
        .order_by("-created_at", "-id")
        .first()
    )
