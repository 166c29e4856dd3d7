"""Named users, upstream data made through the embedded registry's real HTTP API, and
Pond's own records (ledger, poller state, recorded resources) made the way Pond makes them.

alice is a viewer (any role may read the insights); bob an engineer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.support.isolation import forget_catalog_memo, own_file_cache
from tests.support.people import users_with_roles
from tests.support.registry_http import StagedRegistryHttp


@pytest.fixture(autouse=True)
def _isolated_upstream_state(settings, tmp_path) -> Iterator[None]:
    """A cache and locks of this test's own, short timeouts, deployments active at once,
    default thresholds; the catalog memo dropped (it is kept per upstream URL)."""
    own_file_cache(settings, tmp_path)
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
    forget_catalog_memo()
    yield
    forget_catalog_memo()


@pytest.fixture
def users(db) -> dict[str, User]:
    return users_with_roles({"alice": "viewer", "bob": "engineer"})


@pytest.fixture
def alice(users) -> Client:
    client = Client()
    client.force_login(users["alice"])
    return client


class Registry(StagedRegistryHttp):
    """Upstream data over the registry's HTTP API, deployments' status included."""

    def set_deployment_status(self, deployment_id: str, status: str) -> None:
        self._send("PATCH", f"/v1/deployments/{deployment_id}", {"status": status}, 200)


@pytest.fixture
def registry(upstream_url) -> Iterator[Registry]:
    reg = Registry(upstream_url)
    yield reg
    reg.close()


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
