"""The read-through cache: TTLs, stale-if-error with age, single-flight, namespaces."""

from __future__ import annotations

import threading
import time

import pytest

from tests.support.faultserver import (
    FaultServer,
    drop_mid_body,
    hang,
    json_response,
    slow,
    status,
    text,
)
from webui.jfrogml import cache, services
from webui.jfrogml.errors import Unavailable

GOOD = {"deployments": [{"id": "dep_1", "name": "prod", "status": "active", "model_id": "mdl_1"}]}
NEWER = {"deployments": [{"id": "dep_2", "name": "canary", "status": "deploying", "model_id": "mdl_1"}]}


@pytest.fixture
def short_ttl(settings):
    settings.JFROG_ML_TTL_DEPLOYMENTS = 0.2
    settings.JFROG_ML_READ_TIMEOUT = 0.3
    settings.JFROG_ML_RETRIES = 0
    return settings


def _ids(result) -> list[str]:
    return [row.deployment.id for row in result.rows]


def test_it_answers_from_the_cache_within_the_ttl(fault, short_ttl):
    short_ttl.JFROG_ML_TTL_DEPLOYMENTS = 30
    fault.on("GET", "/v1/deployments", json_response(GOOD))
    first = services.deployment_list()
    second = services.deployment_list()
    assert _ids(first) == _ids(second) == ["dep_1"]
    assert fault.count("GET", "/v1/deployments") == 1
    assert second.freshness.stale is False and second.freshness.age_seconds >= 0


def test_it_refetches_after_the_ttl(fault, short_ttl, later):
    fault.on("GET", "/v1/deployments", json_response(GOOD))
    services.deployment_list()
    later(0.25)
    fault.on("GET", "/v1/deployments", json_response(NEWER))
    assert _ids(services.deployment_list()) == ["dep_2"]
    assert fault.count("GET", "/v1/deployments") == 2


@pytest.mark.parametrize(
    "failure",
    [
        status(500),
        hang,
        drop_mid_body,
        text("{oops", content_type="application/json"),
        json_response({"deployments": {"not": "a list"}}),
        json_response([1, 2, 3]),
    ],
    ids=["500", "timeout", "truncated-body", "invalid-json", "spec-violating-200", "list-not-object"],
)
def test_it_serves_the_last_good_value_with_its_age_when_upstream_fails(fault, short_ttl, failure, later):
    fault.on("GET", "/v1/deployments", json_response(GOOD))
    services.deployment_list()
    later(0.3)
    fault.on("GET", "/v1/deployments", failure)
    result = services.deployment_list()
    assert _ids(result) == ["dep_1"]
    assert result.freshness.stale is True
    assert result.freshness.age_seconds >= 0.3
    assert result.freshness.error
    # The failure did not overwrite the last good value: it is still there, as fetched.
    kept = cache.peek("deployments")
    assert [d.id for d in kept.value] == ["dep_1"]
    assert kept.freshness.age_seconds >= 0.3


def test_it_raises_unavailable_when_upstream_fails_and_nothing_is_cached(fault, short_ttl):
    fault.on("GET", "/v1/deployments", status(503))
    with pytest.raises(Unavailable):
        services.deployment_list()


def test_it_serves_fresh_data_again_once_upstream_recovers(fault, short_ttl, later):
    fault.on("GET", "/v1/deployments", json_response(GOOD))
    services.deployment_list()
    later(0.25)
    fault.on("GET", "/v1/deployments", status(503), times=1)
    assert services.deployment_list().freshness.stale is True
    fault.on("GET", "/v1/deployments", json_response(NEWER))
    result = services.deployment_list()
    assert _ids(result) == ["dep_2"] and result.freshness.stale is False


def _burst(n: int, call) -> list:
    results: list = []
    barrier = threading.Barrier(n)

    def run() -> None:
        barrier.wait()
        try:
            results.append(call())
        except Exception as exc:  # collected for the assertions
            results.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_a_burst_of_concurrent_misses_makes_one_upstream_call_on_the_file_cache(fault, short_ttl):
    short_ttl.JFROG_ML_READ_TIMEOUT = 1.0
    fault.on("GET", "/v1/deployments", slow(0.3, json_response(GOOD)))
    results = _burst(8, services.deployment_list)
    assert all(_ids(r) == ["dep_1"] for r in results), results
    assert fault.count("GET", "/v1/deployments") == 1


