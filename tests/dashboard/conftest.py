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
import requests
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, User
from django.test import Client

from webui.dashboard.roles import ensure_roles

PASSWORD = "correct horse battery staple"
ROLE_OF = {"alice": "viewer", "bob": "engineer", "carol": "reviewer", "dave": "admin"}


@pytest.fixture(autouse=True)
def _isolated_upstream_state(settings, tmp_path) -> Iterator[None]:
    """A cache of this test's own, short fault windows, a fast deploy.

    The service layer keeps the last catalog in process memory keyed by upstream
    URL; every test shares one live server URL, so that memo is dropped too, or
    one test's models would show up in the next.
    """
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
    settings.JFROG_ML_CONNECT_TIMEOUT = 0.5
    settings.JFROG_ML_READ_TIMEOUT = 5.0
    settings.JFROG_ML_RETRIES = 0
    settings.JFROG_ML_BACKOFF = 0.0
    settings.REGISTRY_DEPLOY_DELAY = 0.5
    # Four users per test: the production hasher would spend seconds on them.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    _forget_catalog_memo()
    yield
    _forget_catalog_memo()


def _forget_catalog_memo() -> None:
    try:
        from webui.jfrogml import catalog
    except ImportError:
        return
    memo = getattr(catalog, "_memo", None)
    if isinstance(memo, dict):
        memo.clear()


@pytest.fixture
def users(db) -> dict[str, User]:
    # Transactional tests (the live server) flush the groups the migration made.
    ensure_roles()
    made = {}
    for name, role in ROLE_OF.items():
        user = User.objects.create_user(name, f"{name}@example.com", PASSWORD)
        user.groups.add(Group.objects.get(name=role))
        made[name] = user
    return made


@pytest.fixture
def client_for(users) -> Callable[..., Client]:
    """`client_for("bob")`: a client logged in as bob (CSRF enforced if asked)."""

    def make(name: str, *, enforce_csrf: bool = False) -> Client:
        return log_in(Client(enforce_csrf_checks=enforce_csrf), name)

    return make


def log_in(client: Client, username: str, password: str = PASSWORD) -> Client:
    """Log in through the login form, as a person would (and as login throttling sees it)."""
    page = client.get("/accounts/login/")
    token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
    assert page.status_code == 200
    resp = client.post("/accounts/login/", {"username": username, "password": password, "csrfmiddlewaretoken": token})
    assert resp.status_code == 302, resp.content.decode()[:500]
    return client


class Registry:
    """Creates upstream data over the registry's HTTP API, as any JFrog ML client would."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {django_settings.REGISTRY_SERVICE_TOKEN}"

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        resp = self.session.post(self.base_url + path, json=body, timeout=10)
        assert resp.status_code == 201, (resp.status_code, resp.text)
        return resp.json()

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.base_url + path, timeout=10)

    def model(self, name: str = "churn", **fields: Any) -> dict[str, Any]:
        body = {"name": name, "framework": "sklearn", "task_type": "classification", "tags": ["demo"], **fields}
        return self._post("/v1/models", body)

    def version(self, model_id: str, version: str = "1.0.0", **fields: Any) -> dict[str, Any]:
        body = {"version": version, "metrics": {"accuracy": 0.9, "loss": 0.3}, "parameters": {"lr": "0.01"}, **fields}
        return self._post(f"/v1/models/{model_id}/versions", body)

    def experiment(self, name: str = "exp-1", **fields: Any) -> dict[str, Any]:
        return self._post("/v1/experiments", {"name": name, **fields})

    def deployment(self, model_id: str, version_id: str, name: str = "churn-prod", **fields: Any) -> dict[str, Any]:
        body = {"name": name, "model_id": model_id, "model_version_id": version_id, **fields}
        return self._post("/v1/deployments", body)

    def set_version_status(self, model_id: str, version_id: str, status: str) -> None:
        resp = self.session.patch(
            f"{self.base_url}/v1/models/{model_id}/versions/{version_id}", json={"status": status}, timeout=10
        )
        assert resp.status_code == 200, (resp.status_code, resp.text)

    def exists(self, path: str) -> bool:
        status = self.get(path).status_code
        assert status in (200, 404), status
        return status == 200


@pytest.fixture
def registry(upstream_url) -> Iterator[Registry]:
    reg = Registry(upstream_url)
    yield reg
    reg.session.close()


@pytest.fixture
def dead_upstream(settings, dead_port) -> str:
    """Point Pond at a port where nothing listens."""
    url = f"http://127.0.0.1:{dead_port}/ml/api"
    settings.JFROG_ML_URL = url
    return url
