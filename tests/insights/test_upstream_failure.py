"""JFrog ML failing: the insights say what they do not know instead of guessing or failing."""

from __future__ import annotations

from tests.support.faultserver import FaultServer, json_response, status

URL = "/insights/production/"


def test_with_nothing_cached_and_jfrog_ml_down_the_page_says_so(alice, dead_port, settings):
    settings.JFROG_ML_URL = f"http://127.0.0.1:{dead_port}/ml/api"
    for url in (URL, "/insights/hygiene/", "/insights/resources/"):
        page = alice.get(url)
        assert page.status_code == 503, url
        assert "JFrog ML is not answering" in page.content.decode()
        refused = alice.get(url + "?format=json")
        assert refused.status_code == 503
        assert refused.json()["error"].startswith("JFrog ML is not answering")


def test_without_deployment_status_it_flags_nothing_it_cannot_know(alice, settings):
    model = {"id": "mdl_1", "name": "churn", "tags": ["demo"], "versions_count": 1}
    version = {"id": "ver_1", "model_id": "mdl_1", "version": "1.0", "status": "production"}
    with FaultServer() as server:
        server.on("GET", "/v1/models", json_response({"models": [model], "total_count": 1}))
        server.on("GET", "/v1/models/mdl_1/versions", json_response({"versions": [version]}))
        server.on("GET", "/v1/deployments", status(503))
        settings.JFROG_ML_URL = server.url

        page = alice.get(URL)
        assert page.status_code == 200
        html = page.content.decode()
        assert "Deployment status is unknown" in html
        assert 'data-flag="' not in html  # "not deployed" would be a guess
        payload = alice.get(URL + "?format=json").json()
        assert payload["deployments_known"] is False
        assert payload["rows"][0]["flags"] == []
        assert [p["version"] for p in payload["rows"][0]["production_versions"]] == ["1.0"]


def test_an_upstream_with_odd_data_is_shown_and_flagged_never_run(alice, settings):
    """Another JFrog ML may list a deployment of a version it no longer has, statuses
    Pond does not know, and names with markup."""
    model = {"id": "mdl_1", "name": "<script>alert(1)</script>", "tags": ["demo"], "versions_count": 1}
    version = {"id": "ver_1", "model_id": "mdl_1", "version": "1.0", "status": "production"}
    deployments = [
        {"id": "dep_1", "name": "ghost", "model_id": "mdl_1", "model_version_id": "ver_gone", "status": "active"},
        {"id": "dep_2", "name": "live", "model_id": "mdl_1", "model_version_id": "ver_1", "status": "active"},
        {"id": "dep_3", "name": "odd", "model_id": "mdl_1", "model_version_id": "ver_1", "status": "hibernating"},
    ]
    with FaultServer() as server:
        server.on("GET", "/v1/models", json_response({"models": [model], "total_count": 1}))
        server.on("GET", "/v1/models/mdl_1/versions", json_response({"versions": [version]}))
        server.on("GET", "/v1/deployments", json_response({"deployments": deployments}))
        server.on("GET", "/v1/experiments", json_response({"experiments": []}))
        settings.JFROG_ML_URL = server.url

        payload = alice.get(URL + "?format=json").json()
        assert [(f["code"], f["message"]) for f in payload["rows"][0]["flags"]] == [
            (
                "serving_unknown_version",
                "Deployment ghost serves version ver_gone, which this model does not have (deleted?).",
            )
        ]
        html = alice.get(URL).content.decode()
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "hibernating" in html
        for url in ("/insights/hygiene/", "/insights/resources/"):
            assert alice.get(url).status_code == 200, url
