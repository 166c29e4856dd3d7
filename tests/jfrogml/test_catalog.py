"""The catalog: every model and its versions, searchable, filterable, sortable, fast."""

from __future__ import annotations

import json
import pickle
import time
import zlib

import pytest

from tests.support.faultserver import json_response, status
from tests.support.registry_seed import seed_models
from webui.jfrogml import catalog, services
from webui.jfrogml.client import get_client, upstream_calls
from webui.jfrogml.errors import BadResponse, Unavailable, ValidationFailed


def test_it_pages_through_every_model_past_a_thousand(upstream_url, settings):
    seed_models(1205)
    settings.JFROG_ML_CATALOG_PAGE_SIZE = 500
    built = catalog.catalog_refresh(with_versions=False)
    assert len(built.rows) == 1205
    assert upstream_calls("catalog") == 3  # 500 + 500 + 205
    result = services.model_list(sort="name", page=49, per_page=25)
    assert result.total == 1205 and result.num_pages == 49 and len(result.rows) == 5
    assert result.rows[-1].model.name == "bulk-model-001204"


def test_it_searches_filters_sorts_and_pages_across_all_models(upstream_url):
    seed_models(60, versions_per_model=3)
    catalog.catalog_refresh()
    by_name = services.model_list(q="MODEL-00004")
    assert [r.model.name for r in by_name.rows] == [f"bulk-model-{i:06d}" for i in range(40, 50)]
    by_tag = services.model_list(tag="team-3", per_page=100)
    assert by_tag.total == 12 and all("team-3" in r.model.tags for r in by_tag.rows)
    by_framework = services.model_list(framework="xgboost", task_type="regression", per_page=100)
    assert by_framework.total == 15
    assert all(r.model.framework == "xgboost" and r.model.task_type == "regression" for r in by_framework.rows)
    newest = services.model_list(sort="updated", per_page=3)
    assert [r.model.name for r in newest.rows] == ["bulk-model-000059", "bulk-model-000058", "bulk-model-000057"]
    by_framework_sort = services.model_list(sort="framework", per_page=60)
    frameworks = [r.model.framework for r in by_framework_sort.rows]
    assert frameworks == sorted(frameworks)
    page_two = services.model_list(per_page=25, page=2)
    assert page_two.page == 2 and page_two.rows[0].model.name == "bulk-model-000025"
    assert ("xgboost", 15) in page_two.facets.frameworks
    assert ("team-0", 12) in page_two.facets.tags


def test_it_filters_by_a_version_status(upstream_url):
    seed_models(8, versions_per_model=1)  # model i's only version has status (i + 1) % 4
    catalog.catalog_refresh()
    production = services.model_list(has_status="production", per_page=100)
    assert sorted(r.model.name for r in production.rows) == ["bulk-model-000001", "bulk-model-000005"]
    assert production.rows[0].version_status_counts == {"production": 1}


def test_it_refuses_bad_list_parameters_naming_the_field(upstream_url):
    for kwargs, name in [({"sort": "rank"}, "sort"), ({"page": "x"}, "page"), ({"page": 0}, "page"), ({"per_page": 5000}, "per_page")]:
        with pytest.raises(ValidationFailed) as caught:
            services.model_list(**kwargs)
        assert name in caught.value.fields


def test_a_refresh_refetches_versions_only_of_models_that_changed(upstream_url):
    seed_models(20, versions_per_model=2)
    catalog.catalog_refresh()
    assert upstream_calls("catalog") == 1 + 20
    client = get_client()
    client.create_model_version("mdl_bulk000007", version="v3")
    before = upstream_calls("catalog")
    refreshed = catalog.catalog_refresh()
    assert upstream_calls("catalog") - before == 1 + 1
    row = refreshed.by_id["mdl_bulk000007"]
    assert [v[1] for v in row.versions] == ["v1", "v2", "v3"]


def test_its_calls_are_counted_apart_from_pages(upstream_url):
    seed_models(5, versions_per_model=1)
    catalog.catalog_refresh()
    assert upstream_calls("catalog") == 6
    assert upstream_calls("page") == 0


def test_the_first_view_builds_the_catalog_once_and_says_how_old_it_is(upstream_url):
    seed_models(10, versions_per_model=1)
    result = services.model_list()
    assert result.total == 10 and result.catalog_complete is True
    assert 0 <= result.catalog_age < 5
    calls = upstream_calls("catalog")
    services.model_list(q="bulk")
    assert upstream_calls("catalog") == calls


