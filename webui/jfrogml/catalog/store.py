"""Where the catalog is kept: three entries in Django's default cache.

- *data*: the base rows a refresh stored (about 40 bytes a version pickled) under an
  id of its own;
- *patches*: the rows writes through Pond changed since, for that base id, with a
  sequence number (small: a few rows);
- *stamp*: "<base id>.<sequence>@<built_at>@<full_at>", read on every page.

A process keeps the last catalog it loaded (`_loaded`) and, with it, its base. When
only the sequence moved it reads the small patches entry and derives the new catalog
from the base it holds (`Catalog.patched_from`); when only the times moved it keeps
what it has and takes the times. The multi-megabyte data entry is read again only
when a refresh stored new rows, or when the patches grew past `FOLD_AT` rows and
were folded into a new base.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches

from webui.jfrogml.catalog.index import Catalog
from webui.jfrogml.catalog.rows import ModelRow
from webui.jfrogml.client import upstream_namespace
from webui.jfrogml.locks import lock
from webui.jfrogml.memo import Memo

log = logging.getLogger("pond.jfrogml.catalog")

# Patched rows beyond which a write stores a new base instead (every process then
# reloads the data entry once, instead of re-reading a growing patches entry per write).
FOLD_AT = 256

# The catalog this process last loaded, per upstream, under its stamp's data id.
_loaded = Memo(maxsize=8)


def _keys() -> tuple[str, str, str]:
    ns = upstream_namespace()
    # v3: a base and its patches (an older entry is rebuilt).
    return f"{ns}:catalog:v3:data", f"{ns}:catalog:v3:patches", f"{ns}:catalog:v3:stamp"


def _keep_for() -> float:
    return float(settings.JFROG_ML_STALE_KEEP)


def data_id(stamp: object) -> object:
    """The part of a stamp that names the rows ("<base id>.<sequence>"), without the
    refresh times it may carry."""
    return stamp.split("@", 1)[0] if isinstance(stamp, str) else stamp


def _base_id(stamp: object) -> str | None:
    return str(data_id(stamp)).split(".", 1)[0] if isinstance(stamp, str) and stamp else None


def _stamped(catalog: Catalog, ident: str) -> str:
    return f"{ident}@{catalog.built_at!r}@{catalog.full_at!r}"


def _retime(catalog: Catalog, stamp: object) -> Catalog:
    """Take the refresh times a stamp carries (see `touch`)."""
    if isinstance(stamp, str) and stamp.count("@") == 2:
        try:
            _, built_at, full_at = stamp.split("@")
            catalog.built_at, catalog.full_at = float(built_at), float(full_at)
        except ValueError:
            return catalog
        catalog.stamp = stamp
    return catalog


def _keep(catalog: Catalog) -> Catalog:
    return _loaded.put(upstream_namespace(), data_id(catalog.stamp), catalog)


def _write(entries: dict[str, object]) -> None:
    try:
        caches["default"].set_many(entries, timeout=_keep_for())
    except Exception:
        log.warning("could not store the catalog", exc_info=True)


def save(catalog: Catalog) -> Catalog:
    """Store `catalog`'s rows as a new base (without patches)."""
    if catalog.base is not None:
        catalog = Catalog(
            rows=catalog.rows,
            built_at=catalog.built_at,
            complete=catalog.complete,
            full_at=catalog.full_at,
            patched=catalog.patched,
        )
    data_key, patches_key, stamp_key = _keys()
    base_id = uuid.uuid4().hex
    catalog.stamp = _stamped(catalog, f"{base_id}.0")
    _write(
        {
            data_key: {**catalog.to_payload(), "stamp": base_id},
            patches_key: {"base": base_id, "seq": 0, "rows": {}, "at": {}},
            stamp_key: catalog.stamp,
        }
    )
    return _keep(catalog)


def touch(current: Catalog, built_at: float, full_at: float) -> Catalog:
    """A refresh that found the rows unchanged: only the stamp's times change, so no
    process reloads (and re-derives) the catalog for nothing."""
    current.built_at, current.full_at = built_at, full_at
    current.stamp = _stamped(current, str(data_id(current.stamp)))
    _write({_keys()[2]: current.stamp})
    return _keep(current)


