"""Every decision is posted to the configured webhooks, without ever holding up the page."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.reviews.conftest import post_form
from webui.reviews.models import ReviewRequest


class _Hook:
    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.received: list[dict] = []
        self.arrived = threading.Event()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.received.append(json.loads(body))
                hook.arrived.set()
                time.sleep(hook.delay)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture
def hook(settings) -> Iterator[_Hook]:
    server = _Hook()
    settings.POND_REVIEW_WEBHOOKS = [server.url]
    settings.POND_REVIEW_WEBHOOK_TIMEOUT = 0.5
    yield server
    server.server.shutdown()
    server.server.server_close()


def _request(client_for, churn):
    post_form(client_for("eve"), f"/reviews/new/{churn['id']}/{churn['v2']['id']}/", {"to_status": "production", "note": "go"})
    return ReviewRequest.objects.get()


def test_a_decision_is_posted_as_slack_compatible_json(hook, client_for, churn):
    review = _request(client_for, churn)
    post_form(client_for("rita"), f"/reviews/{review.pk}/decide", {"decision": "reject", "comment": "not yet"})
    assert hook.arrived.wait(5)
    payload = hook.received[0]
    assert payload["text"].startswith("rita rejected churn v2: staging → production")
    assert "not yet" in payload["text"]
    assert payload["pond"]["kind"] == "reject"


def test_a_slow_webhook_does_not_hold_up_the_decision(hook, client_for, churn, settings):
    hook.delay = 3.0
    # A timeout longer than the hook's delay: only not waiting keeps the page fast.
    settings.POND_REVIEW_WEBHOOK_TIMEOUT = 5.0
    review = _request(client_for, churn)
    started = time.monotonic()
    resp = post_form(client_for("rita"), f"/reviews/{review.pk}/decide", {"decision": "approve"})
    assert resp.status_code == 302
    assert time.monotonic() - started < 2.5
    assert hook.arrived.wait(5)
    assert hook.received[0]["pond"]["kind"] == "approve"


def test_a_dead_webhook_does_not_fail_the_decision(settings, dead_port, client_for, churn):
    settings.POND_REVIEW_WEBHOOKS = [f"http://127.0.0.1:{dead_port}/hook"]
    review = _request(client_for, churn)
    resp = post_form(client_for("rita"), f"/reviews/{review.pk}/decide", {"decision": "approve"})
    assert resp.status_code == 302
    review.refresh_from_db()
    assert review.state == "approved"
