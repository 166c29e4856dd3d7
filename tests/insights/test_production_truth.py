"""/insights/production/: production versions by effective status, what deployments serve,
and each flag built for real in the embedded registry (and Pond's ledger)."""

from __future__ import annotations

from django.urls import reverse

from tests.insights.conftest import flags_of, record_pond_promotion

URL = "/insights/production/"


def _healthy(registry, poll):
    model = registry.model("churn")
    live = registry.version(model["id"], "1.0", status="production")
    registry.version(model["id"], "1.1", status="staging")
    dep = registry.deployment(model["id"], live["id"], "churn-prod")
    poll()
    return model, live, dep


def test_a_healthy_estate_shows_no_flags(alice, registry, poll):
    model, live, dep = _healthy(registry, poll)

    page = alice.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<strong>0</strong> models need attention, out of 1." in html
    assert 'data-flag="' not in html
    assert reverse("deployment_detail", args=[dep["id"]]) in html
    payload = alice.get(URL + "?format=json").json()
    assert payload["problem_models"] == 0
    row = payload["rows"][0]
    assert row["flags"] == []
    assert [p["version"] for p in row["production_versions"]] == ["1.0"]
    assert row["deployments"][0] | {} == {
        "id": dep["id"],
        "name": "churn-prod",
        "status": "active",
        "version_id": live["id"],
        "version": "1.0",
        "version_status": "production",
        "url": reverse("deployment_detail", args=[dep["id"]]),
    }


def test_it_flags_a_production_version_with_no_active_deployment(alice, registry, poll):
    model = registry.model("fraud")
    live = registry.version(model["id"], "2.0", status="production")
    poll()

    payload = alice.get(URL + "?format=json").json()
    [flag] = flags_of(payload, model["id"])
    assert flag["code"] == "production_not_deployed"
    assert flag["message"] == "Production version 2.0 has no active deployment."
    assert flag["links"][0]["url"] == reverse("version_detail", args=[model["id"], live["id"]])
    html = alice.get(URL).content.decode()
    assert "Production version 2.0 has no active deployment." in html
    assert f'href="{reverse("version_detail", args=[model["id"], live["id"]])}"' in html


def test_a_stopped_deployment_does_not_count_as_serving_production(alice, registry, poll):
    model = registry.model("fraud")
    live = registry.version(model["id"], "2.0", status="production")
    dep = registry.deployment(model["id"], live["id"], "fraud-prod")
    registry.set_deployment_status(dep["id"], "stopped")
    poll()

    [flag] = flags_of(alice.get(URL + "?format=json").json(), model["id"])
    assert flag["message"] == "Production version 2.0 has no active deployment (its deployments are 1 stopped)."
    assert [link["url"] for link in flag["links"]][1] == reverse("deployment_detail", args=[dep["id"]])


def test_it_flags_a_deployment_serving_an_archived_version(alice, registry, poll):
    model, live, _ = _healthy(registry, poll)
    old = registry.version(model["id"], "0.9")
    old_dep = registry.deployment(model["id"], old["id"], "churn-legacy")
    registry.set_version_status(model["id"], old["id"], "staging")
    registry.set_version_status(model["id"], old["id"], "production")
    registry.set_version_status(model["id"], old["id"], "archived")
    poll()

    flags = flags_of(alice.get(URL + "?format=json").json(), model["id"])
    assert [(f["code"], f["message"]) for f in flags] == [
        ("serving_archived", "Deployment churn-legacy is active serving version 0.9, which is archived.")
    ]
    assert [link["url"] for link in flags[0]["links"]] == [
        reverse("deployment_detail", args=[old_dep["id"]]),
        reverse("version_detail", args=[model["id"], old["id"]]),
    ]


def test_it_flags_a_deployment_serving_a_draft_version(alice, registry, poll):
    model, _, _ = _healthy(registry, poll)
    draft = registry.version(model["id"], "2.0-rc")
    registry.deployment(model["id"], draft["id"], "churn-canary")
    poll()

    flags = flags_of(alice.get(URL + "?format=json").json(), model["id"])
    assert [f["message"] for f in flags] == ["Deployment churn-canary is active serving version 2.0-rc, which is draft."]
    assert "Deployment churn-canary is active serving version 2.0-rc, which is draft." in alice.get(URL).content.decode()


def test_it_flags_a_failed_deployment_behind_a_production_version(alice, registry, poll):
    model, live, dep = _healthy(registry, poll)
    second = registry.deployment(model["id"], live["id"], "churn-prod-eu")
    registry.set_deployment_status(second["id"], "failed")
    poll()

    flags = flags_of(alice.get(URL + "?format=json").json(), model["id"])
    assert [(f["code"], f["message"]) for f in flags] == [
        ("failed_behind_production", "Deployment churn-prod-eu of production version 1.0 has failed.")
    ]
    assert flags[0]["links"][0]["url"] == reverse("deployment_detail", args=[second["id"]])


