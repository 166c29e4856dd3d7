"""/metrics turned on with a token, scraped over real HTTP, and figures read from it.

Each pytest process has one multiprocess directory for the whole run (settings.py
makes it), so counters carry over from test to test: tests compare a scrape taken
before with one taken after, never absolute counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.support import live
from tests.support.isolation import forget_catalog_memo, own_file_cache, quick_upstream
from tests.support.people import PASSWORD, users_with_roles

TOKEN = "metrics-test-token-0123456789abcdef"


@pytest.fixture(autouse=True)
def _metrics_on(settings, tmp_path) -> Iterator[None]:
    own_file_cache(settings, tmp_path)
    quick_upstream(settings)
    settings.POND_METRICS_TOKEN = TOKEN
    settings.POND_METRICS_ALLOW = []
    forget_catalog_memo()
    yield
    forget_catalog_memo()


@dataclass(frozen=True)
class Scrape:
    text: str
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float]

    def value(self, name: str, **labels: str) -> float:
        """A sample's value (0 when the series does not exist yet)."""
        return self.samples.get((name, tuple(sorted(labels.items()))), 0.0)

    def labels_of(self, name: str) -> list[dict[str, str]]:
        return [dict(labels) for (sample, labels) in self.samples if sample == name]


def scrape(base_url: str, token: str = TOKEN) -> Scrape:
    resp = requests.get(base_url + "/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert resp.status_code == 200, (resp.status_code, resp.text[:500])
    assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(resp.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return Scrape(resp.text, samples)


def log_in_over_http(base_url: str, username: str, password: str = PASSWORD) -> requests.Session:
    return live.log_in_over_http(base_url, username, password)


@pytest.fixture
def viewer(transactional_db) -> str:
    users_with_roles({"alice": "viewer", "dave": "admin"})
    return "alice"
