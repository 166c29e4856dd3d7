"""Personal API tokens: shown once, kept hashed, named, revocable, carrying exactly
their owner's rights, on the record."""

from __future__ import annotations

import hashlib

from django.test import Client
from rest_framework.test import APIClient

from tests.reviews.conftest import post_form
from webui.activity.models import Activity
from webui.api.models import ApiToken


def _bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_a_token_is_shown_once_and_kept_only_as_a_hash(client_for, users):
    eve = client_for("eve")
    resp = post_form(eve, "/accounts/tokens/", {"name": "release pipeline"})
    assert resp.status_code == 200
    assert resp["Cache-Control"] == "no-store"
    page = resp.content.decode()
    token = page.split('data-testid="token-value">', 1)[1].split("<", 1)[0]
    assert token.startswith("pond_") and len(token) > 40
    record = ApiToken.objects.get()
    assert (record.user, record.name) == (users["eve"], "release pipeline")
    assert record.digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {record.name, record.prefix, record.digest} and token.startswith(record.prefix)
    again = eve.get("/accounts/tokens/").content.decode()
    assert token not in again and "release pipeline" in again and record.prefix in again
    # It speaks for eve, and says so.
    me = _bearer(token).get("/api/v1/me")
    assert me.status_code == 200
    assert me.json() == {"username": "eve", "role": "engineer", "token": "release pipeline"}
    record.refresh_from_db()
    assert record.last_used_at is not None
    assert "never" not in eve.get("/accounts/tokens/").content.decode().split('data-testid="last-used">', 1)[1][:20]


def test_a_token_needs_a_name_and_a_bad_one_changes_nothing(client_for):
    eve = client_for("eve")
    resp = post_form(eve, "/accounts/tokens/", {"name": "   "})
    assert resp.status_code == 400
    assert 'id="name-error"' in resp.content.decode() and "Give the token a name" in resp.content.decode()
    post_form(eve, "/accounts/tokens/", {"name": "ci"})
    twice = post_form(eve, "/accounts/tokens/", {"name": "ci"})
    assert twice.status_code == 400 and "already have a token with this name" in twice.content.decode()
    assert ApiToken.objects.count() == 1


def test_a_revoked_token_stops_at_once_and_only_its_owner_can_revoke_it(client_for, token_for):
    token = token_for("eve")
    record = ApiToken.objects.get()
    # Someone else's: nothing happens.
    other = post_form(client_for("rita"), f"/accounts/tokens/{record.pk}/revoke", {})
    assert other.status_code == 404
    assert _bearer(token).get("/api/v1/me").status_code == 200
    eve = client_for("eve")
    resp = post_form(eve, f"/accounts/tokens/{record.pk}/revoke", {})
    assert resp.status_code == 302
    assert eve.get(resp["Location"]).content.decode().count("it stopped working at once.") == 1  # said once
    refused = _bearer(token).get("/api/v1/me")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthenticated"
    assert refused["WWW-Authenticate"].startswith("Bearer")


def test_making_and_revoking_a_token_is_on_the_activity_record(client_for):
    eve = client_for("eve")
    post_form(eve, "/accounts/tokens/", {"name": "nightly"})
    record = ApiToken.objects.get()
    post_form(eve, f"/accounts/tokens/{record.pk}/revoke", {})
    assert list(Activity.objects.values_list("actor", "action", "object_kind", "object_name")) == [
        ("eve", "created", "API token", "nightly"),
        ("eve", "revoked", "API token", "nightly"),
    ]


def test_bad_credentials_are_a_401_never_a_500(users, token_for):
    token = token_for("eve")
    for header in ["Bearer", "Bearer a b", "Bearer nope", f"Bearer {token}x", "Bearer pond_" + "x" * 5000, "Basic Zm9vOmJhcg=="]:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=header)
        resp = client.get("/api/v1/me")
        assert resp.status_code in (401, 403), (header[:30], resp.status_code)
        assert "error" in resp.json()
    users["eve"].is_active = False
    users["eve"].save()
    assert _bearer(token).get("/api/v1/me").status_code == 401


def test_without_credentials_the_api_answers_401_and_the_token_page_asks_for_a_login():
    assert APIClient().get("/api/v1/reviews").status_code == 401
    assert Client().get("/accounts/tokens/").status_code == 302
