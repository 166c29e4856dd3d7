"""`pip install .` alone, with no dev extras, runs Pond's production processes.

The dev extras (pytest and friends) bring packages that production code may lean on
without declaring them: kombu's Redis transport needs `packaging`, which only
pytest had installed, so every test passed while a production install with
REDIS_URL had no poller. This test builds a fresh virtualenv from the project's
own metadata, as the Dockerfile does, then starts a Celery worker against a real
Redis and a web process, and checks that both come up.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.faults.pond_server import free_port

pytestmark = [pytest.mark.deploy, pytest.mark.slow, pytest.mark.timeout(600)]

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "README.md", "manage.py", "webui", "registry", "templates", "static")


def _wait(check, seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"{what} did not come up within {seconds:.0f} s:\n{log.read_text(errors='replace')[-4000:]}")


def test_a_plain_install_runs_the_web_process_and_a_celery_worker_on_redis(redis_url, tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    for name in SOURCES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, app / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, app / name)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "."],
        cwd=app, capture_output=True, text=True, timeout=480,
    )  # fmt: skip
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    # Nothing of the dev extras is there: the test proves what production gets.
    for dev_only in ("pytest", "hypothesis", "playwright"):
        probe = subprocess.run([str(python), "-c", f"import {dev_only}"], capture_output=True, timeout=60)
        assert probe.returncode != 0, f"{dev_only} is importable in the plain install"

    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "POND_", "JFROG_ML_", "REDIS_URL", "DATABASE_URL", "PYTEST_", "VIRTUAL_ENV"))
    }
    env.update(
        {
            "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            "DJANGO_SECRET_KEY": "plain-install-test-key-" + "x" * 40,
            "DJANGO_DEBUG": "0",
            "POND_VAR_DIR": str(tmp_path / "var"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'pond.sqlite3'}",
            "REDIS_URL": redis_url,
            "POND_CACHE_PREFIX": f"plain{port}",
            "PORT": str(port),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    migrate = subprocess.run(
        [str(python), "manage.py", "migrate", "--noinput"], cwd=app, env=env, capture_output=True, text=True, timeout=300
    )
    assert migrate.returncode == 0, migrate.stdout[-3000:] + migrate.stderr[-3000:]

    web_log, worker_log = tmp_path / "web.log", tmp_path / "worker.log"
    processes = []
    try:
        with web_log.open("wb") as out:
            processes.append(
                subprocess.Popen(
                    [str(venv / "bin" / "gunicorn"), "webui.wsgi:application", "--bind", f"127.0.0.1:{port}",
                     "--workers", "1", "--worker-class", "gthread", "--threads", "4"],
                    cwd=app, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                )  # fmt: skip
            )
        with worker_log.open("wb") as out:
            processes.append(
                subprocess.Popen(
                    [str(venv / "bin" / "celery"), "-A", "webui", "worker", "--loglevel", "INFO",
                     "--queues", "pond", "--concurrency", "1", "--hostname", f"plain{port}@%h"],
                    cwd=app, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                )  # fmt: skip
            )

        def web_ready() -> bool:
            try:
                return requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        _wait(web_ready, 60, "the web process", web_log)
        # A page that goes through the service layer to the embedded registry over HTTP.
        login = requests.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=10)
        assert login.status_code == 200, login.text[:500]

        def worker_ready() -> bool:
            assert processes[1].poll() is None, "the Celery worker exited:\n" + worker_log.read_text(errors="replace")[-4000:]
            return "ready." in worker_log.read_text(errors="replace")

        _wait(worker_ready, 90, "the Celery worker", worker_log)
        ping = subprocess.run(
            [str(venv / "bin" / "celery"), "-A", "webui", "inspect", "ping", "--destination",
             f"plain{port}@{os.uname().nodename}", "--timeout", "10"],
            cwd=app, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert ping.returncode == 0 and "pong" in ping.stdout, ping.stdout + ping.stderr
    finally:
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, 9)
            process.wait(timeout=10)
