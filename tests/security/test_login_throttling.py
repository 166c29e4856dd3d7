"""Login throttling (django-axes): a short cool-off after repeated failures, not a
permanent lockout, keyed on the real client address, and the registry's basic auth
and the demo logins still work."""

from __future__ import annotations

import base64
import re
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from tests.security.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LIMIT = 3
COOLOFF = 2.5


@pytest.fixture(autouse=True)
def _short_cooloff(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = timedelta(seconds=COOLOFF)


@pytest.fixture
def erin(db) -> User:
    return User.objects.create_user("erin", "erin@example.com", PASSWORD)


def _login(client: Client, password: str, username: str = "erin", **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _fail_until_locked(client: Client, username: str = "erin", **extra) -> tuple[float, float]:
    """LIMIT failures: the last one is already answered with the lockout.

    Returns monotonic times just before and just after the locking attempt: the
    cool-off ends between COOLOFF after the first and COOLOFF after the second.
    """
    for _ in range(LIMIT - 1):
        resp = _login(client, "wrong", username, **extra)
        assert resp.status_code == 200 and "errorlist" in resp.content.decode()
    before = time.monotonic()
    assert _login(client, "wrong", username, **extra).status_code == 429
    return before, time.monotonic()


def test_the_right_password_is_refused_during_the_cool_off_and_accepted_after_it(erin):
    client = Client()
    before, after = _fail_until_locked(client)
    resp = _login(client, PASSWORD)
    assert resp.status_code == 429
    body = resp.content.decode()
    assert "Too many failed logins" in body and "Try again in" in body
    assert 'name="username"' in body, "the throttled person still sees the login form"
    assert not _logged_in(client)

    # Hammering during the cool-off does not extend it into a permanent lockout.
    while time.monotonic() - before < COOLOFF - 0.5:
        assert _login(client, "wrong").status_code == 429
        time.sleep(0.2)
    time.sleep(max(0.0, after + COOLOFF - time.monotonic()) + 0.2)
    resp = _login(client, PASSWORD)
    assert resp.status_code == 302 and resp["Location"] == "/"
    assert _logged_in(client)


def test_a_spoofed_forwarded_for_header_does_not_escape_the_lockout(erin):
    client = Client()
    _fail_until_locked(client, HTTP_X_FORWARDED_FOR="203.0.113.1")
    for spoof in ("203.0.113.99", "198.51.100.7, 10.0.0.1", "127.0.0.2"):
        resp = _login(client, PASSWORD, HTTP_X_FORWARDED_FOR=spoof, HTTP_X_REAL_IP=spoof)
        assert resp.status_code == 429, spoof
    assert not _logged_in(client)


def test_the_lockout_is_for_that_user_from_that_address_only(erin, role_users):
    attacker = Client(REMOTE_ADDR="192.0.2.10")
    _fail_until_locked(attacker)
    assert _login(attacker, PASSWORD).status_code == 429
    # Erin herself, from her own machine, is not shut out by someone guessing her password.
    erin_client = Client(REMOTE_ADDR="192.0.2.20")
    assert _login(erin_client, PASSWORD).status_code == 302
    # Another user from the attacker's address is counted separately.
    assert _login(Client(REMOTE_ADDR="192.0.2.10"), PASSWORD, "alice").status_code == 302


def test_a_success_before_the_limit_resets_the_count(erin):
    client = Client()
    for _ in range(LIMIT - 1):
        assert _login(client, "wrong").status_code == 200
    assert _login(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        assert _login(client, "wrong").status_code == 200
    assert _login(client, PASSWORD).status_code == 302


def test_the_password_typed_is_never_stored(erin):
    from axes.models import AccessAttempt

    client = Client()
    _login(client, "hunter2-very-secret")
    stored = " ".join(str(v) for v in AccessAttempt.objects.values_list("get_data", "post_data").first() or ())
    assert "hunter2-very-secret" not in stored


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def test_the_registry_basic_auth_still_works_and_is_throttled_the_same_way(db):
    User.objects.create_superuser("robot", "robot@example.com", PASSWORD)
    client = Client()
    ok = client.get("/ml/api/v1/models", HTTP_AUTHORIZATION=_basic("robot", PASSWORD))
    assert ok.status_code == 200, ok.content
    for _ in range(LIMIT):  # the LIMIT-th failure is what locks the pair
        bad = client.get("/ml/api/v1/models", HTTP_AUTHORIZATION=_basic("robot", "wrong"))
        assert bad.status_code == 401
        assert 'realm="jfrog-ml"' in bad["WWW-Authenticate"]
    locked_at = time.monotonic()
    # Throttled: the right password is refused too, as a plain 401 (no lockout page on an API).
    locked = client.get("/ml/api/v1/models", HTTP_AUTHORIZATION=_basic("robot", PASSWORD))
    assert locked.status_code == 401
    assert locked["Content-Type"].startswith("application/json")
    time.sleep(max(0.0, locked_at + COOLOFF - time.monotonic()) + 0.2)
    again = client.get("/ml/api/v1/models", HTTP_AUTHORIZATION=_basic("robot", PASSWORD))
    assert again.status_code == 200


def test_the_registry_bearer_token_is_not_affected_by_a_locked_basic_user(db, settings):
    User.objects.create_superuser("robot", "robot@example.com", PASSWORD)
    client = Client()
    for _ in range(LIMIT + 1):
        client.get("/ml/api/v1/models", HTTP_AUTHORIZATION=_basic("robot", "wrong"))
    resp = client.get("/ml/api/v1/models", HTTP_AUTHORIZATION=f"Bearer {settings.REGISTRY_SERVICE_TOKEN}")
    assert resp.status_code == 200


def test_the_demo_users_log_in_through_the_real_form_with_csrf(db):
    call_command("seed_demo", no_history=True, models=1, versions_per_model="1", experiments=0, deployments=0, stdout=None)
    from webui.core.management.commands.seed_demo import DEMO_PASSWORD, DEMO_USERS

    for name in DEMO_USERS:
        client = Client(enforce_csrf_checks=True)
        page = client.get("/accounts/login/?next=/models/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
        resp = client.post(
            "/accounts/login/",
            {"username": name, "password": DEMO_PASSWORD, "next": "/models/", "csrfmiddlewaretoken": token},
        )
        assert resp.status_code == 302 and resp["Location"] == "/models/", name
        assert _logged_in(client), name
