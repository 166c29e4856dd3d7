"""Incidents people read and write (issue 15): names at the time rather than ids, an
operator's acknowledgement and updates shown on the status page, in the feed, in
status.json and to a real webhook receiver, and the promotion that preceded it.

A real deployment fails on the embedded registry (over HTTP), the real poller opens
the incident from the real catalog's names, and the ledger holds the promotion."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.utils import timezone

from tests.support.faultserver import FaultServer, json_response
from webui.activity.models import Activity
from webui.celery import app as celery_app
from webui.jfrogml import catalog, services
from webui.reviews.audit import PROMOTIONS
from webui.reviews.models import LedgerEntry, OutboxMessage
from webui.status import document, poller
from webui.status.access import share_link_create
from webui.status.models import Incident, IncidentUpdate, StatusSubscription

pytestmark = pytest.mark.django_db(transaction=True)

ATOM = "{http://www.w3.org/2005/Atom}"
HEADLINE = "Deployment fraud-api of fraud-detector 3.1.0 failed"


@pytest.fixture
def engineer(db) -> User:
    user = User.objects.create_user("erin", "erin@example.com", "erin-password-1")
    user.user_permissions.add(Permission.objects.get(codename="deploy", content_type__app_label="dashboard"))
    return user


@pytest.fixture
def hook(settings):
    """A real webhook receiver, configured as Pond's status webhook."""
    with FaultServer(prefix="") as server:
        server.on("POST", "/hook", json_response({"ok": True}))
        settings.POND_STATUS_WEBHOOKS = [f"http://127.0.0.1:{server.port}/hook"]
        yield server


@pytest.fixture
def eager():
    # The webhook tasks queued on commit run at once, in this process.
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def fail_a_deployment(settings, *, promoted_ago: timedelta | None = None, kind: str = LedgerEntry.APPLY):
    """fraud-detector 3.1.0 served by fraud-api fails, and the poller opens the incident.
    With `promoted_ago`, the ledger has 3.1.0's promotion by alice that long before."""
    settings.POND_STATUS_CONFIRMATIONS = 1
    model = services.model_create(name="fraud-detector", framework="xgboost")
    version = services.version_create(model_id=model.id, version="3.1.0")
    deployment = services.deployment_create(name="fraud-api", model_id=model.id, model_version_id=version.id)
    catalog.catalog_refresh()
    entry = None
    if promoted_ago is not None:
        entry = LedgerEntry.objects.create(
            created_at=timezone.now() - promoted_ago,
            kind=kind,
            actor="alice",
            model_id=model.id,
            model_name="fraud-detector",
            version_id=version.id,
            version_label="3.1.0",
            from_status="staging",
            to_status="production",
            outcome=LedgerEntry.UPSTREAM,
        )
    services.deployment_update(deployment_id=deployment.id, status="failed")
    assert poller.poll(force=True).polled
    incident = Incident.objects.get(deployment_id=deployment.id)
    return SimpleNamespace(model=model, version=version, deployment=deployment, incident=incident, entry=entry)


