"""Pond reaches its own embedded registry whatever DJANGO_ALLOWED_HOSTS lists.

The compose stack set POND_SELF_URL=http://web:8000 while the operator's host list
was `localhost,127.0.0.1`: every self-call was a DisallowedHost 400, and every page
said "JFrog ML rejected the input". Here a real gunicorn serves Pond on a host list
that names neither the self URL's host nor anything else but the public name.
"""

from __future__ import annotations

import re

import pytest
import requests
from django.core.management import call_command

from tests.faults.pond_server import drill_env, free_port, pond_server
from tests.support.people import PASSWORD, users_with_roles

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _login_as(url: str, host: str, username: str) -> requests.Session:
    session = requests.Session()
    session.headers["Host"] = host
    page = session.get(url + "/accounts/login/", timeout=10)
    assert page.status_code == 200, page.text[:300]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    resp = session.post(
        url + "/accounts/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 302, resp.text[:500]
    return session


def test_pages_reach_the_embedded_registry_at_a_self_url_the_host_list_does_not_name(tmp_path):
    call_command("seed_registry", models=2, experiments=0, deployments=0, stdout=None)
    users_with_roles({"erin": "engineer"})
    port = free_port()
    env = drill_env(upstream="unused", tmp_path=tmp_path)
    for name in ("JFROG_ML_URL", "JFROG_ML_TOKEN"):
        env.pop(name)
    env.update(
        {
            "POND_EMBEDDED_REGISTRY": "1",
            # The operator allows the public name (and loopback for this test's health probe)...
            "DJANGO_ALLOWED_HOSTS": "pond.example.com,127.0.0.1",
            # ...and Pond calls itself by another name, as compose's `web` service does.
            "POND_SELF_URL": f"http://localhost:{port}",
        }
    )
    with pond_server(env=env, tmp_path=tmp_path, port=port) as pond:
        session = _login_as(pond.url, "pond.example.com", "erin")
        page = session.get(pond.url + "/models/", timeout=30)
        assert page.status_code == 200, (page.status_code, pond.log()[-3000:])
        assert "rejected the input" not in page.text
        assert re.search(r'href="/models/[^"/]+/"', page.text), page.text[:3000]
        # Any other Host is still refused: only the self URL's host was added.
        other = requests.get(pond.url + "/healthz", headers={"Host": "evil.example.com"}, timeout=10)
        assert other.status_code == 400
