"""How old the data on a page is, and whether it is stale because JFrog ML failed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from webui.jfrogml import clock


@dataclass(frozen=True)
class Freshness:
    fetched_at: datetime | None
    age_seconds: float | None
    stale: bool = False
    error: str | None = None

    @classmethod
    def live(cls) -> Freshness:
        return cls(fetched_at=datetime.now(UTC), age_seconds=0.0)

    @classmethod
    def from_timestamp(
        cls, fetched: float | None, *, stale: bool = False, error: str | None = None
    ) -> Freshness:
        if fetched is None:
            return cls(fetched_at=None, age_seconds=None, stale=stale, error=error)
        age = max(0.0, clock.now() - fetched)
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
