"""The tolerant reader: anything the spec allows parses; anything else is BadResponse."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from webui.jfrogml.errors import BadResponse
from webui.jfrogml.resources import (
    Deployment,
    Experiment,
    Model,
    ModelVersion,
    parse_datetime,
    parse_deployments,
    parse_experiments,
    parse_model_page,
    parse_versions,
)


def test_an_empty_object_is_a_valid_model_with_every_optional_field_none():
    model = Model.from_json({})
    assert model.id == "" and model.name is None and model.tags == () and model.versions_count is None
    assert model.created_at is None and model.extra == {}


def test_unknown_fields_are_kept_in_extra_and_ignored():
    model = Model.from_json({"id": "m", "name": "n", "owner": {"team": "x"}, "stars": 3})
    assert model.extra == {"owner": {"team": "x"}, "stars": 3}


def test_an_unknown_status_is_carried_as_is_and_flagged():
    version = ModelVersion.from_json({"id": "v", "status": "shadow"})
    assert version.status == "shadow" and version.status_known is False
    assert ModelVersion.from_json({"id": "v", "status": "staging"}).status_known is True
    assert Deployment.from_json({"id": "d", "status": "scaling"}).status_known is False
    assert Experiment.from_json({"id": "e", "status": "completed"}).status_known is True


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(3, 3), ("7", 7), (2.0, 2), ("2.9", 2), (True, None), ("many", None), (float("nan"), None), (10**30, 10**30), (None, None)],
)
def test_odd_counts_never_crash(raw, expected):
    assert Model.from_json({"versions_count": raw}).versions_count == expected


def test_odd_metric_values_never_crash():
    version = ModelVersion.from_json(
        {"metrics": {"a": 1, "b": "0.5", "c": "high", "d": True, "e": None, "f": 10**400, "g": "NaN", "h": [1]}}
    )
    assert version.metrics["a"] == 1.0 and version.metrics["b"] == 0.5
    assert version.metrics["f"] == math.inf and math.isnan(version.metrics["g"])
    assert set(version.metrics) == {"a", "b", "f", "g"}


def test_parameters_become_strings():
    version = ModelVersion.from_json({"parameters": {"lr": 0.1, "layers": [1, 2], "name": "x", "none": None}})
    assert version.parameters == {"lr": "0.1", "layers": "[1, 2]", "name": "x", "none": ""}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-05-01T10:00:00Z", datetime(2024, 5, 1, 10, tzinfo=UTC)),
        ("2024-05-01T12:00:00+02:00", datetime(2024, 5, 1, 10, tzinfo=UTC)),
        ("2024-05-01T10:00:00.123456Z", datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2024-05-01T10:00:00", datetime(2024, 5, 1, 10, tzinfo=UTC)),
        ("2024-05-01", datetime(2024, 5, 1, tzinfo=UTC)),
        (1714557600, datetime(2024, 5, 1, 10, tzinfo=UTC)),
        ("2024-13-45T99:00:00Z", None),
        ("yesterday", None),
        ("", None),
        (1e20, None),
        (True, None),
        ({"at": 1}, None),
    ],
)
def test_dates_are_real_datetimes_or_none(raw, expected):
    assert parse_datetime(raw) == expected


def test_a_deployment_shows_only_http_endpoints_as_safe_links():
    assert Deployment.from_json({"endpoint_url": "https://x.example/p"}).safe_endpoint_url == "https://x.example/p"
    assert Deployment.from_json({"endpoint_url": "javascript:alert(1)"}).safe_endpoint_url is None
    assert Deployment.from_json({"endpoint_url": " JavaScript:alert(1)"}).safe_endpoint_url is None
    assert Deployment.from_json({"endpoint_url": "http://[::1"}).safe_endpoint_url is None
    assert Deployment.from_json({}).safe_endpoint_url is None


def test_resources_appear_only_when_sent():
    assert Deployment.from_json({"id": "d"}).resources is None
    created = Deployment.from_json({"id": "d", "resources": {"cpu": "1", "memory": "2Gi", "gpu": "1"}})
    assert (created.resources.cpu, created.resources.memory, created.resources.gpu) == ("1", "2Gi", 1)


def test_a_running_experiments_duration_runs_until_now():
    started = datetime(2024, 1, 1, tzinfo=UTC)
    running = Experiment.from_json({"status": "running", "created_at": started.isoformat()})
    assert running.duration_seconds > 3600
    done = Experiment.from_json({"status": "completed", "created_at": "2024-01-01T00:00:00Z", "completed_at": "2024-01-01T00:01:30Z"})
    assert done.duration_seconds == 90
    assert Experiment.from_json({"status": "failed"}).duration_seconds is None


def test_missing_list_keys_mean_empty_lists():
    assert parse_model_page({}).models == [] and parse_model_page({}).total_count is None
    assert parse_versions({"versions": None}) == []
    assert parse_experiments({}) == [] and parse_deployments({}) == []


@pytest.mark.parametrize(
    ("parser", "body"),
    [
        (parse_model_page, []),
        (parse_model_page, {"models": {}}),
        (parse_model_page, {"models": ["m"]}),
        (parse_versions, {"versions": "v1"}),
        (parse_experiments, {"experiments": [None]}),
        (parse_deployments, "deployments"),
        (parse_deployments, None),
    ],
)
def test_json_that_is_not_the_specs_shape_is_a_bad_response(parser, body):
    with pytest.raises(BadResponse):
        parser(body)
