"""/audit/: the ledger listed, filtered from the query string, exported as CSV;
and "what was in production on a given date"."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from webui.activity.models import Activity
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
    [
        ("date_from=yesterday", "date_from"),
        ("status=live", "status"),
        ("date_from=2026-03-05&date_to=2026-03-01", "date_to"),
        ("event=launched", "event"),
        ("kind=launched", "event"),
        ("record=everything", "record"),
    ],
)
def test_a_bad_filter_is_a_400_naming_the_field(client_for, ledger, query, field):
    resp = client_for("vic").get(f"/audit/?{query}")
    assert resp.status_code == 400
    assert f'id="id_{field}_errors"' in resp.content.decode()
    assert client_for("vic").get(f"/audit/export.csv?{query}").status_code == 400


def _activity(
    when,
    action="edited",
    actor="bob",
    kind="experiment",
    object_id="exp_1",
    object_name="tuning",
    model_id="mdl_e",
    model_name="energy-forecast",
    **extra,
):
    return Activity.objects.create(
        created_at=when, action=action, actor=actor, object_kind=kind, object_id=object_id,
        object_name=object_name, model_id=model_id, model_name=model_name, **extra,
    )  # fmt: skip


@pytest.fixture
def both(ledger):
    """The ledger above, and the activity record in between its entries."""
    _activity(datetime(2026, 3, 1, 8, tzinfo=UTC), action="created", kind="model",
              object_id="mdl_e", object_name="energy-forecast", actor="Bob.Smith")  # fmt: skip
    _activity(datetime(2026, 3, 2, 10, tzinfo=UTC), changes={"description": ["old", "new"]})
    _activity(datetime(2026, 3, 3, 9, tzinfo=UTC), action="deployed", kind="deployment",
              object_id="dep_1", object_name="energy-live", changes={"instances": 2})  # fmt: skip
    _entry(datetime(2026, 3, 4, 9, tzinfo=UTC), kind="deploy", model_id="mdl_e", version="e1",
           model_name="energy-forecast", frm="production", to="production")  # fmt: skip
    _entry(datetime(2026, 3, 4, 10, tzinfo=UTC), kind="cancel", actor="eve", outcome="",
           comment="superseded")  # fmt: skip


def _page_rows(client, query: str = "") -> list[tuple[str, str, str]]:
    """(record, event, who) of each row, as the page shows them."""
    resp = client.get(f"/audit/?{query}")
    assert resp.status_code == 200, resp.content.decode()[:1000]
    return [
        (
            re.search(r'data-record="([^"]*)"', row).group(1),
            re.search(r'data-event="([^"]*)"', row).group(1),
            re.search(r"<td>[^<]*</td><td>([^<]*)</td>", row).group(1),
        )
        for row in resp.content.decode().split('data-testid="audit-row"')[1:]
    ]


def _csv_rows(client, query: str = "") -> list[dict[str, str]]:
    resp = client.get(f"/audit/export.csv?{query}")
    assert resp.status_code == 200
    return list(csv.DictReader(io.StringIO(b"".join(resp.streaming_content).decode())))


def test_promotions_and_activity_are_one_list_newest_first(client_for, both):
    assert _page_rows(client_for("vic")) == [
        ("promotions", "rejected", "rex"),
        ("promotions", "withdrew", "eve"),
        ("promotions", "deployed", "rita"),
        ("activity", "deployed", "bob"),
        ("activity", "edited", "bob"),
        ("promotions", "applied", "rita"),
        ("promotions", "approved", "rita"),
        ("promotions", "requested", "eve"),
        ("activity", "created", "Bob.Smith"),
    ]


def test_the_page_and_the_csv_name_every_event_alike(client_for, both):
    vic = client_for("vic")
    page = [(record, event, who) for record, event, who in _page_rows(vic)]
    exported = [(r["record"], r["event"], r["who"]) for r in _csv_rows(vic)]
    assert exported == page
    raw_kinds = {kind for kind, _ in LedgerEntry.KIND_CHOICES}
    assert not raw_kinds & {event for _, event, _ in page}  # "withdrew", never "cancel"
    # The event filter offers the same words, ledger and activity alike.
    form = vic.get("/audit/").content.decode()
    select = re.search(r'<select name="event"[^>]*>(.*?)</select>', form, re.S).group(1)
    offered = re.findall(r'<option value="([^"]+)"', select)
    expected = {"requested", "approved", "withdrew", "applied", "deployed", "created", "edited"}
    assert expected <= set(offered)
    assert len(offered) == len(set(offered))  # "deployed" once, for both records


_ACTIVITY = [("activity", "deployed"), ("activity", "edited"), ("activity", "created")]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # One event name finds it in both records.
        ("event=deployed", [("promotions", "deployed"), ("activity", "deployed")]),
        ("event=withdrew", [("promotions", "withdrew")]),
        ("kind=cancel", [("promotions", "withdrew")]),  # an older link: `kind`, a raw kind
        ("event=edited", [("activity", "edited")]),
        ("record=activity", _ACTIVITY),
        ("record=promotions&event=edited", []),
        ("record=activity&event=deployed", [("activity", "deployed")]),
        # Model: any part of its id or name, any case; person likewise.
        ("model=ENERGY", [("promotions", "deployed"), *_ACTIVITY]),
        ("model=dl_E", [("promotions", "deployed"), *_ACTIVITY]),
        ("model=energy&person=bob.s", [("activity", "created")]),
        ("person=O", _ACTIVITY),
        ("date_from=2026-03-03&date_to=2026-03-03", [("activity", "deployed")]),
    ],
)  # fmt: skip
def test_both_records_are_filtered_alike(client_for, both, query, expected):
    vic = client_for("vic")
    assert [(record, event) for record, event, _ in _page_rows(vic, query)] == expected
    assert [(r["record"], r["event"]) for r in _csv_rows(vic, query)] == expected


def test_an_older_link_exports_under_the_event_name(client_for, both):
    page = client_for("vic").get("/audit/?kind=cancel").content.decode()
    assert 'href="/audit/export.csv?event=withdrew"' in page
    assert re.search(r'<option value="withdrew" selected>', page)


def test_the_csv_has_one_row_per_event_with_columns_for_both(client_for, both):
    rows = {(r["record"], r["event"]): r for r in _csv_rows(client_for("vic"))}
    assert len(rows) == 9
    edited = rows[("activity", "edited")]
    assert [edited[c] for c in ("object", "object_id", "object_name")] == [
        "experiment",
        "exp_1",
        "tuning",
    ]
    assert [edited[c] for c in ("model_id", "model", "who")] == ["mdl_e", "energy-forecast", "bob"]
    assert edited["changes"] == '{"description": ["old", "new"]}'
    assert edited["when"] == "2026-03-02T10:00:00+00:00"
    approved = rows[("promotions", "approved")]
    assert [approved[c] for c in ("object", "version_id", "version")] == ["version", "ver_v1", "v1"]
    assert [approved[c] for c in ("from", "to")] == ["staging", "production"]
    assert approved["metrics"] == '{"accuracy": 0.91}'
    applied = rows[("promotions", "applied")]
    assert applied["outcome"] == "upstream" and applied["changes"] == "{}"


def test_recorded_names_are_shown_as_text(client_for, db):
    _activity(datetime(2026, 3, 2, 10, tzinfo=UTC), object_name="<script>alert(1)</script>",
              model_name="<b>bold</b>", changes={"<i>field</i>": ["<u>a</u>", "b"]})  # fmt: skip
    page = client_for("vic").get("/audit/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>bold</b>" not in page and "<i>field</i>" not in page and "<u>a</u>" not in page


def test_a_page_reads_only_a_page_of_each_record(client_for, db):
    for i in range(120):
        minute = datetime(2026, 3, 1, 9, tzinfo=UTC).replace(minute=i % 60, hour=9 + i // 60)
        _entry(minute, version=f"l{i}")
        _activity(minute, object_name=f"a{i}")
    vic = client_for("vic")
    with CaptureQueriesContext(connection) as queries:
        page = vic.get("/audit/").content.decode()
    assert page.count('data-testid="audit-row"') == 50 and "Page 1 of 5" in page
    tables = ("reviews_ledgerentry", "activity_activity")
    reads = [
        sql
        for sql in (q["sql"] for q in queries)
        if sql.startswith("SELECT") and "COUNT(" not in sql and any(t in sql for t in tables)
    ]
    assert len(reads) == 2
    assert all(re.search(r"LIMIT 50\b", sql) for sql in reads), reads
    # The last page is still right: the oldest of each, the ledger's first at equal times.
    last = vic.get("/audit/?page=5").content.decode()
    assert last.count('data-testid="audit-row"') == 40
    assert last.rindex("l0<") > last.rindex("a1<") and last.rindex("a0<") > last.rindex("l0<")


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
