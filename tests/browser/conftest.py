"""Drive Debian's Chromium with Playwright against pytest-django's live server.

Skipped with a reason when Chromium is absent, except in CI (CI=true), where a
missing browser is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User

from webui.core.roles import ensure_roles

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to
# run inside one unless told that this is deliberate.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "correct horse battery staple"
# Screenshots go to tests/artifacts/ (gitignored) so a test run leaves the tree
# clean; `make screenshots` points this at docs/screenshots/ for the README.
SCREENSHOTS = Path(
    os.environ.get("POND_SCREENSHOTS_DIR") or Path(__file__).resolve().parents[2] / "tests" / "artifacts" / "screenshots"
)


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path) -> None:
    settings.CACHES = {
        "default": {"BACKEND": "webui.core.filecache.FileCache", "LOCATION": str(tmp_path / "cache")}
    }
    settings.REGISTRY_DEPLOY_DELAY = 2.0
    settings.JFROG_ML_TTL_DEPLOYMENTS = 0.5
    settings.POND_POLL_INTERVAL = 0.5
    settings.JFROG_ML_READ_TIMEOUT = 5.0
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from webui.jfrogml import catalog

    catalog.reset_local_state()  # the last catalog is remembered per upstream URL


@pytest.fixture
def engineer(transactional_db) -> User:
    ensure_roles()
    user = User.objects.create_user("bob", "bob@example.com", PASSWORD)
    user.groups.add(Group.objects.get(name="engineer"))
    return user


@pytest.fixture
def page(browser, upstream_url, live_server) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    # A CSP violation or a script error shows up here; the tests assert none.
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.problems = problems
    page.base = live_server.url
    yield page
    context.close()


def log_in(page, username: str = "bob") -> None:
    page.goto(page.base + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(page.base + "/")


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
