"""Redis stopped under load: a private redis-server is Pond's cache (and, for the
poller, its Celery broker), and is killed with SIGKILL mid-drill.

Pages keep answering (uncached, never a 5xx, within budget) while it is down; the
poller resumes once it is back.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.utils import timezone

from tests.faults.conftest import PAGES, PASSWORD
from tests.faults.load import run_load, summary
from tests.faults.pond_server import drill_env, pond_server
from tests.faults.private_redis import private_redis
from tests.support.faultserver import FaultServer, json_response
from tests.support.worker import celery_worker, eventually, worker_env
from webui.status.models import PollerHealth

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.redis]

PAGE_BUDGET = 4.0


def test_pages_never_fail_while_redis_is_killed_under_load_and_come_back_with_it(upstream, bob, tmp_path):
    with private_redis(tmp_path) as redis_server:
        env = drill_env(
            upstream=upstream.url,
            tmp_path=tmp_path,
            ttl=5.0,
            extra={"REDIS_URL": redis_server.url, "POND_REDIS_TIMEOUT": "0.2"},
        )
        with pond_server(env=env, tmp_path=tmp_path) as pond:
            session = pond.login("bob", PASSWORD)
            for url in PAGES:
                assert session.get(pond.url + url, timeout=10).status_code == 200, url
            killer = threading.Timer(1.0, redis_server.kill)
            killer.start()
            answers = run_load(session, pond.url, PAGES, seconds=4.0, threads=4)
            killer.join()
            killed_at = answers[0].at + 1.0
            during = [a for a in answers if a.at > killed_at + 0.1]
            assert during, summary(answers)
            bad = [a for a in answers if a.status != 200 or a.seconds > PAGE_BUDGET]
            assert not bad, f"{summary(answers)}; first bad: {bad[:3]}\n{pond.log()[-2000:]}"
            # Logged-in sessions live in the database, not Redis: nobody was logged out.
            assert session.get(pond.url + "/models/", timeout=10, allow_redirects=False).status_code == 200

            redis_server.start()  # same port
            answers = run_load(session, pond.url, PAGES, seconds=1.5, threads=2)
            assert all(a.status == 200 for a in answers), summary(answers)


@pytest.mark.celery
def test_the_poller_resumes_when_its_redis_broker_and_cache_come_back(bob, tmp_path, settings):
    deployments = {"deployments": [{"id": "dep_1", "name": "d1", "model_id": "mdl_1", "model_version_id": "ver_1",
                                    "status": "active"}]}  # fmt: skip
    with FaultServer() as upstream, private_redis(tmp_path) as redis_server:
        upstream.on("GET", "/v1/deployments", json_response(deployments))
        env = worker_env(upstream_url=upstream.url, redis_url=redis_server.url, cache_prefix="drill", poll_interval=1.0)
        with celery_worker(env=env, tmp_path=tmp_path) as worker:
            eventually(
                lambda: PollerHealth.objects.filter(last_success_at__isnull=False).exists() or not worker.alive(),
                timeout=60,
                message="the first poll",
            )
            assert worker.alive(), worker.log_tail()
            redis_server.kill()
            time.sleep(3.0)
            redis_server.start()
            back_at = timezone.now()
            polls_before = upstream.count("GET", "/v1/deployments")
            eventually(
                lambda: PollerHealth.objects.get(pk=1).last_success_at > back_at,
                timeout=30,
                message="a successful poll after Redis came back\n" + worker.log_tail(),
            )
            assert upstream.count("GET", "/v1/deployments") > polls_before
            assert worker.alive(), worker.log_tail()
