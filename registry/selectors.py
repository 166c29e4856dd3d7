"""Reads, and the JSON each resource is rendered as.

Absent values (a model without versions has no `latest_version`, a running
experiment no `completed_at`) are omitted, never `null`: the spec's types are plain.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet, Subquery

from registry import ids
from registry.models import Deployment, Experiment, ModelVersion, RegisteredModel, RowCount
from registry.services import effective_status

# What a model's JSON is made of: its row's columns, read as they are.
MODEL_COLUMNS = (
    "id", "name", "description", "framework", "task_type", "tags", "versions_count",
    "created_at", "updated_at", "created_by", "latest_version",
)


def iso(moment: datetime) -> str:
    # isoformat, not strftime: glibc's %Y does not zero-pad years before 1000, which
    # made "702-04-10T..." (not an RFC 3339 date-time; found by schemathesis at 40 examples).
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def model_json(model: RegisteredModel) -> dict[str, Any]:
    return model_row_json(model.__dict__)


def model_row_json(row: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON from its columns (MODEL_COLUMNS), as a row of `.values()` has them."""
    body: dict[str, Any] = {
        "id": row["id"],
        "name": row["name"],
        "description": row["description"],
        "framework": row["framework"],
        "task_type": row["task_type"],
        "tags": row["tags"],
        "versions_count": row["versions_count"],
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
        "created_by": row["created_by"],
    }
    if row["latest_version"]:
        body["latest_version"] = row["latest_version"]
    return body


def version_json(version: ModelVersion) -> dict[str, Any]:
    return {
        "id": version.id,
        "model_id": version.model_id,
        "version": version.version,
        "description": version.description,
        "status": version.status,
        "artifact_path": version.artifact_path,
        "metrics": version.metrics,
        "parameters": version.parameters,
        "created_at": iso(version.created_at),
        "created_by": version.created_by,
    }


def experiment_json(experiment: Experiment) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": experiment.id,
        "name": experiment.name,
        "description": experiment.description,
        "status": experiment.status,
        "metrics": experiment.metrics,
        "parameters": experiment.parameters,
        "created_at": iso(experiment.created_at),
        "created_by": experiment.created_by,
    }
    if experiment.model_id:
        body["model_id"] = experiment.model_id
    if experiment.completed_at is not None:
        body["completed_at"] = iso(experiment.completed_at)
    return body


def deployment_json(deployment: Deployment, *, now: datetime | None = None, with_resources: bool = False) -> dict[str, Any]:
    status, updated_at = effective_status(deployment, now)
    body: dict[str, Any] = {
        "id": deployment.id,
        "name": deployment.name,
        "model_id": deployment.model_id,
        "model_version_id": deployment.model_version_id,
        "status": status,
        "endpoint_url": deployment.endpoint_url,
        "replicas": deployment.replicas,
        "created_at": iso(deployment.created_at),
        "updated_at": iso(updated_at),
    }
    # Real JFrog ML echoes resources on create only.
    if with_resources:
        body["resources"] = deployment.resources
    return body


class CompiledRead:
    """A read whose SQL the ORM compiles once per database, not on every call.

    For the hottest reads (a page of models, one model) building and compiling the
    queryset cost the Python side several times what running the query did. The SQL of
    `build()` is the same on every call but for its parameters, so it is compiled once;
    the values still go through the fields' own converters (JSON text, SQLite dates).
    """

    def __init__(self, build: Any, columns: tuple[str, ...]) -> None:
        self.build = build  # () -> a .values(*columns) queryset whose parameters are placeholders
        self.columns = columns
        self._compiled: dict[tuple[str, str], tuple[str, int, list[tuple[int, list[Any], Any]]]] = {}

    def _compile(self, using: str) -> tuple[str, int, list[tuple[int, list[Any], Any]]]:
        connection = connections[using]
        key = (using, connection.vendor)
        compiled = self._compiled.get(key)
        if compiled is None:
            queryset: QuerySet = self.build()
            compiler = queryset.query.get_compiler(using=using)
            sql, placeholders = compiler.as_sql()
            converters = compiler.get_converters([column for column, _, _ in compiler.select])
            compiled = self._compiled[key] = (
                sql, len(placeholders), [(pos, convs, expr) for pos, (convs, expr) in converters.items()]
            )
        return compiled

    def rows(self, params: list[Any], *, suffix: str = "", using: str = DEFAULT_DB_ALIAS) -> list[dict[str, Any]]:
        """Rows as dicts of `columns`; `params` replace the placeholders, in order, then `suffix`'s."""
        sql, placeholders, converters = self._compile(using)
        if len(params) != placeholders + suffix.count("%s"):
            raise ValueError(f"{len(params)} parameters for {placeholders} placeholders and {suffix!r}")
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(sql + suffix, params)
            raw = cursor.fetchall()
        out = []
        columns = self.columns
        for values in raw:
            values = list(values)
            for pos, convs, expression in converters:
                value = values[pos]
                for convert in convs:
                    value = convert(value, expression, connection)
                values[pos] = value
            out.append(dict(zip(columns, values, strict=True)))
        return out


