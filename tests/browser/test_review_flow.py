"""A promotion in a real browser: an engineer requests production, a reviewer compares
it with production and approves; the model shows the new production version, the old
one archived, and the ledger both steps."""

from __future__ import annotations

import re

import pytest
import requests
from django.conf import settings
from django.contrib.auth.models import Group, User
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, log_in, screenshot
from webui.core.roles import ensure_roles

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def people(transactional_db) -> dict[str, User]:
    ensure_roles()
    made = {}
    for name, role in (("eve", "engineer"), ("rita", "reviewer")):
        made[name] = User.objects.create_user(name, f"{name}@example.com", PASSWORD)
        made[name].groups.add(Group.objects.get(name=role))
    return made


@pytest.fixture
def churn(upstream_url) -> dict[str, str]:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {settings.REGISTRY_SERVICE_TOKEN}"

    def post(path: str, body: dict) -> dict:
        resp = session.post(upstream_url + path, json=body, timeout=10)
        assert resp.status_code == 201, resp.text
        return resp.json()

    model = post("/v1/models", {"name": "churn", "framework": "sklearn", "tags": ["fraud"]})
    ids = {"model": model["id"]}
    for label, status, metrics, params in (
        ("1.0", "production", {"accuracy": 0.90, "latency_ms": 20.0}, {"lr": "0.01", "depth": "6"}),
        ("1.1", "staging", {"accuracy": 0.94, "latency_ms": 25.0}, {"lr": "0.01", "depth": "8"}),
    ):
        version = post(f"/v1/models/{model['id']}/versions", {"version": label, "metrics": metrics, "parameters": params})
        resp = session.patch(
            f"{upstream_url}/v1/models/{model['id']}/versions/{version['id']}", json={"status": status}, timeout=10
        )
        assert resp.status_code == 200, resp.text
        ids[label] = version["id"]
    session.close()
    return ids


def test_an_engineer_requests_production_and_a_reviewer_approves_it(browser, page, people, churn, live_server):
    model_id = churn["model"]

    # The engineer asks for 1.1 to go to production, archiving 1.0.
    log_in(page, "eve")
    page.goto(f"{page.base}/reviews/new/{model_id}/{churn['1.1']}/")
    page.get_by_label("Move to", exact=True).select_option("production")
    page.get_by_label("Note for the reviewer").fill("Accuracy up 4 points on the holdout set.")
    expect(page.get_by_label(re.compile("Archive the current production"))).to_be_checked()
    page.get_by_test_id("submit-request").click()
    expect(page.get_by_role("status").first).to_contain_text("Promotion of 1.1 to production requested.")
    expect(page.get_by_test_id("review-state")).to_have_text("pending")
    page.get_by_role("button", name="Log out").click()

    # The reviewer finds it in the queue and compares it with production.
    log_in(page, "rita")
    page.goto(page.base + "/reviews/")
    row = page.get_by_test_id("queue-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Accuracy up 4 points")
    row.get_by_role("link", name="Review").click()
    comparison = page.get_by_test_id("metric-comparison")
    expect(comparison).to_contain_text("Production 1.0")
    expect(page.locator('[data-metric="accuracy"] [data-verdict="better"]')).to_contain_text("+0.04")
    # Latency went up: a regression, shown in red.
    worse = page.locator('[data-metric="latency_ms"] [data-verdict="worse"]')
    expect(worse).to_have_class(re.compile("delta-worse"))
    color = worse.evaluate("el => getComputedStyle(el).color")
    assert color != page.locator('[data-metric="accuracy"] [data-verdict="better"]').evaluate(
        "el => getComputedStyle(el).color"
    )
    params = page.get_by_test_id("param-differences")
    expect(params).to_contain_text("depth")
    expect(params).not_to_contain_text("lr")
    screenshot(page, "review")

    page.get_by_label("Comment").fill("Latency cost is acceptable.")
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("review-state")).to_have_text("approved")
    expect(page.get_by_test_id("outcome")).to_contain_text("1.0 → archived")
    history = page.get_by_test_id("promotion-history")
    expect(history.get_by_test_id("history-row")).to_have_count(3)  # request, approve, apply

    # The model page shows the new production version and the old one archived.
    page.goto(f"{page.base}/models/{model_id}/")
    versions = page.get_by_test_id("versions-table")
    expect(versions.locator("tr", has_text="1.1").locator(".badge")).to_have_text("production")
    expect(versions.locator("tr", has_text="1.0").locator(".badge")).to_have_text("archived")
    screenshot(page, "model-after-promotion")

    # The model page answers "what was in production on a given date": today, 1.1.
    today = page.evaluate("new Date().toISOString().slice(0, 10)")
    page.get_by_test_id("production-on-form").locator('input[name="date"]').fill(today)
    page.get_by_test_id("production-on-form").get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("production-on-row")).to_have_count(1)
    expect(page.get_by_test_id("production-on-row")).to_contain_text("1.1")

    # The old version's own page shows its archive step in its history.
    page.goto(f"{page.base}/models/{model_id}/versions/{churn['1.0']}/")
    old_history = page.get_by_test_id("promotion-history").get_by_test_id("history-row")
    expect(old_history).to_have_count(1)
    expect(old_history).to_contain_text("archived")

    # Both steps are on the record.
    page.goto(f"{page.base}/audit/?model={model_id}&kind=apply")
    rows = page.get_by_test_id("audit-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("1.1")
    expect(rows.nth(1)).to_contain_text("1.0")
    assert page.problems == []
