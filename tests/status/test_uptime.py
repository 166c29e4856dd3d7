"""Uptime arithmetic: share of observed time in `active`, gaps excluded, UTC days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from webui.status.models import GONE
from webui.status.uptime import Segment, daily, merge_windows, observed, timeline, uptime, worst_of

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_it_counts_a_deployment_active_all_the_time_as_fully_up():
    seen = observed(timeline([(h(0), "active")], until=h(10)), [(h(0), h(10))])
    assert uptime(seen, start=h(0), end=h(10)) == 1.0


def test_it_gives_the_share_of_observed_time_spent_active():
    events = [(h(0), "active"), (h(6), "failed"), (h(8), "active")]
    seen = observed(timeline(events, until=h(10)), [(h(0), h(10))])
    assert uptime(seen, start=h(0), end=h(10)) == pytest.approx(0.8)


def test_it_excludes_time_before_the_first_observation_rather_than_counting_it_up():
    seen = observed(timeline([(h(5), "failed"), (h(7), "active")], until=h(10)), [(h(0), h(10))])
    # Observed 5 h: 2 failed, 3 active. The 5 h before are not known, not up.
    assert uptime(seen, start=h(0), end=h(10)) == pytest.approx(3 / 5)


def test_it_excludes_poller_outages_from_observed_time():
    events = [(h(0), "active"), (h(4), "failed")]
    windows = [(h(0), h(4)), (h(9), h(10))]  # the poller was down from 4 h to 9 h
    seen = observed(timeline(events, until=h(10)), windows)
    assert uptime(seen, start=h(0), end=h(10)) == pytest.approx(4 / 5)


def test_it_reports_no_data_rather_than_full_uptime_when_nothing_was_observed():
    seen = observed(timeline([(h(0), "active")], until=h(10)), [])
    assert uptime(seen, start=h(0), end=h(10)) is None


def test_it_reports_no_data_for_a_range_entirely_inside_an_outage():
    seen = observed(timeline([(h(0), "active")], until=h(10)), [(h(0), h(2)), (h(8), h(10))])
    assert uptime(seen, start=h(3), end=h(7)) is None


def test_it_excludes_the_time_a_deployment_did_not_exist():
    events = [(h(0), "active"), (h(2), GONE), (h(8), "failed")]
    seen = observed(timeline(events, until=h(10)), [(h(0), h(10))])
    assert uptime(seen, start=h(0), end=h(10)) == pytest.approx(0.5)


@pytest.mark.parametrize("status", ["stopped", "deploying", "failed", "mystery-status"])
def test_it_counts_every_status_but_active_as_not_up(status):
    seen = observed(timeline([(h(0), status), (h(1), "active")], until=h(4)), [(h(0), h(4))])
    assert uptime(seen, start=h(0), end=h(4)) == pytest.approx(3 / 4)


def test_it_clips_to_the_asked_range():
    events = [(h(0), "failed"), (h(10), "active")]
    seen = observed(timeline(events, until=h(20)), [(h(0), h(20))])
    assert uptime(seen, start=h(5), end=h(15)) == pytest.approx(0.5)
    assert uptime(seen, start=h(10), end=h(20)) == 1.0
    assert uptime(seen, start=h(0), end=h(10)) == 0.0


def test_it_orders_events_given_out_of_order():
    events = [(h(8), "active"), (h(0), "active"), (h(6), "failed")]
    seen = observed(timeline(events, until=h(10)), [(h(0), h(10))])
    assert uptime(seen, start=h(0), end=h(10)) == pytest.approx(0.8)


def test_it_merges_overlapping_and_touching_windows():
    assert merge_windows(
        [(h(3), h(5)), (h(0), h(2)), (h(2), h(3)), (h(7), h(8)), (h(7.5), h(9))]
    ) == [
        (h(0), h(5)),
        (h(7), h(9)),
    ]


def test_it_ignores_empty_windows():
    assert merge_windows([(h(1), h(1)), (h(2), h(3))]) == [(h(2), h(3))]


def test_a_segment_spanning_several_windows_is_split_across_them():
    seen = observed([Segment(h(0), h(10), "active")], [(h(1), h(2)), (h(4), h(5)), (h(9), h(12))])
    assert [(s.start, s.end) for s in seen] == [(h(1), h(2)), (h(4), h(5)), (h(9), h(10))]


def test_a_day_takes_the_worst_status_seen_in_it():
    midnight = datetime(2026, 11, 3, tzinfo=UTC)
    events = [
        (midnight - timedelta(days=2), "active"),
        (midnight - timedelta(days=1, hours=-10), "stopped"),
        (midnight - timedelta(days=1, hours=-11), "failed"),
        (midnight - timedelta(days=1, hours=-12), "active"),
    ]
    now = midnight + timedelta(hours=6)
    seen = observed(timeline(events, until=now), [(midnight - timedelta(days=2), now)])
    days = daily(seen, days=3, now=now)
    assert [d.day.isoformat() for d in days] == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert [d.worst for d in days] == ["active", "failed", "active"]
    assert days[1].uptime == pytest.approx(22 / 24)


def test_a_change_at_exactly_midnight_belongs_to_the_new_day():
    midnight = datetime(2026, 11, 3, tzinfo=UTC)
    events = [(midnight - timedelta(hours=12), "active"), (midnight, "failed")]
    now = midnight + timedelta(hours=12)
    seen = observed(timeline(events, until=now), [(midnight - timedelta(hours=12), now)])
    yesterday, today = daily(seen, days=2, now=now)
    assert (yesterday.worst, yesterday.uptime) == ("active", 1.0)
    assert (today.worst, today.uptime) == ("failed", 0.0)


def test_a_segment_crossing_midnight_is_split_between_the_two_days():
    midnight = datetime(2026, 11, 3, tzinfo=UTC)
    events = [
        (midnight - timedelta(hours=24), "active"),
        (midnight - timedelta(hours=2), "failed"),
        (midnight + timedelta(hours=1), "active"),
    ]
    now = midnight + timedelta(hours=3)
    seen = observed(timeline(events, until=now), [(midnight - timedelta(hours=24), now)])
    yesterday, today = daily(seen, days=2, now=now)
    assert yesterday.uptime == pytest.approx(22 / 24)
    assert today.uptime == pytest.approx(2 / 3)
    assert yesterday.observed_seconds == 24 * 3600
    assert today.observed_seconds == 3 * 3600


def test_a_day_without_observations_has_no_colour_and_no_uptime():
    midnight = datetime(2026, 11, 3, tzinfo=UTC)
    now = midnight + timedelta(hours=1)
    seen = observed(
        timeline([(midnight - timedelta(days=3), "failed")], until=now),
        [(midnight - timedelta(days=3), midnight - timedelta(days=1, hours=12)), (midnight, now)],
    )
    days = daily(seen, days=3, now=now)
    assert days[1].worst is None and days[1].uptime is None and days[1].observed_seconds == 0
    assert (days[0].worst, days[0].observed_seconds) == ("failed", 12 * 3600)
    assert (days[2].worst, days[2].observed_seconds) == ("failed", 3600)


def test_today_counts_only_up_to_now():
    midnight = datetime(2026, 11, 3, tzinfo=UTC)
    now = midnight + timedelta(hours=2)
    seen = observed(
        timeline([(midnight - timedelta(days=1), "active")], until=now),
        [(midnight - timedelta(days=1), now)],
    )
    assert daily(seen, days=1, now=now)[0].observed_seconds == 2 * 3600


def test_it_returns_as_many_days_as_asked_oldest_first():
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)  # across the end of February
    days = daily([], days=90, now=now)
    assert len(days) == 90
    assert days[-1].day.isoformat() == "2026-03-01"
    assert days[0].day.isoformat() == "2025-12-02"
    assert all(d.worst is None for d in days)


def test_worst_ranks_failed_over_stopped_over_unknown_over_deploying_over_active():
    assert worst_of(["active", "deploying"]) == "deploying"
    assert worst_of(["deploying", "weird"]) == "weird"
    assert worst_of(["weird", "stopped"]) == "stopped"
    assert worst_of(["stopped", "failed", "active"]) == "failed"
    assert worst_of([]) is None


def test_timeline_ends_at_until_and_drops_zero_length_segments():
    segments = timeline(
        [(h(0), "active"), (h(0), "failed"), (h(5), "active"), (h(20), "failed")], until=h(10)
    )
    assert [(s.status, s.start, s.end) for s in segments] == [
        ("failed", h(0), h(5)),
        ("active", h(5), h(10)),
    ]
