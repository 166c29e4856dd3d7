"""Figures move as pages are loaded over real HTTP against the embedded registry:
requests per view, upstream calls per operation, data-cache hits and misses, the
breaker's state; and a hostile id in a path never becomes a label."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.dashboard.conftest import Registry
from tests.metrics.conftest import log_in_over_http, scrape

pytestmark = pytest.mark.django_db(transaction=True)

HOSTILE = 'evil"} 1\n# TYPE x counter\nx{a="b/../?#' + "é" * 300


@pytest.fixture
def registry(upstream_url):
    reg = Registry(upstream_url)
    yield reg
    reg.close()


def test_loading_a_model_page_counts_the_view_its_upstream_calls_and_cache_reads(
    live_server, registry, viewer, settings
):
    settings.POND_PAGE_CACHE_TTL = 0  # every view builds the page: the data cache is read each time
    model = registry.model("churn")
    session = log_in_over_http(live_server.url, viewer)
    before = scrape(live_server.url)

    for _ in range(3):
        assert session.get(f"{live_server.url}/models/{model['id']}/", timeout=30).status_code == 200

    after = scrape(live_server.url)
    grew = lambda name, **labels: after.value(name, **labels) - before.value(name, **labels)  # noqa: E731
    assert grew("pond_http_requests_total", view="model_detail", method="GET", status="200") == 3
    assert grew("pond_http_request_duration_seconds_count", view="model_detail") == 3
    assert grew("pond_http_request_duration_seconds_sum", view="model_detail") > 0
    # The first view fetched the model from the registry; the next two read the cache.
    assert grew("pond_upstream_requests_total", operation="GET /v1/models/{id}", result="200") == 1
    assert grew("pond_upstream_request_duration_seconds_count", operation="GET /v1/models/{id}") == 1
    assert grew("pond_cache_lookups_total", resource="model", result="miss") == 1
    assert grew("pond_cache_lookups_total", resource="model", result="hit") == 2
    # The registry's own API answered those calls in this process: counted by its view name.
    assert grew("pond_http_requests_total", view="registry-model", method="GET", status="200") == 1


def test_a_hostile_id_in_the_path_never_becomes_a_label(live_server, registry, viewer):
    session = log_in_over_http(live_server.url, viewer)
    before = scrape(live_server.url)

    # Encoded twice, as Pond's own links are (webui/core/converters.py): the view gets the id.
    resp = session.get(f"{live_server.url}/models/{quote(quote(HOSTILE, safe=''), safe='')}/", timeout=30)
    assert resp.status_code == 404
    session.get(f"{live_server.url}/no/such/{quote(HOSTILE, safe='')}", timeout=30)
    session.request("BREW", f"{live_server.url}/models/", timeout=30)

    after = scrape(live_server.url)
    grew = lambda name, **labels: after.value(name, **labels) - before.value(name, **labels)  # noqa: E731
    assert grew("pond_http_requests_total", view="model_detail", method="GET", status="404") == 1
    assert grew("pond_upstream_requests_total", operation="GET /v1/models/{id}", result="404") == 1
    # /no/such/..., and the registry's answer to an id holding "/" (no route of its own).
    assert grew("pond_http_requests_total", view="<unresolved>", method="GET", status="404") >= 1
    # A method nobody knows is "other" (refused here by the CSRF check, before the view).
    assert grew("pond_http_requests_total", view="model_list", method="other", status="403") == 1
    for fragment in ("evil", "é", quote(HOSTILE, safe="")[:40], "BREW", "no/such"):
        assert fragment not in after.text
    for labels in after.labels_of("pond_http_requests_total") + after.labels_of("pond_upstream_requests_total"):
        assert all("evil" not in value for value in labels.values())


def test_a_dead_upstream_opens_the_breaker_and_the_failures_are_counted(live_server, viewer, settings, dead_port):
    settings.JFROG_ML_URL = f"http://127.0.0.1:{dead_port}/ml/api"
    settings.JFROG_ML_BREAKER_THRESHOLD = 2
    settings.JFROG_ML_BREAKER_RESET = 60
    settings.POND_PAGE_CACHE_TTL = 0
    session = log_in_over_http(live_server.url, viewer)
    before = scrape(live_server.url)
    assert before.value("pond_upstream_breaker_state", state="closed") == 1

    for _ in range(3):
        # A clear page saying JFrog ML cannot be reached (nothing cached to fall back on).
        assert session.get(f"{live_server.url}/deployments/", timeout=30).status_code == 503

    after = scrape(live_server.url)
    assert after.value("pond_upstream_breaker_state", state="open") == 1
    assert after.value("pond_upstream_breaker_state", state="closed") == 0
    assert after.value("pond_upstream_breaker_opened_total") - before.value("pond_upstream_breaker_opened_total") >= 1
    refused = after.value("pond_upstream_requests_total", operation="GET /v1/deployments", result="ConnectionError")
    assert refused - before.value("pond_upstream_requests_total", operation="GET /v1/deployments", result="ConnectionError") == 2
    # Nothing was cached to fall back on: every read was a miss.
    assert after.value("pond_cache_lookups_total", resource="deployments", result="miss") > before.value(
        "pond_cache_lookups_total", resource="deployments", result="miss"
    )
