"""Fixtures of the fault drills: a misbehaving upstream serving a small world, a user."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Group, User

from tests.dashboard.fake_upstream import serve_world, simple_world
from tests.support.faultserver import FaultServer
from webui.core.roles import ensure_roles

PASSWORD = "correct horse battery staple"
# The pages a person keeps open during an outage (all read the simple world).
PAGES = ["/", "/models/", "/models/mdl_1/", "/deployments/", "/deployments/dep_1/", "/experiments/", "/experiments/exp_1/"]


@pytest.fixture
def upstream() -> Iterator[FaultServer]:
    """A JFrog ML that answers the simple world until a test scripts a fault."""
    with FaultServer() as server:
        serve_world(server, **simple_world())
        yield server


@pytest.fixture
def bob(transactional_db, settings) -> User:
    ensure_roles()
    user = User.objects.create_user("bob", "bob@example.com", PASSWORD)
    user.groups.add(Group.objects.get(name="engineer"))
    return user