@pytest.mark.redis
def test_a_burst_of_concurrent_misses_makes_one_upstream_call_on_redis(fault, short_ttl, redis_cache, redis_url):
    import redis

    short_ttl.JFROG_ML_READ_TIMEOUT = 1.0
    fault.on("GET", "/v1/deployments", slow(0.3, json_response(GOOD)))
    results = _burst(8, services.deployment_list)
    assert all(_ids(r) == ["dep_1"] for r in results), results
    assert fault.count("GET", "/v1/deployments") == 1
    # The entry really lives in Redis, under this test's own prefix.
    keys = redis.Redis.from_url(redis_url).keys(f"{redis_cache}:*deployments*")
    assert keys


@pytest.mark.redis
def test_it_serves_stale_from_redis_when_upstream_fails(fault, short_ttl, redis_cache, later):
    fault.on("GET", "/v1/deployments", json_response(GOOD))
    services.deployment_list()
    later(0.25)
    fault.on("GET", "/v1/deployments", status(502))
    result = services.deployment_list()
    assert _ids(result) == ["dep_1"] and result.freshness.stale is True


def test_waiters_take_the_fillers_failure_instead_of_repeating_the_call(fault, short_ttl):
    fault.on("GET", "/v1/deployments", hang)
    results = _burst(6, services.deployment_list)
    assert all(isinstance(r, Unavailable) for r in results), results
    assert fault.count("GET", "/v1/deployments") == 1


def test_two_upstreams_never_share_cached_data(fault, short_ttl, settings):
    short_ttl.JFROG_ML_TTL_DEPLOYMENTS = 30
    fault.on("GET", "/v1/deployments", json_response(GOOD))
    assert _ids(services.deployment_list()) == ["dep_1"]
    with FaultServer() as other:
        other.on("GET", "/v1/deployments", json_response(NEWER))
        settings.JFROG_ML_URL = other.url
        assert _ids(services.deployment_list()) == ["dep_2"]
        settings.JFROG_ML_URL = fault.url
        assert _ids(services.deployment_list()) == ["dep_1"]
    assert fault.count("GET", "/v1/deployments") == 1


def test_the_pollers_refresh_writes_the_entry_pages_read(fault, short_ttl):
    short_ttl.JFROG_ML_TTL_DEPLOYMENTS = 30
    fault.on("GET", "/v1/deployments", json_response(GOOD))
    services.deployment_list()
    fault.on("GET", "/v1/deployments", json_response(NEWER))
    refreshed = services.deployments_refresh()
    assert [d.id for d in refreshed] == ["dep_2"]
    assert _ids(services.deployment_list()) == ["dep_2"]
    assert fault.count("GET", "/v1/deployments") == 2


def test_the_list_of_every_experiment_is_answered_at_once_while_it_refreshes_behind(fault, settings, later):
    settings.JFROG_ML_TTL_EXPERIMENTS = 1.0
    settings.JFROG_ML_REVALIDATE_EXPERIMENTS = 60
    fault.on("GET", "/v1/experiments", json_response({"experiments": [{"id": "exp_1", "status": "running"}]}))
    services.experiment_list()
    later(1.1)
    fault.on("GET", "/v1/experiments", slow(0.5, json_response({"experiments": [{"id": "exp_2", "status": "running"}]})))
    started = time.monotonic()
    answered = services.experiment_list()
    assert time.monotonic() - started < 0.4  # did not wait for the slow upstream
    assert [e.id for e in answered.experiments] == ["exp_1"]
    assert answered.freshness.age_seconds >= 1.0
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and [e.id for e in services.experiment_list().experiments] != ["exp_2"]:
        time.sleep(0.1)
    assert [e.id for e in services.experiment_list().experiments] == ["exp_2"]
    assert fault.count("GET", "/v1/experiments") == 2  # one background refetch, not one per call


def test_a_revalidated_list_is_marked_stale_once_its_background_refresh_fails(fault, settings, later):
    settings.JFROG_ML_TTL_EXPERIMENTS = 0.2
    settings.JFROG_ML_REVALIDATE_EXPERIMENTS = 60
    fault.on("GET", "/v1/experiments", json_response({"experiments": [{"id": "exp_1", "status": "running"}]}))
    services.experiment_list()
    later(0.3)
    fault.on("GET", "/v1/experiments", status(503))
    services.experiment_list()  # answered at once; the refresh behind it fails
    deadline = time.monotonic() + 5
    page = services.experiment_list()
    while not page.freshness.stale and time.monotonic() < deadline:
        time.sleep(0.1)
        page = services.experiment_list()
    assert page.freshness.stale is True and "503" in page.freshness.error
    assert [e.id for e in page.experiments] == ["exp_1"]
