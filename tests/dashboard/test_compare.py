"""Comparing 2 to 10 versions or experiments, best values direction-aware."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def versions(registry):
    model = registry.model("ranker")
    a = registry.version(model["id"], "1.0", metrics={"accuracy": 0.8, "loss": 0.5}, parameters={"lr": "0.1", "depth": "6"})
    b = registry.version(model["id"], "2.0", metrics={"accuracy": 0.9, "loss": 0.7}, parameters={"lr": "0.1", "depth": "8"})
    return model, a, b


def _best_cells(body: str) -> list[str]:
    return re.findall(r'<td class="num best">([^<]*)</td>', body)


def test_it_highlights_the_highest_accuracy_and_the_lowest_loss(client_for, versions):
    model, a, b = versions
    resp = client_for("alice").get(f"/models/{model['id']}/compare/?v={a['id']}&v={b['id']}")
    body = resp.content.decode()
    assert resp.status_code == 200
    assert sorted(_best_cells(body)) == ["0.5", "0.9"]
    assert "<svg" in body


def test_show_only_differences_hides_equal_parameters(client_for, versions):
    model, a, b = versions
    client = client_for("alice")
    full = client.get(f"/models/{model['id']}/compare/?v={a['id']}&v={b['id']}").content.decode()
    diff = client.get(f"/models/{model['id']}/compare/?v={a['id']}&v={b['id']}&diff=1").content.decode()
    assert ">lr</th>" in full and ">depth</th>" in full
    assert ">lr</th>" not in diff and ">depth</th>" in diff


@pytest.mark.parametrize("count", [0, 1, 11])
def test_fewer_than_two_or_more_than_ten_is_a_clear_message(client_for, registry, count):
    model = registry.model("many")
    ids = [registry.version(model["id"], f"{i}.0")["id"] for i in range(count)]
    query = "&".join(f"v={i}" for i in ids)
    resp = client_for("alice").get(f"/models/{model['id']}/compare/?{query}")
    assert resp.status_code == 400
    assert 'data-testid="compare-problem"' in resp.content.decode()


def test_an_unknown_version_in_a_comparison_is_a_404(client_for, versions):
    model, a, _ = versions
    resp = client_for("alice").get(f"/models/{model['id']}/compare/?v={a['id']}&v=mv_nope")
    assert resp.status_code == 404


def test_it_compares_experiments_chosen_from_the_list(client_for, registry):
    e1 = registry.experiment("small", parameters={"lr": "0.1"})
    e2 = registry.experiment("large", parameters={"lr": "0.3"})
    client = client_for("alice")
    listing = client.get("/experiments/").content.decode()
    assert f'name="e" value="{e1["id"]}"' in listing
    resp = client.get(f"/experiments/compare/?e={e1['id']}&e={e2['id']}")
    body = resp.content.decode()
    assert resp.status_code == 200
    assert "small" in body and "large" in body and "0.3" in body


def test_the_versions_table_offers_a_selection_to_compare(client_for, versions):
    model, a, _ = versions
    body = client_for("alice").get(f"/models/{model['id']}/").content.decode()
    assert f'action="/models/{model["id"]}/compare/"' in body
    assert f'name="v" value="{a["id"]}"' in body
