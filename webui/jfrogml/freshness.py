"""How old the data on a page is, and whether it is stale because JFrog ML failed."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime


class Reads:
    """What the data read while building one page said about it (see webui.core.pagecache).

    `degraded`: some of it was stale or failed upstream, so the page is a fallback.
    `due`: the earliest moment some of it is due for refetch.
    One object is shared by the context copies the service layer's worker threads
    run in, so their reads count too.
    """

    def __init__(self) -> None:
        self.degraded = False
        self.due: float | None = None
        self._lock = threading.Lock()

    def note_due(self, when: float) -> None:
        with self._lock:
            if self.due is None or when < self.due:
                self.due = when


_reads: ContextVar[Reads | None] = ContextVar("pond_page_reads", default=None)


@contextlib.contextmanager
def tracking() -> Iterator[Reads]:
    """Record what the data read inside the block said about itself."""
    reads = Reads()
    token = _reads.set(reads)
    try:
        yield reads
    finally:
        _reads.reset(token)


def note_due(when: float) -> None:
    reads = _reads.get()
    if reads is not None:
        reads.note_due(when)


@dataclass(frozen=True)
class Freshness:
    fetched_at: datetime | None
    age_seconds: float | None
    stale: bool = False
    error: str | None = None

    def __post_init__(self) -> None:
        if self.stale or self.error:
            reads = _reads.get()
            if reads is not None:
                reads.degraded = True

    @classmethod
    def live(cls) -> Freshness:
        return cls(fetched_at=datetime.now(UTC), age_seconds=0.0)

    @classmethod
    def from_timestamp(
        cls, fetched: float | None, *, stale: bool = False, error: str | None = None
    ) -> Freshness:
        if fetched is None:
            return cls(fetched_at=None, age_seconds=None, stale=stale, error=error)
        age = max(0.0, time.time() - fetched)
        return cls(
            fetched_at=datetime.fromtimestamp(fetched, UTC),
            age_seconds=age,
            stale=stale,
            error=error,
        )

    @classmethod
    def combine(cls, *parts: Freshness | None) -> Freshness:
        """A page built from several sources is as old as its oldest part, stale if any is."""
        present = [p for p in parts if p is not None]
        if not present:
            return cls.live()
        dated = [p for p in present if p.fetched_at is not None]
        oldest = min(dated, key=lambda p: p.fetched_at) if dated else None
        errors = [p.error for p in present if p.error]
        return cls(
            fetched_at=oldest.fetched_at if oldest else None,
            age_seconds=max((p.age_seconds or 0.0) for p in dated) if dated else None,
            stale=any(p.stale for p in present),
            error=errors[0] if errors else None,
        )
