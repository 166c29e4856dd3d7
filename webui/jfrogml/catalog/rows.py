"""The catalog's rows: a model and its versions as compact, immutable tuples."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import NamedTuple

from webui.jfrogml.resources import Model, ModelVersion


class VersionRow(NamedTuple):
    """A version as the catalog keeps it (times as POSIX timestamps)."""

    id: str
    label: str
    status: str
    created: float | None
    artifact_path: str


class ModelRow(NamedTuple):
    """A model as the catalog keeps it, with its versions in creation order (None
    when they were not fetched yet; `versions_at` is when they were)."""

    id: str
    name: str
    description: str
    framework: str
    task_type: str
    tags: tuple[str, ...]
    latest_version: str | None
    versions_count: int | None
    created: float | None
    updated: float | None
    created_by: str | None
    versions: tuple[VersionRow, ...] | None
    versions_at: float | None


def ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def dt(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, UTC) if ts is not None else None


def version_rows(versions: Iterable[ModelVersion]) -> tuple[VersionRow, ...]:
    """Version rows in creation order (the upstream may list newest first)."""
    ordered = sorted(versions, key=lambda v: (v.created_at is None, ts(v.created_at) or 0.0, v.id))
    return tuple(VersionRow(v.id, v.version, v.status, ts(v.created_at), v.artifact_path or "") for v in ordered)


def model_row(
    model: Model, versions: list[ModelVersion] | tuple[VersionRow, ...] | None, versions_at: float | None = None
) -> ModelRow:
    """A compact row; `versions` as a list of ModelVersion (just fetched) or a tuple of
    kept version rows."""
    if isinstance(versions, tuple):
        versions = tuple(v if isinstance(v, VersionRow) else VersionRow(*v) for v in versions)
    elif versions is not None:
        versions = version_rows(versions)
        versions_at = versions_at or time.time()
    return ModelRow(
        model.id,
        model.name,
        model.description,
        model.framework,
        model.task_type,
        tuple(model.tags),
        model.latest_version,
        model.versions_count,
        ts(model.created_at),
        ts(model.updated_at),
        model.created_by,
        versions,
        versions_at if versions is not None else None,
    )


def row_model(row: ModelRow) -> Model:
    return Model(
        id=row.id,
        name=row.name,
        description=row.description,
        framework=row.framework,
        task_type=row.task_type,
        tags=row.tags,
        latest_version=row.latest_version,
        versions_count=row.versions_count,
        created_at=dt(row.created),
        updated_at=dt(row.updated),
        created_by=row.created_by,
    )


def signature(row: ModelRow) -> tuple:
    """What the model list tells of a model's versions: when it differs from the kept
    row's, its versions are fetched again."""
    return (row.updated, row.versions_count, row.latest_version)
