"""The client against a real misbehaving server: right error, within budget, right retries."""

from __future__ import annotations

import json
import logging
import time

import pytest

from tests.support.faultserver import (
    chunked,
    close_connection,
    drop_mid_body,
    hang,
    json_response,
    sequence,
    slow,
    status,
    text,
    trickle,
)
from webui.jfrogml import errors
from webui.jfrogml.client import JFrogMLClient, get_client, upstream_calls

MODELS = {"models": [{"id": "mdl_1", "name": "churn"}], "total_count": 1}


def test_it_times_out_on_an_upstream_that_accepts_and_hangs_within_its_budget(fault, settings):
    settings.JFROG_ML_READ_TIMEOUT = 0.3
    settings.JFROG_ML_RETRIES = 1
    fault.on("GET", "/v1/models", hang)
    started = time.monotonic()
    with pytest.raises(errors.Unavailable, match="did not answer"):
        get_client().list_models()
    elapsed = time.monotonic() - started
    client = get_client()
    assert elapsed <= client.budget + 0.2
    assert fault.count("GET", "/v1/models") == 2  # one try, one retry


def test_it_gives_up_on_a_slow_upstream_at_the_read_timeout(fault, settings):
    settings.JFROG_ML_READ_TIMEOUT = 0.2
    settings.JFROG_ML_RETRIES = 0
    fault.on("GET", "/v1/models", slow(1.0, json_response(MODELS)))
    started = time.monotonic()
    with pytest.raises(errors.Unavailable):
        get_client().list_models()
    assert time.monotonic() - started < 0.6


def test_it_never_overruns_its_total_budget_with_retries(fault):
    client = JFrogMLClient(fault.url, token="t", read_timeout=0.3, retries=10, backoff=0.05, budget=0.8)
    fault.on("GET", "/v1/models", hang)
    started = time.monotonic()
    with pytest.raises(errors.Unavailable):
        client.list_models()
    assert time.monotonic() - started < 1.0
    assert fault.count() <= 3


def test_it_reports_a_refused_connection_as_unavailable(fault, settings, dead_port):
    settings.JFROG_ML_URL = f"http://127.0.0.1:{dead_port}/ml/api"
    with pytest.raises(errors.Unavailable, match="Could not reach"):
        get_client().get_model("mdl_1")


def test_it_retries_a_get_on_503_and_succeeds(fault):
    fault.on("GET", "/v1/models", sequence(status(503), status(502), json_response(MODELS)))
    page = get_client().list_models()
    assert [m.id for m in page.models] == ["mdl_1"]
    assert fault.count("GET", "/v1/models") == 3


def test_it_never_retries_a_post(fault):
    fault.on("POST", "/v1/models", status(503))
    with pytest.raises(errors.Unavailable):
        get_client().create_model(name="x")
    assert fault.count("POST", "/v1/models") == 1


def test_it_never_retries_a_post_whose_connection_dropped(fault):
    fault.on("POST", "/v1/models", close_connection)
    with pytest.raises(errors.Unavailable):
        get_client().create_model(name="x")
    assert fault.count("POST", "/v1/models") == 1


def test_it_does_not_retry_a_plain_500(fault):
    fault.on("GET", "/v1/models/mdl_1", status(500))
    with pytest.raises(errors.Unavailable, match="500"):
        get_client().get_model("mdl_1")
    assert fault.count() == 1


def test_it_does_not_retry_a_client_error(fault):
    fault.on("GET", "/v1/models/mdl_1", status(404, {"error": {"code": "not_found", "message": "No model."}}))
    with pytest.raises(errors.NotFound):
        get_client().get_model("mdl_1")
    assert fault.count() == 1


def test_it_honours_retry_after_on_503(fault, settings):
    settings.JFROG_ML_READ_TIMEOUT = 2.0
    fault.on("GET", "/v1/deployments", sequence(status(503, retry_after=0.4), json_response({"deployments": []})))
    started = time.monotonic()
    assert get_client().list_deployments() == []
    assert time.monotonic() - started >= 0.4
    first, second = fault.requests
    assert second.at - first.at >= 0.4


def test_it_raises_rate_limited_with_retry_after_when_the_wait_exceeds_the_budget(fault):
    fault.on("GET", "/v1/deployments", status(429, retry_after=30))
    started = time.monotonic()
    with pytest.raises(errors.RateLimited) as caught:
        get_client().list_deployments()
    assert caught.value.retry_after == pytest.approx(30, abs=1)
    assert time.monotonic() - started < 1.0  # did not sleep 30 s
    assert fault.count() == 1


