"""`total_count` of the model list comes from a trigger-kept count (registry.rowcount):
exact whoever writes, one query per page, and a count when the stored one is unknown."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from registry import ids, rowcount
from registry.models import RegisteredModel, RowCount

pytestmark = pytest.mark.django_db

TABLE = RegisteredModel._meta.db_table


def _stored() -> int | None:
    return RowCount.objects.filter(table=TABLE).values_list("row_count", flat=True).first()


def _total(api) -> int:
    resp = api.get("/models", limit="1")
    assert resp.status_code == 200
    return resp.json()["total_count"]


def _bulk(n: int, prefix: str = "bulk") -> None:
    now = timezone.now()
    RegisteredModel.objects.bulk_create(
        [
            RegisteredModel(
                id=ids.new_id(ids.MODEL), name=f"{prefix}-{i}", created_at=now + timedelta(seconds=i),
                updated_at=now, created_by="t",
            )
            for i in range(n)
        ]
    )


@pytest.fixture(autouse=True)
def counted(db):
    # An earlier transactional test's flush may have emptied the count table; its
    # post_migrate recounts, and so does this.
    assert rowcount.recount(TABLE) == RegisteredModel.objects.count()


def test_the_count_follows_every_writer(api):
    assert _total(api) == 0
    first = api.model("churn")
    api.model("fraud")
    assert _stored() == 2 and _total(api) == 2
    _bulk(30)  # seeding and tests write with bulk_create, not through the services
    assert _stored() == 32 and _total(api) == 32
    RegisteredModel.objects.filter(name__startswith="bulk-1").delete()  # bulk-1, bulk-10..19
    assert _stored() == 21 and _total(api) == 21
    assert api.delete(f"/models/{first['id']}").status_code == 204
    assert _stored() == 20 and _total(api) == RegisteredModel.objects.count() == 20


def test_a_page_is_one_query(api):
    _bulk(5)
    api.get("/models")  # the token is checked once, then remembered
    with CaptureQueriesContext(connection) as queries:
        resp = api.get("/models", limit="2", offset="1")
    assert resp.json()["total_count"] == 5
    assert [m["name"] for m in resp.json()["models"]] == ["bulk-1", "bulk-2"]
    assert len(queries.captured_queries) == 1


def test_a_page_past_the_end_still_counts(api):
    _bulk(3)
    body = api.get("/models", limit="5", offset="3").json()
    assert body == {"models": [], "total_count": 3}
    assert api.get("/models", limit="0").json() == {"models": [], "total_count": 3}


def test_an_unknown_count_is_counted_and_recount_restores_it(api):
    _bulk(4)
    RowCount.objects.filter(table=TABLE).delete()
    assert _total(api) == 4
    _bulk(2, prefix="more")  # the triggers find no row to move: still unknown, not wrong
    assert _stored() is None and _total(api) == 6
    assert rowcount.recount(TABLE) == 6
    assert _stored() == 6 and _total(api) == 6


def test_recount_stores_nothing_without_the_triggers(monkeypatch):
    monkeypatch.setattr(rowcount, "triggers_installed", lambda table, using="default": False)
    RowCount.objects.filter(table=TABLE).delete()
    assert rowcount.recount(TABLE) is None
    assert _stored() is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_a_truncate_resets_the_count():
    _bulk(3)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {TABLE} CASCADE")
    assert _stored() == 0
