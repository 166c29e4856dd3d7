"""Big cached lists are decoded once per process while their entry is unchanged, and
what pages figure from them (and from the catalog) is computed once per value.

Each test checks both halves: the same decoded object while nothing changed, and
the new data as soon as the shared cache says something did (a write by another
process, an emptied cache, an expiry after a write through Pond).
"""

from __future__ import annotations

import time

import pytest
from django.core.cache import caches

from tests.support.faultserver import json_response
from webui.jfrogml import cache, catalog, services
from webui.jfrogml.client import get_client
from webui.jfrogml.services import _shared

EXPERIMENTS = {
    "experiments": [
        {"id": "exp_1", "status": "running", "created_at": "2026-01-01T00:00:00Z"},
        {"id": "exp_2", "status": "completed", "created_at": "2026-01-02T00:00:00Z"},
    ]
}
OTHER = {"experiments": [{"id": "exp_9", "status": "failed", "created_at": "2026-01-03T00:00:00Z"}]}


@pytest.fixture
def long_ttl(settings):
    settings.JFROG_ML_TTL_EXPERIMENTS = 60
    settings.JFROG_ML_TTL_DEPLOYMENTS = 60
    cache.reset_local_state()
    yield settings
    cache.reset_local_state()


def _every_experiment():
    return _shared._experiments().value


def test_the_list_of_every_experiment_is_decoded_once_while_its_entry_is_unchanged(fault, long_ttl):
    fault.on("GET", "/v1/experiments", json_response(EXPERIMENTS))
    first = _every_experiment()
    # As another process: nothing decoded yet, so it reads the shared entry once...
    cache.reset_local_state()
    second = _every_experiment()
    assert second is not first and [e.id for e in second] == ["exp_1", "exp_2"]
    # ...then answers from its decoded copy (a pickled entry decodes to new objects).
    assert _every_experiment() is second
    assert fault.count("GET", "/v1/experiments") == 1


def test_a_write_by_another_process_is_read_at_once(fault, long_ttl):
    fault.on("GET", "/v1/experiments", json_response(EXPERIMENTS))
    mine = _every_experiment()
    assert _every_experiment() is mine
    # Another process stores a newer list: the shared entry and its stamp change, this
    # process' decoded copy does not.
    fault.on("GET", "/v1/experiments", json_response(OTHER))
    newer = get_client().list_experiments()
    full = cache.full_key("experiments:*")
    caches["default"].set_many({full: {"v": newer, "t": time.time(), "s": "another"}, full + ":stamp": "another"})
    assert [e.id for e in _every_experiment()] == ["exp_9"]


def test_an_emptied_cache_is_never_answered_from_the_decoded_copy(fault, long_ttl):
    fault.on("GET", "/v1/experiments", json_response(EXPERIMENTS))
    _every_experiment()
    caches["default"].clear()
    fault.on("GET", "/v1/experiments", json_response(OTHER))
    assert [e.id for e in _every_experiment()] == ["exp_9"]
    assert fault.count("GET", "/v1/experiments") == 2


def test_an_expired_entry_is_refetched_not_answered_from_the_decoded_copy(fault, long_ttl):
    fault.on("GET", "/v1/experiments", json_response(EXPERIMENTS))
    long_ttl.JFROG_ML_REVALIDATE_EXPERIMENTS = 0
    _every_experiment()
    cache.expire("experiments:*")  # what a write through Pond does
    fault.on("GET", "/v1/experiments", json_response(OTHER))
    assert [e.id for e in _every_experiment()] == ["exp_9"]


def test_a_forgotten_entry_takes_its_stamp_and_decoded_copy_with_it(fault, long_ttl):
    fault.on("GET", "/v1/experiments", json_response(EXPERIMENTS))
    _every_experiment()
    cache.forget("experiments:*")
    assert caches["default"].get(cache.full_key("experiments:*") + ":stamp") is None
    fault.on("GET", "/v1/experiments", json_response(OTHER))
    assert [e.id for e in _every_experiment()] == ["exp_9"]
    assert fault.count("GET", "/v1/experiments") == 2


