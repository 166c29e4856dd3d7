"""Typed JFrog ML resources, parsed by a tolerant reader.

Anything the spec allows parses: unknown fields land in `.extra`, missing
optional fields are None, an unknown enum value is carried as-is (with
`status_known=False`), and odd numbers or dates become None rather than crash a
page. JSON that is not the spec's shape at all (a list where an object belongs,
`models` that is not a list) raises `BadResponse`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from webui.jfrogml.errors import BadResponse

VERSION_STATUSES = ("draft", "staging", "production", "archived")
EXPERIMENT_STATUSES = ("running", "completed", "failed", "cancelled")
DEPLOYMENT_STATUSES = ("deploying", "active", "stopped", "failed")


# --- field readers -------------------------------------------------------------


def _str(value: Any) -> str | None:
    if value is None or type(value) is str:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    # An object or list where a string belongs: show something rather than crash.
    return str(value)


def _int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            return int(value) if math.isfinite(value) else None
        if isinstance(value, str):
            number = float(value.strip())
            return int(number) if math.isfinite(number) else None
    except (ValueError, OverflowError):
        return None
    return None


def _float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            return float(value.strip())
    except (ValueError, OverflowError):
        # An integer too big for a float is still "very big".
        if isinstance(value, int):
            return math.inf if value > 0 else -math.inf
        return None
    return None


def parse_datetime(value: Any) -> datetime | None:
    """ISO 8601 (with `Z` or an offset; naive means UTC) or epoch seconds; else None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        if isinstance(value, int | float):
            return datetime.fromtimestamp(float(value), UTC)
        if isinstance(value, str):
            text = value.strip()
            if not text:
                return None
            if text[-1] in "zZ":
                text = text[:-1] + "+00:00"
            parsed = datetime.fromisoformat(text)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def _metrics(value: Any) -> dict[str, float]:
    if not isinstance(value, dict):
        return {}
    if all(type(k) is str and type(v) is float for k, v in value.items()):
        return dict(value)  # the common case
    out: dict[str, float] = {}
    for key, raw in value.items():
        number = _float(raw)
        if number is not None:
            out[str(key)] = number
    return out


def _parameters(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    if all(type(k) is str and type(v) is str for k, v in value.items()):
        return dict(value)  # the common case
    return {str(k): ("" if v is None else _str(v) or "") for k, v in value.items()}


def _tags(value: Any) -> tuple[str, ...]:
    if isinstance(value, list | tuple):
        return tuple(_str(t) or "" for t in value if t is not None)
    if isinstance(value, str) and value:
        return (value,)
    return ()


def _object(data: Any, what: str) -> dict:
    if not isinstance(data, dict):
        raise BadResponse(f"JFrog ML sent {type(data).__name__} where a {what} object belongs.")
    return data


def _extra(data: dict, known: frozenset[str]) -> dict:
    if data.keys() <= known:
        return {}  # the common case: nothing beyond the spec's fields
    return {k: v for k, v in data.items() if k not in known}


# --- resources --------------------------------------------------------------------


@dataclass(frozen=True)
class Model:
    id: str
    name: str | None = None
    description: str | None = None
    framework: str | None = None
    task_type: str | None = None
    tags: tuple[str, ...] = ()
    latest_version: str | None = None
    versions_count: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    created_by: str | None = None
    extra: dict = field(default_factory=dict, compare=False)

    _fields = frozenset(
        ["id", "name", "description", "framework", "task_type", "tags", "latest_version", "versions_count", "created_at", "updated_at", "created_by"]
    )

    @classmethod
    def from_json(cls, data: Any) -> Model:
        data = _object(data, "model")
        return cls(
            id=_str(data.get("id")) or "",
            name=_str(data.get("name")),
            description=_str(data.get("description")),
            framework=_str(data.get("framework")),
            task_type=_str(data.get("task_type")),
            tags=_tags(data.get("tags")),
            latest_version=_str(data.get("latest_version")),
            versions_count=_int(data.get("versions_count")),
            created_at=parse_datetime(data.get("created_at")),
            updated_at=parse_datetime(data.get("updated_at")),
            created_by=_str(data.get("created_by")),
            extra=_extra(data, cls._fields),
        )

    @property
    def display_name(self) -> str:
        return self.name or self.id or "(unnamed model)"


@dataclass(frozen=True)
class ModelVersion:
    id: str
    model_id: str | None = None
    version: str | None = None
    description: str | None = None
    status: str | None = None
    status_known: bool = False
    artifact_path: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)
    created_at: datetime | None = None
    created_by: str | None = None
    extra: dict = field(default_factory=dict, compare=False)

    _fields = frozenset(
        ["id", "model_id", "version", "description", "status", "artifact_path", "metrics", "parameters", "created_at", "created_by"]
    )

    @classmethod
    def from_json(cls, data: Any) -> ModelVersion:
        data = _object(data, "model version")
        status = _str(data.get("status"))
        return cls(
            id=_str(data.get("id")) or "",
            model_id=_str(data.get("model_id")),
            version=_str(data.get("version")),
            description=_str(data.get("description")),
            status=status,
            status_known=status in VERSION_STATUSES,
            artifact_path=_str(data.get("artifact_path")),
            metrics=_metrics(data.get("metrics")),
            parameters=_parameters(data.get("parameters")),
            created_at=parse_datetime(data.get("created_at")),
            created_by=_str(data.get("created_by")),
            extra=_extra(data, cls._fields),
        )

    @property
    def label(self) -> str:
        return self.version or self.id


