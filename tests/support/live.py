"""Talking to a Pond that runs in a process of its own, as a browser or a probe would."""

from __future__ import annotations

import re
import time

import pytest
import requests


def wait_healthy(base_url: str, *, seconds: float = 60.0, what: str = "Pond") -> None:
    """Until /healthz answers 200 (the test fails, saying so, after `seconds`)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base_url}/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    pytest.fail(f"{what} did not answer /healthz within {seconds:g} s")


def log_in_over_http(base_url: str, username: str, password: str) -> requests.Session:
    """A session signed in through the real login form (CSRF and all)."""
    session = requests.Session()
    page = session.get(base_url + "/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    resp = session.post(
        base_url + "/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": base_url + "/accounts/login/"},
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 302 and "sessionid" in session.cookies, (resp.status_code, resp.text[:500])
    return session