_MODEL_TABLE = RegisteredModel._meta.db_table

# A page: every model in order, each row carrying the stored count along (one query).
# Its one placeholder is the counted table's name; LIMIT and OFFSET are appended.
_MODEL_PAGE = CompiledRead(
    lambda: RegisteredModel.objects.order_by("created_at", "id")
    .annotate(_total=Subquery(RowCount.objects.filter(table=_MODEL_TABLE).values("row_count")[:1]))
    .values(*MODEL_COLUMNS, "_total"),
    (*MODEL_COLUMNS, "_total"),
)
# One model; the placeholder is its ID.
_MODEL_ONE = CompiledRead(
    lambda: RegisteredModel.objects.filter(pk="placeholder").values(*MODEL_COLUMNS), MODEL_COLUMNS
)


def model_row(model_id: str) -> dict[str, Any] | None:
    """One model's columns (MODEL_COLUMNS), or None."""
    if not ids.looks_like_id(model_id):
        return None
    rows = _MODEL_ONE.rows([model_id])
    return rows[0] if rows else None


def model_count() -> int:
    """Every model: the trigger-kept count (registry.rowcount), or a count when it is unknown."""
    count = RowCount.objects.filter(table=RegisteredModel._meta.db_table).values_list("row_count", flat=True).first()
    return RegisteredModel.objects.count() if count is None else count


def model_list(*, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """A page of models (rows of MODEL_COLUMNS, oldest first) and the number of all models.

    One query: the page carries the stored count along; an empty page (or an unknown
    count) asks for the count alone."""
    rows = _MODEL_PAGE.rows([_MODEL_TABLE, limit, offset], suffix=" LIMIT %s OFFSET %s") if limit else []
    count = rows[0]["_total"] if rows else None
    return rows, model_count() if count is None else count


def _page(queryset: Any, limit: int | None, offset: int) -> tuple[list[Any], int]:
    if limit is None and offset == 0:
        rows = list(queryset)
        return rows, len(rows)
    end = None if limit is None else offset + limit
    return list(queryset[offset:end]), queryset.count()


def version_list(*, model: RegisteredModel, limit: int | None = None, offset: int = 0) -> tuple[list[ModelVersion], int]:
    """The model's versions, newest first. Returns the page and the total."""
    return _page(ModelVersion.objects.filter(model=model).order_by("-created_at", "-id"), limit, offset)


def experiment_list(*, model_id: str | None, limit: int | None = None, offset: int = 0) -> tuple[list[Experiment], int]:
    """Newest first; an unknown `model_id` filters to nothing. Returns the page and the total."""
    queryset = Experiment.objects.order_by("-created_at", "-id")
    if model_id is not None:
        if not ids.looks_like_id(model_id):
            return [], 0
        queryset = queryset.filter(model_id=model_id)
    return _page(queryset, limit, offset)


def deployment_list(*, limit: int | None = None, offset: int = 0) -> tuple[list[Deployment], int]:
    """Newest first. Returns the page and the total."""
    return _page(Deployment.objects.order_by("-created_at", "-id"), limit, offset)
