from __future__ import annotations

import pytest
from rest_framework import exceptions

from registry.errors import exception_handler
from tests.registry.conftest import API, error_of

pytestmark = pytest.mark.django_db


def test_an_unknown_path_under_the_api_is_a_json_404(api):
    resp = api.get("/nothing/here")
    assert resp.status_code == 404
    assert resp["Content-Type"] == "application/json"
    assert error_of(resp)["code"] == "not_found"


def test_an_undocumented_method_is_405_with_allow(api):
    resp = api.patch("/models", {"name": "x"})
    assert resp.status_code == 405
    assert error_of(resp)["code"] == "method_not_allowed"
    assert set(resp["Allow"].split(", ")) == {"GET", "POST", "HEAD"}
    options = api.client.options(f"{API}/models")
    assert options.status_code == 405


def test_the_api_answers_json_whatever_accept_says(api):
    resp = api.client.get(f"{API}/models", HTTP_ACCEPT="text/html")
    assert resp.status_code == 200
    assert resp["Content-Type"] == "application/json"


def test_a_trailing_slash_is_not_the_collection(api):
    resp = api.get("/models/")
    assert resp.status_code == 404
    assert error_of(resp)["code"] == "not_found"


def test_an_unexpected_error_is_a_500_in_the_error_shape():
    # The handler is what every registry view uses; a 500 cannot be provoked over HTTP
    # without breaking the server on purpose.
    resp = exception_handler(RuntimeError("boom"), {})
    assert resp.status_code == 500
    assert resp.data == {"error": {"code": "server_error", "message": "Internal server error."}}


def test_authentication_failures_carry_the_challenge_header():
    exc = exceptions.NotAuthenticated()
    exc.auth_header = 'Bearer realm="jfrog-ml"'
    resp = exception_handler(exc, {})
    assert resp.status_code == 401
    assert resp["WWW-Authenticate"] == 'Bearer realm="jfrog-ml"'
