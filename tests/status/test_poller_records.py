"""Recording observations: events once each, confirmations, incidents, killed polls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings

from webui.status.models import GONE, DeploymentEvent, DeploymentState, Incident, ObservationWindow
from webui.status.poller import Observation, observe, record_observations, record_success

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 20, 12, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def obs(deployment_id: str, status: str) -> Observation:
    return Observation(
        deployment_id=deployment_id, status=status, name=deployment_id, model_id="m", version_id="v"
    )


def transitions(deployment_id: str) -> list[tuple[int, str, str]]:
    return list(
        DeploymentEvent.objects.filter(deployment_id=deployment_id)
        .order_by("sequence")
        .values_list("sequence", "from_status", "to_status")
    )


def test_a_new_deployment_is_an_appearance_event():
    record_observations([obs("d1", "deploying")], now=at(0))
    assert transitions("d1") == [(1, "", "deploying")]
    state = DeploymentState.objects.get(deployment_id="d1")
    assert (state.status, state.streak, state.confirmed_status) == ("deploying", 1, "")


def test_the_same_poll_applied_twice_writes_each_event_once():
    record_observations([obs("d1", "deploying"), obs("d2", "active")], now=at(0))
    record_observations([obs("d1", "active"), obs("d2", "active")], now=at(5))
    record_observations([obs("d1", "active"), obs("d2", "active")], now=at(5))
    assert transitions("d1") == [(1, "", "deploying"), (2, "deploying", "active")]
    assert transitions("d2") == [(1, "", "active")]


def test_a_poll_killed_between_deployments_loses_and_duplicates_nothing():
    record_observations([obs("d1", "active"), obs("d2", "active"), obs("d3", "active")], now=at(0))
    # The worker dies after committing d1's change, before reaching d2 and d3.
    observe(obs("d1", "failed"), now=at(5))
    # The retried task (or the next beat) polls again and sees the same upstream.
    record_observations([obs("d1", "failed"), obs("d2", "failed"), obs("d3", "active")], now=at(6))
    assert transitions("d1") == [(1, "", "active"), (2, "active", "failed")]
    assert transitions("d2") == [(1, "", "active"), (2, "active", "failed")]
    assert transitions("d3") == [(1, "", "active")]
    assert DeploymentEvent.objects.count() == 5


def test_a_transaction_that_died_before_commit_leaves_the_change_for_the_next_poll():
    record_observations([obs("d1", "active")], now=at(0))
    # A real rollback: the event and the row update share one transaction.
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        observe(obs("d1", "failed"), now=at(5))
        raise RuntimeError("worker killed")
    assert transitions("d1") == [(1, "", "active")]
    record_observations([obs("d1", "failed")], now=at(6))
    assert transitions("d1") == [(1, "", "active"), (2, "active", "failed")]


def test_a_disappearing_deployment_is_an_event_and_its_return_another():
    record_observations([obs("d1", "active")], now=at(0))
    record_observations([], now=at(5))
    record_observations([obs("d1", "active")], now=at(10))
    assert transitions("d1") == [(1, "", "active"), (2, "active", GONE), (3, GONE, "active")]


def test_a_confirmed_disappearance_is_not_observed_again():
    record_observations([obs("d1", "active")], now=at(0))
    for second in (5, 10, 15, 20):
        record_observations([], now=at(second))
    state = DeploymentState.objects.get(deployment_id="d1")
    assert (state.status, state.confirmed_status, state.streak) == (GONE, GONE, 2)


def test_a_status_is_confirmed_after_the_configured_number_of_polls():
    with override_settings(POND_STATUS_CONFIRMATIONS=3):
        record_observations([obs("d1", "active")], now=at(0))
        record_observations([obs("d1", "active")], now=at(5))
        assert DeploymentState.objects.get(deployment_id="d1").confirmed_status == ""
        _, confirmed = record_observations([obs("d1", "active")], now=at(10))
    state = DeploymentState.objects.get(deployment_id="d1")
    assert state.confirmed_status == "active"
    assert [(c.from_status, c.to_status) for c in confirmed] == [("", "active")]


def test_a_single_flap_never_becomes_an_incident():
    for second, status in [
        (0, "active"),
        (5, "active"),
        (10, "failed"),
        (15, "active"),
        (20, "active"),
    ]:
        record_observations([obs("d1", status)], now=at(second))
    assert Incident.objects.count() == 0
    # ...but it was observed, and the events say so.
    assert [t[2] for t in transitions("d1")] == ["active", "failed", "active"]


def test_a_confirmed_failure_opens_an_incident_dated_from_its_first_sighting_and_recovery_closes_it():
    for second, status in [
        (0, "active"),
        (5, "active"),
        (10, "failed"),
        (15, "failed"),
        (20, "failed"),
    ]:
        record_observations([obs("d1", status)], now=at(second))
    incident = Incident.objects.get()
    assert (incident.status, incident.started_at, incident.ended_at) == ("failed", at(10), None)
    for second in (25, 30):
        record_observations([obs("d1", "active")], now=at(second))
    incident.refresh_from_db()
    assert (incident.ended_at, incident.recovered_to) == (at(25), "active")
    assert Incident.objects.count() == 1


def test_replaying_the_confirming_poll_does_not_open_a_second_incident():
    for second, status in [(0, "active"), (5, "active"), (10, "failed"), (15, "failed")]:
        record_observations([obs("d1", status)], now=at(second))
    record_observations([obs("d1", "failed")], now=at(15))
    assert Incident.objects.count() == 1


def test_successful_polls_extend_one_observation_window_and_an_outage_starts_a_new_one():
    with override_settings(POND_POLL_INTERVAL=5, POND_STATUS_STALE_INTERVALS=3):
        for second in (0, 5, 10):
            record_success(now=at(second), cycle_seconds=0.1)
        record_success(now=at(100), cycle_seconds=0.1)  # 90 s without a success: a gap
        record_success(now=at(105), cycle_seconds=0.1)
    assert list(ObservationWindow.objects.values_list("started_at", "ended_at")) == [
        (at(0), at(10)),
        (at(100), at(105)),
    ]


@override_settings(POND_STATUS_CONFIRMATIONS=1, POND_STATUS_WEBHOOKS=["http://127.0.0.1:9/hook"])
def test_a_confirmed_change_writes_its_webhook_to_the_outbox_in_the_same_transaction():
    from django.db import transaction

    from webui.reviews.models import OutboxMessage

    record_observations([obs("d1", "active")], now=at(0))
    assert OutboxMessage.objects.count() == 0  # a first status that is fine is not news

    # A poll that dies right after confirming: the confirmation and its message
    # commit together, or neither does.
    class Killed(Exception):
        pass

    with pytest.raises(Killed), transaction.atomic():
        observe(obs("d1", "failed"), now=at(5))
        raise Killed
    assert OutboxMessage.objects.count() == 0
    assert DeploymentState.objects.get(deployment_id="d1").confirmed_status == "active"

    # No Celery, no task: the row is there as soon as the poll's transaction is.
    _, confirmed = record_observations([obs("d1", "failed")], now=at(6))
    assert [c.to_status for c in confirmed] == ["failed"]
    [row] = OutboxMessage.objects.all()
    assert "is now failed (was active)" in row.payload["text"] and row.sent_at is None


@override_settings(POND_STATUS_CONFIRMATIONS=2)
def test_deployments_that_appear_or_go_without_a_write_through_pond_are_recorded_as_observed():
    from webui.activity.models import Activity

    def observed():
        rows = Activity.objects.filter(action="observed", object_kind="deployment").order_by("id")
        return [(a.object_id, a.details["deployment"]) for a in rows]

    # The first polls are the baseline: what was there before Pond looked is not news.
    for t in (0, 1):
        record_observations([obs("d1", "active"), obs("d3", "active")], now=at(t))
    assert observed() == []
    # d2 appears later, made by nobody through Pond; d4 was deployed through Pond.
    Activity.objects.create(actor="bob", action="deployed", object_kind="deployment", object_id="d4")
    for t in (5, 6, 7):
        record_observations([obs(d, "active") for d in ("d1", "d2", "d3", "d4")], now=at(t))
    assert observed() == [("d2", "appeared")]
    # d1 goes away outside Pond; d3 was stopped through Pond.
    Activity.objects.create(actor="bob", action="stopped", object_kind="deployment", object_id="d3")
    for t in (10, 11, 12):
        record_observations([obs("d2", "active"), obs("d4", "active")], now=at(t))
    assert observed() == [("d2", "appeared"), ("d1", "went away")]
