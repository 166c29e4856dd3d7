"""Trends: a metric across a model's versions with production marked and promotion
dates from the ledger (model page partial); promotions and failures per week (overview)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import timezone

from tests.insights.conftest import record_pond_promotion
from webui.insights import panels
from webui.insights.selectors import weekly_activity
from webui.jfrogml import services
from webui.reviews.models import LedgerEntry
from webui.reviews.selectors import ledger_for_versions
from webui.status.poller import Observation, record_observations


def _trend(data, metric: str = "", query: str = "") -> str:
    """The model page's trend panel, from what its view reads."""
    panel = panels.metric_trend(
        data=data, metric=metric, ledger_entries=ledger_for_versions(model_id=data.model.id),
        query=QueryDict(query), param="metric",
    )  # fmt: skip
    return render_to_string("insights/_metric_trend.html", panel)


def _promoted(model_id: str, version_id: str, label: str, when: datetime) -> LedgerEntry:
    return LedgerEntry.objects.create(
        kind=LedgerEntry.APPLY, actor="rita", model_id=model_id, version_id=version_id, version_label=label,
        from_status="staging", to_status="production", outcome=LedgerEntry.UPSTREAM, created_at=when,
    )


def test_the_model_trend_marks_production_and_shows_promotion_dates(registry, users):
    model = registry.model("churn")
    v1 = registry.version(model["id"], "1.0", metrics={"accuracy": 0.81, "loss": 0.5}, status="staging")
    v2 = registry.version(model["id"], "1.1", metrics={"accuracy": 0.86, "loss": 0.4}, status="production")
    v3 = registry.version(model["id"], "1.2", metrics={"loss": 0.35}, status="staging")
    _promoted(model["id"], v2["id"], "1.1", datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    # JFrog ML cannot store this one; Pond's ledger makes it production.
    record_pond_promotion(model_id=model["id"], version_id=v3["id"], label="1.2")
    data = services.model_overview(model_id=model["id"])

    html = _trend(data, "accuracy")
    assert html.index(f'data-version-id="{v1["id"]}"') < html.index(f'data-version-id="{v2["id"]}"') < html.index(
        f'data-version-id="{v3["id"]}"'
    )
    assert f'data-version-id="{v2["id"]}" data-production' in html
    assert f'data-version-id="{v3["id"]}" data-production' in html  # effective status, from the ledger
    assert f'data-version-id="{v1["id"]}" data-production' not in html
    assert "2026-03-02 09:30" in html
    assert "recorded by Pond" in html
    assert '<svg class="chart"' in html and "accuracy across versions" in html

    assert "Trend: loss" in _trend(data, "loss")
    # Without a metric, the first by name.
    assert "Trend: accuracy" in _trend(data)


def test_the_model_page_charts_the_metric_asked_for_or_falls_back(registry, alice):
    model = registry.model("churn")
    registry.version(model["id"], "1.0", metrics={"accuracy": 0.8, "loss": 0.5})
    chosen = alice.get(f"/models/{model['id']}/", {"metric": "loss"}).content.decode()
    assert "Trend: loss" in chosen
    fallback = alice.get(f"/models/{model['id']}/", {"metric": "<b>nope"}).content.decode()
    assert "Trend: accuracy" in fallback and "<b>nope" not in fallback


def test_a_model_without_metrics_says_there_is_nothing_to_chart(registry, users):
    model = registry.model("bare")
    registry.version(model["id"], "1.0", metrics={})
    data = services.model_overview(model_id=model["id"])
    assert "No metrics to chart" in _trend(data)


def test_weekly_activity_counts_promotions_and_failures_per_week(db):
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # a Thursday
    _promoted("m-1", "v-1", "1.0", datetime(2026, 11, 23, 8, 0, tzinfo=UTC))  # this week (Monday)
    _promoted("m-1", "v-2", "1.1", datetime(2026, 11, 22, 23, 59, tzinfo=UTC))  # last week (Sunday)
    _promoted("m-2", "v-3", "2.0", datetime(2026, 11, 17, 10, 0, tzinfo=UTC))  # last week
    _promoted("m-2", "v-4", "2.1", datetime(2026, 8, 1, tzinfo=UTC))  # older than 12 weeks
    LedgerEntry.objects.create(  # an approval is not a promotion that took effect
        kind=LedgerEntry.APPROVE, actor="rita", model_id="m-1", version_id="v-5", to_status="production",
        created_at=datetime(2026, 11, 24, tzinfo=UTC),
    )
    LedgerEntry.objects.create(  # nor is restoring the version a failed decision archived
        kind=LedgerEntry.APPLY, actor="rita", model_id="m-1", version_id="v-1", version_label="1.0",
        from_status="archived", to_status="production", outcome=LedgerEntry.UPSTREAM,
        details={"compensation": True}, created_at=datetime(2026, 11, 24, 1, tzinfo=UTC),
    )
    # What the poller observed: d-1 failed twice (recovering in between), d-2 once.
    record_observations([Observation("d-1", "active"), Observation("d-2", "active")], now=now - timedelta(weeks=3))
    record_observations([Observation("d-1", "failed"), Observation("d-2", "failed")], now=now - timedelta(weeks=2))
    record_observations([Observation("d-1", "active"), Observation("d-2", "failed")], now=now - timedelta(days=1))
    record_observations([Observation("d-1", "failed"), Observation("d-2", "failed")], now=now)

    weeks = weekly_activity(now=now, weeks=12)
    assert len(weeks) == 12
    assert weeks[-1].start.isoformat() == "2026-11-23"
    assert weeks[0].start.isoformat() == "2026-09-07"
    by_start = {w.start.isoformat(): (w.promoted, w.failed) for w in weeks}
    assert by_start["2026-11-23"] == (1, 1)
    assert by_start["2026-11-16"] == (2, 0)
    assert by_start["2026-11-09"] == (0, 2)
    assert sum(p for p, _ in by_start.values()) == 3


def test_the_overview_partial_shows_the_weekly_table(db):
    _promoted("m-1", "v-1", "1.0", timezone.now())
    html = render_to_string("insights/_weekly.html", panels.weekly(4))
    assert html.count("<tr data-week=") == 4
    assert "Promotions from Pond's ledger" in html
    assert '<meter class="meter-good" min="0" max="1" value="1"></meter> 1' in html


def test_the_trend_picker_keeps_the_page_query_and_can_use_the_page_parameter(registry, users):
    model = registry.model("churn")
    registry.version(model["id"], "1.0", metrics={"accuracy": 0.8, "loss": 0.5})
    data = services.model_overview(model_id=model["id"])
    html = _trend(data, "loss", "status=draft&metric=loss")
    assert "Trend: loss" in html
    assert '<select name="metric" id="id_trend">' in html
    assert '<input type="hidden" name="status" value="draft">' in html
    assert 'type="hidden" name="metric"' not in html
