"""What a process keeps decoded: the one pattern for every per-process copy.

Shared data (a big cache entry, the catalog, the status document, a list the data
cache handed back) is expensive to decode or to derive figures from, and each request
would otherwise do it again. A `Memo` keeps the result under a key together with the
*stamp* of the data it came from, and gives it back only to a caller who presents the
same stamp; a new stamp (a new cache entry, a new publish, another list object) means
compute again. It is bounded (least recently used go first: cachetools' LRUCache) and
safe across threads (one lock around the LRU). What it keeps is shared between requests:
callers never change it, but for the service layer's `_derive`, which fills a dict of
figures per source one key at a time (adding a key is atomic; no figure changes).

A stamp matches when it is the very same object (a list handed back by the data
cache, a catalog) or an equal string or number (an entry's stamp); tuples match
element by element.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import cachetools

T = TypeVar("T")
_MISSING: Any = object()


def same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return isinstance(a, str | int | float) and type(a) is type(b) and a == b


class Memo:
    def __init__(self, maxsize: int = 64) -> None:
        self._kept: cachetools.LRUCache = cachetools.LRUCache(maxsize=maxsize)
        self._lock = threading.Lock()

    def get(self, key: Hashable, stamp: Any, default: Any = None) -> Any:
        """The value kept under `key` if it came from data with this stamp."""
        with self._lock:
            kept = self._kept.get(key)
        return kept[1] if kept is not None and same(kept[0], stamp) else default

    def peek(self, key: Hashable) -> tuple[Any, Any] | None:
        """(stamp, value) kept under `key`, whatever the stamp."""
        with self._lock:
            return self._kept.get(key)

    def put(self, key: Hashable, stamp: Any, value: T) -> T:
        with self._lock:
            self._kept[key] = (stamp, value)
        return value

    def recall(self, key: Hashable, stamp: Any, compute: Callable[[], T]) -> T:
        """The kept value for this stamp, else compute() it and keep it."""
        value = self.get(key, stamp, _MISSING)
        if value is _MISSING:
            value = self.put(key, stamp, compute())
        return value

    def drop(self, key: Hashable) -> None:
        with self._lock:
            self._kept.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
