"""Cross-process locks: Redis when the cache is django-redis, fcntl files otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from webui.jfrogml.locks import lock

REPO = Path(__file__).resolve().parents[2]


def test_a_file_lock_excludes_another_holder_until_released():
    with lock("poll", timeout=1) as first:
        assert first is True
        with lock("poll", timeout=1) as second:
            assert second is False
    with lock("poll", timeout=1) as again:
        assert again is True


def test_a_blocking_file_lock_waits_for_the_holder_and_gives_up_at_its_timeout():
    release = threading.Event()

    def hold() -> None:
        with lock("slow", timeout=5):
            release.wait(2)

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.05)
    started = time.monotonic()
    with lock("slow", timeout=0.2, blocking=True) as acquired:
        assert acquired is False
    assert 0.15 <= time.monotonic() - started < 1.0
    release.set()
    holder.join()
    with lock("slow", timeout=1, blocking=True) as acquired:
        assert acquired is True


def test_a_file_lock_excludes_another_process(settings, tmp_path):
    script = (
        "import django, sys; django.setup()\n"
        "from webui.jfrogml.locks import lock\n"
        "with lock('shared', timeout=1) as got:\n"
        "    print('GOT' if got else 'BUSY')\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "webui.settings", "POND_VAR_DIR": str(tmp_path / "other")}
    # The other process must use the same lock directory and key prefix as this one.
    env["POND_CACHE_PREFIX"] = ""
    env["PYTEST_XDIST_WORKER"] = ""
    settings.CACHES = {
        "default": {"BACKEND": "webui.core.filecache.FileCache", "LOCATION": str(tmp_path / "c"), "KEY_PREFIX": ""}
    }
    settings.POND_LOCK_DIR = tmp_path / "other" / "locks"
    with lock("shared", timeout=1) as held:
        assert held
        busy = subprocess.run([sys.executable, "-c", script], env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert busy.stdout.strip() == "BUSY", busy.stderr
    free = subprocess.run([sys.executable, "-c", script], env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert free.stdout.strip() == "GOT", free.stderr


@pytest.mark.redis
def test_a_redis_lock_excludes_another_holder_and_lives_under_the_cache_prefix(redis_cache, redis_url):
    import redis

    client = redis.Redis.from_url(redis_url)
    with lock("poll", timeout=5) as first:
        assert first is True
        assert client.keys(f"{redis_cache}:*lock:poll")
        with lock("poll", timeout=5) as second:
            assert second is False
    assert not client.keys(f"{redis_cache}:*lock:poll")
    with lock("poll", timeout=5) as again:
        assert again is True


@pytest.mark.redis
def test_a_redis_lock_expires_if_its_holder_never_releases_it(redis_cache):
    with lock("crashy", timeout=0.3) as first:
        assert first
        time.sleep(0.4)  # the holder "died" past its timeout
        with lock("crashy", timeout=1) as second:
            assert second is True


def test_with_redis_down_it_falls_back_to_a_file_lock(settings, dead_port, tmp_path):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{dead_port}/0",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    with lock("fallback", timeout=1) as first:
        assert first is True
        with lock("fallback", timeout=1) as second:
            assert second is False


@pytest.mark.redis
def test_a_renewed_redis_lock_outlives_its_timeout_while_its_holder_lives(redis_cache):
    with lock("long-poll", timeout=0.3, renew=True) as first:
        assert first
        time.sleep(0.8)  # well past the timeout: the keep-alive extended it
        with lock("long-poll", timeout=1) as second:
            assert second is False
    with lock("long-poll", timeout=1) as again:
        assert again is True
