"""Embed snippets in Debian's Chromium: the copy buttons work from the keyboard alone,
say what they did in a live region, and the row's "Badge to embed" link opens its
panel; with JavaScript off the snippets are still there to select."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.status.conftest import observe_poll
from webui.status.access import share_link_create

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _live_settings(settings):
    settings.POND_STATUS_PUBLIC = False
    settings.POND_POLL_INTERVAL = 30  # nothing goes stale during the test
    settings.POND_STATUS_REFRESH_SECONDS = 1  # and the live part is swapped in meanwhile


@pytest.fixture
def token() -> str:
    now = timezone.now()
    observe_poll({"d1": "active"}, at=now - timedelta(seconds=1))
    observe_poll({"d1": "active"}, at=now)
    return share_link_create(label="browser")[1]


def test_the_copy_buttons_work_by_keyboard_and_announce_it(browser, live_server, token):
    from playwright.sync_api import expect

    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/status/s/{token}/")  # then redirected to /status/
    assert page.url == f"{live_server.url}/status/"

    # From the deployment's row, by keyboard: its link opens the snippets' panel.
    link = page.locator("tr[data-deployment=d1] a.status-embed-link")
    link.focus()
    page.keyboard.press("Enter")
    key = link.get_attribute("href").lstrip("#")
    markdown = page.locator(f"#{key}-md")
    expect(markdown).to_be_visible()

    # Tab from the text to its button; Enter copies, Space copies the HTML.
    markdown.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == f"{key}-md-copy"
    page.keyboard.press("Enter")
    said = page.locator(f"#{key}-said")
    expect(said).to_have_text("Markdown copied to the clipboard.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == markdown.input_value()
    assert re.fullmatch(
        rf"\[!\[d1-name status\]\({re.escape(live_server.url)}/status/s/{token}/badge/d1\.svg\)\]"
        rf"\({re.escape(live_server.url)}/status/s/{token}/#deployment-d1\)",
        copied,
    ), copied

    page.keyboard.press("Tab")  # the HTML text
    page.keyboard.press("Tab")  # its button
    assert page.evaluate("document.activeElement.id") == f"{key}-html-copy"
    page.keyboard.press("Space")
    expect(said).to_have_text("HTML copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()").startswith(
        f'<a href="{live_server.url}/status/s/{token}/'
    )

    # The badge the snippet names loads as an image outside this browser's session.
    other = browser.new_context()
    response = other.request.get(f"{live_server.url}/status/s/{token}/badge/d1.svg")
    assert response.status == 200 and response.headers["content-type"].startswith("image/svg+xml")
    other.close()
    assert not [p for p in problems if "Content Security Policy" in p], problems
    context.close()


def test_with_javascript_off_the_snippets_are_there_to_select_and_no_dead_buttons(
    browser, live_server, token
):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/status/s/{token}/")
    fields = page.locator("[data-testid=copy-text]")
    assert fields.count() == 2 + 2 * 3  # feed, JSON; overall, model, deployment
    assert page.locator("button.status-copy:visible").count() == 0
    assert f"/status/s/{token}/feed.atom" in page.locator("#embed-feed").input_value()
    context.close()
