"""`total_count` of the model list counts every model, whoever wrote them: the API's
own writes, bulk inserts and deletes behind its back, and on pages past the end."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from registry import ids
from registry.models import RegisteredModel

pytestmark = pytest.mark.django_db


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


def test_the_count_follows_every_writer(api):
    assert _total(api) == 0
    first = api.model("churn")
    api.model("fraud")
    assert _total(api) == 2
    _bulk(30)  # seeding and tests write with bulk_create, not through the services
    assert _total(api) == 32
    RegisteredModel.objects.filter(name__startswith="bulk-1").delete()  # bulk-1, bulk-10..19
    assert _total(api) == 21
    assert api.delete(f"/models/{first['id']}").status_code == 204
    assert _total(api) == RegisteredModel.objects.count() == 20


def test_pages_walk_every_model_in_order(api):
    _bulk(7)
    names = []
    for offset in range(0, 7, 3):
        body = api.get("/models", limit="3", offset=str(offset)).json()
        assert body["total_count"] == 7
        names += [m["name"] for m in body["models"]]
    assert names == [f"bulk-{i}" for i in range(7)]


def test_a_page_past_the_end_still_counts(api):
    _bulk(3)
    body = api.get("/models", limit="5", offset="3").json()
    assert body == {"models": [], "total_count": 3}
    assert api.get("/models", limit="0").json() == {"models": [], "total_count": 3}
