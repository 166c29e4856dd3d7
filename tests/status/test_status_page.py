"""The status page, /status.json, badges, bars and the Atom feed agree with what was observed."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.status.conftest import observe_poll
from webui.status import document
from webui.status.poller import Observation, record_observations, record_success

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _public(settings):
    settings.POND_STATUS_PUBLIC = True
    settings.POND_POLL_INTERVAL = 5
    settings.POND_STATUS_CONFIRMATIONS = 2
    # Recompute uptime on every publish, so that the figures can be checked exactly.
    settings.POND_STATUS_HISTORY_TTL = 0


def parse_xml(content: bytes) -> ET.Element:
    # Our own server's output, in a test: the XML attacks S314 warns of do not apply.
    return ET.fromstring(content)  # noqa: S314


def failing_history() -> None:
    now = timezone.now()
    observe_poll({"d-ok": "active", "d-bad": "active"}, at=now - timedelta(seconds=20))
    observe_poll({"d-ok": "active", "d-bad": "failed"}, at=now - timedelta(seconds=10))
    observe_poll({"d-ok": "active", "d-bad": "failed"}, at=now - timedelta(seconds=1))


def test_it_says_all_deployments_are_active_when_they_are(client):
    now = timezone.now()
    observe_poll({"d1": "active", "d2": "active"}, at=now - timedelta(seconds=6))
    observe_poll({"d1": "active", "d2": "active"}, at=now)
    page = client.get("/status/").content.decode()
    assert "All deployments active" in page
    assert "d1-name" in page and "d2-name" in page
    assert "Checked " in page


def test_it_counts_confirmed_failures_in_the_banner_and_lists_problems_first(client):
    failing_history()
    page = client.get("/status/").content.decode()
    assert "1 deployment failing" in page
    assert page.index('data-deployment="d-bad"') < page.index('data-deployment="d-ok"')
    data = client.get("/status.json").json()
    assert data["summary"]["failing"] == 1
    assert [d["id"] for d in data["deployments"]] == ["d-bad", "d-ok"]


def test_a_new_status_shows_at_once_marked_unconfirmed(client):
    now = timezone.now()
    observe_poll({"d1": "active"}, at=now - timedelta(seconds=6))
    observe_poll({"d1": "active"}, at=now - timedelta(seconds=3))
    observe_poll({"d1": "failed"}, at=now)
    page = client.get("/status/").content.decode()
    assert 'data-status="failed"' in page and "unconfirmed" in page
    assert "1 deployment failing" not in page
    deployment = client.get("/status.json").json()["deployments"][0]
    assert (deployment["status"], deployment["confirmed"]) == ("failed", False)
    assert ">failed (unconfirmed)</text>" in client.get("/status/badge/d1.svg").content.decode()


def test_incidents_are_listed_newest_first_with_their_duration(client):
    now = timezone.now()
    sequence = ["active", "active", "failed", "failed", "active", "active", "failed", "failed"]
    for index, status in enumerate(sequence):
        observe_poll({"d1": status}, at=now - timedelta(seconds=5 * (len(sequence) - 1 - index)))
    incidents = client.get("/status.json").json()["incidents"]
    assert len(incidents) == 2
    assert incidents[0]["ongoing"] is True and incidents[1]["ongoing"] is False
    assert incidents[1]["duration_seconds"] == 10.0
    assert incidents[1]["recovered_to"] == "active"
    page = client.get("/status/").content.decode()
    assert page.count('data-testid="incident"') == 2
    assert "ongoing" in page and "10 s" in page


def test_a_stale_poller_makes_every_status_unknown_and_says_since_when(client):
    now = timezone.now()
    observe_poll({"d1": "active"}, at=now - timedelta(seconds=60))
    observe_poll({"d1": "active"}, at=now - timedelta(seconds=55))
    page = client.get("/status/").content.decode()
    assert "Status unknown" in page and "last checked at" in page
    assert 'data-status="unknown"' in page and 'data-status="active"' not in page
    data = client.get("/status.json").json()
    assert data["stale"] is True
    assert data["deployments"][0]["status"] == "unknown"
    assert data["deployments"][0]["last_known_status"] == "active"
    assert data["freshness"].startswith("unknown, last checked at ")
    assert ">unknown<" in client.get("/status/badge/d1.svg").content.decode()


def test_the_json_says_how_fresh_it_is(client):
    now = timezone.now()
    observe_poll({"d1": "active"}, at=now)
    response = client.get("/status.json")
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["stale"] is False and data["age_seconds"] < 5
    assert data["deployments"][0]["uptime"].keys() == {"24h", "7d", "90d"}


def test_uptime_reflects_observed_failure_time(client):
    now = timezone.now()
    observe_poll({"d1": "active"}, at=now - timedelta(seconds=40))
    observe_poll({"d1": "failed"}, at=now - timedelta(seconds=30))
    observe_poll({"d1": "active"}, at=now - timedelta(seconds=20))
    observe_poll({"d1": "active"}, at=now - timedelta(seconds=10))
    observe_poll({"d1": "active"}, at=now)
    uptime = client.get("/status.json").json()["deployments"][0]["uptime"]
    # Observed for 40 s, failed for 10 of them.
    assert uptime["24h"] == pytest.approx(0.75, abs=1e-3)
    assert uptime["90d"] == pytest.approx(0.75, abs=1e-3)


def test_uptime_leaves_out_a_poller_gap(client):
    now = timezone.now()
    observe_poll({"d1": "active"}, at=now - timedelta(seconds=60))
    observe_poll({"d1": "failed"}, at=now - timedelta(seconds=50))
    # No successful poll for 45 s (more than 3 intervals of 5 s): not observed time.
    observe_poll({"d1": "active"}, at=now - timedelta(seconds=5))
    observe_poll({"d1": "active"}, at=now)
    uptime = client.get("/status.json").json()["deployments"][0]["uptime"]
    # Observed: 10 s active, then 5 s active; the failed stretch fell in the gap.
    assert uptime["24h"] == pytest.approx(1.0)


def test_the_badge_is_valid_svg_naming_the_deployment_and_its_status(client):
    failing_history()
    response = client.get("/status/badge/d-bad.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    root = parse_xml(response.content)
    assert root.tag == f"{SVG}svg"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["d-bad-name", "failed"]
    assert root.find(f"{SVG}title").text == "d-bad-name: failed"


def test_an_unknown_deployment_gets_a_not_found_badge(client):
    failing_history()
    response = client.get("/status/badge/nope.svg")
    assert response.status_code == 404
    assert response["Content-Type"] == "image/svg+xml"
    assert "not found" in ET.tostring(parse_xml(response.content), encoding="unicode")


def test_the_bar_has_one_cell_a_day_with_a_tooltip(client):
    failing_history()
    response = client.get("/status/bar/d-bad.svg")
    assert response["Content-Type"] == "image/svg+xml"
    root = parse_xml(response.content)
    cells = root.findall(f"{SVG}rect")
    assert len(cells) == 90
    today = timezone.now().date().isoformat()
    assert cells[-1].find(f"{SVG}title").text.startswith(f"{today}: failed")
    assert cells[0].find(f"{SVG}title").text.endswith("no data")


def test_the_page_loads_bars_lazily_as_images(client):
    failing_history()
    page = client.get("/status/").content.decode()
    assert '<img class="status-bar" loading="lazy"' in page
    assert 'src="/status/bar/d-bad.svg"' in page
    assert "<rect" not in page


def test_the_feed_is_valid_atom_listing_incidents(client):
    failing_history()
    response = client.get("/status/feed.atom")
    assert response["Content-Type"].startswith("application/atom+xml")
    root = parse_xml(response.content)
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{required}") is not None, required
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 1
    entry = entries[0]
    for required in ("id", "title", "updated"):
        assert entry.find(f"{ATOM}{required}").text, required
    assert entry.find(f"{ATOM}title").text == "d-bad-name is failed"
    # The JSON and the feed agree on the incident.
    incident = client.get("/status.json").json()["incidents"][0]
    assert entry.find(f"{ATOM}id").text.endswith(f"#incident-{incident['id']}")


def test_it_refuses_a_page_number_that_is_not_a_number(client):
    failing_history()
    response = client.get("/status/?page=abc")
    assert response.status_code == 400
    assert b"page" in response.content


def test_a_page_past_the_end_shows_the_last_page(client):
    failing_history()
    assert client.get("/status/?page=99").status_code == 200


def test_groups_are_paged_and_problem_groups_come_first_and_open(client, settings):
    settings.POND_STATUS_PAGE_SIZE = 2
    now = timezone.now()
    for seconds, bad in ((6, "active"), (3, "failed"), (0, "failed")):
        record_observations(
            [
                Observation(deployment_id="a-d", status="active", model_id="m-a"),
                Observation(deployment_id="b-d", status="active", model_id="m-b"),
                Observation(deployment_id="z-d", status=bad, model_id="m-z"),
            ],
            now=now - timedelta(seconds=seconds),
        )
        record_success(now=now - timedelta(seconds=seconds), cycle_seconds=0.01)
    document.publish(now=now)
    page = client.get("/status/").content.decode()
    assert 'href="?page=2"' in page
    assert page.count('<details class="card status-group') == 2
    assert '<details class="card status-group status-group-problem" data-model="m-z" open>' in page
    assert 'data-model="m-b"' not in page
    assert 'data-model="m-b"' in client.get("/status/?page=2").content.decode()


def test_it_works_without_a_cached_document(client):
    failing_history()
    from django.core.cache import cache

    cache.clear()
    assert client.get("/status.json").json()["summary"]["failing"] == 1
    assert client.get("/status/bar/d-bad.svg").status_code == 200


def test_the_page_carries_its_live_update_script_and_no_inline_script(client):
    failing_history()
    response = client.get("/status/")
    page = response.content.decode()
    assert '<script src="/static/status/status.js" defer></script>' in page
    assert "<script>" not in page
    assert "script-src 'self'" in response["Content-Security-Policy"]
    live = client.get("/status/live/").content.decode()
    assert "1 deployment failing" in live and "<html" not in live


def test_pages_still_render_when_redis_is_down(client, settings, dead_port):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{dead_port}/0",
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.2,
                "SOCKET_TIMEOUT": 0.2,
            },
        }
    }
    failing_history()
    assert client.get("/status.json").json()["summary"]["failing"] == 1
    assert "1 deployment failing" in client.get("/status/").content.decode()
    assert client.get("/status/badge/d-bad.svg").status_code == 200
    assert client.get("/status/bar/d-bad.svg").status_code == 200
    assert client.get("/status/feed.atom").status_code == 200


def test_the_status_page_names_pond_s_icon_so_browsers_do_not_ask_for_a_missing_favicon(client):
    observe_poll({"d1": "active"}, at=timezone.now())
    page = client.get("/status/").content.decode()
    assert '<link rel="icon" href="/static/pond/logo.svg"' in page
