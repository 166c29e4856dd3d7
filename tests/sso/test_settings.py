"""Single sign-on settings: the role map, and start-up refusing what cannot work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from webui.sso.rolemap import groups_in, parse_role_map, roles_for

ROOT = Path(__file__).resolve().parents[2]


def test_the_role_map_reads_pairs_with_a_default():
    mapping = parse_role_map("ml-admins:admin, ml-engineers:engineer,*:viewer")
    assert mapping == {"ml-admins": "admin", "ml-engineers": "engineer", "*": "viewer"}
    assert roles_for(["ml-admins", "sales"], mapping) == {"admin"}
    assert roles_for(["sales"], mapping) == {"viewer"}
    assert roles_for([], parse_role_map("ml-admins:admin")) == set()


def test_the_role_map_takes_group_names_with_colons_or_as_json():
    assert parse_role_map("urn:acme:ml:reviewers:reviewer") == {"urn:acme:ml:reviewers": "reviewer"}
    assert parse_role_map('{"CN=ML Admins,OU=Groups,DC=acme": "admin"}') == {
        "CN=ML Admins,OU=Groups,DC=acme": "admin"
    }


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ("ml-admins:root", "'ml-admins:root'"),
        ("ml-admins", "'ml-admins'"),
        ("ml-admins:admin,ml-admins:viewer", "'ml-admins'"),
        ('{"ml-admins": 1}', "'ml-admins:1'"),
        ("{not json", "not valid JSON"),
    ],
)
def test_a_bad_role_map_is_refused_naming_the_variable_and_the_item(raw, named):
    with pytest.raises(ImproperlyConfigured) as refused:
        parse_role_map(raw)
    assert "POND_OIDC_ROLE_MAP" in str(refused.value) and named in str(refused.value)


def test_groups_are_read_from_a_list_a_single_name_or_a_nested_claim():
    assert groups_in({"groups": ["a", "b"]}, "groups") == ["a", "b"]
    assert groups_in({"groups": "a"}, "groups") == ["a"]
    assert groups_in({"realm_access": {"roles": ["a"]}}, "realm_access.roles") == ["a"]
    assert groups_in(
        {"https://pond.example.com/groups": ["a"]}, "https://pond.example.com/groups"
    ) == ["a"]
    assert groups_in({"groups": {"odd": True}}, "groups") == []
    assert groups_in({}, "groups") == []


def _start(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "POND_", "JFROG_ML_", "REDIS_URL", "DATABASE_URL"))
    }
    clean.update(POND_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="webui.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


FULL = {
    "POND_OIDC_ISSUER": "https://login.example.com",
    "POND_OIDC_CLIENT_ID": "pond",
    "POND_OIDC_CLIENT_SECRET": "s3cret",
    "POND_OIDC_ROLE_MAP": "ml-engineers:engineer",
}


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({**FULL, "POND_OIDC_CLIENT_SECRET": ""}, "POND_OIDC_CLIENT_SECRET must be set"),
        ({**FULL, "POND_OIDC_ROLE_MAP": ""}, "POND_OIDC_ROLE_MAP must be set"),
        (
            {**FULL, "POND_OIDC_ROLE_MAP": "ml-engineers:wizard"},
            "POND_OIDC_ROLE_MAP has 'ml-engineers:wizard'",
        ),
        ({**FULL, "POND_OIDC_SCOPES": "email groups"}, "must include openid"),
        ({**FULL, "POND_OIDC_ISSUER": "login.example.com"}, "POND_OIDC_ISSUER"),
        ({"POND_LOCAL_LOGIN": "0"}, "POND_LOCAL_LOGIN=0 leaves no way to sign in"),
    ],
)
def test_start_up_refuses_a_single_sign_on_that_cannot_work(tmp_path, env, named):
    result = _start(tmp_path, **env)
    assert result.returncode != 0 and named in result.stderr, result.stderr[-1500:]


def test_start_up_accepts_a_complete_single_sign_on(tmp_path):
    result = _start(tmp_path, **FULL, POND_LOCAL_LOGIN="0")
    assert result.returncode == 0 and "started" in result.stdout, result.stderr[-1500:]