def as_user(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def feed_entries(client: Client, url: str = "/status/feed.atom") -> list[ET.Element]:
    root = ET.fromstring(client.get(url).content)  # noqa: S314 - our own output
    return root.findall(f"{ATOM}entry")


# --- names, not ids ---------------------------------------------------------------------


def test_the_incident_keeps_the_names_at_the_time_and_every_view_shows_them(upstream_url, settings, alice, hook, eager):
    failed = fail_a_deployment(settings)
    incident = failed.incident
    assert (incident.model_name, incident.version_label, incident.deployment_name) == (
        "fraud-detector",
        "3.1.0",
        "fraud-api",
    )
    client = as_user(alice)
    # status.json keeps the ids and adds the names.
    (listed,) = client.get("/status.json").json()["incidents"]
    assert listed["title"] == HEADLINE
    assert (listed["model_id"], listed["model_name"]) == (failed.model.id, "fraud-detector")
    assert (listed["version_id"], listed["version_label"]) == (failed.version.id, "3.1.0")
    assert (listed["deployment_id"], listed["deployment_name"]) == (failed.deployment.id, "fraud-api")
    # The page: the headline by names, never the ids as the incident's description.
    page = client.get("/status/").content.decode()
    item = re.search(r'<li id="incident-\d+".*?</li>', page, re.S).group(0)
    assert HEADLINE in item
    assert failed.model.id not in item and failed.version.id not in item
    # The feed's entry.
    (entry,) = feed_entries(client)
    summary = entry.find(f"{ATOM}summary").text
    assert HEADLINE in summary and failed.model.id not in summary
    # The webhook text of the confirmed change.
    (told,) = [json.loads(r.body)["text"] for r in hook.requests]
    assert told.startswith("Deployment fraud-api of fraud-detector 3.1.0 is now failed, since ")
    assert failed.model.id not in told and failed.version.id not in told


def test_a_renamed_model_does_not_rewrite_the_incident(upstream_url, settings, alice):
    failed = fail_a_deployment(settings)
    services.model_update(
        model_id=failed.model.id, name="fraud-detector-v2", description="", framework="xgboost", task_type="", tags=()
    )
    catalog.catalog_refresh()
    document.publish()
    (listed,) = as_user(alice).get("/status.json").json()["incidents"]
    assert listed["model_name"] == "fraud-detector"


def test_an_old_incident_without_stored_names_falls_back_to_the_catalog_then_the_ids(upstream_url, settings, alice):
    failed = fail_a_deployment(settings)
    Incident.objects.filter(pk=failed.incident.pk).update(model_name="", version_label="")
    orphan = Incident.objects.create(
        deployment_id="dep-gone", deployment_name="", model_id="mdl-gone", version_id="ver-gone",
        status="failed", started_at=timezone.now() - timedelta(days=1), ended_at=timezone.now(),
        recovered_to="active", opened_by_sequence=1,
    )  # fmt: skip
    document.publish()
    listed = {i["id"]: i for i in as_user(alice).get("/status.json").json()["incidents"]}
    assert (listed[failed.incident.pk]["model_name"], listed[failed.incident.pk]["version_label"]) == (
        "fraud-detector",
        "3.1.0",
    )
    assert listed[orphan.pk]["title"] == "Deployment dep-gone of mdl-gone ver-gone failed"


# --- who may write --------------------------------------------------------------------------


def test_an_engineer_acknowledges_and_it_is_attributed_and_recorded(upstream_url, settings, engineer, hook, eager):
    failed = fail_a_deployment(settings)
    client = as_user(engineer)
    page = client.get(f"/status/incidents/{failed.incident.pk}/").content.decode()
    assert 'data-testid="acknowledge-form"' in page and 'data-testid="update-form"' in page
    response = client.post(f"/status/incidents/{failed.incident.pk}/acknowledge/")
    assert response.status_code == 302
    incident = Incident.objects.get(pk=failed.incident.pk)
    assert incident.acknowledged_by == "erin" and incident.acknowledged_at is not None
    record = Activity.objects.get(object_kind="incident", object_id=str(incident.pk))
    assert (record.actor, record.action, record.model_name) == ("erin", Activity.EDITED, "fraud-detector")
    assert f"{HEADLINE}: acknowledged by erin." in [json.loads(r.body)["text"] for r in hook.requests]
    page = client.get(f"/status/incidents/{incident.pk}/").content.decode()
    assert "Acknowledged by <strong>erin</strong>" in page
    assert 'data-testid="acknowledge-form"' not in page
    # Twice is refused, naming who did it first; nothing changes.
    again = client.post(f"/status/incidents/{incident.pk}/acknowledge/")
    assert again.status_code == 400 and "acknowledge: already acknowledged by erin." in again.content.decode()
    assert Activity.objects.filter(object_kind="incident").count() == 1


def test_a_viewer_is_refused_and_sees_no_forms(upstream_url, settings, bob):
    failed = fail_a_deployment(settings)
    client = as_user(bob)
    page = client.get(f"/status/incidents/{failed.incident.pk}/")
    assert page.status_code == 200
    assert "<form" not in page.content.decode()
    for path, body in (("acknowledge/", {}), ("updates/", {"state": "identified", "text": "mine"})):
        assert client.post(f"/status/incidents/{failed.incident.pk}/{path}", body).status_code == 403
    incident = Incident.objects.get(pk=failed.incident.pk)
    assert incident.acknowledged_at is None and not IncidentUpdate.objects.exists()


def test_a_share_link_holder_reads_the_incident_page_but_cannot_write(upstream_url, settings, engineer):
    failed = fail_a_deployment(settings)
    as_user(engineer).post(
        f"/status/incidents/{failed.incident.pk}/updates/", {"state": "identified", "text": "bad feature flag"}
    )
    _, token = share_link_create(label="customer")
    client = Client()
    assert client.get(f"/status/s/{token}/").status_code == 302
    page = client.get(f"/status/incidents/{failed.incident.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert HEADLINE in text and "bad feature flag" in text and "<form" not in text
    for path, body in (("acknowledge/", {}), ("updates/", {"state": "resolved", "text": "not mine"})):
        response = client.post(f"/status/incidents/{failed.incident.pk}/{path}", body)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert list(IncidentUpdate.objects.values_list("text", flat=True)) == ["bad feature flag"]
    assert Incident.objects.get(pk=failed.incident.pk).acknowledged_by == "erin"  # by her update, not the link


def test_without_a_login_or_link_the_incident_page_asks_to_log_in(upstream_url, settings):
    failed = fail_a_deployment(settings)
    response = Client().get(f"/status/incidents/{failed.incident.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- form errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"state": "fixed-it", "text": "done"}, ["state: choose one of investigating, identified, monitoring, resolved."]),
        ({"state": "identified", "text": "   "}, ["text: say what the team knows"]),
        ({"text": "x" * (IncidentUpdate.TEXT_MAX + 1)}, ["state: choose one", f"text: at most {IncidentUpdate.TEXT_MAX} characters"]),
    ],
)  # fmt: skip
def test_a_bad_update_names_the_field_and_writes_nothing(upstream_url, settings, engineer, hook, eager, body, named):
    failed = fail_a_deployment(settings)
    outbox_before = OutboxMessage.objects.count()
    response = as_user(engineer).post(f"/status/incidents/{failed.incident.pk}/updates/", body)
    assert response.status_code == 400
    text = response.content.decode()
    for message in named:
        assert message in text
    assert not IncidentUpdate.objects.exists()
    assert not Activity.objects.filter(object_kind="incident update").exists()
    assert OutboxMessage.objects.count() == outbox_before
    assert Incident.objects.get(pk=failed.incident.pk).acknowledged_at is None


def test_an_update_of_the_longest_text_is_taken(upstream_url, settings, engineer):
    failed = fail_a_deployment(settings)
    text = "y" * IncidentUpdate.TEXT_MAX
    response = as_user(engineer).post(
        f"/status/incidents/{failed.incident.pk}/updates/", {"state": "monitoring", "text": text}
    )
    assert response.status_code == 302
    assert IncidentUpdate.objects.get().text == text


# --- an update everywhere ---------------------------------------------------------------------


def test_an_update_shows_on_the_page_in_the_feed_the_json_and_reaches_the_webhook(
    upstream_url, settings, engineer, alice, hook, eager
):
    failed = fail_a_deployment(settings)
    reader = as_user(alice)
    (before,) = feed_entries(reader)
    updated_before = before.find(f"{ATOM}updated").text
    hook.requests.clear()

    response = as_user(engineer).post(
        f"/status/incidents/{failed.incident.pk}/updates/",
        {"state": "identified", "text": "A bad <feature> flag & a rollback under way"},
    )
    update = IncidentUpdate.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"#update-{update.pk}")
    assert (update.author, update.state) == ("erin", "identified")
    record = Activity.objects.get(object_kind="incident update")
    assert (record.actor, record.action, record.object_id) == ("erin", Activity.CREATED, str(update.pk))
    # It also acknowledged the incident: someone is evidently on it.
    assert Incident.objects.get(pk=failed.incident.pk).acknowledged_by == "erin"

    # The status page lists it under the incident, escaped, and links to the incident page.
    page = reader.get("/status/").content.decode()
    item = re.search(r'<li id="incident-\d+".*?</li>', page, re.S).group(0)
    assert f'href="/status/incidents/{failed.incident.pk}/"' in item
    assert "A bad &lt;feature&gt; flag &amp; a rollback under way" in item and "erin" in item
    # The incident page's timeline.
    detail = reader.get(f"/status/incidents/{failed.incident.pk}/").content.decode()
    assert 'data-kind="update"' in detail and "Identified" in detail and "A bad &lt;feature&gt; flag" in detail
    # status.json.
    (listed,) = reader.get("/status.json").json()["incidents"]
    assert listed["latest_update"]["text"] == "A bad <feature> flag & a rollback under way"
    assert (listed["latest_update"]["author"], listed["acknowledged_by"]) == ("erin", "erin")
    # The feed: the same entry, updated, its title and summary carrying the update.
    (after,) = feed_entries(reader)
    assert after.find(f"{ATOM}id").text == before.find(f"{ATOM}id").text
    assert after.find(f"{ATOM}updated").text > updated_before
    assert after.find(f"{ATOM}title").text == "fraud-api is failed — Identified"
    assert "A bad &lt;feature&gt; flag &amp; a rollback under way" in after.find(f"{ATOM}summary").text
    # The webhook receiver heard it, by names.
    (told,) = [json.loads(r.body)["text"] for r in hook.requests]
    assert told == (
        f"{HEADLINE} — Identified (erin): A bad &lt;feature&gt; flag &amp; a rollback under way"
    )  # Slack-escaped by the sender


