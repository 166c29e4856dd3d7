"""Named users per role, logged-in clients, and a way to put data in the registry.

alice is a viewer, bob an engineer, carol a reviewer, dave an admin (by group,
not superuser, so the group's permissions are what is tested).

Data is created through the embedded registry's real HTTP API (the same one Pond
reads), with the service token the registry trusts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.support.isolation import forget_catalog_memo, own_file_cache, quick_upstream
from tests.support.people import PASSWORD, log_in, users_with_roles
from tests.support.registry_http import RegistryHttp

__all__ = ["PASSWORD", "Registry", "log_in"]

ROLE_OF = {"alice": "viewer", "bob": "engineer", "carol": "reviewer", "dave": "admin"}


@pytest.fixture(autouse=True)
def _isolated_upstream_state(settings, tmp_path) -> Iterator[None]:
    """A cache of this test's own, short fault windows, a fast deploy.

    The service layer keeps the last catalog in process memory keyed by upstream
    URL; every test shares one live server URL, so that memo is dropped too, or
    one test's models would show up in the next.
    """
    own_file_cache(settings, tmp_path)
    quick_upstream(settings, deploy_delay=0.5)
    forget_catalog_memo()
    yield
    forget_catalog_memo()


@pytest.fixture
def users(db) -> dict[str, User]:
    return users_with_roles(ROLE_OF)


@pytest.fixture
def client_for(users) -> Callable[..., Client]:
    """`client_for("bob")`: a client logged in as bob (CSRF enforced if asked)."""

    def make(name: str, *, enforce_csrf: bool = False) -> Client:
        return log_in(Client(enforce_csrf_checks=enforce_csrf), name)

    return make


class Registry(RegistryHttp):
    """Upstream data over the registry's HTTP API; versions are created as drafts."""

    def version(self, model_id: str, version: str = "1.0.0", **fields: Any) -> dict[str, Any]:
        body = {"version": version, "metrics": {"accuracy": 0.9, "loss": 0.3}, "parameters": {"lr": "0.01"}, **fields}
        return self._send("POST", f"/v1/models/{model_id}/versions", body, 201)

    def exists(self, path: str) -> bool:
        status = self.get(path).status_code
        assert status in (200, 404), status
        return status == 200


@pytest.fixture
def registry(upstream_url) -> Iterator[Registry]:
    reg = Registry(upstream_url)
    yield reg
    reg.close()


@pytest.fixture
def dead_upstream(settings, dead_port) -> str:
    """Point Pond at a port where nothing listens."""
    url = f"http://127.0.0.1:{dead_port}/ml/api"
    settings.JFROG_ML_URL = url
    return url
