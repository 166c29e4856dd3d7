"""Single sign-on against a real OpenID Connect provider on loopback (tests/sso/provider.py).

Pond runs in pytest-django's live server, so the provider can send the browser back to
it; the provider runs once per test process, with Pond's live server as its client's
redirect URI. Each test starts with nobody at the provider and sets the people it needs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import requests

from tests.sso.provider import CLIENT_ID, CLIENT_SECRET, Provider, provider_installed

# Playwright's sync API (the browser test) runs an event loop in the test thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROLE_MAP = "ml-admins:admin,ml-reviewers:reviewer,ml-engineers:engineer,*:viewer"


@pytest.fixture(scope="session")
def node() -> str:
    return provider_installed()


@pytest.fixture(scope="session")
def provider_process(node, live_server, tmp_path_factory) -> Iterator[Provider]:
    provider = Provider(node, tmp_path_factory.mktemp("oidc-provider"), live_server.url).start()
    yield provider
    provider.stop()


@pytest.fixture
def provider(provider_process, settings, transactional_db) -> Provider:
    """The provider, with nobody in it, and Pond configured to sign in through it."""
    provider_process.accounts_file.write_text("{}")
    configure_sso(settings, provider_process.issuer)
    return provider_process


def configure_sso(settings, issuer: str, **overrides: object) -> None:
    settings.POND_OIDC_ISSUER = issuer
    settings.POND_OIDC_CLIENT_ID = CLIENT_ID
    settings.POND_OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.POND_OIDC_ROLE_MAP = ROLE_MAP
    settings.POND_OIDC_NAME = "Acme ID"
    settings.POND_OIDC_TIMEOUT = 5.0
    settings.POND_LOCAL_LOGIN = True
    for name, value in overrides.items():
        setattr(settings, name, value)


@pytest.fixture
def pond(live_server, upstream_url) -> str:
    """Pond's address (its pages read the embedded registry it serves itself)."""
    return live_server.url


@pytest.fixture
def browser_session() -> Iterator[requests.Session]:
    """A person's browser, played by requests: cookies for Pond and the provider alike."""
    with requests.Session() as session:
        yield session
