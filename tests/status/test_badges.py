"""Badges per deployment, per model (its worst deployment) and overall (the worst of
all), drawn by shields.io's conventions: `label | message`, `?label=` to change the
label (escaped, bounded), `?style=flat|flat-square`; anything else is a 400 naming
the parameter."""

from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.test import Client
from django.utils import timezone

from webui.core.middleware import DOCUMENT_SECURITY_POLICY
from webui.status import document, svg
from webui.status.poller import Observation, record_observations, record_success

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"
BADGES = ["/status/badge.svg", "/status/badge/model/m-api.svg", "/status/badge/d-api-1.svg"]


def poll(rows: list[Observation], *, times: int = 2, ago: timedelta = timedelta(0)) -> None:
    now = timezone.now() - ago
    for index in range(times):
        at = now - timedelta(seconds=times - index)
        record_observations(rows, now=at)
        record_success(now=at, cycle_seconds=0.01)
    document.publish(now=now - timedelta(seconds=1))


API_EU = Observation("d-api-1", "active", name="api-eu", model_id="m-api")
API_US = Observation("d-api-2", "active", name="api-us", model_id="m-api")
BATCH = Observation("d-batch", "active", name="batch", model_id="m-batch")


@pytest.fixture(autouse=True)
def _public(settings):
    settings.POND_STATUS_PUBLIC = True
    settings.POND_STATUS_CONFIRMATIONS = 2


def badge(url: str, client: Client | None = None) -> ElementTree.Element:
    response = (client or Client()).get(url)
    assert response.status_code == 200, (url, response.status_code, response.content[:200])
    assert response["Content-Type"].startswith("image/svg+xml")
    assert response["Content-Security-Policy"] == DOCUMENT_SECURITY_POLICY
    return ElementTree.fromstring(response.content)


def texts(root: ElementTree.Element) -> list[str]:
    return [t.text for t in root.iter(f"{SVG}text")]


def fill_of_message(root: ElementTree.Element) -> str:
    return [r for r in root.iter(f"{SVG}rect") if r.get("x")][0].get("fill")


def test_a_model_badge_shows_the_worst_status_of_its_deployments():
    poll([API_EU, API_US, BATCH])
    assert texts(badge("/status/badge/model/m-api.svg")) == ["m-api", "active"]
    poll([API_EU, Observation("d-api-2", "failed", name="api-us", model_id="m-api"), BATCH])
    root = badge("/status/badge/model/m-api.svg")
    assert texts(root) == ["m-api", "1 of 2 failed"]
    assert fill_of_message(root) == svg.COLOURS["failed"]
    assert texts(badge("/status/badge/model/m-batch.svg")) == ["m-batch", "active"]


def test_the_overall_badge_shows_the_worst_status_over_everything():
    poll([API_EU, API_US, BATCH])
    root = badge("/status/badge.svg")
    assert (
        texts(root) == ["deployments", "active"] and fill_of_message(root) == svg.COLOURS["active"]
    )
    poll([API_EU, API_US, Observation("d-batch", "deploying", name="batch", model_id="m-batch")])
    assert texts(badge("/status/badge.svg")) == ["deployments", "1 of 3 deploying"]
    poll([Observation("d-api-1", "failed", name="api-eu", model_id="m-api"), API_US, BATCH])
    root = badge("/status/badge.svg")
    assert (
        texts(root) == ["deployments", "1 of 3 failed"]
        and fill_of_message(root) == svg.COLOURS["failed"]
    )


def test_a_failure_seen_once_is_marked_unconfirmed_on_the_model_and_overall_badges():
    poll([API_EU, API_US, BATCH])
    poll(
        [Observation("d-api-1", "failed", name="api-eu", model_id="m-api"), API_US, BATCH], times=1
    )
    assert texts(badge("/status/badge/d-api-1.svg"))[1] == "failed (unconfirmed)"
    assert texts(badge("/status/badge/model/m-api.svg"))[1] == "1 of 2 failed (unconfirmed)"
    assert texts(badge("/status/badge.svg"))[1] == "1 of 3 failed (unconfirmed)"


def test_with_no_deployments_the_overall_badge_says_so_and_a_model_badge_is_not_found():
    poll([])
    assert texts(badge("/status/badge.svg")) == ["deployments", "no deployments"]
    response = Client().get("/status/badge/model/m-api.svg")
    assert response.status_code == 404 and b"not found" in response.content


