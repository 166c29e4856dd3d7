"""The read side of the status document: what every status request calls.

Reads what `document.publish()` cached, in as few cache round trips as possible
(/status.json and the badges are hit hard), and decides freshness per request: a
document is never shown as current once the poller has not succeeded for
POND_STATUS_STALE_INTERVALS intervals. A cache miss (cold start, Redis down) falls
back to this process' last copy, then to a rebuild from the database.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from webui.status import document as built
from webui.status.models import DeploymentState


@dataclass(frozen=True)
class StatusFreshness:
    checked_at: datetime | None
    age_seconds: float | None
    stale: bool
    error: str
    error_since: datetime | None


def freshness(doc: dict[str, Any], *, now: datetime | None = None) -> StatusFreshness:
    now = now or timezone.now()
    poller = doc.get("poller", {})
    checked = built.parse_iso(poller.get("last_success_at"))
    age = (now - checked).total_seconds() if checked else None
    limit = settings.POND_STATUS_STALE_INTERVALS * settings.POND_POLL_INTERVAL
    return StatusFreshness(
        checked_at=checked,
        age_seconds=max(0.0, age) if age is not None else None,
        stale=age is None or age > limit,
        error=poller.get("last_error") or "",
        error_since=built.parse_iso(poller.get("error_since")),
    )


# The last document this process published or rebuilt. Only a fallback for when
# the shared cache misses (cold start, Redis down): without it, every request
# during a Redis outage would rebuild the whole document from the database.
# Replaced whole (one assignment), so that threads never see it half-written.
_memo: tuple[tuple, float, dict[str, Any]] | None = None


def _scope() -> tuple:
    # Another cache or database (tests switch them) must not recall this memo.
    return (repr(settings.CACHES.get("default")), settings.DATABASES["default"]["NAME"])


def remember(values: dict[str, Any]) -> None:
    global _memo
    _memo = (_scope(), time.monotonic(), dict(values))


def _recalled(key: str) -> Any:
    memo = _memo
    if memo is None:
        return None
    scope, at, values = memo
    if scope != _scope() or time.monotonic() - at >= max(settings.POND_POLL_INTERVAL, 5.0):
        return None
    return values.get(key)


def _cached(key: str) -> Any:
    value = cache.get(key)
    if value is None:
        value = _recalled(key)
    if value is None:
        built.publish()
        value = _recalled(key)
    return value


def document() -> dict[str, Any]:
    return _cached(built.DOC_KEY)


def json_parts() -> tuple[dict[str, str], dict[str, Any]]:
    """/status.json's cached bodies and the poller's health, in one cache round trip."""
    found = cache.get_many([built.JSON_KEY, built.META_KEY])
    if built.JSON_KEY in found and built.META_KEY in found:
        return found[built.JSON_KEY], found[built.META_KEY]
    return json_bodies(), cache_meta()


def badge_parts() -> tuple[dict[str, tuple[str, str, bool]], dict[str, Any]]:
    """The badges' cached entries and the poller's health, in one cache round trip."""
    found = cache.get_many([built.BADGES_KEY, built.META_KEY])
    if built.BADGES_KEY in found and built.META_KEY in found:
        return found[built.BADGES_KEY], found[built.META_KEY]
    return badges(), cache_meta()


def json_bodies() -> dict[str, str]:
    return _cached(built.JSON_KEY)


def cache_meta() -> dict[str, Any]:
    """The poller's health part of the document (small: read on every JSON/badge request)."""
    return _cached(built.META_KEY)


def envelope(fresh: StatusFreshness) -> str:
    """The per-request head of /status.json: how fresh the cached body is."""
    if fresh.stale:
        text = (
            f"unknown, last checked at {built.iso(fresh.checked_at)}"
            if fresh.checked_at
            else "unknown, never checked"
        )
    else:
        text = f"checked {fresh.age_seconds:.0f} s ago"
    return json.dumps(
        {
            "checked_at": built.iso(fresh.checked_at),
            "age_seconds": None if fresh.age_seconds is None else round(fresh.age_seconds, 1),
            "stale": fresh.stale,
            "freshness": text,
            "poller_error": fresh.error or None,
            "poller_error_since": built.iso(fresh.error_since),
        },
        separators=(",", ":"),
    )


def badges() -> dict[str, tuple[str, str, bool]]:
    return _cached(built.BADGES_KEY)


def bar(deployment_id: str) -> str | None:
    text = cache.get(built.bar_key(deployment_id))
    if text is None:
        # A cold cache: compute this one bar (not all of them) and keep it.
        state = DeploymentState.objects.filter(deployment_id=deployment_id).first()
        if state is None:
            return None
        _, bars = built.compute([state], now=timezone.now())
        text = bars[deployment_id]
        cache.set(
            built.bar_key(deployment_id), text, timeout=settings.POND_STATUS_HISTORY_TTL or None
        )
    return text
