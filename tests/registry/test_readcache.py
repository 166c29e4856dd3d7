"""registry.readcache: a page of models and a model are answered from memory while the
models table is unchanged, whoever changes it, and never from a rolled-back read."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry import readcache, rowcount
from registry.models import RegisteredModel, RowCount

TABLE = RegisteredModel._meta.db_table


@pytest.fixture
def committed(transactional_db, api):
    """Committed data (outside a transaction, the only place answers are kept), a fresh cache."""
    readcache.models.clear()
    assert rowcount.recount(TABLE) == RegisteredModel.objects.count()
    yield api
    readcache.models.clear()


def _sql(statement: str, params: list | None = None) -> None:
    # Another process's write: no Django signal, no call into the registry's code.
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def _names(api, **params) -> list[str]:
    resp = api.get("/models", **params)
    assert resp.status_code == 200
    return [m["name"] for m in resp.json()["models"]]


def test_a_kept_page_costs_one_small_query(committed):
    api = committed
    api.model("churn")
    assert _names(api) == ["churn"]
    with CaptureQueriesContext(connection) as queries:
        assert _names(api) == ["churn"]
    assert len(queries.captured_queries) == 1
    assert "registry_rowcount" in queries.captured_queries[0]["sql"]


def test_kept_answers_follow_every_write_to_the_table(committed):
    api = committed
    churn = api.model("churn")
    assert _names(api) == ["churn"]
    assert api.get(f"/models/{churn['id']}").json()["name"] == "churn"
    _sql("UPDATE registry_registeredmodel SET name = %s WHERE id = %s", ["churn-2", churn["id"]])
    assert _names(api) == ["churn-2"]
    assert api.get(f"/models/{churn['id']}").json()["name"] == "churn-2"
    api.model("fraud")  # an insert
    assert _names(api) == ["churn-2", "fraud"]
    assert api.get("/models").json()["total_count"] == 2
    version = api.version(churn["id"], "1.0")  # updates the model's derived fields
    assert api.get(f"/models/{churn['id']}").json()["latest_version"] == "1.0"
    RegisteredModel.objects.filter(pk=churn["id"]).update(description="through the ORM")
    assert api.get(f"/models/{churn['id']}").json()["description"] == "through the ORM"
    _sql("DELETE FROM registry_modelversion WHERE id = %s", [version["id"]])
    _sql("DELETE FROM registry_registeredmodel WHERE id = %s", [churn["id"]])
    assert _names(api) == ["fraud"]
    assert api.get(f"/models/{churn['id']}").status_code == 404


def test_a_recounted_table_starts_afresh(committed):
    api = committed
    api.model("churn")
    assert _names(api) == ["churn"]
    # Emptied count table (a flush) and a change the triggers could not record.
    RowCount.objects.all().delete()
    _sql("UPDATE registry_registeredmodel SET name = 'renamed'")
    assert _names(api) == ["renamed"]  # unknown count: nothing is served from memory
    rowcount.recount(TABLE)
    assert _names(api) == ["renamed"]


def test_answers_read_inside_a_transaction_are_not_kept(api, db):
    api.model("churn")
    assert _names(api) == ["churn"]
    with CaptureQueriesContext(connection) as queries:
        assert _names(api) == ["churn"]
    assert any("ORDER BY" in q["sql"] for q in queries.captured_queries)


def test_the_byte_budget_is_kept_and_zero_turns_it_off(committed, settings):
    api = committed
    api.model("churn")
    settings.REGISTRY_READ_CACHE_BYTES = 0
    _names(api)
    with CaptureQueriesContext(connection) as queries:
        _names(api)
    assert any("ORDER BY" in q["sql"] for q in queries.captured_queries)
    settings.REGISTRY_READ_CACHE_BYTES = 10  # smaller than any page: none is kept
    _names(api)
    with CaptureQueriesContext(connection) as queries:
        _names(api)
    assert any("ORDER BY" in q["sql"] for q in queries.captured_queries)


def test_the_least_recently_used_answers_go_first():
    cache = readcache.ReadCache("t")
    cache._put(1, "a", b"x" * 40, 100)
    cache._put(1, "b", b"x" * 40, 100)
    assert cache._get(1, "a") is not None
    cache._put(1, "c", b"x" * 40, 100)
    assert cache._get(1, "b") is None
    assert cache._get(1, "a") is not None and cache._get(1, "c") is not None
    assert cache._get(2, "a") is None  # another number of changes: nothing is served


# --- RegistryApi.dispatch: reads by a remembered token skip DRF, answering the same ---------


def _answer(resp) -> tuple[int, bytes, dict[str, str]]:
    return resp.status_code, resp.content, dict(resp.headers)


@pytest.mark.parametrize("committed_data", [False, True], ids=["in-a-transaction", "committed"])
def test_the_short_path_answers_exactly_as_the_full_one(request, api, committed_data):
    if committed_data:
        request.getfixturevalue("committed")
    else:
        request.getfixturevalue("db")
    churn = api.model("churn", tags=["a", "\u2028"], description="émoji ✓")
    api.version(churn["id"], "1.0")
    api.model("fraud")
    for path, params in [("/models", {}), ("/models", {"limit": "1", "offset": "1"}), (f"/models/{churn['id']}", {})]:
        from registry.auth import token_cache

        token_cache.clear()
        full = _answer(api.get(path, **params))  # checks the token: DRF's whole path
        short = _answer(api.get(path, **params))  # the token is remembered now
        assert full[0] == 200
        assert short == full
        assert short[2]["Cache-Control"] == "no-store"


def test_the_short_path_leaves_errors_to_the_full_one(api, db):
    api.get("/models")  # the token is remembered from here on
    resp = api.get("/models", limit="x")
    assert resp.status_code == 400
    assert resp.json()["error"]["fields"] == {"limit": ["A whole number is required."]}
    resp = api.get("/models/mdl_unknown")
    assert resp.status_code == 404
    assert resp.json() == {"error": {"code": "not_found", "message": "Model 'mdl_unknown' not found."}}
