"""Rendered pages are reused per permission scope, never with a CSRF token or a name in them.

Against the embedded registry over HTTP, with the page cache on real Redis so the
stored entries themselves can be read back and checked.
"""

from __future__ import annotations

import pickle
import re
import time

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from tests.dashboard.conftest import PASSWORD, log_in
from tests.dashboard.fake_upstream import serve_world, simple_world
from tests.support.faultserver import FaultServer, status
from webui.core.pagecache import HIT_HEADER

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def on_redis(redis_cache, settings):
    settings.POND_PAGE_CACHE_TTL = 30.0
    return redis_cache


@pytest.fixture
def erin(users) -> User:
    """A second engineer, to share bob's scope."""
    user = User.objects.create_user("erin", "erin@example.com", PASSWORD)
    user.groups.add(Group.objects.get(name="engineer"))
    return user


def _stored_pages(prefix: str) -> list[str]:
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    bodies = []
    for key in client.scan_iter(f"{prefix}:*pagecache:jfml*"):
        raw = client.get(key)
        # django-redis stores ints raw and everything else pickled
        entry = pickle.loads(raw)  # noqa: S301 (this test's own Redis keys)
        bodies.append(b"".join(entry["parts"]).decode())
    return bodies


def test_a_page_is_built_once_then_served_to_everyone_in_the_same_role(client_for, registry, erin, on_redis):
    registry.model("churn")
    bob = client_for("bob")
    first = bob.get("/models/")
    assert first.status_code == 200
    assert first[HIT_HEADER] == "miss"
    assert "churn" in first.content.decode()

    erin_client = log_in(Client(), "erin")
    second = erin_client.get("/models/")
    assert second[HIT_HEADER] == "hit"
    body = second.content.decode()
    assert "churn" in body
    # Her own name in the navigation, never bob's.
    assert 'data-testid="nav-user">erin <span' in body
    assert ">bob <" not in body


def test_stored_pages_hold_neither_a_csrf_token_nor_a_name(client_for, registry, erin, on_redis):
    registry.model("churn")
    for name in ("bob", "carol", "alice"):
        client = client_for(name)
        for url in ("/", "/models/", "/deployments/", "/experiments/"):
            resp = client.get(url)
            assert resp.status_code == 200, url
            token = TOKEN_RE.search(resp.content.decode()).group(1)
            assert len(token) == 64
    bodies = _stored_pages(on_redis)
    assert len(bodies) >= 12  # four pages x three roles
    for body in bodies:
        assert "csrfmiddlewaretoken" in body  # the logout form is there...
        for value in TOKEN_RE.findall(body):
            assert value.startswith("pondcsrf"), value  # ...with a placeholder, not a token
        for name in ("bob", "carol", "alice"):
            assert f">{name} <" not in body


def test_the_token_on_a_cached_page_is_the_readers_own_and_works(registry, users, erin, on_redis):
    registry.model("churn")
    log_in(Client(), "bob").get("/models/")  # bob builds the page
    erin_client = log_in(Client(enforce_csrf_checks=True), "erin")
    resp = erin_client.get("/models/")
    assert resp[HIT_HEADER] == "hit"
    token = TOKEN_RE.search(resp.content.decode()).group(1)
    # A forged token is refused, the one on her cached page is accepted.
    assert erin_client.post("/accounts/logout/", {"csrfmiddlewaretoken": "x" * 64}).status_code == 403
    assert erin_client.post("/accounts/logout/", {"csrfmiddlewaretoken": token}).status_code in (200, 302)


def test_roles_never_share_a_page(client_for, registry, on_redis):
    registry.model("churn")
    engineer = client_for("bob").get("/models/")
    viewer = client_for("alice").get("/models/")
    assert engineer[HIT_HEADER] == "miss"
    assert viewer[HIT_HEADER] == "miss"
    assert "New model" in engineer.content.decode()
    assert "New model" not in viewer.content.decode()
    assert "New model" not in client_for("alice").get("/models/").content.decode()