def test_a_resolved_update_does_not_close_the_incident(upstream_url, settings, engineer, alice):
    failed = fail_a_deployment(settings)
    as_user(engineer).post(f"/status/incidents/{failed.incident.pk}/updates/", {"state": "resolved", "text": "fixed"})
    assert Incident.objects.get(pk=failed.incident.pk).ended_at is None
    (listed,) = as_user(alice).get("/status.json").json()["incidents"]
    assert listed["ongoing"] is True and listed["latest_update"]["state"] == "resolved"
    # The poller's confirmed recovery closes it.
    services.deployment_update(deployment_id=failed.deployment.id, status="deploying")  # a redeploy
    assert poller.poll(force=True).polled
    closed = Incident.objects.get(pk=failed.incident.pk)
    assert closed.ended_at is not None and closed.recovered_to in ("deploying", "active")
    page = as_user(alice).get(f"/status/incidents/{failed.incident.pk}/").content.decode()
    kinds = re.findall(r'data-kind="(\w+)"', page)
    assert kinds == ["opened", "acknowledged", "update", "recovered"]


# --- the promotion before it ------------------------------------------------------------------


def test_a_promotion_just_before_is_linked_from_the_incident(upstream_url, settings, alice):
    failed = fail_a_deployment(settings, promoted_ago=timedelta(minutes=12))
    assert failed.incident.promotion_entry_id == failed.entry.pk
    page = as_user(alice).get(f"/status/incidents/{failed.incident.pk}/").content.decode()
    link = re.search(r'data-testid="incident-promotion"><a href="([^"]+)">([^<]+)</a>', page)
    assert link.group(2) == "started 12 min after 3.1.0 was promoted to production by alice"
    href = link.group(1).replace("&amp;", "&")
    day = failed.entry.created_at.date().isoformat()
    assert href == "/audit/?" + urlencode(
        {"model": failed.model.id, "record": PROMOTIONS, "event": "applied", "date_from": day, "date_to": day}
    )
    # The link finds that very entry in the audit trail.
    audit = as_user(alice).get(href)
    assert audit.status_code == 200
    assert audit.content.decode().count('data-testid="audit-row"') == 1


