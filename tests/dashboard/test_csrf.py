"""Every POST of the dashboard needs a CSRF token."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(registry):
    model = registry.model("csrf-target")
    version = registry.version(model["id"], "1.0")
    experiment = registry.experiment("exp")
    deployment = registry.deployment(model["id"], version["id"], name="dep")
    return {"m": model["id"], "v": version["id"], "e": experiment["id"], "d": deployment["id"]}


def _posts(w):
    return [
        ("/models/new/", {"name": "forged"}),
        (f"/models/{w['m']}/edit/", {"name": "forged"}),
        (f"/models/{w['m']}/versions/new/", {"version": "forged"}),
        ("/experiments/new/", {"name": "forged"}),
        (f"/deployments/new/?model={w['m']}", {"name": "forged", "model_id": w["m"], "model_version_id": w["v"], "replicas": "1"}),
        (f"/experiments/{w['e']}/edit/", {"status": "cancelled"}),
        (f"/deployments/{w['d']}/edit/", {"replicas": "5"}),
        (f"/experiments/{w['e']}/delete/", {}),
        (f"/deployments/{w['d']}/delete/", {}),
        (f"/models/{w['m']}/versions/{w['v']}/delete/", {}),
        (f"/models/{w['m']}/delete/", {}),
    ]


def test_posts_without_a_csrf_token_are_refused_and_change_nothing(client_for, registry, world):
    client = client_for("dave", enforce_csrf=True)
    for url, data in _posts(world):
        assert client.post(url, data).status_code == 403, url
    assert registry.get(f"/v1/models/{world['m']}").json()["name"] == "csrf-target"
    assert len(registry.get("/v1/models").json()["models"]) == 1
    assert [e["status"] for e in registry.get("/v1/experiments").json()["experiments"]] == ["running"]
    assert [d["replicas"] for d in registry.get("/v1/deployments").json()["deployments"]] == [1]


def test_a_post_with_the_forms_token_goes_through(client_for, registry, world):
    client = client_for("dave", enforce_csrf=True)
    page = client.get("/models/new/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    resp = client.post("/models/new/", {"name": "legit", "csrfmiddlewaretoken": token})
    assert resp.status_code == 302
    assert len(registry.get("/v1/models").json()["models"]) == 2