def test_the_first_view_of_a_big_upstream_skips_versions_until_a_refresh(upstream_url, settings):
    settings.JFROG_ML_CATALOG_SYNC_MAX = 5
    seed_models(12, versions_per_model=1)
    result = services.model_list()
    assert result.total == 12 and result.catalog_complete is False
    assert upstream_calls("catalog") == 2  # the size probe and one page of models
    catalog.catalog_refresh()
    assert services.model_list().catalog_complete is True


def _synthetic(models: int, versions_per_model: int) -> catalog.Catalog:
    statuses = ("draft", "staging", "production", "archived")
    frameworks = ("pytorch", "sklearn", "xgboost", "tensorflow", "lightgbm")
    now = time.time()
    rows = [
        catalog.ModelRow(
            f"mdl_{i:08x}",
            f"model-{i:05d}-{frameworks[i % 5]}",
            f"A {frameworks[i % 5]} model for task number {i}, owned by team {i % 37}",
            frameworks[i % 5],
            ("classification", "regression", "nlp", "vision")[i % 4],
            (f"team-{i % 37}", f"domain-{i % 11}"),
            f"{versions_per_model}.0",
            versions_per_model,
            now - i,
            now - i / 2,
            "seed",
            tuple(
                catalog.VersionRow(f"ver_{i:08x}_{v}", f"{v}.0", statuses[(i + v) % 4], now - i + v, f"s3://models/{i}/{v}")
                for v in range(versions_per_model)
            ),
            now,
        )
        for i in range(models)
    ]
    return catalog.Catalog(rows=rows, built_at=now, complete=True, full_at=now)


@pytest.mark.slow
def test_it_stays_fast_at_ten_thousand_models_and_a_hundred_thousand_versions(fault, capsys):
    fault.on("GET", "/v1/deployments", json_response({"deployments": []}))
    catalog.save(_synthetic(10_000, 10))
    payload = pickle.dumps(catalog.load().to_payload(), pickle.HIGHEST_PROTOCOL)

    catalog.reset_local_state()  # as a fresh process: load from the shared cache
    started = time.perf_counter()
    catalog.load()
    load_ms = (time.perf_counter() - started) * 1000
    # The first list after a load also counts the facets (once per catalog version).
    started = time.perf_counter()
    services.model_list()
    first_ms = (time.perf_counter() - started) * 1000

    timings = {}
    for name, kwargs in {
        "search": {"q": "team 1"},
        "search-miss": {"q": "no such model anywhere"},
        "filter": {"framework": "xgboost", "tag": "team-3"},
        "has-status": {"has_status": "production", "sort": "-updated"},
        "sort-versions": {"sort": "versions", "page": 40},
    }.items():
        # Best of three: the box is shared, and the question is what the code costs.
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            result = services.model_list(**kwargs)
            runs.append((time.perf_counter() - started) * 1000)
        timings[name] = min(runs)
        assert result.total >= 0
    assert services.model_list(q="model-09999").total == 1
    assert services.model_list(has_status="production").total > 0
    with capsys.disabled():
        print(
            f"\ncatalog 10k/100k: pickled {len(payload) / 1e6:.1f} MB "
            f"(zlib {len(zlib.compress(payload)) / 1e6:.1f} MB), load {load_ms:.0f} ms, first list {first_ms:.0f} ms, "
            + ", ".join(f"{k} {v:.1f} ms" for k, v in timings.items())
        )
    assert max(timings.values()) < 100
    assert load_ms + first_ms < 5000  # once per catalog change per process; generous on a shared box


@pytest.mark.parametrize(
    "failure",
    [status(503), json_response({"models": "nope", "total_count": 2})],
    ids=["unavailable", "spec-violating"],
)
def test_a_failed_refresh_keeps_the_previous_catalog(fault, failure):
    fault.on("GET", "/v1/models", json_response({"models": [{"id": "mdl_1", "name": "kept"}], "total_count": 1}))
    fault.on("GET", "/v1/models/mdl_1/versions", json_response({"versions": []}))
    first = catalog.catalog_refresh()
    fault.on("GET", "/v1/models", failure)
    with pytest.raises((Unavailable, BadResponse)):
        catalog.catalog_refresh()
    catalog.reset_local_state()  # as another process would see it
    kept = catalog.load()
    assert kept is not None and kept.stamp == first.stamp
    assert [r.name for r in kept.rows] == ["kept"]


