"""A real Celery worker (with embedded beat) as a subprocess, for end-to-end tests.

    with celery_worker(env=worker_env(upstream_url=..., cache_prefix=...), tmp_path=tmp_path) as worker:
        ...  # the worker polls; worker.log_tail() helps when an assertion fails

The worker gets its own queue, var dir and beat schedule file, the test's database
(file SQLite or PostgreSQL: `database_url()` must be called after pytest-django
set the test database up), and is killed (its whole process group) on exit,
whatever happened in the test.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings

BASE_DIR = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """DATABASE_URL of the current (test) database, for another process."""
    db = settings.DATABASES["default"]
    engine = db["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        name = str(db["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            raise RuntimeError("A worker process cannot share an in-memory SQLite database.")
        return f"sqlite:///{Path(name).resolve()}"
    if engine == "django.db.backends.postgresql":
        user = quote(db.get("USER") or "", safe="")
        password = quote(str(db.get("PASSWORD") or ""), safe="")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = db.get("HOST") or "127.0.0.1"
        port = db.get("PORT") or 5432
        return f"postgres://{auth}{host}:{port}/{db['NAME']}"
    raise RuntimeError(f"No DATABASE_URL recipe for {engine}.")


def worker_env(
    *,
    upstream_url: str,
    redis_url: str | None,
    cache_prefix: str,
    poll_interval: float = 1.0,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The environment of a worker that shares this test's database, cache and upstream."""
    env = {
        "DJANGO_SETTINGS_MODULE": "webui.settings",
        "DATABASE_URL": database_url(),
        "POND_CACHE_PREFIX": cache_prefix,
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "JFROG_ML_URL": upstream_url,
        "POND_EMBEDDED_REGISTRY": "1",
        # With JFROG_ML_URL set the token is not implied: pass the embedded registry's.
        "JFROG_ML_TOKEN": settings.REGISTRY_SERVICE_TOKEN,
        "POND_POLL_INTERVAL": str(poll_interval),
        "POND_POLL_FAST_INTERVAL": str(min(poll_interval, 1.0)),
        "POND_CELERY_QUEUE": f"pond-test-{uuid.uuid4().hex[:10]}",
        "POND_LOG_LEVEL": "INFO",
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    # Without REDIS_URL: the embedded default, kombu's filesystem:// broker and the
    # file cache under POND_VAR_DIR (pass the test's var dir in `extra` to share it).
    env.update(extra or {})
    return env


@dataclass
class Worker:
    process: subprocess.Popen
    log_path: Path

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no worker log)"

    def alive(self) -> bool:
        return self.process.poll() is None


@contextlib.contextmanager
def celery_worker(*, env: dict[str, str], tmp_path: Path, beat: bool = True) -> Iterator[Worker]:
    full_env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTEST_XDIST_WORKER", "DATABASE_URL", "REDIS_URL"}
    }
    # Settings append the xdist worker name to the cache prefix and queue; the
    # subprocess must use exactly the values given, so it is not told it is one.
    full_env.update(env)
    var_dir = tmp_path / "worker-var"
    var_dir.mkdir(parents=True, exist_ok=True)
    full_env.setdefault("POND_VAR_DIR", str(var_dir))
    Path(full_env["POND_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    log_path = tmp_path / "worker.log"
    command = [
        sys.executable, "-m", "celery", "-A", "webui", "worker",
        "--pool", "solo", "--loglevel", "INFO",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
        "-n", f"pond-test-{uuid.uuid4().hex[:8]}@%h",
    ]  # fmt: skip
    if beat:
        command += ["-B", "-s", str(var_dir / "celerybeat-schedule")]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = Worker(process=process, log_path=log_path)
    try:
        yield worker
    finally:
        _kill(process)


def _kill(process: subprocess.Popen) -> None:
    """TERM the worker's process group, then KILL it if it lingers: never leave one behind."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def eventually(
    check: Callable[[], Any],
    *,
    timeout: float,
    interval: float = 0.2,
    message: str | Callable[[], str] = "",
) -> Any:
    """Call `check` until it returns something truthy; fail after `timeout` seconds.

    `message` may be a callable (e.g. `worker.log_tail`), evaluated only on failure.
    """
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    text = message() if callable(message) else message
    raise AssertionError(f"not within {timeout} s: {text} (last: {last!r})")
