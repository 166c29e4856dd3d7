"""Fixtures for the status page and poller tests.

Every test gets its own key prefix on a real Redis (`redis_cache`), so the cached
status document of one test never leaks into another; named users have different
rights: alice is a superuser, carol may manage share links, bob may only view.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from django.contrib.auth.models import Permission, User

from webui.status import document
from webui.status.poller import Observation, record_observations, record_success


@pytest.fixture(autouse=True)
def _status_cache(redis_cache, settings):
    return redis_cache


@pytest.fixture
def alice(db) -> User:
    return User.objects.create_superuser("alice", "alice@example.com", "alice-password-1")


@pytest.fixture
def bob(db) -> User:
    return User.objects.create_user("bob", "bob@example.com", "bob-password-1")


@pytest.fixture
def carol(db) -> User:
    user = User.objects.create_user("carol", "carol@example.com", "carol-password-1")
    user.user_permissions.add(Permission.objects.get(codename="manage_share_links"))
    return user


def observe_poll(
    statuses: dict[str, str], *, at: datetime, model_id: str = "m-1", names: dict[str, str] | None = None
) -> None:
    """One successful poll that saw `statuses` ({deployment id: status}), then publish."""
    names = names or {}
    record_observations(
        [
            Observation(
                deployment_id=d,
                status=s,
                name=names.get(d, f"{d}-name"),
                model_id=model_id,
                version_id=f"{d}-v1",
            )
            for d, s in statuses.items()
        ],
        now=at,
    )
    record_success(now=at, cycle_seconds=0.01)
    document.publish(now=at)
