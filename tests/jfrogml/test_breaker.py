"""The circuit breaker: opens after repeated failures, fails fast, admits one trial."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.support.faultserver import json_response, slow, status
from webui.jfrogml import errors
from webui.jfrogml.client import get_client

REPO = Path(__file__).resolve().parents[2]
EMPTY = {"deployments": []}


@pytest.fixture
def breaker_settings(settings):
    settings.JFROG_ML_BREAKER_THRESHOLD = 3
    settings.JFROG_ML_BREAKER_RESET = 30  # tests move the clock past it (`later`)
    settings.JFROG_ML_RETRIES = 0
    return settings


def _fail_times(n: int) -> None:
    for _ in range(n):
        with pytest.raises(errors.Unavailable):
            get_client().list_deployments()


def test_it_opens_after_the_threshold_and_then_fails_fast_without_calling(fault, breaker_settings):
    fault.on("GET", "/v1/deployments", status(503))
    _fail_times(3)
    assert fault.count() == 3
    started = time.monotonic()
    with pytest.raises(errors.Unavailable, match="circuit open"):
        get_client().list_deployments()
    assert time.monotonic() - started < 0.1
    assert fault.count() == 3


def test_it_counts_only_consecutive_failures(fault, breaker_settings):
    fault.on("GET", "/v1/deployments", status(503))
    _fail_times(2)
    fault.on("GET", "/v1/deployments", json_response(EMPTY), times=1)
    get_client().list_deployments()
    _fail_times(2)
    assert fault.count() == 5  # still closed: the success reset the count


def test_it_is_never_tripped_by_not_found_or_validation_errors(fault, breaker_settings):
    fault.on("GET", "/v1/models/m", status(404, {"error": {"code": "not_found", "message": "no"}}))
    fault.on("POST", "/v1/models", status(400, {"error": {"code": "invalid", "message": "bad"}}))
    for _ in range(4):
        with pytest.raises(errors.NotFound):
            get_client().get_model("m")
        with pytest.raises(errors.ValidationFailed):
            get_client().create_model(name="x")
    assert fault.count() == 8


def test_it_lets_exactly_one_trial_call_through_after_the_reset_window(fault, breaker_settings, later):
    fault.on("GET", "/v1/deployments", status(503))
    _fail_times(3)
    later(31)  # past the reset window
    # The upstream has recovered but is slow: while the trial runs, others fail fast.
    fault.on("GET", "/v1/deployments", slow(0.4, json_response(EMPTY)))
    outcomes: list[str] = []

    def call() -> None:
        try:
            get_client().list_deployments()
            outcomes.append("ok")
        except errors.Unavailable as exc:
            outcomes.append("half-open" if "half-open" in exc.message else exc.message)

    threads = [threading.Thread(target=call) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["half-open"] * 5 + ["ok"]
    assert fault.count() == 4
    # The trial succeeded: the circuit is closed again.
    get_client().list_deployments()
    assert fault.count() == 5


def test_a_failed_trial_opens_the_circuit_for_another_window(fault, breaker_settings, later):
    fault.on("GET", "/v1/deployments", status(503))
    _fail_times(3)
    later(31)  # past the reset window
    _fail_times(1)  # the trial, which fails
    assert fault.count() == 4
    with pytest.raises(errors.Unavailable, match="circuit open"):
        get_client().list_deployments()
    assert fault.count() == 4


@pytest.mark.redis
def test_its_state_is_shared_with_another_process_through_redis(fault, breaker_settings, redis_cache, redis_url, tmp_path):
    breaker_settings.JFROG_ML_BREAKER_RESET = 30
    fault.on("GET", "/v1/deployments", status(503))
    _fail_times(3)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "webui.settings",
        "REDIS_URL": redis_url,
        "POND_CACHE_PREFIX": redis_cache,
        "PYTEST_XDIST_WORKER": "",
        "POND_VAR_DIR": str(tmp_path / "other"),
        "JFROG_ML_URL": fault.url,
        "JFROG_ML_TOKEN": "other-process",
        "JFROG_ML_BREAKER_THRESHOLD": "3",
        "JFROG_ML_BREAKER_RESET": "30",
    }
    script = (
        "import django; django.setup()\n"
        "from webui.jfrogml.client import get_client\n"
        "from webui.jfrogml import errors\n"
        "try:\n"
        "    get_client().list_deployments(); print('CALLED')\n"
        "except errors.Unavailable as exc:\n"
        "    print('UNAVAILABLE', exc.message)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert "UNAVAILABLE" in done.stdout and "circuit open" in done.stdout, done.stdout + done.stderr
    assert fault.count() == 3  # the other process never called the upstream


class _PausingStore:
    """The breaker's store, seen by one caller that stops right after reading the window."""

    def __init__(self, store, key_part: str) -> None:
        self._store, self._key_part = store, key_part
        self.read, self.go = threading.Event(), threading.Event()

    def get(self, key, *args, **kwargs):
        value = self._store.get(key, *args, **kwargs)
        if self._key_part in key:
            self.read.set()
            assert self.go.wait(5)
        return value

    def __getattr__(self, name):
        return getattr(self._store, name)


@pytest.mark.parametrize("cache", ["file", "redis"])
def test_a_caller_that_read_the_window_before_a_failed_trial_reopened_it_is_not_a_second_trial(
    cache, breaker_settings, request, tmp_path, later
):
    """Issue 19's drill saw 7 upstream calls in 4.5 windows. This is the interleaving:
    B reads the expired window; A takes the window's trial, fails and reopens the
    circuit; then B asks for a trial. With one trial key, deleted on A's failure, B
    became a second trial in the same window; B must be refused."""
    if cache == "redis":
        request.getfixturevalue("redis_cache")
    else:
        breaker_settings.CACHES = {
            "default": {"BACKEND": "webui.core.filecache.FileCache", "LOCATION": str(tmp_path / "c")}
        }
    from webui.jfrogml.breaker import Breaker

    a, b = Breaker("race"), Breaker("race")
    for _ in range(3):
        a.record_failure()
    assert a.is_open
    later(31)  # the window is over: the next caller is the trial
    b._store = pausing = _PausingStore(b._store, "breaker:opened")
    outcome: list[str] = []

    def caller_b() -> None:
        try:
            b.before_call()
            outcome.append("admitted")
        except errors.Unavailable as exc:
            outcome.append(exc.message)

    thread = threading.Thread(target=caller_b)
    thread.start()
    assert pausing.read.wait(5)  # B has read the expired window and stopped
    a.before_call()  # A is the window's trial...
    a.record_failure()  # ...and fails: a new window starts  # A's trial failed: a new window starts
    pausing.go.set()
    thread.join(5)
    assert outcome and "half-open" in outcome[0], outcome