def catalog_stamp() -> str:
    """Names the catalog's current rows ("" when there is none): it changes whenever
    they do (a refresh that found changes, a write through Pond patching a model)."""
    try:
        stamp = caches["default"].get(_keys()[2])
    except Exception:
        stamp = None
    return str(data_id(stamp) or "")


def load() -> Catalog | None:
    """The stored catalog (from this process' memory while its stamp is current)."""
    data_key, patches_key, stamp_key = _keys()
    cache = caches["default"]
    try:
        stamp = cache.get(stamp_key)
    except Exception:
        stamp = None
    kept = _loaded.peek(upstream_namespace())
    memo: Catalog | None = kept[1] if kept is not None else None
    if memo is not None and memo.stamp == stamp:
        return memo
    if memo is not None and stamp is not None and data_id(memo.stamp) == data_id(stamp):
        return _retime(memo, stamp)  # the same rows, refreshed since
    held = memo is not None and stamp is not None and _base_id(memo.root.stamp) == _base_id(stamp)
    try:
        if held:
            base, patches = memo.root, cache.get(patches_key)
        else:
            got = cache.get_many([data_key, patches_key])
            base, patches = _base_from(got.get(data_key)), got.get(patches_key)
    except Exception:
        base = patches = None
    if base is None:
        # The cache is down or lost it: this process' recent copy beats a rebuild per page.
        if memo is not None and stamp is None and memo.age_seconds < float(settings.JFROG_ML_CATALOG_MEMO_MAX_AGE):
            return memo
        return None
    base_id = _base_id(base.stamp)
    if not isinstance(patches, dict) or patches.get("base") != base_id or not patches.get("rows"):
        if _base_id(stamp) == base_id and not str(data_id(stamp)).endswith(".0"):
            return None  # patched rows this process cannot read: rebuild rather than show old ones
        catalog = base
    else:
        catalog = Catalog.patched_from(
            base,
            dict(patches["rows"]),
            stamp=_stamped(base, f"{base_id}.{int(patches['seq'])}"),
            patched=dict(patches.get("at") or {}),
        )
    if data_id(stamp) == data_id(catalog.stamp):
        _retime(catalog, stamp)
    return _keep(catalog)


def _base_from(payload: object) -> Catalog | None:
    if not isinstance(payload, dict) or "rows" not in payload or "stamp" not in payload:
        return None
    base = Catalog(
        rows=payload["rows"],
        built_at=payload["built_at"],
        complete=payload["complete"],
        full_at=payload.get("full_at", payload["built_at"]),
        patched=payload.get("patched") or {},
    )
    base.stamp = _stamped(base, f"{payload['stamp']}.0")
    return base


def reset_local_state() -> None:
    """Forget this process' in-memory copy (tests that clear the cache call this)."""
    _loaded.clear()


# --- patches after writes through Pond -------------------------------------------------


def patch(model_id: str, change: Callable[[ModelRow | None], ModelRow | None]) -> None:
    """Replace the model's row by change(its row or None); None deletes it."""
    _, patches_key, stamp_key = _keys()
    with lock(f"catalog-write:{upstream_namespace()}", timeout=10, blocking=True):
        current = load()
        if current is None:
            return  # nothing to patch: the first view builds it with the change included
        now = time.time()
        changes = {**current.changes, model_id: change(current.by_id.get(model_id))}
        at = {**current.patched, model_id: now}
        base = current.root
        if len(changes) > FOLD_AT:
            # Into a new base, remembering recent patch times only (a refresh takes minutes at most).
            recent = {mid: t for mid, t in at.items() if now - t < 86400}
            save(Catalog.patched_from(base, changes, stamp="", patched=recent))
            return
        base_id = _base_id(base.stamp)
        seq = int(str(data_id(current.stamp)).rsplit(".", 1)[-1] or 0) + 1
        stamp = _stamped(current, f"{base_id}.{seq}")
        mine = {mid: t for mid, t in at.items() if mid in changes}
        _write({patches_key: {"base": base_id, "seq": seq, "rows": changes, "at": mine}, stamp_key: stamp})
        _keep(Catalog.patched_from(base, changes, stamp=stamp, patched=mine))
