"""Who may do what: buttons follow the role, and the server refuses anyway (403)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(registry):
    model = registry.model("guarded")
    version = registry.version(model["id"], "1.0", status="staging")
    experiment = registry.experiment("exp")
    deployment = registry.deployment(model["id"], version["id"], name="dep")
    return {"m": model["id"], "v": version["id"], "e": experiment["id"], "d": deployment["id"]}


def _registry_writes(w):
    """Every write a viewer may not make: (url, POST data)."""
    return [
        ("/models/new/", {"name": "sneaky"}),
        (f"/models/{w['m']}/edit/", {"name": "renamed"}),
        (f"/models/{w['m']}/delete/", {}),
        (f"/models/{w['m']}/versions/new/", {"version": "6.6.6"}),
        (f"/models/{w['m']}/versions/{w['v']}/delete/", {}),
        ("/experiments/new/", {"name": "sneaky"}),
        (f"/experiments/{w['e']}/edit/", {"status": "cancelled"}),
        (f"/experiments/{w['e']}/delete/", {}),
    ]


def _deploy_writes(w):
    return [
        (f"/deployments/new/?model={w['m']}", {"name": "x", "model_id": w["m"], "model_version_id": w["v"], "replicas": "1"}),
        (f"/deployments/{w['d']}/edit/", {"replicas": "5"}),
        (f"/deployments/{w['d']}/delete/", {}),
    ]


def _unchanged(registry, w) -> None:
    assert registry.get(f"/v1/models/{w['m']}").json()["name"] == "guarded"
    assert len(registry.get(f"/v1/models/{w['m']}/versions").json()["versions"]) == 1
    assert len(registry.get("/v1/models").json()["models"]) == 1
    assert [e["status"] for e in registry.get("/v1/experiments").json()["experiments"]] == ["running"]
    assert [d["replicas"] for d in registry.get("/v1/deployments").json()["deployments"]] == [1]


def test_a_viewer_is_refused_every_write_with_403_and_nothing_changes(client_for, registry, world):
    client = client_for("alice")
    for url, data in _registry_writes(world) + _deploy_writes(world):
        assert client.get(url).status_code == 403, url
        resp = client.post(url, data)
        assert resp.status_code == 403, url
        assert "You are not allowed to do that" in resp.content.decode()
    _unchanged(registry, world)


def test_a_viewer_sees_no_action_buttons(client_for, world):
    client = client_for("alice")
    model_page = client.get(f"/models/{world['m']}/").content.decode()
    for action in ("/edit/", "/delete/", "/versions/new/", "/deployments/new/", "/experiments/new/"):
        assert action not in model_page, action
    assert "/deployments/new/" not in client.get("/deployments/").content.decode()
    assert "/delete/" not in client.get(f"/deployments/{world['d']}/").content.decode()
    assert "/models/new/" not in client.get("/models/").content.decode()


@pytest.mark.parametrize("name", ["bob", "carol", "dave"])
def test_engineers_reviewers_and_admins_see_the_actions(client_for, world, name):
    body = client_for(name).get(f"/models/{world['m']}/").content.decode()
    for action in (f"/models/{world['m']}/edit/", f"/models/{world['m']}/delete/", f"/models/{world['m']}/versions/new/", "/deployments/new/?model="):
        assert action in body, action


@pytest.mark.parametrize("name", ["bob", "carol", "dave"])
def test_engineers_reviewers_and_admins_may_open_every_form(client_for, world, name):
    client = client_for(name)
    for url, _ in _registry_writes(world) + _deploy_writes(world):
        assert client.get(url).status_code == 200, url


def test_a_reviewer_may_deploy(client_for, registry, world):
    url, data = _deploy_writes(world)[0]
    resp = client_for("carol").post(url, data)
    assert resp.status_code == 302
    assert len(registry.get("/v1/deployments").json()["deployments"]) == 2


def test_a_user_without_a_role_may_read_but_sees_no_role_rights(client_for, users, world, django_user_model):
    from django.test import Client

    from tests.dashboard.conftest import log_in

    django_user_model.objects.create_user("nobody", password="x")
    client = log_in(Client(), "nobody", "x")
    assert client.get("/models/").status_code == 200
    assert client.post("/models/new/", {"name": "x"}).status_code == 403
    assert ">no role</span>" in client.get("/").content.decode()


def test_anonymous_users_are_sent_to_the_login_page_everywhere(client, world):
    urls = [
        "/",
        "/models/",
        f"/models/{world['m']}/",
        f"/models/{world['m']}/versions/{world['v']}/",
        f"/models/{world['m']}/compare/?v=a&v=b",
        "/experiments/",
        f"/experiments/{world['e']}/",
        "/experiments/compare/?e=a&e=b",
        "/deployments/",
        f"/deployments/{world['d']}/",
        "/deployments/status.json",
    ] + [url for url, _ in _registry_writes(world) + _deploy_writes(world)]
    for url in urls:
        resp = client.get(url)
        assert resp.status_code == 302, url
        assert resp["Location"].startswith("/accounts/login/?next="), url
    for url, data in _registry_writes(world) + _deploy_writes(world):
        assert client.post(url, data).status_code == 302, url
    _unchanged_models = client.get("/models/")
    assert _unchanged_models.status_code == 302


def test_the_login_page_logs_a_user_in_and_lands_on_the_overview(client, users, upstream_url):
    page = client.get("/accounts/login/")
    assert page.status_code == 200 and 'name="username"' in page.content.decode()
    resp = client.post("/accounts/login/", {"username": "alice", "password": "correct horse battery staple"})
    assert resp.status_code == 302 and resp["Location"] == "/"
    bad = client.post("/accounts/login/", {"username": "alice", "password": "nope"})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()
