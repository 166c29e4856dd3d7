"""Named users with a role each (by group, so the groups' rights are what is tested)."""

from __future__ import annotations

from collections.abc import Mapping

from django.contrib.auth.models import Group, User
from django.test import Client

from webui.core.roles import ensure_roles

PASSWORD = "correct horse battery staple"


def users_with_roles(role_of: Mapping[str, str], *, password: str = PASSWORD) -> dict[str, User]:
    """One user per name in the group of its role, e.g. {"alice": "viewer"}."""
    # Transactional tests (the live server) flush the groups the migration made.
    ensure_roles()
    made = {}
    for name, role in role_of.items():
        user = User.objects.create_user(name, f"{name}@example.com", password)
        user.groups.add(Group.objects.get(name=role))
        made[name] = user
    return made


def log_in(client: Client, username: str, password: str = PASSWORD) -> Client:
    """Log in through the login form, as a person would (and as login throttling sees it)."""
    page = client.get("/accounts/login/")
    token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
    assert page.status_code == 200
    resp = client.post("/accounts/login/", {"username": username, "password": password, "csrfmiddlewaretoken": token})
    assert resp.status_code == 302, resp.content.decode()[:500]
    return client
