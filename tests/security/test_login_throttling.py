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
    from webui.dashboard.management.commands.seed_demo import DEMO_PASSWORD, DEMO_USERS

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


def test_wrong_old_passwords_on_the_change_form_are_throttled_like_logins(erin):
    """/accounts/password_change/ answered eight wrong old passwords with 200: an
    unthrottled password oracle for anyone holding a session."""
    client = Client()
    client.force_login(erin)

    def change(old: str):
        return client.post(
            "/accounts/password_change/",
            {"old_password": old, "new_password1": "An0ther-long-pass", "new_password2": "An0ther-long-pass"},
        )

    for _ in range(LIMIT - 1):
        assert change("wrong").status_code == 200
    locked = change("wrong")
    assert locked.status_code == 429 and "Too many failed logins" in locked.content.decode()
    # Even the right old password is refused now, and the password is unchanged.
    assert change(PASSWORD).status_code == 429
    erin.refresh_from_db()
    assert erin.check_password(PASSWORD)
    # The same lockout covers the login form for this account from this address.
    assert _login(Client(), PASSWORD).status_code == 429


def test_only_the_account_pages_pond_supports_are_mounted():
    client = Client()
    for gone in ("/accounts/password_reset/", "/accounts/password_reset/done/", "/accounts/reset/x/y/"):
        assert client.get(gone).status_code == 404, gone
    for kept in ("/accounts/login/",):
        assert client.get(kept).status_code == 200


PROXY = "10.9.8.7"


@pytest.fixture
def behind_a_proxy(settings):
    import ipaddress

    settings.POND_TRUSTED_PROXIES = [ipaddress.ip_network(PROXY)]


def _via_proxy(client_address: str) -> dict:
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"{client_address}"}


def test_behind_a_trusted_proxy_an_attacker_cannot_lock_a_colleague_out(erin, behind_a_proxy):
    """Everyone behind the TLS proxy had the proxy's address: six wrong basic-auth
    calls for a reviewer made the right password fail everywhere."""
    attacker = Client()
    for _ in range(LIMIT + 2):
        attacker.get("/ml/api/v1/models", HTTP_AUTHORIZATION=_basic("erin", "wrong"), **_via_proxy("203.0.113.66"))
    assert _login(attacker, PASSWORD, **_via_proxy("203.0.113.66")).status_code == 429
    # Erin, from her own address through the same proxy, is not locked out.
    mine = Client()
    assert _login(mine, PASSWORD, **_via_proxy("198.51.100.7")).status_code == 302 and _logged_in(mine)
    ok = Client().get("/ml/api/v1/models", HTTP_AUTHORIZATION=_basic("erin", PASSWORD), **_via_proxy("198.51.100.7"))
    assert ok.status_code != 401


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(erin, behind_a_proxy):
    client = Client()
    spoofed = {"REMOTE_ADDR": "203.0.113.66", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    _fail_until_locked(client, **spoofed)
    # The spoofed header did not make the failures count against 198.51.100.7...
    assert _login(Client(), PASSWORD, **_via_proxy("198.51.100.7")).status_code == 302
    # ...and a new spoofed value does not escape the lockout of the real peer.
    other = {"REMOTE_ADDR": "203.0.113.66", "HTTP_X_FORWARDED_FOR": "192.0.2.1"}
    assert _login(Client(), PASSWORD, **other).status_code == 429


def test_failed_authentication_attempts_count_against_a_per_address_limit(db, settings):
    """Random usernames are never locked out by axes, and each basic-auth guess runs
    the full password hash: a CPU sink without a per-address limit."""
    settings.POND_AUTH_ATTEMPTS_PER_MINUTE = 5
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if time.time() % 60 > 55:  # the count is per minute: start within one
        time.sleep(60 - time.time() % 60 + 0.1)
    # A program with good credentials is never limited.
    User.objects.create_superuser("robot", "robot@example.com", PASSWORD)
    ok = Client()
    for _ in range(8):
        assert ok.get("/ml/api/v1/models", HTTP_AUTHORIZATION=_basic("robot", PASSWORD), REMOTE_ADDR="203.0.113.9").status_code == 200
    client = Client()
    answers = [
        client.get("/ml/api/v1/models", HTTP_AUTHORIZATION=_basic(f"nobody{i}", "x"), REMOTE_ADDR="203.0.113.9").status_code
        for i in range(8)
    ]
    assert answers[:5] == [401] * 5 and answers[5:] == [429] * 3, answers
    limited = client.post("/accounts/login/", {"username": "a", "password": "b"}, REMOTE_ADDR="203.0.113.9")
    assert limited.status_code == 429 and "Retry-After" in limited
    # Over the limit, even good credentials from that address wait out the minute.
    again = ok.get("/ml/api/v1/models", HTTP_AUTHORIZATION=_basic("robot", PASSWORD), REMOTE_ADDR="203.0.113.9")
    assert again.status_code == 429
    # Another address is not affected, and ordinary page views are not attempts.
    assert client.get("/ml/api/v1/models", HTTP_AUTHORIZATION=_basic("x", "y"), REMOTE_ADDR="203.0.113.10").status_code == 401
    assert client.get("/accounts/login/", REMOTE_ADDR="203.0.113.9").status_code == 200


def test_trusted_proxies_must_be_addresses(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "POND_", "JFROG_ML_"))}
    env.update(POND_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="webui.settings", POND_TRUSTED_PROXIES="proxy.local")
    done = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True)
    assert done.returncode != 0 and "POND_TRUSTED_PROXIES" in done.stderr
