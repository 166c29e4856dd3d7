"""Cross-process locks: on Redis when the default cache is django-redis, else fcntl files.

Used for single-flight cache fills and by the poller so that two schedulers never
poll at once. If Redis is configured but not answering, the lock falls back to a
file lock, which still serialises the processes of this machine: a Redis outage
costs coordination across machines, never the page.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.core.cache import caches

log = logging.getLogger("pond.jfrogml.locks")

_POLL = 0.02


def uses_redis() -> bool:
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    return backend.startswith("django_redis.")


@contextlib.contextmanager
def lock(
    name: str, *, timeout: float, blocking: bool = False, renew: bool = False, stripes: int | None = None
) -> Iterator[bool]:
    """Hold the lock `name`; yields whether it was acquired.

    With `stripes`, names that come from request data (one per cache key) share that
    many lock files: a file lock leaves its file behind, and one file per key asked for
    grew without bound (50 random model ids left 150 files). Two names on one stripe
    only wait for each other. Redis keys expire, so Redis locks stay per name.

    `timeout` bounds both how long a blocking caller waits and, on Redis, how long
    the lock lives if its holder dies (a file lock dies with its process). With
    `renew`, a live holder keeps extending it, so `timeout` can be short: a holder
    killed outright (SIGKILL) then blocks others for at most `timeout`, while a
    slow but live one keeps its lock however long it takes.
    """
    if uses_redis():
        try:
            redis_lock = _redis_lock(name, timeout)
            acquired = redis_lock.acquire(blocking=blocking, blocking_timeout=timeout if blocking else None)
        except Exception as exc:  # redis-py raises several connection error types
            log.warning("Redis lock %s unavailable (%s); using a file lock", name, exc.__class__.__name__)
        else:
            done = threading.Event()
            if acquired and renew:
                threading.Thread(target=_keep_alive, args=(redis_lock, timeout, done), daemon=True).start()
            try:
                yield bool(acquired)
            finally:
                done.set()
                if acquired:
                    with contextlib.suppress(Exception):
                        redis_lock.release()
            return
    if stripes:
        digest = int(hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest(), 16)
        name = f"stripe-{digest % stripes}"
    with _file_lock(name, timeout=timeout, blocking=blocking) as acquired:
        yield acquired


def _keep_alive(redis_lock, timeout: float, done: threading.Event) -> None:
    """Reset the lock's TTL to `timeout` every third of it until the holder is done."""
    while not done.wait(max(timeout / 3, 0.05)):
        try:
            redis_lock.extend(max(timeout, 0.1), replace_ttl=True)
        except Exception as exc:  # lost (expired while Redis was away) or Redis down: stop
            log.warning("could not renew lock %s (%s)", redis_lock.name, exc.__class__.__name__)
            return


def _redis_lock(name: str, timeout: float):
    from django_redis import get_redis_connection

    cache = caches["default"]
    # Namespaced like cache keys so that test prefixes (and their cleanup) cover locks.
    key = cache.make_key(f"lock:{name}")
    client = get_redis_connection("default")
    return client.lock(key, timeout=max(timeout, 0.1), sleep=_POLL, thread_local=False)


@contextlib.contextmanager
def _file_lock(name: str, *, timeout: float, blocking: bool) -> Iterator[bool]:
    directory = Path(settings.POND_LOCK_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    prefix = settings.CACHES.get("default", {}).get("KEY_PREFIX", "")
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:80]
    digest = hashlib.sha1(f"{prefix}:{name}".encode(), usedforsecurity=False).hexdigest()[:12]
    path = directory / f"{safe}-{digest}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    acquired = False
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                acquired = True
                break
            except BlockingIOError:
                if not blocking or time.monotonic() >= deadline:
                    break
                time.sleep(_POLL)
        yield acquired
    finally:
        if acquired:
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
