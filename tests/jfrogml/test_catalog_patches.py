"""Writes through Pond patch the catalog: every process sees the change on its next
page without reloading the whole catalog, and what pages derive from a patched
catalog is exactly what they would derive from the same rows stored afresh."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches

from webui.jfrogml import catalog, services
from webui.jfrogml.catalog import store
from webui.jfrogml.resources import Model, ModelVersion

STATUSES = ("draft", "staging", "production", "archived")


def _row(i: int, *, name: str | None = None, description: str = "", versions: int = 3) -> catalog.ModelRow:
    now = 1_700_000_000.0
    return catalog.ModelRow(
        f"mdl_{i:05d}",
        name or f"model-{i:05d}",
        description or f"a {('pytorch', 'sklearn', 'xgboost')[i % 3]} model for team {i % 7}",
        ("pytorch", "sklearn", "xgboost")[i % 3],
        ("classification", "regression")[i % 2],
        (f"team-{i % 7}", f"domain-{i % 5}"),
        f"{versions}.0",
        versions,
        now + i,
        now + 2 * i,
        "seed",
        tuple(
            catalog.VersionRow(f"ver_{i:05d}_{v}", f"{v}.0", STATUSES[(i + v) % 4], now + i + v, f"s3://m/{i}/{v}")
            for v in range(versions)
        ),
        now,
    )


def _base(models: int = 200) -> catalog.Catalog:
    now = time.time()
    return catalog.save(catalog.Catalog(rows=[_row(i) for i in range(models)], built_at=now, complete=True, full_at=now))


def _write_in_another_process(tmp_path: Path, script: str) -> None:
    """Run `script` (with `catalog` and `Model` imported) in a Python process of its
    own, on this test's cache and locks: a second Pond worker."""
    config = {
        "cache": django_settings.CACHES["default"],
        "locks": str(django_settings.POND_LOCK_DIR),
        "url": django_settings.JFROG_ML_URL,
    }
    program = (
        "import json, sys, django\n"
        "django.setup()\n"
        "from django.conf import settings\n"
        "config = json.loads(sys.argv[1])\n"
        "settings.CACHES = {'default': config['cache']}\n"
        "settings.POND_LOCK_DIR = config['locks']\n"
        "settings.JFROG_ML_URL = config['url']\n"
        "from webui.jfrogml import catalog\n"
        "from webui.jfrogml.resources import Model\n" + script
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "webui.settings", "POND_VAR_DIR": str(tmp_path / "other")}
    done = subprocess.run(
        [sys.executable, "-c", program, json.dumps(config, default=str)],
        env=env, capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_process_sees_another_ones_writes_without_reloading_the_catalog(tmp_path, upstream_url):
    _base()
    assert services.model_list(q="renamed").total == 0  # this process holds the catalog
    _write_in_another_process(
        tmp_path,
        "catalog.upsert_model(Model(id='mdl_00003', name='renamed-three', description='now about churn'), None)\n"
        "catalog.upsert_model(Model(id='mdl_new', name='brand-new', framework='jax'), [])\n"
        "catalog.remove_model('mdl_00007')\n",
    )
    # The big entry is gone: what this process shows next can only come from the
    # rows it holds and the small patches entry.
    data_key, _, _ = store._keys()
    caches["default"].delete(data_key)
    renamed = services.model_list(q="churn")
    assert [r.model.name for r in renamed.rows] == ["renamed-three"]
    assert renamed.rows[0].version_status_counts  # its versions were kept
    assert services.model_list(q="brand-new").total == 1
    assert services.model_list(q="model-00007").total == 0
    listing = services.model_list(per_page=200)
    assert listing.total == 200 and dict(listing.facets.frameworks)["jax"] == 1


def test_a_new_process_reads_the_base_and_its_patches(upstream_url):
    _base()
    catalog.upsert_model(Model(id="mdl_00001", name="first-renamed"), None)
    catalog.remove_model("mdl_00002")
    catalog.reset_local_state()  # as a process started after the writes
    loaded = catalog.load()
    assert loaded is not None
    assert loaded.by_id["mdl_00001"].name == "first-renamed" and "mdl_00002" not in loaded.by_id
    assert len(loaded.rows) == 199


def test_lost_patches_mean_a_rebuild_never_old_rows(upstream_url):
    _base()
    catalog.upsert_model(Model(id="mdl_00001", name="first-renamed"), None)
    _, patches_key, _ = store._keys()
    caches["default"].delete(patches_key)
    catalog.reset_local_state()
    assert catalog.load() is None  # the page then builds the catalog from JFrog ML


def test_many_patches_fold_into_a_new_base(upstream_url, monkeypatch):
    monkeypatch.setattr(store, "FOLD_AT", 3)
    _base(20)
    before = catalog.catalog_stamp()
    for i in range(4):  # the fourth is one past FOLD_AT
        catalog.upsert_model(Model(id=f"mdl_{i:05d}", name=f"edited-{i}"), None)
    assert catalog.catalog_stamp() != before
    _, patches_key, _ = store._keys()
    assert caches["default"].get(patches_key)["rows"] == {}  # folded: the patches entry starts again
    caches["default"].delete(patches_key)  # even without it, nothing is lost
    catalog.reset_local_state()
    names = {r.id: r.name for r in catalog.load().rows}
    assert [names[f"mdl_{i:05d}"] for i in range(4)] == [f"edited-{i}" for i in range(4)]


def _derived(cat: catalog.Catalog) -> dict:
    return {
        "rows": list(cat.rows),
        "by_id": dict(cat.by_id),
        "haystack": list(cat.haystack),
        "statuses": list(cat.statuses),
        "facets": cat.facets(),
        "counts": dict(cat.version_status_counts()),
        "staging": [(m.id, v.id) for m, v in cat.versions_in_status("staging")],
        "production": [(m.id, v.id) for m, v in cat.versions_in_status("production")],
        "names": cat.model_names(),
        "labels": cat.version_labels(),
        "overview": cat.overview_figures(),
        "complete": cat.complete,
        "names-upper": cat.per_row("upper", lambda row: row.name.upper()),
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_what_a_patched_catalog_derives_equals_a_fresh_one(seed, upstream_url):
    rnd = random.Random(seed)
    base = _base(120)
    _derived(base)  # the base's figures exist before the writes, as in a running process
    for step in range(40):
        target = rnd.randrange(160)
        kind = rnd.random()
        if kind < 0.2:
            catalog.remove_model(f"mdl_{target:05d}")
        else:
            row = _row(target, name=f"m-{step}-{target}", description=f"edit {step}", versions=rnd.randrange(0, 6))
            versions = None if kind > 0.9 else [
                ModelVersion(id=v.id, model_id=row.id, version=v.label, status=rnd.choice(STATUSES),
                                      created_at=catalog.dt(v.created), artifact_path=v.artifact_path)
                for v in row.versions
            ]
            catalog.upsert_model(catalog.row_model(row), versions)
        patched = catalog.load()
        fresh = catalog.Catalog(
            rows=list(patched.rows), built_at=patched.built_at, complete=patched.complete, full_at=patched.full_at
        )
        got, want = _derived(patched), _derived(fresh)
        assert got == want, (step, [k for k in want if got[k] != want[k]])
