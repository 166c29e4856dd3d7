"""An engineer's day in a real browser: log in, create, compare, deploy, watch, delete."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot
from tests.support.registry_http import RegistryHttp

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def nav(page, name: str):
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


def _create_version(page, model_url: str, version: str, metrics: str, parameters: str) -> None:
    page.goto(model_url)
    page.get_by_role("link", name="New version").click()
    page.get_by_label("Version").fill(version)
    page.get_by_label("Metrics").fill(metrics)
    page.get_by_label("Parameters").fill(parameters)
    page.get_by_role("button", name="Create version").click()
    expect(page.get_by_role("status")).to_contain_text(f"Version “{version}” created as draft.")


def test_an_engineer_creates_compares_deploys_and_deletes(page, engineer, settings):
    # The review below happens in the registry, not through Pond: Pond must see it
    # when the versions are next read (a decision through Pond would renew them).
    settings.JFROG_ML_TTL_VERSIONS = 0.0
    log_in(page)
    expect(page.get_by_test_id("nav-role")).to_have_text("engineer")
    screenshot(page, "login-overview-empty")

    # Create a model.
    nav(page, "Models").click()
    page.get_by_role("link", name="New model").click()
    page.get_by_label("Name").fill("churn-predictor")
    page.get_by_label("Framework").fill("xgboost")
    page.get_by_label("Task type").fill("classification")
    page.get_by_label("Tags").fill("churn, retail")
    page.get_by_role("button", name="Create model").click()
    expect(page.get_by_role("status")).to_contain_text("Model “churn-predictor” created.")
    model_url = page.url
    assert re.search(r"/models/[^/]+/$", model_url)

    # A bad metric line is reported by its number; nothing is created.
    page.get_by_role("link", name="New version").click()
    page.get_by_label("Version").fill("0.1")
    page.get_by_label("Metrics").fill("accuracy=high")
    page.get_by_role("button", name="Create version").click()
    expect(page.get_by_text("Line 1: “high” is not a number (key “accuracy”).")).to_be_visible()

    # Two versions, then browse to one.
    _create_version(page, model_url, "1.0.0", "accuracy=0.81\nloss=0.42", "lr=0.01\ndepth=6")
    _create_version(page, model_url, "1.1.0", "accuracy=0.87\nloss=0.35", "lr=0.01\ndepth=8")
    expect(page.get_by_role("heading", name=re.compile("Version 1.1.0"))).to_be_visible()
    expect(page.locator(".badge-draft").first).to_be_visible()
    screenshot(page, "version")

    # Compare the two from the versions table.
    page.goto(model_url)
    page.get_by_label("Select version 1.0.0 to compare").check()
    page.get_by_label("Select version 1.1.0 to compare").check()
    screenshot(page, "model")
    page.get_by_test_id("compare-selected").click()
    expect(page.get_by_role("heading", name="Compare versions")).to_be_visible()
    best = page.locator("td.best")
    expect(best).to_have_count(2)
    expect(best.nth(0)).to_contain_text("0.87")
    expect(best.nth(1)).to_contain_text("0.35")
    screenshot(page, "compare")
    page.get_by_test_id("diff-toggle").click()
    expect(page.get_by_test_id("compare-params")).not_to_contain_text("lr")
    expect(page.get_by_test_id("compare-params")).to_contain_text("depth")

    # A draft is not deployed: the form says why and where to go instead.
    page.goto(model_url)
    page.get_by_test_id("versions-table").get_by_role("link", name="1.1.0").click()
    version_url = page.url
    page.get_by_role("link", name="Deploy this version").click()
    page.get_by_label("Name").fill("churn-live")
    page.get_by_role("button", name="Deploy").click()
    expect(page.get_by_text("Version 1.1.0 is draft: only staging or production versions are deployed.")).to_be_visible()
    expect(page.get_by_role("link", name="Request the promotion of 1.1.0")).to_be_visible()

    # Once a review has moved it to staging (here through the registry, as an approval
    # would), deploy 1.1.0 and watch it turn active without reloading.
    model_id, version_id = re.search(r"/models/([^/]+)/versions/([^/]+)/$", version_url).groups()
    registry = RegistryHttp(page.base + "/ml/api")
    registry.set_version_status(unquote(model_id), unquote(version_id), "staging")
    registry.close()
    page.goto(version_url)
    page.get_by_role("link", name="Deploy this version").click()
    page.get_by_label("Name").fill("churn-live")
    expect(page.get_by_label("Version")).to_have_value(re.compile(".+"))
    page.get_by_label("Replicas").fill("2")
    page.get_by_label("CPU").fill("500m")
    page.get_by_label("Memory").fill("1Gi")
    page.get_by_role("button", name="Deploy").click()
    expect(page.get_by_role("heading", name="churn-live")).to_be_visible()
    badge = page.locator("[data-deployment-status]").first
    expect(badge).to_have_text("deploying")
    page.evaluate("window.__sameDocument = true")
    expect(badge).to_have_text("active", timeout=15_000)
    expect(badge).to_have_class(re.compile("badge-active"))
    assert page.evaluate("window.__sameDocument") is True  # no reload happened
    expect(page.get_by_test_id("resources")).to_contain_text("500m")
    screenshot(page, "deployment")

    nav(page, "Deployments").click()
    screenshot(page, "deployments")
    nav(page, "Overview").click()
    screenshot(page, "overview")

    # Delete the deployment, with confirmation.
    nav(page, "Deployments").click()
    page.get_by_role("link", name="churn-live", exact=True).click()
    page.get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", name=re.compile("Delete deployment"))).to_be_visible()
    page.get_by_test_id("confirm-delete").click()  # refused: it is serving
    expect(page.get_by_text("1 deployment is live: choose to stop it as part of this")).to_be_visible()
    page.get_by_label(re.compile("Stop it: it is (active|deploying)")).check()
    page.get_by_test_id("confirm-delete").click()
    expect(page.get_by_role("status")).to_contain_text("Deployment deleted.")
    expect(page.get_by_text("No deployments")).to_be_visible()

    assert page.problems == []


def test_the_theme_toggle_is_remembered(page, engineer):
    log_in(page)
    html = page.locator("html")
    toggle = page.locator("#theme-toggle")
    expect(toggle).to_be_visible()
    before = page.evaluate("getComputedStyle(document.body).backgroundColor")
    toggle.click()
    chosen = html.get_attribute("data-theme")
    assert chosen in {"light", "dark"}
    after = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert before != after
    page.reload()
    expect(html).to_have_attribute("data-theme", chosen)
    if chosen == "dark":
        screenshot(page, "overview-dark")
    # The status page (a layout of its own) keeps the same choice.
    page.goto(page.base + "/status/")
    expect(html).to_have_attribute("data-theme", chosen)
    assert page.problems == []


def test_a_catalog_pages_and_filters_in_the_browser(page, engineer):
    from tests.support.registry_seed import seed_models

    seed_models(30, versions_per_model=3, prefix="demo")
    log_in(page)
    page.goto(page.base + "/models/")
    expect(page.get_by_text("Page 1 of 2")).to_be_visible()
    screenshot(page, "models")
    page.get_by_label("Framework").select_option("xgboost")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"framework=xgboost"))
    expect(page.get_by_test_id("models-table").locator("tbody tr")).to_have_count(7)
    assert page.get_by_role("link", name="Next").count() == 0
    assert page.problems == []


def test_a_phone_sized_screen_still_shows_the_navigation(browser, page, engineer):
    from tests.support.registry_seed import seed_models

    seed_models(8, versions_per_model=2, prefix="phone")
    log_in(page)
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(page.base + "/models/")
    expect(nav(page, "Deployments")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, width  # nothing forces sideways scrolling of the page
    screenshot(page, "models-phone")


def test_the_login_page_refuses_a_wrong_password(page, engineer):
    page.goto(page.base + "/models/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/models/"))
    screenshot(page, "login")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".errorlist")).to_be_visible()
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(page.base + "/models/")
