"""Named users per role, upstream data through the registry's HTTP API, and a proxy
that plays an upstream without the status extension.

vic is a viewer, eve an engineer, rita and rex reviewers, ada an admin (by group),
root a superuser.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, User
from django.test import Client

from tests.reviews.proxy import UpstreamProxy
from webui.dashboard.roles import ensure_roles

PASSWORD = "correct horse battery staple"
ROLE_OF = {"vic": "viewer", "eve": "engineer", "rita": "reviewer", "rex": "reviewer", "ada": "admin"}


@pytest.fixture(autouse=True)
def _isolated_upstream_state(settings, tmp_path) -> Iterator[None]:
    """A cache of this test's own and short timeouts; the catalog memo dropped."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
    settings.POND_LOCK_DIR = tmp_path / "locks"
    settings.JFROG_ML_CONNECT_TIMEOUT = 0.5
    settings.JFROG_ML_READ_TIMEOUT = 3.0
    settings.JFROG_ML_RETRIES = 0
    settings.JFROG_ML_BACKOFF = 0.0
    settings.REGISTRY_DEPLOY_DELAY = 0.2
    settings.POND_PROMOTION_RULES = []
    settings.POND_REVIEW_WEBHOOKS = []
    settings.POND_TWO_PERSON_RULE = True
    settings.POND_REVIEWER_DIRECT_PROMOTE = False
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
    made["root"] = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    return made


@pytest.fixture
def client_for(users) -> Callable[..., Client]:
    """`client_for("eve")`: a client logged in as eve, with CSRF enforced."""

    def make(name: str) -> Client:
        client = Client(enforce_csrf_checks=True)
        client.force_login(users[name])
        return client

    return make


def post_form(client: Client, url: str, data: dict[str, Any]):
    """POST like a browser does: fetch the CSRF cookie first, send the token back."""
    client.get("/reviews/")
    token = client.cookies["csrftoken"].value
    return client.post(url, {**data, "csrfmiddlewaretoken": token})


class Registry:
    """Creates upstream data over the registry's HTTP API, as any JFrog ML client would."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {django_settings.REGISTRY_SERVICE_TOKEN}"

    def model(self, name: str = "churn", **fields: Any) -> dict[str, Any]:
        body = {"name": name, "framework": "sklearn", "task_type": "classification", "tags": ["demo"], **fields}
        resp = self.session.post(f"{self.base_url}/v1/models", json=body, timeout=10)
        assert resp.status_code == 201, resp.text
        return resp.json()

    def version(self, model_id: str, version: str, status: str = "draft", **fields: Any) -> dict[str, Any]:
        body = {
            "version": version,
            "metrics": {"accuracy": 0.9, "loss": 0.3},
            "parameters": {"lr": "0.01"},
            "artifact_path": f"models/{version}.pkl",
            **fields,
        }
        resp = self.session.post(f"{self.base_url}/v1/models/{model_id}/versions", json=body, timeout=10)
        assert resp.status_code == 201, resp.text
        created = resp.json()
        if status != "draft":
            self.set_status(model_id, created["id"], status)
        return {**created, "status": status}

    def set_status(self, model_id: str, version_id: str, status: str) -> None:
        resp = self.session.patch(
            f"{self.base_url}/v1/models/{model_id}/versions/{version_id}", json={"status": status}, timeout=10
        )
        assert resp.status_code == 200, resp.text

    def status_of(self, model_id: str, version_id: str) -> str:
        resp = self.session.get(f"{self.base_url}/v1/models/{model_id}/versions/{version_id}", timeout=10)
        assert resp.status_code == 200, resp.text
        return resp.json()["status"]

    def delete_version(self, model_id: str, version_id: str) -> None:
        resp = self.session.delete(f"{self.base_url}/v1/models/{model_id}/versions/{version_id}", timeout=10)
        assert resp.status_code == 204, resp.text

    def deployments(self) -> list[dict[str, Any]]:
        resp = self.session.get(f"{self.base_url}/v1/deployments", timeout=10)
        assert resp.status_code == 200, resp.text
        return resp.json()["deployments"]


@pytest.fixture
def registry(upstream_url) -> Iterator[Registry]:
    reg = Registry(upstream_url)
    yield reg
    reg.session.close()


@pytest.fixture
def churn(registry) -> dict[str, Any]:
    """A model with v1 in production, v2 in staging (better), v3 a draft."""
    model = registry.model("churn", tags=["fraud"])
    v1 = registry.version(
        model["id"], "v1", "production", metrics={"accuracy": 0.90, "loss": 0.30}, parameters={"lr": "0.01", "depth": "6"}
    )
    v2 = registry.version(
        model["id"], "v2", "staging", metrics={"accuracy": 0.93, "loss": 0.25}, parameters={"lr": "0.02", "depth": "6"}
    )
    v3 = registry.version(model["id"], "v3", "draft", metrics={"accuracy": 0.80, "loss": 0.50})
    return {"model": model, "id": model["id"], "v1": v1, "v2": v2, "v3": v3}


@pytest.fixture
def proxy(upstream_url, settings) -> Iterator[UpstreamProxy]:
    """A real HTTP proxy in front of the embedded registry; Pond talks to it."""
    with UpstreamProxy(upstream_url) as server:
        settings.JFROG_ML_URL = server.url
        yield server
