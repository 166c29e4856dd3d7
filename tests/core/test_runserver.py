"""`manage.py runserver 8001` — the first thing a Django developer types — serves pages
from Pond's own embedded registry on whatever port it listens on; when the upstream
cannot be reached, the page names the URL Pond tried and the setting that fixes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests

from tests.core.test_make_run import ROOT, _free_port, _manage
from tests.support import live

pytestmark = pytest.mark.slow


@pytest.fixture
def demo_env(tmp_path) -> dict:
    """A migrated var dir with the demo, SQLite, no Redis and no PORT: runserver's own
    port must do."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "POND_", "JFROG_ML_", "REGISTRY_"))}
    for name in ("DATABASE_URL", "REDIS_URL", "PYTEST_XDIST_WORKER", "PORT"):
        env.pop(name, None)
    env["POND_VAR_DIR"] = str(tmp_path / "var")
    _manage(env, "migrate", "--noinput")
    _manage(env, "seed_demo", "--no-history")
    return env


def _serve(env: dict, port: int) -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        live.wait_healthy(base, what="runserver")
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.communicate(timeout=30)


def _logged_in(base: str) -> requests.Session:
    return live.log_in_over_http(base, "engineer", "pond-demo")  # seed_demo's documented demo login


def test_runserver_on_any_port_serves_pages_from_the_embedded_registry(demo_env):
    port = _free_port()
    assert port != 8000
    for base in _serve(demo_env, port):
        page = _logged_in(base).get(f"{base}/models/", timeout=30)
        assert page.status_code == 200, page.text[:1000]
        assert "JFrog ML is not answering" not in page.text
        assert "fraud-detector" in page.text or "churn" in page.text


def test_a_page_that_cannot_reach_the_upstream_names_the_url_and_the_setting(demo_env):
    dead = _free_port()
    demo_env["POND_SELF_URL"] = f"http://127.0.0.1:{dead}"
    for base in _serve(demo_env, _free_port()):
        page = _logged_in(base).get(f"{base}/models/", timeout=30)
        assert page.status_code == 503
        assert f"Pond asked JFrog ML at <code>http://127.0.0.1:{dead}/ml/api</code>" in page.text
        assert "set <code>POND_SELF_URL</code>" in page.text
