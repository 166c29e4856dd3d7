"""The read side of the status document: what every status request calls.

Reads what `document.publish()` cached, in as few cache round trips as possible
(/status.json and the badges are hit hard): a request reads the small meta part
(the poller's health and the document's stamp); whatever this process derived from
the document with that stamp (encoded bodies, badges, rendered pages) is reused
from memory, and only a new stamp fetches the big parts again. Freshness is decided
per request: a document is never shown as current once the poller has not
succeeded for POND_STATUS_STALE_INTERVALS intervals. A cache miss (cold start,
Redis down) falls back to this process' last copy, then to a rebuild from the
database.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from webui.jfrogml.memo import Memo
from webui.status import document as built
from webui.status import watch
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


# What the poller's error says to anyone but staff: upstream error text can name
# hosts, tokens' owners or internals ("Unauthorized: Invalid token."), and the page
# and /status.json are open to share-link holders and, if public, to everyone.
PUBLIC_POLL_ERROR = "JFrog ML did not answer the last poll as expected (details are shown to staff)"


def shown_to(fresh: StatusFreshness, *, staff: bool) -> StatusFreshness:
    """`fresh` as this viewer may see it: staff get the poller's error text, others a generic line."""
    if staff or not fresh.error:
        return fresh
    return replace(fresh, error=PUBLIC_POLL_ERROR)


# The last document this process published or rebuilt, with when. Only a fallback
# for when the shared cache misses (cold start, Redis down): without it, every request
# during a Redis outage would rebuild the whole document from the database.
_published = Memo(maxsize=1)


def _scope() -> str:
    # Another cache or database (tests switch them) must not recall this copy.
    return repr((settings.CACHES.get("default"), settings.DATABASES["default"]["NAME"]))


def remember(values: dict[str, Any]) -> None:
    _published.put("document", _scope(), (time.monotonic(), dict(values)))


def _recalled(key: str) -> Any:
    kept = _published.get("document", _scope())
    if kept is None or time.monotonic() - kept[0] >= max(settings.POND_POLL_INTERVAL, 5.0):
        return None
    return kept[1].get(key)


def _cached(key: str) -> Any:
    value = cache.get(key)
    if value is None:
        value = _recalled(key)
    if value is None:
        built.publish()
        value = _recalled(key)
    return value


def meta() -> dict[str, Any]:
    """The poller's health and the document's stamp: read on every request, from this
    process' watcher while it is in touch with Redis, else from the cache."""
    return watch.current(built.META_KEY) or _cached(built.META_KEY)


# What this process derived from the big cached parts, by name, under the stamp of
# the publish that wrote them. A request whose meta names the same stamp reuses it (no
# fetch, no decoding); a new publish (a new stamp) replaces it.
_derived = Memo(maxsize=64)
_UNSET = object()


def by_stamp(
    name: str,
    key: str,
    stamp: str | None,
    derive: Callable[[Any], Any],
    *,
    source: Callable[[], Any] | None = None,
) -> Any:
    """`derive(cached value of key)` (or of `source()`), computed once per stamp in
    this process."""
    kept = _derived.get(name, stamp, _UNSET) if stamp is not None else _UNSET
    if kept is not _UNSET:
        return kept
    value = source() if source is not None else _cached(key)
    result = derive(value)
    # Kept under the stamp the value itself carries: a publish between reading the
    # meta and reading this part gives a newer part, never a mislabelled one.
    own = value.get(built.STAMP) if isinstance(value, dict) else None
    if own is not None:
        _derived.put(name, own, result)
    return result


def stamp_of(meta_value: dict[str, Any]) -> str | None:
    return meta_value.get(built.STAMP)


def document(meta_value: dict[str, Any] | None = None) -> dict[str, Any]:
    """The whole document (read-only: it is shared by every request of this process)."""
    stamp = stamp_of(meta_value if meta_value is not None else meta())
    return by_stamp("document", built.DOC_KEY, stamp, lambda doc: doc)


@dataclass(frozen=True)
class JsonBodies:
    """/status.json after its envelope, encoded once per document: `,"summary":...}`."""

    fresh: bytes
    stale: bytes


def _json_tails(value: dict[str, Any]) -> JsonBodies:
    return JsonBodies(
        fresh=b"," + value["fresh"][1:].encode(), stale=b"," + value["stale"][1:].encode()
    )


def json_bodies(meta_value: dict[str, Any]) -> JsonBodies:
    return by_stamp("json", built.JSON_KEY, stamp_of(meta_value), _json_tails)


class Badges:
    """The badges' entries, and each badge's SVG once made (per document, so bounded
    by its deployments)."""

    def __init__(self, entries: dict[str, tuple[str, str, bool]]) -> None:
        self.entries = entries
        self.svg: dict[tuple[str, bool], bytes] = {}


def badges(meta_value: dict[str, Any] | None = None) -> Badges:
    stamp = stamp_of(meta_value if meta_value is not None else meta())
    return by_stamp("badges", built.BADGES_KEY, stamp, lambda value: Badges(value["badges"]))


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
