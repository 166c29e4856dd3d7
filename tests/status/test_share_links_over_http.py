"""Share links against a real Pond server (gunicorn, another process, its own cache):
a link revoked from elsewhere is refused at once, in a browser that opened it and in
every document path, and none of those paths leaves the token in the server's logs."""

from __future__ import annotations

import secrets

import pytest
import requests
from django.db import connection
from django.utils import timezone

from tests.faults.pond_server import drill_env, pond_server
from tests.status.conftest import observe_poll
from tests.support.worker import eventually
from webui.status.access import share_link_create, share_link_revoke

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

DOCUMENTS = (
    "status.json",
    "feed.atom",
    "badge.svg",
    "badge/model/m-1.svg",
    "badge/d1.svg",
    "bar/d1.svg",
)


@pytest.fixture
def server(tmp_path, settings):
    settings.POND_STATUS_PUBLIC = False
    observe_poll({"d1": "active"}, at=timezone.now())
    env = drill_env(upstream="http://127.0.0.1:9/ml/api", tmp_path=tmp_path)
    with pond_server(env=env, tmp_path=tmp_path) as pond:
        yield pond


def _opened(url: str, token: str) -> requests.Session:
    browser = requests.Session()
    assert (
        browser.get(f"{url}/status/s/{token}/", allow_redirects=False, timeout=10).status_code
        == 302
    )
    assert browser.get(f"{url}/status/", allow_redirects=False, timeout=10).status_code == 200
    return browser


def test_a_link_revoked_in_another_process_is_refused_at_once_by_a_running_server(server):
    by_service, service_token = share_link_create(label="revoked through Pond")
    by_sql, sql_token = share_link_create(label="revoked by SQL")
    browsers = {
        service_token: _opened(server.url, service_token),
        sql_token: _opened(server.url, sql_token),
    }
    for token, browser in browsers.items():
        # The server has now checked both links (and would have cached that).
        assert browser.get(f"{server.url}/status.json", timeout=10).status_code == 200
        for path in DOCUMENTS:
            assert (
                requests.get(f"{server.url}/status/s/{token}/{path}", timeout=10).status_code == 200
            ), path

    share_link_revoke(link_id=by_service.pk)  # this process: the server is told nothing
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE status_sharelink SET revoked_at = %s WHERE id = %s", [timezone.now(), by_sql.pk]
        )

    for token, browser in browsers.items():
        assert (
            browser.get(f"{server.url}/status/", allow_redirects=False, timeout=10).status_code
            == 302
        )
        assert browser.get(f"{server.url}/status.json", timeout=10).status_code == 403
        for path in DOCUMENTS:
            answer = requests.get(f"{server.url}/status/s/{token}/{path}", timeout=10)
            assert answer.status_code == 403, path


def test_tokens_in_every_document_path_stay_out_of_the_servers_logs(server):
    _, token = share_link_create(label="logs")
    unknown = secrets.token_urlsafe(32)
    for path in DOCUMENTS:
        assert (
            requests.get(
                f"{server.url}/status/s/{token}/{path}?style=flat-square", timeout=10
            ).status_code
            == 200
        )
        assert (
            requests.get(f"{server.url}/status/s/{unknown}/{path}", timeout=10).status_code == 403
        )
    bad_style = f"{server.url}/status/s/{token}/badge/model/none.svg?style=bad"
    assert requests.get(bad_style, timeout=10).status_code == 400
    expected = 2 * len(DOCUMENTS) + 1
    output = eventually(
        lambda: (text := server.log()).count('"GET /status/s/') >= expected and text,
        timeout=10,
        message=lambda: server.log()[-3000:],
    )
    for path in DOCUMENTS:
        assert f"GET /status/s/<redacted>/{path}" in output, path
    assert f"Forbidden: /status/s/<redacted>/{DOCUMENTS[0]}" in output
    leaked = [line for line in output.splitlines() if token in line or unknown in line]
    assert not leaked, leaked
