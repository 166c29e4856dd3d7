"""Each web process learns of a new status document the moment it is published.

/status.json and the badges are hit hard, and a cache round trip costs more than
everything else such a request does. So `publish()` announces the new meta part
(the poller's health and the document's stamp) on a Redis channel, and every
process that serves status views keeps a watcher thread subscribed to it: a
request then reads the stamp from memory, and what was derived from that document
(webui.status.snapshot.by_stamp) too.

An announcement only nudges the watcher: it then reads the meta part from the
cache, which holds the newest one whatever order announcements arrive in. It also
reads it every CHECK_EVERY seconds (which catches an announcement lost with a
broken connection), and it is not believed once TRUST_FOR seconds pass without a
successful read. Then, and without Redis (a file cache), and before it
has heard anything, requests read the meta part from the cache as before.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from typing import Any

from django.conf import settings
from django.core.cache import caches

log = logging.getLogger("pond.status")

CHANNEL = "status:published:v1"
CHECK_EVERY = 1.0
TRUST_FOR = 3.0
_RETRY_AFTER = 1.0


def _redis_backend():
    backend = caches["default"]
    client = getattr(backend, "client", None)
    return backend if client is not None and hasattr(client, "get_client") else None


def _scope() -> str:
    # Tests switch caches between requests: a watcher serves the cache it was made for.
    return repr(settings.CACHES.get("default"))


class Watcher:
    def __init__(self, backend, scope: str, meta_key: str) -> None:
        self.backend = backend
        self.scope = scope
        self.pid = os.getpid()
        self.meta_key = meta_key
        self.channel = backend.make_key(CHANNEL)
        self.meta: dict[str, Any] | None = None
        self.heard = float("-inf")  # monotonic time of the last sign the meta is current
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, name="pond-status-watch", daemon=True)

    def current(self) -> dict[str, Any] | None:
        meta = self.meta
        if meta is None or time.monotonic() - self.heard >= TRUST_FOR:
            return None
        return meta

    def offer(self, meta: dict[str, Any]) -> None:
        """A meta part this process published itself (in touch only if Redis is)."""
        with self._lock:
            self.meta = meta

    def _refresh(self) -> None:
        """Read the meta part from the cache: the newest written, whatever order
        announcements arrive in."""
        before = self.meta
        meta = self.backend.get(self.meta_key)  # None on a miss and when Redis is down
        if meta is None:
            self.heard = float("-inf")  # not in touch, or nothing published: not trusted
            return
        with self._lock:
            # A meta this process published while the read was on its way is newer.
            if self.meta is before:
                self.meta = meta
        self.heard = time.monotonic()

    def _run(self) -> None:
        while not self.stopping.is_set():
            pubsub = None
            try:
                pubsub = self.backend.client.get_client(write=True).pubsub(
                    ignore_subscribe_messages=True
                )
                pubsub.subscribe(self.channel)
                checked = float("-inf")
                while not self.stopping.is_set():
                    if time.monotonic() - checked < CHECK_EVERY:
                        message = pubsub.get_message(timeout=min(CHECK_EVERY / 2, 0.5))
                        if message is None:
                            continue
                    # An announcement, or time to check: either way the cache says
                    # which document is newest (announcements may arrive out of order).
                    checked = time.monotonic()
                    self._refresh()
            except Exception:  # Redis away or a bad message: requests read the cache meanwhile
                self.heard = float("-inf")
                log.debug("status watcher lost Redis; retrying", exc_info=True)
                self.stopping.wait(_RETRY_AFTER)
            finally:
                if pubsub is not None:
                    with contextlib.suppress(Exception):  # closing a broken connection
                        pubsub.close()


_watcher: Watcher | None = None
_lock = threading.Lock()


def watcher(meta_key: str) -> Watcher | None:
    """This process' watcher of the current cache (started on first use), if it has Redis."""
    global _watcher
    found = _watcher
    scope = _scope()
    if found is not None and found.scope == scope and found.pid == os.getpid():
        return found
    with _lock:
        found = _watcher
        if found is not None and found.scope == scope and found.pid == os.getpid():
            return found
        if found is not None:
            found.stopping.set()
        backend = _redis_backend()
        if backend is None:
            _watcher = None
            return None
        found = Watcher(backend, scope, meta_key)
        found.thread.start()
        _watcher = found
        return found


def current(meta_key: str) -> dict[str, Any] | None:
    """The newest meta part, from memory, when the watcher is in touch; else None."""
    found = watcher(meta_key)
    return found.current() if found is not None else None


def announce(meta: dict[str, Any]) -> None:
    """Tell every watcher (and this process' own) that `meta` was just published."""
    found = _watcher
    if found is not None and found.scope == _scope() and found.pid == os.getpid():
        found.offer(meta)
    backend = _redis_backend()
    if backend is None:
        return
    try:
        # Only a nudge: watchers read the meta part itself from the cache.
        backend.client.get_client(write=True).publish(
            backend.make_key(CHANNEL), str(meta.get("stamp", ""))
        )
    except Exception:  # watchers re-read the cache every CHECK_EVERY seconds anyway
        log.warning("could not announce the new status document", exc_info=True)
