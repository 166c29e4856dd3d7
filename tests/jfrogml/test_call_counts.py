"""Each page-facing function costs a small, fixed number of upstream calls, whatever
the amount of data (no N+1): counted on small data and on large data."""

from __future__ import annotations

import pytest
from django.core.cache import caches

from tests.support.registry_seed import seed_experiments_and_deployments, seed_models
from webui.jfrogml import catalog, services
from webui.jfrogml.client import reset_upstream_calls, upstream_calls

PAGES = {
    "overview": lambda ids: services.overview(),
    "model_list": lambda ids: services.model_list(q="bulk", sort="-updated", page=2, per_page=10),
    "model_overview": lambda ids: services.model_overview(model_id=ids[0]),
    "version_detail": lambda ids: services.version_detail(model_id=ids[0], version_id=f"ver_{ids[0][4:]}_1"),
    "versions_compare": lambda ids: services.versions_compare(
        model_id=ids[0], version_ids=[f"ver_{ids[0][4:]}_1", f"ver_{ids[0][4:]}_2"]
    ),
    "experiment_list": lambda ids: services.experiment_list(),
    "experiment_list_by_model": lambda ids: services.experiment_list(model_id=ids[0], status="completed"),
    "experiment_detail": lambda ids: services.experiment_detail(experiment_id=f"exp_{ids[0][4:]}_1"),
    "experiments_compare": lambda ids: services.experiments_compare(
        experiment_ids=[f"exp_{ids[0][4:]}_0", f"exp_{ids[0][4:]}_1", f"exp_{ids[1][4:]}_1"]
    ),
    "deployment_list": lambda ids: services.deployment_list(),
    "deployment_detail": lambda ids: services.deployment_detail(deployment_id=f"dep_{ids[0][4:]}"),
}
# Upper bounds, cold cache: what each page needs, fetched once each.
BOUNDS = {"model_overview": 4, "version_detail": 3, "deployment_detail": 3}


def _page_calls(ids: list[str]) -> dict[str, int]:
    counts = {}
    built = catalog.catalog_refresh()  # the catalog's own calls are counted apart ("catalog")
    for name, page in PAGES.items():
        # A cold cache for each page, but the catalog kept (it is refreshed by Celery).
        caches["default"].clear()
        catalog.reset_local_state()
        catalog.save(built)
        reset_upstream_calls()
        page(ids)
        counts[name] = upstream_calls("page")
        # Warm: the same page again costs nothing upstream.
        page(ids)
        assert upstream_calls("page") == counts[name], name
    return counts


@pytest.mark.slow
def test_page_functions_cost_the_same_number_of_upstream_calls_on_small_and_large_data(upstream_url):
    small_ids = seed_models(3, versions_per_model=2)
    seed_experiments_and_deployments(small_ids, experiments_per_model=2, deployments=2)
    small = _page_calls(small_ids)

    more = seed_models(150, versions_per_model=10, prefix="big")
    seed_experiments_and_deployments(more, experiments_per_model=8, deployments=100)
    large = _page_calls(small_ids)

    assert small == large
    for name, count in large.items():
        assert 1 <= count <= BOUNDS.get(name, 2), (name, count)
