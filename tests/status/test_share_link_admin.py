"""Administering share links: a new link's addresses come with copy buttons, revoking
asks for confirmation first (plain HTML, no JavaScript needed), and each link shows
when it was last used (recorded at most once a minute per link)."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.status.conftest import observe_poll
from webui.activity.models import Activity
from webui.status.access import LAST_USED_EVERY, share_link_create, share_link_used
from webui.status.models import ShareLink

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private(settings):
    settings.POND_STATUS_PUBLIC = False
    observe_poll({"d1": "active"}, at=timezone.now())


def _copy_fields(body: str) -> dict[str, str]:
    """{label: value} of every copyable text that has a copy button."""
    fields = {}
    for field_id, label in re.findall(r'<label for="([^"]+)">([^<]+)</label>', body):
        value = re.search(rf'id="{re.escape(field_id)}" value="([^"]*)"', body)
        button = re.search(rf'<button type="button"[^>]* data-copy="{re.escape(field_id)}"', body)
        if value and button:
            fields[unescape(label)] = unescape(value.group(1))
    return fields


def test_a_new_links_addresses_each_come_with_a_copy_button_and_work(client, alice):
    client.force_login(alice)
    response = client.post("/status/share-links/", {"label": "wall screen"})
    assert response.status_code == 201
    body = response.content.decode()
    fields = _copy_fields(body)
    assert set(fields) == {
        "Link to the status page",
        "Atom feed of incidents",
        "status.json",
        "Overall badge",
    }
    token = fields["Link to the status page"].rstrip("/").rsplit("/", 1)[1]
    assert all(f"/status/s/{token}/" in url for url in fields.values())
    assert 'aria-live="polite"' in body and "/static/status/copy.js" in body
    assert response["Cache-Control"] == "no-store"  # the token is in this page
    for label, url in fields.items():
        answer = Client().get(url.removeprefix("http://testserver"))
        assert answer.status_code == (302 if label == "Link to the status page" else 200), label


def test_the_list_has_no_one_click_revoke_only_a_link_to_the_confirmation(client, alice):
    link, _ = share_link_create(label="customer")
    client.force_login(alice)
    body = client.get("/status/share-links/").content.decode()
    assert f'href="/status/share-links/{link.pk}/revoke/"' in body
    assert f'action="/status/share-links/{link.pk}/revoke/"' not in body


def test_revoking_asks_first_and_a_post_without_the_confirmation_revokes_nothing(alice):
    link, token = share_link_create(label="customer")
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    page = client.get(f"/status/share-links/{link.pk}/revoke/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "customer" in body and "at once" in body
    assert re.search(r'<button type="submit"[^>]*name="confirm" value="yes"', body)
    csrf = page.cookies["csrftoken"].value
    refused = client.post(f"/status/share-links/{link.pk}/revoke/", {"csrfmiddlewaretoken": csrf})
    assert refused.status_code == 400 and b"confirm:" in refused.content
    refused = client.post(
        f"/status/share-links/{link.pk}/revoke/", {"csrfmiddlewaretoken": csrf, "confirm": "on"}
    )
    assert refused.status_code == 400
    link.refresh_from_db()
    assert link.revoked_at is None
    assert Client().get(f"/status/s/{token}/status.json").status_code == 200

    done = client.post(
        f"/status/share-links/{link.pk}/revoke/", {"csrfmiddlewaretoken": csrf, "confirm": "yes"}
    )
    assert done.status_code == 302 and done["Location"] == "/status/share-links/"
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert Client().get(f"/status/s/{token}/status.json").status_code == 403  # at once
    assert Activity.objects.filter(action=Activity.REVOKED, object_name="customer").count() == 1
    listing = client.get("/status/share-links/").content.decode()
    assert "Revoked “customer”" in listing


def test_the_confirmed_revoke_needs_the_csrf_token(alice):
    link, _ = share_link_create(label="customer")
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert (
        client.post(f"/status/share-links/{link.pk}/revoke/", {"confirm": "yes"}).status_code == 403
    )
    link.refresh_from_db()
    assert link.revoked_at is None


def test_confirming_twice_revokes_once(client, alice):
    link, _ = share_link_create(label="customer")
    client.force_login(alice)
    for _ in range(2):
        assert (
            client.post(f"/status/share-links/{link.pk}/revoke/", {"confirm": "yes"}).status_code
            == 302
        )
    assert Activity.objects.filter(action=Activity.REVOKED).count() == 1
    page = client.get(f"/status/share-links/{link.pk}/revoke/").content.decode()
    assert "already revoked" in page and 'name="confirm"' not in page


def test_a_link_never_used_says_never(client, alice):
    share_link_create(label="unused")
    client.force_login(alice)
    body = client.get("/status/share-links/").content.decode()
    assert re.search(r'data-testid="last-used">never<', body)


@pytest.mark.parametrize(
    "use",
    ["page link", "document path", "share parameter", "browser session"],
)
def test_each_way_of_using_a_link_records_when_it_was_used(alice, use):
    link, token = share_link_create(label="partner")
    holder = Client()
    if use == "browser session":
        holder.get(f"/status/s/{token}/")
        ShareLink.objects.filter(pk=link.pk).update(last_used_at=None)
        holder.get("/status.json")
    elif use == "page link":
        holder.get(f"/status/s/{token}/")
    elif use == "document path":
        holder.get(f"/status/s/{token}/badge.svg")
    else:
        holder.get(f"/status.json?share={token}")
    link.refresh_from_db()
    assert link.last_used_at is not None
    assert timezone.now() - link.last_used_at < timedelta(seconds=30)
    admin = Client()
    admin.force_login(alice)
    body = admin.get("/status/share-links/").content.decode()
    assert f'data-testid="last-used"><time datetime="{link.last_used_at:%Y-%m-%d}' in body


def _link_updates(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("UPDATE") and "status_sharelink" in q["sql"]
    ]


def test_use_is_written_at_most_once_a_minute_per_link():
    link, token = share_link_create(label="readme with many badges")
    readme = Client()
    with CaptureQueriesContext(connection) as queries:
        for path in ("badge.svg", "badge/d1.svg", "bar/d1.svg", "status.json", "feed.atom"):
            assert readme.get(f"/status/s/{token}/{path}").status_code == 200
    assert len(_link_updates(queries)) == 1
    link.refresh_from_db()
    first = link.last_used_at

    # A minute later (as if: the recorded use is moved back), the next use is written again.
    ShareLink.objects.filter(pk=link.pk).update(last_used_at=first - LAST_USED_EVERY)
    with CaptureQueriesContext(connection) as queries:
        readme.get(f"/status/s/{token}/badge.svg")
        readme.get(f"/status/s/{token}/badge.svg")
    assert len(_link_updates(queries)) == 1
    link.refresh_from_db()
    assert link.last_used_at >= first


def test_recording_a_use_with_an_injected_clock():
    link, _ = share_link_create(label="clock")
    start = timezone.now()
    share_link_used(link=link, now=start)
    for seconds in (1, 30, 59):
        share_link_used(
            link=ShareLink.objects.get(pk=link.pk), now=start + timedelta(seconds=seconds)
        )
        assert ShareLink.objects.get(pk=link.pk).last_used_at == start
    share_link_used(link=ShareLink.objects.get(pk=link.pk), now=start + timedelta(seconds=60))
    assert ShareLink.objects.get(pk=link.pk).last_used_at == start + timedelta(seconds=60)
    # A stale copy of the row (another request read it a minute ago) does not write twice.
    stale = ShareLink.objects.get(pk=link.pk)
    stale.last_used_at = start
    share_link_used(link=stale, now=start + timedelta(seconds=61))
    assert ShareLink.objects.get(pk=link.pk).last_used_at == start + timedelta(seconds=60)


def test_a_revoked_or_made_up_token_records_nothing():
    link, token = share_link_create(label="gone")
    ShareLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now())
    Client().get(f"/status/s/{token}/badge.svg")
    Client().get(f"/status/s/{token}/")
    link.refresh_from_db()
    assert link.last_used_at is None
