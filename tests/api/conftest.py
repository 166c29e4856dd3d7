"""The reviews' people and upstream data (tests/reviews/conftest.py), and API clients
that authenticate with each person's own token."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from tests.reviews.conftest import _isolated_upstream_state, churn, client_for, registry, users  # noqa: F401
from webui.api.tokens import token_create


@pytest.fixture
def token_for(users) -> Callable[[str], str]:  # noqa: F811 (the fixture imported above)
    """`token_for("eve")`: a fresh personal API token of eve's."""
    counter = iter(range(1_000_000))

    def make(name: str) -> str:
        return token_create(user=users[name], name=f"test token {next(counter)}")[1]

    return make


@pytest.fixture
def api(token_for) -> Callable[[str], APIClient]:
    """`api("rita")`: a client sending one of rita's tokens, as a pipeline does."""

    def make(name: str) -> APIClient:
        client = APIClient(enforce_csrf_checks=True)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(name)}")
        return client

    return make
