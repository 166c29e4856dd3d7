"""Who may read /metrics: nobody while it is off, then only with the token and/or
from the allowed addresses; a signed-in session grants nothing."""

from __future__ import annotations

import ipaddress

import pytest
import requests

from tests.metrics.conftest import TOKEN, log_in_over_http, scrape

pytestmark = pytest.mark.django_db(transaction=True)


def test_metrics_are_off_by_default_and_answer_404(live_server, settings):
    settings.POND_METRICS_TOKEN = ""
    settings.POND_METRICS_ALLOW = []
    resp = requests.get(live_server.url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert resp.status_code == 404
    assert "pond_" not in resp.text


def test_without_the_token_it_answers_401_and_asks_for_a_bearer_token(live_server):
    resp = requests.get(live_server.url + "/metrics", timeout=10)
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert "pond_" not in resp.text


def test_a_wrong_token_is_refused_with_403(live_server):
    for header in (f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", "Bearer ", f"Bearer é{TOKEN}"):
        resp = requests.get(live_server.url + "/metrics", headers={"Authorization": header.encode()}, timeout=10)
        assert resp.status_code in (401, 403), (header, resp.status_code)
        assert "pond_" not in resp.text
    resp = requests.get(live_server.url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}x"}, timeout=10)
    assert resp.status_code == 403


def test_the_right_token_gets_the_prometheus_text_format(live_server):
    got = scrape(live_server.url)
    assert "# TYPE pond_http_requests_total counter" in got.text
    assert got.value("pond_upstream_breaker_state", state="closed") == 1


def test_a_signed_in_admin_without_the_token_gets_nothing(live_server, viewer):
    session = log_in_over_http(live_server.url, "dave")
    resp = session.get(live_server.url + "/metrics", timeout=10)
    assert resp.status_code == 401
    assert "pond_" not in resp.text


def test_only_allowed_addresses_may_scrape(live_server, settings):
    settings.POND_METRICS_TOKEN = ""
    settings.POND_METRICS_ALLOW = [ipaddress.ip_network("10.0.0.0/8")]
    resp = requests.get(live_server.url + "/metrics", timeout=10)
    assert resp.status_code == 403
    assert "pond_" not in resp.text

    settings.POND_METRICS_ALLOW = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("127.0.0.1/32")]
    resp = requests.get(live_server.url + "/metrics", timeout=10)
    assert resp.status_code == 200 and "pond_http_requests_total" in resp.text


def test_with_token_and_addresses_both_are_required(live_server, settings):
    settings.POND_METRICS_ALLOW = [ipaddress.ip_network("10.0.0.0/8")]
    resp = requests.get(live_server.url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert resp.status_code == 403
    settings.POND_METRICS_ALLOW = [ipaddress.ip_network("127.0.0.0/8")]
    assert requests.get(live_server.url + "/metrics", timeout=10).status_code == 401
    scrape(live_server.url)


def test_a_forwarded_address_counts_only_from_a_trusted_proxy(live_server, settings):
    settings.POND_METRICS_TOKEN = ""
    settings.POND_METRICS_ALLOW = [ipaddress.ip_network("10.1.2.3/32")]
    spoofed = {"X-Forwarded-For": "10.1.2.3"}
    assert requests.get(live_server.url + "/metrics", headers=spoofed, timeout=10).status_code == 403
    settings.POND_TRUSTED_PROXIES = [ipaddress.ip_network("127.0.0.1/32")]
    assert requests.get(live_server.url + "/metrics", headers=spoofed, timeout=10).status_code == 200