@dataclass(frozen=True)
class Experiment:
    id: str
    name: str | None = None
    description: str | None = None
    model_id: str | None = None
    status: str | None = None
    status_known: bool = False
    metrics: dict[str, float] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)
    created_at: datetime | None = None
    completed_at: datetime | None = None
    created_by: str | None = None
    extra: dict = field(default_factory=dict, compare=False)

    _fields = frozenset(
        ["id", "name", "description", "model_id", "status", "metrics", "parameters", "created_at", "completed_at", "created_by"]
    )

    @classmethod
    def from_json(cls, data: Any) -> Experiment:
        data = _object(data, "experiment")
        status = _str(data.get("status"))
        return cls(
            id=_str(data.get("id")) or "",
            name=_str(data.get("name")),
            description=_str(data.get("description")),
            model_id=_str(data.get("model_id")),
            status=status,
            status_known=status in EXPERIMENT_STATUSES,
            metrics=_metrics(data.get("metrics")),
            parameters=_parameters(data.get("parameters")),
            created_at=parse_datetime(data.get("created_at")),
            completed_at=parse_datetime(data.get("completed_at")),
            created_by=_str(data.get("created_by")),
            extra=_extra(data, cls._fields),
        )

    @property
    def duration_seconds(self) -> float | None:
        """Run time: until completion, or until now while running; None if unknown."""
        if self.created_at is None:
            return None
        end = self.completed_at or (datetime.now(UTC) if self.status == "running" else None)
        if end is None:
            return None
        return max(0.0, (end - self.created_at).total_seconds())


@dataclass(frozen=True)
class Resources:
    cpu: str | None = None
    memory: str | None = None
    gpu: int | None = None

    @classmethod
    def from_json(cls, data: Any) -> Resources | None:
        if not isinstance(data, dict):
            return None
        return cls(cpu=_str(data.get("cpu")), memory=_str(data.get("memory")), gpu=_int(data.get("gpu")))


@dataclass(frozen=True)
class Deployment:
    id: str
    name: str | None = None
    model_id: str | None = None
    model_version_id: str | None = None
    status: str | None = None
    status_known: bool = False
    endpoint_url: str | None = None
    replicas: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    resources: Resources | None = None
    extra: dict = field(default_factory=dict, compare=False)

    _fields = frozenset(
        ["id", "name", "model_id", "model_version_id", "status", "endpoint_url", "replicas", "created_at", "updated_at", "resources"]
    )

    @classmethod
    def from_json(cls, data: Any) -> Deployment:
        data = _object(data, "deployment")
        status = _str(data.get("status"))
        return cls(
            id=_str(data.get("id")) or "",
            name=_str(data.get("name")),
            model_id=_str(data.get("model_id")),
            model_version_id=_str(data.get("model_version_id")),
            status=status,
            status_known=status in DEPLOYMENT_STATUSES,
            endpoint_url=_str(data.get("endpoint_url")),
            replicas=_int(data.get("replicas")),
            created_at=parse_datetime(data.get("created_at")),
            updated_at=parse_datetime(data.get("updated_at")),
            resources=Resources.from_json(data.get("resources")),
            extra=_extra(data, cls._fields),
        )

    @property
    def safe_endpoint_url(self) -> str | None:
        """The endpoint URL only when it is http(s): never make `javascript:` clickable."""
        url = (self.endpoint_url or "").strip()
        try:
            scheme = urlsplit(url).scheme.lower()
        except ValueError:
            return None
        return url if scheme in {"http", "https"} else None


@dataclass(frozen=True)
class ModelPage:
    models: list[Model]
    total_count: int | None


# --- list envelopes ----------------------------------------------------------------


def _items(data: Any, key: str) -> list:
    data = _object(data, f"{key} list")
    items = data.get(key, [])
    if items is None:
        return []
    if not isinstance(items, list):
        raise BadResponse(f"JFrog ML sent `{key}` as {type(items).__name__}, not a list.")
    return items


def parse_model_page(data: Any) -> ModelPage:
    models = [Model.from_json(item) for item in _items(data, "models")]
    return ModelPage(models=models, total_count=_int(data.get("total_count")))


def parse_versions(data: Any) -> list[ModelVersion]:
    return [ModelVersion.from_json(item) for item in _items(data, "versions")]


def parse_experiments(data: Any) -> list[Experiment]:
    return [Experiment.from_json(item) for item in _items(data, "experiments")]


def parse_deployments(data: Any) -> list[Deployment]:
    return [Deployment.from_json(item) for item in _items(data, "deployments")]
