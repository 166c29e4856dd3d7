"""Maintenance in the uptime arithmetic (webui.status.uptime): pure functions, no database.

Time inside a window counts neither as up nor as down; it is reported on its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from webui.status import uptime
from webui.status.uptime import Segment

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_a_window_at_exactly_a_segments_edges_removes_the_whole_segment():
    segments = [
        Segment(h(0), h(2), "active"),
        Segment(h(2), h(3), "failed"),
        Segment(h(3), h(4), "active"),
    ]
    rest = uptime.outside(segments, [(h(2), h(3))])
    assert rest == [Segment(h(0), h(2), "active"), Segment(h(3), h(4), "active")]
    assert uptime.uptime(rest, start=h(0), end=h(4)) == 1.0
    # Without the window the failed hour counts: 3 of 4.
    assert uptime.uptime(segments, start=h(0), end=h(4)) == 0.75
    assert uptime.window_seconds([(h(2), h(3))], start=h(0), end=h(4)) == 3600


def test_a_window_inside_a_segment_splits_it_and_only_its_time_is_left_out():
    rest = uptime.outside([Segment(h(0), h(4), "failed")], [(h(1), h(2))])
    assert rest == [Segment(h(0), h(1), "failed"), Segment(h(2), h(4), "failed")]
    assert sum(s.seconds for s in rest) == 3 * 3600


def test_a_window_straddling_two_segments_cuts_the_end_of_one_and_the_start_of_the_other():
    segments = [Segment(h(0), h(2), "active"), Segment(h(2), h(4), "failed")]
    rest = uptime.outside(segments, [(h(1), h(3))])
    assert rest == [Segment(h(0), h(1), "active"), Segment(h(3), h(4), "failed")]
    assert uptime.uptime(rest, start=h(0), end=h(4)) == 0.5


def test_overlapping_and_touching_windows_count_once():
    windows = [(h(1), h(3)), (h(2), h(4)), (h(4), h(5))]
    assert uptime.window_seconds(windows, start=h(0), end=h(10)) == 4 * 3600
    rest = uptime.outside([Segment(h(0), h(6), "failed")], windows)
    assert rest == [Segment(h(0), h(1), "failed"), Segment(h(5), h(6), "failed")]


def test_a_window_entirely_outside_the_range_changes_nothing():
    segments = [Segment(h(0), h(2), "active"), Segment(h(2), h(3), "failed")]
    assert uptime.outside(segments, [(h(10), h(12))]) == segments
    assert uptime.outside(segments, [(h(-5), h(-1))]) == segments
    assert uptime.window_seconds([(h(10), h(12))], start=h(0), end=h(3)) == 0


def test_a_window_covering_everything_leaves_no_data_not_100_percent():
    rest = uptime.outside([Segment(h(0), h(2), "failed")], [(h(-1), h(3))])
    assert rest == []
    assert uptime.uptime(rest, start=h(0), end=h(2)) is None


def test_cancelled_windows_before_and_during_and_never():
    # Cancelled before it started: it never happened.
    assert uptime.effective_window(h(2), h(4), h(1)) is None
    assert uptime.effective_window(h(2), h(4), h(2)) is None
    # Cancelled during: it ends when it was cancelled.
    assert uptime.effective_window(h(2), h(4), h(3)) == (h(2), h(3))
    # Cancelled after its end, or never: the planned window.
    assert uptime.effective_window(h(2), h(4), h(5)) == (h(2), h(4))
    assert uptime.effective_window(h(2), h(4), None) == (h(2), h(4))
    span = uptime.effective_window(h(2), h(4), h(3))
    rest = uptime.outside([Segment(h(0), h(4), "failed")], [span])
    assert rest == [Segment(h(0), h(2), "failed"), Segment(h(3), h(4), "failed")]


def test_a_window_straddling_midnight_splits_between_the_two_days():
    now = datetime(2026, 3, 3, 12, tzinfo=UTC)
    midnight = datetime(2026, 3, 3, tzinfo=UTC)
    segments = [Segment(midnight - timedelta(days=1), now, "failed")]
    window = (midnight - timedelta(hours=2), midnight + timedelta(hours=1))
    days = uptime.daily(uptime.outside(segments, [window]), days=2, now=now, maintenance=[window])
    yesterday, today = days
    assert yesterday.maintenance_seconds == 2 * 3600 and not yesterday.maintenance
    assert yesterday.observed_seconds == 22 * 3600  # judged on the rest of the day
    assert today.maintenance_seconds == 3600 and not today.maintenance
    assert today.observed_seconds == 11 * 3600
    assert (yesterday.worst, today.worst) == ("failed", "failed")


def test_a_day_entirely_in_maintenance_is_a_maintenance_day():
    now = datetime(2026, 3, 3, 12, tzinfo=UTC)
    day2 = datetime(2026, 3, 2, tzinfo=UTC)
    segments = [Segment(day2 - timedelta(days=1), now, "failed")]
    window = (day2 - timedelta(hours=3), day2 + timedelta(days=1))  # all of March 2
    days = uptime.daily(uptime.outside(segments, [window]), days=3, now=now, maintenance=[window])
    assert [d.maintenance for d in days] == [False, True, False]
    assert days[1].worst is None and days[1].uptime is None and days[1].maintenance_seconds == 86400
    assert days[0].worst == "failed" and days[0].maintenance_seconds == 3 * 3600
    # Today, so far all in maintenance (until now): a maintenance day too.
    today_window = (datetime(2026, 3, 3, tzinfo=UTC), now + timedelta(hours=5))
    today = uptime.daily([], days=1, now=now, maintenance=[today_window])[0]
    assert today.maintenance and today.maintenance_seconds == 12 * 3600


def test_the_bar_draws_a_maintenance_day_in_its_own_colour_with_its_label():
    from webui.status import svg

    now = datetime(2026, 3, 3, 12, tzinfo=UTC)
    window = (datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC))
    days = uptime.daily(
        [Segment(now - timedelta(hours=2), now, "active")], days=2, now=now, maintenance=[window]
    )
    text = svg.bar_svg(days)
    assert f'fill="{svg.MAINTENANCE}"' in text
    assert "2026-03-02: maintenance" in text
    assert "2026-03-03: active, 100.00% up" in text
