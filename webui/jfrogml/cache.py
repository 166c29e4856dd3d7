"""Read-through cache for upstream data: TTL per resource, single-flight, stale-if-error.

Entries live in Django's default cache (django-redis, or the file cache shared by
every process), namespaced by a hash of the upstream URL so two upstreams never
mix. Each entry keeps its value and when it was fetched, and lives much longer
(`JFROG_ML_STALE_KEEP`) than its TTL, so that when JFrog ML fails the last good
value is served with its age and `stale=True`. A failure never overwrites it.

Single-flight: on a miss, the filler holds `locks.lock("fill:<key>")`; concurrent
missers wait on the same lock and re-read, so a burst makes one upstream call.
If the filler failed while they waited, they take its outcome instead of
repeating the call.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core.cache import caches

from webui.jfrogml import clock
from webui.jfrogml.client import get_client, upstream_namespace
from webui.jfrogml.errors import FALLBACK_ERRORS, NotFound, Unavailable
from webui.jfrogml.freshness import Freshness
from webui.jfrogml.locks import lock, uses_redis
from webui.jfrogml.memo import Memo
from webui.metrics import instruments

log = logging.getLogger("pond.jfrogml.cache")

T = TypeVar("T")

# TTLs in seconds, each overridable by a setting JFROG_ML_TTL_<NAME>. Deployment
# status is short-lived (the poller refreshes it every few seconds); details change
# rarely and are invalidated by every write through Pond anyway.
DEFAULT_TTLS = {
    "deployments": 10.0,
    "deployment": 5.0,
    "model": 60.0,
    "versions": 30.0,
    "experiments": 30.0,
    "experiment": 60.0,
}


def ttl(resource: str) -> float:
    return float(getattr(settings, f"JFROG_ML_TTL_{resource.upper()}", DEFAULT_TTLS[resource]))


def revalidate(resource: str) -> float:
    """How long past its TTL a big list is still answered at once (refetched behind)."""
    return float(getattr(settings, f"JFROG_ML_REVALIDATE_{resource.upper()}", 600.0))


def stale_keep() -> float:
    return float(getattr(settings, "JFROG_ML_STALE_KEEP", 7 * 24 * 3600))


@dataclass(frozen=True)
class Cached(Generic[T]):
    value: T
    freshness: Freshness


_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")


def key(kind: str, upstream_id: object) -> str:
    """The cache key of one object of `kind`: no id can produce another entry's key.

    An id is any string (`*`, spaces, `:`, 1,000 characters): a plain id is used as
    is, anything else by its SHA-256 (marked `#`, which no plain id holds), so the
    list of every experiment (`experiments:*`) is never an id's key and no key is
    too long or holds characters a cache backend warns about.
    """
    text = str(upstream_id)
    if _SAFE_ID.fullmatch(text):
        return f"{kind}:{text}"
    return f"{kind}:#{hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()}"


def full_key(key: str) -> str:
    return f"{upstream_namespace()}:{key}"


def _cache():
    return caches["default"]


# Entries too big to decode on every read (the list of every experiment: 20,000 of
# them unpickle in hundreds of milliseconds; the deployment list): each write also
# stores a tiny stamp under "<key>:stamp", and each process keeps the entry it last
# decoded while the stamp is unchanged. A read then costs one small cache read. The
# stamp goes with the entry (deleted, expired, or lost with an emptied cache), so
# this never serves what the shared cache no longer holds.
MEMO_KEYS = ("experiments:*", "deployments")
_decoded = Memo(maxsize=32)


def _memoized(key: str) -> bool:
    return key.endswith(tuple(":" + k for k in MEMO_KEYS))


def _valid(entry: Any) -> dict | None:
    return entry if isinstance(entry, dict) and "t" in entry and "v" in entry else None


def _get(key: str) -> dict | None:
    memoized = _memoized(key)
    stamp = None
    try:
        if memoized:
            stamp = _cache().get(key + ":stamp")
            kept = _decoded.get(key, stamp) if stamp is not None else None
            if kept is not None:
                return kept
        entry = _valid(_cache().get(key))
    except Exception:  # a corrupt file-cache entry or a backend error: treat as a miss
        log.warning("cache read failed for %s", key, exc_info=True)
        return None
    # Kept only when the entry is the one the stamp names: two writers racing can
    # leave one's stamp beside the other's entry, and then nothing is kept.
    if memoized and entry is not None and stamp is not None and entry.get("s") == stamp:
        _decoded.put(key, stamp, entry)
    return entry


def _write(key: str, entry: dict, timeout: float) -> None:
    """Store an entry (with its stamp when memoized); raises what the cache raises.

    The entry and its stamp change together, so the stamp always names the entry
    beside it: on Redis in one MULTI/EXEC, elsewhere with this key's writers in
    turn (the old stamp goes first, so a reader between the writes finds none and
    reads the entry itself).
    """
    if not _memoized(key):
        _cache().set(key, entry, timeout=timeout)
        return
    entry = {**entry, "s": uuid.uuid4().hex}
    _decoded.drop(key)
    if uses_redis():
        _cache().set_many({key: entry, key + ":stamp": entry["s"]}, timeout=timeout)
    else:
        with lock(f"write:{key}", timeout=10.0, blocking=True):
            _cache().delete(key + ":stamp")
            _cache().set(key, entry, timeout=timeout)
            _cache().set(key + ":stamp", entry["s"], timeout=timeout)
    _decoded.put(key, entry["s"], entry)


def _set(key: str, value: Any, fetched: float | None = None, *, timeout: float | None = None) -> None:
    try:
        _write(key, {"v": value, "t": fetched or clock.now()}, timeout or stale_keep())
    except Exception:
        log.warning("cache write failed for %s", key, exc_info=True)


def reset_local_state() -> None:
    """Forget the entries this process keeps decoded (tests that swap caches call this)."""
    _decoded.clear()


def _as_cached(entry: dict, *, stale: bool = False, error: str | None = None) -> Cached:
    return Cached(entry["v"], Freshness.from_timestamp(entry["t"] or None, stale=stale, error=error))


def read_through(
    key: str, fetch: Callable[[], T], *, ttl_seconds: float, revalidate_seconds: float = 0.0
) -> Cached[T]:
    """The cached value of `key` if younger than `ttl_seconds`, else fetch() it (see
    `_read_through`); each lookup is counted for /metrics as a hit, a miss (it waited
    for JFrog ML) or stale (JFrog ML failed and the last good value was served)."""
    asked = clock.now()
    try:
        result = _read_through(key, fetch, ttl_seconds=ttl_seconds, revalidate_seconds=revalidate_seconds)
    except Exception:
        instruments.cache_lookup(key, "miss")
        raise
    fetched = result.freshness.fetched_at
    waited = fetched is not None and fetched.timestamp() >= asked
    instruments.cache_lookup(key, "stale" if result.freshness.stale else "miss" if waited else "hit")
    return result


def _read_through(
    key: str, fetch: Callable[[], T], *, ttl_seconds: float, revalidate_seconds: float = 0.0
) -> Cached[T]:
    """The cached value of `key` if younger than `ttl_seconds`, else fetch() it.

    With `revalidate_seconds`, an entry up to that much older than its TTL is
    answered at once while one background thread refetches it (stale-while-
    revalidate): for expensive lists that a page should not wait for.

    Raises what fetch() raises, except that Unavailable/BadResponse become the last
    good value marked stale when there is one.
    """
    k = full_key(key)
    entry = _get(k)
    if entry is not None:
        age = clock.now() - entry["t"]
        if age < ttl_seconds:
            return _as_cached(entry)
        if age < ttl_seconds + revalidate_seconds:
            _background().submit(copy_context().run, _revalidate, k, key, fetch, ttl_seconds)
            failure = _get(k + ":err")
            if failure is not None and failure["t"] > entry["t"]:
                # A refetch failed since this value was fetched: say so on the page.
                return _as_cached(entry, stale=True, error=failure["v"])
            return _as_cached(entry)
    waited_since = clock.now()
    wait = get_client().budget + 1.0
    with lock(f"fill:{k}", timeout=wait, blocking=True, stripes=FILL_LOCK_STRIPES) as acquired:
        latest = _get(k) or entry
        if latest is not None and clock.now() - latest["t"] < ttl_seconds:
            return _as_cached(latest)
        failure = _get(k + ":err")
        if failure is not None and failure["t"] >= waited_since:
            # The filler we waited for just failed: take its outcome, don't repeat it.
            if latest is not None:
                return _as_cached(latest, stale=True, error=failure["v"])
            raise Unavailable(failure["v"])
        if not acquired:
            log.warning("gave up waiting for another process to fill %s", key)
        try:
            value = fetch()
        except FALLBACK_ERRORS as exc:
            # Only waiters of this fill read it, so it need not outlive a minute.
            _set(k + ":err", exc.message, timeout=60)
            if latest is not None:
                log.info("serving stale %s (%s)", key, exc.message)
                return _as_cached(latest, stale=True, error=exc.message)
            raise
        except NotFound:
            if latest is not None:
                _delete([k])
            raise
        _set(k, value)
        return Cached(value, Freshness.live())


# Lock files for single-flight fills, whatever the number of keys asked for.
FILL_LOCK_STRIPES = 256

@functools.cache
def _background() -> ThreadPoolExecutor:
    """Background refetches of this process, made on first use (not at import)."""
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="jfrogml-revalidate")


def _revalidate(k: str, key: str, fetch: Callable[[], Any], ttl_seconds: float) -> None:
    """Refetch in the background; skip if another thread or process is at it or did it."""
    with lock(f"fill:{k}", timeout=get_client().budget + 1.0, blocking=False, stripes=FILL_LOCK_STRIPES) as acquired:
        if not acquired:
            return
        entry = _get(k)
        if entry is not None and clock.now() - entry["t"] < ttl_seconds:
            return
        try:
            _set(k, fetch())
        except FALLBACK_ERRORS as exc:
            log.info("background refresh of %s failed: %s", key, exc.message)
            _set(k + ":err", exc.message, timeout=60)
        except Exception:
            log.warning("background refresh of %s failed", key, exc_info=True)


def peek(key: str) -> Cached | None:
    """The cached value whatever its age (marked stale when expired), without fetching."""
    entry = _get(full_key(key))
    return _as_cached(entry) if entry is not None else None


def store(key: str, value: Any) -> None:
    """Write a freshly fetched value (the poller's deployment list, for one)."""
    _set(full_key(key), value)


def _delete(keys: list[str]) -> None:
    for k in keys:
        _decoded.drop(k)
    keys = keys + [k + ":stamp" for k in keys if _memoized(k)]
    try:
        _cache().delete_many(keys)
    except Exception:
        log.warning("cache delete failed", exc_info=True)


def expire(*keys: str) -> None:
    """Make entries due for refetch after a write, but keep them as stale fallbacks."""
    full = [full_key(k) for k in keys]
    try:
        entries = _cache().get_many(full)
    except Exception:
        entries = {}
    for k, entry in entries.items():
        if isinstance(entry, dict) and "v" in entry:
            try:
                _write(k, {"v": entry["v"], "t": 0.0}, stale_keep())
            except Exception:
                log.warning("cache expire failed for %s", k, exc_info=True)


def forget(*keys: str) -> None:
    """Drop entries entirely (the object no longer exists upstream)."""
    _delete([full_key(k) for k in keys])
