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

    from webui.activity.models import Activity
    from webui.status.models import DeploymentEvent

    # Models nothing else refers to (the ledger now has decision steps pointing at it).
    for model in (Session, Activity, DeploymentEvent):
        assert Collector(using="default").can_fast_delete(model), model


class _Payload:
    """A pickle that runs code when loaded: what anyone who can write to Redis could plant."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.makedirs, (self.marker,))


def test_a_planted_pickle_under_the_user_key_runs_nothing(bob, tmp_path):
    """Redis reachable meant code execution: the user-row cache unpickled what it read."""
    import pickle

    import redis
    from django.core.cache import caches

    from webui.core import auth

    client = log_in(Client(), "bob")
    assert client.get("/accounts/password_change/").status_code == 200  # the row is now kept
    marker = tmp_path / "ran"
    key = caches["default"].make_key(auth._key(bob.pk))
    from django.conf import settings

    connection_ = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    for planted in (pickle.dumps(_Payload(str(marker))), pickle.dumps(pickle.dumps(_Payload(str(marker))))):
        connection_.set(key, planted)
        resp = client.get("/accounts/password_change/")
        assert resp.status_code == 200 and not marker.exists()
        assert resp.wsgi_request.user.username == "bob"  # read from the database instead
    connection_.close()


def test_session_data_in_redis_is_json_and_a_planted_pickle_runs_nothing(bob, settings, tmp_path):
    import pickle

    import redis
    from django.core.cache import caches

    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.CACHES = {
        **settings.CACHES,
        "sessions": {
            **settings.CACHES["default"],
            "OPTIONS": {**settings.CACHES["default"]["OPTIONS"], "SERIALIZER": "django_redis.serializers.json.JSONSerializer"},
        },
    }
    settings.SESSION_CACHE_ALIAS = "sessions"
    client = log_in(Client(), "bob")
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    from django.contrib.sessions.backends.cached_db import KEY_PREFIX

    key = caches["sessions"].make_key(KEY_PREFIX + session_key)
    connection_ = redis.Redis.from_url(settings.CACHES["sessions"]["LOCATION"])
    stored = connection_.get(key)
    assert stored is not None and stored.startswith(b"{")  # JSON, not a pickle
    marker = tmp_path / "ran"
    connection_.set(key, pickle.dumps(_Payload(str(marker))))
    resp = client.get("/accounts/password_change/")
    assert resp.status_code == 200 and not marker.exists()
    assert resp.wsgi_request.user.username == "bob"  # the session came from the database
    connection_.close()
