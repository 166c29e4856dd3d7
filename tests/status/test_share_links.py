"""Who sees the status page: public setting, logins, and share links (scope and revocation)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from tests.status.conftest import observe_poll
from webui.status import snapshot
from webui.status.access import share_link_create, share_link_revoke
from webui.status.models import ShareLink

pytestmark = pytest.mark.django_db

STATUS_URLS = [
    "/status/",
    "/status.json",
    "/status/badge/d1.svg",
    "/status/feed.atom",
    "/status/bar/d1.svg",
]


@pytest.fixture(autouse=True)
def _private(settings):
    settings.POND_STATUS_PUBLIC = False
    observe_poll({"d1": "active"}, at=timezone.now())


@pytest.mark.parametrize("url", STATUS_URLS)
def test_anonymous_visitors_cannot_see_a_private_status_page(client, url):
    response = client.get(url)
    assert response.status_code in (302, 403)
    assert b"d1-name" not in response.content


def test_anonymous_visitors_are_sent_to_the_login_form(client):
    response = client.get("/status/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/status/")


@pytest.mark.parametrize("url", STATUS_URLS)
def test_everyone_sees_a_public_status_page(client, settings, url):
    settings.POND_STATUS_PUBLIC = True
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", STATUS_URLS)
def test_logged_in_users_see_it(client, bob, url):
    client.force_login(bob)
    assert client.get(url).status_code == 200


def test_a_share_link_opens_the_status_page_and_drops_the_token_from_the_address(client):
    _, token = share_link_create(label="customer")
    response = client.get(f"/status/s/{token}/")
    assert response.status_code == 302 and response["Location"] == "/status/"
    page = client.get("/status/")
    assert page.status_code == 200 and b"d1-name" in page.content
    # No application navigation for a share-link visitor.
    assert b"Back to Pond" not in page.content and b"/models/" not in page.content


def test_a_share_query_parameter_works_too_and_is_moved_into_the_session(client):
    _, token = share_link_create(label="customer")
    response = client.get(f"/status/?share={token}&page=1")
    assert response.status_code == 303 and response["Location"] == "/status/?page=1"
    assert client.get("/status/?page=1").status_code == 200


@pytest.mark.parametrize("url", STATUS_URLS[1:])
def test_machine_urls_accept_the_token_directly(url):
    _, token = share_link_create(label="readme badge")
    response = Client().get(f"{url}?share={token}")
    assert response.status_code == 200


@pytest.mark.parametrize("url", STATUS_URLS)
def test_a_share_link_session_opens_every_status_url(client, url):
    _, token = share_link_create(label="customer")
    client.get(f"/status/s/{token}/")
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "url",
    ["/models/", "/", "/deployments/", "/experiments/", "/admin/", "/status/share-links/"],
)
def test_a_share_link_grants_nothing_outside_the_status_pages(client, url):
    _, token = share_link_create(label="customer")
    client.get(f"/status/s/{token}/")
    response = client.get(url)
    assert response.status_code in (302, 403, 404)
    if response.status_code == 302:
        assert "login" in response["Location"]


def test_a_share_link_does_not_open_the_embedded_registry_api(client, settings):
    _, token = share_link_create(label="customer")
    client.get(f"/status/s/{token}/")
    for url in ("/ml/api/v1/models", f"/ml/api/v1/deployments?share={token}"):
        response = client.get(url)
        assert response.status_code in (401, 403, 404), url
        assert b"d1" not in response.content


def test_a_revoked_link_stops_working_at_once_even_mid_session(client):
    link, token = share_link_create(label="customer")
    client.get(f"/status/s/{token}/")
    assert client.get("/status/").status_code == 200
    share_link_revoke(link_id=link.pk)
    assert client.get("/status/").status_code == 302
    assert client.get("/status.json").status_code == 403
    assert Client().get(f"/status.json?share={token}").status_code == 403
    response = Client().get(f"/status/s/{token}/")
    assert response.status_code == 403 and b"revoked" in response.content


def test_a_made_up_token_is_refused_naming_the_share_parameter():
    response = Client().get("/status.json?share=not-a-real-token")
    assert response.status_code == 403
    assert response.content.startswith(b"share:")


def test_only_a_hash_of_the_token_is_stored():
    link, token = share_link_create(label="customer")
    stored = ShareLink.objects.get(pk=link.pk)
    assert token not in stored.token_hash and stored.token_hash == ShareLink.hash_token(token)


def test_an_admin_creates_a_link_and_sees_its_url_once(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    page = client.get("/status/share-links/")
    assert page.status_code == 200
    csrf = page.cookies["csrftoken"].value
    response = client.post(
        "/status/share-links/", {"label": "Partner team", "csrfmiddlewaretoken": csrf}
    )
    assert response.status_code == 201
    url = re.search(rb'data-testid="share-link-url">([^<]+)<', response.content).group(1).decode()
    assert Client().get(url).status_code == 302
    assert ShareLink.objects.get().label == "Partner team"
    # Listing it again never shows the token.
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert token.encode() not in client.get("/status/share-links/").content


def test_creating_a_link_needs_the_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post("/status/share-links/", {"label": "x"})
    assert response.status_code == 403
    assert ShareLink.objects.count() == 0


def test_it_refuses_a_link_without_a_label_naming_the_field(client, alice):
    client.force_login(alice)
    response = client.post("/status/share-links/", {"label": "  "})
    assert response.status_code == 400
    assert b"label:" in response.content
    assert ShareLink.objects.count() == 0


def test_it_refuses_an_overlong_label(client, alice):
    client.force_login(alice)
    response = client.post("/status/share-links/", {"label": "x" * 201})
    assert response.status_code == 400 and b"label:" in response.content
    assert ShareLink.objects.count() == 0


def test_a_user_with_the_permission_manages_links(client, carol):
    client.force_login(carol)
    assert client.post("/status/share-links/", {"label": "ops"}).status_code == 201
    link = ShareLink.objects.get()
    response = client.post(f"/status/share-links/{link.pk}/revoke/", {"confirm": "yes"})
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.revoked_at is not None


def test_a_plain_user_cannot_create_or_revoke_links(client, bob):
    link, _ = share_link_create(label="customer")
    client.force_login(bob)
    assert client.get("/status/share-links/").status_code == 403
    assert client.post("/status/share-links/", {"label": "mine"}).status_code == 403
    assert client.post(f"/status/share-links/{link.pk}/revoke/").status_code == 403
    assert (
        client.post(f"/status/share-links/{link.pk}/revoke/", {"confirm": "yes"}).status_code == 403
    )
    assert client.get(f"/status/share-links/{link.pk}/revoke/").status_code == 403
    link.refresh_from_db()
    assert link.revoked_at is None and ShareLink.objects.count() == 1


def test_revoking_needs_a_post_and_a_get_only_asks_for_confirmation(client, alice):
    link, _ = share_link_create(label="customer")
    client.force_login(alice)
    response = client.get(f"/status/share-links/{link.pk}/revoke/")
    assert response.status_code == 200 and b'name="confirm"' in response.content
    link.refresh_from_db()
    assert link.revoked_at is None


def test_revoking_an_unknown_link_is_a_404(client, alice):
    client.force_login(alice)
    assert client.post("/status/share-links/999999/revoke/").status_code == 404
    assert client.post("/status/share-links/999999/revoke/", {"confirm": "yes"}).status_code == 404


def test_the_upstream_error_text_is_shown_to_staff_only(client, alice, bob):
    """`"poller_error": "Unauthorized: Invalid token."` reached share-link holders."""
    from webui.status import document
    from webui.status.poller import record_failure

    secret = "Unauthorized: Invalid token for tenant acme-prod."
    record_failure(error=secret, now=timezone.now())
    document.publish()
    _, token = share_link_create(label="customer")
    share = Client()
    share.get(f"/status/s/{token}/")
    signed_in = Client()
    signed_in.force_login(bob)
    for who in (share, signed_in):
        for url in ("/status.json", "/status/", "/status/live/"):
            body = who.get(url).content.decode()
            assert "acme-prod" not in body, url
        assert who.get("/status.json").json()["poller_error"] == snapshot.PUBLIC_POLL_ERROR
    staff = Client()
    staff.force_login(alice)
    assert staff.get("/status.json").json()["poller_error"] == secret


def test_an_admin_cannot_delete_a_share_link_only_revoke_it(client, alice):
    link, token = share_link_create(label="customer")
    client.force_login(alice)
    assert client.get(f"/admin/status/sharelink/{link.pk}/delete/").status_code == 403
    changelist = client.get("/admin/status/sharelink/").content.decode()
    assert "delete_selected" not in changelist and 'value="revoke"' in changelist
    resp = client.post(
        "/admin/status/sharelink/",
        {"action": "delete_selected", "_selected_action": [link.pk], "post": "yes"},
    )
    assert ShareLink.objects.filter(pk=link.pk).exists(), resp.status_code
    # Still on record, and working until revoked.
    assert Client().get(f"/status/s/{token}/").status_code == 302


SHARED_DOCUMENTS = ["status.json", "feed.atom", "badge/d1.svg", "bar/d1.svg"]


@pytest.mark.parametrize("document", SHARED_DOCUMENTS)
def test_a_share_token_in_the_path_opens_each_document_without_a_session_until_revoked(document):
    link, token = share_link_create(label="wall screen")
    response = Client().get(f"/status/s/{token}/{document}")
    assert response.status_code == 200
    assert (b"<feed" if document == "feed.atom" else b"d1") in response.content
    assert "sessionid" not in response.cookies  # read-only: nothing is entered or kept
    share_link_revoke(link_id=link.pk)
    assert Client().get(f"/status/s/{token}/{document}").status_code == 403  # at once
    assert Client().get(f"/status/s/not-a-real-token/{document}").status_code == 403


@pytest.mark.parametrize("document", SHARED_DOCUMENTS)
def test_a_public_status_page_needs_no_token_for_any_document(settings, document):
    settings.POND_STATUS_PUBLIC = True
    path = {"status.json": "/status.json", "feed.atom": "/status/feed.atom"}.get(
        document, f"/status/{document}"
    )
    assert Client().get(path).status_code == 200


def test_a_token_in_a_document_path_is_kept_out_of_the_logs(caplog):
    import logging

    from webui.core.logging_redaction import redact_share_tokens

    _, token = share_link_create(label="feed")
    assert token not in redact_share_tokens(f'"GET /status/s/{token}/feed.atom HTTP/1.1" 200')
    with caplog.at_level(logging.WARNING, logger="django.request"):
        Client().get(f"/status/s/{token}x/feed.atom")  # refused: Django logs the path
    assert token not in caplog.text