def test_it_flags_more_production_versions_than_the_rule_allows(alice, registry, poll, settings):
    model, live, _ = _healthy(registry, poll)
    other = registry.version(model["id"], "1.1-b", status="staging")
    registry.set_version_status(model["id"], other["id"], "production")
    registry.deployment(model["id"], other["id"], "churn-b")
    poll()

    flags = flags_of(alice.get(URL + "?format=json").json(), model["id"])
    assert [(f["code"], f["message"]) for f in flags] == [
        (
            "too_many_production",
            "2 versions are in production (1.0, 1.1-b); the rule allows 1 (POND_INSIGHTS_MAX_PRODUCTION_VERSIONS).",
        )
    ]
    assert flags[0]["links"][0]["url"] == reverse("model_detail", args=[model["id"]])

    # A team that runs A/B in production says so per tag (or per model): no flag then.
    settings.POND_INSIGHTS_PRODUCTION_LIMITS = {"tag:demo": 2}
    assert flags_of(alice.get(URL + "?format=json").json(), model["id"]) == []
    settings.POND_INSIGHTS_PRODUCTION_LIMITS = {model["id"]: 1, "tag:demo": 5}
    [flag] = flags_of(alice.get(URL + "?format=json").json(), model["id"])
    assert flag["message"].endswith(f"the rule allows 1 (POND_INSIGHTS_PRODUCTION_LIMITS['{model['id']}']).")


def test_a_production_status_recorded_only_by_pond_counts_as_production(alice, registry, poll):
    model = registry.model("ranker")
    version = registry.version(model["id"], "3.0", status="staging")
    record_pond_promotion(model_id=model["id"], version_id=version["id"], label="3.0")
    poll()

    payload = alice.get(URL + "?format=json").json()
    row = next(r for r in payload["rows"] if r["model"]["id"] == model["id"])
    [prod] = row["production_versions"]
    assert (prod["version"], prod["status"], prod["source"], prod["upstream_status"]) == ("3.0", "production", "pond", "staging")
    assert [f["message"] for f in row["flags"]] == ["Production version 3.0 has no active deployment."]
    assert "recorded by Pond" in alice.get(URL).content.decode()


def test_the_problems_filter_shows_only_models_with_a_problem(alice, registry, poll):
    healthy, _, _ = _healthy(registry, poll)
    broken = registry.model("broken")
    registry.version(broken["id"], "1.0", status="production")
    poll()

    everything = alice.get(URL + "?format=json").json()
    assert {r["model"]["id"] for r in everything["rows"]} == {healthy["id"], broken["id"]}
    assert everything["rows"][0]["model"]["id"] == broken["id"]  # problems first
    only = alice.get(URL + "?problems=1&format=json").json()
    assert [r["model"]["id"] for r in only["rows"]] == [broken["id"]]
    assert only["only_problems"] is True
    html = alice.get(URL + "?problems=1").content.decode()
    assert f'id="model-{broken["id"]}"' in html
    assert f'id="model-{healthy["id"]}"' not in html


def test_the_problems_filter_says_so_when_nothing_is_wrong(alice, registry, poll):
    _healthy(registry, poll)
    html = alice.get(URL + "?problems=1").content.decode()
    assert "No model needs attention" in html


def test_a_bad_query_string_is_refused_naming_the_field(alice, registry):
    for query, field in (("problems=maybe", "problems"), ("page=two", "page"), ("page=0", "page"), ("format=xml", "format")):
        page = alice.get(f"{URL}?{query}")
        assert page.status_code == 400, query
        assert f"<strong>{field}</strong>" in page.content.decode()
    refused = alice.get(URL + "?format=json&problems=maybe")
    assert refused.status_code == 400
    assert refused.json() == {"errors": {"problems": ["“maybe” is not a yes/no value; use 1 or 0."]}}


def test_the_insights_need_a_login(client, registry):
    for url in ("/insights/production/", "/insights/hygiene/", "/insights/resources/"):
        page = client.get(url)
        assert page.status_code == 302
        assert page["Location"].startswith("/accounts/login/")


def test_the_rows_come_in_pages_of_fifty(alice, upstream_url):
    from tests.support.registry_seed import seed_models

    seed_models(55, versions_per_model=0, prefix="paged")
    first = alice.get(URL + "?format=json").json()
    assert (first["total_models"], first["num_pages"], len(first["rows"])) == (55, 2, 50)
    last = alice.get(URL + "?format=json&page=99").json()  # past the end: the last page
    assert (last["page"], len(last["rows"])) == (2, 5)
    html = alice.get(URL + "?page=2").content.decode()
    assert "Page 2 of 2" in html and 'href="?page=1"' in html
