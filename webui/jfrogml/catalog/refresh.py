"""Building the catalog from the upstream, which lists models only page by page and
versions only per model.

`catalog_refresh()` (the Celery task) pages through the models (`limit`/`offset`) and
asks for the versions of each model whose signature (updated_at, versions_count,
latest_version) changed since the last catalog, all of them when the last full pass
is older than `JFROG_ML_CATALOG_FULL_REFRESH` seconds. Its upstream calls are counted
under the purpose "catalog". What it stores becomes the new base, with the patches
of writes through Pond folded in.

First view without a catalog: the page builds it synchronously once (single-flight
on a lock). When the upstream holds more than `JFROG_ML_CATALOG_SYNC_MAX` models,
that first build skips the per-model version calls (the catalog is then marked
`complete=False` and the "has a version in status" filter reports it) and the next
`catalog_refresh()` (Celery) fills them in.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context

from django.conf import settings

from webui.jfrogml.catalog.index import Catalog
from webui.jfrogml.catalog.rows import ModelRow, model_row, signature, version_rows
from webui.jfrogml.catalog.store import load, save, touch
from webui.jfrogml.client import call_purpose, get_client, upstream_namespace
from webui.jfrogml.errors import FALLBACK_ERRORS, NotFound
from webui.jfrogml.locks import lock
from webui.jfrogml.resources import Model, ModelVersion

log = logging.getLogger("pond.jfrogml.catalog")


def _setting(name: str) -> float:
    return float(getattr(settings, name))


def _fetch_all_models() -> list[Model]:
    """Every model, page by page. Once the first page gives the total, the other pages
    are asked for a few at a time (`JFROG_ML_CATALOG_THREADS`): the same calls, but a
    first view at 10,000 models waits for the slowest page, not for twenty in a row."""
    client = get_client()
    page_size = int(_setting("JFROG_ML_CATALOG_PAGE_SIZE"))
    models: list[Model] = []
    seen: set[str] = set()

    def take(page) -> None:
        for model in page.models:
            if model.id and model.id not in seen:
                seen.add(model.id)
                models.append(model)

    page = client.list_models(limit=page_size, offset=0)
    take(page)
    offset = len(page.models)
    if page.total_count is not None and len(page.models) == page_size and page.total_count > offset:
        offsets = list(range(offset, page.total_count, page_size))
        threads = max(1, int(_setting("JFROG_ML_CATALOG_THREADS")))
        with ThreadPoolExecutor(max_workers=min(threads, len(offsets))) as pool:
            # Each call in a copy of this context, so that it is counted as "catalog".
            futures = [pool.submit(copy_context().run, client.list_models, limit=page_size, offset=o) for o in offsets]
            pages = [future.result() for future in futures]
        for page in pages:
            take(page)
        if any(len(p.models) < page_size for p in pages):
            return models  # a short page: the end (models deleted meanwhile end it early)
        offset = offsets[-1] + page_size
    # Without a total, or when models were added while listing: page on to the end.
    while page.models and not (page.total_count is not None and offset >= page.total_count) and not (
        page.total_count is None and len(page.models) < page_size
    ):
        page = client.list_models(limit=page_size, offset=offset)
        take(page)
        offset += len(page.models)
    return models


def _fetch_versions(model_ids: list[str]) -> dict[str, list[ModelVersion] | None]:
    """Versions of each model, a few at a time; None for a model whose call failed."""
    if not model_ids:
        return {}
    client_settings_thread = int(_setting("JFROG_ML_CATALOG_THREADS"))

    def one(model_id: str) -> list[ModelVersion] | None:
        try:
            return get_client().list_model_versions(model_id)
        except NotFound:
            return []
        except FALLBACK_ERRORS as exc:
            log.warning("catalog: versions of %s unavailable: %s", model_id, exc.message)
            return None

    with ThreadPoolExecutor(max_workers=client_settings_thread) as pool:
        # Each call runs in a copy of this context so that it is counted as "catalog".
        futures = {mid: pool.submit(copy_context().run, one, mid) for mid in model_ids}
        return {mid: fut.result() for mid, fut in futures.items()}


def catalog_refresh(
    *, with_versions: bool = True, force_full: bool = False, max_seconds: float | None = None
) -> Catalog:
    """Refresh the catalog from upstream (the Celery task calls this).

    Lists every model, then fetches version lists in this order until the time budget
    (`max_seconds`, default `JFROG_ML_CATALOG_REFRESH_BUDGET`, kept under Celery's
    soft time limit) runs out: models never fetched, models whose signature changed,
    then models whose versions are older than `JFROG_ML_CATALOG_FULL_REFRESH`, oldest
    first. Progress is saved every `JFROG_ML_CATALOG_SAVE_EVERY` seconds, so a killed
    run loses little and the next run continues where it stopped.

    Raises Unavailable/BadResponse if the model list cannot be read; the previous
    catalog then stays in place.
    """
    with call_purpose("catalog"):
        previous = load()
        started = time.time()
        budget = max_seconds if max_seconds is not None else _setting("JFROG_ML_CATALOG_REFRESH_BUDGET")
        full_every = _setting("JFROG_ML_CATALOG_FULL_REFRESH")
        models = _fetch_all_models()
        old = previous.by_id if previous is not None else {}
        rows: dict[str, ModelRow] = {}
        missing: list[str] = []
        changed: list[str] = []
        aging: list[tuple[float, str]] = []
        for model in models:
            before = old.get(model.id)
            if before is None or before.versions is None:
                rows[model.id] = model_row(model, None)
                missing.append(model.id)
                continue
            fetched_at = before.versions_at
            row = model_row(model, before.versions, fetched_at or 0.0)
            rows[model.id] = row
            if signature(before) != signature(row):
                changed.append(model.id)
            elif force_full or started - (fetched_at or 0.0) > full_every:
                aging.append((fetched_at or 0.0, model.id))
        del models
        aging.sort()
        need = (missing + changed + [mid for _, mid in aging]) if with_versions else []
        chunk = max(1, int(_setting("JFROG_ML_CATALOG_THREADS"))) * 32
        save_every = _setting("JFROG_ML_CATALOG_SAVE_EVERY")
        last_save = time.time()
        done = 0
        for i in range(0, len(need), chunk):
            # At least one chunk per run, so that every run makes progress.
            if i > 0 and time.time() - started > budget:
                log.warning("catalog refresh stopped at its %.0f s budget; the next run continues", budget)
                break
            for model_id, versions in _fetch_versions(need[i : i + chunk]).items():
                if versions is not None:
                    rows[model_id] = rows[model_id]._replace(versions=version_rows(versions), versions_at=time.time())
                    done += 1
            if time.time() - last_save > save_every and i + chunk < len(need):
                _store(rows, started)
                last_save = time.time()
        catalog = _store(rows, started)
        log.info(
            "catalog refreshed: %d models, %d of %d version lists fetched, complete=%s, %.1fs",
            len(rows), done, len(need), catalog.complete, time.time() - started,
        )
        return catalog


def _store(rows: dict[str, ModelRow], started: float) -> Catalog:
    final = list(rows.values())
    complete = all(row.versions is not None for row in final)
    catalog = Catalog(rows=final, built_at=started, complete=complete, full_at=started)
    with lock(f"catalog-write:{upstream_namespace()}", timeout=10, blocking=True):
        catalog = _keep_late_patches(catalog, started)
        current = load()
        if (
            current is not None
            and current.stamp
            and current.complete == catalog.complete
            and current.patched == catalog.patched
            and current.rows == catalog.rows
        ):
            return touch(current, catalog.built_at, catalog.full_at)
        return save(catalog)


def _keep_late_patches(catalog: Catalog, started: float) -> Catalog:
    """Fold in rows that writes through Pond patched while this refresh was listing."""
    current = load()
    if current is None:
        return catalog
    late = {mid: at for mid, at in current.patched.items() if at >= started}
    if not late:
        return catalog
    rows = [row for row in catalog.rows if row.id not in late]
    rows.extend(current.by_id[mid] for mid in late if mid in current.by_id)
    return Catalog(
        rows=rows, built_at=catalog.built_at, complete=catalog.complete, full_at=catalog.full_at, patched=late
    )


def get_catalog() -> Catalog:
    """The catalog, building it synchronously on first use (single-flight)."""
    catalog = load()
    if catalog is not None:
        return catalog
    ns = upstream_namespace()
    with lock(f"catalog-build:{ns}", timeout=_setting("JFROG_ML_CATALOG_BUILD_TIMEOUT"), blocking=True):
        catalog = load()
        if catalog is not None:
            return catalog
        sync_max = int(_setting("JFROG_ML_CATALOG_SYNC_MAX"))
        with call_purpose("catalog"):
            first = get_client().list_models(limit=1)
        small = first.total_count is not None and first.total_count <= sync_max
        return catalog_refresh(with_versions=small)


