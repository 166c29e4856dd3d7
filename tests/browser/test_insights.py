"""Insights in a real browser: from the overview's "needs attention" to the production-truth
row, and from its flag to the deployment that needs fixing."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot
from tests.insights.conftest import Registry

pytestmark = [pytest.mark.browser]



def _failed_behind_production(upstream_url: str) -> tuple[dict, dict]:
    from webui.status.poller import poll

    registry = Registry(upstream_url)
    model = registry.model("churn-predictor")
    version = registry.version(model["id"], "1.0", status="production")
    deployment = registry.deployment(model["id"], version["id"], "churn-eu")
    registry.set_deployment_status(deployment["id"], "failed")
    healthy = registry.model("search")
    live = registry.version(healthy["id"], "2.0", status="production")
    registry.deployment(healthy["id"], live["id"], "search-prod", replicas=1)
    registry.set_deployment_status(registry.deployment(healthy["id"], live["id"], "search-b")["id"], "active")
    registry.session.close()
    assert poll(force=True).polled
    return model, deployment


def _row_to_deployment(page, model: dict, deployment: dict) -> None:
    row = page.locator(f"#model-{model['id']}")
    expect(row).to_contain_text("Deployment churn-eu of production version 1.0 has failed.")
    expect(page.get_by_test_id("production-row")).to_have_count(1)  # only the model with a problem
    screenshot(page, "insights-production-truth")
    row.locator("[data-flag=failed_behind_production]").get_by_role("link", name="deployment churn-eu").click()
    page.wait_for_url(re.compile(rf"/deployments/{deployment['id']}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("churn-eu")
    assert page.problems == []


def test_the_overview_says_what_needs_attention_and_leads_to_the_deployment(page, engineer, upstream_url):
    model, deployment = _failed_behind_production(upstream_url)
    log_in(page)
    link = page.get_by_test_id("attention-link")
    expect(link).to_have_text("1 model needs attention")
    link.click()
    page.wait_for_url(re.compile(r"/insights/production/\?problems=1$"))
    _row_to_deployment(page, model, deployment)


def test_the_production_truth_row_leads_to_the_deployment_to_fix(page, engineer, upstream_url):
    model, deployment = _failed_behind_production(upstream_url)
    log_in(page)
    page.goto(page.base + "/insights/production/")
    page.get_by_role("link", name="Only models with a problem").click()
    page.wait_for_url(re.compile(r"/insights/production/\?problems=1$"))
    expect(page.get_by_test_id("production-summary")).to_contain_text("1 model needs attention, out of 2.")
    _row_to_deployment(page, model, deployment)


def test_the_hygiene_and_resources_pages_render_under_the_strict_csp(page, engineer, upstream_url):
    _failed_behind_production(upstream_url)
    log_in(page)
    page.goto(page.base + "/insights/hygiene/")
    expect(page.get_by_role("heading", name="Hygiene", exact=True)).to_be_visible()
    expect(page.get_by_test_id("hygiene-stuck_deployments")).to_contain_text("Deployments failed or deploying too long")
    screenshot(page, "insights-hygiene")
    page.get_by_role("navigation", name="Insights").get_by_role("link", name="Resources").click()
    expect(page.get_by_role("heading", name="Resources", exact=True)).to_be_visible()
    expect(page.get_by_test_id("unknown-resources").first).to_have_text("unknown — not created through Pond")
    screenshot(page, "insights-resources")
    assert page.problems == []
