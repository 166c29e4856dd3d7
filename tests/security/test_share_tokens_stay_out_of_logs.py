"""A share link's token is a credential: it reaches no log in clear, neither gunicorn's
access and error logs nor Pond's own (django.request's warnings), whichever way it came
(the /status/s/<token>/ link, a `?share=` parameter, a Referer)."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
import requests

from tests.faults.pond_server import drill_env, pond_server
from tests.support.worker import eventually
from webui.status.access import share_link_create

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
LOGGER_CLASS = "webui.core.gunicorn_logging.RedactingLogger"


def test_a_real_servers_whole_output_never_shows_a_share_token(tmp_path):
    _, token = share_link_create(label="logs")
    unknown = secrets.token_urlsafe(32)  # a guess, or a revoked link: still not for the logs
    env = drill_env(upstream="http://127.0.0.1:9/ml/api", tmp_path=tmp_path)
    with pond_server(env=env, tmp_path=tmp_path) as pond:
        visitor = requests.Session()
        assert visitor.get(f"{pond.url}/status/s/{token}/", allow_redirects=False, timeout=10).status_code == 302
        # 403: django.request logs a warning naming the path.
        assert requests.get(f"{pond.url}/status/s/{unknown}/", timeout=10).status_code == 403
        assert requests.get(f"{pond.url}/status/s/{unknown}", allow_redirects=False, timeout=10).status_code == 301
        requests.get(f"{pond.url}/status.json?share={token}", timeout=10)
        requests.get(f"{pond.url}/status/?x=1&share={unknown}", allow_redirects=False, timeout=10)
        visitor.get(f"{pond.url}/status/", headers={"Referer": f"{pond.url}/status/s/{token}/"}, timeout=10)
        # The access log line is written after the answer: wait for all six.
        output = eventually(
            lambda: (text := pond.log()).count('"GET /status') >= 6 and text,
            timeout=10,
            message=lambda: pond.log()[-3000:],
        )
    assert re.search(r"GET /status/s/<redacted>/ HTTP/1.1\" 302", output), output[-3000:]
    assert "Forbidden: /status/s/<redacted>/" in output, output[-3000:]
    assert "share=<redacted>" in output
    leaked = [line for line in output.splitlines() if token in line or unknown in line]
    assert not leaked, leaked


def test_production_serves_with_the_redacting_logger():
    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = dockerfile[dockerfile.index("\nCMD ") :]
    assert "--logger-class" in cmd and LOGGER_CLASS in cmd
    run_pond = (ROOT / "webui/core/management/commands/run_pond.py").read_text()
    assert LOGGER_CLASS in run_pond
