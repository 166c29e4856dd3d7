"""The status page in Debian's Chromium: it updates itself in place, under the strict CSP,
and still works with JavaScript off."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.status.conftest import observe_poll
from tests.support.worker import eventually

# Playwright's sync API runs an event loop in this thread; the ORM must be told it is fine.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

@pytest.fixture(autouse=True)
def _live_settings(settings):
    settings.POND_STATUS_PUBLIC = True
    settings.POND_POLL_INTERVAL = 30  # nothing goes stale during the test
    settings.POND_STATUS_REFRESH_SECONDS = 1
    settings.POND_STATUS_HISTORY_TTL = 0


def test_the_open_page_shows_a_failure_without_a_reload(browser, live_server):
    from playwright.sync_api import expect

    now = timezone.now()
    observe_poll({"d1": "active"}, at=now - timedelta(seconds=1))
    observe_poll({"d1": "active"}, at=now)
    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.goto(live_server.url + "/status/")
    assert "All deployments active" in page.inner_text("[data-testid=status-banner]")
    page.evaluate("window.__sameDocument = true")

    later = timezone.now()
    observe_poll({"d1": "failed"}, at=later)
    observe_poll({"d1": "failed"}, at=later + timedelta(seconds=1))
    # (Playwright's wait_for_function evaluates strings, which this page's CSP forbids.)
    expect(page.locator("[data-testid=status-banner]")).to_contain_text(
        "1 deployment failing", timeout=10_000
    )
    assert page.evaluate("window.__sameDocument") is True  # updated in place, not reloaded
    # The lazy bar image loaded (same origin, allowed by the CSP).
    eventually(
        lambda: page.evaluate("document.querySelector('img.status-bar').naturalWidth") > 0,
        timeout=10,
        message="the lazy bar image",
    )
    assert not [p for p in problems if "Content Security Policy" in p], problems
    context.close()


def test_the_page_works_with_javascript_off(browser, live_server):
    now = timezone.now()
    observe_poll({"d1": "active"}, at=now - timedelta(seconds=1))
    observe_poll({"d1": "failed"}, at=now)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/status/")
    row = page.locator("tr[data-deployment=d1]")
    assert row.get_attribute("data-status") == "failed"
    assert "unconfirmed" in row.inner_text()
    context.close()
