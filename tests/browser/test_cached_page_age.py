"""A page served from the page cache still tells the data's true age (pond.js counts it
from the fetch time the page carries, not from when the page was built)."""

from __future__ import annotations

import re
import time

from tests.browser.conftest import log_in


def test_a_cached_page_shows_the_datas_real_age(page, engineer, settings):
    settings.POND_PAGE_CACHE_TTL = 60.0
    settings.JFROG_ML_TTL_DEPLOYMENTS = 60.0  # the browser tests shorten it; a page lives no longer
    log_in(page)
    first = page.goto(page.base + "/models/")
    assert first.headers.get("x-pond-page-cache") == "miss"
    built = page.locator("[data-fetched-at]").first
    assert re.search(r"Data as of just now", built.text_content())
    time.sleep(7)
    again = page.goto(page.base + "/models/")
    assert again.headers.get("x-pond-page-cache") == "hit"
    # The HTML still says what was true when it was built...
    assert "Data as of just now" in again.text()
    # ...and the script corrects it for the reader.
    text = page.locator("[data-fetched-at]").first.text_content()
    assert re.fullmatch(r"Data as of ([7-9]|1\d) seconds ago", text.strip()), text
    assert page.problems == []
