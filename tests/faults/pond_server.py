"""A real Pond web server (gunicorn, threaded) in a subprocess, for fault drills.

    with pond_server(tmp_path, upstream=fault.url, env={...}) as pond:
        session = pond.login("bob", PASSWORD)
        session.get(pond.url + "/deployments/")

It shares the test's database (file SQLite or PostgreSQL; see
`tests.support.worker.database_url`), runs Pond's own settings from the
environment (`drill_env`: short timeouts and cache TTLs), logs at DEBUG into a
file the test can read, and is killed with its process group whatever happens.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests
from django.conf import settings

from tests.support.worker import database_url

BASE_DIR = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PondServer:
    process: subprocess.Popen
    url: str
    log_path: Path

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def login(self, username: str, password: str) -> requests.Session:
        """Log in through the real form (CSRF token and all), as a browser would."""
        session = requests.Session()
        page = session.get(self.url + "/accounts/login/", timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        resp = session.post(
            self.url + "/accounts/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": token},
            headers={"Referer": self.url + "/accounts/login/"},
            allow_redirects=False,
            timeout=10,
        )
        assert resp.status_code == 302, (resp.status_code, resp.text[:500])
        return session


TTL_SETTINGS = ("DEPLOYMENTS", "DEPLOYMENT", "MODEL", "VERSIONS", "EXPERIMENTS", "EXPERIMENT")


def drill_env(
    *, upstream: str, tmp_path: Path, ttl: float = 0.2, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """Production settings from the environment, with short timeouts and cache TTLs
    (`ttl`) so that every page goes upstream and meets the fault."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "POND_", "JFROG_ML_", "REDIS_URL", "DATABASE_URL", "PYTEST_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "webui.settings",
            "DATABASE_URL": database_url(),
            "DJANGO_SECRET_KEY": settings.SECRET_KEY,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "POND_VAR_DIR": str(tmp_path / "pond-var"),
            "POND_EMBEDDED_REGISTRY": "0",
            "POND_LOG_LEVEL": "DEBUG",
            "JFROG_ML_URL": upstream,
            "JFROG_ML_TOKEN": "drill-token",
            "JFROG_ML_CONNECT_TIMEOUT": "0.3",
            "JFROG_ML_READ_TIMEOUT": "0.5",
            "JFROG_ML_RETRIES": "0",
            "JFROG_ML_BACKOFF": "0",
            "JFROG_ML_BREAKER_THRESHOLD": "3",
            "JFROG_ML_BREAKER_RESET": "1",
            "POND_LOGIN_COOLOFF": "5",
        }
    )
    env.update({f"JFROG_ML_TTL_{name}": str(ttl) for name in TTL_SETTINGS})
    env.update(extra or {})
    return env


@contextlib.contextmanager
def pond_server(
    *, env: dict[str, str], tmp_path: Path, threads: int = 8, port: int | None = None
) -> Iterator[PondServer]:
    port = port or free_port()
    log_path = tmp_path / f"pond-{port}.log"
    Path(env["POND_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "gunicorn", "webui.wsgi:application",
        "--worker-class", "gthread", "--workers", "1", "--threads", str(threads),
        "--bind", f"127.0.0.1:{port}", "--timeout", "30", "--graceful-timeout", "2",
        "--access-logfile", "-", "--error-logfile", "-", "--log-level", "debug",
        "--logger-class", "webui.core.gunicorn_logging.RedactingLogger",  # as production
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = PondServer(process=process, url=f"http://127.0.0.1:{port}", log_path=log_path)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"Pond did not start:\n{server.log()[-3000:]}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(server.url + "/healthz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"Pond did not answer /healthz within 30 s:\n{server.log()[-3000:]}")
            time.sleep(0.2)
        yield server
    finally:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
