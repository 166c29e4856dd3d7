"""The login (and logout) `next` parameter never sends anyone off-site."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client

from tests.security.conftest import PASSWORD

pytestmark = pytest.mark.django_db

HOSTILE_NEXT = [
    "//evil.example",
    "///evil.example",
    "https://evil.example",
    "http://evil.example/models/",
    "https:evil.example",
    "http:/evil.example",
    "javascript:alert(document.cookie)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    " //evil.example",
    "https://testserver@evil.example/",
    "//testserver.evil.example",
]


def _is_on_site(location: str) -> bool:
    parts = urlsplit(location)
    return (
        not parts.scheme
        and not parts.netloc
        and location.startswith("/")
        and not location.startswith(("//", "/\\"))
        and "evil.example" not in location
    )


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_logging_in_with_a_hostile_next_lands_on_the_site(role_users, target):
    resp = Client().post("/accounts/login/", {"username": "alice", "password": PASSWORD, "next": target})
    assert resp.status_code == 302
    assert _is_on_site(resp["Location"]), resp["Location"]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_logging_in_with_a_hostile_next_in_the_query_lands_on_the_site(role_users, target):
    resp = Client().post(f"/accounts/login/?next={target}", {"username": "alice", "password": PASSWORD})
    assert resp.status_code == 302
    assert _is_on_site(resp["Location"]), resp["Location"]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_logging_out_with_a_hostile_next_lands_on_the_site(client_as, target):
    client = client_as("viewer")
    resp = client.post("/accounts/logout/", {"next": target})
    if resp.status_code == 302:
        assert _is_on_site(resp["Location"]), resp["Location"]
    else:
        assert resp.status_code == 200  # the logged-out page, no redirect at all


def test_a_safe_next_is_honoured(role_users):
    """The control: the checks above would pass on a login that ignored `next` altogether."""
    resp = Client().post("/accounts/login/", {"username": "alice", "password": PASSWORD, "next": "/models/?q=a"})
    assert resp["Location"] == "/models/?q=a"


def test_the_next_parameter_is_escaped_in_the_login_form(db):
    body = Client().get('/accounts/login/?next="><script>alert(1)</script>').content.decode()
    assert "<script>alert(1)</script>" not in body


def test_a_login_page_redirect_carries_only_a_local_next(db):
    resp = Client().get("/models/?q=x")
    assert resp.status_code == 302
    assert resp["Location"] == "/accounts/login/?next=/models/%3Fq%3Dx"