def test_a_write_through_pond_shows_at_once(client_for, registry, on_redis):
    registry.model("churn")
    bob = client_for("bob")
    assert bob.get("/models/")[HIT_HEADER] == "miss"
    assert bob.get("/models/")[HIT_HEADER] == "hit"
    resp = bob.post("/models/new/", {"name": "fraud-detector", "description": "", "tags": ""})
    assert resp.status_code == 302, resp.content.decode()[:300]
    # The redirect's flash message is shown once, on a page built for this request only...
    landing = bob.get(resp["Location"])
    assert HIT_HEADER not in landing
    assert 'class="messages"' in landing.content.decode()
    listing = bob.get("/models/")
    assert listing[HIT_HEADER] == "miss"
    assert "fraud-detector" in listing.content.decode()
    # ...and a viewer sees the new model too, without waiting for any TTL.
    assert "fraud-detector" in client_for("alice").get("/models/").content.decode()


def test_a_flash_message_is_never_swallowed_by_a_cached_page(client_for, registry, on_redis):
    model = registry.model("churn")
    bob = client_for("bob")
    bob.get(f"/models/{model['id']}/")  # cached
    resp = bob.post(f"/models/{model['id']}/edit/", {"name": "churn", "description": "now described", "tags": ""})
    assert resp.status_code == 302
    page = bob.get(resp["Location"]).content.decode()
    assert 'class="messages"' in page
    again = bob.get(resp["Location"])
    assert 'class="messages"' not in again.content.decode()
    assert "now described" in again.content.decode()


def test_a_page_is_not_kept_past_the_moment_its_data_is_due(client_for, registry, settings, on_redis):
    settings.JFROG_ML_TTL_DEPLOYMENTS = 1.0
    bob = client_for("bob")
    assert bob.get("/deployments/")[HIT_HEADER] == "miss"
    assert bob.get("/deployments/")[HIT_HEADER] == "hit"
    model = registry.model("churn")
    version = registry.version(model["id"])
    registry.deployment(model["id"], version["id"], name="churn-live")
    time.sleep(1.2)
    deadline = time.monotonic() + 5
    while "churn-live" not in bob.get("/deployments/").content.decode():
        assert time.monotonic() < deadline, "the deployments page outlived its data"
        time.sleep(0.2)


def test_pages_built_from_stale_data_are_not_kept(client_for, settings, on_redis):
    with FaultServer() as server:
        settings.JFROG_ML_URL = server.url
        serve_world(server, **simple_world())
        settings.JFROG_ML_TTL_DEPLOYMENTS = 0.0
        bob = client_for("bob")
        assert bob.get("/deployments/").status_code == 200
        server.on(None, None, status(503))
        server.refuse()
        for _ in range(2):
            resp = bob.get("/deployments/")
            assert resp.status_code == 200
            assert 'data-testid="stale-banner"' in resp.content.decode()
            assert resp[HIT_HEADER] == "skip"


def test_exports_and_forms_are_never_cached(client_for, registry, on_redis):
    model = registry.model("churn")
    bob = client_for("bob")
    for _ in range(2):
        assert HIT_HEADER not in bob.get("/models/?format=csv")
        assert HIT_HEADER not in bob.get(f"/models/{model['id']}/edit/")


def test_a_ttl_of_zero_turns_it_off(client_for, registry, settings, on_redis):
    settings.POND_PAGE_CACHE_TTL = 0
    bob = client_for("bob")
    for _ in range(2):
        assert HIT_HEADER not in bob.get("/models/")
    assert _stored_pages(on_redis) == []


def test_a_login_flood_does_not_empty_the_cache(client_for, registry, on_redis):
    bob = client_for("bob")
    assert bob.get("/models/")[HIT_HEADER] == "miss"
    for _ in range(3):
        Client().post("/accounts/login/", {"username": "bob", "password": "wrong"})
    assert bob.get("/models/")[HIT_HEADER] == "hit"


