"""The web worker applying an approval is SIGKILLed while JFrog ML holds its second step;
once Pond is restarted, recovery (Celery beat) finishes the decision within a recovery
interval, every step applied exactly once upstream (counted at the proxy), and the
request, the ledger and JFrog ML agree.

Real processes: gunicorn serving the approval, a Celery worker with beat, the embedded
registry served by the test's live server, and a real proxy in front of it that holds
the candidate's step (tests/reviews/proxy.py).
"""

from __future__ import annotations

import os
import signal

import pytest
from django.contrib.auth.models import User

from tests.faults.decision_drill import (
    GRACE,
    INTERVAL,
    STARTUP,
    InBackground,
    churn_world,
    decide,
    decision_env,
    status_of,
)
from tests.faults.pond_server import pond_server
from tests.reviews.proxy import UpstreamProxy
from tests.support.people import PASSWORD, users_with_roles
from tests.support.worker import celery_worker, eventually
from webui.reviews.models import LedgerEntry, ReviewRequest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.celery]

# From the worker being ready to the decision finished: one grace period and one
# recovery interval, plus a loaded machine's scheduling slack.
RECOVERY_BOUND = GRACE + INTERVAL + 10.0


def _applied(model_id: str) -> list[tuple[str, str, str]]:
    return list(
        LedgerEntry.objects.filter(kind="apply", model_id=model_id)
        .order_by("id")
        .values_list("version_label", "to_status", "outcome")
    )


@pytest.mark.parametrize("took_effect", [True, False], ids=["held-after-the-change", "held-before-the-change"])
def test_a_web_worker_killed_mid_decision_is_finished_by_recovery_each_step_applied_once(
    took_effect, upstream_url, tmp_path
):
    _drill(upstream_url=upstream_url, tmp_path=tmp_path, took_effect=took_effect)


@pytest.mark.redis
def test_with_redis_locks_the_killed_workers_lease_runs_out_and_recovery_finishes(
    upstream_url, tmp_path, redis_url, redis_cache
):
    # The model's lock is a Redis key that nobody renews once its holder is dead.
    lease = 2.0
    extra = {"REDIS_URL": redis_url, "POND_CACHE_PREFIX": redis_cache, "POND_PROMOTION_LOCK_SECONDS": str(lease)}
    _drill(upstream_url=upstream_url, tmp_path=tmp_path, took_effect=True, extra=extra, slack=lease)


def _drill(*, upstream_url: str, tmp_path, took_effect: bool, extra: dict | None = None, slack: float = 0.0) -> None:
    users_with_roles({"eve": "engineer", "rita": "reviewer"})
    world = churn_world(upstream_url)
    model_id, v1, v2 = world["id"], world["v1"]["id"], world["v2"]["id"]
    review = ReviewRequest.objects.create(
        model_id=model_id, model_name="churn", version_id=v2, version_label="v2", from_status="staging",
        to_status="production", note="go", archive_current=True, requested_by=User.objects.get(username="eve"),
        requested_by_name="eve",
    )  # fmt: skip

    with UpstreamProxy(upstream_url) as proxy:
        # The second step (v2 → production) reaches JFrog ML, which holds its answer:
        # with the change made (`took_effect`) or before making it.
        held = proxy.hold("PATCH", f"/versions/{v2}$", forward=took_effect)
        env = decision_env(proxy_url=proxy.url, tmp_path=tmp_path, extra=extra)
        with pond_server(env=env, tmp_path=tmp_path) as pond:
            session = pond.login("rita", PASSWORD)
            approval = InBackground(decide, pond, session, review.pk)
            assert held.arrived.wait(STARTUP), pond.log()[-3000:]
            os.killpg(pond.process.pid, signal.SIGKILL)
            pond.process.wait(timeout=5)
        approval.join()
        assert approval.error is not None  # the reviewer's request died with the worker
        held.release.set()  # JFrog ML answers now, to nobody

        # Half-done: v1 archived, v2's step in flight, nothing else on the record.
        assert _applied(model_id) == [("v1", "archived", "upstream")]
        assert status_of(upstream_url, model_id, v1) == "archived"

        # Restart Pond: web and a worker with beat.
        with pond_server(env=env, tmp_path=tmp_path) as pond, celery_worker(
            env=env, tmp_path=tmp_path / "worker"
        ) as worker:
            eventually(lambda: " ready." in worker.log_tail(200) or not worker.alive(), timeout=STARTUP,
                       message=worker.log_tail)  # fmt: skip
            assert worker.alive(), worker.log_tail()

            def finished() -> bool:
                review.refresh_from_db()
                return review.state == "approved" and len(_applied(model_id)) == 2

            eventually(finished, timeout=RECOVERY_BOUND + slack, message=lambda: f"{review.state}\n{worker.log_tail()}")
            page = pond.login("rita", PASSWORD).get(f"{pond.url}/reviews/{review.pk}/", timeout=10).text
            assert 'data-testid="review-state">approved<' in page

    # The request, the ledger and JFrog ML agree ...
    assert review.outcome_message == "Applied: v1 → archived, v2 → production."
    assert _applied(model_id) == [("v1", "archived", "upstream"), ("v2", "production", "upstream")]
    assert status_of(upstream_url, model_id, v1) == "archived"
    assert status_of(upstream_url, model_id, v2) == "production"
    # ... and each step took effect upstream exactly once: where the held change had
    # been made, recovery saw it and sent nothing; where not, it sent it once.
    assert proxy.applied("PATCH", f"/versions/{v1}$") == 1
    assert proxy.applied("PATCH", f"/versions/{v2}$") == 1
    assert proxy.count("PATCH", f"/versions/{v2}$") == (1 if took_effect else 2)
    assert LedgerEntry.objects.filter(kind="approve").count() == 1
