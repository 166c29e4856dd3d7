"""Bearer tokens and HTTP basic, nothing else; only principals with registry access."""

from __future__ import annotations

import base64

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from rest_framework.test import APIClient

from registry.auth import token_create
from registry.models import ApiToken, RegisteredModel
from tests.registry.conftest import API, error_of

pytestmark = pytest.mark.django_db


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def _client(authorization: str | None = None) -> APIClient:
    client = APIClient()
    if authorization:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    return client


def _assert_401(resp) -> None:
    assert resp.status_code == 401
    assert resp["WWW-Authenticate"] == 'Bearer realm="jfrog-ml"'
    assert error_of(resp)["code"] == "not_authenticated"


def test_no_credentials_is_401_with_www_authenticate():
    _assert_401(_client().get(f"{API}/models"))


def test_a_wrong_bearer_token_is_401(alice_token):
    _assert_401(_client("Bearer jfml_not-a-token").get(f"{API}/models"))
    _assert_401(_client("Bearer").get(f"{API}/models"))
    _assert_401(_client(f"Bearer {alice_token[:-1]}").get(f"{API}/models"))


def test_a_valid_bearer_token_acts_as_its_user(alice_token):
    resp = _client(f"Bearer {alice_token}").post(f"{API}/models", {"name": "churn"}, format="json")
    assert resp.status_code == 201
    assert resp.json()["created_by"] == "alice"


def test_a_write_without_credentials_writes_nothing():
    _assert_401(_client().post(f"{API}/models", {"name": "churn"}, format="json"))
    assert RegisteredModel.objects.count() == 0


def test_a_revoked_token_no_longer_works(alice_token):
    ApiToken.objects.all().delete()
    _assert_401(_client(f"Bearer {alice_token}").get(f"{API}/models"))


def test_a_token_of_an_inactive_user_is_refused(alice_token):
    get_user_model().objects.filter(username="alice").update(is_active=False)
    _assert_401(_client(f"Bearer {alice_token}").get(f"{API}/models"))


def test_the_service_token_acts_as_the_service_principal(settings):
    settings.REGISTRY_SERVICE_TOKEN = "s3rvice-token-for-tests"
    settings.REGISTRY_SERVICE_USERNAME = "pond-service"
    resp = _client("Bearer s3rvice-token-for-tests").post(f"{API}/models", {"name": "svc"}, format="json")
    assert resp.status_code == 201
    assert resp.json()["created_by"] == "pond-service"
    _assert_401(_client("Bearer s3rvice-token-for-test").get(f"{API}/models"))


def test_an_empty_service_token_setting_grants_nothing(settings):
    settings.REGISTRY_SERVICE_TOKEN = ""
    _assert_401(_client("Bearer ").get(f"{API}/models"))


def test_basic_auth_works_for_a_user_with_the_access_permission():
    user = get_user_model().objects.create_user("bob", password="correct horse")
    user.user_permissions.add(Permission.objects.get(codename="access_api", content_type__app_label="registry"))
    resp = _client(_basic("bob", "correct horse")).post(f"{API}/models", {"name": "m"}, format="json")
    assert resp.status_code == 201
    assert resp.json()["created_by"] == "bob"


def test_basic_auth_works_for_a_superuser():
    get_user_model().objects.create_superuser("root", password="correct horse")
    assert _client(_basic("root", "correct horse")).get(f"{API}/models").status_code == 200


def test_basic_auth_with_a_wrong_password_is_401():
    get_user_model().objects.create_superuser("root", password="correct horse")
    _assert_401(_client(_basic("root", "wrong")).get(f"{API}/models"))


def test_an_authenticated_user_without_registry_access_is_403():
    # Stands for a Pond viewer: a real account with a password and no registry right.
    get_user_model().objects.create_user("viewer", password="correct horse")
    resp = _client(_basic("viewer", "correct horse")).get(f"{API}/models")
    assert resp.status_code == 403
    assert error_of(resp)["code"] == "permission_denied"
    resp = _client(_basic("viewer", "correct horse")).post(f"{API}/models", {"name": "m"}, format="json")
    assert resp.status_code == 403
    assert RegisteredModel.objects.count() == 0


