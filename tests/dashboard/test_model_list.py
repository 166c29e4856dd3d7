"""The models page: search, filters, sort, pages and CSV, all in the URL."""

from __future__ import annotations

import csv
import io

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def catalog(registry):
    registry.model("alpha-fraud", framework="pytorch", task_type="classification", tags=["fraud"])
    registry.model("beta-prices", framework="sklearn", task_type="regression", tags=["pricing"])
    gamma = registry.model("gamma-fraud", framework="sklearn", task_type="classification", tags=["fraud", "eu"])
    registry.version(gamma["id"], "1.0.0")
    registry.version(gamma["id"], "2.0.0")


def _names(resp) -> list[str]:
    body = resp.content.decode()
    return [n for n in ("alpha-fraud", "beta-prices", "gamma-fraud") if n in body]


def _order(resp) -> list[str]:
    body = resp.content.decode()
    found = [(body.index(n), n) for n in ("alpha-fraud", "beta-prices", "gamma-fraud") if n in body]
    return [n for _, n in sorted(found)]


def test_it_searches_by_name(client_for, catalog):
    assert _names(client_for("alice").get("/models/?q=fraud")) == ["alpha-fraud", "gamma-fraud"]


def test_it_filters_by_framework_task_type_and_tag(client_for, catalog):
    client = client_for("alice")
    assert _names(client.get("/models/?framework=sklearn")) == ["beta-prices", "gamma-fraud"]
    assert _names(client.get("/models/?task_type=regression")) == ["beta-prices"]
    assert _names(client.get("/models/?tag=eu")) == ["gamma-fraud"]
    assert _names(client.get("/models/?framework=sklearn&tag=fraud")) == ["gamma-fraud"]


def test_it_sorts_by_name_both_ways_and_by_versions(client_for, catalog):
    client = client_for("alice")
    assert _order(client.get("/models/?sort=name")) == ["alpha-fraud", "beta-prices", "gamma-fraud"]
    assert _order(client.get("/models/?sort=-name")) == ["gamma-fraud", "beta-prices", "alpha-fraud"]
    assert _order(client.get("/models/?sort=versions"))[0] == "gamma-fraud"


def test_it_pages_through_models_with_links_that_keep_the_filters(client_for, registry):
    for i in range(27):
        registry.model(f"m-{i:02d}", framework="pytorch")
    client = client_for("alice")
    first = client.get("/models/?framework=pytorch&sort=name").content.decode()
    assert "m-00" in first and "m-24" in first and "m-25" not in first
    assert "Page 1 of 2" in first
    assert "?framework=pytorch&amp;sort=name&amp;page=2" in first
    second = client.get("/models/?framework=pytorch&sort=name&page=2").content.decode()
    assert "m-25" in second and "m-26" in second and "m-00" not in second


def test_a_bad_sort_or_page_is_named_and_the_page_still_renders(client_for, catalog):
    resp = client_for("alice").get("/models/?sort=evil&page=abc")
    body = resp.content.decode()
    assert resp.status_code == 200
    assert "Sort: " in body and "Page: " in body
    assert _order(resp) == ["alpha-fraud", "beta-prices", "gamma-fraud"]


def test_a_page_past_the_end_shows_the_last_page(client_for, catalog):
    resp = client_for("alice").get("/models/?page=99")
    assert resp.status_code == 200
    assert "gamma-fraud" in resp.content.decode()


def test_no_match_shows_an_empty_state(client_for, catalog):
    body = client_for("alice").get("/models/?q=nothing-like-this").content.decode()
    assert "No model matches these filters" in body


def test_it_exports_the_filtered_models_as_csv(client_for, catalog):
    resp = client_for("alice").get("/models/?tag=fraud&format=csv")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(resp.content.decode())))
    assert [r["name"] for r in rows] == ["alpha-fraud", "gamma-fraud"]
    gamma = rows[1]
    assert gamma["framework"] == "sklearn" and gamma["versions_count"] == "2" and gamma["latest_version"] == "2.0.0"


def test_csv_cells_that_look_like_formulas_are_defused(client_for, registry):
    registry.model("=HYPERLINK(\"http://evil\")")
    resp = client_for("alice").get("/models/?format=csv")
    rows = list(csv.DictReader(io.StringIO(resp.content.decode())))
    assert rows[0]["name"].startswith("'=")


def test_csv_header_cells_are_defused_too(client_for, registry):
    """Metric names are upstream data, and they are the version export's header row."""
    model = registry.model("plain-model")
    registry.version(model["id"], "1.0.0", metrics={'+HYPERLINK("http://evil.example","click")': 0.5, "=1+1": 1.0})
    resp = client_for("alice").get(f"/models/{model['id']}/?format=csv")
    assert resp.status_code == 200
    header = next(csv.reader(io.StringIO(resp.content.decode())))
    assert "'+HYPERLINK(\"http://evil.example\",\"click\")" in header and "'=1+1" in header
    assert not [cell for cell in header if cell.startswith(("=", "+", "-", "@"))], header

