"""Ids of any shape (the spec: an id is a string, nothing more).

An id holding `/` made every list page answer 500 (NoReverseMatch); `..` as a
version id turned `POST …/versions/../delete/` into a DELETE of the model upstream;
an id with a space made Django warn about the cache key. Here a spec-valid upstream
(the fault server) serves models, versions, experiments and deployments whose ids
are hostile; every page renders, every link finds the same object again, each id
reaches the upstream as one percent-encoded segment, and `.`/`..` never reach it.
"""

from __future__ import annotations

import html
import re
import time
import warnings
from urllib.parse import quote

import pytest
from django.core.cache import CacheKeyWarning

from tests.dashboard.fake_upstream import NOW, serve_world
from tests.support.faultserver import FaultServer, status

pytestmark = pytest.mark.django_db(transaction=True)

HOSTILE_IDS = [
    "a/b", "q?x=1&y=2", "h#frag", "pct%2Fx%", "sp ace", "uni-ñ-日本-🙂", "l" * 1000, "*", "a:b", "...", "<x>\"'",
]  # fmt: skip
UNADDRESSABLE = [".", ".."]


def _world(ids: list[str]) -> dict:
    models, versions, experiments, deployments = [], {}, [], []
    for n, hostile in enumerate(ids):
        model_id, version_id = hostile, f"{hostile}"
        models.append({"id": model_id, "name": f"model-{n}", "latest_version": "1.0", "versions_count": 1,
                       "created_at": NOW, "updated_at": NOW})  # fmt: skip
        versions[model_id] = [{"id": version_id, "model_id": model_id, "version": f"1.0-{n}", "status": "staging",
                               "metrics": {"accuracy": 0.5}, "parameters": {}, "created_at": NOW}]  # fmt: skip
        experiments.append({"id": hostile, "name": f"experiment-{n}", "model_id": model_id, "status": "completed",
                            "metrics": {}, "parameters": {}, "created_at": NOW})  # fmt: skip
        deployments.append({"id": hostile, "name": f"deployment-{n}", "model_id": model_id,
                            "model_version_id": version_id, "status": "active", "replicas": 1,
                            "created_at": NOW, "updated_at": NOW})  # fmt: skip
    return {"models": models, "versions": versions, "experiments": experiments, "deployments": deployments}


@pytest.fixture
def hostile_upstream(settings):
    with FaultServer() as server:
        settings.JFROG_ML_URL = server.url
        serve_world(server, **_world(HOSTILE_IDS + UNADDRESSABLE))
        yield server


def _links(body: str, prefix: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(rf'href="({re.escape(prefix)}[^"]*)"', body)]


def test_every_page_renders_and_every_link_finds_the_same_object(client_for, hostile_upstream):
    client = client_for("bob")
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        for page in ("/", "/models/", "/experiments/", "/deployments/", "/insights/production/", "/insights/hygiene/"):
            resp = client.get(page)
            assert resp.status_code == 200, (page, resp.content[:1000])
        listed = client.get("/models/").content.decode()
        followed = 0
        for n, hostile in enumerate(HOSTILE_IDS):
            for kind, name, list_url in (
                ("models", f"model-{n}", "/models/"),
                ("experiments", f"experiment-{n}", "/experiments/"),
                ("deployments", f"deployment-{n}", "/deployments/"),
            ):
                body = listed if kind == "models" else client.get(list_url).content.decode()
                link = re.search(rf'<a href="(/{kind}/[^"]+/)"[^>]*>{re.escape(name)}<', body)
                assert link, (kind, name)
                detail = client.get(html.unescape(link.group(1)))
                assert detail.status_code == 200, (kind, hostile[:40], detail.status_code)
                assert name in detail.content.decode(), (kind, hostile[:40])
                followed += 1
        assert followed == 3 * len(HOSTILE_IDS)
    # Each id went upstream as exactly one percent-encoded segment.
    paths = {r.path for r in hostile_upstream.requests}
    for hostile in HOSTILE_IDS:
        assert f"/v1/models/{quote(hostile, safe='')}" in paths, hostile[:40]
    assert not [p for p in paths if re.search(r"/\.\.?(/|$)", p)], paths


def test_a_version_page_and_its_version_link_round_trip(client_for, hostile_upstream):
    client = client_for("bob")
    for n, hostile in enumerate(HOSTILE_IDS):
        body = client.get(f"/models/{quote(quote(hostile, safe=''), safe='')}/").content.decode()
        version_links = [
            h for h in _links(body, "/models/")
            if "/versions/" in h and h.endswith("/") and not h.endswith(("/new/", "/delete/", "/edit/"))
        ]
        assert version_links, hostile[:40]
        for link in version_links:  # every one of them, wherever on the page it was built
            version = client.get(link)
            assert version.status_code == 200 and f"1.0-{n}" in version.content.decode(), (hostile[:40], link)


@pytest.mark.parametrize("unaddressable", UNADDRESSABLE)
def test_dot_ids_never_reach_the_upstream_and_never_delete_anything_else(client_for, hostile_upstream, unaddressable):
    hostile_upstream.on("DELETE", None, status(204))
    client = client_for("bob")
    encoded = quote(quote(unaddressable, safe="").replace(".", "%2E"), safe="")  # how Pond links it
    for url in (
        f"/models/{encoded}/",
        f"/models/mdl/versions/{encoded}/",
        f"/deployments/{encoded}/",
        f"/experiments/{encoded}/",
    ):
        assert client.get(url).status_code == 404, url
    before = len(hostile_upstream.requests)
    resp = client.post(f"/models/{quote(HOSTILE_IDS[0], safe='')}/versions/{encoded}/delete/", {"confirm": "on"})
    assert resp.status_code in (302, 404), resp.status_code
    assert not [r for r in hostile_upstream.requests[before:] if r.method == "DELETE"]
    assert not [r for r in hostile_upstream.requests if re.search(r"/\.\.?(/|$)", r.path)]
    # The listing pages still render with such ids in them.
    for page in ("/models/", "/experiments/", "/deployments/"):
        assert client.get(page).status_code == 200


def test_a_crafted_id_cannot_empty_the_list_of_every_experiment(client_for, registry, settings):
    """`/models/*/` (or /experiments/?model=*) wrote an empty list over the cached list
    of every experiment (`experiments:*`): /experiments/ said "0 experiments" for 30 s."""
    model = registry.model("with-experiments")
    for n in range(3):
        registry.experiment(f"run-{n}", model_id=model["id"])
    settings.JFROG_ML_TTL_EXPERIMENTS = 0.3
    client = client_for("alice")
    assert "run-2" in client.get("/experiments/").content.decode()
    time.sleep(0.35)  # the list is due for refetch: the crafted view fetches "its" list
    for url in ("/models/*/", "/experiments/?model=*", "/models/%2A/"):
        assert client.get(url).status_code in (200, 404), url
    page = client.get("/experiments/").content.decode()
    assert all(f"run-{n}" in page for n in range(3)), page[:2000]
