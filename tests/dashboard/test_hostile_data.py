"""Upstream data full of hostile strings is shown escaped, and `javascript:`
endpoint URLs are never clickable."""

from __future__ import annotations

import pytest

from tests.dashboard.fake_upstream import PAGES, serve_world, simple_world
from tests.support.faultserver import FaultServer

pytestmark = pytest.mark.django_db(transaction=True)

XSS = '<script>alert("x")</script>'
QUOTES = "\"'><img src=x onerror=alert(1)>"
LONG = "L" * 5000
UNICODE = "模型 🚀 Ωmega \u202eevil"
JS_URL = "javascript:alert(document.cookie)"


def hostile_world() -> dict:
    world = simple_world(name=XSS + QUOTES + UNICODE, endpoint=JS_URL)
    model = world["models"][0]
    model.update(description=XSS + LONG, framework=QUOTES, task_type=UNICODE, tags=[XSS, QUOTES, "javascript:x"], latest_version=XSS)
    for v in world["versions"]["mdl_1"]:
        v.update(version=XSS + v["version"], description=QUOTES, artifact_path=JS_URL, status="<b>weird</b>",
                 metrics={XSS: 1.0, "accuracy": 0.9}, parameters={QUOTES: XSS, "lr": LONG})
    for e in world["experiments"]:
        e.update(name=XSS + e["name"], description=QUOTES, parameters={XSS: QUOTES}, metrics={QUOTES: 2.0})
    dep = world["deployments"][0]
    dep.update(name=XSS + QUOTES, status="<i>odd</i>")
    world["deployments"].append(dict(dep, id="dep_2", name="data-url", endpoint_url="data:text/html,<script>alert(1)</script>"))
    world["deployments"].append(dict(dep, id="dep_3", name="spaced", endpoint_url="  javascript:alert(2)"))
    return world


@pytest.fixture
def hostile(settings):
    with FaultServer() as server:
        serve_world(server, **hostile_world())
        settings.JFROG_ML_URL = server.url
        yield server


def test_every_page_shows_hostile_strings_escaped(client_for, hostile):
    client = client_for("dave")
    for url in PAGES:
        if "format=csv" in url:
            continue
        resp = client.get(url)
        body = resp.content.decode()
        assert resp.status_code == 200, url
        assert XSS not in body, url
        assert "<img src=x" not in body, url
        assert "<b>weird</b>" not in body and "<i>odd</i>" not in body, url
        assert 'href="javascript:' not in body.lower(), url
        assert 'href="data:' not in body.lower(), url
        assert "onerror=alert" not in body or "onerror=alert(1)&gt;" in body, url


def test_the_hostile_names_are_still_shown_as_text(client_for, hostile):
    body = client_for("alice").get("/models/mdl_1/").content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body
    assert "模型 🚀 Ωmega" in body


def test_a_javascript_endpoint_is_shown_as_text_not_a_link(client_for, hostile):
    client = client_for("alice")
    body = client.get("/deployments/dep_1/").content.decode()
    assert 'data-testid="endpoint-text"' in body
    assert 'data-testid="endpoint-link"' not in body
    assert "javascript:alert(document.cookie)" in body
    listing = client.get("/deployments/").content.decode()
    assert "href=\"javascript" not in listing.lower() and "href=\"  javascript" not in listing.lower()


def test_a_normal_https_endpoint_is_a_link(client_for, settings):
    with FaultServer() as server:
        serve_world(server, **simple_world())
        settings.JFROG_ML_URL = server.url
        body = client_for("alice").get("/deployments/dep_1/").content.decode()
    assert '<a class="mono" href="https://ok.example/v1/predict" rel="noopener noreferrer" data-testid="endpoint-link">' in body


def test_the_status_json_carries_hostile_statuses_as_data(client_for, hostile):
    payload = client_for("alice").get("/deployments/status.json").json()
    assert payload["deployments"]["dep_1"] == {"status": "<i>odd</i>", "css": "unknown"}
