"""The session's user is read from Redis, and a change to that user acts on the next request."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.support.people import PASSWORD, log_in, users_with_roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def bob(redis_cache, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return users_with_roles({"bob": "engineer"})["bob"]


def _user_queries(client: Client, url: str = "/accounts/password_change/") -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        resp = client.get(url)
    return resp.status_code, sum('"auth_user"' in q["sql"] and "FROM" in q["sql"] for q in queries.captured_queries)


def test_a_logged_in_users_row_comes_from_the_cache(bob):
    client = log_in(Client(), "bob")
    status, _ = _user_queries(client)
    assert status == 200
    status, from_db = _user_queries(client)
    assert status == 200
    assert from_db == 0


def test_deactivating_a_user_logs_them_out_at_once(bob):
    client = log_in(Client(), "bob")
    assert client.get("/accounts/password_change/").status_code == 200
    bob.is_active = False
    bob.save()
    assert client.get("/accounts/password_change/").status_code == 302


def test_a_password_change_ends_other_sessions_at_once(bob):
    client = log_in(Client(), "bob")
    assert client.get("/accounts/password_change/").status_code == 200
    bob.set_password(PASSWORD + "-new")
    bob.save()
    assert client.get("/accounts/password_change/").status_code == 302


def test_a_deleted_user_is_logged_out(bob):
    client = log_in(Client(), "bob")
    assert client.get("/accounts/password_change/").status_code == 200
    bob.delete()
    assert client.get("/accounts/password_change/").status_code == 302


def test_without_redis_it_is_the_plain_database_backend(settings, tmp_path):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    users_with_roles({"bob": "engineer"})
    client = log_in(Client(), "bob")
    client.get("/accounts/password_change/")
    status, from_db = _user_queries(client)
    assert status == 200
    assert from_db == 1


@pytest.mark.django_db(transaction=True)
def test_a_request_between_save_and_commit_cannot_bring_the_old_row_back(redis_cache, settings):
    import threading

    from django.db import connections, transaction

    from webui.core.auth import CachedModelBackend

    bob = users_with_roles({"bob": "engineer"})["bob"]
    backend = CachedModelBackend()

    def concurrent_request() -> None:
        try:
            assert backend.get_user(bob.pk) is not None  # the committed row: still active
        finally:
            connections.close_all()

    with transaction.atomic():
        bob.is_active = False
        bob.save()
        reader = threading.Thread(target=concurrent_request)
        reader.start()
        reader.join(timeout=10)
    assert backend.get_user(bob.pk) is None


def test_the_signal_receivers_leave_djangos_fast_delete_alone():
    from django.contrib.sessions.models import Session
    from django.db.models.deletion import Collector

    from webui.reviews.models import LedgerEntry
    from webui.status.models import DeploymentEvent

    for model in (Session, LedgerEntry, DeploymentEvent):
        assert Collector(using="default").can_fast_delete(model), model