def test_a_page_built_with_rights_its_scope_does_not_know_is_never_shared(client_for, users, registry, on_redis):
    registry.model("churn")
    ed = User.objects.create_user("ed", "ed@example.com", PASSWORD)
    ed.groups.add(Group.objects.get(name="viewer"))
    ed_client = log_in(Client(), "ed")
    alice = client_for("alice")
    assert alice.get("/").status_code == 200  # both scopes worked out as viewers
    assert ed_client.get("/").status_code == 200
    # Ed becomes an engineer behind Pond's back (no write through Pond, no new generation).
    ed.groups.set([Group.objects.get(name="engineer")])
    promoted = ed_client.get("/models/")
    assert "New model" in promoted.content.decode()
    assert promoted[HIT_HEADER] == "skip"
    viewer_page = alice.get("/models/")
    assert "New model" not in viewer_page.content.decode()
    # Once he has his own scope, his pages are kept under it.
    assert ed_client.get("/models/")[HIT_HEADER] == "miss"
    assert ed_client.get("/models/")[HIT_HEADER] == "hit"


def test_one_page_being_rebuilt_holds_up_no_other(client_for, users, registry, settings, on_redis):
    from django.core.cache import cache
    from django.test import RequestFactory

    from webui.core import pagecache

    settings.POND_PAGE_CACHE_TTL = 0.6
    registry.model("churn")
    bob = client_for("bob")
    assert bob.get("/models/?q=churn")[HIT_HEADER] == "miss"
    time.sleep(0.8)
    request = RequestFactory().get("/models/?q=churn")
    request.user = users["bob"]
    generation, scope = pagecache._state(request)
    key = pagecache._page_key(request, generation, scope)
    assert cache.add(key + ":building", 1, timeout=30)  # someone is rebuilding this page
    assert bob.get("/models/?q=churn")[HIT_HEADER] == "stale"
    started = time.monotonic()
    assert bob.get("/models/?q=other")[HIT_HEADER] == "miss"
    assert bob.get("/models/")[HIT_HEADER] == "miss"
    assert time.monotonic() - started < 3


def test_with_redis_down_every_page_is_built_for_its_own_request(client_for, registry, settings, dead_port):
    settings.POND_PAGE_CACHE_TTL = 30.0
    registry.model("churn")
    bob = client_for("bob")
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{dead_port}/0",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    for _ in range(2):
        resp = bob.get("/models/")
        assert resp.status_code == 200
        assert HIT_HEADER not in resp
        assert "churn" in resp.content.decode()


def test_a_cached_page_carries_the_servers_time_of_this_answer(client_for, registry, on_redis):
    registry.model("churn")
    bob = client_for("bob")
    bob.get("/models/")
    time.sleep(1.1)
    resp = bob.get("/models/")
    assert resp[HIT_HEADER] == "hit"
    now = int(re.search(r'data-server-now="(\d+)"', resp.content.decode()).group(1))
    assert abs(now - time.time()) < 1.0


def test_writes_to_the_registry_api_do_not_renew_every_page(client_for, registry, on_redis):
    bob = client_for("bob")
    assert bob.get("/models/")[HIT_HEADER] == "miss"
    registry.model("made-by-an-sdk-client")  # a POST to /ml/api/ (an upstream write)
    assert bob.get("/models/")[HIT_HEADER] == "hit"


def test_a_page_from_data_being_refetched_behind_is_kept_briefly_not_rebuilt_per_view(client_for, registry, settings, on_redis):
    settings.JFROG_ML_TTL_EXPERIMENTS = 1.0
    settings.JFROG_ML_REVALIDATE_EXPERIMENTS = 600.0
    registry.experiment("exp-1")
    bob = client_for("bob")
    assert bob.get("/insights/hygiene/")[HIT_HEADER] == "miss"
    time.sleep(1.3)  # the experiment list is past its TTL: answered at once, refetched behind
    assert bob.get("/insights/hygiene/")[HIT_HEADER] == "miss"
    assert bob.get("/insights/hygiene/")[HIT_HEADER] == "hit"
