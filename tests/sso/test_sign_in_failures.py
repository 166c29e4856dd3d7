"""Every way a sign-in through the provider fails ends on a clear page, never a 500.

Against the real provider (a forged or replayed answer, a code used twice, the person
cancelling, wrong client credentials, the provider stopping mid-sign-in) and against a
misbehaving stand-in (tests/support/faultserver.py) for a provider that is down or hangs.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from django.contrib.auth.models import User

from tests.sso.conftest import configure_sso
from tests.sso.provider import Provider, provider_form, sign_in, timed, to_callback
from tests.support.faultserver import FaultServer, hang, json_response


def _is_signed_out(session: requests.Session, pond: str) -> bool:
    resp = session.get(f"{pond}/", allow_redirects=False, timeout=15)
    return resp.status_code == 302 and resp.headers["Location"].startswith("/accounts/login/")


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    query.update(changes)
    return parts._replace(query=urlencode(query)).geturl()


def test_an_answer_with_a_wrong_state_is_refused_with_a_clear_page(provider, pond, browser_session):
    provider.person("erin", groups=["ml-engineers"])
    callback = to_callback(browser_session, pond, "erin")
    resp = browser_session.get(
        _with_query(callback, state="forged-state"), allow_redirects=False, timeout=15
    )
    assert resp.status_code == 400
    assert "This sign-in cannot be completed" in resp.text
    assert "was not started from this browser" in resp.text
    assert _is_signed_out(browser_session, pond)
    assert not User.objects.filter(username="erin").exists()


def test_an_answer_opened_in_another_browser_is_refused(provider, pond, browser_session):
    """A sign-in link sent to someone else (login CSRF): their browser never started it."""
    provider.person("mallory", groups=["ml-admins"])
    callback = to_callback(browser_session, pond, "mallory")
    with requests.Session() as victim:
        resp = victim.get(callback, allow_redirects=False, timeout=15)
        assert resp.status_code == 400 and "was not started from this browser" in resp.text
        assert _is_signed_out(victim, pond)


def test_an_answer_opened_twice_is_refused_the_second_time(provider, pond, browser_session):
    provider.person("erin", groups=["ml-engineers"])
    callback = to_callback(browser_session, pond, "erin")
    assert browser_session.get(callback, allow_redirects=False, timeout=15).status_code == 302
    again = browser_session.get(callback, allow_redirects=False, timeout=15)
    assert again.status_code == 400 and "already finished" in again.text


def test_a_code_that_was_already_used_is_refused_with_a_clear_page(provider, pond, browser_session):
    provider.person("erin", groups=["ml-engineers"])
    first = to_callback(browser_session, pond, "erin")
    assert browser_session.get(first, allow_redirects=False, timeout=15).status_code == 302
    # A new sign-in (a fresh state in the session) answered with the old, spent code.
    second = to_callback(browser_session, pond, "erin")
    code = parse_qs(urlsplit(first).query)["code"][0]
    resp = browser_session.get(_with_query(second, code=code), allow_redirects=False, timeout=15)
    assert resp.status_code == 400
    assert "This sign-in code has expired or was already used" in resp.text


def test_a_made_up_code_is_refused_with_a_clear_page(provider, pond, browser_session):
    provider.person("erin", groups=["ml-engineers"])
    callback = to_callback(browser_session, pond, "erin")
    resp = browser_session.get(
        _with_query(callback, code="not-a-code"), allow_redirects=False, timeout=15
    )
    assert resp.status_code == 400 and "expired or was already used" in resp.text
    assert _is_signed_out(browser_session, pond)


def test_cancelling_at_the_provider_is_a_clear_page(provider, pond, browser_session):
    provider.person("erin", groups=["ml-engineers"])
    start = browser_session.get(f"{pond}/accounts/oidc/start/", allow_redirects=False, timeout=15)
    form_page = browser_session.get(start.headers["Location"], timeout=15)
    action, _ = provider_form(form_page)
    # The provider's own "cancel" link: it answers access_denied.
    abort = browser_session.get(f"{action}/abort", allow_redirects=True, timeout=15)
    assert abort.status_code == 403
    assert "Acme ID did not sign you in: End-User aborted interaction" in abort.text
    assert _is_signed_out(browser_session, pond)


def test_wrong_client_credentials_are_an_administrators_task_not_a_500(
    provider, pond, browser_session, settings
):
    provider.person("erin", groups=["ml-engineers"])
    settings.POND_OIDC_CLIENT_SECRET = "not-the-secret"
    resp = sign_in(browser_session, pond, "erin")
    assert resp.status_code == 502
    assert "POND_OIDC_CLIENT_SECRET" in resp.text


def test_a_provider_that_is_down_gets_a_clear_page(
    provider, pond, browser_session, settings, dead_port
):
    settings.POND_OIDC_ISSUER = f"http://127.0.0.1:{dead_port}"
    resp = browser_session.get(f"{pond}/accounts/oidc/start/", allow_redirects=False, timeout=15)
    assert resp.status_code == 503
    assert "The sign-in provider is not answering" in resp.text
    assert "could not be reached" in resp.text
    # The login page itself still works, with the password form.
    assert 'name="password"' in browser_session.get(f"{pond}/accounts/login/", timeout=15).text


def test_a_provider_that_hangs_gets_a_clear_page_within_the_timeout(
    pond, browser_session, settings, transactional_db
):
    with FaultServer(prefix="") as stand_in:
        stand_in.on("GET", "/.well-known/openid-configuration", hang)
        configure_sso(settings, stand_in.url, POND_OIDC_TIMEOUT=0.5)
        with timed() as took:
            resp = browser_session.get(
                f"{pond}/accounts/oidc/start/", allow_redirects=False, timeout=15
            )
    assert resp.status_code == 503 and "did not answer within 0.5 s" in resp.text
    assert took.seconds < 3


def test_a_token_endpoint_that_hangs_gets_a_clear_page_within_the_timeout(
    pond, browser_session, settings, transactional_db
):
    with FaultServer(prefix="") as stand_in:
        base = stand_in.url
        stand_in.on(
            "GET",
            "/.well-known/openid-configuration",
            json_response(
                {
                    "issuer": base,
                    "authorization_endpoint": f"{base}/auth",
                    "token_endpoint": f"{base}/token",
                    "jwks_uri": f"{base}/jwks",
                }
            ),
        )
        stand_in.on("POST", "/token", hang)
        configure_sso(settings, base, POND_OIDC_TIMEOUT=0.5)
        start = browser_session.get(
            f"{pond}/accounts/oidc/start/", allow_redirects=False, timeout=15
        )
        state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
        with timed() as took:
            resp = browser_session.get(
                f"{pond}/accounts/oidc/callback/?code=any&state={state}",
                allow_redirects=False,
                timeout=15,
            )
    assert resp.status_code == 503 and "The sign-in provider is not answering" in resp.text
    assert took.seconds < 3
    assert _is_signed_out(browser_session, pond)


@pytest.fixture
def own_provider(node, live_server, tmp_path, settings, transactional_db):
    """A provider of this test's own, which it may stop."""
    provider = Provider(node, tmp_path, live_server.url).start()
    configure_sso(settings, provider.issuer)
    yield provider
    provider.stop()