def test_a_browser_session_is_granted_nothing(settings):
    admin = get_user_model().objects.create_superuser("admin", password="correct horse")
    browser = Client()
    browser.force_login(admin)
    _assert_401(browser.get(f"{API}/models"))
    resp = browser.post(f"{API}/models", {"name": "m"}, content_type="application/json")
    _assert_401(resp)
    assert RegisteredModel.objects.count() == 0


def test_tokens_are_stored_hashed():
    row, token = token_create(username="carol")
    stored = ApiToken.objects.get(pk=row.pk)
    assert token not in (stored.key_hash, stored.prefix)
    assert len(stored.key_hash) == 64
    assert stored.prefix == token[:12]


def test_the_schema_and_docs_are_public(client):
    schema = client.get("/ml/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert client.get("/ml/api/docs/").status_code == 200


# --- the per-process token cache (registry.auth.token_cache) ------------------------


class _Clock:
    """Stands in for time.monotonic in registry.auth, so that a TTL passes at once."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch, settings):
    settings.REGISTRY_TOKEN_CACHE_SECONDS = 10
    fake = _Clock()
    monkeypatch.setattr("registry.auth.time.monotonic", fake)
    return fake


def _raw_delete_tokens() -> None:
    # What another process does (`registry_token revoke`, another worker): no signal here.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM registry_apitoken")


def test_a_checked_token_is_not_looked_up_again_within_the_ttl(alice_token, clock):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(f"Bearer {alice_token}")
    assert client.get(f"{API}/models").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"{API}/models").status_code == 200
    assert not [q for q in queries.captured_queries if "registry_apitoken" in q["sql"]]


def test_a_token_revoked_elsewhere_is_refused_once_the_ttl_has_passed(alice_token, clock):
    client = _client(f"Bearer {alice_token}")
    assert client.get(f"{API}/models").status_code == 200
    _raw_delete_tokens()
    # The documented delay: this process checked the token less than the TTL ago.
    assert client.get(f"{API}/models").status_code == 200
    clock.now += 10.01
    _assert_401(client.get(f"{API}/models"))


def test_a_token_revoked_in_this_process_is_refused_at_once(alice_token, clock):
    client = _client(f"Bearer {alice_token}")
    assert client.get(f"{API}/models").status_code == 200
    ApiToken.objects.filter(user__username="alice").delete()
    _assert_401(client.get(f"{API}/models"))


def test_the_revoke_command_refuses_the_token_at_once_in_its_own_process(alice_token, clock):
    from django.core.management import call_command

    client = _client(f"Bearer {alice_token}")
    assert client.get(f"{API}/models").status_code == 200
    call_command("registry_token", "revoke", "--user", "alice")
    _assert_401(client.get(f"{API}/models"))


def test_a_user_deactivated_in_this_process_is_refused_at_once(alice_token, clock):
    client = _client(f"Bearer {alice_token}")
    assert client.get(f"{API}/models").status_code == 200
    user = get_user_model().objects.get(username="alice")
    user.is_active = False
    user.save()
    _assert_401(client.get(f"{API}/models"))


def test_a_user_deactivated_elsewhere_is_refused_once_the_ttl_has_passed(alice_token, clock):
    client = _client(f"Bearer {alice_token}")
    assert client.get(f"{API}/models").status_code == 200
    get_user_model().objects.filter(username="alice").update(is_active=False)  # no signal
    clock.now += 10.01
    _assert_401(client.get(f"{API}/models"))


def test_a_ttl_of_zero_checks_every_request(alice_token, settings):
    settings.REGISTRY_TOKEN_CACHE_SECONDS = 0
    client = _client(f"Bearer {alice_token}")
    assert client.get(f"{API}/models").status_code == 200
    _raw_delete_tokens()
    _assert_401(client.get(f"{API}/models"))


def test_a_refused_token_is_not_remembered(alice_token, clock):
    from registry.auth import token_cache, token_hash

    _assert_401(_client("Bearer jfml_guessed").get(f"{API}/models"))
    assert token_cache.get(token_hash("jfml_guessed")) is None


def test_the_token_cache_forgets_the_least_recently_used_beyond_its_size(monkeypatch):
    from registry.auth import _TokenCache

    cache = _TokenCache(2)
    user = get_user_model()(pk=1, username="u")
    for key in ("a", "b"):
        cache.put(key, user, None, 60)
    assert cache.get("a") is not None  # a is now the most recently used
    cache.put("c", user, None, 60)
    assert cache.get("b") is None
    assert cache.get("a") is not None and cache.get("c") is not None
