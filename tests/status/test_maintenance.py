"""Maintenance windows: scheduling (form errors naming fields, nothing written), who may,
cancelling, the status page's marker and list, uptime without window time (and the
history cache noticing a new or cancelled window), and start/end announced once each."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.status.conftest import observe_poll
from tests.support.faultserver import FaultServer, json_response
from webui.activity.models import Activity
from webui.celery import app as celery_app
from webui.reviews.models import OutboxMessage
from webui.status import document, maintenance, snapshot
from webui.status.access import share_link_create
from webui.status.models import MaintenanceWindow

pytestmark = pytest.mark.django_db(transaction=True)

FMT = "%Y-%m-%d %H:%M"


def _now() -> datetime:
    return timezone.now().replace(second=0, microsecond=0)


@pytest.fixture
def world(settings):
    """Two deployments of model m-1 on the status page, seen just now."""
    settings.POND_STATUS_CONFIRMATIONS = 1
    observe_poll({"d-1": "active", "d-2": "active"}, at=timezone.now())


def _window(
    *, start: datetime, end: datetime, scope="deployment", target="d-1", reason="", **extra
):
    return MaintenanceWindow.objects.create(
        scope=scope, target_id=target, target_name=f"{target}-name", starts_at=start, ends_at=end,
        reason=reason, created_by="alice", created_at=start - timedelta(days=1), **extra,
    )  # fmt: skip


def _post(client, **fields):
    start = _now() + timedelta(hours=1)
    body = {
        "scope": "deployment",
        "deployment": "d-1",
        "model": "",
        "starts_at": start.strftime(FMT),
        "ends_at": (start + timedelta(hours=2)).strftime(FMT),
        "reason": "database upgrade",
        **fields,
    }
    return client.post("/status/maintenance/", body)


# --- scheduling -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"ends_at": (_now() + timedelta(minutes=30)).strftime(FMT)}, "ends_at", "after the start"),
        (
            {"starts_at": "2020-01-01 10:00", "ends_at": "2020-01-01 12:00"},
            "starts_at",
            "in the past",
        ),
        ({"ends_at": (_now() + timedelta(days=40)).strftime(FMT)}, "ends_at", "at most 30 days"),
        ({"starts_at": "tomorrow-ish"}, "starts_at", "YYYY-MM-DD HH:MM"),
        ({"ends_at": ""}, "ends_at", "give the end"),
        ({"deployment": "no-such-deployment"}, "deployment", "choose one of the deployments"),
        ({"scope": "model", "model": "m-404"}, "model", "choose one of the models"),
        ({"scope": "everything"}, "scope", "a deployment or a model"),
        ({"reason": "x" * (MaintenanceWindow.REASON_MAX + 1)}, "reason", "at most"),
    ],
)
def test_bad_input_is_an_inline_error_naming_the_field_and_nothing_is_written(
    client, alice, world, fields, field, words
):
    client.force_login(alice)
    resp = _post(client, **fields)
    assert resp.status_code == 400
    page = resp.content.decode()
    error = page.split(f'data-testid="error-{field}">', 1)[1].split("</p>", 1)[0]
    assert words in error
    assert f"{field}: " in page  # the summary names it too
    assert MaintenanceWindow.objects.count() == 0
    assert not Activity.objects.filter(object_kind=maintenance.ACTIVITY_KIND).exists()


def test_an_operator_schedules_a_window_attributed_and_on_the_record(client, alice, world):
    client.force_login(alice)
    resp = _post(client, scope="model", model="m-1", deployment="")
    assert resp.status_code == 302
    window = MaintenanceWindow.objects.get()
    assert (window.scope, window.target_id, window.created_by, window.reason) == (
        "model", "m-1", "alice", "database upgrade",
    )  # fmt: skip
    record = Activity.objects.get(object_kind=maintenance.ACTIVITY_KIND)
    assert (record.actor, record.action, record.object_id) == (
        "alice",
        Activity.CREATED,
        str(window.pk),
    )
    # The page shows it as upcoming at once (republished), to a viewer too.
    page = client.get("/status/").content.decode()
    upcoming = page.split('data-testid="maintenance-upcoming"', 1)[1].split("</ul>", 1)[0]
    assert "model m-1" in upcoming and "database upgrade" in upcoming
    assert snapshot.document()["maintenance"]["upcoming"][0]["id"] == window.pk


def test_viewers_and_share_link_holders_see_windows_but_cannot_change_them(client, bob, world):
    window = _window(
        start=timezone.now() + timedelta(hours=1),
        end=timezone.now() + timedelta(hours=2),
        reason="patching",
    )
    document.publish()
    client.force_login(bob)
    page = client.get("/status/").content.decode()
    assert "patching" in page and 'data-testid="maintenance-link"' not in page
    assert client.get("/status/maintenance/").status_code == 403
    assert _post(client).status_code == 403
    assert (
        client.post(f"/status/maintenance/{window.pk}/cancel/", {"confirm": "yes"}).status_code
        == 403
    )
    _, token = share_link_create(label="wall")
    holder = Client()
    assert holder.get(f"/status/s/{token}/").status_code == 302
    assert "patching" in holder.get("/status/").content.decode()
    assert holder.get("/status/maintenance/").status_code == 302  # to the login form
    assert _post(holder).status_code == 403
    assert (
        holder.post(f"/status/maintenance/{window.pk}/cancel/", {"confirm": "yes"}).status_code
        == 403
    )
    assert Client().post("/status/maintenance/", {}).status_code == 403
    window.refresh_from_db()
    assert window.cancelled_at is None and MaintenanceWindow.objects.count() == 1
    assert not Activity.objects.filter(object_kind=maintenance.ACTIVITY_KIND).exists()


def test_cancelling_takes_a_confirmation_and_goes_on_the_record(client, alice, world):
    window = _window(
        start=timezone.now() - timedelta(minutes=30), end=timezone.now() + timedelta(hours=2)
    )
    client.force_login(alice)
    confirm = client.get(f"/status/maintenance/{window.pk}/cancel/")
    assert confirm.status_code == 200 and "under way" in confirm.content.decode()
    assert client.post(f"/status/maintenance/{window.pk}/cancel/", {}).status_code == 400
    window.refresh_from_db()
    assert window.cancelled_at is None
    assert (
        client.post(f"/status/maintenance/{window.pk}/cancel/", {"confirm": "yes"}).status_code
        == 302
    )
    window.refresh_from_db()
    assert window.cancelled_by == "alice" and window.cancelled_at is not None
    record = Activity.objects.get(object_kind=maintenance.ACTIVITY_KIND)
    assert (record.action, record.details["under_way"]) == (Activity.REVOKED, True)
    # Cancelled during: it covered until then, no further.
    assert maintenance.effective(window) == (window.starts_at, window.cancelled_at)
    assert client.get("/status/maintenance/999999/cancel/").status_code == 404


# --- the page -------------------------------------------------------------------------


def test_the_page_marks_a_deployment_in_maintenance_until_when_and_why(client, bob, world):
    now = timezone.now()
    end = datetime(now.year, now.month, now.day, 23, 59, tzinfo=UTC)
    if end <= now + timedelta(minutes=1):
        end += timedelta(days=1)
    _window(start=now - timedelta(minutes=5), end=end, reason="disk <swap>")
    document.publish()
    client.force_login(bob)
    page = client.get("/status/").content.decode()
    row = page.split('data-deployment="d-1"', 1)[1].split("</tr>", 1)[0]
    assert 'data-testid="maintenance-marker"' in row
    assert "In maintenance until" in row and "23:59 UTC" in row and "(disk &lt;swap&gt;)" in row
    other = page.split('data-deployment="d-2"', 1)[1].split("</tr>", 1)[0]
    assert "maintenance-marker" not in other
    data = client.get("/status.json").json()
    by_id = {d["id"]: d for d in data["deployments"]}
    assert by_id["d-1"]["maintenance"]["reason"] == "disk <swap>"
    assert by_id["d-2"]["maintenance"] is None
    assert [w["target_id"] for w in data["maintenance"]["active"]] == ["d-1"]
    assert "How to read this page" in page and "<strong>Maintenance</strong>" in page


# --- uptime ---------------------------------------------------------------------------


def test_uptime_leaves_window_time_out_and_the_history_cache_notices_windows(settings):
    settings.POND_POLL_INTERVAL = 3600  # hourly polls stay one observation window
    settings.POND_STATUS_CONFIRMATIONS = 1
    t = datetime(2026, 6, 10, 12, tzinfo=UTC)
    for hours, status in (
        (-4, "active"),
        (-3, "active"),
        (-2, "failed"),
        (-1, "failed"),
        (0, "failed"),
    ):
        observe_poll({"d-1": status}, at=t + timedelta(hours=hours))

    def figures():
        (d,) = document.publish(now=t)["deployments"]
        return d["uptime"]["24h"], d["maintenance_seconds"]["24h"]

    assert figures() == (0.5, 0.0)
    # A window over the first failed hour: 2 h up out of 3 h counted, 1 h apart. No new
    # event: only the maintenance stamp can make the cached figures stale.
    window = _window(start=t - timedelta(hours=2), end=t - timedelta(hours=1))
    assert figures() == (pytest.approx(2 / 3, abs=1e-6), 3600.0)
    # Cancelled before it started: never happened.
    MaintenanceWindow.objects.filter(pk=window.pk).update(cancelled_at=t - timedelta(hours=3))
    assert figures() == (0.5, 0.0)
    # A model's window covers its deployments; cancelled half-way, it counts until then.
    _window(
        start=t - timedelta(hours=2),
        end=t,
        scope="model",
        target="m-1",
        cancelled_at=t - timedelta(minutes=90),
    )
    assert figures() == (pytest.approx(2 / 3.5, abs=1e-6), 1800.0)


def test_the_page_shows_maintenance_time_under_the_uptime(client, alice, settings):
    settings.POND_POLL_INTERVAL = 3600
    settings.POND_STATUS_CONFIRMATIONS = 1
    now = timezone.now()
    observe_poll({"d-1": "active"}, at=now - timedelta(hours=3))
    _window(start=now - timedelta(hours=2), end=now - timedelta(minutes=40))
    observe_poll({"d-1": "active"}, at=now)
    client.force_login(alice)
    row = (
        client.get("/status/")
        .content.decode()
        .split('data-deployment="d-1"', 1)[1]
        .split("</tr>", 1)[0]
    )
    assert "maintenance: 1 h 20 min" in row


# --- announcements --------------------------------------------------------------------


@pytest.fixture
def hook(settings):
    with FaultServer(prefix="") as server:
        server.on("POST", "/hook", json_response({"ok": True}))
        settings.POND_STATUS_WEBHOOKS = [f"http://127.0.0.1:{server.port}/hook"]
        yield server


@pytest.fixture
def eager():
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def _texts() -> list[str]:
    return [row.payload["text"] for row in OutboxMessage.objects.order_by("id")]


def test_start_and_end_are_announced_exactly_once_each(
    hook, eager, world, django_capture_on_commit_callbacks
):
    now = timezone.now()
    _window(start=now - timedelta(minutes=1), end=now + timedelta(hours=1), reason="kernel update")
    with django_capture_on_commit_callbacks(execute=True):
        assert maintenance.sweep(now=now) == 1
        assert maintenance.sweep(now=now + timedelta(minutes=1)) == 0
    (start,) = _texts()
    assert (
        start.startswith("Maintenance started: Deployment d-1-name (d-1)")
        and "kernel update" in start
    )
    (received,) = hook.requests
    assert json.loads(received.body)["text"] == start
    later = now + timedelta(hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert maintenance.sweep(now=later) == 1
        assert maintenance.sweep(now=later) == 0
    assert len(_texts()) == 2 and _texts()[1].startswith("Maintenance ended: Deployment d-1-name")
    assert len(hook.requests) == 2


def test_a_window_cancelled_before_it_starts_is_never_announced_and_one_cancelled_during_ends(
    hook, world
):
    now = timezone.now()
    _window(
        start=now - timedelta(minutes=10),
        end=now + timedelta(hours=1),
        cancelled_at=now - timedelta(minutes=20),
    )
    during = _window(
        start=now - timedelta(minutes=1), end=now + timedelta(hours=1), scope="model", target="m-1"
    )
    assert maintenance.sweep(now=now) == 1
    MaintenanceWindow.objects.filter(pk=during.pk).update(cancelled_at=now + timedelta(minutes=5))
    assert maintenance.sweep(now=now + timedelta(minutes=6)) == 1
    assert maintenance.sweep(now=now + timedelta(hours=2)) == 0
    texts = _texts()
    assert len(texts) == 2
    assert texts[0].startswith("Maintenance started: Every deployment of model m-1-name (m-1)")
    assert texts[1].startswith(
        "Maintenance ended (cancelled early): Every deployment of model m-1-name"
    )


def test_active_at_and_overlapping_follow_the_effective_windows(db):
    t = datetime(2026, 6, 10, 12, tzinfo=UTC)
    plain = _window(start=t, end=t + timedelta(hours=2))
    cut = _window(
        start=t, end=t + timedelta(hours=2), target="d-2", cancelled_at=t + timedelta(hours=1)
    )
    _window(
        start=t, end=t + timedelta(hours=2), target="d-3", cancelled_at=t - timedelta(minutes=1)
    )
    assert [w.pk for w in maintenance.active_at(t)] == [plain.pk, cut.pk]  # from its first instant
    assert [w.pk for w in maintenance.active_at(t + timedelta(minutes=90))] == [plain.pk]
    assert maintenance.active_at(t + timedelta(hours=2)) == []  # its end is not in it
    assert [
        w.pk for w in maintenance.overlapping(t + timedelta(minutes=61), t + timedelta(hours=5))
    ] == [plain.pk]
    assert maintenance.overlapping(t - timedelta(hours=5), t) == []
