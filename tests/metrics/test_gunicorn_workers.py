"""Several gunicorn workers, one /metrics: whichever worker answers the scrape reports
every worker's requests, and a worker that died keeps its counts (gunicorn runs with
Pond's config, whose child_exit hook marks it dead)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import requests

from tests.faults.pond_server import free_port
from tests.metrics.conftest import TOKEN, scrape
from tests.support.worker import database_url, eventually

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

BASE_DIR = Path(__file__).resolve().parents[2]


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


@pytest.fixture
def gunicorn(tmp_path, settings):
    import subprocess
    import sys

    port = free_port()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POND_", "DJANGO_", "PYTEST_", "DATABASE_URL", "REDIS_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="webui.settings",
        DATABASE_URL=database_url(),
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        POND_VAR_DIR=str(tmp_path / "var"),
        POND_METRICS_TOKEN=TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "webui.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", "3", "--worker-class", "sync", "--timeout", "30", "--graceful-timeout", "2",
             "--config", "python:webui.metrics.gunicorn_hooks"],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return requests.get(url + "/readyz", timeout=2).status_code == 200
        except requests.RequestException:
            return process.poll() is not None

    try:
        eventually(up, timeout=60, message=lambda: log_path.read_text(errors="replace")[-2000:])
        assert process.poll() is None, log_path.read_text(errors="replace")[-2000:]
        yield process, url, metrics_dir, log_path
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)


def test_every_scrape_reports_every_workers_requests_even_after_one_died(gunicorn):
    process, url, metrics_dir, log_path = gunicorn
    baseline = scrape(url).value("pond_http_requests_total", view="healthz", method="GET", status="200")
    for _ in range(30):  # a new connection each: the workers take turns as the kernel hands them out
        assert requests.get(url + "/healthz", timeout=10, headers={"Connection": "close"}).status_code == 200
    answered_by = {p.name.rsplit("-", 1)[1] for p in metrics_dir.glob("counter_*.db")}
    assert len(answered_by) >= 2, answered_by  # more than one worker wrote figures

    for _ in range(6):
        assert scrape(url).value("pond_http_requests_total", view="healthz", method="GET", status="200") - baseline == 30

    # A worker dies; gunicorn starts another. Its counts stay in the sum.
    victim = sorted(_children(process.pid))[0]
    os.kill(victim, signal.SIGKILL)
    eventually(lambda: victim not in _children(process.pid) and len(_children(process.pid)) == 3, timeout=30)
    for _ in range(6):
        assert scrape(url).value("pond_http_requests_total", view="healthz", method="GET", status="200") - baseline == 30
    assert "Traceback" not in log_path.read_text(errors="replace")
