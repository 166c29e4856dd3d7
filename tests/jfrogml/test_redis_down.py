"""With Redis pointed at a dead port, the service layer still answers (uncached)."""

from __future__ import annotations

import time

import pytest

from webui.jfrogml import catalog, services
from webui.jfrogml.locks import lock


@pytest.fixture
def dead_redis(settings, dead_port, upstream_url):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{dead_port}/0",
            "KEY_PREFIX": "pond-dead",
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.2,
                "SOCKET_TIMEOUT": 0.2,
            },
        }
    }
    return settings


def test_reads_and_writes_still_work_with_redis_down(dead_redis):
    started = time.monotonic()
    model = services.model_create(name="no-redis", framework="sklearn")
    version = services.version_create(model_id=model.id, version="1")
    services.experiment_create(name="run", model_id=model.id)
    services.deployment_create(name="no-redis-prod", model_id=model.id, model_version_id=version.id)

    assert [r.model.name for r in services.model_list(q="redis").rows] == ["no-redis"]
    page = services.model_overview(model_id=model.id)
    assert [v.version for v in page.versions] == ["1"] and len(page.deployments) == 1
    assert services.version_detail(model_id=model.id, version_id=version.id).version.id == version.id
    assert services.overview().model_count == 1
    assert len(services.deployment_list().rows) == 1
    assert len(services.experiment_list().experiments) == 1
    assert [d.name for d in services.deployments_refresh()] == ["no-redis-prod"]
    catalog.catalog_refresh()
    assert time.monotonic() - started < 30


def test_the_poller_lock_still_excludes_with_redis_down(dead_redis):
    with lock("deployment-poll", timeout=1) as first:
        assert first
        with lock("deployment-poll", timeout=1) as second:
            assert not second
