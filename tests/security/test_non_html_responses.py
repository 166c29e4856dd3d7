"""Every byte a browser may render that is not a page — SVG badges and bars, the Atom
feed, JSON, error responses — is escaped for its format and carries a policy that
runs nothing (issue: a deployment named `" onload="…` broke out of a badge's
aria-label, and the SVG had no Content-Security-Policy, so opening the badge ran it).

Hostile deployment names, statuses and ids go in through the poller's own
recording path; each response is parsed as what it claims to be.
"""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import quote
from xml.etree import ElementTree

import pytest
from django.test import Client
from django.utils import timezone

from tests.status.conftest import observe_poll
from webui.core.middleware import CONTENT_SECURITY_POLICY, DOCUMENT_SECURITY_POLICY

pytestmark = pytest.mark.django_db

BREAKOUT = '" onload="document.documentElement.setAttribute(\'data-ran\',\'1\')" y="'
HOSTILE_NAMES = [BREAKOUT, "<script>alert(1)</script>", "it's & <b>bold</b>", "'><img src=x onerror=alert(1)>"]
HOSTILE_STATUS = 'active" onmouseover="alert(1)'
HOSTILE_ID = "dep-\"'<x>&;"


@pytest.fixture(autouse=True)
def _status_cache(redis_cache):
    return redis_cache


@pytest.fixture
def hostile_status(db):
    deployments = [(f"d{i}", "failed", name) for i, name in enumerate(HOSTILE_NAMES)]
    deployments.append((HOSTILE_ID, HOSTILE_STATUS, BREAKOUT))
    statuses = {d: s for d, s, _ in deployments}
    names = {d: n for d, _, n in deployments}
    now = timezone.now()
    for at in (now - timedelta(seconds=2), now - timedelta(seconds=1)):  # confirmed: incidents open
        observe_poll(statuses, at=at, model_id='m<1>"', names=names)
    return deployments


@pytest.fixture
def superuser_client(django_user_model) -> Client:
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("sue", "sue@example.com", "pw-sue-123456"))
    return client


def _assert_document_headers(resp) -> None:
    assert resp["Content-Security-Policy"] == DOCUMENT_SECURITY_POLICY, resp.get("Content-Security-Policy")
    assert "script-src" not in resp["Content-Security-Policy"]
    assert resp["X-Content-Type-Options"] == "nosniff"


def _html_parts(html: str) -> tuple[set[tuple[str, tuple]], str]:
    """The (tag, attributes) an HTML reader would build from `html`, and its text."""
    from html.parser import HTMLParser

    class Parts(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.tags: set[tuple[str, tuple]] = set()
            self.text: list[str] = []

        def handle_starttag(self, tag, attrs):
            self.tags.add((tag, tuple(attrs)))

        def handle_data(self, data):
            self.text.append(data)

    parts = Parts()
    parts.feed(html)
    parts.close()
    return parts.tags, "".join(parts.text)


def _no_event_handlers(root: ElementTree.Element) -> None:
    for element in root.iter():
        handlers = [name for name in element.attrib if name.lower().startswith("on")]
        assert not handlers, (element.tag, element.attrib)
        assert not element.tag.endswith("script"), element.tag


def test_badges_and_bars_escape_names_statuses_and_ids_and_run_nothing(hostile_status, superuser_client):
    for deployment_id, status, name in hostile_status:
        for kind in ("badge", "bar"):
            resp = superuser_client.get(f"/status/{kind}/{quote(deployment_id, safe='')}.svg")
            assert resp.status_code == 200, (kind, deployment_id, resp.content[:300])
            assert resp["Content-Type"].startswith("image/svg+xml")
            _assert_document_headers(resp)
            root = ElementTree.fromstring(resp.content)  # well-formed: nothing broke out
            _no_event_handlers(root)
            label = root.attrib["aria-label"]
            assert label.startswith(name), (label, name)  # the whole name, as text
            if kind == "badge":
                assert status in label  # the hostile status too, as text


def test_the_atom_feed_escapes_twice_where_readers_render_html(hostile_status, superuser_client):
    resp = superuser_client.get("/status/feed.atom")
    assert resp.status_code == 200
    _assert_document_headers(resp)
    root = ElementTree.fromstring(resp.content)
    _no_event_handlers(root)
    ns = {"atom": "http://www.w3.org/2005/Atom"}
    entries = root.findall("atom:entry", ns)
    assert len(entries) == len(HOSTILE_NAMES)
    titles = {entry.find("atom:title", ns).text for entry in entries}
    for name in HOSTILE_NAMES:
        assert any(title.startswith(name) for title in titles), (name, titles)
    for entry in entries:
        summary = entry.find("atom:summary", ns)
        assert summary.attrib.get("type") == "html"
        # What a feed reader renders as HTML: Pond's own <p> and <strong>, without
        # attributes, and no tag of the upstream's; its names arrive as text.
        tags, text = _html_parts(summary.text)
        assert tags <= {("p", ()), ("strong", ())}, (tags, summary.text)
        assert any(name in text for name in HOSTILE_NAMES), text


def test_status_json_is_json_with_the_names_intact_and_a_policy_that_runs_nothing(hostile_status, superuser_client):
    resp = superuser_client.get("/status.json")
    assert resp.status_code == 200
    _assert_document_headers(resp)
    names = {d["name"] for d in json.loads(resp.content)["deployments"]}
    assert set(HOSTILE_NAMES) <= names


def test_error_responses_that_are_not_pages_carry_the_document_policy(superuser_client, redis_cache):
    resp = superuser_client.get("/status/badge/no-such-deployment.svg")
    assert resp.status_code == 404 and resp["Content-Type"].startswith("image/svg+xml")
    _assert_document_headers(resp)
    plain = superuser_client.get("/status/?page=x")  # a 400 in text/plain
    assert plain.status_code == 400
    _assert_document_headers(plain)


def test_responses_made_by_middleware_carry_a_policy_too(client, settings):
    # A refused Host is answered by the middleware before any view.
    refused = client.get("/", HTTP_HOST="evil.example.com")
    assert refused.status_code == 400
    assert refused.get("Content-Security-Policy") in (CONTENT_SECURITY_POLICY, DOCUMENT_SECURITY_POLICY)
    # A CSRF failure.
    csrf = Client(enforce_csrf_checks=True).post("/accounts/login/", {"username": "x", "password": "y"})
    assert csrf.status_code == 403
    assert csrf["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
