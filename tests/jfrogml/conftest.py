"""Fixtures for the service layer's tests.

Every test gets a cache (the shared file cache, in a directory of its own) and a
lock directory of its own, short upstream timeouts, and fresh call counters, so
that tests neither see each other's cached data nor wait long on a broken upstream.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.support.faultserver import FaultServer
from tests.support.isolation import forget_catalog_memo, own_file_cache
from webui.jfrogml.client import reset_upstream_calls


@pytest.fixture(autouse=True)
def _isolated_service_layer(settings, tmp_path) -> Iterator[None]:
    own_file_cache(settings, tmp_path)
    settings.POND_LOCK_DIR = tmp_path / "locks"
    settings.JFROG_ML_CONNECT_TIMEOUT = 1.0
    # The live registry shares two loaded cores with other test runs (and hashes
    # passwords for basic auth): give it time. Fault drills shorten this.
    settings.JFROG_ML_READ_TIMEOUT = 5.0
    settings.JFROG_ML_RETRIES = 2
    settings.JFROG_ML_BACKOFF = 0.05
    # High enough that only the breaker's own tests trip it.
    settings.JFROG_ML_BREAKER_THRESHOLD = 1000
    settings.JFROG_ML_BREAKER_RESET = 1.0
    forget_catalog_memo()
    reset_upstream_calls()
    yield
    forget_catalog_memo()


@pytest.fixture
def fault(settings) -> Iterator[FaultServer]:
    """A misbehaving upstream; JFROG_ML_URL points at it."""
    with FaultServer() as server:
        settings.JFROG_ML_URL = server.url
        settings.JFROG_ML_TOKEN = "fault-token"
        settings.JFROG_ML_CONNECT_TIMEOUT = 0.5
        settings.JFROG_ML_READ_TIMEOUT = 1.0
        yield server


@pytest.fixture
def later(monkeypatch) -> Callable[[float], None]:
    """`later(0.3)`: the service layer's clock moves 0.3 s on (webui.jfrogml.clock), no sleeping.

    Only its own reading of time moves: what the data cache stored and when an entry
    is due, when the breaker's window ends; locks, cache expiry and HTTP timeouts keep
    real time."""
    from webui.jfrogml import clock

    offset = [0.0]
    real = clock.now
    monkeypatch.setattr(clock, "now", lambda: real() + offset[0])

    def advance(seconds: float) -> None:
        offset[0] += seconds

    return advance
