"""Fixtures for the embedded registry's tests: principals and an authenticated client."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from registry.auth import token_create

API = "/ml/api/v1"


class Api:
    """An APIClient speaking JSON to the registry, with helpers that assert success."""

    def __init__(self, client: APIClient) -> None:
        self.client = client

    def get(self, path: str, **params: Any):
        return self.client.get(API + path, params)

    def post(self, path: str, body: Any):
        return self.client.post(API + path, body, format="json")

    def put(self, path: str, body: Any):
        return self.client.put(API + path, body, format="json")

    def patch(self, path: str, body: Any):
        return self.client.patch(API + path, body, format="json")

    def delete(self, path: str):
        return self.client.delete(API + path)

    def raw(self, method: str, path: str, body: bytes | str, content_type: str = "application/json"):
        return self.client.generic(method, API + path, body, content_type=content_type)

    def model(self, name: str = "churn", **fields: Any) -> dict[str, Any]:
        resp = self.post("/models", {"name": name, **fields})
        assert resp.status_code == 201, resp.content
        return resp.json()

    def version(self, model_id: str, version: str = "1.0", **fields: Any) -> dict[str, Any]:
        resp = self.post(f"/models/{model_id}/versions", {"version": version, **fields})
        assert resp.status_code == 201, resp.content
        return resp.json()

    def experiment(self, name: str = "run", **fields: Any) -> dict[str, Any]:
        resp = self.post("/experiments", {"name": name, **fields})
        assert resp.status_code == 201, resp.content
        return resp.json()

    def deployment(self, model_id: str, version_id: str, name: str = "churn-prod", **fields: Any) -> dict[str, Any]:
        body = {"name": name, "model_id": model_id, "model_version_id": version_id, **fields}
        resp = self.post("/deployments", body)
        assert resp.status_code == 201, resp.content
        return resp.json()


@pytest.fixture
def alice_token(db) -> str:
    _, token = token_create(username="alice")
    return token


@pytest.fixture
def api(alice_token) -> Api:
    """alice's token: a program's account made by `token_create`, which may read and write
    (`registry.access_api`) but not move a version to staging or production."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {alice_token}")
    return Api(client)


@pytest.fixture
def service_api(settings) -> Api:
    """Pond's own service principal (settings.REGISTRY_SERVICE_TOKEN): what Pond's review
    flow calls the registry as, the one caller that sets staging and production."""
    assert settings.REGISTRY_SERVICE_TOKEN
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {settings.REGISTRY_SERVICE_TOKEN}")
    return Api(client)


def error_of(resp) -> dict[str, Any]:
    """The error member of the one error shape (asserting the shape)."""
    body = resp.json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"]), body
    return body["error"]
