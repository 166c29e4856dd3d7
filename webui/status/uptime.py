"""Uptime arithmetic: pure functions over observed status changes.

Definitions (the status page and /status.json use exactly these):

- A deployment's *timeline* comes from its events: the status an event reports
  holds from the event's `observed_at` until the next event (the poller cannot know
  when between two polls a change really happened, so it dates it to the poll that
  saw it). The last status holds until "now".
- *Observed time* is timeline time that also lies inside an observation window (a
  stretch during which the poller succeeded) and in which the deployment existed
  (status other than GONE). Time before the first observation, after the
  deployment disappeared, and during poller outages is excluded: it is neither up
  nor down.
- *Uptime* over a range is the share of observed time in that range during which
  the status was `active`. `stopped`, `deploying`, `failed` and unknown statuses all
  count as not up. With no observed time in the range, uptime is None ("no data"),
  never 100 %.
- A *day* (UTC) is coloured by the worst status observed in it, by SEVERITY.
- *Maintenance* (webui.status.maintenance): time inside a maintenance window of the
  deployment or of its model is taken out of observed time before any of the above,
  so it counts neither as up nor as down, and is reported on its own
  (`window_seconds`). A cancelled window ends when it was cancelled; one cancelled
  before it started never existed (`effective_window`). A day entirely inside
  maintenance is a maintenance day; a day partly inside is judged on the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from webui.status.models import GONE

UP = "active"
# Worst first. Statuses the spec does not know rank between stopped and deploying.
SEVERITY = {"failed": 4, "stopped": 3, "deploying": 1, "active": 0}
UNKNOWN_SEVERITY = 2


@dataclass(frozen=True)
class Segment:
    start: datetime
    end: datetime
    status: str

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True)
class Day:
    day: date
    worst: str | None  # None: nothing observed that day
    uptime: float | None
    observed_seconds: float
    # Seconds of the day inside maintenance windows; `maintenance`: all of it was.
    maintenance_seconds: float = 0.0
    maintenance: bool = False


def severity(status: str) -> int:
    return SEVERITY.get(status, UNKNOWN_SEVERITY)


def worst_of(statuses: Iterable[str]) -> str | None:
    worst: str | None = None
    for status in statuses:
        if worst is None or severity(status) > severity(worst):
            worst = status
    return worst


def timeline(events: Iterable[tuple[datetime, str]], *, until: datetime) -> list[Segment]:
    """Segments of constant status from (observed_at, to_status) events, up to `until`."""
    ordered = sorted(events, key=lambda event: event[0])
    segments: list[Segment] = []
    for index, (start, status) in enumerate(ordered):
        end = ordered[index + 1][0] if index + 1 < len(ordered) else until
        end = min(end, until)
        if end > start and status != GONE:
            segments.append(Segment(start, end, status))
    return segments


def merge_windows(windows: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Sorted, non-overlapping windows (overlapping or touching ones are joined)."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(w for w in windows if w[1] > w[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def observed(
    segments: Sequence[Segment], windows: Sequence[tuple[datetime, datetime]]
) -> list[Segment]:
    """The parts of `segments` that lie inside `windows` (both sorted, non-overlapping)."""
    result: list[Segment] = []
    merged = merge_windows(windows)
    w = 0
    for segment in sorted(segments, key=lambda s: s.start):
        while w < len(merged) and merged[w][1] <= segment.start:
            w += 1
        k = w
        while k < len(merged) and merged[k][0] < segment.end:
            start = max(segment.start, merged[k][0])
            end = min(segment.end, merged[k][1])
            if end > start:
                result.append(Segment(start, end, segment.status))
            k += 1
    return result


def _clip(segments: Iterable[Segment], start: datetime, end: datetime) -> list[Segment]:
    clipped = []
    for segment in segments:
        s, e = max(segment.start, start), min(segment.end, end)
        if e > s:
            clipped.append(Segment(s, e, segment.status))
    return clipped


def uptime(observed_segments: Sequence[Segment], *, start: datetime, end: datetime) -> float | None:
    """Share of observed time in [start, end) spent `active`; None without observed time."""
    total = up = 0.0
    for segment in _clip(observed_segments, start, end):
        total += segment.seconds
        if segment.status == UP:
            up += segment.seconds
    if total <= 0:
        return None
    return up / total


def daily(
    observed_segments: Sequence[Segment],
    *,
    days: int,
    now: datetime,
    maintenance: Sequence[tuple[datetime, datetime]] = (),
) -> list[Day]:
    """The last `days` UTC days ending with today, oldest first.

    `observed_segments` already without maintenance time (`outside`); `maintenance` the
    windows themselves, to mark the days they cover."""
    merged = merge_windows(maintenance)
    today = now.date()
    midnight = datetime(today.year, today.month, today.day, tzinfo=now.tzinfo)
    result: list[Day] = []
    segments = sorted(observed_segments, key=lambda s: s.start)
    for offset in range(days - 1, -1, -1):
        day_start = midnight - timedelta(days=offset)
        day_end = min(day_start + timedelta(days=1), now)
        within = _clip(segments, day_start, day_end)
        total = sum(s.seconds for s in within)
        up = sum(s.seconds for s in within if s.status == UP)
        in_maintenance = window_seconds(merged, start=day_start, end=day_end)
        result.append(
            Day(
                day=day_start.date(),
                worst=worst_of(s.status for s in within),
                uptime=(up / total) if total > 0 else None,
                observed_seconds=total,
                maintenance_seconds=in_maintenance,
                maintenance=day_end > day_start
                and in_maintenance >= (day_end - day_start).total_seconds(),
            )
        )
    return result


# --- maintenance windows ------------------------------------------------------------


def effective_window(
    starts_at: datetime, ends_at: datetime, cancelled_at: datetime | None
) -> tuple[datetime, datetime] | None:
    """The stretch a window really covered: cut short when it was cancelled during it;
    None when it was cancelled before it started (it never happened)."""
    end = ends_at if cancelled_at is None else min(ends_at, cancelled_at)
    if end <= starts_at:
        return None
    return starts_at, end


def outside(
    segments: Sequence[Segment], windows: Iterable[tuple[datetime, datetime]]
) -> list[Segment]:
    """The parts of `segments` that lie outside every window (the complement of `observed`)."""
    merged = merge_windows(windows)
    if not merged:
        return list(segments)
    result: list[Segment] = []
    for segment in sorted(segments, key=lambda s: s.start):
        cursor = segment.start
        for start, end in merged:
            if end <= cursor:
                continue
            if start >= segment.end:
                break
            if start > cursor:
                result.append(Segment(cursor, start, segment.status))
            cursor = max(cursor, end)
            if cursor >= segment.end:
                break
        if cursor < segment.end:
            result.append(Segment(cursor, segment.end, segment.status))
    return result


def window_seconds(
    windows: Iterable[tuple[datetime, datetime]], *, start: datetime, end: datetime
) -> float:
    """Seconds of [start, end) inside the windows (overlapping windows counted once)."""
    total = 0.0
    for w_start, w_end in merge_windows(windows):
        s, e = max(w_start, start), min(w_end, end)
        if e > s:
            total += (e - s).total_seconds()
    return total
