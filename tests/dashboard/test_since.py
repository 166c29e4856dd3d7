"""One way of saying how long a deployment has been as it is, on every page: the status
page, the deployments list, a model's and a version's deployments, a deployment's page."""

from __future__ import annotations

from datetime import UTC, datetime

from django.template import Context, Template

from webui.dashboard.templatetags.pond import since

NOW = datetime(2026, 12, 5, 16, 30, tzinfo=UTC)


def test_it_says_the_time_today_and_yesterday_and_the_day_before_that():
    assert ">13:18 today<" in since(datetime(2026, 12, 5, 13, 18, 7, tzinfo=UTC), NOW)
    assert ">23:59 yesterday<" in since(datetime(2026, 12, 4, 23, 59, tzinfo=UTC), NOW)
    assert ">2 Dec<" in since(datetime(2026, 12, 2, 8, 0, tzinfo=UTC), NOW)
    assert ">2 Dec 2025<" in since(datetime(2025, 12, 2, 8, 0, tzinfo=UTC), NOW)


def test_it_carries_the_exact_utc_instant_whatever_the_zone_it_was_given_in():
    from zoneinfo import ZoneInfo

    text = since(datetime(2026, 12, 5, 14, 18, 7, tzinfo=ZoneInfo("Europe/Paris")), NOW)
    assert text == (
        'since <time datetime="2026-12-05T13:18:07+00:00" title="2026-12-05 13:18:07 UTC">13:18 today</time>'
    )


def test_an_unknown_time_is_a_dash():
    assert since(None) == "—"
    assert since("2026-12-05") == "—"


def test_the_deployments_table_says_it_beside_the_status(db):
    from types import SimpleNamespace

    deployment = SimpleNamespace(
        id="d/1", name="churn <prod>", status="failed", model_id="", model_version_id="",
        replicas=1, endpoint_url="", updated_at=datetime(2025, 3, 1, 9, 0, tzinfo=UTC),
    )  # fmt: skip
    html = Template('{% include "dashboard/partials/deployments_table.html" %}').render(
        Context({"deployments": [deployment], "model_names": {}, "version_names": {}})
    )
    assert (
        'data-deployment-status="d/1">failed</span> <span class="status-since" data-status-since>since <time'
        in html
    )
    assert ">1 Mar 2025</time>" in html and "churn &lt;prod&gt;" in html
