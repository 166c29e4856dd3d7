"""A catalog of every model and its versions, so that search, filters, sorts and
pages work across all models although the upstream lists models only page by page,
cannot search, and lists versions only per model.

Storage: one cache entry holding compact tuples (`_ROW` below; about 40 bytes a
version pickled), plus a tiny "stamp" entry. Each process keeps the last catalog it
loaded in memory together with indexes for search, and reloads only when the stamp
changes, so a page costs one small cache read, not a multi-megabyte one.

Building: `catalog_refresh()` pages through the models (`limit`/`offset`) and asks
for the versions of each model whose signature (updated_at, versions_count,
latest_version) changed since the last catalog, all of them when the last full pass
is older than `JFROG_ML_CATALOG_FULL_REFRESH` seconds. Its upstream calls are
counted under the purpose "catalog". Writes through Pond patch the entry of the
model they touched (`upsert_model`, `remove_model`).

First view without a catalog: the page builds it synchronously once (single-flight
on a lock). When the upstream holds more than `JFROG_ML_CATALOG_SYNC_MAX` models,
that first build skips the per-model version calls (the catalog is then marked
`complete=False` and the "has a version in status" filter reports it) and the next
`catalog_refresh()` (Celery) fills them in.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from django.conf import settings
from django.core.cache import caches

from webui.jfrogml.client import call_purpose, get_client, upstream_namespace
from webui.jfrogml.errors import FALLBACK_ERRORS, NotFound, Unavailable
from webui.jfrogml.locks import lock
from webui.jfrogml.memo import Memo
from webui.jfrogml.resources import Model, ModelVersion

log = logging.getLogger("pond.jfrogml.catalog")



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


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def _ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def dt(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, UTC) if ts is not None else None


def _compact_versions(versions: Iterable[ModelVersion]) -> tuple[VersionRow, ...]:
    """Version rows in creation order (the upstream may list newest first)."""
    ordered = sorted(versions, key=lambda v: (v.created_at is None, _ts(v.created_at) or 0.0, v.id))
    return tuple(VersionRow(v.id, v.version, v.status, _ts(v.created_at), v.artifact_path or "") for v in ordered)


def model_row(
    model: Model, versions: list[ModelVersion] | tuple[VersionRow, ...] | None, versions_at: float | None = None
) -> ModelRow:
    """A compact row; `versions` as a list of ModelVersion (just fetched) or a tuple of
    kept version rows."""
    if isinstance(versions, tuple):
        versions = tuple(v if isinstance(v, VersionRow) else VersionRow(*v) for v in versions)
    elif versions is not None:
        versions = _compact_versions(versions)
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
        _ts(model.created_at),
        _ts(model.updated_at),
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


@dataclass(frozen=True)
class OverviewFigures:
    model_count: int
    version_count: int
    version_status_counts: dict[str, int]
    recent_models: tuple[Model, ...]
    # (model, version row) for versions in staging, newest first.
    awaiting_review: tuple[tuple[Model, VersionRow], ...]


def _signature(row: ModelRow) -> tuple:
    return (row.updated, row.versions_count, row.latest_version)


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
    by_id: dict[str, ModelRow] = field(default_factory=dict)
    haystack: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.by_id = {row.id: row for row in self.rows}
        # Per-model sets of version statuses, for the "has a version in status X" filter.
        self.statuses = [frozenset(v.status for v in (row.versions or ())) for row in self.rows]
        self._facets: dict[str, list[tuple[str, int]]] | None = None
        # Figures over every row, computed at most once per loaded catalog (a process
        # keeps one catalog per stamp): see `once`.
        self._kept: dict[Any, Any] = {}
        # One lower-cased string per model: a substring test over 10,000 of them
        # takes about a millisecond.
        self.haystack = [
            "\x00".join([row.name or "", row.description or "", *row.tags]).lower() for row in self.rows
        ]

    @property
    def age_seconds(self) -> float:
        return max(0.0, time.time() - self.built_at)

    @property
    def built_at_datetime(self) -> datetime:
        return datetime.fromtimestamp(self.built_at, UTC)

    def facets(self) -> dict[str, list[tuple[str, int]]]:
        """Counts per framework, task type, tag and version status (computed once per load)."""
        if self._facets is None:
            frameworks: Counter = Counter()
            task_types: Counter = Counter()
            tags: Counter = Counter()
            for row in self.rows:
                if row.framework:
                    frameworks[row.framework] += 1
                if row.task_type:
                    task_types[row.task_type] += 1
                tags.update(set(row.tags))
            self._facets = {
                "frameworks": sorted(frameworks.items()),
                "task_types": sorted(task_types.items()),
                "tags": sorted(tags.items()),
                "version_statuses": sorted(self.version_status_counts().items()),
            }
        return self._facets

    def once(self, key: Any, compute: Callable[[], Any]) -> Any:
        """compute() once per catalog object; the result is shared, never mutate it."""
        try:
            return self._kept[key]
        except KeyError:
            value = self._kept[key] = compute()
            return value

    def version_status_counts(self) -> Counter:
        def count() -> Counter:
            counts: Counter = Counter()
            for row in self.rows:
                for version in row.versions or ():
                    counts[version.status] += 1
            return counts

        return Counter(self.once("version_status_counts", count))

    def versions_in_status(self, status: str) -> list[tuple[ModelRow, VersionRow]]:
        """(model row, version row) for every version in `status`, newest first."""

        def find() -> list[tuple[ModelRow, VersionRow]]:
            found = [(row, v) for row in self.rows for v in (row.versions or ()) if v.status == status]
            found.sort(key=lambda pair: pair[1].created or 0.0, reverse=True)
            return found

        return list(self.once(("versions_in_status", status), find))

    def model_names(self) -> dict[str, str]:
        """Model id -> name (the id when unnamed)."""
        return self.once("model_names", lambda: {row.id: row.name or row.id for row in self.rows})

    def version_labels(self) -> dict[str, str]:
        """Version id -> label (the id when unlabelled), across every model."""
        return self.once(
            "version_labels", lambda: {v.id: v.label or v.id for row in self.rows for v in (row.versions or ())}
        )

    def overview_figures(self, *, recent: int = 8, awaiting: int = 50) -> OverviewFigures:
        """What the overview shows from the catalog, with dates parsed once."""

        def figure() -> OverviewFigures:
            newest = sorted(self.rows, key=lambda r: r.updated or 0.0, reverse=True)[:recent]
            models: dict[str, Model] = {}

            def model(row: ModelRow) -> Model:
                if row.id not in models:
                    models[row.id] = row_model(row)
                return models[row.id]

            return OverviewFigures(
                model_count=len(self.rows),
                version_count=sum(len(r.versions or ()) for r in self.rows)
                if self.complete
                else sum(r.versions_count or 0 for r in self.rows),
                version_status_counts=dict(self.version_status_counts()),
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


# --- storage -------------------------------------------------------------------------

# The catalog this process last loaded, per upstream, under the id of its rows.
_loaded = Memo(maxsize=8)


def _keep(catalog: Catalog) -> Catalog:
    return _loaded.put(upstream_namespace(), _data_id(catalog.stamp), catalog)


def _keys() -> tuple[str, str]:
    ns = upstream_namespace()
    # v2: rows are ModelRow/VersionRow (a catalog stored as plain tuples is rebuilt).
    return f"{ns}:catalog:v2:data", f"{ns}:catalog:v2:stamp"


def save(catalog: Catalog) -> Catalog:
    data_key, stamp_key = _keys()
    catalog.stamp = uuid.uuid4().hex
    keep = _setting("JFROG_ML_STALE_KEEP", 7 * 24 * 3600)
    cache = caches["default"]
    try:
        cache.set(data_key, {**catalog.to_payload(), "stamp": catalog.stamp}, timeout=keep)
        cache.set(stamp_key, catalog.stamp, timeout=keep)
    except Exception:
        log.warning("could not store the catalog", exc_info=True)
    return _keep(catalog)


def _data_id(stamp: object) -> object:
    """The part of a stamp that names the rows: "<id>" or "<id>@<built_at>@<full_at>"."""
    return stamp.split("@", 1)[0] if isinstance(stamp, str) else stamp


def _retime(catalog: Catalog, stamp: object) -> Catalog:
    """Take the refresh times a touched stamp carries (see `_touch`)."""
    if isinstance(stamp, str) and stamp.count("@") == 2:
        try:
            _, built_at, full_at = stamp.split("@")
            catalog.built_at, catalog.full_at = float(built_at), float(full_at)
        except ValueError:
            return catalog
        catalog.stamp = stamp
    return catalog


def _touch(current: Catalog, built_at: float, full_at: float) -> Catalog:
    """A refresh that found the rows unchanged: only the stamp's times change, so no
    process reloads (and re-derives) the catalog for nothing."""
    _, stamp_key = _keys()
    stamp = f"{_data_id(current.stamp)}@{built_at!r}@{full_at!r}"
    try:
        caches["default"].set(stamp_key, stamp, timeout=_setting("JFROG_ML_STALE_KEEP", 7 * 24 * 3600))
    except Exception:
        log.warning("could not store the catalog's stamp", exc_info=True)
    _keep(_retime(current, stamp))
    return current


def catalog_stamp() -> str:
    """Names the catalog's current rows ("" when there is none): it changes whenever
    they do (a refresh that found changes, a write through Pond patching a model)."""
    try:
        stamp = caches["default"].get(_keys()[1])
    except Exception:
        stamp = None
    return str(_data_id(stamp) or "")


def load() -> Catalog | None:
    """The stored catalog (from this process' memory while its stamp is current)."""
    data_key, stamp_key = _keys()
    ns = upstream_namespace()
    cache = caches["default"]
    try:
        stamp = cache.get(stamp_key)
    except Exception:
        stamp = None
    kept = _loaded.peek(ns)
    memo = kept[1] if kept is not None else None
    if memo is not None and memo.stamp == stamp:
        return memo
    if memo is not None and stamp is not None and memo.stamp and _data_id(memo.stamp) == _data_id(stamp):
        return _retime(memo, stamp)  # the same rows, refreshed since
    try:
        payload = cache.get(data_key)
    except Exception:
        payload = None
    if not isinstance(payload, dict) or "rows" not in payload:
        # The cache is down or lost it: this process' recent copy beats a rebuild per page.
        if memo is not None and stamp is None and memo.age_seconds < _setting("JFROG_ML_CATALOG_MEMO_MAX_AGE", 60):
            return memo
        return None
    catalog = Catalog(
        rows=payload["rows"],
        built_at=payload["built_at"],
        complete=payload["complete"],
        full_at=payload.get("full_at", payload["built_at"]),
        stamp=payload.get("stamp", ""),
        patched=payload.get("patched") or {},
    )
    if stamp is not None and _data_id(stamp) == catalog.stamp:
        _retime(catalog, stamp)
    _keep(catalog)
    return catalog


# --- building --------------------------------------------------------------------------


def _fetch_all_models() -> list[Model]:
    """Every model, page by page. Once the first page gives the total, the other pages
    are asked for a few at a time (`JFROG_ML_CATALOG_THREADS`): the same calls, but a
    first view at 10,000 models waits for the slowest page, not for twenty in a row."""
    client = get_client()
    page_size = int(_setting("JFROG_ML_CATALOG_PAGE_SIZE", 500))
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
        threads = max(1, int(_setting("JFROG_ML_CATALOG_THREADS", 4)))
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
    client_settings_thread = int(_setting("JFROG_ML_CATALOG_THREADS", 4))

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
        budget = max_seconds if max_seconds is not None else _setting("JFROG_ML_CATALOG_REFRESH_BUDGET", 80)
        full_every = _setting("JFROG_ML_CATALOG_FULL_REFRESH", 3600)
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
            if _signature(before) != _signature(row):
                changed.append(model.id)
            elif force_full or started - (fetched_at or 0.0) > full_every:
                aging.append((fetched_at or 0.0, model.id))
        del models
        aging.sort()
        need = (missing + changed + [mid for _, mid in aging]) if with_versions else []
        chunk = max(1, int(_setting("JFROG_ML_CATALOG_THREADS", 4))) * 32
        save_every = _setting("JFROG_ML_CATALOG_SAVE_EVERY", 15)
        last_save = time.time()
        done = 0
        for i in range(0, len(need), chunk):
            # At least one chunk per run, so that every run makes progress.
            if i > 0 and time.time() - started > budget:
                log.warning("catalog refresh stopped at its %.0f s budget; the next run continues", budget)
                break
            for model_id, versions in _fetch_versions(need[i : i + chunk]).items():
                if versions is not None:
                    rows[model_id] = rows[model_id]._replace(versions=_compact_versions(versions), versions_at=time.time())
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
            return _touch(current, catalog.built_at, catalog.full_at)
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
    with lock(f"catalog-build:{ns}", timeout=_setting("JFROG_ML_CATALOG_BUILD_TIMEOUT", 60), blocking=True):
        catalog = load()
        if catalog is not None:
            return catalog
        sync_max = int(_setting("JFROG_ML_CATALOG_SYNC_MAX", 500))
        with call_purpose("catalog"):
            first = get_client().list_models(limit=1)
        small = first.total_count is not None and first.total_count <= sync_max
        return catalog_refresh(with_versions=small)


# --- patches after writes through Pond -------------------------------------------------


def _patch(model_id: str, change) -> None:
    ns = upstream_namespace()
    with lock(f"catalog-write:{ns}", timeout=10, blocking=True):
        current = load()
        if current is None:
            return  # nothing to patch: the first view builds it with the change included
        rows = change(list(current.rows))
        now = time.time()
        # Remember recent patches only (a refresh takes minutes at most).
        patched = {mid: at for mid, at in current.patched.items() if now - at < 86400}
        patched[model_id] = now
        save(
            Catalog(
                rows=rows,
                built_at=current.built_at,
                complete=current.complete,
                full_at=current.full_at,
                patched=patched,
            )
        )


def upsert_model(model: Model, versions: Iterable[ModelVersion] | None) -> None:
    """Put the model (and its versions, if known) into the catalog after a write."""
    new_versions = list(versions) if versions is not None else None

    def change(rows: list[ModelRow]) -> list[ModelRow]:
        for i, row in enumerate(rows):
            if row.id == model.id:
                if new_versions is None:
                    rows[i] = model_row(model, row.versions, row.versions_at)
                else:
                    rows[i] = model_row(model, new_versions)
                return rows
        rows.append(model_row(model, new_versions))
        return rows

    _patch(model.id, change)


def reset_local_state() -> None:
    """Forget this process' in-memory copy (tests that clear the cache call this)."""
    _loaded.clear()


def remove_model(model_id: str) -> None:
    _patch(model_id, lambda rows: [row for row in rows if row.id != model_id])


__all__ = ["Catalog", "Unavailable", "catalog_refresh", "get_catalog", "load", "remove_model", "row_model", "upsert_model"]
