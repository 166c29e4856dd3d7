"""Promotion requests and decisions through the API: the same rights and rules as the
pages, every refusal a clear 4xx naming the field, nothing changed by a refusal."""

from __future__ import annotations

import threading
import time

import requests

from webui.reviews.models import LedgerEntry, ReviewRequest


def _ask(client, churn, version="v2", **extra):
    body = {
        "model_id": churn["id"], "version_id": churn[version]["id"], "to_status": "production",
        "note": "Better AUC on the holdout.", **extra,
    }  # fmt: skip
    return client.post("/api/v1/reviews", body, format="json")


def test_an_engineer_asks_and_a_reviewer_approves_through_the_api(api, churn, registry):
    asked = _ask(api("eve"), churn)
    assert asked.status_code == 201, asked.content
    review = asked.json()
    assert (review["state"], review["decided"], review["requested_by_name"]) == ("pending", False, "eve")
    assert review["url"].endswith(f"/reviews/{review['id']}/")
    decided = api("rita").post(f"/api/v1/reviews/{review['id']}/decision", {"decision": "approve", "comment": "ok"}, format="json")
    assert decided.status_code == 200, decided.content
    body = decided.json()
    assert body["ok"] is True and body["review"]["state"] == "approved" and body["review"]["decided"] is True
    assert registry.status_of(churn["id"], churn["v2"]["id"]) == "production"
    assert registry.status_of(churn["id"], churn["v1"]["id"]) == "archived"
    kinds = list(LedgerEntry.objects.order_by("id").values_list("kind", "actor"))
    assert kinds[:2] == [("request", "eve"), ("approve", "rita")]
    listed = api("vic").get("/api/v1/reviews", {"state": "approved"}).json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == review["id"]


def test_the_two_person_rule_holds_through_the_api(api, churn, registry):
    review = _ask(api("rita"), churn).json()
    refused = api("rita").post(f"/api/v1/reviews/{review['id']}/decision", {"decision": "approve"}, format="json")
    assert refused.status_code == 403
    assert "error" in refused.json()
    assert ReviewRequest.objects.get().state == "pending"
    assert registry.status_of(churn["id"], churn["v2"]["id"]) == "staging"


def test_a_token_carries_its_owners_rights_and_no_more(api, churn, registry):
    assert _ask(api("vic"), churn).status_code == 403  # a viewer may not ask
    review = _ask(api("eve"), churn).json()
    engineer = api("eve").post(f"/api/v1/reviews/{review['id']}/decision", {"decision": "approve"}, format="json")
    assert engineer.status_code == 403  # an engineer may not decide
    other = api("vic").post(f"/api/v1/reviews/{review['id']}/withdrawal", {}, format="json")
    assert other.status_code == 403  # only the requester (or an admin) withdraws
    assert ReviewRequest.objects.get().state == "pending"
    withdrawn = api("eve").post(f"/api/v1/reviews/{review['id']}/withdrawal", {}, format="json")
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "cancelled"


def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(api, churn):
    eve = api("eve")
    missing = eve.post("/api/v1/reviews", {"model_id": churn["id"], "version_id": churn["v2"]["id"]}, format="json")
    assert missing.status_code == 400 and set(missing.json()["error"]["fields"]) == {"to_status", "note"}
    bad = _ask(eve, churn, to_status="glory")
    assert bad.status_code == 400 and "to_status" in bad.json()["error"]["fields"]
    wrong_move = _ask(eve, churn, version="v1", to_status="production")  # already production
    assert wrong_move.status_code == 400 and "to_status" in wrong_move.json()["error"]["fields"]
    nothing = eve.post("/api/v1/reviews", {"model_id": "no/such?model#", "version_id": "x", "to_status": "staging", "note": "n"}, format="json")
    assert nothing.status_code == 404
    assert eve.get("/api/v1/reviews/999999").status_code == 404
    assert eve.get("/api/v1/reviews", {"limit": "many"}).status_code == 400
    assert ReviewRequest.objects.count() == 0 and LedgerEntry.objects.count() == 0
    twice = _ask(eve, churn), _ask(eve, churn)
    assert [r.status_code for r in twice] == [201, 409]


def test_a_browser_session_works_but_writes_need_its_csrf_token(client_for, churn):
    eve = client_for("eve")
    assert eve.get("/api/v1/reviews").status_code == 200
    resp = eve.post(
        "/api/v1/reviews", {"model_id": churn["id"], "version_id": churn["v2"]["id"], "to_status": "production", "note": "n"},
        content_type="application/json",
    )
    assert resp.status_code == 403 and ReviewRequest.objects.count() == 0


def test_a_pipeline_waits_for_the_decision_and_is_answered_as_soon_as_it_is_made(live_server, token_for, churn, settings):
    settings.POND_API_WAIT_POLL = 0.1
    eve = {"Authorization": f"Bearer {token_for('eve')}"}
    rita = {"Authorization": f"Bearer {token_for('rita')}"}
    base = f"{live_server.url}/api/v1"
    body = {"model_id": churn["id"], "version_id": churn["v2"]["id"], "to_status": "production", "note": "ship it"}
    review = requests.post(f"{base}/reviews", json=body, headers=eve, timeout=30).json()

    def decide_soon() -> None:
        time.sleep(1.0)
        requests.post(f"{base}/reviews/{review['id']}/decision", json={"decision": "reject", "comment": "not yet"}, headers=rita, timeout=30)

    deciding = threading.Thread(target=decide_soon)
    started = time.monotonic()
    deciding.start()
    waited = requests.get(f"{base}/reviews/{review['id']}", params={"wait": 20}, headers=eve, timeout=30)
    elapsed = time.monotonic() - started
    deciding.join()
    assert waited.status_code == 200
    assert waited.json()["state"] == "rejected" and waited.json()["decided"] is True
    assert 0.9 < elapsed < 10, elapsed  # held until the decision, not for the whole 20 s
    # Undecided: answered after the wait, still pending; a longer wait is cut to the limit.
    settings.POND_API_WAIT_MAX = 1
    again = requests.post(f"{base}/reviews", json=body, headers=eve, timeout=30).json()
    started = time.monotonic()
    pending = requests.get(f"{base}/reviews/{again['id']}", params={"wait": 0.5}, headers=eve, timeout=30)
    assert pending.json()["state"] == "pending" and 0.4 < time.monotonic() - started < 5
    started = time.monotonic()
    cut = requests.get(f"{base}/reviews/{again['id']}", params={"wait": 600}, headers=eve, timeout=30)
    assert cut.status_code == 200 and cut.json()["decided"] is False and 0.9 < time.monotonic() - started < 5
    bad = requests.get(f"{base}/reviews/{again['id']}", params={"wait": "soon"}, headers=eve, timeout=30)
    assert bad.status_code == 400 and "wait" in bad.json()["error"]["fields"]
