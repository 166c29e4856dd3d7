"""The catalog as a process holds it: the rows and what pages derive from them.

A catalog is either a *base* (the rows a refresh stored) or a base plus the rows
that writes through Pond changed since (`Catalog.patched`). A patched catalog
derives its figures from its base's, adjusted for the changed rows only: a write
costs each process a pass over 10,000 rows, not a reload of 100,000 versions and a
re-derivation of every figure (see `per_row` and `_tally`).

Everything derived is computed at most once per catalog object and shared between
requests: callers never change what they are given.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from webui.jfrogml.catalog.rows import ModelRow, VersionRow, row_model
from webui.jfrogml.resources import Model


@dataclass(frozen=True)
class OverviewFigures:
    model_count: int
    version_count: int
    version_status_counts: dict[str, int]
    recent_models: tuple[Model, ...]
    # (model, version row) for versions in staging, newest first.
    awaiting_review: tuple[tuple[Model, VersionRow], ...]


@dataclass
class Catalog:
    rows: list[ModelRow]
    built_at: float
    complete: bool
    full_at: float
    stamp: str = ""
    # model id -> when a write through Pond patched it; a refresh that started
    # earlier keeps these rows instead of overwriting them with older data.
    patched: dict[str, float] = field(default_factory=dict)
    # For a patched catalog: the base it was made from, and the rows changed since
    # (model id -> row, None for a deleted model).
    base: Catalog | None = field(default=None, repr=False)
    changes: dict[str, ModelRow | None] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._kept: dict[Any, Any] = {}
        if self.base is None:
            self.by_id = {row.id: row for row in self.rows}
            # Index in the base of each row (-1: changed since), for `per_row`.
            self._source: list[int] = []
            self._removed: list[ModelRow] = []
        else:
            self.by_id = dict(self.base.by_id)
            self._removed = [self.base.by_id[mid] for mid in self.changes if mid in self.base.by_id]
            for mid, row in self.changes.items():
                if row is None:
                    self.by_id.pop(mid, None)
                else:
                    self.by_id[mid] = row
        self._added = [row for row in self.changes.values() if row is not None]

    @classmethod
    def patched_from(
        cls, base: Catalog, changes: dict[str, ModelRow | None], *, stamp: str, patched: dict[str, float]
    ) -> Catalog:
        """`base` with `changes` applied: changed rows in their place, new ones last."""
        rows: list[ModelRow] = []
        source: list[int] = []
        for j, row in enumerate(base.rows):
            if row.id in changes:
                new = changes[row.id]
                if new is not None:
                    rows.append(new)
                    source.append(-1)
            else:
                rows.append(row)
                source.append(j)
        for mid, new in changes.items():
            if new is not None and mid not in base.by_id:
                rows.append(new)
                source.append(-1)
        catalog = cls(
            rows=rows,
            built_at=base.built_at,
            complete=base.complete and all(row.versions is not None for row in changes.values() if row is not None),
            full_at=base.full_at,
            stamp=stamp,
            patched={**base.patched, **patched},
            base=base,
            changes=changes,
        )
        catalog._source = source
        return catalog

    @property
    def root(self) -> Catalog:
        """The base catalog (itself when unpatched)."""
        return self.base if self.base is not None else self

    @property
    def age_seconds(self) -> float:
        return max(0.0, time.time() - self.built_at)

    @property
    def built_at_datetime(self) -> datetime:
        return datetime.fromtimestamp(self.built_at, UTC)

    # --- derived, once per catalog ---------------------------------------------------

    def once(self, key: Any, compute: Callable[[], Any]) -> Any:
        """compute() once per catalog object; the result is shared, never mutate it."""
        try:
            return self._kept[key]
        except KeyError:
            value = self._kept[key] = compute()
            return value

    def per_row(self, name: str, compute: Callable[[ModelRow], Any]) -> list[Any]:
        """[compute(row) for row in rows], once per catalog; a patched catalog reuses
        its base's value for every row it did not change. `compute` must depend on
        the row alone."""

        def build() -> list[Any]:
            if self.base is None:
                return [compute(row) for row in self.rows]
            kept = self.base.per_row(name, compute)
            return [kept[j] if j >= 0 else compute(row) for row, j in zip(self.rows, self._source, strict=True)]

        return self.once(("per_row", name), build)

    def _tally(self, name: str, count: Callable[[Iterable[ModelRow]], Counter]) -> Counter:
        """count(rows), once per catalog; a patched catalog takes its base's and
        counts only the rows that changed. Shared: never mutate."""

        def build() -> Counter:
            if self.base is None:
                return count(self.rows)
            total = Counter(self.base._tally(name, count))
            total.subtract(count(self._removed))
            total.update(count(self._added))
            return +total  # without the keys counted down to zero

        return self.once(("tally", name), build)

    @property
    def haystack(self) -> list[str]:
        """One lower-cased string per row to search in (a substring test over 10,000
        of them takes about a millisecond)."""
        return self.per_row("haystack", lambda row: "\x00".join([row.name or "", row.description or "", *row.tags]).lower())

    @property
    def statuses(self) -> list[frozenset[str]]:
        """Per row, its versions' statuses (the "has a version in status X" filter)."""
        return self.per_row("statuses", lambda row: frozenset(v.status for v in (row.versions or ())))

    def facets(self) -> dict[str, list[tuple[str, int]]]:
        """Counts per framework, task type, tag and version status."""

        def figure() -> dict[str, list[tuple[str, int]]]:
            return {
                "frameworks": sorted(self._tally("frameworks", _count_frameworks).items()),
                "task_types": sorted(self._tally("task_types", _count_task_types).items()),
                "tags": sorted(self._tally("tags", _count_tags).items()),
                "version_statuses": sorted(self.version_status_counts().items()),
            }

        return self.once("facets", figure)

    def version_status_counts(self) -> Counter:
        return Counter(self._tally("version_statuses", _count_version_statuses))

    def versions_in_status(self, status: str) -> list[tuple[ModelRow, VersionRow]]:
        """(model row, version row) for every version in `status`, newest first."""

        def find() -> list[tuple[ModelRow, VersionRow]]:
            if self.base is None:
                found = [(row, v) for row in self.rows for v in (row.versions or ()) if v.status == status]
            else:
                found = [pair for pair in self.base.versions_in_status(status) if pair[0].id not in self.changes]
                found.extend((row, v) for row in self._added for v in (row.versions or ()) if v.status == status)
            found.sort(key=lambda pair: (pair[1].created or 0.0, pair[0].id, pair[1].id), reverse=True)
            return found

        return list(self.once(("versions_in_status", status), find))

    def model_names(self) -> dict[str, str]:
        """Model id -> name (the id when unnamed)."""

        def names() -> dict[str, str]:
            if self.base is None:
                return {row.id: row.name or row.id for row in self.rows}
            found = dict(self.base.model_names())
            for row in self._removed:
                found.pop(row.id, None)
            found.update((row.id, row.name or row.id) for row in self._added)
            return found

        return self.once("model_names", names)

    def version_labels(self) -> dict[str, str]:
        """Version id -> label (the id when unlabelled), across every model."""

        def labels() -> dict[str, str]:
            if self.base is None:
                return {v.id: v.label or v.id for row in self.rows for v in (row.versions or ())}
            found = dict(self.base.version_labels())
            for row in self._removed:
                for v in row.versions or ():
                    found.pop(v.id, None)
            found.update((v.id, v.label or v.id) for row in self._added for v in (row.versions or ()))
            return found

        return self.once("version_labels", labels)

    def overview_figures(self, *, recent: int = 8, awaiting: int = 50) -> OverviewFigures:
        """What the overview shows from the catalog, with dates parsed once."""

        def figure() -> OverviewFigures:
            newest = sorted(self.rows, key=lambda r: r.updated or 0.0, reverse=True)[:recent]
            models: dict[str, Model] = {}

            def model(row: ModelRow) -> Model:
                if row.id not in models:
                    models[row.id] = row_model(row)
                return models[row.id]

            counts = self.version_status_counts()
            return OverviewFigures(
                model_count=len(self.rows),
                version_count=sum(counts.values())
                if self.complete
                else sum(r.versions_count or 0 for r in self.rows),
                version_status_counts=dict(counts),
                recent_models=tuple(model(r) for r in newest),
                awaiting_review=tuple((model(row), v) for row, v in self.versions_in_status("staging")[:awaiting]),
            )

        return self.once(("overview", recent, awaiting), figure)

    def to_payload(self) -> dict:
        return {
            "rows": self.rows,
            "built_at": self.built_at,
            "complete": self.complete,
            "full_at": self.full_at,
            "patched": self.patched,
        }


def _count_frameworks(rows: Iterable[ModelRow]) -> Counter:
    return Counter(row.framework for row in rows if row.framework)


def _count_task_types(rows: Iterable[ModelRow]) -> Counter:
    return Counter(row.task_type for row in rows if row.task_type)


def _count_tags(rows: Iterable[ModelRow]) -> Counter:
    return Counter(tag for row in rows for tag in set(row.tags))


def _count_version_statuses(rows: Iterable[ModelRow]) -> Counter:
    return Counter(v.status for row in rows for v in (row.versions or ()))
