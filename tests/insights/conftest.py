"""Named users, upstream data made through the embedded registry's real HTTP API, and
Pond's own records (ledger, poller state, recorded resources) made the way Pond makes them.

alice is a viewer (any role may read the insights); bob an engineer.
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


@pytest.fixture(autouse=True)
def _isolated_upstream_state(settings, tmp_path) -> Iterator[None]:
    """A cache and locks of this test's own, short timeouts, deployments active at once,
    default thresholds; the catalog memo dropped (it is kept per upstream URL)."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path / "cache")}
    }
    settings.POND_LOCK_DIR = tmp_path / "locks"
    settings.JFROG_ML_CONNECT_TIMEOUT = 0.5
    settings.JFROG_ML_READ_TIMEOUT = 5.0
    settings.JFROG_ML_RETRIES = 0
    settings.JFROG_ML_BACKOFF = 0.0
    settings.REGISTRY_DEPLOY_DELAY = 0.0
    settings.POND_STATUS_WEBHOOKS = []
    settings.POND_INSIGHTS_MAX_PRODUCTION_VERSIONS = 1
    settings.POND_INSIGHTS_PRODUCTION_LIMITS = {}
    settings.POND_INSIGHTS_STUCK_DEPLOYMENT_SECONDS = 1800.0
    settings.POND_INSIGHTS_LONG_EXPERIMENT_SECONDS = 3 * 86400.0
    settings.POND_INSIGHTS_STALE_DRAFT_SECONDS = 30 * 86400.0
    settings.POND_INSIGHTS_ATTENTION_SECONDS = 0.0
    settings.POND_INSIGHTS_ARTIFACT_PEEK_MAX = 1000
    _forget_catalog_memo()
    yield
    _forget_catalog_memo()


def _forget_catalog_memo() -> None:
    from webui.jfrogml import catalog

    catalog.reset_local_state()


@pytest.fixture
def users(db) -> dict[str, User]:
    ensure_roles()  # transactional tests (the live server) flush the groups the migration made
    made = {}
    for name, role in {"alice": "viewer", "bob": "engineer"}.items():
        user = User.objects.create_user(name, f"{name}@example.com", PASSWORD)
        user.groups.add(Group.objects.get(name=role))
        made[name] = user
    return made


@pytest.fixture
def alice(users) -> Client:
    client = Client()
    client.force_login(users["alice"])
    return client


class Registry:
    """Creates and changes upstream data over the registry's HTTP API, as any client would."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {django_settings.REGISTRY_SERVICE_TOKEN}"

    def _send(self, method: str, path: str, body: dict[str, Any] | None, expect: int) -> dict[str, Any]:
        resp = self.session.request(method, self.base_url + path, json=body, timeout=10)
        assert resp.status_code == expect, (method, path, resp.status_code, resp.text)
        return resp.json() if resp.content else {}

    def model(self, name: str = "churn", **fields: Any) -> dict[str, Any]:
        body = {"name": name, "framework": "sklearn", "task_type": "classification", "tags": ["demo"], **fields}
        return self._send("POST", "/v1/models", body, 201)

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

    def set_version_status(self, model_id: str, version_id: str, status: str) -> None:
        self._send("PATCH", f"/v1/models/{model_id}/versions/{version_id}", {"status": status}, 200)

    def deployment(self, model_id: str, version_id: str, name: str, **fields: Any) -> dict[str, Any]:
        body = {"name": name, "model_id": model_id, "model_version_id": version_id, **fields}
        return self._send("POST", "/v1/deployments", body, 201)

    def set_deployment_status(self, deployment_id: str, status: str) -> None:
        self._send("PATCH", f"/v1/deployments/{deployment_id}", {"status": status}, 200)

    def experiment(self, name: str, **fields: Any) -> dict[str, Any]:
        return self._send("POST", "/v1/experiments", {"name": name, **fields}, 201)


@pytest.fixture
def registry(upstream_url) -> Iterator[Registry]:
    reg = Registry(upstream_url)
    yield reg
    reg.session.close()


@pytest.fixture
def poll() -> Callable[[], None]:
    """One real poll, as the Celery poller runs it: refreshes the cached deployment list
    pages read and records each deployment's observed status in Pond's database."""
    from webui.status.poller import poll as run_poll

    def run() -> None:
        outcome = run_poll(force=True)
        assert outcome.polled, outcome

    return run


def record_pond_promotion(*, model_id: str, version_id: str, label: str, upstream_before: str = "staging", **extra: Any):
    """The ledger entry Pond writes when JFrog ML cannot store a promotion (PATCH missing)."""
    from webui.reviews.models import LedgerEntry

    return LedgerEntry.objects.create(
        kind=LedgerEntry.APPLY,
        actor="rita",
        model_id=model_id,
        version_id=version_id,
        version_label=label,
        from_status=upstream_before,
        to_status="production",
        outcome=LedgerEntry.POND,
        details={"upstream_before": upstream_before},
        **extra,
    )


def flags_of(payload: dict[str, Any], model_id: str) -> list[dict[str, Any]]:
    row = next(r for r in payload["rows"] if r["model"]["id"] == model_id)
    return row["flags"]
