"""Lists of every experiment or deployment are paged, and the overview shows a screenful."""

from __future__ import annotations

import re


def test_the_experiments_list_is_paged_and_keeps_its_filters(client_for, registry):
    model = registry.model("pager")
    for i in range(55):
        registry.experiment(f"exp-{i:02d}", model_id=model["id"])
    client = client_for("alice")
    first = client.get("/experiments/").content.decode()
    assert "55 experiments" in first
    assert first.count('href="/experiments/exp_') == 50
    assert "Page 1 of 2" in first
    second = client.get(f"/experiments/?model={model['id']}&page=2").content.decode()
    assert second.count('href="/experiments/exp_') == 5
    assert re.search(r'href="\?model=[^"]*&amp;page=1"|href="\?page=1&amp;model=', second)
    # A page past the end shows the last page rather than an error.
    assert client.get("/experiments/?page=99").status_code == 200


def test_the_deployments_list_is_paged(client_for, registry):
    model = registry.model("pager")
    version = registry.version(model["id"], "1.0.0")
    for i in range(52):
        registry.deployment(model["id"], version["id"], name=f"dep-{i:02d}")
    page = client_for("alice").get("/deployments/?page=2").content.decode()
    assert "52 deployments" in page
    assert page.count('href="/deployments/dep_') == 2
    assert "Page 2 of 2" in page


def test_the_overview_lists_ten_deployments_and_links_to_all(client_for, registry):
    model = registry.model("pager")
    version = registry.version(model["id"], "1.0.0")
    for i in range(12):
        registry.deployment(model["id"], version["id"], name=f"dep-{i:02d}")
    page = client_for("alice").get("/").content.decode()
    assert page.count('href="/deployments/dep_') == 10
    assert "All 12 deployments" in page
