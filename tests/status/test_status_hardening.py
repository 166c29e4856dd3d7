"""What a hostile character, a shared cache or maintenance must not do to the status
page's new parts: a control character kills no feed and a NUL no request (PostgreSQL
refuses NUL), the live part never shows a member's links to a share-link holder, a
share-link holder does not see who promoted what, and planned downtime pages nobody."""

# ruff: noqa: F811 - fixtures imported from test_incident_updates are parameters here
from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.status.test_incident_updates import (  # noqa: F401
    as_user,
    eager,
    engineer,
    fail_a_deployment,
    feed_entries,
    hook,
)
from webui.reviews.models import OutboxMessage
from webui.status import poller
from webui.status.access import share_link_create
from webui.status.models import Incident, IncidentUpdate, MaintenanceWindow, StatusSubscription
from webui.status.text import name_kept, typed

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("bad", ["\x00", "\x0c", "\x01", "\x7f"])
def test_a_control_character_in_an_update_is_refused_on_its_field(upstream_url, settings, engineer, bad):
    failed = fail_a_deployment(settings)
    response = as_user(engineer).post(
        f"/status/incidents/{failed.incident.pk}/updates/", {"state": "identified", "text": f"pasted{bad}text"}
    )
    assert response.status_code == 400
    assert "text: contains a control character" in response.content.decode()
    assert not IncidentUpdate.objects.exists()


def test_a_control_character_kept_from_before_does_not_break_the_feed(upstream_url, settings, engineer):
    failed = fail_a_deployment(settings)
    as_user(engineer).post(f"/status/incidents/{failed.incident.pk}/updates/", {"state": "identified", "text": "ok"})
    IncidentUpdate.objects.update(text="form\x0cfeed")  # written before the check existed
    as_user(engineer).post(f"/status/incidents/{failed.incident.pk}/updates/", {"state": "monitoring", "text": "x"})
    (entry,) = feed_entries(as_user(engineer))
    assert "form\ufffdfeed" in entry.find("{http://www.w3.org/2005/Atom}summary").text


def test_line_breaks_count_once_as_the_browser_counts_them(upstream_url, settings, engineer):
    failed = fail_a_deployment(settings)
    text = ("line\r\n" * (IncidentUpdate.TEXT_MAX // 5))[: IncidentUpdate.TEXT_MAX + 100]
    assert len(typed(text)) <= IncidentUpdate.TEXT_MAX < len(text)
    response = as_user(engineer).post(
        f"/status/incidents/{failed.incident.pk}/updates/", {"state": "identified", "text": text}
    )
    assert response.status_code == 302
    assert "\r" not in IncidentUpdate.objects.get().text


def test_nul_in_the_maintenance_and_subscription_forms_is_refused_on_its_field(upstream_url, settings, engineer):
    failed = fail_a_deployment(settings)
    now = timezone.now()
    client = as_user(engineer)
    window = {
        "scope": "deployment", "deployment": failed.deployment.id,
        "starts_at": f"{now:%Y-%m-%d %H:%M}", "ends_at": f"{now + timedelta(hours=1):%Y-%m-%d %H:%M}",
        "reason": "upgrade\x00",
    }  # fmt: skip
    response = client.post("/status/maintenance/", window)
    assert response.status_code == 400 and "contains a control character" in response.content.decode()
    assert not MaintenanceWindow.objects.exists()
    for field, value in (("label", "pager\x00"), ("url", "https://hooks.example/a\x00b")):
        body = {"label": "pager", "format": "json", "url": "https://hooks.example/p", "scope": "all", field: value}
        response = client.post("/status/subscriptions/", body)
        assert response.status_code == 400, field
        assert "contains a control character" in response.content.decode()
    assert not StatusSubscription.objects.exists()


def test_an_upstream_name_is_kept_storable_and_showable():
    assert name_kept("fraud\x00detector\x0c" + "x" * 400, 300) == "fraud\ufffddetector\ufffd" + "x" * 285


def test_the_live_part_never_shows_a_members_links_to_a_share_link_holder(upstream_url, settings, engineer):
    fail_a_deployment(settings)
    assert 'data-testid="maintenance-link"' in as_user(engineer).get("/status/live/").content.decode()
    _, token = share_link_create(label="customer")
    holder = Client()
    holder.get(f"/status/s/{token}/")
    assert 'data-testid="maintenance-link"' not in holder.get("/status/live/").content.decode()
    # And the other way round: the member's links are not lost to the holder's copy.
    assert 'data-testid="maintenance-link"' in as_user(engineer).get("/status/live/").content.decode()


def test_a_share_link_holder_does_not_see_who_promoted_what(upstream_url, settings, alice):
    failed = fail_a_deployment(settings, promoted_ago=timedelta(minutes=12))
    assert 'data-testid="incident-promotion"' in as_user(alice).get(f"/status/incidents/{failed.incident.pk}/").content.decode()
    _, token = share_link_create(label="customer")
    holder = Client()
    holder.get(f"/status/s/{token}/")
    page = holder.get(f"/status/incidents/{failed.incident.pk}/").content.decode()
    assert 'data-testid="incident-promotion"' not in page and "alice" not in page


def test_a_failure_inside_maintenance_pages_nobody_until_it_outlives_the_window(upstream_url, settings, hook, eager):
    settings.POND_STATUS_CONFIRMATIONS = 1
    failed_before = fail_a_deployment(settings)  # an ordinary failure: announced
    assert OutboxMessage.objects.count() == 1
    from webui.jfrogml import services

    version = services.version_create(model_id=failed_before.model.id, version="3.2.0")
    quiet = services.deployment_create(name="quiet-api", model_id=failed_before.model.id, model_version_id=version.id)
    assert poller.poll(force=True).polled
    sent = OutboxMessage.objects.count()
    now = timezone.now()
    window = MaintenanceWindow.objects.create(
        scope="deployment", target_id=quiet.id, starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=1),
        created_by="alice", created_at=now, start_announced_at=now,
    )  # fmt: skip
    services.deployment_update(deployment_id=quiet.id, status="failed")
    assert poller.poll(force=True).polled
    assert not Incident.objects.filter(deployment_id=quiet.id).exists()
    assert OutboxMessage.objects.count() == sent  # the change inside the window: not announced
    MaintenanceWindow.objects.filter(pk=window.pk).update(ends_at=timezone.now(), end_announced_at=timezone.now())
    assert poller.poll(force=True).polled
    assert Incident.objects.filter(deployment_id=quiet.id, ended_at__isnull=True).count() == 1
    texts = [row.payload["text"] for row in OutboxMessage.objects.order_by("id")[sent:]]
    assert len(texts) == 1 and "quiet-api" in texts[0] and "maintenance ended" in texts[0], texts
