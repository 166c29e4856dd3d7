"""Writing to and reading from the activity record."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.utils import timezone

from webui.activity.models import Activity

# Who an observed change is attributed to: nobody through Pond.
OUTSIDE = "(outside Pond)"


def fit_text(value: Any, limit: int = 1024) -> str:
    """Text any database stores: upstream names may hold NUL (PostgreSQL refuses it) or a
    lone surrogate, and be of any length."""
    if value is None:
        return ""
    text = str(value).replace("\x00", "\ufffd")[:limit]
    return text.encode("utf-8", "replace").decode("utf-8")


def _json(value: Any) -> Any:
    """`changes` and `details` with every string made storable (see _text)."""
    if isinstance(value, str):
        return fit_text(value, 10_000)
    if isinstance(value, dict):
        return {fit_text(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


def activity_record(
    *,
    user: Any,
    action: str,
    kind: str,
    object_id: Any,
    object_name: Any = "",
    model_id: Any = "",
    model_name: Any = "",
    changes: dict | None = None,
    details: dict | None = None,
    at: datetime | None = None,
) -> Activity:
    """Record one successful write through Pond (call it only after the write succeeded),
    or, with `user=OUTSIDE`, a change Pond saw made elsewhere (webui.activity.observed)."""
    return Activity.objects.create(
        created_at=at or timezone.now(),
        actor=user.get_username() if hasattr(user, "get_username") else fit_text(user, 150),
        action=action,
        object_kind=kind,
        object_id=fit_text(object_id),
        object_name=fit_text(object_name),
        model_id=fit_text(model_id),
        model_name=fit_text(model_name),
        changes=_json(changes or {}),
        details=_json(details or {}),
    )


def jsonable(values: dict) -> dict:
    """Form values as the record keeps them (JSON: lists for tuples, text for the rest)."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if value is None or isinstance(value, (str, int, float, bool, list, dict)):
            out[name] = value
        elif isinstance(value, tuple):
            out[name] = list(value)
        else:
            out[name] = str(value)
    return out


def edits(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields whose value changed (None: not given)."""
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if value is not None and before.get(name) != value
    }


def creators(kind: str, object_ids: Iterable[str]) -> dict[str, str]:
    """Who created each of these objects through Pond (objects made elsewhere are absent)."""
    ids = [str(i) for i in object_ids]
    if not ids:
        return {}
    rows = Activity.objects.filter(object_kind=kind, action=Activity.CREATED, object_id__in=ids)
    return dict(rows.values_list("object_id", "actor"))