def test_writes_during_a_refresh_are_not_lost_when_it_saves(fault, settings):
    import threading

    from tests.support.faultserver import slow
    from webui.jfrogml.resources import Model

    settings.JFROG_ML_READ_TIMEOUT = 3.0
    listing = {"models": [{"id": "mdl_1", "name": "old"}, {"id": "mdl_3", "name": "stays"}], "total_count": 2}
    fault.on("GET", "/v1/models", json_response(listing))
    fault.on("GET", "/v1/models/mdl_.*/versions", json_response({"versions": []}))
    catalog.catalog_refresh()
    # The next refresh lists slowly; meanwhile Pond creates mdl_2 and deletes mdl_1.
    fault.on("GET", "/v1/models", slow(0.5, json_response(listing)))
    refresh = threading.Thread(target=catalog.catalog_refresh)
    refresh.start()
    time.sleep(0.2)
    catalog.upsert_model(Model(id="mdl_2", name="created during refresh"), [])
    catalog.remove_model("mdl_1")
    refresh.join()
    catalog.reset_local_state()
    names = sorted(r.name for r in catalog.load().rows)
    assert names == ["created during refresh", "stays"]


def test_a_refresh_stops_at_its_time_budget_and_the_next_one_continues(upstream_url, settings):
    settings.JFROG_ML_CATALOG_THREADS = 1  # 32 version lists per chunk
    seed_models(80, versions_per_model=1)
    first = catalog.catalog_refresh(max_seconds=0)
    assert first.complete is False
    assert sum(r.versions is not None for r in first.rows) == 32
    second = catalog.catalog_refresh(max_seconds=0)
    assert sum(r.versions is not None for r in second.rows) == 64
    third = catalog.catalog_refresh(max_seconds=0)
    assert third.complete is True
    assert upstream_calls("catalog") == 3 * 1 + 80  # each model's versions fetched once


def test_versions_carry_their_artifact_path(upstream_url):
    model = services.model_create(name="with-artifact")
    services.model_list()
    services.version_create(model_id=model.id, version="1", artifact_path="s3://bucket/model.pkl")
    row = catalog.load().by_id[model.id]
    assert row.versions[0].artifact_path == "s3://bucket/model.pkl"


def test_after_the_first_page_the_other_model_pages_are_asked_for_together(fault, settings):
    from urllib.parse import parse_qs, urlsplit

    from tests.support.faultserver import _send

    settings.JFROG_ML_CATALOG_PAGE_SIZE = 2
    settings.JFROG_ML_CATALOG_THREADS = 4
    every = [{"id": f"mdl_{i}", "name": f"model-{i}"} for i in range(7)]

    def page(handler, server):
        query = parse_qs(urlsplit(handler.path).query)
        offset, limit = int(query["offset"][0]), int(query["limit"][0])
        body = {"models": every[offset : offset + limit], "total_count": len(every)}
        if not server.stopping.wait(0.3):
            _send(handler, 200, json.dumps(body).encode(), "application/json")

    fault.on("GET", "/v1/models", page)
    built = catalog.catalog_refresh(with_versions=False)
    assert [r.id for r in built.rows] == [m["id"] for m in every]
    calls = [r for r in fault.requests if r.path == "/v1/models"]
    assert len(calls) == 4  # 2 + 2 + 2 + 1: the same calls as one after another
    rest = sorted(r.at for r in calls[1:])
    # Asked for together: each answer takes 0.3 s, and none waited for another.
    assert rest[-1] - rest[0] < 0.25, rest


def test_a_refresh_that_finds_nothing_changed_keeps_the_rows_and_only_retimes_them(fault):
    fault.on("GET", "/v1/models", json_response({"models": [{"id": "mdl_1", "name": "kept"}], "total_count": 1}))
    fault.on("GET", "/v1/models/mdl_1/versions", json_response({"versions": []}))
    first = catalog.catalog_refresh()
    figures = first.overview_figures()
    built_before = first.built_at
    time.sleep(0.01)
    second = catalog.catalog_refresh()
    # This process keeps its loaded catalog (and what it derived from it), retimed.
    assert catalog.load() is first and first.overview_figures() is figures
    assert second is first and first.built_at > built_before
    catalog.reset_local_state()  # as another process would see it: the new time
    seen = catalog.load()
    assert seen is not first and seen.built_at == first.built_at and seen.rows == first.rows
    # A change upstream: new rows, a new stamp, a new catalog everywhere.
    fault.on("GET", "/v1/models", json_response({"models": [{"id": "mdl_1", "name": "renamed"}], "total_count": 1}))
    third = catalog.catalog_refresh()
    assert catalog.data_id(third.stamp) != catalog.data_id(first.stamp)
    catalog.reset_local_state()
    assert [r.name for r in catalog.load().rows] == ["renamed"]
