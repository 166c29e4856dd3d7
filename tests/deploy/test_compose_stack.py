"""`docker compose up`, as the README tells an operator, on every CI run.

Build the image, start the stack under a project name of its own, wait for
/healthz and /readyz, create the first admin as the README says, log in, load every
core page with no error, see /status.json fresh with the deployments, restart the
worker and see polling resume, then `down -v`. Needs a Docker engine: a machine
without one skips with the reason (in CI that is a failure: .ci/run starts one).

Base images: the real ones when they can be pulled; where no container registry
answers (this workplace), the stand-ins that ../shared/docker-stand-ins/build.sh
builds from Debian's packages.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import requests

from tests.conftest import IN_CI
from tests.faults.pond_server import free_port

pytestmark = [pytest.mark.deploy, pytest.mark.slow, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]
STAND_INS = REPO.parent / "shared" / "docker-stand-ins" / "build.sh"
BASE_IMAGES = ("python:3.11-slim", "redis:7-alpine", "postgres:16-alpine")
ADMIN_PASSWORD = "Smoke-admin-" + uuid.uuid4().hex[:12]
# The only name DJANGO_ALLOWED_HOSTS lists, as in the README's .env: every request of this
# test says it, and the stack's own healthchecks and self-calls must not need it.
PUBLIC_HOST = "pond.example.com"
AS_PUBLIC = {"Host": PUBLIC_HOST}
CORE_PAGES = (
    "/", "/models/", "/experiments/", "/deployments/", "/reviews/", "/audit/", "/status/",
    "/insights/production/", "/insights/hygiene/", "/insights/resources/",
)  # fmt: skip


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason}; CI must have it (.ci/run starts the Docker engine)")
    pytest.skip(reason)


def _run(args: list[str], *, timeout: float, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(args)} -> {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def _compose_command() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return None


@pytest.fixture(scope="module")
def compose() -> list[str]:
    if not shutil.which("docker"):
        _unavailable("no docker command on this machine")
    if subprocess.run(["docker", "info"], capture_output=True, timeout=60).returncode != 0:
        _unavailable("no Docker engine is answering (docker info failed)")
    command = _compose_command()
    if command is None:
        _unavailable("neither docker-compose nor `docker compose` is installed")
    missing = [i for i in BASE_IMAGES if subprocess.run(["docker", "image", "inspect", i], capture_output=True).returncode]
    for image in missing:
        if subprocess.run(["docker", "pull", "-q", image], capture_output=True, timeout=300).returncode != 0:
            break  # no registry answers: build every stand-in at once
    else:
        missing = []
    missing = [i for i in missing if subprocess.run(["docker", "image", "inspect", i], capture_output=True).returncode]
    if missing:
        if not STAND_INS.exists():
            _unavailable(f"base images {missing} can neither be pulled nor built (no {STAND_INS})")
        _run(["bash", str(STAND_INS)], timeout=900)
    return command


@pytest.fixture(scope="module")
def stack(compose) -> Iterator[dict]:
    project = f"pondsmoke{uuid.uuid4().hex[:8]}"
    image = f"pond:{project}"
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "POND_", "REDIS_", "DATABASE_URL", "JFROG_ML_"))},
        "DJANGO_SECRET_KEY": uuid.uuid4().hex * 2,
        "REDIS_PASSWORD": uuid.uuid4().hex,
        "POSTGRES_PASSWORD": uuid.uuid4().hex,
        "POND_IMAGE": image,
        "POND_PORT": str(port),
        "POND_POLL_INTERVAL": "2",
        "WEB_CONCURRENCY": "2",
        # As the README's .env: only the public name (the healthchecks must not depend on it).
        "DJANGO_ALLOWED_HOSTS": PUBLIC_HOST,
    }
    base = [*compose, "-p", project, "-f", str(REPO / "docker-compose.yml")]
    # What the README says: build the image, then up -d. (--network host: the build
    # reaches the package registries the way this machine does.)
    _run(["docker", "build", "--network", "host", "-q", "-t", image, "."], timeout=600, env=env)
    try:
        _run([*base, "config", "-q"], timeout=60, env=env)
        _run([*base, "up", "-d", "--no-build"], timeout=300, env=env)
        yield {"base": base, "env": env, "url": f"http://127.0.0.1:{port}", "project": project}
    except BaseException:
        raise
    finally:
        logs = subprocess.run([*base, "logs", "--no-color", "--tail", "200"], cwd=REPO, env=env, capture_output=True, text=True)
        (REPO / "tests" / "artifacts").mkdir(exist_ok=True)
        (REPO / "tests" / "artifacts" / "compose-smoke.log").write_text(logs.stdout + logs.stderr)
        subprocess.run([*base, "down", "-v", "--remove-orphans"], cwd=REPO, env=env, capture_output=True, timeout=300)
        subprocess.run(["docker", "image", "rm", "-f", image], capture_output=True, timeout=120)


def _logs(stack) -> str:
    done = subprocess.run([*stack["base"], "logs", "--no-color", "--tail", "80"], cwd=REPO, env=stack["env"], capture_output=True, text=True)
    return done.stdout[-12000:]


def _wait_for(check, seconds: float, what: str, stack) -> None:
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except requests.RequestException as exc:
            last = exc
        time.sleep(1)
    raise AssertionError(f"{what} within {seconds:.0f} s (last error: {last})\n{_logs(stack)}")


def _login(url: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    session.headers.update(AS_PUBLIC)
    page = session.get(url + "/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    resp = session.post(
        url + "/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": url + "/accounts/login/"},
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 302, (resp.status_code, resp.text[:500])
    return session


def _status(session: requests.Session, url: str) -> dict:
    resp = session.get(url + "/status.json", timeout=10)
    assert resp.status_code == 200, resp.text[:300]
    return resp.json()


def test_the_compose_stack_serves_pond_and_keeps_polling_across_a_worker_restart(stack):
    url, base, env = stack["url"], stack["base"], stack["env"]
    _wait_for(lambda: requests.get(url + "/healthz", headers=AS_PUBLIC, timeout=3).status_code == 200, 180, "/healthz answered 200", stack)
    _wait_for(lambda: requests.get(url + "/readyz", headers=AS_PUBLIC, timeout=3).status_code == 200, 120, "/readyz answered 200", stack)
    # Migrations ran once, in their own one-shot service, before web started.
    migrate = _run([*base, "ps", "-q", "migrate"], timeout=60, env=env).stdout.split()
    assert migrate, "no migrate container"
    state = json.loads(_run(["docker", "inspect", *migrate], timeout=60).stdout)[0]["State"]
    assert (state["Status"], state["ExitCode"]) == ("exited", 0), state

    # The first admin, as the README tells an operator (non-interactively), and
    # sample deployments for the status page.
    _run([*base, "exec", "-T", "-e", f"DJANGO_SUPERUSER_PASSWORD={ADMIN_PASSWORD}", "web", "python", "manage.py",
          "createsuperuser", "--noinput", "--username", "admin", "--email", "admin@example.com"], timeout=120, env=env)  # fmt: skip
    _run([*base, "exec", "-T", "web", "python", "manage.py", "seed_demo", "--no-users",
          "--models", "3", "--deployments", "3"], timeout=180, env=env)  # fmt: skip

    session = _login(url, "admin", ADMIN_PASSWORD)
    for page in CORE_PAGES:
        resp = session.get(url + page, timeout=30)
        assert resp.status_code == 200, (page, resp.status_code, resp.text[:800], _logs(stack))
        assert 'data-testid="stale-banner"' not in resp.text, (page, _logs(stack))
    first = session.get(url + "/models/", timeout=30).text
    model = re.search(r'href="(/models/[^"/]+/)"', first)
    assert model, first[:2000]
    assert session.get(url + model.group(1), timeout=30).status_code == 200

    # The poller (worker + beat over Redis) keeps /status.json fresh with the deployments.
    def fresh_with_deployments() -> bool:
        doc = _status(session, url)
        return bool(doc["deployments"]) and doc["checked_at"] is not None and doc["stale"] is False

    _wait_for(fresh_with_deployments, 90, "/status.json was fresh with the deployments", stack)

    # Restart the worker: polling resumes.
    _run([*base, "restart", "worker"], timeout=120, env=env)
    restarted = time.time()

    def polled_again() -> bool:
        doc = _status(session, url)
        checked = datetime.fromisoformat(doc["checked_at"].replace("Z", "+00:00")).timestamp()
        return checked > restarted and doc["stale"] is False

    _wait_for(polled_again, 120, "polling resumed after the worker restarted", stack)

    # The services' own healthchecks agree.
    def all_healthy() -> bool:
        ids = _run([*base, "ps", "-q", "web", "worker", "beat"], timeout=60, env=env).stdout.split()
        states = json.loads(_run(["docker", "inspect", *ids], timeout=60).stdout)
        return all(s["State"].get("Health", {}).get("Status") == "healthy" for s in states)

    _wait_for(all_healthy, 150, "web, worker and beat reported healthy", stack)
