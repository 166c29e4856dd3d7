"""The page reads right everywhere, in Debian's Chromium: the status page in dark mode and
on a phone with nothing off-screen, 1,000-character unbroken names and notes kept inside
the viewport on the model, version, review and status pages, and the share-link copy
button by keyboard.

"Inside the viewport" means the document never scrolls sideways, and no visible element
ends beyond the viewport's right edge unless it sits in a box that scrolls by itself
(a wide table in its `.table-wrap`), where the user can still reach it. The status page
is held to more: not even a scrolling box there.
"""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
import requests
from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, log_in, screenshot
from tests.status.conftest import observe_poll
from webui.core.roles import ensure_roles
from webui.reviews.decisions import label_of, model_name_of

pytestmark = [pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
LONG = 1000

# Visible elements whose box ends right of the viewport. Evaluated by Playwright (the
# page's CSP does not apply to it).
OFF_SCREEN = """(scrollersAllowed) => {
  const width = document.documentElement.clientWidth;
  // Where an element can be seen: its box cut by every ancestor that clips (a visually
  // hidden table head), and by those that scroll sideways only when they may.
  const visibleRight = (el) => {
    let right = el.getBoundingClientRect().right;
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const x = getComputedStyle(p).overflowX;
      if (x === "hidden" || x === "clip" || (scrollersAllowed && (x === "auto" || x === "scroll"))) {
        right = Math.min(right, p.getBoundingClientRect().right);
      }
    }
    return right;
  };
  const off = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width < 2 || box.height < 2 || getComputedStyle(el).visibility === "hidden") { continue; }
    if (visibleRight(el) > width + 1) {
      off.push(`${el.tagName.toLowerCase()}.${el.className} ends at ${Math.round(box.right)}`);
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width: width, off: off.slice(0, 5)};
}"""


def assert_within_viewport(page, *, scrollers_allowed: bool) -> None:
    seen = page.evaluate(OFF_SCREEN, scrollers_allowed)
    assert seen["scrollWidth"] <= seen["width"], f"{page.url} scrolls sideways: {seen}"
    assert not seen["off"], f"{page.url} has elements off-screen: {seen}"


def luminance(css_colour: str) -> float:
    """Relative luminance (WCAG) of a computed `rgb(r, g, b)` colour."""
    r, g, b = (int(c) / 255 for c in re.findall(r"\d+", css_colour)[:3])

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def colours(page, selector: str) -> tuple[str, str]:
    return tuple(
        page.eval_on_selector(
            selector, "el => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]"
        )
    )


@pytest.fixture
def status_world(transactional_db, settings) -> None:
    """A public status page with a failing and an active deployment of one model."""
    settings.POND_STATUS_PUBLIC = True
    settings.POND_POLL_INTERVAL = 30  # nothing goes stale during the test
    now = timezone.now()
    names = {"churn-prod": "churn production (eu-west)", "churn-canary": "churn canary"}
    observe_poll(
        {"churn-prod": "active", "churn-canary": "active"}, at=now - timedelta(hours=3), names=names
    )
    observe_poll(
        {"churn-prod": "active", "churn-canary": "failed"},
        at=now - timedelta(minutes=2),
        names=names,
    )
    observe_poll({"churn-prod": "active", "churn-canary": "failed"}, at=now, names=names)


def test_the_status_page_follows_a_dark_system_and_keeps_badges_readable(
    browser, live_server, status_world
):
    context = browser.new_context(viewport=DESKTOP, color_scheme="dark")
    page = context.new_page()
    page.goto(live_server.url + "/status/")
    text, background = colours(page, "body")
    assert luminance(background) < 0.05 and luminance(text) > 0.6, (text, background)
    for badge in (
        "[data-testid=deployment-status].badge-failed",
        "[data-testid=deployment-status].badge-active",
    ):
        fg, bg = colours(page, badge)
        assert contrast(fg, bg) >= 4.5, (badge, fg, bg)
    fg, bg = colours(page, ".status-group")
    assert luminance(bg) < 0.05, "the cards are dark too"
    screenshot(page, "status-dark")
    context.close()


def test_the_theme_chosen_in_pond_holds_on_the_status_page_and_its_toggle_switches_it(
    browser, live_server, status_world
):
    context = browser.new_context(viewport=DESKTOP, color_scheme="light")
    page = context.new_page()
    page.goto(live_server.url + "/status/")
    assert luminance(colours(page, "body")[1]) > 0.8
    screenshot(page, "status-light")
    toggle = page.locator("#theme-toggle")
    expect(toggle).to_have_text("Dark theme")
    toggle.focus()
    page.keyboard.press("Enter")
    assert luminance(colours(page, "body")[1]) < 0.05
    page.reload()  # remembered in this browser, applied before the first paint
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert luminance(colours(page, "body")[1]) < 0.05
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_on_a_phone_the_status_page_has_no_sideways_scroll_and_nothing_off_screen(
    browser, live_server, status_world, scheme
):
    context = browser.new_context(
        viewport=PHONE, color_scheme=scheme, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto(live_server.url + "/status/")
    page.locator("details.status-group").evaluate_all("els => els.forEach(d => d.open = true)")
    page.locator("details.status-embed-group").evaluate_all(
        "els => els.forEach(d => d.open = true)"
    )
    assert_within_viewport(page, scrollers_allowed=False)
    # Every figure of the wide table is still there, each named.
    row = page.locator("tr[data-deployment=churn-canary]")
    expect(row).to_contain_text("failed")
    expect(row).to_contain_text(re.compile(r"since \d\d:\d\d (today|yesterday)"))
    for label in ("24 h", "7 days", "90 days"):
        cell = row.locator(f"td[data-label='{label}']")
        expect(cell).to_be_visible()
        assert label in cell.evaluate("el => getComputedStyle(el, '::before').content")
    expect(row.locator("img.status-bar")).to_be_visible()
    # A name with spaces breaks between words, never letter by letter.
    name_cell = page.locator("tr[data-deployment=churn-prod] td.status-deployment")
    name_height = name_cell.evaluate(
        "el => { const r = document.createRange(); r.setStart(el.firstChild, 0);"
        " r.setEnd(el.firstChild, el.firstChild.length); return r.getClientRects().length; }"
    )
    assert name_height <= 2, f"'churn production (eu-west)' took {name_height} lines"
    if scheme == "dark":
        assert luminance(colours(page, "body")[1]) < 0.05
    else:
        screenshot(page, "status-phone")
    context.close()


# --- 1,000-character unbroken names and notes --------------------------------------------


@pytest.fixture
def long_world(upstream_url, transactional_db) -> dict[str, str]:
    """A model whose name, description, tag, version labels and notes are each one
    unbroken 1,000-character token, with an experiment and a deployment named so, a
    review request and its ledger entry with such a note, and a deployment of that name
    on the status page. JFrog ML may send any length (the embedded registry caps new
    names at 200 characters), so the long values are written into its tables as an
    upstream that allowed them would hold them."""
    from registry.models import Deployment, Experiment, ModelVersion, RegisteredModel
    from webui.reviews.models import LedgerEntry, ReviewRequest
    from webui.reviews.services import request_ledger_entry

    ensure_roles()
    user = User.objects.create_user("bob", "bob@example.com", PASSWORD)
    user.groups.add(Group.objects.get(name="engineer"))
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {settings.REGISTRY_SERVICE_TOKEN}"

    def post(path: str, body: dict) -> str:
        resp = session.post(upstream_url + path, json=body, timeout=10)
        assert resp.status_code in (201, 202), resp.text
        return resp.json()["id"]

    model_id = post("/v1/models", {"name": "long", "framework": "sklearn"})
    versions = [
        post(
            f"/v1/models/{model_id}/versions",
            {"version": label, "metrics": {"accuracy": 0.9}, "parameters": {"lr": "0.01"}},
        )
        for label in ("1.0", "1.1")
    ]
    experiment_id = post("/v1/experiments", {"name": "long run", "model_id": model_id})
    deployment_id = post(
        "/v1/deployments",
        {"name": "long", "model_id": model_id, "model_version_id": versions[0], "replicas": 1},
    )
    session.close()
    name, note = "N" * LONG, "W" * LONG
    RegisteredModel.objects.filter(pk=model_id).update(
        name=name, description=note, tags=["T" * LONG]
    )
    ModelVersion.objects.filter(pk=versions[0]).update(version="V" * LONG, description=note)
    ModelVersion.objects.filter(pk=versions[1]).update(version="U" * LONG, description=note)
    Experiment.objects.filter(pk=experiment_id).update(name="E" * LONG, description=note)
    Deployment.objects.filter(pk=deployment_id).update(name="D" * LONG)
    review = ReviewRequest.objects.create(
        model_id=model_id,
        model_name=model_name_of(SimpleNamespace(name=name, id="")),
        version_id=versions[0],
        version_label=label_of(SimpleNamespace(version="V" * LONG, id="")),  # cut as Pond keeps it
        from_status="draft",
        to_status="staging",
        note=note,
        requested_by=user,
        requested_by_name=user.get_username(),
    )
    request_ledger_entry(review, kind=LedgerEntry.REQUEST, actor="bob", comment=note)
    now = timezone.now()
    for at in (now - timedelta(seconds=1), now):
        observe_poll({"D" * LONG: "failed"}, at=at, model_id="M" * LONG, names={"D" * LONG: name})
    return {
        "model": model_id,
        "version": versions[0],
        "version2": versions[1],
        "experiment": experiment_id,
        "deployment": deployment_id,
        "review": str(review.pk),
    }


def test_long_unbroken_names_and_notes_stay_within_the_viewport(
    browser, live_server, long_world, settings
):
    from django.urls import reverse

    w = long_world
    compare = (
        reverse("versions_compare", args=[w["model"]]) + f"?v={w['version']}&v={w['version2']}"
    )
    pages = {
        "model": reverse("model_detail", args=[w["model"]]),
        "version": reverse("version_detail", args=[w["model"], w["version"]]),
        "review": reverse("reviews:detail", args=[w["review"]]),
        "status": reverse("status_page"),
        "models": reverse("model_list"),
        "compare": compare,
        "reviews": reverse("reviews:queue"),
        "audit": reverse("reviews:audit"),
        "experiments": reverse("experiment_list"),
        "experiment": reverse("experiment_detail", args=[w["experiment"]]),
        "deployments": reverse("deployment_list"),
        "deployment": reverse("deployment_detail", args=[w["deployment"]]),
        "overview": reverse("overview"),
        "insights": reverse("insights_production"),
        "hygiene": reverse("insights_hygiene"),
        "resources": reverse("insights_resources"),
    }
    problems = []
    for viewport in (DESKTOP, PHONE):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        page.base = live_server.url
        log_in(page)
        for what, path in pages.items():
            response = page.goto(live_server.url + path)
            assert response.status == 200, (what, response.status)
            page.locator("details").evaluate_all("els => els.forEach(d => d.open = true)")
            try:
                # The status page allows not even a scrolling table.
                assert_within_viewport(page, scrollers_allowed=what != "status")
            except AssertionError as exc:
                problems.append(f"{viewport['width']} px, {what}: {exc}")
        # The long values are on the pages, not dropped to make them fit.
        for what, token in (("model", "N" * LONG), ("review", "W" * LONG), ("status", "D" * LONG)):
            page.goto(live_server.url + pages[what])
            assert token in page.content(), what
        context.close()
    assert not problems, "\n".join(problems)


WORDS_SPLIT = """() => {
  // Short names without spaces in table cells broken anywhere but after a hyphen,
  // underscore, dot or slash (where a browser may break a name as it breaks words).
  const split = [];
  for (const el of document.querySelectorAll("td a, td .mono, td .tag, td code, th.mono")) {
    const text = el.textContent.trim();
    if (!text || /\\s/.test(text) || text.length > 30 || !el.getClientRects().length) { continue; }
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    let previous = null;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (let i = 0; i < node.length; i++) {
        const range = document.createRange();
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const box = range.getBoundingClientRect();
        if (!box.width) { continue; }
        const ch = node.data[i];
        if (previous && box.top > previous.top + 2 && !"-_./".includes(previous.ch)) {
          split.push(`${text}: broken after "${previous.ch}"`);
        }
        previous = {top: box.top, ch: ch};
      }
    }
  }
  return split;
}"""


def test_on_a_phone_short_names_in_tables_keep_their_letters_together(
    browser, live_server, upstream_url, engineer
):
    """A table wider than a phone scrolls in its own box; its columns never shrink so far
    that "customer-churn-predictor" or "1.10.3" break inside."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {settings.REGISTRY_SERVICE_TOKEN}"

    def post(path: str, body: dict) -> str:
        resp = session.post(upstream_url + path, json=body, timeout=10)
        assert resp.status_code in (201, 202), resp.text
        return resp.json()["id"]

    model_id = post(
        "/v1/models",
        {"name": "customer-churn-predictor", "framework": "sklearn", "tags": ["payments-team"]},
    )
    version_id = post(
        f"/v1/models/{model_id}/versions", {"version": "1.10.3", "metrics": {"accuracy": 0.9}}
    )
    post(
        "/v1/deployments",
        {
            "name": "customer-churn-prod",
            "model_id": model_id,
            "model_version_id": version_id,
            "replicas": 2,
        },
    )
    session.close()
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.base = live_server.url
    log_in(page)
    for path in ("/models/", "/deployments/", f"/models/{model_id}/"):
        page.goto(live_server.url + path)
        assert page.locator("td a", has_text="customer-churn").count(), path
        assert page.evaluate(WORDS_SPLIT) == [], path
        assert_within_viewport(page, scrollers_allowed=True)
    context.close()


# --- Share-link administration ----------------------------------------------------------


def test_a_new_share_link_is_copied_by_keyboard_and_revoking_asks_first(
    browser, live_server, upstream_url, status_world
):
    ensure_roles()
    carol = User.objects.create_user("carol", "carol@example.com", PASSWORD)
    carol.user_permissions.add(Permission.objects.get(codename="manage_share_links"))
    context = browser.new_context(
        viewport=DESKTOP, permissions=["clipboard-read", "clipboard-write"]
    )
    page = context.new_page()
    page.base = live_server.url
    log_in(page, "carol")
    page.locator("[data-testid=nav-share-links]").click()  # reachable from the navigation
    page.get_by_label("Label (whom it is for)").fill("wall screen")
    page.get_by_role("button", name="Create link").click()
    field = page.locator("[data-testid=share-link-created] [data-testid=copy-text]").first
    field.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('status-copy')")
    page.keyboard.press("Enter")
    expect(page.locator("#created-said")).to_contain_text("copied to the clipboard")
    assert page.evaluate("navigator.clipboard.readText()") == field.input_value()
    assert "/status/s/" in field.input_value()

    # Last used: never, until someone opens it.
    row = page.locator("tr[data-link]").first
    expect(row.locator("[data-testid=last-used]")).to_have_text("never")
    other = browser.new_context()
    other.new_page().goto(field.input_value())
    other.close()
    page.goto(live_server.url + "/status/share-links/")  # not a reload: that would post again
    expect(page.locator("tr[data-link]")).to_have_count(1)
    expect(row.locator("[data-testid=last-used] time")).to_have_count(1)

    # Revoking asks first; Cancel leaves it active.
    row.get_by_role("link", name=re.compile("Revoke")).click()
    expect(page.locator("h1")).to_contain_text("Revoke share link “wall screen”?")
    page.get_by_role("link", name="Cancel").click()
    expect(row).to_contain_text("active")
    context.close()


def test_favicon_ico_leads_to_pond_s_mark(live_server):
    resp = requests.get(live_server.url + "/favicon.ico", timeout=10)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("image/svg")
    assert resp.history and resp.history[0].status_code == 301