def test_it_reports_a_body_dropped_midway_as_unavailable_and_retries_a_get(fault):
    fault.on("GET", "/v1/models", drop_mid_body)
    with pytest.raises(errors.Unavailable):
        get_client().list_models()
    assert fault.count() == 3


def test_it_reports_invalid_json_as_bad_response(fault):
    fault.on("GET", "/v1/models", text("{not json", content_type="application/json"))
    with pytest.raises(errors.BadResponse, match="not valid JSON"):
        get_client().list_models()
    assert fault.count() == 1


def test_it_reports_an_html_page_as_bad_response(fault):
    fault.on("GET", "/v1/models/mdl_1", text("<html>login</html>", content_type="text/html"))
    with pytest.raises(errors.BadResponse):
        get_client().get_model("mdl_1")


@pytest.mark.parametrize(
    "body",
    [[{"id": "mdl_1"}], {"models": {"id": "mdl_1"}}, {"models": "none"}, {"models": [1, 2]}, "models"],
)
def test_it_reports_json_not_of_the_specs_shape_as_bad_response(fault, body):
    fault.on("GET", "/v1/models", json_response(body))
    with pytest.raises(errors.BadResponse):
        get_client().list_models()


def test_it_parses_spec_valid_but_odd_json(fault):
    odd = {
        "models": [
            {
                "id": "mdl_1",
                "name": "ünïcødé <b>",
                "versions_count": "12",
                "created_at": "2024-02-30T00:00:00Z",
                "updated_at": "2024-01-01T10:00:00+02:00",
                "tags": ["a", 3],
                "brand_new_field": {"x": 1},
            },
            {"id": "mdl_2"},
        ],
        "total_count": 1e400,
        "next_cursor": "abc",
    }
    fault.on("GET", "/v1/models", text(__import__("json").dumps(odd).replace('"1e400"', "1e400")))
    page = get_client().list_models()
    first, second = page.models
    assert first.name == "ünïcødé <b>"
    assert first.versions_count == 12
    assert first.created_at is None
    assert first.updated_at.utcoffset().total_seconds() == 7200
    assert first.tags == ("a", "3")
    assert first.extra == {"brand_new_field": {"x": 1}}
    assert second.name is None and second.created_at is None


@pytest.mark.parametrize(
    ("code", "body", "error", "message"),
    [
        (400, {"error": {"code": "invalid", "message": "Bad.", "fields": {"name": ["Required."]}}}, errors.ValidationFailed, "Bad."),
        (400, {"name": ["This field is required."]}, errors.ValidationFailed, "name"),
        (401, {"detail": "Invalid token."}, errors.Unauthorized, "Invalid token."),
        (403, {"error": {"code": "permission_denied", "message": "No."}}, errors.Forbidden, "No."),
        (404, {"error": {"code": "not_found", "message": "Nope."}}, errors.NotFound, "Nope."),
        (409, "Name taken", errors.Conflict, "Name taken"),
        (422, {"message": "Unprocessable."}, errors.ValidationFailed, "Unprocessable."),
        (503, "<html>down</html>", errors.Unavailable, "503"),
    ],
)
def test_it_maps_each_status_and_error_shape_to_one_error_class(fault, code, body, error, message):
    behaviour = text(body, code) if isinstance(body, str) else json_response(body, code)
    fault.on("POST", "/v1/models", behaviour)
    with pytest.raises(error, match=message) as caught:
        get_client().create_model(name="x")
    assert caught.value.status == code
    if code == 400 and "name" in str(body):
        assert caught.value.fields["name"]


def test_it_reports_a_missing_extension_answered_with_405_as_unsupported(fault):
    fault.on("PATCH", "/v1/models/m/versions/v", status(405))
    with pytest.raises(errors.OperationUnsupported):
        get_client().update_model_version("m", "v", status="staging")


def test_it_tells_a_missing_extension_route_from_a_missing_object(fault):
    fault.on(None, "/v1/deployments/dep_1", status(404, "Not Found"))
    fault.on("GET", "/v1/deployments/dep_1", json_response({"id": "dep_1", "status": "active"}))
    with pytest.raises(errors.OperationUnsupported):
        get_client().update_deployment("dep_1", replicas=2)
    fault.on("GET", "/v1/deployments/dep_1", status(404, "Not Found"))
    with pytest.raises(errors.NotFound):
        get_client().update_deployment("dep_1", replicas=2)


