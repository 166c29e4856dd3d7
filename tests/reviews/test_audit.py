"""/audit/: the ledger listed, filtered from the query string, exported as CSV;
and "what was in production on a given date"."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from webui.reviews.models import LedgerEntry
from webui.reviews.selectors import production_on


def _entry(when, kind="apply", actor="rita", model_id="mdl_a", model_name="churn", version="v1", frm="staging", to="production", outcome="upstream", **extra):
    return LedgerEntry.objects.create(
        created_at=when, kind=kind, actor=actor, model_id=model_id, model_name=model_name,
        version_id=f"ver_{version}", version_label=version, from_status=frm, to_status=to, outcome=outcome, **extra,
    )


@pytest.fixture
def ledger(db):
    _entry(datetime(2026, 3, 1, 9, tzinfo=UTC), kind="request", actor="eve", outcome="", comment="please")
    _entry(datetime(2026, 3, 2, 9, tzinfo=UTC), kind="approve", outcome="", metrics={"accuracy": 0.91})
    _entry(datetime(2026, 3, 2, 9, 1, tzinfo=UTC))
    _entry(datetime(2026, 3, 5, 9, tzinfo=UTC), kind="reject", actor="rex", model_id="mdl_b", model_name="fraud", version="f1", to="staging", frm="draft", outcome="", comment="=HYPERLINK(\"x\")")


def test_the_ledger_lists_newest_first(client_for, ledger):
    page = client_for("vic").get("/audit/").content.decode()
    rows = page.split('data-testid="audit-row"')[1:]
    assert len(rows) == 4
    assert 'data-event="rejected"' in page.split('data-testid="audit-row"')[1][:80]


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ("model=mdl_b", 1),
        ("model=churn", 3),
        ("person=eve", 1),
        ("person=RITA", 2),
        ("status=draft", 1),
        ("kind=approve", 1),
        ("date_from=2026-03-02", 3),
        ("date_to=2026-03-02", 3),
        ("date_from=2026-03-02&date_to=2026-03-02", 2),
        ("model=churn&person=rita&status=production", 2),
    ],
)
def test_it_filters_from_the_query_string(client_for, ledger, query, count):
    resp = client_for("vic").get(f"/audit/?{query}")
    assert resp.status_code == 200
    assert resp.content.decode().count('data-testid="audit-row"') == count


@pytest.mark.parametrize(
    ("query", "field"),
    [("date_from=yesterday", "date_from"), ("status=live", "status"), ("date_from=2026-03-05&date_to=2026-03-01", "date_to")],
)
def test_a_bad_filter_is_a_400_naming_the_field(client_for, ledger, query, field):
    resp = client_for("vic").get(f"/audit/?{query}")
    assert resp.status_code == 400
    assert f'id="id_{field}_errors"' in resp.content.decode()
    assert client_for("vic").get(f"/audit/export.csv?{query}").status_code == 400


def test_it_exports_the_filtered_ledger_as_csv(client_for, ledger):
    resp = client_for("vic").get("/audit/export.csv?model=churn")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(resp.streaming_content).decode())))
    assert [r["event"] for r in rows] == ["applied", "approved", "requested"]  # the page's words
    approve = rows[1]
    assert approve["who"] == "rita" and approve["model"] == "churn" and approve["to"] == "production"
    assert approve["metrics"] == '{"accuracy": 0.91}'


def test_the_csv_defuses_spreadsheet_formulas(client_for, ledger):
    resp = client_for("vic").get("/audit/export.csv?model=mdl_b")
    rows = list(csv.DictReader(io.StringIO(b"".join(resp.streaming_content).decode())))
    assert rows[0]["comment"].startswith("'=")


def test_the_csv_defuses_formulas_in_upstream_names_too(client_for, db):
    # Model names and version labels come from JFrog ML, where anyone who may create
    # a model chooses them; a spreadsheet must show them, not run them.
    _entry(datetime(2026, 3, 6, 9, tzinfo=UTC), model_id="mdl_c", model_name="=cmd|' /C calc'!A0", version="@SUM(1)")
    resp = client_for("vic").get("/audit/export.csv?model=mdl_c")
    rows = list(csv.DictReader(io.StringIO(b"".join(resp.streaming_content).decode())))
    assert rows[0]["model"] == "'=cmd|' /C calc'!A0"
    assert rows[0]["version"] == "'@SUM(1)"


def test_production_on_a_date_is_computed_from_the_ledger(db):
    day = lambda d, h=12: datetime(2026, 4, d, h, tzinfo=UTC)  # noqa: E731
    _entry(day(1), version="v1", frm="staging", to="production")
    _entry(day(5), version="v1", frm="production", to="archived")
    _entry(day(5), version="v2", frm="staging", to="production", outcome="pond")
    _entry(day(6), version="v3", frm="staging", to="production", outcome="failed")
    assert production_on(model_id="mdl_a", date=date(2026, 3, 31)) == []
    assert [r.version_label for r in production_on(model_id="mdl_a", date=date(2026, 4, 1))] == ["v1"]
    assert [r.version_label for r in production_on(model_id="mdl_a", date=date(2026, 4, 4))] == ["v1"]
    on_5th = production_on(model_id="mdl_a", date=date(2026, 4, 5))
    assert [(r.version_label, r.source) for r in on_5th] == [("v2", "pond")]
    assert [r.version_label for r in production_on(model_id="mdl_a", date=date(2026, 4, 30))] == ["v2"]
    # A moment within a day can be asked too.
    assert [r.version_label for r in production_on(model_id="mdl_a", date=day(5, 11))] == ["v1"]


def test_a_version_already_in_production_before_pond_recorded_it_is_inferred(db):
    _entry(datetime(2026, 4, 10, tzinfo=UTC), version="v0", frm="production", to="archived",
           details={"version_created_at": "2026-01-01T00:00:00+00:00"})
    rows = production_on(model_id="mdl_a", date=date(2026, 4, 1))
    assert [(r.version_label, r.inferred) for r in rows] == [("v0", True)]
    # Not before the version existed.
    assert production_on(model_id="mdl_a", date=date(2025, 12, 1)) == []


def test_the_production_on_page_answers_and_refuses_a_bad_date(client_for, db):
    _entry(datetime(2026, 4, 1, 12, tzinfo=UTC), version="v1")
    viewer = client_for("vic")
    page = viewer.get("/audit/production/mdl_a/?date=2026-04-02")
    assert page.status_code == 200
    assert 'data-version="ver_v1"' in page.content.decode()
    assert "production-on-none" in viewer.get("/audit/production/mdl_a/?date=2026-03-02").content.decode()
    bad = viewer.get("/audit/production/mdl_a/?date=someday")
    assert bad.status_code == 400
    assert 'id="id_date_errors"' in bad.content.decode()
