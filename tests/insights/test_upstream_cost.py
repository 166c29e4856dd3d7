"""Insight pages read the catalog and the poller's snapshot: a small fixed number of
upstream calls per view, the same for 3 models as for 30 (no call per model)."""

from __future__ import annotations

import pytest
from django.core.cache import caches

from tests.support.registry_seed import seed_experiments_and_deployments, seed_models
from webui.jfrogml import catalog
from webui.jfrogml.client import reset_upstream_calls, upstream_calls

PAGES = [
    "/insights/production/",
    "/insights/production/?problems=1&format=json",
    "/insights/hygiene/",
    "/insights/hygiene/?format=json",
    "/insights/resources/",
    "/insights/resources/?format=json",
]


def _calls_per_page(client) -> dict[str, int]:
    built = catalog.catalog_refresh()  # Celery's job; its calls are counted apart ("catalog")
    counts = {}
    for url in PAGES:
        # A cold cache for each page, the catalog kept.
        caches["default"].clear()
        catalog.reset_local_state()
        catalog.save(built)
        reset_upstream_calls()
        assert client.get(url).status_code == 200, url
        counts[url] = upstream_calls("page")
        # Warm: the same page again costs nothing upstream.
        assert client.get(url).status_code == 200
        assert upstream_calls("page") == counts[url], url
    return counts


@pytest.mark.slow
def test_page_views_cost_the_same_few_upstream_calls_for_3_and_for_30_models(alice, upstream_url):
    small_ids = seed_models(3, versions_per_model=3)
    seed_experiments_and_deployments(small_ids, experiments_per_model=2, deployments=3)
    small = _calls_per_page(alice)

    more = seed_models(27, versions_per_model=3, prefix="more")
    seed_experiments_and_deployments(more, experiments_per_model=2, deployments=27)
    large = _calls_per_page(alice)

    assert small == large
    for url, count in large.items():
        # The deployment list, plus the experiment list for hygiene.
        assert 1 <= count <= (2 if "hygiene" in url else 1), (url, count)
