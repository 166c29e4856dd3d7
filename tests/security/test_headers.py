"""Security headers on every response: CSP on every HTML page (error pages too),
nosniff, frame protection, a Referrer-Policy, and no-store on what a login shows."""

from __future__ import annotations

import pytest

from tests.security.test_url_matrix import ADMIN_URLS, ROLES, rules

pytestmark = pytest.mark.django_db(transaction=True)


def _check_common(url: str, resp) -> list[str]:
    problems = []
    if resp.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"{url}: no nosniff")
    if resp.get("Referrer-Policy") not in ("same-origin", "strict-origin-when-cross-origin", "no-referrer"):
        problems.append(f"{url}: Referrer-Policy {resp.get('Referrer-Policy')!r}")
    content_type = resp.get("Content-Type", "")
    if content_type.startswith("text/html"):
        csp = resp.get("Content-Security-Policy", "")
        for directive in ("default-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'self'"):
            if directive not in csp:
                problems.append(f"{url}: CSP lacks {directive!r} ({csp!r})")
        if "'unsafe-inline'" in csp.split("script-src", 1)[-1].split(";", 1)[0]:
            problems.append(f"{url}: CSP allows inline scripts")
        if resp.get("X-Frame-Options") != "DENY":
            problems.append(f"{url}: X-Frame-Options {resp.get('X-Frame-Options')!r}")
    return problems


def test_every_page_for_every_role_carries_the_security_headers(client_as, world):
    urls = [url for url, _ in rules(world).values()] + ADMIN_URLS + ["/admin/login/"]
    problems = []
    for role in ROLES:
        client = client_as(role)
        for url in urls:
            problems += _check_common(f"{role} {url}", client.get(url))
    assert not problems, "\n".join(problems)


def test_authenticated_pages_are_never_stored_by_caches(client_as, world):
    """Anything shown to a logged-in user: no-store (HTML, CSV, JSON alike), or at
    least `private` for the status machine URLs that set their own short max-age."""
    urls = [url for url, _ in rules(world).values() if not url.startswith("/ml/api/")]
    problems = []
    for role in ("viewer", "admin", "share"):
        client = client_as(role)
        for url in urls:
            if role == "share" and not url.startswith("/status"):
                continue  # a share link opens the status pages only; the rest is public or refused
            resp = client.get(url)
            if resp.status_code != 200:
                continue
            cache_control = resp.get("Cache-Control", "")
            if "no-store" not in cache_control and not (url.startswith("/status") and "private" in cache_control):
                problems.append(f"{role} {url}: Cache-Control {cache_control!r}")
    assert not problems, "\n".join(problems)


def test_error_pages_carry_the_csp_too(client_as, db):
    client = client_as("viewer")
    for url, code in (("/no/such/page/", 404), ("/models/new/", 403)):
        resp = client.get(url)
        assert resp.status_code == code
        problems = _check_common(url, resp)
        assert not problems, problems


def test_a_request_for_a_foreign_host_is_refused_without_internals(db, settings):
    from django.test import Client

    settings.DEBUG = False
    resp = Client(raise_request_exception=False).get("/healthz", HTTP_HOST="evil.example")
    assert resp.status_code == 400
    assert "Traceback" not in resp.content.decode() and "ALLOWED_HOSTS" not in resp.content.decode()
    assert resp.get("X-Content-Type-Options") == "nosniff"
