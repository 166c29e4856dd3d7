from __future__ import annotations


def test_healthz_answers_when_the_process_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_the_database(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


def test_health_endpoints_refuse_writes(client):
    assert client.post("/healthz").status_code == 405