def test_the_experiment_list_page_sorts_and_counts_once_per_list(fault, long_ttl):
    fault.on("GET", "/v1/experiments", json_response(EXPERIMENTS))
    first = services.experiment_list()
    again = services.experiment_list()
    assert [e.id for e in first.experiments] == ["exp_2", "exp_1"]  # newest first
    assert again.experiments is first.experiments
    assert services.experiment_list(status="running").experiments[0].id == "exp_1"
    assert again.status_counts == {"running": 1, "completed": 1}
    caches["default"].clear()
    fault.on("GET", "/v1/experiments", json_response(OTHER))
    changed = services.experiment_list()
    assert [e.id for e in changed.experiments] == ["exp_9"]
    assert changed.status_counts == {"failed": 1}
    assert services.experiment_list(status="running").experiments == []


def test_the_catalogs_figures_are_computed_once_per_loaded_catalog():
    model = catalog.Model(id="mdl_1", name="churn", updated_at=None)
    rows = [
        catalog.model_row(
            model,
            (("ver_1", "v1", "staging", time.time() - 10, ""), ("ver_2", "v2", "production", time.time(), "s3://x")),
            time.time(),
        )
    ]
    cat = catalog.Catalog(rows=rows, built_at=time.time(), complete=True, full_at=time.time())
    figures = cat.overview_figures(recent=8)
    assert cat.overview_figures(recent=8) is figures
    assert figures.model_count == 1 and figures.version_count == 2
    assert figures.version_status_counts == {"staging": 1, "production": 1}
    assert [(m.id, v[0]) for m, v in figures.awaiting_review] == [("mdl_1", "ver_1")]
    assert cat.model_names() is cat.model_names() and cat.model_names() == {"mdl_1": "churn"}
    assert cat.version_labels() == {"ver_1": "v1", "ver_2": "v2"}
    # Callers may change what they are given without changing the kept figures.
    counts = cat.version_status_counts()
    counts["draft"] = 5
    assert "draft" not in cat.version_status_counts()
    # A new catalog (a refresh, a write) is a new object: its figures are its own.
    newer = catalog.Catalog(rows=rows[:0], built_at=time.time(), complete=True, full_at=time.time())
    assert newer.overview_figures(recent=8).model_count == 0


def test_the_model_list_sorts_every_row_once_per_catalog_and_filters_in_that_order(fault, long_ttl):
    fault.on("GET", "/v1/deployments", json_response({"deployments": []}))
    names = ["beta", "alpha", "gamma-search", "delta-search", "alpha"]
    now = time.time()
    rows = [
        catalog.model_row(catalog.Model(id=f"mdl_{i}", name=n, versions_count=i), (), now - i)
        for i, n in enumerate(names)
    ]
    cat = catalog.save(catalog.Catalog(rows=rows, built_at=now, complete=True, full_at=now))
    first = services.model_list(sort="name")
    assert [r.model.id for r in first.rows] == ["mdl_1", "mdl_4", "mdl_0", "mdl_3", "mdl_2"]
    order = cat._kept[("model_list:order", "name")]
    searched = services.model_list(q="search", sort="-name")
    assert [r.model.id for r in searched.rows] == ["mdl_2", "mdl_3"]
    assert cat._kept[("model_list:order", "name")] is order  # not sorted again
    assert [r.model.id for r in services.model_list(sort="versions").rows] == ["mdl_4", "mdl_3", "mdl_2", "mdl_1", "mdl_0"]


def test_a_figure_is_recomputed_for_a_new_source_not_served_from_the_old_one():
    old, new = ["a", "b"], ["c"]
    assert _shared._derive("test-family", "count", old, lambda: len(old)) == 2
    assert _shared._derive("test-family", "count", old, lambda: 99) == 2  # kept for this source
    assert _shared._derive("test-family", "count", new, lambda: len(new)) == 1
    assert _shared._derive("test-family", "count", list(new), lambda: 7) == 7  # an equal list is another source


