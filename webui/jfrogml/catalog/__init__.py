"""A catalog of every model and its versions, so that search, filters, sorts and
pages work across all models although the upstream lists models only page by page,
cannot search, and lists versions only per model.

- `rows`: a model and its versions as compact tuples (`ModelRow`, `VersionRow`);
- `index`: the `Catalog` a process holds and what pages derive from it;
- `store`: the shared cache entries, the per-process copy, patches after writes;
- `refresh`: building it from the upstream (the Celery task, the first view).

Writes through Pond patch the row of the model they touched (`upsert_model`,
`remove_model`): the next page in any process shows the change, and only the
changed rows are derived again.
"""

from __future__ import annotations

from collections.abc import Iterable

from webui.jfrogml.catalog.index import Catalog, OverviewFigures
from webui.jfrogml.catalog.refresh import catalog_refresh, get_catalog
from webui.jfrogml.catalog.rows import ModelRow, VersionRow, dt, model_row, row_model
from webui.jfrogml.catalog.store import catalog_stamp, data_id, load, patch, reset_local_state, save
from webui.jfrogml.errors import Unavailable
from webui.jfrogml.resources import Model, ModelVersion


def upsert_model(model: Model, versions: Iterable[ModelVersion] | None) -> None:
    """Put the model (and its versions, if known) into the catalog after a write."""
    new_versions = list(versions) if versions is not None else None

    def change(row: ModelRow | None) -> ModelRow:
        if new_versions is None and row is not None:
            return model_row(model, row.versions, row.versions_at)
        return model_row(model, new_versions)

    patch(model.id, change)


def remove_model(model_id: str) -> None:
    patch(model_id, lambda row: None)


__all__ = [
    "Catalog",
    "Model",
    "ModelRow",
    "OverviewFigures",
    "Unavailable",
    "VersionRow",
    "catalog_refresh",
    "catalog_stamp",
    "data_id",
    "dt",
    "get_catalog",
    "load",
    "model_row",
    "remove_model",
    "reset_local_state",
    "row_model",
    "save",
    "upsert_model",
]
