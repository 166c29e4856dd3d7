"""The login page with single sign-on: the provider's button, and password sign-in
kept (by default) or switched off (POND_LOCAL_LOGIN=0) everywhere a password is asked."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.sso.conftest import configure_sso

PASSWORD = "correct horse battery staple"


@pytest.fixture
def lou(db) -> User:
    return User.objects.create_user("lou", "lou@example.com", PASSWORD, is_staff=True)


def _password_sign_in(client: Client, path: str = "/accounts/login/"):
    return client.post(path, {"username": "lou", "password": PASSWORD})


def test_with_single_sign_on_the_login_page_offers_the_provider_and_a_password(
    client, settings, lou
):
    configure_sso(settings, "http://127.0.0.1:9")  # the page itself never calls the provider
    page = client.get("/accounts/login/?next=/models/").content.decode()
    assert 'href="/accounts/oidc/start/?next=/models/"' in page
    assert "Sign in with Acme ID" in page
    assert 'name="password"' in page
    assert _password_sign_in(client).status_code == 302
    assert client.get("/reviews/").status_code == 200


def test_with_password_sign_in_switched_off_the_form_is_gone_and_a_password_is_refused(
    client, settings, lou
):
    configure_sso(settings, "http://127.0.0.1:9", POND_LOCAL_LOGIN=False)
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Acme ID" in page
    assert 'name="password"' not in page

    refused = _password_sign_in(client)
    assert refused.status_code == 403
    assert (
        "Password sign-in is switched off here. Sign in with Acme ID." in refused.content.decode()
    )
    assert client.get("/reviews/").status_code == 302  # still signed out


def test_with_password_sign_in_switched_off_the_admin_sends_people_to_pond_sign_in(
    client, settings, lou
):
    configure_sso(settings, "http://127.0.0.1:9", POND_LOCAL_LOGIN=False)
    resp = client.get("/admin/login/?next=/admin/auth/user/")
    assert (
        resp.status_code == 302
        and resp["Location"] == "/accounts/login/?next=%2Fadmin%2Fauth%2Fuser%2F"
    )
    assert _password_sign_in(client, "/admin/login/").status_code == 403
    assert client.get("/admin/").status_code == 302


def test_with_password_sign_in_on_the_admin_login_is_as_before(client, settings, lou):
    configure_sso(settings, "http://127.0.0.1:9")
    assert client.get("/admin/login/").status_code == 200
    resp = client.post("/admin/login/?next=/admin/", {"username": "lou", "password": PASSWORD})
    assert resp.status_code == 302 and resp["Location"] == "/admin/"


def test_without_single_sign_on_the_login_page_is_as_before(client, lou):
    page = client.get("/accounts/login/").content.decode()
    assert "oidc" not in page and "Sign in with" not in page
    assert 'name="password"' in page
    assert _password_sign_in(client).status_code == 302
