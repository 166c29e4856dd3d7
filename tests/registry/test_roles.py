"""A token carries its owner's Pond rights, and basic auth follows the same one rule.

Anonymous: 401. No role (and no `registry.access_api`): 403. A viewer reads only. An
engineer, reviewer or admin writes, except that a version reaches staging or production,
or leaves production, only through Pond's review flow: through this API only Pond's
service principal does that (issue: registry tokens ignore Pond roles).
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from registry.auth import token_create
from registry.models import ModelVersion, RegisteredModel
from tests.registry.conftest import Api, error_of
from tests.support.people import PASSWORD, users_with_roles

pytestmark = pytest.mark.django_db

ROLE_OF = {"vic": "viewer", "erin": "engineer", "rita": "reviewer", "ada": "admin"}
WRITERS = ("erin", "rita", "ada")


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    # Basic auth hashes the password on every request; PBKDF2 would cost seconds here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def people(db) -> dict[str, User]:
    made = users_with_roles(ROLE_OF)
    made["nobody"] = User.objects.create_user("nobody", "nobody@example.com", PASSWORD)
    return made


def _token_api(username: str) -> Api:
    _, token = token_create(username=username)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return Api(client)


def _basic_api(username: str) -> Api:
    client = APIClient()
    credentials = base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {credentials}")
    return Api(client)


SCHEMES = {"token": _token_api, "basic": _basic_api}


@pytest.fixture
def world(service_api) -> dict[str, Any]:
    model = service_api.model("churn")
    draft = service_api.version(model["id"], "1.0")
    prod = service_api.version(model["id"], "2.0", status="production")
    return {"model": model, "draft": draft, "prod": prod}


def _version_path(world: dict[str, Any], key: str) -> str:
    return f"/models/{world['model']['id']}/versions/{world[key]['id']}"


def _assert_review_refusal(resp) -> None:
    assert resp.status_code == 403, resp.content
    error = error_of(resp)
    assert error["code"] == "permission_denied"
    assert "through a review in Pond (/reviews/)" in error["message"], error


# --- the three findings: a viewer's token ----------------------------------------------


def test_a_viewers_token_cannot_move_a_version_to_production(people, world):
    resp = _token_api("vic").patch(_version_path(world, "draft"), {"status": "production"})
    assert resp.status_code == 403, resp.content
    assert ModelVersion.objects.get(pk=world["draft"]["id"]).status == "draft"


def test_a_viewers_token_cannot_create_a_version_in_production(people, world):
    resp = _token_api("vic").post(f"/models/{world['model']['id']}/versions", {"version": "3.0", "status": "production"})
    assert resp.status_code == 403, resp.content
    assert not ModelVersion.objects.filter(version="3.0").exists()


def test_a_viewers_token_cannot_delete_a_model(people, service_api):
    model = service_api.model("fraud")
    resp = _token_api("vic").delete(f"/models/{model['id']}")
    assert resp.status_code == 403, resp.content
    assert RegisteredModel.objects.filter(pk=model["id"]).exists()


# --- the class: one rule for both schemes and every role -------------------------------


def _writes(api: Api, world: dict[str, Any], service_api: Api) -> dict[str, int]:
    """Every write operation of the API once, in an order that succeeds for a writer."""
    mid = world["model"]["id"]
    spare = service_api.version(mid, "0.9")
    experiment = service_api.experiment("sweep", model_id=mid)
    deployment = service_api.deployment(mid, world["draft"]["id"], name="churn-canary")
    return {
        "createModel": api.post("/models", {"name": "new-model"}).status_code,
        "updateModel": api.put(f"/models/{mid}", {"name": "churn", "description": "edited"}).status_code,
        "createModelVersion": api.post(f"/models/{mid}/versions", {"version": "4.0"}).status_code,
        "updateModelVersion": api.patch(_version_path(world, "draft"), {"description": "edited"}).status_code,
        "createExperiment": api.post("/experiments", {"name": "run", "model_id": mid}).status_code,
        "updateExperiment": api.patch(f"/experiments/{experiment['id']}", {"status": "completed"}).status_code,
        "createDeployment": api.post(
            "/deployments", {"name": "churn-b", "model_id": mid, "model_version_id": world["draft"]["id"]}
        ).status_code,
        "updateDeployment": api.patch(f"/deployments/{deployment['id']}", {"replicas": 2}).status_code,
        "deleteDeployment": api.delete(f"/deployments/{deployment['id']}").status_code,
        "deleteExperiment": api.delete(f"/experiments/{experiment['id']}").status_code,
        "deleteModelVersion": api.delete(f"/models/{mid}/versions/{spare['id']}").status_code,
    }


WRITES_OK = {
    "createModel": 201, "updateModel": 200, "createModelVersion": 201, "updateModelVersion": 200,
    "createExperiment": 201, "updateExperiment": 200, "createDeployment": 201, "updateDeployment": 200,
    "deleteDeployment": 204, "deleteExperiment": 204, "deleteModelVersion": 204,
}  # fmt: skip


def _reads(api: Api, world: dict[str, Any]) -> list[int]:
    mid = world["model"]["id"]
    # Twice each: the second answer of a checked token takes the fast path (RegistryApi.dispatch).
    paths = ["/models", f"/models/{mid}", f"/models/{mid}/versions", _version_path(world, "draft"), "/experiments", "/deployments"]
    return [api.get(path).status_code for path in paths for _ in range(2)]


@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_a_viewer_reads_and_writes_nothing_by_either_scheme(people, world, service_api, scheme):
    viewer = SCHEMES[scheme]("vic")
    assert set(_reads(viewer, world)) == {200}
    assert _writes(viewer, world, service_api) == dict.fromkeys(WRITES_OK, 403)
    assert viewer.delete(f"/models/{world['model']['id']}").status_code == 403
    assert not RegisteredModel.objects.filter(name="new-model").exists()


@pytest.mark.parametrize("scheme", list(SCHEMES))
@pytest.mark.parametrize("username", WRITERS)
def test_engineers_reviewers_and_admins_write_by_either_scheme(people, world, service_api, scheme, username):
    writer = SCHEMES[scheme](username)
    assert set(_reads(writer, world)) == {200}
    assert _writes(writer, world, service_api) == WRITES_OK
    assert RegisteredModel.objects.get(name="new-model").created_by == username


@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_a_user_without_a_role_is_refused_by_either_scheme(people, world, service_api, scheme):
    nobody = SCHEMES[scheme]("nobody")
    assert set(_reads(nobody, world)) == {403}
    assert _writes(nobody, world, service_api) == dict.fromkeys(WRITES_OK, 403)
    resp = nobody.get("/models")
    assert error_of(resp)["code"] == "permission_denied"


def test_a_viewers_refused_write_says_why(people, world):
    resp = _token_api("vic").post("/models", {"name": "m"})
    assert resp.status_code == 403
    assert "may read the registry but not change it" in error_of(resp)["message"]


def test_a_role_taken_away_in_this_process_is_refused_at_once(people, world, settings):
    settings.REGISTRY_TOKEN_CACHE_SECONDS = 60
    erin = _token_api("erin")
    assert erin.get("/models").status_code == 200  # checked, and remembered for 60 s
    people["erin"].groups.remove(Group.objects.get(name="engineer"))
    assert erin.get("/models").status_code == 403
    assert erin.post("/models", {"name": "m"}).status_code == 403
    people["erin"].groups.add(Group.objects.get(name="viewer"))
    assert erin.get("/models").status_code == 200
    assert erin.post("/models", {"name": "m"}).status_code == 403


# --- staging and production go through the review flow ---------------------------------


@pytest.mark.parametrize("scheme", list(SCHEMES))
@pytest.mark.parametrize("username", WRITERS)
@pytest.mark.parametrize("status", ["staging", "production"])
def test_no_one_but_the_service_principal_creates_a_version_in_staging_or_production(
    people, world, scheme, username, status
):
    resp = SCHEMES[scheme](username).post(f"/models/{world['model']['id']}/versions", {"version": "5.0", "status": status})
    _assert_review_refusal(resp)
    assert f"Moving a version to {status} goes through a review in Pond (/reviews/)" in error_of(resp)["message"]
    assert not ModelVersion.objects.filter(version="5.0").exists()


@pytest.mark.parametrize("scheme", list(SCHEMES))
@pytest.mark.parametrize("username", WRITERS)
@pytest.mark.parametrize("status", ["staging", "production"])
def test_no_one_but_the_service_principal_moves_a_version_to_staging_or_production(
    people, world, scheme, username, status
):
    resp = SCHEMES[scheme](username).patch(_version_path(world, "draft"), {"status": status, "description": "x"})
    _assert_review_refusal(resp)
    version = ModelVersion.objects.get(pk=world["draft"]["id"])
    assert (version.status, version.description) == ("draft", "")


@pytest.mark.parametrize("status", ["draft", "staging", "archived"])
def test_no_one_but_the_service_principal_takes_a_version_out_of_production(people, world, status):
    resp = _token_api("ada").patch(_version_path(world, "prod"), {"status": status})
    _assert_review_refusal(resp)
    assert "leaves production only through a review in Pond (/reviews/)" in error_of(resp)["message"]
    assert ModelVersion.objects.get(pk=world["prod"]["id"]).status == "production"


def test_a_version_in_production_is_not_deleted_around_the_review_nor_its_model(people, world):
    ada = _basic_api("ada")
    _assert_review_refusal(ada.delete(_version_path(world, "prod")))
    _assert_review_refusal(ada.delete(f"/models/{world['model']['id']}"))
    assert ModelVersion.objects.filter(pk=world["prod"]["id"], status="production").exists()


def test_writers_still_draft_archive_and_withdraw_from_staging(people, world, service_api):
    erin = _token_api("erin")
    mid = world["model"]["id"]
    assert erin.post(f"/models/{mid}/versions", {"version": "6.0", "status": "archived"}).status_code == 201
    assert erin.patch(_version_path(world, "draft"), {"status": "archived"}).json()["status"] == "archived"
    assert erin.patch(_version_path(world, "draft"), {"status": "draft"}).json()["status"] == "draft"
    service_api.patch(_version_path(world, "draft"), {"status": "staging"})
    assert erin.patch(_version_path(world, "draft"), {"status": "draft"}).json()["status"] == "draft"
    # Describing a version in production moves nothing, nor does naming the status it has.
    resp = erin.patch(_version_path(world, "prod"), {"status": "production", "description": "serving"})
    assert resp.status_code == 200 and resp.json()["description"] == "serving"


def test_the_service_principal_moves_versions_anywhere(world, service_api):
    path = _version_path(world, "draft")
    for status in ("staging", "production", "archived", "staging", "draft"):
        assert service_api.patch(path, {"status": status}).json()["status"] == status
    assert service_api.delete(_version_path(world, "prod")).status_code == 204
    assert service_api.version(world["model"]["id"], "7.0", status="staging")["status"] == "staging"


def test_the_registry_knows_ponds_roles_by_their_group_names():
    """registry/ never imports webui: it names the role groups itself, held here to Pond's."""
    from registry.auth import ROLE_GROUPS
    from webui.core.roles import ROLE_PERMISSIONS

    assert set(ROLE_GROUPS) == set(ROLE_PERMISSIONS)


def test_a_token_for_a_person_carries_their_role_not_more(people):
    # `registry_token create vic` for an existing viewer: no write right is added.
    token_create(username="vic")
    assert not User.objects.get(username="vic").has_perm("registry.access_api")
