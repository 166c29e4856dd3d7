"""Fixtures shared by every area's tests.

Tests run real parts: the embedded registry is served over real HTTP by
pytest-django's live server, and Redis-backed tests talk to a real Redis.
A service that is missing skips its tests with a reason, except in CI
(CI=true), where a missing service is a failure.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
TEST_REDIS_URL = os.environ.get("POND_TEST_REDIS_URL", "redis://127.0.0.1:6379")


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip (or, in CI, fail) when a service the test needs is not answering."""
    if port_open(host, port):
        return
    message = f"{name} is not answering on {host}:{port}"
    if IN_CI:
        pytest.fail(f"{message}; CI must have it (.ci/run starts it)")
    pytest.skip(f"{message}; start it to run this test")


def xdist_index() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0


@pytest.fixture(autouse=True)
def _auth_attempts_are_not_shared_between_tests(settings) -> None:
    """The per-address sign-in limit counts in the shared cache per minute; every test
    client is 127.0.0.1, so a run's logins would add up across tests. Tests of the
    limit itself set their own."""
    settings.POND_AUTH_ATTEMPTS_PER_MINUTE = 100_000


@pytest.fixture
def upstream_url(live_server, settings) -> str:
    """The embedded registry, served over real HTTP; Pond's client points at it."""
    url = live_server.url + "/ml/api"
    settings.JFROG_ML_URL = url
    return url


@pytest.fixture
def redis_url() -> str:
    """A real Redis database of this xdist worker's own (1..15)."""
    parts = urlsplit(TEST_REDIS_URL)
    require_service("Redis", parts.hostname or "127.0.0.1", parts.port or 6379)
    return f"{TEST_REDIS_URL.rstrip('/')}/{1 + xdist_index() % 15}"


@pytest.fixture
def redis_cache(redis_url, settings) -> Iterator[str]:
    """Point Django's default cache at real Redis under a key prefix of this test's own.

    Yields the prefix; every key under it is deleted afterwards, so no test leaves
    keys behind.
    """
    import redis

    prefix = f"pondtest:{uuid.uuid4().hex[:12]}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": prefix,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()
    from django.core.cache import caches

    caches["default"].close()


@pytest.fixture
def dead_port() -> int:
    """A loopback port that nothing listens on (bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pytest_configure(config) -> None:
    # Live-server threads must not keep database sessions open past a test (with
    # CONN_MAX_AGE they would, and PostgreSQL then warns when dropping the test
    # database). The connection handler shares this dict, so every later
    # connection, in any thread, sees it.
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0


_SESSION_STARTED = time.time()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Print the URL x role access matrix that tests/security wrote during this run.

    Here, in the root conftest, so that the controller prints it under pytest-xdist
    and whichever directories were named; read back from its file, which a worker wrote.
    """
    path = Path(__file__).resolve().parent / "artifacts" / "access-matrix.txt"
    if not path.exists() or path.stat().st_mtime < _SESSION_STARTED:
        return
    terminalreporter.write_sep("-", "access matrix (tests/artifacts/access-matrix.txt)")
    terminalreporter.write(path.read_text())


def pytest_report_header(config) -> list[str]:
    db = settings.DATABASES["default"]
    return [f"pond: database {db['ENGINE'].rsplit('.', 1)[-1]}, CI={IN_CI}"]


# --- Debian's Chromium, one per test process -------------------------------------------
# Playwright's sync API runs an event loop in the test thread, and a second sync_playwright()
# in the same process refuses to start while the first is alive: every browser test shares
# this one (tests/browser and tests/status alike).

CHROMIUM = os.environ.get("POND_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    import shutil

    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        message = f"Chromium is not installed at {CHROMIUM}"
        if IN_CI:
            pytest.fail(f"{message}; CI must have it")
        pytest.skip(f"{message}; install Debian's chromium to run browser tests")
    # The ORM must be told that running beside Playwright's event loop is deliberate.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield launched
        launched.close()
