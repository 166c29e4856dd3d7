"""Decisions taken at the same moment on two web processes.

- Two reviewers approving one request: one decision, one plan, each step once upstream,
  even where the two processes do not share the per-model lock (their own var dirs:
  the database's claim decides alone).
- Two requests for one model approved at once: applied one after the other under the
  model's lock, the second on top of the first's result (it archives the version the
  first one promoted).

Real processes: two gunicorns, the embedded registry behind a real proxy.
"""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.models import User

from tests.faults.decision_drill import (
    STARTUP,
    InBackground,
    churn_world,
    decide,
    decision_env,
    form_token,
    status_of,
)
from tests.faults.pond_server import pond_server
from tests.reviews.proxy import UpstreamProxy
from tests.support.people import PASSWORD, users_with_roles
from webui.reviews.models import LedgerEntry, ReviewRequest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _request(world: dict, version: str) -> ReviewRequest:
    return ReviewRequest.objects.create(
        model_id=world["id"], model_name="churn", version_id=world[version]["id"], version_label=version,
        from_status="staging", to_status="production", note="go", archive_current=True,
        requested_by=User.objects.get(username="eve"), requested_by_name="eve",
    )  # fmt: skip


def test_two_reviewers_approving_one_request_on_two_processes_make_one_decision(upstream_url, tmp_path):
    users_with_roles({"eve": "engineer", "rita": "reviewer", "rex": "reviewer"})
    world = churn_world(upstream_url)
    review = _request(world, "v2")
    with UpstreamProxy(upstream_url) as proxy:
        one = decision_env(proxy_url=proxy.url, tmp_path=tmp_path / "one")
        two = decision_env(proxy_url=proxy.url, tmp_path=tmp_path / "two")
        with pond_server(env=one, tmp_path=tmp_path) as a, pond_server(env=two, tmp_path=tmp_path) as b:
            rita, rex = a.login("rita", PASSWORD), b.login("rex", PASSWORD)
            forms = form_token(a, rita, review.pk), form_token(b, rex, review.pk)
            # Both decisions' fresh reads of the model are let through together: both are
            # past every check and about to claim the request in the same instant.
            gate = proxy.gate("GET", f"/models/{world['id']}/versions$", 2, timeout=STARTUP)
            first = InBackground(decide, a, rita, review.pk, token=forms[0])
            second = InBackground(decide, b, rex, review.pk, token=forms[1])
            first.join(STARTUP), second.join(STARTUP)
        assert not gate.barrier.broken, "the two decisions did not meet"
    assert first.error is None and second.error is None, (first.error, second.error)
    codes = sorted([first.result.status_code, second.result.status_code])
    assert codes == [302, 409], codes
    loser = first.result if first.result.status_code == 409 else second.result
    assert "already been decided" in loser.text or "already been approved" in loser.text

    review.refresh_from_db()
    assert review.state == "approved"
    winner = "rita" if first.result.status_code == 302 else "rex"
    assert review.decided_by_name == winner
    # One decision, one set of steps, each applied once.
    assert list(LedgerEntry.objects.filter(kind="approve").values_list("actor", flat=True)) == [winner]
    applied = LedgerEntry.objects.filter(kind="apply").order_by("id").values_list("version_label", "to_status")
    assert list(applied) == [("v1", "archived"), ("v2", "production")]
    assert proxy.applied("PATCH", f"/versions/{world['v1']['id']}$") == 1
    assert proxy.applied("PATCH", f"/versions/{world['v2']['id']}$") == 1


def test_two_requests_for_one_model_on_two_processes_are_applied_one_after_the_other(upstream_url, tmp_path):
    users_with_roles({"eve": "engineer", "rita": "reviewer", "rex": "reviewer"})
    world = churn_world(upstream_url, candidates=2)
    for_v2, for_v3 = _request(world, "v2"), _request(world, "v3")
    with UpstreamProxy(upstream_url) as proxy:
        # The first decision to take the model's lock is held at its first step.
        held = proxy.hold("PATCH", "/versions/[^/]+$", forward=True)
        env = decision_env(proxy_url=proxy.url, tmp_path=tmp_path)  # one var dir: one lock
        with pond_server(env=env, tmp_path=tmp_path) as a, pond_server(env=env, tmp_path=tmp_path) as b:
            rita, rex = a.login("rita", PASSWORD), b.login("rex", PASSWORD)
            first = InBackground(decide, a, rita, for_v2.pk)
            assert held.arrived.wait(STARTUP), a.log()[-3000:]
            second = InBackground(decide, b, rex, for_v3.pk)
            # Give the second decision time to reach the lock (it calls JFrog ML only once
            # it holds it, so there is nothing to watch for); either way the result holds.
            time.sleep(1.0)
            held.release.set()
            first.join(STARTUP), second.join(STARTUP)
    assert first.error is None and second.error is None, (first.error, second.error)
    assert (first.result.status_code, second.result.status_code) == (302, 302)
    for_v2.refresh_from_db(), for_v3.refresh_from_db()
    assert (for_v2.state, for_v3.state) == ("approved", "approved")

    # The second saw the first's result: it archived v2, which the first had promoted.
    applied = LedgerEntry.objects.filter(kind="apply").order_by("id")
    assert [(e.request_id, e.version_label, e.from_status, e.to_status) for e in applied] == [
        (for_v2.pk, "v1", "production", "archived"),
        (for_v2.pk, "v2", "staging", "production"),
        (for_v3.pk, "v2", "production", "archived"),
        (for_v3.pk, "v3", "staging", "production"),
    ]
    statuses = {v: status_of(upstream_url, world["id"], world[v]["id"]) for v in ("v1", "v2", "v3")}
    assert statuses == {"v1": "archived", "v2": "archived", "v3": "production"}
