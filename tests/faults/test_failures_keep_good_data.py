"""A failing upstream never overwrites the last good data, seen through the pages.

For every failure kind (500, timeout, a body cut off midway, invalid JSON, a 200
whose JSON violates the spec) the pages keep showing the last good data, marked
stale with its age, however often they are reloaded during the failure; once the
upstream recovers they show its new data, fresh.
(tests/jfrogml/test_cache.py proves the same for the cache API itself.)
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.dashboard.fake_upstream import serve_world, simple_world
from tests.support.faultserver import FaultServer, drop_mid_body, hang, json_response, status, text
from tests.support.isolation import forget_catalog_memo

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = ["/models/mdl_1/", "/models/mdl_1/versions/ver_2/", "/deployments/", "/deployments/dep_1/", "/experiments/exp_1/"]
FAILURES = {
    "500": status(500),
    "timeout": hang,
    "truncated": drop_mid_body,
    "invalid-json": text('{"models": [', content_type="application/json"),
    "json-array": text("[1, 2]", content_type="application/json"),
    "wrong-types": json_response({"models": "nope", "versions": 7, "experiments": {"a": 1}, "deployments": "x",
                                  "id": 5, "name": ["x"], "status": {"s": 1}, "metrics": "high"}),  # fmt: skip
    "html-200": text("<html><body>Sign in to your proxy</body></html>", content_type="text/html"),
}


@pytest.fixture
def upstream(settings, tmp_path):
    settings.CACHES = {
        "default": {"BACKEND": "webui.core.filecache.FileCache", "LOCATION": str(tmp_path / "c")}
    }
    settings.POND_LOCK_DIR = tmp_path / "locks"
    settings.JFROG_ML_READ_TIMEOUT = 0.3
    settings.JFROG_ML_CONNECT_TIMEOUT = 0.3
    settings.JFROG_ML_RETRIES = 0
    settings.JFROG_ML_BREAKER_THRESHOLD = 1000  # this drill is about the cache, not the breaker
    forget_catalog_memo()
    with FaultServer() as server:
        settings.JFROG_ML_URL = server.url
        yield server
    forget_catalog_memo()


@pytest.mark.parametrize("failure", list(FAILURES))
def test_a_failing_upstream_never_overwrites_the_last_good_data_on_any_page(bob, upstream, settings, failure):
    client = Client()
    client.force_login(bob)
    serve_world(upstream, **simple_world(name="good-model", endpoint="https://good.example/predict"))
    # Every value is due for refetch as soon as it is read, so each view below asks the
    # upstream (a rendered page is never kept past the moment its data is due).
    for name in ("DEPLOYMENTS", "DEPLOYMENT", "MODEL", "VERSIONS", "EXPERIMENTS", "EXPERIMENT"):
        setattr(settings, f"JFROG_ML_TTL_{name}", 0.0)
    for url in PAGES:
        body = client.get(url).content.decode()
        assert 'data-testid="stale-banner"' not in body, url

    upstream.on(None, None, FAILURES[failure])
    calls_before = len(upstream.requests)
    for _ in range(2):  # a second round would show anything the first one overwrote
        for url in PAGES:
            resp = client.get(url)
            body = resp.content.decode()
            assert resp.status_code == 200, (url, resp.status_code)
            assert 'data-testid="stale-banner"' in body and 'class="freshness stale"' in body, url
            assert "good-model" in body or "good.example" in body or url.startswith("/experiments/"), url
    assert len(upstream.requests) > calls_before, "the pages never asked the failing upstream"
    assert "good-model" in client.get("/models/mdl_1/").content.decode()

    upstream.reset()
    serve_world(upstream, **simple_world(name="new-model", endpoint="https://new.example/predict"))
    body = client.get("/models/mdl_1/").content.decode()
    assert "new-model" in body and 'data-testid="stale-banner"' not in body
