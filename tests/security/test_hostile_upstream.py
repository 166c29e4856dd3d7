"""Hostile upstream data, generated (hypothesis) and served by a real fake upstream:
no page ever carries an href/src/action other than http(s) or relative, and every
HTML response has a Content-Security-Policy.

Complements tests/dashboard/test_hostile_data.py (fixed payloads, escaping).
"""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser

import pytest
from django.core.cache import caches
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.dashboard.fake_upstream import serve_world, simple_world
from tests.security.conftest import forget_catalog_memo
from tests.support.faultserver import FaultServer

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = [
    "/",
    "/models/",
    "/models/mdl_1/",
    "/models/mdl_1/versions/ver_1/",
    "/models/mdl_1/compare/?v=ver_1&v=ver_2",
    "/experiments/",
    "/experiments/exp_1/",
    "/deployments/",
    "/deployments/dep_1/",
]
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "data", "srcset", "background"}

NASTY_URLS = [
    "javascript:alert(1)", " javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)",
    "\x01javascript:alert(1)", "javascript&colon;alert(1)", "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)", "file:///etc/passwd", "//evil.example/x", "/\\evil.example", "\\\\evil.example",
    "https://ok.example/\"><script>alert(1)</script>", "http://ok.example/'onmouseover='alert(1)",
    "https://ok.example/path?q=<b>&x=\"y\"", "ftp://evil.example/", "mailto:x@evil.example",
]  # fmt: skip
NASTY_TEXT = [
    '<script>alert("x")</script>', "\"'><img src=x onerror=alert(1)>", "<a href=javascript:alert(1)>x</a>",
    "{{ 7*7 }}", "{% debug %}", "</textarea><svg onload=alert(1)>", "\u202e", "\x00", "<iframe src=//evil.example>",
    "<style>@import 'http://evil.example'</style>", "<base href=//evil.example/>", "<meta http-equiv=refresh content=0;url=//evil.example>",
]  # fmt: skip

hostile_text = st.one_of(
    st.sampled_from(NASTY_TEXT),
    st.lists(st.sampled_from(NASTY_TEXT) | st.text(max_size=20), min_size=1, max_size=4).map("".join),
)
hostile_url = st.one_of(st.sampled_from(NASTY_URLS), st.text(max_size=40))


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        for name, value in attrs:
            if name.lower() in URL_ATTRIBUTES and value is not None:
                self.urls.append((tag, name, value))
            if name.lower().startswith("on"):
                self.urls.append((tag, name, "event-handler:" + (value or "")))


def unsafe_url(value: str) -> bool:
    """Whether a browser would follow `value` anywhere but http(s) or this site."""
    # Browsers drop leading/trailing C0 controls and spaces, and tabs/newlines anywhere.
    url = re.sub(r"[\t\n\r]", "", value).strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f"
                                              "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
    if url.startswith("event-handler:"):
        return True
    if url.startswith(("//", "/\\", "\\")):
        return True
    scheme = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*):", url)
    return bool(scheme) and scheme.group(1).lower() not in ("http", "https")


def test_the_url_check_itself_catches_what_it_must():
    assert all(unsafe_url(u) for u in ["javascript:x", " JAVASCRIPT:x", "java\tscript:x", "\x01javascript:x",
                                       "data:x", "//evil", "/\\evil", "event-handler:alert(1)"])  # fmt: skip
    assert not any(unsafe_url(u) for u in ["/models/", "?page=2", "#top", "https://ok.example/", "models/x"])


@pytest.fixture
def upstream(settings):
    with FaultServer() as server:
        settings.JFROG_ML_URL = server.url
        for name in ("DEPLOYMENTS", "DEPLOYMENT", "MODEL", "VERSIONS", "EXPERIMENTS", "EXPERIMENT"):
            setattr(settings, f"JFROG_ML_TTL_{name}", 0.0)
        yield server


@hypothesis_settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(
    name=hostile_text,
    description=hostile_text,
    tag=hostile_text,
    metric=hostile_text,
    param_value=hostile_text,
    version=hostile_text,
    status=hostile_text,
    endpoint=hostile_url,
    artifact=hostile_url,
    created_by=hostile_text,
)
def test_no_generated_upstream_data_makes_an_unsafe_link_or_drops_the_csp(
    client_as, upstream, name, description, tag, metric, param_value, version, status, endpoint, artifact, created_by
):
    world = copy.deepcopy(simple_world(name=name, endpoint=endpoint))
    world["models"][0].update(description=description, tags=[tag], created_by=created_by)
    for v in world["versions"]["mdl_1"]:
        v.update(version=version, status=status, artifact_path=artifact, description=description,
                 metrics={metric: 1.0}, parameters={metric: param_value}, created_by=created_by)  # fmt: skip
    for e in world["experiments"]:
        e.update(name=name, description=description, parameters={metric: param_value}, created_by=created_by)
    world["deployments"][0].update(name=name, status=status)
    upstream.reset()
    serve_world(upstream, **world)
    caches["default"].clear()
    forget_catalog_memo()

    client = client_as("admin")
    problems = []
    for url in PAGES:
        resp = client.get(url)
        assert resp.status_code in (200, 404), (url, resp.status_code)
        if not resp["Content-Type"].startswith("text/html"):
            continue
        if "default-src 'self'" not in resp.get("Content-Security-Policy", ""):
            problems.append(f"{url}: no CSP")
        parser = _Links()
        parser.feed(resp.content.decode())
        problems += [f"{url}: <{tag_} {attr}={value!r}>" for tag_, attr, value in parser.urls if unsafe_url(value)]
    assert not problems, problems
