"""When JFrog ML is down, slow or talking garbage: stale data with its age, or a
friendly 503 with a retry link. Never a 500."""

from __future__ import annotations

import time

import pytest

from tests.dashboard.fake_upstream import PAGES, serve_world, simple_world
from tests.support.faultserver import FaultServer, hang, status, text

pytestmark = pytest.mark.django_db(transaction=True)

HTML_PAGES = [p for p in PAGES if "format=csv" not in p]


@pytest.fixture
def fault(settings):
    with FaultServer() as server:
        settings.JFROG_ML_URL = server.url
        yield server


def test_with_nothing_cached_every_page_is_a_friendly_503_with_a_retry_link(client_for, dead_upstream):
    client = client_for("alice")
    for url in PAGES:
        resp = client.get(url)
        assert resp.status_code == 503, url
        body = resp.content.decode()
        assert "JFrog ML is not answering" in body, url
        assert "Retry</a>" in body, url
        assert "Traceback" not in body


def test_the_503_page_names_the_upstream_without_its_credentials_or_query(client_for, dead_port, settings):
    settings.JFROG_ML_URL = f"http://pond:s3cret-pw@127.0.0.1:{dead_port}/ml/api?token=leaky"
    settings.JFROG_ML_CONNECT_TIMEOUT = 0.2
    body = client_for("alice").get("/models/").content.decode()
    assert f"Pond asked JFrog ML at <code>http://127.0.0.1:{dead_port}/ml/api</code>" in body
    assert "s3cret-pw" not in body and "leaky" not in body


def test_the_live_status_endpoint_says_503_without_a_traceback(client_for, dead_upstream):
    resp = client_for("alice").get("/deployments/status.json")
    assert resp.status_code == 503
    assert "error" in resp.json()


def _data_due_at_once(settings) -> None:
    # Every value is due for refetch as soon as it is read, so the outage shows on
    # the next view (with the default TTLs it shows when each value's TTL passes;
    # a rendered page is never kept past the moment its data is due).
    for name in ("DEPLOYMENTS", "DEPLOYMENT", "MODEL", "VERSIONS", "EXPERIMENTS", "EXPERIMENT"):
        setattr(settings, f"JFROG_ML_TTL_{name}", 0.0)


def _go_down(fault) -> None:
    # refuse() stops new connections; the rule makes kept-alive ones fail too.
    fault.on(None, None, status(503))
    fault.refuse()


def _shows_stale_data_with_a_banner(client, url: str) -> None:
    # The first view after an outage may answer from a background revalidation;
    # the banner must follow within moments.
    deadline = time.monotonic() + 3
    while True:
        resp = client.get(url)
        body = resp.content.decode()
        assert resp.status_code == 200, url
        if 'data-testid="stale-banner"' in body or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert 'data-testid="stale-banner"' in body, url
    assert "JFrog ML is not answering" in body, url
    assert 'class="freshness stale"' in body, url


def test_when_jfrog_ml_goes_down_pages_show_the_last_data_with_a_banner(client_for, fault, settings):
    serve_world(fault, **simple_world())
    _data_due_at_once(settings)
    client = client_for("alice")
    for url in HTML_PAGES:
        assert client.get(url).status_code == 200, url
    _go_down(fault)
    for url in HTML_PAGES:
        _shows_stale_data_with_a_banner(client, url)
    assert "ok-model" in client.get("/models/mdl_1/").content.decode()


@pytest.mark.parametrize(
    "behaviour",
    [status(500), status(503, retry_after=1), text("<html>proxy error</html>", content_type="text/html"), text("[1, 2]", content_type="application/json")],
    ids=["500", "503", "html", "wrong-json-shape"],
)
def test_errors_and_garbage_from_jfrog_ml_never_make_a_500(client_for, fault, behaviour):
    fault.on(None, None, behaviour)
    client = client_for("alice")
    for url in PAGES:
        resp = client.get(url)
        assert resp.status_code in (503, 404), (url, resp.status_code)
        assert "Traceback" not in resp.content.decode()


def test_a_hanging_upstream_is_cut_off_by_the_timeout(client_for, fault, settings):
    settings.JFROG_ML_READ_TIMEOUT = 0.3
    fault.on(None, None, hang)
    resp = client_for("alice").get("/deployments/")
    assert resp.status_code == 503


def test_a_write_while_jfrog_ml_is_down_says_so_on_the_form(client_for, dead_upstream):
    resp = client_for("bob").post("/models/new/", {"name": "later"})
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "Nothing was saved" in body
    assert 'value="later"' in body


def test_an_unknown_page_is_a_friendly_404(client_for, upstream_url):
    resp = client_for("alice").get("/models/mdl_nope/")
    assert resp.status_code == 404
    assert "We could not find that" in resp.content.decode()
    resp = client_for("alice").get("/no/such/page/")
    assert resp.status_code == 404


def test_an_upstream_url_that_is_not_the_api_names_the_setting_instead_of_rejected_input(client_for, fault, settings):
    """A 400 page that is not JSON (a proxy's, or Django's DisallowedHost page) is not
    JFrog ML refusing input: the page says which setting points there."""
    settings.JFROG_ML_URL_CONFIGURED = settings.JFROG_ML_URL
    fault.on(None, None, text("<h1>Bad Request (400)</h1>", 400, content_type="text/html"))
    resp = client_for("alice").get("/models/")
    body = resp.content.decode()
    assert resp.status_code == 503, body[:500]
    assert "rejected the input" not in body
    assert "check JFROG_ML_URL" in body and "DJANGO_ALLOWED_HOSTS" in body
    assert fault.url.split("/ml/api")[0] in body
    settings.JFROG_ML_URL_CONFIGURED = ""
    assert "check POND_SELF_URL" in client_for("alice").get("/models/").content.decode()
