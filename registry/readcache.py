"""Answers of the hottest reads, kept per process while the models table is unchanged.

A page of models and one model are JSON made from the models table alone. Its row in
`registry_rowcount` carries `changes`, which every insert, update, delete and truncate
of that table moves in the writing transaction (triggers, registry.rowcount). An answer
made under one value is served again, byte for byte, while the value read at the start
of a request is still the same: never stale, and each request costs one primary-key
lookup of one small row instead of the page query, the rows' conversion and rendering.

Only answers read outside a transaction are kept: inside one, a read may see writes
that are later rolled back (every test runs in such a transaction).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from rest_framework.renderers import JSONRenderer

from registry import rowcount

# At most this many bytes of answers per process (least recently used go first); 0 turns it off.
DEFAULT_MAX_BYTES = 8 * 1024 * 1024

_renderer = JSONRenderer()


def render(data: Any) -> bytes:
    """The same bytes as the registry's DRF responses (JSONRenderer)."""
    return _renderer.render(data)


class ReadCache:
    def __init__(self, table: str) -> None:
        self.table = table
        self._lock = threading.Lock()
        self._changes: int | None = None
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._bytes = 0

    @staticmethod
    def max_bytes() -> int:
        return int(getattr(settings, "REGISTRY_READ_CACHE_BYTES", DEFAULT_MAX_BYTES))

    def answer(self, key: Hashable, build: Callable[[], Any], using: str = DEFAULT_DB_ALIAS) -> bytes:
        """The rendered JSON of `build()`, kept under `key` while the table is unchanged.

        `build` may raise (a 404): nothing is kept then."""
        limit = self.max_bytes()
        if limit <= 0 or connections[using].in_atomic_block:
            return render(build())
        state = rowcount.read(self.table, using)
        if state is None:  # unknown: nothing to check against
            return render(build())
        changes = state[1]
        body = self._get(changes, key)
        if body is None:
            body = render(build())
            self._put(changes, key, body, limit)
        return body

    def _get(self, changes: int, key: Hashable) -> bytes | None:
        with self._lock:
            if changes != self._changes:
                return None
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
            return body

    def _put(self, changes: int, key: Hashable, body: bytes, limit: int) -> None:
        if len(body) > limit:
            return
        with self._lock:
            if changes != self._changes:
                # The table changed (or this is the first answer): what was kept is stale.
                self.clear_locked()
                self._changes = changes
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old)
            self._entries[key] = body
            self._bytes += len(body)
            while self._bytes > limit:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped)

    def clear_locked(self) -> None:
        self._entries.clear()
        self._bytes = 0
        self._changes = None

    def clear(self) -> None:
        with self._lock:
            self.clear_locked()


models = ReadCache("registry_registeredmodel")
