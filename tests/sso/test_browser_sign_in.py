"""A person signs in to Pond in Chromium through the provider's own sign-in form, and out again."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.fixture
def tab(browser) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.problems = []
    # A Content-Security-Policy refusal (a redirect to the provider after a form post,
    # say) shows up in the console.
    page.on("console", lambda msg: page.problems.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()


def test_a_person_signs_in_through_the_providers_form_and_signs_out_of_both(tab, provider, pond):
    provider.person("erin", groups=["ml-engineers"], name="Erin Engineer")

    tab.goto(f"{pond}/reviews/")
    expect(tab).to_have_url(re.compile(r"/accounts/login/\?next=/reviews/$"))
    tab.get_by_role("link", name="Sign in with Acme ID").click()

    # The provider's own page.
    expect(tab).to_have_url(re.compile("^" + re.escape(provider.issuer) + "/interaction/"))
    tab.locator("input[name=login]").fill("erin")
    tab.locator("input[name=password]").fill("whatever the provider asks")
    tab.get_by_role("button", name="Sign-in").click()

    expect(tab).to_have_url(f"{pond}/reviews/")
    expect(tab.get_by_test_id("nav-user")).to_contain_text("erin")
    expect(tab.get_by_test_id("nav-role")).to_have_text("engineer")
    assert User.objects.get(username="erin").sso_identity.subject == "erin"

    tab.get_by_role("button", name="Log out").click()
    # Pond's session is over; the provider asks before ending its own, then sends the
    # browser back to Pond's login page.
    tab.get_by_role("button", name="Yes, sign me out").click()
    expect(tab).to_have_url(f"{pond}/accounts/login/")
    expect(tab.get_by_role("link", name="Sign in with Acme ID")).to_be_visible()
    tab.goto(f"{pond}/reviews/")
    expect(tab).to_have_url(re.compile(r"/accounts/login/"))
    assert not [p for p in tab.problems if "Content Security Policy" in p], tab.problems
