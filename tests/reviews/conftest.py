"""Named users per role, upstream data through the registry's HTTP API, and a proxy
that plays an upstream without the status extension.

vic is a viewer, eve an engineer, rita and rex reviewers, ada an admin (by group),
root a superuser.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.reviews.proxy import UpstreamProxy
from tests.support.isolation import forget_catalog_memo, own_file_cache
from tests.support.people import PASSWORD, users_with_roles
from tests.support.registry_http import StagedRegistryHttp

ROLE_OF = {"vic": "viewer", "eve": "engineer", "rita": "reviewer", "rex": "reviewer", "ada": "admin"}


@pytest.fixture(autouse=True)
def _isolated_upstream_state(settings, tmp_path) -> Iterator[None]:
    """A cache of this test's own and short timeouts; the catalog memo dropped."""
    own_file_cache(settings, tmp_path)
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
    forget_catalog_memo()
    yield
    forget_catalog_memo()


@pytest.fixture
def users(db) -> dict[str, User]:
    made = users_with_roles(ROLE_OF)
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


class Registry(StagedRegistryHttp):
    """Upstream data over the registry's HTTP API, plus what the promotion tests check."""

    def set_status(self, model_id: str, version_id: str, status: str) -> None:
        self.set_version_status(model_id, version_id, status)

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
    reg.close()


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