def test_every_badge_says_unknown_when_the_poller_has_stopped():
    poll([API_EU, API_US, BATCH], ago=timedelta(hours=1))  # no successful poll since
    for url in BADGES:
        root = badge(url)
        assert texts(root)[-1] == "unknown" and fill_of_message(root) == svg.COLOURS["unknown"], url


@pytest.mark.parametrize("url", BADGES)
def test_label_replaces_the_badges_own_label(url):
    poll([API_EU, API_US, BATCH])
    root = badge(f"{url}?label=prod%20API")
    assert texts(root)[0] == "prod API"
    assert root.attrib["aria-label"].startswith("prod API: ")


@pytest.mark.parametrize("url", BADGES)
def test_a_script_in_the_label_stays_text(url):
    poll([API_EU, API_US, BATCH])
    hostile = "\"><script>alert(1)</script><x onload='alert(2)'"
    response = Client().get(url, {"label": hostile})
    assert response.status_code == 200
    assert b"<script" not in response.content and b"<x " not in response.content
    root = ElementTree.fromstring(response.content)  # well-formed: nothing broke out
    for element in root.iter():
        assert not element.tag.endswith("script")
        assert not [name for name in element.attrib if name.lower().startswith("on")], (
            element.attrib
        )
    assert texts(root)[0] == hostile  # the whole label, as text
    assert root.attrib["aria-label"].startswith(hostile)


def test_control_characters_in_a_label_do_not_break_the_image():
    poll([API_EU])
    root = badge("/status/badge.svg?label=a%00b%1Bc%0Ad")
    assert texts(root)[0] == "abc\nd"


def test_an_empty_label_leaves_only_the_message_as_shields_io_does():
    poll([API_EU])
    root = badge("/status/badge/d-api-1.svg?label=")
    assert texts(root) == ["active"] and root.attrib["aria-label"] == "active"


def test_a_label_over_100_characters_is_refused_naming_the_parameter():
    poll([API_EU])
    assert Client().get("/status/badge.svg", {"label": "x" * 100}).status_code == 200
    response = Client().get("/status/badge.svg", {"label": "x" * 101})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.startswith(b"label:")


@pytest.mark.parametrize("url", BADGES)
def test_style_flat_is_rounded_and_flat_square_is_not(url):
    poll([API_EU, API_US, BATCH])
    default, flat, square = (
        badge(url),
        badge(f"{url}?style=flat"),
        badge(f"{url}?style=flat-square"),
    )
    assert ElementTree.tostring(default) == ElementTree.tostring(flat)  # shields.io's default
    assert [r.get("rx") for r in flat.iter(f"{SVG}rect") if r.get("rx")] == ["3"]
    assert not [r for r in square.iter(f"{SVG}rect") if r.get("rx")]
    assert not list(square.iter(f"{SVG}linearGradient"))
    assert texts(flat) == texts(square)


@pytest.mark.parametrize("style", ["plastic", "for-the-badge", "", "FLAT", "flat-square<script>"])
@pytest.mark.parametrize("url", BADGES)
def test_an_unknown_style_is_refused_naming_the_parameter(url, style):
    poll([API_EU, API_US, BATCH])
    response = Client().get(url, {"style": style})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert response["Content-Security-Policy"] == DOCUMENT_SECURITY_POLICY
    assert response.content == b"style: expected one of flat, flat-square."


def test_label_and_style_work_with_a_share_token_too(settings):
    from webui.status.access import share_link_create

    settings.POND_STATUS_PUBLIC = False
    poll([API_EU, API_US, BATCH])
    _, token = share_link_create(label="readme")
    root = badge(f"/status/s/{token}/badge/model/m-api.svg?label=api&style=flat-square")
    assert texts(root) == ["api", "active"]
    assert Client().get(f"/status/s/{token}/badge.svg?style=round").status_code == 400


def test_a_hostile_model_id_stays_text_in_its_badge():
    from django.urls import reverse

    hostile = "m\"><script>alert(1)</script>&' onload='x"
    poll([Observation("d-x", "failed", name="x", model_id=hostile)])
    root = badge(reverse("status_model_badge", args=[hostile]))
    assert root.attrib["aria-label"] == f"{hostile}: failed"
    for element in root.iter():
        assert not element.tag.endswith("script")
        assert not [name for name in element.attrib if name.lower().startswith("on")]