def test_a_promotion_outside_the_window_or_not_applied_is_not_linked(upstream_url, settings, alice):
    settings.POND_STATUS_PROMOTION_WINDOW = 3600
    failed = fail_a_deployment(settings, promoted_ago=timedelta(hours=2))
    assert failed.incident.promotion_entry_id is None
    page = as_user(alice).get(f"/status/incidents/{failed.incident.pk}/").content.decode()
    assert "incident-promotion" not in page and "was promoted" not in page


def test_a_request_is_not_a_promotion(upstream_url, settings):
    failed = fail_a_deployment(settings, promoted_ago=timedelta(minutes=5), kind=LedgerEntry.REQUEST)
    assert failed.incident.promotion_entry_id is None


# --- hostile ids ----------------------------------------------------------------------------


def test_a_thousand_character_id_with_slashes_and_hashes_does_not_break_the_incident_page(db, alice, settings):
    hostile = ("fraud/../?x=1#frag <b>" * 50)[:1000]
    entry = LedgerEntry.objects.create(
        created_at=timezone.now() - timedelta(minutes=3), kind=LedgerEntry.APPLY, actor="alice",
        model_id=hostile[:255], version_id=hostile[:255], version_label=hostile[:255], to_status="production",
        outcome=LedgerEntry.POND,
    )  # fmt: skip
    incident = Incident.objects.create(
        deployment_id=hostile, deployment_name=hostile[:300], model_id=hostile, model_name=hostile[:300],
        version_id=hostile, version_label=hostile[:300], status="failed", started_at=timezone.now(),
        opened_by_sequence=1, promotion_entry_id=entry.pk,
    )  # fmt: skip
    document.publish()
    client = as_user(alice)
    response = client.get(f"/status/incidents/{incident.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<b>" not in page and "fraud/../?x=1#frag &lt;b&gt;" in page
    href = re.search(r'data-testid="incident-promotion"><a href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert "#" not in href and urlencode({"model": hostile[:255]}) in href
    assert client.get(href).status_code == 200
    status_page = client.get("/status/").content.decode()
    assert f'href="/status/incidents/{incident.pk}/"' in status_page and "<b>" not in status_page
    assert client.get("/status/feed.atom").status_code == 200


def test_a_json_subscription_gets_the_update_as_an_event_with_ids_and_names(upstream_url, settings, engineer):
    failed = fail_a_deployment(settings)
    subscription = StatusSubscription.objects.create(
        label="pager", format=StatusSubscription.JSON, url="https://hooks.example/pager",
        scope=StatusSubscription.MODEL, target_id=failed.model.id, created_by="erin", created_at=timezone.now(),
    )  # fmt: skip
    as_user(engineer).post(f"/status/incidents/{failed.incident.pk}/acknowledge/")
    as_user(engineer).post(
        f"/status/incidents/{failed.incident.pk}/updates/", {"state": "monitoring", "text": "rolled back"}
    )
    events = [
        row.payload["event"]
        for row in OutboxMessage.objects.filter(subscription=subscription.key).order_by("id")
    ]
    assert [e["type"] for e in events] == ["incident_acknowledged", "incident_update"]
    update = events[1]
    assert (update["model_id"], update["model_name"]) == (failed.model.id, "fraud-detector")
    assert (update["version_id"], update["version_label"]) == (failed.version.id, "3.1.0")
    assert (update["deployment_id"], update["deployment_name"]) == (failed.deployment.id, "fraud-api")
    assert {k: update["update"][k] for k in ("state", "text", "author")} == {
        "state": "monitoring",
        "text": "rolled back",
        "author": "erin",
    }
