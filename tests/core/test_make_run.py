"""What `make run` does after installing, on a fresh var dir with SQLite and no Redis:
migrate, seed the demo, serve web + worker + beat; Ctrl-C stops everything."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.support import live

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _manage(env: dict, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture
def fresh_env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "POND_", "JFROG_ML_", "REGISTRY_"))}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env.pop("PYTEST_XDIST_WORKER", None)
    env.update(POND_VAR_DIR=str(tmp_path / "var"), PORT=str(_free_port()))
    return env


def test_make_run_serves_the_demo_and_stops_on_ctrl_c(fresh_env):
    _manage(fresh_env, "migrate", "--noinput")
    _manage(fresh_env, "seed_demo")
    _manage(fresh_env, "seed_demo")  # idempotent: a second run adds nothing
    token = _manage(fresh_env, "registry_token", "create", "engineer").stdout.strip().splitlines()[-1]

    port = fresh_env["PORT"]
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "run_pond"], cwd=ROOT, env=fresh_env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    try:
        live.wait_healthy(base)

        listed = requests.get(f"{base}/ml/api/v1/models", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert listed.status_code == 200
        body = listed.json()
        assert body["total_count"] == len({m["name"] for m in body["models"]}) >= 10
        anonymous = requests.get(f"{base}/ml/api/v1/models", timeout=10)
        assert anonymous.status_code == 401
        assert "WWW-Authenticate" in anonymous.headers
        assert requests.get(f"{base}/accounts/login/", timeout=10).status_code == 200
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert f"http://127.0.0.1:{port}/" in output
    assert "pond-demo" in output
    assert "Pond stopped." in output
    # Nothing it started is left listening.
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", int(port))) != 0
