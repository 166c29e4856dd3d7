"""Experiments: list, detail, comparison, and the writes to them."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from webui.jfrogml import cache
from webui.jfrogml.client import call_purpose, get_client
from webui.jfrogml.errors import JFrogMLError, NotFound
from webui.jfrogml.freshness import Freshness
from webui.jfrogml.resources import Experiment, Model
from webui.jfrogml.services._shared import (
    Comparison,
    _catalog_or_none,
    _compare,
    _compare_ids,
    _derive,
    _experiment,
    _experiments,
    _model,
    _model_names,
    _require,
)

log = logging.getLogger("pond.jfrogml.services")


# --- experiments ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExperimentList:
    experiments: list[Experiment]
    model_names: dict[str, str]
    model_id: str
    status: str
    status_counts: dict[str, int]
    freshness: Freshness


def experiments_refresh() -> int:
    """Fetch the list of every experiment and store it where pages read it (Celery keeps
    it warm, so that no page waits for 20,000 experiments); how many there are."""
    with call_purpose("catalog"):
        experiments = get_client().list_experiments(None)
    cache.store("experiments:*", experiments)
    return len(experiments)


def experiment_list(*, model_id: str = "", status: str = "") -> ExperimentList:
    model_id = (model_id or "").strip()
    result = _experiments(model_id)
    status = (status or "").strip()
    every = result.value

    def derive(name: str, compute: Callable[[], Any]) -> Any:
        # Kept for the list of every experiment only: one model's list is short.
        return compute() if model_id else _derive("experiments:*", name, every, compute)

    newest_first = derive(
        "sorted",
        lambda: sorted(
            every, key=lambda e: (e.created_at is None, -(e.created_at.timestamp() if e.created_at else 0.0), e.id)
        ),
    )
    experiments = derive(f"status:{status}", lambda: [e for e in newest_first if e.status == status]) if status else newest_first
    return ExperimentList(
        experiments=experiments,
        model_names=_model_names(_catalog_or_none(build=not result.freshness.stale)),
        model_id=model_id,
        status=status,
        status_counts=dict(derive("counts", lambda: Counter(e.status or "unknown" for e in every))),
        freshness=result.freshness,
    )


@dataclass(frozen=True)
class ExperimentDetail:
    experiment: Experiment
    model: Model | None
    freshness: Freshness


def experiment_detail(*, experiment_id: str) -> ExperimentDetail:
    experiment = _experiment(_require("experiment_id", experiment_id))
    model: Model | None = None
    model_fresh = None
    if experiment.value.model_id:
        try:
            cached = _model(experiment.value.model_id)
            model, model_fresh = cached.value, cached.freshness
        except NotFound:
            model = None  # detached: its model was deleted
        except JFrogMLError as exc:
            model_fresh = Freshness(fetched_at=None, age_seconds=None, stale=True, error=exc.message)
    return ExperimentDetail(
        experiment=experiment.value, model=model, freshness=Freshness.combine(experiment.freshness, model_fresh)
    )


@dataclass(frozen=True)
class ExperimentsCompare(Comparison):
    experiments: list[Experiment] = field(default_factory=list)
    model_names: dict[str, str] = field(default_factory=dict)
    freshness: Freshness | None = None


def experiments_compare(*, experiment_ids: Iterable[str]) -> ExperimentsCompare:
    ids = _compare_ids("experiment_ids", experiment_ids)
    # One list call (cached, shared with the overview) rather than one call per column.
    result = _experiments()
    by_id = {e.id: e for e in result.value}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise NotFound(f"No experiment {', '.join(missing)}.", status=404)
    chosen = [by_id[i] for i in ids]
    return ExperimentsCompare(
        **_compare(chosen).__dict__, experiments=chosen, model_names=_model_names(_catalog_or_none(build=not result.freshness.stale)), freshness=result.freshness
    )


def _after_experiment_write(experiment_id: str | None, model_ids: Iterable[str | None]) -> None:
    keys = ["experiments:*"] + [cache.key("experiments", m) for m in model_ids if m]
    if experiment_id:
        keys.append(cache.key("experiment", experiment_id))
    cache.expire(*keys)


def experiment_create(
    *, name: str, description: str = "", model_id: str = "", parameters: dict[str, str] | None = None
) -> Experiment:
    created = get_client().create_experiment(
        name=_require("name", name), description=description, model_id=model_id or None, parameters=parameters or None
    )
    _after_experiment_write(None, [model_id, created.model_id])
    cache.store(cache.key("experiment", created.id), created)
    return created


def experiment_update(
    *,
    experiment_id: str,
    status: str | None = None,
    metrics: dict[str, float] | None = None,
    completed_at: datetime | str | None = None,
) -> Experiment:
    experiment_id = _require("experiment_id", experiment_id)
    updated = get_client().update_experiment(experiment_id, status=status, metrics=metrics, completed_at=completed_at)
    if updated is None:
        updated = get_client().get_experiment(experiment_id)
    _after_experiment_write(experiment_id, [updated.model_id])
    cache.store(cache.key("experiment", experiment_id), updated)
    return updated


def experiment_delete(*, experiment_id: str) -> None:
    experiment_id = _require("experiment_id", experiment_id)
    known = cache.peek(cache.key("experiment", experiment_id))
    get_client().delete_experiment(experiment_id)
    cache.forget(cache.key("experiment", experiment_id))
    _after_experiment_write(None, [known.value.model_id if known else None])

