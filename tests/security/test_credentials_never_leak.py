"""The JFrog ML credentials never appear in a page, a log line or an error page.

A distinctive token (and, separately, a basic-auth password) is configured; the
upstream fails in every way, including the worst: echoing the credentials it was
sent back in its error message. Everything is captured: every logger at DEBUG
(caplog), every response body, and a real server's whole output.
"""

from __future__ import annotations

import base64
import json
import logging
import time

import pytest

from tests.dashboard.fake_upstream import PAGES, serve_world, simple_world
from tests.faults.pond_server import drill_env, pond_server
from tests.support.faultserver import FaultServer, _send, drop_mid_body, hang, status, text

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "tok-3kq9-DISTINCTIVE-7f2a"
USER = "pond-bot"
PASSWORD = "pw-8xz1-DISTINCTIVE-c4d0"


def echo_credentials(status_code: int):
    """A hostile or careless upstream that repeats the Authorization header it got."""

    def behave(handler, server) -> None:
        auth = handler.headers.get("Authorization", "")
        body = json.dumps({"error": {"code": "denied", "message": f"credentials {auth} rejected"}}).encode()
        _send(handler, status_code, body, "application/json", {"X-Echo": auth})

    return behave


FAILURES = {
    "echo-401": echo_credentials(401),
    "echo-500": echo_credentials(500),
    "echo-400": echo_credentials(400),
    "503": status(503),
    "html-error": text("<html>proxy error</html>", 502, content_type="text/html"),
    "truncated": drop_mid_body,
    "hang": hang,
}


def secrets_in(text_: str) -> list[str]:
    basic = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    return [s for s in (TOKEN, PASSWORD, basic, TOKEN[4:20], PASSWORD[3:20]) if s in text_]


@pytest.fixture(params=["token", "basic"])
def credentials(request, settings):
    if request.param == "token":
        settings.JFROG_ML_TOKEN, settings.JFROG_ML_USER, settings.JFROG_ML_PASSWORD = TOKEN, "", ""
    else:
        settings.JFROG_ML_TOKEN, settings.JFROG_ML_USER, settings.JFROG_ML_PASSWORD = "", USER, PASSWORD
    settings.JFROG_ML_READ_TIMEOUT = 0.3
    return request.param


@pytest.mark.parametrize("failure", list(FAILURES))
def test_no_page_or_log_line_shows_the_credentials_when_upstream_fails(client_as, credentials, failure, caplog, settings):
    caplog.set_level(logging.DEBUG)
    bodies = []
    with FaultServer() as upstream:
        settings.JFROG_ML_URL = upstream.url
        serve_world(upstream, **simple_world())
        admin = client_as("admin")
        for url in PAGES[:4]:  # warm some pages, leave the rest cold
            bodies.append(admin.get(url).content.decode())
        for name in ("DEPLOYMENTS", "DEPLOYMENT", "MODEL", "VERSIONS", "EXPERIMENTS", "EXPERIMENT"):
            setattr(settings, f"JFROG_ML_TTL_{name}", 0.0)
        upstream.on(None, None, FAILURES[failure])
        for url in PAGES:
            resp = admin.get(url)
            assert resp.status_code < 500 or resp.status_code == 503, (url, resp.status_code)
            bodies.append(resp.content.decode(errors="replace"))
            bodies.append(str(resp.headers))
        # A write that fails upstream shows its error on the form.
        resp = client_as("engineer").post("/models/new/", {"name": "write-during-outage"})
        bodies.append(resp.content.decode(errors="replace"))
        assert any("Authorization" in h for r in upstream.requests for h in r.headers), "the upstream saw no credentials?"
    leaked_pages = [b[:300] for b in bodies if secrets_in(b)]
    assert not leaked_pages, leaked_pages
    assert not secrets_in(caplog.text), [line for line in caplog.text.splitlines() if secrets_in(line)][:5]


def test_a_real_servers_whole_output_never_shows_the_credentials(tmp_path, settings, django_user_model):
    """gunicorn at DEBUG, every page, against an upstream that echoes the credentials."""
    # The server checks passwords with the production hashers.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    django_user_model.objects.create_superuser("gina", "gina@example.com", "correct horse battery staple")
    with FaultServer() as upstream:
        serve_world(upstream, **simple_world())
        env = drill_env(upstream=upstream.url, tmp_path=tmp_path, extra={"JFROG_ML_TOKEN": TOKEN})
        with pond_server(env=env, tmp_path=tmp_path) as pond:
            session = pond.login("gina", "correct horse battery staple")
            bodies = [session.get(pond.url + url, timeout=10).text for url in PAGES]
            upstream.on(None, None, echo_credentials(500))
            time.sleep(0.3)  # past the drill TTL: every page goes upstream again
            for url in PAGES:
                resp = session.get(pond.url + url, timeout=10)
                assert resp.status_code in (200, 503), (url, resp.status_code)
                bodies.append(resp.text + str(resp.headers))
            output = pond.log()
        assert f"Bearer {TOKEN}" in upstream.requests[0].headers.get("Authorization", "")
    assert "GET /models/" in output, "the server log was not captured"
    assert not [b[:300] for b in bodies if secrets_in(b)]
    assert not secrets_in(output), [line for line in output.splitlines() if secrets_in(line)][:5]
