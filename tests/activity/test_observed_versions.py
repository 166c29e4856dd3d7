"""Version statuses seen upstream against what Pond last saw: the first sighting is
the baseline, a later change no promotion explains is recorded once, and data older
than the baseline is no news (issue: governance, "changed outside Pond")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from webui.activity.models import Activity
from webui.activity.observed import SeenVersion, standing, unexplained, versions_seen
from webui.reviews.models import LedgerEntry

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)


def _seen(status: str, *, at: datetime, as_of: datetime | None = None) -> list[Activity]:
    version = SeenVersion("mdl_1", "churn", "ver_3", "v3", status, as_of=as_of or at)
    return versions_seen([version], now=at)


def _observed() -> list[tuple[str, str]]:
    return [
        (a.details["from"], a.details["status"]) for a in Activity.objects.filter(action="observed")
    ]


def test_the_first_sighting_is_the_baseline_and_a_later_change_is_recorded_once():
    assert _seen("production", at=T0) == []  # there before Pond looked: not news
    assert _seen("archived", at=T0 + timedelta(minutes=5)) != []
    assert _seen("archived", at=T0 + timedelta(minutes=10)) == []
    assert _observed() == [("production", "archived")]
    (row,) = Activity.objects.filter(action="observed")
    assert (row.actor, row.object_kind, row.object_name, row.model_name) == (
        "(outside Pond)",
        "version",
        "v3",
        "churn",
    )
    assert row.details["first_seen_at"] == (T0 + timedelta(minutes=5)).isoformat()


def test_data_read_before_the_baseline_was_seen_is_no_change():
    assert _seen("draft", at=T0) == []
    assert _seen("production", at=T0 + timedelta(minutes=5)) != []
    # A version list kept from before that sighting still says draft: old news, no
    # change back to draft, and the newer data that follows is no change either.
    assert _seen("draft", at=T0 + timedelta(minutes=6), as_of=T0 + timedelta(minutes=1)) == []
    assert _seen("production", at=T0 + timedelta(minutes=7)) == []
    assert _observed() == [("draft", "production")]


def test_a_change_a_promotion_through_pond_explains_is_not_recorded():
    assert _seen("staging", at=T0) == []
    LedgerEntry.objects.create(
        kind=LedgerEntry.APPLY, actor="rita", model_id="mdl_1", version_id="ver_3", version_label="v3",
        from_status="staging", to_status="production", outcome=LedgerEntry.UPSTREAM,
        created_at=T0 + timedelta(minutes=3),
    )  # fmt: skip
    assert _seen("production", at=T0 + timedelta(minutes=5)) == []
    assert _observed() == []
    # The baseline moved with it: a later change outside Pond is news again.
    assert _seen("archived", at=T0 + timedelta(minutes=9)) != []
    assert _observed() == [("production", "archived")]


def test_an_observed_change_stands_until_a_promotion_through_pond_follows_it():
    _seen("staging", at=T0)
    _seen("production", at=T0 + timedelta(minutes=5))
    row = unexplained(version_ids=["ver_3"])["ver_3"]
    assert standing(row, "production") == row
    assert standing(row, "archived") is None  # a later change is its own event
    LedgerEntry.objects.create(
        kind=LedgerEntry.APPLY, actor="rita", model_id="mdl_1", version_id="ver_3", version_label="v3",
        from_status="production", to_status="archived", outcome=LedgerEntry.UPSTREAM,
        created_at=T0 + timedelta(minutes=8),
    )  # fmt: skip
    assert unexplained(version_ids=["ver_3"]) == {}


def test_hostile_upstream_text_is_stored_safely_and_compared_alike(db):
    from datetime import timedelta

    from django.utils import timezone

    from webui.activity.models import Activity
    from webui.activity.observed import SeenVersion, unexplained, versions_seen
    from webui.activity.services import fit_text

    vid = "v\x00" + "é" * 1500  # NUL (PostgreSQL refuses it) and longer than any column
    t0 = timezone.now()
    for as_of, status in ((t0, "draft\x00" + "s" * 200), (t0 + timedelta(seconds=1), "production\x00" + "p" * 200)):
        versions_seen([SeenVersion("m\x00", "n\x00", vid, "l\x00" * 600, status, as_of=as_of)], now=as_of)
    [row] = Activity.objects.filter(action="observed")
    assert "\x00" not in row.object_id + row.object_name + row.model_name + row.details["status"]
    assert len(row.object_id) <= 1024 and len(row.details["status"]) <= 64
    assert set(unexplained(version_ids=[vid])) == {fit_text(vid)}
    # Seen again exactly so: no second record.
    versions_seen([SeenVersion("m\x00", "n\x00", vid, "l", "production\x00" + "p" * 200, as_of=t0 + timedelta(seconds=2))])
    assert Activity.objects.filter(action="observed").count() == 1
