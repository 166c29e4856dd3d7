"""A Celery worker SIGKILLed between a decision's commit and its webhook: once a worker
runs again, the receiver gets the message, and every copy it ever sees carries the one
delivery id (so it processes it exactly once).

Real processes: gunicorn takes the decision, Celery workers (with beat) deliver it on
the embedded filesystem broker of a shared var dir, and a real receiver holds the first
delivery so that the kill lands inside it.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import uuid

import pytest
from django.contrib.auth.models import User

from tests.faults.decision_drill import STARTUP, decide
from tests.faults.pond_server import drill_env, pond_server
from tests.support.faultserver import FaultServer, json_response
from tests.support.people import PASSWORD, users_with_roles
from tests.support.worker import celery_worker, eventually
from webui.reviews.models import ReviewRequest
from webui.status.webhooks import DELIVERY_HEADER

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.celery]

TIMEOUT = 2.0  # the webhook's timeout; a sender holds a delivery for 2 x this + 1 s
OUTBOX_INTERVAL = 1.0


class Receiver:
    """Holds the first delivery until the test is over; answers every later one, noting
    the delivery ids it acknowledged (what a deduplicating receiver would process)."""

    def __init__(self, server: FaultServer) -> None:
        self.acknowledged: list[str] = []
        self._first = threading.Event()
        self._lock = threading.Lock()
        ok = json_response({"ok": True})

        def behave(handler, fault) -> None:
            with self._lock:
                first = not self._first.is_set()
                self._first.set()
            if first:
                fault.stopping.wait(60)  # held: the sender is killed meanwhile
                handler.close_connection = True
                return
            with self._lock:
                self.acknowledged.append(handler.headers.get(DELIVERY_HEADER))
            ok(handler, fault)

        server.on("POST", "/hook", behave)


def _sweeps(worker) -> int:
    """Sweeps of the outbox the worker has finished."""
    lines = worker.log_path.read_text(errors="replace").splitlines()
    return sum(1 for line in lines if "webui.status.tasks.webhook_outbox_send[" in line and " succeeded " in line)


def test_a_worker_killed_mid_delivery_loses_nothing_and_every_copy_has_one_delivery_id(tmp_path):
    users_with_roles({"eve": "engineer", "rita": "reviewer"})
    review = ReviewRequest.objects.create(
        model_id="m-1", model_name="churn", version_id="v-2", version_label="v2", from_status="staging",
        to_status="production", note="go", requested_by=User.objects.get(username="eve"), requested_by_name="eve",
    )  # fmt: skip
    with FaultServer(prefix="") as hook:
        receiver = Receiver(hook)
        env = drill_env(
            upstream="http://127.0.0.1:9/ml/api",
            tmp_path=tmp_path,
            extra={
                "POND_REVIEW_WEBHOOKS": f"http://127.0.0.1:{hook.port}/hook",
                "POND_REVIEW_WEBHOOK_TIMEOUT": str(TIMEOUT),
                "POND_WEBHOOK_OUTBOX_INTERVAL": str(OUTBOX_INTERVAL),
                "POND_CELERY_QUEUE": f"pond-test-{uuid.uuid4().hex[:10]}",
                "POND_LOG_LEVEL": "INFO",
            },
        )
        with pond_server(env=env, tmp_path=tmp_path) as pond:
            with celery_worker(env=env, tmp_path=tmp_path / "first") as first:
                resp = decide(pond, pond.login("rita", PASSWORD), review.pk, decision="reject", comment="not yet")
                assert resp.status_code == 302, resp.text[:500]
                # The decision is committed; its delivery is in the worker's hands, held.
                eventually(lambda: hook.count("POST", "/hook") == 1, timeout=STARTUP, message=first.log_tail)
                os.killpg(first.process.pid, signal.SIGKILL)
                first.process.wait(timeout=5)
            assert receiver.acknowledged == []

            with celery_worker(env=env, tmp_path=tmp_path / "second") as second:
                eventually(lambda: receiver.acknowledged, timeout=STARTUP + 2 * TIMEOUT + 1 + OUTBOX_INTERVAL,
                           message=second.log_tail)  # fmt: skip
                # Nothing more comes: two more sweeps find the delivery done.
                sweeps = _sweeps(second)
                eventually(lambda: _sweeps(second) >= sweeps + 2, timeout=10 * OUTBOX_INTERVAL + 10,
                           message=second.log_tail)  # fmt: skip

    review.refresh_from_db()
    assert review.state == "rejected"
    ids = [r.headers.get(DELIVERY_HEADER) for r in hook.requests]
    # The held copy and the one sent after the restart: one delivery, one id, one acknowledgement.
    assert len(ids) == 2 and len(set(ids)) == 1 and ids[0], ids
    assert receiver.acknowledged == ids[:1]
    payload = json.loads(hook.requests[-1].body)
    assert payload["pond"]["kind"] == "reject"
    assert payload["text"].startswith("rita rejected churn v2")