def test_the_memo_matches_stamps_by_identity_or_equal_value_and_stays_bounded():
    from webui.jfrogml.memo import Memo

    memo = Memo(maxsize=2)
    source = ["x"]
    assert memo.recall("a", source, lambda: 1) == 1
    assert memo.recall("a", source, lambda: 2) == 1
    assert memo.recall("a", ["x"], lambda: 3) == 3  # equal, not the same: computed again
    memo.put("b", "stamp-1", "b1")
    assert memo.get("b", "stamp-1") == "b1" and memo.get("b", "stamp-2") is None
    assert memo.get("t", (source, "s")) is None
    memo.put("t", (source, "s"), "t1")  # the third key: the least recently used ("a") goes
    assert memo.get("t", (source, "s")) == "t1" and memo.peek("a") is None


def test_deployment_labels_come_from_the_models_row_without_indexing_every_version(fault, long_ttl):
    now = time.time()
    rows = [
        catalog.model_row(catalog.Model(id="mdl_1", name="churn"), (("ver_1", "v1", "production", now, ""),), now),
        catalog.model_row(catalog.Model(id="mdl_2", name=""), (("ver_2", "", "draft", now, ""),), now),
    ]
    cat = catalog.save(catalog.Catalog(rows=rows, built_at=now, complete=True, full_at=now))
    fault.on(
        "GET",
        "/v1/deployments",
        json_response(
            {
                "deployments": [
                    {"id": "dep_1", "name": "a", "status": "active", "model_id": "mdl_1", "model_version_id": "ver_1"},
                    {"id": "dep_2", "name": "b", "status": "active", "model_id": "mdl_2", "model_version_id": "ver_2"},
                    {"id": "dep_3", "name": "c", "status": "active", "model_id": "mdl_9", "model_version_id": "ver_9"},
                ]
            }
        ),
    )
    labels = {r.deployment.id: (r.model_name, r.version_label) for r in services.deployment_list().rows}
    assert labels == {"dep_1": ("churn", "v1"), "dep_2": ("mdl_2", "ver_2"), "dep_3": (None, None)}
    # Found in their models' rows: no index of every version was needed for those.
    cat._kept.pop("version_labels", None)
    fault.on("GET", "/v1/deployments", json_response({"deployments": [
        {"id": "dep_1", "name": "a", "status": "active", "model_id": "mdl_1", "model_version_id": "ver_1"}]}))
    cache.forget("deployments")
    assert services.deployment_list().rows[0].version_label == "v1"
    assert "version_labels" not in cat._kept
    # A version listed under another model is still labelled (from the full index).
    fault.on("GET", "/v1/deployments", json_response({"deployments": [
        {"id": "dep_4", "name": "d", "status": "active", "model_id": "mdl_1", "model_version_id": "ver_2"}]}))
    cache.forget("deployments")
    assert services.deployment_list().rows[0].version_label == "ver_2"


def test_a_writer_overtaken_mid_write_never_keeps_its_own_older_copy(long_ttl, monkeypatch):
    # Writer B stores the same key between writer A's entry and A's stamp. Were that
    # possible, A's stamp would sit beside B's entry and A would keep answering from
    # its own copy while the shared cache holds B's. The write is one unit, so B
    # lands before or after A, never inside.
    import threading

    key = cache.full_key("experiments:*")
    shared = caches["default"]  # this thread's cache object; B's thread has its own
    real_set = shared.set
    other: dict[str, threading.Thread] = {}

    def set_then_let_b_in(k, value, *args, **kwargs):
        real_set(k, value, *args, **kwargs)
        if k == key and value["v"] == ["A"] and not other:
            other["b"] = threading.Thread(target=cache._write, args=(key, {"v": ["B"], "t": time.time()}, 60))
            other["b"].start()
            other["b"].join(timeout=0.5)  # B waits for A's write to finish, or lands now

    monkeypatch.setattr(shared, "set", set_then_let_b_in)
    cache._write(key, {"v": ["A"], "t": time.time()}, 60)
    other["b"].join(timeout=10)
    monkeypatch.undo()
    entry = shared.get(key)
    assert entry["v"] == ["B"]
    assert shared.get(key + ":stamp") == entry["s"]
    assert cache._get(key)["v"] == ["B"]
