from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from registry.auth import token_hash
from registry.models import ApiToken
from tests.registry.conftest import API

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("registry_token", *args, stdout=out)
    return out.getvalue()


def _works(token: str) -> bool:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get(f"{API}/models").status_code == 200


def test_create_makes_the_user_and_prints_the_token_alone_on_the_last_line():
    output = _run("create", "dave")
    token = output.strip().splitlines()[-1]
    assert token.startswith("jfml_") and " " not in token
    assert get_user_model().objects.filter(username="dave").exists()
    assert _works(token)
    row = ApiToken.objects.get()
    assert row.key_hash == token_hash(token)
    assert token not in output.splitlines()[0]


def test_create_reuses_an_existing_user():
    get_user_model().objects.create_user("erin")
    _run("create", "erin")
    _run("create", "erin")
    assert get_user_model().objects.filter(username="erin").count() == 1
    assert ApiToken.objects.filter(user__username="erin").count() == 2


def test_revoke_by_prefix_revokes_that_token_only():
    first = _run("create", "frank").strip().splitlines()[-1]
    second = _run("create", "frank").strip().splitlines()[-1]
    _run("revoke", first[:12])
    assert not _works(first)
    assert _works(second)


def test_revoke_by_user_revokes_all_their_tokens():
    tokens = [_run("create", "gina").strip().splitlines()[-1] for _ in range(2)]
    other = _run("create", "hank").strip().splitlines()[-1]
    assert "Revoked 2" in _run("revoke", "--user", "gina")
    assert not any(_works(t) for t in tokens)
    assert _works(other)


def test_revoke_refuses_a_short_or_unknown_prefix():
    _run("create", "ivan")
    with pytest.raises(CommandError):
        _run("revoke", "jfml")
    with pytest.raises(CommandError):
        _run("revoke", "jfml_zzzzzzz")
    assert ApiToken.objects.count() == 1


def test_list_shows_prefixes_never_tokens():
    token = _run("create", "judy").strip().splitlines()[-1]
    listing = _run("list")
    assert token[:12] in listing
    assert token not in listing
    assert "judy" in listing


def test_create_gives_an_account_it_makes_the_registrys_own_right_and_says_what_it_may_do():
    output = _run("create", "ci-bot")
    assert get_user_model().objects.get(username="ci-bot").has_perm("registry.access_api")
    assert "It may read and write" in output
    assert "only through a review in Pond (/reviews/)" in output


def test_create_for_a_person_adds_nothing_to_their_role_and_says_what_it_may_do():
    from tests.support.people import users_with_roles

    users_with_roles({"vic": "viewer", "erin": "engineer"})
    get_user_model().objects.create_user("nobody")
    assert "It may read, not write" in _run("create", "vic")
    assert "It may read and write" in _run("create", "erin")
    assert "refuses this token (403)" in _run("create", "nobody")
    assert not get_user_model().objects.get(username="vic").has_perm("registry.access_api")
    assert not get_user_model().objects.get(username="nobody").has_perm("registry.access_api")