def test_it_sends_auth_user_agent_and_a_request_id_and_quotes_path_parts(fault):
    fault.on("GET", "/v1/models/a%2Fb%20c", json_response({"id": "a/b c"}))
    assert get_client().get_model("a/b c").id == "a/b c"
    (seen,) = fault.requests
    assert seen.headers["Authorization"] == "Bearer fault-token"
    assert seen.headers["User-Agent"].startswith("Pond/")
    assert len(seen.headers["X-Request-ID"]) >= 8


def test_it_uses_basic_auth_when_given_a_user(fault, settings):
    settings.JFROG_ML_TOKEN = ""
    settings.JFROG_ML_USER = "svc"
    settings.JFROG_ML_PASSWORD = "pw"
    fault.on("GET", "/v1/deployments", json_response({"deployments": []}))
    get_client().list_deployments()
    assert fault.requests[0].headers["Authorization"].startswith("Basic ")


def test_it_logs_one_line_per_call_without_credentials(fault, caplog):
    fault.on("GET", "/v1/deployments", json_response({"deployments": []}))
    with caplog.at_level(logging.INFO, logger="pond.jfrogml"):
        get_client().list_deployments()
    lines = [r.getMessage() for r in caplog.records if r.name == "pond.jfrogml"]
    assert len(lines) == 1
    assert lines[0].startswith("GET /v1/deployments 200 ")
    assert "request_id=" in lines[0]
    assert "fault-token" not in caplog.text


def test_it_counts_every_request_it_sends_including_retries(fault):
    fault.on("GET", "/v1/models", sequence(status(503), json_response(MODELS)))
    before = upstream_calls("page")
    get_client().list_models()
    assert upstream_calls("page") - before == 2 == fault.count()


def test_it_reuses_connections_between_calls(fault):
    fault.on("GET", "/v1/deployments", json_response({"deployments": []}))
    client = get_client()
    client.list_deployments()
    client.list_deployments()
    # Both requests came over one pooled keep-alive connection (same client port).
    first, second = fault.requests
    assert first.client_port == second.client_port


def test_it_recovers_when_an_upstream_that_refused_connections_listens_again(fault):
    fault.on("GET", "/v1/deployments", json_response({"deployments": []}))
    fault.refuse()
    with pytest.raises(errors.Unavailable, match="Could not reach"):
        get_client().list_deployments()
    fault.resume()
    assert get_client().list_deployments() == []
    assert fault.count() == 1  # refused attempts never reached it


def test_a_body_sent_one_byte_at_a_time_fails_within_the_budget_like_a_timeout(fault, settings):
    """Each byte arrives well within the read timeout, so only a deadline over the
    whole body stops it (it held a 5 s call for 20 s)."""
    settings.JFROG_ML_RETRIES = 0
    settings.JFROG_ML_BUDGET = 1.0
    fault.on("GET", "/v1/models", trickle(0.05))  # 230 bytes: 11.5 s in all
    started = time.monotonic()
    with pytest.raises(errors.Unavailable, match="did not finish its answer within"):
        get_client().list_models()
    assert time.monotonic() - started < 1.0 + 0.5


def test_a_body_over_the_size_cap_fails_like_a_timeout_without_being_read(fault, settings):
    settings.JFROG_ML_MAX_RESPONSE_BYTES = 10_000
    settings.JFROG_ML_RETRIES = 0
    big = {"models": [{"id": f"m{i}", "name": "x" * 100} for i in range(200)], "total_count": 200}
    fault.on("GET", "/v1/models", json_response(big))
    with pytest.raises(errors.Unavailable, match="JFROG_ML_MAX_RESPONSE_BYTES"):
        get_client().list_models()
    # Without a Content-Length (chunked), the cap holds while reading.
    fault.on("GET", "/v1/models", chunked(json.dumps(big).encode()))
    with pytest.raises(errors.Unavailable, match="JFROG_ML_MAX_RESPONSE_BYTES"):
        get_client().list_models()
    # Under the cap, the same call works.
    settings.JFROG_ML_MAX_RESPONSE_BYTES = 1_000_000
    assert len(JFrogMLClient().list_models().models) == 200