def test_a_provider_that_stops_in_the_middle_of_a_sign_in_gets_a_clear_page(
    own_provider, pond, browser_session
):
    own_provider.person("erin", groups=["ml-engineers"])
    callback = to_callback(browser_session, pond, "erin")
    own_provider.stop()
    resp = browser_session.get(callback, allow_redirects=False, timeout=15)
    assert resp.status_code == 503 and "The sign-in provider is not answering" in resp.text
    assert _is_signed_out(browser_session, pond)


def test_signing_out_while_the_provider_is_down_still_signs_out_of_pond(
    own_provider, pond, browser_session
):
    own_provider.person("erin", groups=["ml-engineers"])
    assert sign_in(browser_session, pond, "erin").status_code == 302
    own_provider.stop()
    browser_session.get(f"{pond}/accounts/login/", timeout=15)
    token = next(cookie.value for cookie in browser_session.cookies if cookie.name == "csrftoken")
    out = browser_session.post(
        f"{pond}/accounts/logout/", data={"csrfmiddlewaretoken": token}, timeout=15
    )
    assert (
        out.status_code == 200
        and "Acme ID is not answering, so you may still be signed in there" in out.text
    )
    assert _is_signed_out(browser_session, pond)


def test_without_single_sign_on_its_addresses_do_not_exist(pond, browser_session, transactional_db):
    assert browser_session.get(f"{pond}/accounts/oidc/start/", timeout=15).status_code == 404
    assert (
        browser_session.get(
            f"{pond}/accounts/oidc/callback/?code=a&state=b", timeout=15
        ).status_code
        == 404
    )
