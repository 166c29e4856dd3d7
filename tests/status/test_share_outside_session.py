"""Everything shareable works outside the session: a share link's token in the path of
status.json, the Atom feed, every badge (overall, per model, per deployment) and the
bars, read-only and without a cookie; a revoked token is refused at once; with
POND_STATUS_PUBLIC on, none of it needs anything. Tokens in these paths stay out of
the logs."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from webui.core.logging_redaction import redact_share_tokens
from webui.core.middleware import DOCUMENT_SECURITY_POLICY
from webui.status import document
from webui.status.access import share_link_create, share_link_revoke
from webui.status.poller import Observation, record_observations, record_success

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"

# Path under /status/s/<token>/ -> (the same document's own URL, its content type).
DOCUMENTS = {
    "status.json": ("/status.json", "application/json"),
    "feed.atom": ("/status/feed.atom", "application/atom+xml"),
    "badge.svg": ("/status/badge.svg", "image/svg+xml"),
    "badge/model/m-api.svg": ("/status/badge/model/m-api.svg", "image/svg+xml"),
    "badge/d-api-1.svg": ("/status/badge/d-api-1.svg", "image/svg+xml"),
    "bar/d-api-1.svg": ("/status/bar/d-api-1.svg", "image/svg+xml"),
}


def poll_twice(rows: list[Observation]) -> None:
    """Two polls seeing `rows`, so that their statuses are confirmed, then publish."""
    now = timezone.now()
    for at in (now - timedelta(seconds=2), now - timedelta(seconds=1)):
        record_observations(rows, now=at)
        record_success(now=at, cycle_seconds=0.01)
    document.publish(now=now - timedelta(seconds=1))


@pytest.fixture(autouse=True)
def _world(settings):
    settings.POND_STATUS_PUBLIC = False
    settings.POND_STATUS_CONFIRMATIONS = 2
    poll_twice(
        [
            Observation("d-api-1", "active", name="api-eu", model_id="m-api", version_id="v1"),
            Observation("d-api-2", "failed", name="api-us", model_id="m-api", version_id="v1"),
            Observation("d-batch", "active", name="batch", model_id="m-batch", version_id="v2"),
        ]
    )


def _check_document(path: str, response) -> None:
    """The answer is what it claims to be, escaped for its format, with a policy that runs nothing."""
    assert response.status_code == 200, (path, response.status_code, response.content[:200])
    assert response["Content-Type"].startswith(DOCUMENTS[path][1])
    assert response["Content-Security-Policy"] == DOCUMENT_SECURITY_POLICY
    assert response["X-Content-Type-Options"] == "nosniff"
    if path == "status.json":
        body = json.loads(response.content)
        assert {d["id"] for d in body["deployments"]} == {"d-api-1", "d-api-2", "d-batch"}
    else:
        root = ElementTree.fromstring(response.content)  # well-formed
        assert root.tag in (f"{ATOM}feed", "{http://www.w3.org/2000/svg}svg")


@pytest.mark.parametrize("path", DOCUMENTS)
def test_a_share_token_in_the_path_opens_each_document_with_no_cookie_and_sets_none(path):
    _, token = share_link_create(label="wall screen")
    response = Client().get(f"/status/s/{token}/{path}")
    _check_document(path, response)
    assert not response.cookies  # read-only: no session, nothing kept
    # Behind a share link: never in a shared cache, which would outlive a revocation.
    assert response["Cache-Control"].startswith("private")


def test_each_badge_with_a_token_shows_what_it_is_for():
    _, token = share_link_create(label="readme")
    client = Client()

    def text(path: str) -> str:
        return ElementTree.fromstring(client.get(f"/status/s/{token}/{path}").content).attrib[
            "aria-label"
        ]

    assert text("badge/d-api-1.svg") == "api-eu: active"
    assert text("badge/d-api-2.svg") == "api-us: failed"
    assert text("badge/model/m-api.svg") == "m-api: 1 of 2 failed"  # its worst deployment
    assert text("badge/model/m-batch.svg") == "m-batch: active"
    assert text("badge.svg") == "deployments: 1 of 3 failed"  # the worst over everything


def test_the_shared_feed_links_back_through_the_share_link():
    _, token = share_link_create(label="feed reader")
    poll_twice([Observation("d-api-1", "failed", name="api-eu", model_id="m-api")])  # an incident
    root = ElementTree.fromstring(Client().get(f"/status/s/{token}/feed.atom").content)
    links = [link.attrib["href"] for link in root.iter(f"{ATOM}link")]
    assert links and all(f"/status/s/{token}/" in href for href in links), links
    assert root.findall(f"{ATOM}entry")


@pytest.mark.parametrize("path", DOCUMENTS)
def test_a_revoked_token_is_refused_at_once_on_each_document(path):
    link, token = share_link_create(label="customer")
    client = Client()
    assert client.get(f"/status/s/{token}/{path}").status_code == 200
    share_link_revoke(link_id=link.pk)
    response = client.get(f"/status/s/{token}/{path}")
    assert response.status_code == 403
    assert response.content.startswith(b"share:") and b"api-eu" not in response.content
    assert response["Cache-Control"] == "no-store"


def test_a_link_revoked_behind_ponds_back_is_refused_at_once_in_the_path_and_in_a_browser():
    """Revoked by another process, by SQL, by a restore: nothing in this process is told.
    A browser that opened the link was let in on a cached "still active" for 30 s."""
    link, token = share_link_create(label="wall screen")
    browser = Client()
    browser.get(f"/status/s/{token}/")
    for url in ("/status/", "/status.json", "/status/badge.svg", f"/status/s/{token}/status.json"):
        assert browser.get(url).status_code == 200, url
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE status_sharelink SET revoked_at = %s WHERE id = %s", [timezone.now(), link.pk]
        )
    assert browser.get("/status/").status_code == 302  # to the login form
    for url in (
        "/status.json",
        "/status/badge.svg",
        "/status/feed.atom",
        "/status/bar/d-api-1.svg",
    ):
        assert browser.get(url).status_code == 403, url
    assert Client().get(f"/status/s/{token}/badge/model/m-api.svg").status_code == 403


@pytest.mark.parametrize("path", DOCUMENTS)
def test_a_made_up_token_is_refused_on_each_document(path):
    share_link_create(label="real")
    response = Client().get(f"/status/s/not-a-real-token/{path}")
    assert response.status_code == 403 and response.content.startswith(b"share:")


@pytest.mark.parametrize("path", DOCUMENTS)
def test_without_a_token_or_login_each_document_is_refused(path):
    assert Client().get(DOCUMENTS[path][0]).status_code == 403


@pytest.mark.parametrize("path", DOCUMENTS)
def test_a_public_status_page_needs_nothing_for_each_document(settings, path):
    settings.POND_STATUS_PUBLIC = True
    response = Client().get(DOCUMENTS[path][0])
    _check_document(path, response)
    assert response["Cache-Control"].startswith("public")


def test_a_public_status_page_still_refuses_a_revoked_token_at_once(settings):
    settings.POND_STATUS_PUBLIC = True
    link, token = share_link_create(label="old readme")
    assert Client().get(f"/status/s/{token}/badge.svg").status_code == 200
    share_link_revoke(link_id=link.pk)
    assert Client().get(f"/status/s/{token}/badge.svg").status_code == 403
    assert Client().get("/status/badge.svg").status_code == 200  # the public URL, as ever


def test_an_unknown_model_or_deployment_badge_is_a_404_image_with_a_token():
    _, token = share_link_create(label="readme")
    for path in ("badge/model/no-such-model.svg", "badge/no-such-deployment.svg"):
        response = Client().get(f"/status/s/{token}/{path}")
        assert response.status_code == 404 and response["Content-Type"].startswith("image/svg+xml")
        assert "not found" in ElementTree.fromstring(response.content).attrib["aria-label"]


def test_a_model_id_with_slashes_and_dots_has_its_badge_through_the_upstream_id_converter():
    from django.urls import reverse

    poll_twice([Observation("d-odd", "active", name="odd", model_id="team/models/../a b?#")])
    _, token = share_link_create(label="readme")
    url = reverse("status_model_badge_shared", args=[token, "team/models/../a b?#"])
    response = Client().get(url)
    assert response.status_code == 200
    assert (
        ElementTree.fromstring(response.content).attrib["aria-label"]
        == "team/models/../a b?#: active"
    )


@pytest.mark.parametrize(
    "path",
    [
        "status.json",
        "feed.atom",
        "badge.svg",
        "badge/model/m-api.svg",
        "badge/d-api-1.svg",
        "bar/d-api-1.svg",
        "badge/model/m%252Fapi.svg?style=flat-square&label=x",
    ],
)
def test_a_token_in_any_document_path_is_kept_out_of_the_logs(path, caplog):
    _, token = share_link_create(label="logs")
    for line in (
        f'"GET /status/s/{token}/{path} HTTP/1.1" 403',
        f"/accounts/login/?next=%2Fstatus%2Fs%2F{token}%2F{path}",
    ):
        redacted = redact_share_tokens(line)
        assert token not in redacted and "<redacted>" in redacted, redacted
    with caplog.at_level(logging.WARNING, logger="django.request"):
        Client().get(f"/status/s/{token}x/{path}")  # refused: Django logs the path
    assert "Forbidden: /status/s/<redacted>/" in caplog.text
    assert token not in caplog.text
