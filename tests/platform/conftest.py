"""Pond pointed at JFrog's own fake platform (`frogml_services_mock`) over gRPC.

These tests need the `jfrog-platform` extra (`pip install -e '.[jfrog-platform]'`,
which `make install-dev` installs). Without it they skip, saying so, except in CI
(CI=true), where a missing extra is a failure like a missing service.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.conftest import IN_CI
from tests.support.isolation import forget_catalog_memo, own_file_cache, quick_upstream
from tests.support.people import log_in, users_with_roles

ROLE_OF = {"alice": "viewer", "bob": "engineer", "carol": "reviewer", "dave": "admin"}


def _require_frogml() -> None:
    if importlib.util.find_spec("frogml") and importlib.util.find_spec("frogml_services_mock"):
        return
    message = "JFrog's SDK `frogml` is not installed (pip install -e '.[jfrog-platform]')"
    if IN_CI:
        pytest.fail(f"{message}; CI must have it (make install-dev installs it)")
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path) -> Iterator[None]:
    own_file_cache(settings, tmp_path)
    quick_upstream(settings)
    forget_catalog_memo()
    yield
    forget_catalog_memo()


@pytest.fixture
def platform_mock() -> Iterator[object]:
    """The SDK's mock servers on a free port (plaintext), stopped after the test."""
    _require_frogml()
    from tests.platform.mock import PlatformMock

    mock = PlatformMock()
    yield mock
    mock.stop()
    from webui.jfrogml.platform.client import close_channels

    close_channels()


def point_pond_at(
    settings, mock, *, project_id: str, tls: bool = False, url: str = "http://127.0.0.1:9"
) -> None:
    settings.JFROG_ML_PROTOCOL = "grpc"
    settings.JFROG_ML_URL = url
    settings.JFROG_ML_TOKEN = "pond-test-token-not-a-jwt"
    settings.JFROG_ML_GRPC_ADDRESS = mock.address
    settings.JFROG_ML_GRPC_TLS = tls
    settings.JFROG_ML_PROJECTS = [project_id]


@pytest.fixture
def world(platform_mock, settings) -> dict:
    """A project, two models, builds with tracked params and metrics, two deployments."""
    mock = platform_mock
    project_id = mock.project()
    churn, churn_uuid = mock.model(
        "churn-predictor", project_id=project_id, description="Predicts churn"
    )
    fraud, fraud_uuid = mock.model(
        "fraud-scorer", project_id=project_id, description="Scores fraud"
    )
    b1 = mock.build(
        churn_uuid, name="build-1", params={"lr": "0.01"}, metrics={"accuracy": 0.81, "loss": 0.4}
    )
    b2 = mock.build(
        churn_uuid, name="build-2", params={"lr": "0.02"}, metrics={"accuracy": 0.88, "loss": 0.3}
    )
    b3 = mock.build(
        fraud_uuid,
        name="fraud-build-1",
        params={"depth": "6"},
        metrics={"auc": 0.91},
        status="IN_PROGRESS",
    )
    d1 = mock.deploy(churn, environment="11111111-1111-4111-8111-111111111111", build_id=b1)
    d2 = mock.deploy(fraud, environment="22222222-2222-4222-8222-222222222222", build_id=b3)
    point_pond_at(settings, mock, project_id=project_id)
    return {
        "mock": mock,
        "project_id": project_id,
        "churn": churn,
        "fraud": fraud,
        "b1": b1,
        "b2": b2,
        "b3": b3,
        "d1": d1,
        "d2": d2,
    }


@pytest.fixture
def users(db) -> dict[str, User]:
    return users_with_roles(ROLE_OF)


@pytest.fixture
def client_for(users) -> Callable[..., Client]:
    def make(name: str) -> Client:
        return log_in(Client(), name)

    return make
