"""A Celery worker killed with SIGKILL mid-poll, then the whole worker restarted:
while it is down the status page says "unknown" after three intervals; once it is
back the status is fresh again within two poll intervals, and no event is lost or
written twice. Two beats running at once never double-poll.

Real workers (with embedded beat) on the real Redis, against a real upstream that
answers slowly enough for the kill to land inside a poll.
"""

from __future__ import annotations

import os
import re
import signal
import time
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from tests.support.faultserver import FaultServer, json_response, slow
from tests.support.worker import celery_worker, eventually, worker_env
from webui.status.models import DeploymentEvent, DeploymentState, PollerHealth

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.redis, pytest.mark.celery]

INTERVAL = 1.0
POLL_SECONDS = 1.5  # how long the upstream takes to answer the deployment list
STARTUP = 30.0  # a worker's start on a busy 2-core machine


def _deployments(*statuses: str) -> dict:
    return {"deployments": [{"id": f"dep_{i}", "name": f"d{i}", "model_id": "mdl_1", "model_version_id": "ver_1",
                             "status": s} for i, s in enumerate(statuses)]}  # fmt: skip


@pytest.fixture
def upstream():
    with FaultServer() as server:
        server.on("GET", "/v1/deployments", slow(POLL_SECONDS, json_response(_deployments("active", "active", "failed"))))
        yield server


def _env(upstream, redis_url, redis_cache) -> dict[str, str]:
    return worker_env(upstream_url=upstream.url, redis_url=redis_url, cache_prefix=redis_cache, poll_interval=INTERVAL)


def test_a_worker_killed_mid_poll_and_restarted_is_fresh_within_two_intervals_and_loses_nothing(
    upstream, redis_url, redis_cache, tmp_path, client, bob, settings
):
    settings.POND_POLL_INTERVAL = INTERVAL  # this process reads the status the worker publishes
    env = _env(upstream, redis_url, redis_cache)
    with celery_worker(env=env, tmp_path=tmp_path / "first") as first:
        # Let one poll complete (the appearance events), then kill inside the next one.
        eventually(lambda: PollerHealth.objects.filter(last_success_at__isnull=False).exists() or not first.alive(),
                   timeout=STARTUP + 10, message="the first poll")  # fmt: skip
        assert first.alive(), first.log_tail()
        asked = upstream.count("GET", "/v1/deployments")
        eventually(lambda: upstream.count("GET", "/v1/deployments") > asked, timeout=10, message="the next poll")
        time.sleep(POLL_SECONDS / 3)  # the upstream is now answering slowly: mid-poll
        os.killpg(first.process.pid, signal.SIGKILL)
        first.process.wait(timeout=5)
    killed_at = timezone.now()
    events_before = list(DeploymentEvent.objects.values_list("deployment_id", "sequence", "to_status"))
    assert sorted(e[0] for e in events_before) == ["dep_0", "dep_1", "dep_2"]

    # The poller is stopped: while the last poll is recent the page shows its statuses;
    # after three intervals it says the status is unknown rather than showing old
    # statuses as current.
    client.force_login(bob)
    last = PollerHealth.objects.get(pk=1).last_success_at
    wait = last.timestamp() + 3 * INTERVAL + 0.5 - time.time()
    time.sleep(max(0.0, wait))
    page = client.get("/status/").content.decode()
    assert "Status unknown" in page and "last checked at" in page, page[-3000:]
    assert 'data-status="active"' not in page and 'data-status="unknown"' in page
    assert client.get("/status.json").json()["stale"] is True

    # The upstream changes while nobody is polling: one deployment recovers.
    upstream.reset()
    upstream.on("GET", "/v1/deployments", slow(POLL_SECONDS, json_response(_deployments("active", "active", "active"))))
    with celery_worker(env=env, tmp_path=tmp_path / "second") as second:
        eventually(
            lambda: PollerHealth.objects.get(pk=1).last_success_at > killed_at or not second.alive(),
            timeout=STARTUP + 2 * INTERVAL + POLL_SECONDS,
            message="a poll by the restarted worker\n" + second.log_tail(),
        )
        assert second.alive(), second.log_tail()
        ready = _ready_at(second)
        fresh = PollerHealth.objects.get(pk=1).last_success_at
        # Fresh within two intervals (plus the slow upstream's own answer) of the worker being up.
        assert (fresh - ready).total_seconds() <= 2 * INTERVAL + POLL_SECONDS + 1.0, (fresh, ready, second.log_tail())
        eventually(lambda: DeploymentState.objects.get(deployment_id="dep_2").status == "active", timeout=10)
        # The published document says fresh while the restarted poller keeps polling (one
        # reading could land in a gap the slow upstream stretches on a loaded machine).
        eventually(lambda: client.get("/status.json").json()["stale"] is False, timeout=3 * INTERVAL + POLL_SECONDS,
                   message="status.json still stale after the restart")  # fmt: skip

    events = list(DeploymentEvent.objects.order_by("deployment_id", "sequence").values_list("deployment_id", "sequence", "to_status"))
    # Nothing lost, nothing twice: the appearances, then exactly one recovery of dep_2.
    assert events == sorted(events_before + [("dep_2", 2, "active")]), events
    assert len(set((e[0], e[1]) for e in events)) == len(events)


def _ready_at(worker) -> datetime:
    """When the worker logged "ready" (Celery logs local time; this machine's is UTC)."""
    for line in worker.log_path.read_text(errors="replace").splitlines():
        match = re.match(r"\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): \w+/MainProcess\] \S+ ready\.", line)
        if match:
            local = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f").astimezone()
            return local.astimezone(UTC)
    raise AssertionError("the worker never logged that it was ready:\n" + worker.log_tail())


def test_two_workers_with_beats_never_double_poll(upstream, redis_url, redis_cache, tmp_path):
    upstream.reset()
    upstream.on("GET", "/v1/deployments", slow(0.3, json_response(_deployments("active"))))
    env = _env(upstream, redis_url, redis_cache)
    with celery_worker(env=env, tmp_path=tmp_path / "a") as a, celery_worker(env=env, tmp_path=tmp_path / "b") as b:
        eventually(lambda: PollerHealth.objects.filter(last_success_at__isnull=False).exists(), timeout=STARTUP + 10,
                   message=a.log_tail() + b.log_tail())  # fmt: skip
        time.sleep(2.0)  # both beats are ticking by now
        window_start = time.monotonic()
        before = [r.at for r in upstream.requests if r.path == "/v1/deployments"]
        time.sleep(5.0)
        assert a.alive() and b.alive(), a.log_tail() + b.log_tail()
    polls = [r.at for r in upstream.requests if r.path == "/v1/deployments" and r.at >= window_start]
    assert len(before) >= 1
    assert len(polls) >= 2, "nobody polled"
    # A poll is due an interval after the last one started, less half a beat tick of
    # slack (webui.status.poller._due); two beats polling would show gaps near zero.
    gaps = [b_ - a_ for a_, b_ in zip(polls, polls[1:], strict=False)]
    assert all(g > INTERVAL / 2 - 0.1 for g in gaps), gaps
