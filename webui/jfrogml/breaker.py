"""A circuit breaker per upstream, its state shared between processes via the cache.

After `JFROG_ML_BREAKER_THRESHOLD` consecutive Unavailable-class failures the
client stops calling JFrog ML for `JFROG_ML_BREAKER_RESET` seconds, then lets one
trial call through (half-open): its success closes the circuit, its failure opens
it for another window. Not-found and validation errors prove the upstream is
alive, so they count as successes.

One trial per window, across processes: the trial's key names the window (the
moment the circuit opened), so a caller that read the window just before a failed
trial reopened the circuit competes for that old window's trial, which is taken,
and never for a fresh one. (A single trial key, deleted when a trial failed, let
such a caller become a second trial in the same window.) Every decision is logged
at DEBUG on `pond.jfrogml.breaker` with the process id, for drills to read. The state lives in Django's default cache
(Redis, or the shared file cache); a cache that is not shared between processes
(locmem, dummy) gets a per-process state instead.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from django.conf import settings
from django.core.cache import caches

from webui.jfrogml import clock
from webui.jfrogml.errors import Unavailable
from webui.metrics import instruments

log = logging.getLogger("pond.jfrogml.breaker")

_LOCAL_BACKENDS = ("django.core.cache.backends.locmem.", "django.core.cache.backends.dummy.")


class _LocalStore:
    """Per-process stand-in for the cache, with the same add/incr semantics."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[object, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> object | None:
        with self._lock:
            item = self._data.get(key)
            if item is None or item[1] < time.monotonic():
                return None
            return item[0]

    def set(self, key: str, value: object, timeout: float) -> None:
        with self._lock:
            self._data[key] = (value, time.monotonic() + timeout)

    def add(self, key: str, value: object, timeout: float) -> bool:
        with self._lock:
            item = self._data.get(key)
            if item is not None and item[1] >= time.monotonic():
                return False
            self._data[key] = (value, time.monotonic() + timeout)
            return True

    def incr(self, key: str) -> int:
        with self._lock:
            value, expires = self._data.get(key, (0, time.monotonic() + 3600))
            value = int(value) + 1
            self._data[key] = (value, expires)
            return value

    def get_many(self, keys: list[str]) -> dict[str, object]:
        found = {key: self.get(key) for key in keys}
        return {key: value for key, value in found.items() if value is not None}

    def delete_many(self, keys: list[str]) -> None:
        with self._lock:
            for key in keys:
                self._data.pop(key, None)


_local = _LocalStore()


class Breaker:
    def __init__(self, namespace: str) -> None:
        self.threshold = int(settings.JFROG_ML_BREAKER_THRESHOLD)
        self.reset = float(settings.JFROG_ML_BREAKER_RESET)
        self._fail_key = f"{namespace}:breaker:failures"
        self._open_key = f"{namespace}:breaker:opened"
        self._trial_key = f"{namespace}:breaker:trial"
        backend = settings.CACHES.get("default", {}).get("BACKEND", "")
        self._store = _local if backend.startswith(_LOCAL_BACKENDS) else caches["default"]
        self._redis = backend.startswith("django_redis.")

    def before_call(self) -> str:
        """Raise Unavailable while open; in half-open, admit exactly one trial call.

        Returns how the call was admitted: "closed" or "trial".
        """
        opened = self._store.get(self._open_key)
        if opened is None:
            return "closed"
        remaining = float(opened) + self.reset - clock.now()
        if remaining > 0:
            raise Unavailable(f"JFrog ML failed repeatedly; Pond retries it in {remaining:.0f} s (circuit open).")
        if not self._admit_trial(f"{self._trial_key}:{float(opened):.6f}"):
            log.debug("breaker pid=%d refused window=%.6f (trial taken)", os.getpid(), float(opened))
            raise Unavailable("JFrog ML failed repeatedly; a trial call is checking it now (circuit half-open).")
        log.debug("breaker pid=%d trial window=%.6f", os.getpid(), float(opened))
        return "trial"

    def _admit_trial(self, key: str) -> bool:
        # A hung trial that never reports frees its window's slot after one reset period.
        timeout = max(self.reset, 1.0)
        if self._store is _local or self._redis:
            # add() is atomic on Redis and in the local store.
            return bool(self._store.add(key, clock.now(), timeout=timeout))
        # The file cache's add() is check-then-set: serialise it with a file lock.
        from webui.jfrogml.locks import lock

        with lock(self._trial_key, timeout=1.0, blocking=True) as acquired:
            return acquired and bool(self._store.add(key, clock.now(), timeout=timeout))

    def record_success(self) -> None:
        # The common case (closed, no failures) costs one read, not a write.
        state = self._store.get_many([self._fail_key, self._open_key])
        if not state:
            return
        self._store.delete_many([self._fail_key, self._open_key])
        if self._open_key in state:
            log.info("breaker pid=%d closed: a call succeeded", os.getpid())

    def record_failure(self) -> None:
        ttl = max(self.reset * 20, 600.0)
        self._store.add(self._fail_key, 0, timeout=ttl)
        try:
            # None when an ignored Redis error swallowed the call: the breaker then
            # stays closed, which only costs the timeouts it would have saved.
            failures = self._store.incr(self._fail_key) or 0
        except ValueError:  # the key expired between add and incr
            self._store.set(self._fail_key, 1, timeout=ttl)
            failures = 1
        if failures >= self.threshold:
            opened = clock.now()
            self._store.set(self._open_key, opened, timeout=ttl)
            instruments.breaker_opened()  # metrics (webui/metrics/)
            log.debug("breaker pid=%d open window=%.6f failures=%d", os.getpid(), opened, failures)

    @property
    def state(self) -> str:
        """"closed", "open" (calls refused) or "half_open" (the next call is a trial): for /metrics."""
        opened = self._store.get(self._open_key)
        if opened is None:
            return "closed"
        return "open" if float(opened) + self.reset > clock.now() else "half_open"

    @property
    def is_open(self) -> bool:
        opened = self._store.get(self._open_key)
        return opened is not None and float(opened) + self.reset > clock.now()
