"""Signing in through the company's provider: the code flow end to end, roles from groups."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth.models import User

from tests.sso.provider import pond_csrf, provider_form, sign_in, to_callback
from webui.core.roles import role_of
from webui.sso.models import SsoIdentity


def _roles(user: User) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def test_an_engineer_signs_in_with_pkce_and_lands_where_they_were_going(
    provider, pond, browser_session
):
    provider.person(
        "erin", groups=["ml-engineers", "everyone"], name="Erin Engineer", given_name="Erin"
    )

    start = browser_session.get(
        f"{pond}/accounts/oidc/start/?next=/models/", allow_redirects=False, timeout=15
    )
    asked = parse_qs(urlsplit(start.headers["Location"]).query)
    assert start.headers["Location"].startswith(provider.issuer + "/auth?")
    assert asked["code_challenge_method"] == ["S256"] and len(asked["code_challenge"][0]) == 43
    assert asked["state"][0] and asked["nonce"][0] and asked["response_type"] == ["code"]
    assert asked["scope"] == ["openid email profile groups"]

    answer = sign_in(browser_session, pond, "erin", start=start.headers["Location"])
    assert answer.status_code == 302 and answer.headers["Location"] == "/models/"
    page = browser_session.get(f"{pond}/models/", timeout=15)
    assert page.status_code == 200
    assert 'data-testid="nav-role">engineer<' in page.text

    user = User.objects.get(username="erin")
    assert _roles(user) == {"engineer"}
    assert not user.has_usable_password()
    assert (user.email, user.first_name) == ("erin@example.com", "Erin")
    identity = SsoIdentity.objects.get(user=user)
    assert (identity.issuer, identity.subject) == (provider.issuer, "erin")
    assert identity.groups == ["ml-engineers", "everyone"]
    # An SSO session is bounded (POND_OIDC_SESSION_SECONDS): roles are read again after it.
    session_cookie = next(c for c in browser_session.cookies if c.name == "sessionid")
    assert 12 * 3600 - 60 < session_cookie.expires - time.time() <= 12 * 3600


def test_a_next_address_on_another_site_is_not_followed(provider, pond, browser_session):
    provider.person("erin", groups=["ml-engineers"])
    start = f"{pond}/accounts/oidc/start/?next=https://evil.example/steal"
    answer = sign_in(browser_session, pond, "erin", start=start)
    assert answer.status_code == 302 and answer.headers["Location"] == "/"


@pytest.mark.parametrize(
    ("groups", "role"),
    [
        (["ml-admins"], "admin"),
        (["ml-reviewers"], "reviewer"),
        (["ml-engineers"], "engineer"),
        (["ml-reviewers", "ml-engineers"], "reviewer"),
        (["sales"], "viewer"),  # in no mapped group: the "*" role
        ([], "viewer"),
    ],
)
def test_the_group_claim_gives_the_role_through_the_map(
    provider, pond, browser_session, groups, role
):
    provider.person("pat", groups=groups)
    assert sign_in(browser_session, pond, "pat").status_code == 302
    assert role_of(User.objects.get(username="pat")) == role


def test_a_group_change_at_the_provider_applies_at_the_next_sign_in(
    provider, pond, browser_session
):
    provider.person("rita", groups=["ml-reviewers"])
    assert sign_in(browser_session, pond, "rita").status_code == 302
    rita = User.objects.get(username="rita")
    assert _roles(rita) == {"reviewer"}
    assert rita.has_perm("dashboard.decide_promotion")

    # Taken out of the reviewers, into the engineers: at her next sign-in she can no
    # longer decide promotions.
    provider.person("rita", groups=["ml-engineers"])
    _sign_out(browser_session, pond)
    assert sign_in(browser_session, pond, "rita").status_code == 302
    rita = User.objects.get(pk=rita.pk)
    assert _roles(rita) == {"engineer"}
    assert not rita.has_perm("dashboard.decide_promotion")
    page = browser_session.get(f"{pond}/", timeout=15)
    assert 'data-testid="nav-role">engineer<' in page.text

    # Out of every mapped group: the default role only.
    provider.person("rita", groups=[])
    _sign_out(browser_session, pond)
    assert sign_in(browser_session, pond, "rita").status_code == 302
    assert _roles(User.objects.get(pk=rita.pk)) == {"viewer"}


def test_without_a_default_role_someone_in_no_mapped_group_is_refused_and_loses_their_role(
    provider, pond, browser_session, settings
):
    settings.POND_OIDC_ROLE_MAP = "ml-admins:admin,ml-engineers:engineer"
    provider.person("sam", groups=["sales"])
    refused = sign_in(browser_session, pond, "sam")
    assert refused.status_code == 403
    assert "none of the groups that give a role in Pond (ml-admins, ml-engineers)" in refused.text
    assert not User.objects.filter(username="sam").exists()
    assert (
        browser_session.get(f"{pond}/", allow_redirects=False, timeout=15).status_code == 302
    )  # to login

    # Someone who had a role and lost every mapped group: refused, and their role is
    # gone (a session of theirs elsewhere, still open, holds no rights any more).
    provider.person("eve", groups=["ml-engineers"])
    with requests.Session() as laptop, requests.Session() as phone:
        assert sign_in(laptop, pond, "eve").status_code == 302
        provider.person("eve", groups=["sales"])
        assert sign_in(phone, pond, "eve").status_code == 403
        assert _roles(User.objects.get(username="eve")) == set()
        assert (
            laptop.get(f"{pond}/models/new/", allow_redirects=False, timeout=15).status_code == 403
        )


def test_people_are_matched_by_sub_never_by_email(provider, pond, browser_session):
    # The provider's ids are opaque; the names and addresses are what people see.
    provider.person(
        "0001", preferred_username="alice", email="alice@example.com", groups=["ml-engineers"]
    )
    assert sign_in(browser_session, pond, "0001").status_code == 302
    alice = User.objects.get(username="alice")

    # Her address changes at the provider: still her account, with the new address.
    provider.person(
        "0001", preferred_username="alice", email="alice.smith@example.com", groups=["ml-engineers"]
    )
    _sign_out(browser_session, pond)
    assert sign_in(browser_session, pond, "0001").status_code == 302
    assert User.objects.get(pk=alice.pk).email == "alice.smith@example.com"

    # Someone else given her address (and her name) is someone else.
    provider.person("0002", preferred_username="alice", email="alice.smith@example.com", groups=[])
    with requests.Session() as other:
        assert sign_in(other, pond, "0002").status_code == 302
    newcomer = SsoIdentity.objects.get(subject="0002").user
    assert newcomer.pk != alice.pk and newcomer.username == "alice-2"
    assert _roles(newcomer) == {"viewer"} and _roles(User.objects.get(pk=alice.pk)) == {"engineer"}


def test_a_local_account_is_never_taken_over_by_a_provider_account_of_the_same_name(
    provider, pond, browser_session
):
    local = User.objects.create_user("bob", "bob@example.com", "a local password")
    provider.person("bob", groups=["ml-admins"], email="bob@example.com")
    assert sign_in(browser_session, pond, "bob").status_code == 302
    made = SsoIdentity.objects.get(subject="bob").user
    assert made.pk != local.pk and made.username == "bob-2"
    assert _roles(User.objects.get(pk=local.pk)) == set()


def test_signing_out_ends_the_pond_session_and_the_providers(provider, pond, browser_session):
    provider.person("olga", groups=["ml-engineers"])
    assert sign_in(browser_session, pond, "olga").status_code == 302

    out = _sign_out(browser_session, pond)
    assert out.status_code == 200
    end_session = out.headers["Refresh"].split("url=", 1)[1]
    assert end_session.startswith(provider.issuer + "/session/end?")
    assert parse_qs(urlsplit(end_session).query)["post_logout_redirect_uri"] == [
        f"{pond}/accounts/login/"
    ]
    assert (
        browser_session.get(f"{pond}/", allow_redirects=False, timeout=15).status_code == 302
    )  # Pond: out

    # At the provider: its own confirmation, then back to Pond's login page.
    confirm = browser_session.get(end_session, timeout=15)
    action, fields = provider_form(confirm)
    back = browser_session.post(
        action, data={**fields, "logout": "yes"}, allow_redirects=False, timeout=15
    )
    assert back.headers["Location"] == f"{pond}/accounts/login/"

    # The provider's session is over too: the next sign-in asks for the login again.
    start = browser_session.get(f"{pond}/accounts/oidc/start/", allow_redirects=False, timeout=15)
    landing = browser_session.get(start.headers["Location"], timeout=15)
    assert 'name="login"' in landing.text


def test_someone_signed_in_with_a_password_signs_out_as_before(provider, pond, browser_session):
    User.objects.create_user("lou", "lou@example.com", "a local password")
    token = pond_csrf(browser_session, pond)
    resp = browser_session.post(
        f"{pond}/accounts/login/",
        data={"username": "lou", "password": "a local password", "csrfmiddlewaretoken": token},
        allow_redirects=False,
        timeout=15,
    )
    assert resp.status_code == 302
    out = _sign_out(browser_session, pond)
    assert out.status_code == 302 and out.headers["Location"] == "/accounts/login/"


def test_a_second_sign_in_while_the_provider_session_lasts_needs_no_form(
    provider, pond, browser_session
):
    provider.person("max", groups=["ml-engineers"])
    assert sign_in(browser_session, pond, "max").status_code == 302
    # Pond's session ends (it expired); the provider's goes on.
    for cookie in list(browser_session.cookies):
        if cookie.name == "sessionid":
            browser_session.cookies.clear(cookie.domain, cookie.path, cookie.name)
    callback = to_callback(
        browser_session, pond, "nobody-would-type-this"
    )  # no form: the provider knows max
    assert browser_session.get(callback, allow_redirects=False, timeout=15).status_code == 302
    page = browser_session.get(f"{pond}/", timeout=15)
    assert 'data-testid="nav-user">max <' in page.text


def _sign_out(session, pond: str):
    token = pond_csrf(session, pond)
    return session.post(
        f"{pond}/accounts/logout/",
        data={"csrfmiddlewaretoken": token},
        allow_redirects=False,
        timeout=15,
    )
