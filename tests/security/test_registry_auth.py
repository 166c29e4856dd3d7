"""The embedded registry's authentication: 401 with WWW-Authenticate for any bad
credentials, tokens stored and looked up only by their hash, compared in constant time."""

from __future__ import annotations

import ast
import base64
import hashlib
import inspect

import pytest
from django.test import Client

from registry import auth
from registry.auth import token_create
from registry.models import ApiToken
from tests.security.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


BAD_CREDENTIALS = {
    "none": None,
    "unknown bearer token": "Bearer jfml_not-a-real-token",
    "bearer without a token": "Bearer",
    "bearer with two words": "Bearer a b",
    "token of another scheme": "Token abc",
    "basic with a wrong password": _basic("robot", "wrong"),
    "basic for an unknown user": _basic("nobody", "x"),
    "basic not base64": "Basic !!!not-base64!!!",
    "basic without a colon": "Basic " + base64.b64encode(b"robot").decode(),
    "non-ascii bearer": "Bearer t\u00f6ken",
}


@pytest.mark.parametrize("header", list(BAD_CREDENTIALS.values()), ids=list(BAD_CREDENTIALS))
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_bad_credentials_get_401_with_www_authenticate_in_the_one_error_shape(django_user_model, header, method):
    django_user_model.objects.create_superuser("robot", "robot@example.com", "right-password-1")
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    url = "/ml/api/v1/models" if method != "delete" else "/ml/api/v1/models/mdl_x"
    resp = getattr(Client(), method)(url, **({"data": "{}", "content_type": "application/json"} if method == "post" else {}), **extra)
    assert resp.status_code == 401, resp.content
    assert 'realm="jfrog-ml"' in resp["WWW-Authenticate"]
    body = resp.json()
    assert set(body) == {"error"} and body["error"]["message"], body


def test_good_credentials_of_both_kinds_are_accepted(django_user_model):
    """The control for the refusals above."""
    django_user_model.objects.create_superuser("robot", "robot@example.com", "right-password-1")
    _, token = token_create(username="ci")
    assert Client().get("/ml/api/v1/models", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    assert Client().get("/ml/api/v1/models", HTTP_AUTHORIZATION=_basic("robot", "right-password-1")).status_code == 200


def test_a_user_without_registry_access_gets_403_not_401(django_user_model):
    django_user_model.objects.create_user("plain", "plain@example.com", "right-password-1")
    resp = Client().get("/ml/api/v1/models", HTTP_AUTHORIZATION=_basic("plain", "right-password-1"))
    assert resp.status_code == 403


def test_only_a_hash_of_a_token_is_stored():
    row, token = token_create(username="ci")
    stored = ApiToken.objects.filter(pk=row.pk).values().get()
    assert not any(token in str(value) for value in stored.values())
    assert row.key_hash == hashlib.sha256(token.encode()).hexdigest()
    assert len(row.prefix) < len(token) // 2


def test_tokens_are_looked_up_by_hash_and_compared_in_constant_time():
    """The lookup is an exact match on the stored hash (never the token, never a prefix),
    and secrets are compared with hmac.compare_digest, never ==."""
    source = inspect.getsource(auth.BearerTokenAuthentication.authenticate)
    tree = ast.parse(inspect.cleandoc("\n" + source))
    lookups = [
        kw.arg
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") in ("filter", "get")
        for kw in node.keywords
    ]
    assert lookups == ["key_hash"], lookups
    compares = [
        f"{getattr(node.func.value, 'id', '')}.{node.func.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    ]
    assert "hmac.compare_digest" in compares or "secrets.compare_digest" in compares
    # `==`/`!=` only against a literal (the scheme name) or a length: never between two
    # values either of which could be a secret.
    def harmless(side: ast.expr) -> bool:
        return isinstance(side, ast.Constant) or (isinstance(side, ast.Call) and getattr(side.func, "id", "") == "len")

    plain = [
        ast.unparse(node)
        for node in ast.walk(tree)
        if isinstance(node, ast.Compare)
        and any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops)
        and not any(harmless(side) for side in (node.left, *node.comparators))
    ]
    assert not plain, plain


# --- one rule for both schemes: a token carries its owner's Pond role ----------------------


@pytest.fixture
def version_path(settings) -> str:
    """A draft version, made by Pond's service principal."""
    service = {"HTTP_AUTHORIZATION": f"Bearer {settings.REGISTRY_SERVICE_TOKEN}"}
    model = Client().post("/ml/api/v1/models", {"name": "m"}, content_type="application/json", **service).json()
    path = f"/ml/api/v1/models/{model['id']}/versions"
    version = Client().post(path, {"version": "1.0"}, content_type="application/json", **service).json()
    return f"{path}/{version['id']}"


def _answers(authorization: str, version_path: str) -> tuple[int, int, int]:
    """(read, write, move to production) as this principal."""
    client = Client(HTTP_AUTHORIZATION=authorization)
    return (
        client.get("/ml/api/v1/models").status_code,
        client.patch(version_path, {"description": "edited"}, content_type="application/json").status_code,
        client.patch(version_path, {"status": "production"}, content_type="application/json").status_code,
    )


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("no role", (403, 403, 403)),
        ("viewer", (200, 403, 403)),
        ("engineer", (200, 200, 403)),
        ("reviewer", (200, 200, 403)),
        ("admin", (200, 200, 403)),
    ],
)
def test_a_token_and_basic_auth_of_one_user_get_the_same_answers(role_users, django_user_model, version_path, role, expected):
    if role == "no role":
        user = django_user_model.objects.create_user("nora", "nora@example.com", PASSWORD)
    else:
        user = role_users[role]
    _, token = token_create(username=user.get_username())
    by_token = _answers(f"Bearer {token}", version_path)
    by_basic = _answers(_basic(user.get_username(), PASSWORD), version_path)
    assert (by_token, by_basic) == (expected, expected)
