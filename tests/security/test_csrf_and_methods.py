"""CSRF is enforced on every URL that could change state, and a GET changes nothing.

Enumerated from the URLconf (through the matrix's rules): every URL is POSTed to by
an admin (who may do everything) without a CSRF token, and must refuse it without
changing anything. Only the embedded registry is exempt, and it has no session
authentication for a forged request to ride on.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.security.conftest import snapshot
from tests.security.test_url_matrix import ADMIN_URLS, rules
from webui.status.models import ShareLink

pytestmark = pytest.mark.django_db(transaction=True)


def _post_bodies(w: dict[str, str]) -> dict[str, dict[str, str]]:
    """Valid-looking form data, so that only the missing token stops the write."""
    return {
        "/models/new/": {"name": "forged"},
        f"/models/{w['m']}/edit/": {"name": "forged"},
        f"/models/{w['m']}/versions/new/": {"version": "6.6.6"},
        "/experiments/new/": {"name": "forged"},
        f"/deployments/new/?model={w['m']}": {"name": "forged", "model_id": w["m"], "model_version_id": w["v"], "replicas": "1"},
        f"/reviews/{w['review']}/decide": {"decision": "approve", "comment": "forged"},
        f"/reviews/new/{w['m']}/{w['v']}/": {"to_status": "staging", "note": "forged"},
        "/status/share-links/": {"label": "forged"},
        "/status/subscriptions/": {"label": "forged", "format": "json", "url": "https://evil.example/x", "scope": "all"},
        f"/status/subscriptions/{w['subscription']}/disable/": {"confirm": "yes"},
        "/status/maintenance/": {"scope": "deployment", "deployment": w["d"], "starts_at": "2099-01-01 10:00", "ends_at": "2099-01-01 11:00"},
        f"/status/maintenance/{w['maintenance']}/cancel/": {"confirm": "yes"},
        f"/status/incidents/{w['incident']}/acknowledge/": {},
        f"/status/incidents/{w['incident']}/updates/": {"state": "identified", "text": "forged"},
        "/accounts/password_change/": {"old_password": "x", "new_password1": "Forged-pass-123", "new_password2": "Forged-pass-123"},
        "/accounts/login/": {"username": "dave", "password": "correct horse battery staple"},
    }  # fmt: skip


def test_only_the_apis_are_exempt_from_djangos_csrf_check():
    """The registry takes credentials only. Pond's API (DRF) is exempt from Django's
    middleware because DRF checks CSRF itself for a browser session (SessionAuthentication)
    and a token needs none: the POST test below shows a session refused without it."""
    def walk(patterns, prefix: str = ""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern), p.callback

    exempt = [route for route, view in walk(get_resolver().url_patterns) if getattr(view, "csrf_exempt", False)]
    assert exempt, "the registry's DRF views should be csrf-exempt (token auth); is the check broken?"
    assert all(route.startswith(("ml/api/", "api/")) for route in exempt), [
        r for r in exempt if not r.startswith(("ml/api/", "api/"))
    ]


def test_a_post_without_a_csrf_token_is_refused_everywhere_and_changes_nothing(client_as, registry, world):
    before = snapshot(registry)
    client = client_as("admin", enforce_csrf=True)
    bodies = _post_bodies(world)
    urls = [url for url, _ in rules(world).values()] + ADMIN_URLS + list(bodies)
    refused = {}
    for url in dict.fromkeys(urls):
        resp = client.post(url, bodies.get(url, {}))
        refused[url] = resp.status_code
    wrong = {
        url: code
        for url, code in refused.items()
        if code != (401 if url.startswith("/ml/api/v1/") or url.startswith("/ml/api/v2/") else 403)
        and not (url.startswith(("/ml/api/", "/api/")) and code == 405)  # the schema and docs take GET only
        and not (url == "/api/v2/anything" and code == 404)  # no such path: a JSON 404 that changes nothing
    }
    assert not wrong, wrong
    assert snapshot(registry) == before
    # Still logged in: the forged logout did not happen either.
    assert client.get("/accounts/password_change/").status_code == 200


def test_the_same_post_with_the_pages_token_goes_through(client_as, registry, world):
    """The control: the refusals above are CSRF's, not a broken form."""
    client = client_as("admin", enforce_csrf=True)
    page = client.get("/status/share-links/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    resp = client.post("/status/share-links/", {"label": "real", "csrfmiddlewaretoken": token})
    assert resp.status_code == 201
    assert ShareLink.objects.filter(label="real").exists()


def test_a_session_cannot_write_through_the_registry_api(client_as, registry):
    before = len(registry.get("/v1/models").json()["models"])
    for role in ("engineer", "admin"):
        client = client_as(role)  # logged in, CSRF not even enforced
        resp = client.post("/ml/api/v1/models", {"name": "via-session"}, content_type="application/json")
        assert resp.status_code == 401, role
    assert len(registry.get("/v1/models").json()["models"]) == before


def test_a_cross_site_post_with_a_stolen_cookie_but_a_foreign_origin_is_refused(client_as, world, registry):
    """Django checks Origin against the host: a token alone from another site is not enough."""
    client = client_as("admin", enforce_csrf=True)
    page = client.get("/models/new/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    before = snapshot(registry)
    resp = client.post(
        "/models/new/", {"name": "cross-site", "csrfmiddlewaretoken": token}, HTTP_ORIGIN="https://evil.example"
    )
    assert resp.status_code == 403
    assert snapshot(registry) == before


def test_logging_out_needs_a_post_with_a_token(client_as):
    client: Client = client_as("viewer", enforce_csrf=True)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 403
    assert client.get("/accounts/password_change/").status_code == 200, "still logged in"
