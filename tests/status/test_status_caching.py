"""What the status views keep in process memory between requests (webui.status.snapshot,
webui.status.pages) never shows an old document, a stale status as current, one
viewer's page to another kind of viewer, or anything per person or per request."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.status.conftest import observe_poll
from webui.status import document, pages, snapshot, watch

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _public(settings):
    settings.POND_STATUS_PUBLIC = True
    settings.POND_POLL_INTERVAL = 5
    settings.POND_STATUS_CONFIRMATIONS = 2
    settings.POND_STATUS_STALE_INTERVALS = 3


def _read_everything(client: Client) -> dict[str, str]:
    return {
        "page": client.get("/status/").content.decode(),
        "live": client.get("/status/live/").content.decode(),
        "json": client.get("/status.json").content.decode(),
        "badge": client.get("/status/badge/d1.svg").content.decode(),
    }


def test_a_new_document_shows_at_once_on_every_view_after_they_were_read(client):
    now = timezone.now()
    observe_poll({"d1": "active"}, at=now - timedelta(seconds=4))
    observe_poll({"d1": "active"}, at=now - timedelta(seconds=2))
    before = _read_everything(client)
    assert 'data-status="active"' in before["page"] and ">active</text>" in before["badge"]
    # Twice: the second read is served from what the first one left in memory.
    assert (
        _read_everything(client)["json"].split('"summary"')[1]
        == before["json"].split('"summary"')[1]
    )

    observe_poll({"d1": "failed"}, at=now)
    after = _read_everything(client)
    assert 'data-status="failed"' in after["page"] and 'data-status="active"' not in after["page"]
    assert 'data-status="failed"' in after["live"]
    assert '"status":"failed"' in after["json"] and '"status":"active"' not in after["json"]
    assert ">failed (unconfirmed)</text>" in after["badge"]


def test_the_same_document_turns_stale_with_time_and_says_how_old_it_is(client, monkeypatch):
    now = timezone.now()
    observe_poll({"d1": "active"}, at=now - timedelta(seconds=2))
    observe_poll({"d1": "active"}, at=now)
    fresh = _read_everything(client)
    assert "Checked " in fresh["page"] and 'data-status="active"' in fresh["page"]
    assert '"stale":false' in fresh["json"]

    # Nothing is published meanwhile: the document (and its stamp) stays the same.
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(seconds=10))
    seen = client.get("/status/").content.decode()
    assert re.search(r"Checked 1[01] s ago", seen) and 'data-status="active"' in seen
    monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(minutes=10))
    stale = _read_everything(client)
    for text in (stale["page"], stale["live"]):
        assert "Status unknown" in text and "last checked at" in text
        assert 'data-status="unknown"' in text and 'data-status="active"' not in text
    assert '"stale":true' in stale["json"] and '"status":"unknown"' in stale["json"]
    assert ">unknown</text>" in stale["badge"]

    monkeypatch.setattr(timezone, "now", real_now)
    again = _read_everything(client)
    assert 'data-status="active"' in again["page"] and ">active</text>" in again["badge"]


def test_the_page_is_cached_per_kind_of_viewer_with_nobody_s_own_data(alice, bob):
    now = timezone.now()
    observe_poll({"d1": "active"}, at=now)
    anonymous, viewer, manager = Client(), Client(), Client()
    viewer.force_login(bob)
    manager.force_login(alice)
    # Each kind in turn, twice, on the same document: nobody gets another kind's page.
    for _ in range(2):
        for client, back, share in (
            (anonymous, False, False),
            (viewer, True, False),
            (manager, True, True),
        ):
            for url in ("/status/", "/status/?page=1"):
                page = client.get(url).content.decode()
                assert ("Back to Pond" in page) is back, url
                assert ("/status/share-links/" in page) is share, url
                assert "csrfmiddlewaretoken" not in page
                assert "alice" not in page and "bob" not in page


def test_a_share_link_holder_gets_the_anonymous_page(settings, alice):
    from webui.status.access import share_link_create

    settings.POND_STATUS_PUBLIC = False
    observe_poll({"d1": "active"}, at=timezone.now())
    manager = Client()
    manager.force_login(alice)
    assert "/status/share-links/" in manager.get("/status/").content.decode()
    _, token = share_link_create(label="customer")
    holder = Client()
    holder.get(f"/status/s/{token}/")
    page = holder.get("/status/").content.decode()
    assert "d1-name" in page
    assert "Back to Pond" not in page and "/status/share-links/" not in page


def test_a_deployment_name_cannot_forge_the_live_head_slot(client):
    from webui.status.poller import Observation, record_observations, record_success

    now = timezone.now()
    name = "evil <!--pond-status-live-head--> name"
    record_observations(
        [
            Observation(
                deployment_id="d1", status="active", name=name, model_id="m-1", version_id="v1"
            )
        ],
        now=now,
    )
    record_success(now=now, cycle_seconds=0.01)
    document.publish(now=now)
    page = client.get("/status/").content.decode()
    assert page.count('data-testid="status-banner"') == 1
    assert "evil &lt;!--pond-status-live-head--&gt; name" in page


def test_rendered_pages_kept_per_document_are_bounded(client, settings):
    settings.POND_STATUS_PAGE_SIZE = 1
    statuses = {f"d{index}": "active" for index in range(pages.MAX_RENDERED + 5)}
    now = timezone.now()
    from webui.status.poller import Observation, record_observations, record_success

    record_observations(
        [
            Observation(deployment_id=d, status=s, name=d, model_id=f"m-{d}", version_id="v1")
            for d, s in statuses.items()
        ],
        now=now,
    )
    record_success(now=now, cycle_seconds=0.01)
    document.publish(now=now)
    for number in range(1, len(statuses) + 1):
        page = client.get(f"/status/?page={number}").content.decode()
        assert page.count('<details class="card status-group') == 1
    kept = pages.layout(snapshot.meta())
    assert len(kept._rendered) <= pages.MAX_RENDERED


def test_a_second_read_of_the_same_document_fetches_only_its_stamp(client, monkeypatch):
    from django.core.cache import caches

    now = timezone.now()
    observe_poll({"d1": "active"}, at=now)
    _read_everything(client)
    cache = caches["default"]
    read: list[str] = []
    real_get, real_get_many = cache.get, cache.get_many
    monkeypatch.setattr(
        cache, "get", lambda key, *a, **k: read.append(key) or real_get(key, *a, **k)
    )
    monkeypatch.setattr(
        cache, "get_many", lambda keys, *a, **k: read.extend(keys) or real_get_many(keys, *a, **k)
    )
    for url in ("/status.json", "/status/badge/d1.svg", "/status/", "/status/live/"):
        read.clear()
        response = client.get(url)
        assert response.status_code == 200
        # At most the small meta part (none while the watcher is in touch): no document,
        # body or badges fetched and decoded again.
        assert set(read) <= {document.META_KEY}, url
    # And the page's model groups are not rendered again: only the per-request head is.
    names = [t.name for t in client.get("/status/").templates]
    assert names == ["status/live_head.html"]


@pytest.fixture
def quiet_watcher(monkeypatch):
    """The watcher re-reads the cache only once: anything newer must come through Redis."""
    monkeypatch.setattr(watch, "CHECK_EVERY", 3600.0)
    monkeypatch.setattr(watch, "TRUST_FOR", 3600.0)
    yield
    if watch._watcher is not None:
        watch._watcher.stopping.set()


def _until(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_a_document_published_by_another_process_is_pushed_to_this_one(
    client, quiet_watcher, monkeypatch
):
    now = timezone.now()
    observe_poll({"d1": "active"}, at=now - timedelta(seconds=2))
    observe_poll({"d1": "active"}, at=now - timedelta(seconds=1))
    assert ">active</text>" in client.get("/status/badge/d1.svg").content.decode()
    assert _until(lambda: watch.current(document.META_KEY) is not None)

    # As if the poller ran elsewhere: this process is not told directly.
    monkeypatch.setattr(watch.Watcher, "offer", lambda self, meta: None)
    observe_poll({"d1": "failed"}, at=now)
    assert _until(
        lambda: (
            ">failed (unconfirmed)</text>" in client.get("/status/badge/d1.svg").content.decode()
        )
    )
    assert '"status":"failed"' in client.get("/status.json").content.decode()


def test_a_watcher_out_of_touch_is_not_believed(client, monkeypatch):
    from django.core.cache import caches

    found = watch.Watcher(caches["default"], "scope", document.META_KEY)  # not started
    found.meta = {"stamp": "s1", "poller": {}}
    found.heard = time.monotonic()
    assert found.current() == found.meta
    found.heard = time.monotonic() - watch.TRUST_FOR - 0.1
    assert found.current() is None

    # Then requests read the meta part from the cache, as without a watcher.
    monkeypatch.setattr(watch, "current", lambda meta_key: None)
    observe_poll({"d1": "active"}, at=timezone.now())
    assert client.get("/status.json").status_code == 200
    cache = caches["default"]
    read: list[str] = []
    real_get = cache.get
    monkeypatch.setattr(
        cache, "get", lambda key, *a, **k: read.append(key) or real_get(key, *a, **k)
    )
    response = client.get("/status.json")
    assert response.status_code == 200 and '"status":"active"' in response.content.decode()
    assert read == [document.META_KEY]


def test_share_link_managers_get_the_link_and_lose_it_with_the_permission(carol, bob, monkeypatch):
    from django.contrib.auth.models import Permission

    observe_poll({"d1": "active"}, at=timezone.now())
    manager, plain = Client(), Client()
    manager.force_login(carol)
    plain.force_login(bob)
    for _ in range(2):
        assert "/status/share-links/" in manager.get("/status/").content.decode()
        assert "/status/share-links/" not in plain.get("/status/").content.decode()
    carol.user_permissions.remove(Permission.objects.get(codename="manage_share_links"))
    # Within the memo's time the header may still offer the link (the view refuses)...
    assert manager.get("/status/share-links/").status_code == 403
    # ...and no longer after it.
    later = time.monotonic() + pages.MANAGER_MEMO_SECONDS + 1
    monkeypatch.setattr(pages, "_clock", lambda: later)
    page = manager.get("/status/").content.decode()
    assert "/status/share-links/" not in page and "Back to Pond" in page
