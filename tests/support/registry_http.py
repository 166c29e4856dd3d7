"""Upstream data made over the embedded registry's real HTTP API, as any JFrog ML client would.

Each area's `registry` fixture subclasses `RegistryHttp` for the version defaults its
tests read best with; the calls and their checks are these.
"""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings as django_settings


class RegistryHttp:
    """Creates and changes upstream data with the service token the registry trusts."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {django_settings.REGISTRY_SERVICE_TOKEN}"

    def _send(self, method: str, path: str, body: dict[str, Any] | None, expect: int) -> dict[str, Any]:
        resp = self.session.request(method, self.base_url + path, json=body, timeout=10)
        assert resp.status_code == expect, (method, path, resp.status_code, resp.text)
        return resp.json() if resp.content else {}

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.base_url + path, timeout=10)

    def model(self, name: str = "churn", **fields: Any) -> dict[str, Any]:
        body = {"name": name, "framework": "sklearn", "task_type": "classification", "tags": ["demo"], **fields}
        return self._send("POST", "/v1/models", body, 201)

    def set_version_status(self, model_id: str, version_id: str, status: str) -> None:
        self._send("PATCH", f"/v1/models/{model_id}/versions/{version_id}", {"status": status}, 200)

    def experiment(self, name: str = "exp-1", **fields: Any) -> dict[str, Any]:
        return self._send("POST", "/v1/experiments", {"name": name, **fields}, 201)

    def deployment(self, model_id: str, version_id: str, name: str = "churn-prod", **fields: Any) -> dict[str, Any]:
        body = {"name": name, "model_id": model_id, "model_version_id": version_id, **fields}
        return self._send("POST", "/v1/deployments", body, 201)

    def close(self) -> None:
        self.session.close()


class StagedRegistryHttp(RegistryHttp):
    """Versions created with an artifact path and moved straight to a status."""

    def version(self, model_id: str, version: str, status: str = "draft", **fields: Any) -> dict[str, Any]:
        body = {
            "version": version,
            "metrics": {"accuracy": 0.9, "loss": 0.3},
            "parameters": {"lr": "0.01"},
            "artifact_path": f"models/{version}.pkl",
            **fields,
        }
        created = self._send("POST", f"/v1/models/{model_id}/versions", body, 201)
        if status != "draft":
            self.set_version_status(model_id, created["id"], status)
        return {**created, "status": status}
