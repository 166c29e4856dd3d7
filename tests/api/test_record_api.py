"""The ledger and activity record, production versions, deployment statuses and
incidents, read through the API."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from webui.status.models import Incident


def _promote(api, churn) -> int:
    review = api("eve").post(
        "/api/v1/reviews",
        {"model_id": churn["id"], "version_id": churn["v2"]["id"], "to_status": "production", "note": "holdout +3%"},
        format="json",
    ).json()
    decided = api("rita").post(f"/api/v1/reviews/{review['id']}/decision", {"decision": "approve"}, format="json")
    assert decided.status_code == 200, decided.content
    return review["id"]


def test_the_record_is_filtered_and_paged(api, churn):
    review_id = _promote(api, churn)
    vic = api("vic")
    everything = vic.get("/api/v1/events", {"model": "CHURN"}).json()
    assert everything["count"] == 4
    events = everything["results"]
    assert [e["event"] for e in events][-2:] == ["approved", "requested"]  # newest first
    assert all(e["model_id"] == churn["id"] for e in events)
    assert {e["request_id"] for e in events} == {review_id}
    by_rita = vic.get("/api/v1/events", {"person": "RIT"}).json()
    assert by_rita["count"] >= 3 and {e["who"] for e in by_rita["results"]} == {"rita"}  # her approval and its steps
    page = vic.get("/api/v1/events", {"model": "churn", "limit": 1, "offset": 1}).json()
    assert len(page["results"]) == 1 and page["next"] and page["previous"]
    assert vic.get("/api/v1/events", {"model": "nothing-like-it"}).json()["count"] == 0
    assert vic.get("/api/v1/events", {"model": "churn", "date_from": "2030-01-02", "date_to": "2030-01-01"}).json()["count"] == 0
    assert vic.get("/api/v1/events", {"model": "\x00churn"}).json()["count"] == 0  # never a 500
    assert vic.get("/api/v1/events", {"model": ""}).status_code == 400


def test_bad_record_filters_are_a_400_naming_the_field(api):
    vic = api("vic")
    for params, field in [
        ({"date_from": "yesterday"}, "date_from"),
        ({"event": "exploded"}, "event"),
        ({"record": "diary"}, "record"),
        ({"limit": 0}, "limit"),
    ]:
        resp = vic.get("/api/v1/events", params)
        assert resp.status_code == 400, params
        assert field in resp.json()["error"]["fields"], (params, resp.json())


def test_the_production_version_now_and_on_a_day(api, churn):
    vic = api("vic")
    before = vic.get(f"/api/v1/models/{churn['id']}/production").json()
    # v1 was production before Pond's record begins: nothing is known of it yet.
    assert before["model_id"] == churn["id"] and before["versions"] == []
    _promote(api, churn)
    now = vic.get(f"/api/v1/models/{churn['id']}/production").json()
    assert [v["version_label"] for v in now["versions"]] == ["v2"]
    today = timezone.now().date().isoformat()
    assert [v["version_label"] for v in vic.get(f"/api/v1/models/{churn['id']}/production", {"on": today}).json()["versions"]] == ["v2"]
    # Yesterday neither version existed yet.
    yesterday = (timezone.now() - timedelta(days=1)).date().isoformat()
    assert vic.get(f"/api/v1/models/{churn['id']}/production", {"on": yesterday}).json()["versions"] == []
    assert vic.get(f"/api/v1/models/{churn['id']}/production", {"on": "someday"}).status_code == 400


def test_deployment_statuses_and_incidents(api, db):
    now = timezone.now()
    Incident.objects.create(
        deployment_id="dep/1?x", deployment_name="<b>churn-api</b>", status="failed",
        started_at=now - timedelta(hours=2), ended_at=now - timedelta(hours=1), recovered_to="active",
        opened_by_sequence=1,
    )  # fmt: skip
    Incident.objects.create(deployment_id="dep-2", status="failed", started_at=now, opened_by_sequence=1)
    vic = api("vic")
    listing = vic.get("/api/v1/incidents").json()
    assert [i["deployment_id"] for i in listing["results"]] == ["dep-2", "dep/1?x"]
    assert listing["results"][1]["deployment_name"] == "<b>churn-api</b>"  # JSON, not HTML: kept as it is
    ongoing = vic.get("/api/v1/incidents", {"ongoing": "true"}).json()
    assert [i["deployment_id"] for i in ongoing["results"]] == ["dep-2"] and ongoing["results"][0]["ongoing"] is True
    assert vic.get("/api/v1/incidents", {"ongoing": "perhaps"}).status_code == 400
    statuses = vic.get("/api/v1/deployments")
    assert statuses.status_code == 200
    assert set(statuses.json()) == {"checked_at", "stale", "deployments"}
