"""Governance in a real browser: an engineer creates a model and a version and asks for
it to go to production; a reviewer approves each step; the audit page shows every event
by the person who made it; and the engineer cannot delete the production version."""

from __future__ import annotations

import re

import pytest
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


def _switch(page, name: str) -> None:
    page.get_by_role("button", name="Log out").click()
    log_in(page, name)


def _request(page, version_url: str, target: str, note: str) -> None:
    page.goto(version_url)
    page.get_by_test_id("request-promotion").click()
    # The form proposes the step up, and its rules panel follows the choice.
    expect(page.get_by_label("Move to", exact=True)).to_have_value(target)
    expect(page.locator(f'[data-rules-for="{target}"]')).to_be_visible()
    page.get_by_label("Note for the reviewer").fill(note)
    page.get_by_test_id("submit-request").click()
    expect(page.get_by_test_id("review-state")).to_have_text("pending")


def _approve(page) -> None:
    page.goto(page.base + "/reviews/")
    page.get_by_test_id("queue-row").first.get_by_role("link", name="Review").click()
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("review-state")).to_have_text("approved")


def test_an_engineers_model_reaches_production_only_through_review_and_is_on_the_record(page, people):
    log_in(page, "eve")
    page.goto(page.base + "/models/new/")
    page.get_by_label("Name").fill("energy-forecast")
    page.get_by_label("Framework").fill("lightgbm")
    page.get_by_role("button", name="Create model").click()
    expect(page.get_by_role("status")).to_contain_text("Model “energy-forecast” created.")
    expect(page.get_by_test_id("created-by")).to_have_text("eve")
    page.get_by_role("link", name="New version").click()
    page.get_by_label("Version").fill("1.0.0")
    page.get_by_label("Metrics").fill("mape=0.08")
    page.get_by_role("button", name="Create version").click()
    expect(page.get_by_role("status")).to_contain_text("Version “1.0.0” created as draft.")
    version_url = page.url

    # draft → staging → production, each asked by eve and approved by rita.
    _request(page, version_url, "staging", "Backtest on 2025 is clean.")
    first_review_url = page.url  # its id depends on what ran before on this database
    _switch(page, "rita")
    _approve(page)
    _switch(page, "eve")
    page.goto(version_url)
    page.get_by_test_id("request-promotion").click()
    select = page.get_by_label("Move to", exact=True)
    expect(select).to_have_value("production")
    # Choosing another move swaps the rules panel and drops the archive, without a reload.
    select.select_option("draft")
    expect(page.locator('[data-rules-for="draft"]')).to_be_visible()
    expect(page.locator('[data-rules-for="production"]')).to_be_hidden()
    expect(page.get_by_label(re.compile("Archive the current production"))).not_to_be_checked()
    select.select_option("production")
    expect(page.locator('[data-rules-for="production"]')).to_be_visible()
    expect(page.get_by_label(re.compile("Archive the current production"))).to_be_checked()
    page.get_by_label("Note for the reviewer").fill("Staging for a week, MAPE holds.")
    page.get_by_test_id("submit-request").click()
    expect(page.get_by_test_id("review-state")).to_have_text("pending")
    _switch(page, "rita")
    _approve(page)

    # The audit, filtered by part of the name in another case: every event, by its person.
    page.goto(page.base + "/audit/?model=ENERGY")
    rows = page.get_by_test_id("audit-row")
    events = [
        (row.get_attribute("data-event"), row.locator("td").nth(1).inner_text())
        for row in rows.all()
    ]
    assert ("created", "eve") in events  # the model and the version
    assert events.count(("created", "eve")) == 2
    assert events.count(("requested", "eve")) == 2
    assert events.count(("approved", "rita")) == 2
    assert events[0] == ("applied", "rita")
    screenshot(page, "audit")

    # The first review still shows what it was decided on, now that the version moved on.
    page.goto(first_review_url)
    expect(page.get_by_test_id("evidence")).to_contain_text("when rita approved it")
    expect(page.get_by_test_id("evidence")).to_contain_text("1.0.0 was draft")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "review-evidence-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1280, "height": 900})

    # The engineer cannot delete the version now in production.
    _switch(page, "eve")
    page.goto(version_url)
    page.get_by_role("link", name="Delete").click()
    expect(page.get_by_test_id("delete-blocked")).to_contain_text("is in production")
    expect(page.get_by_test_id("confirm-delete")).to_have_count(0)
    page.goto(version_url)
    expect(page.locator(".badge", has_text="production").first).to_be_visible()
    assert page.problems == []
