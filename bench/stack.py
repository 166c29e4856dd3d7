"""The production-shaped stack the benchmark drives, started and always stopped by it.

Every process runs in a process group of its own, so stopping one stops its
children too (gunicorn workers, Celery pool processes), and nothing outlives the
benchmark. Every wait is bounded in time.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
PG_DATABASE = "pond_bench"
REDIS_URL = "redis://127.0.0.1:6379/14"
CACHE_PREFIX = "pondbench"
CELERY_QUEUE = "pondbench"


class StackError(RuntimeError):
    """Something the benchmark needs would not start; the message says what."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


# --- Database and Redis ---------------------------------------------------------


def postgres_available() -> bool:
    return port_open(PG_PORT, PG_HOST)


def recreate_database(out_dir: Path, *, engine: str = "auto") -> str:
    """A fresh, empty benchmark database; returns its DATABASE_URL.

    PostgreSQL `pond_bench` when PostgreSQL answers, else a SQLite file under
    bench/out/ (shared by the registry and Pond, so it cannot be in memory).
    """
    if engine == "postgresql" and not postgres_available():
        raise StackError(f"PostgreSQL is not answering on {PG_HOST}:{PG_PORT}")
    if engine != "sqlite" and postgres_available():
        import psycopg

        with psycopg.connect(
            host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True, connect_timeout=5
        ) as conn:
            # FORCE: a previous run killed mid-way may have left connections behind.
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{PG_DATABASE}"')
        return f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{PG_DATABASE}"
    path = out_dir / "bench.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def redis_client():
    import redis

    return redis.Redis.from_url(REDIS_URL, socket_timeout=5, socket_connect_timeout=2)


def redis_flush() -> None:
    """Empty the benchmark's Redis database (done before and after every pass)."""
    client = redis_client()
    try:
        client.flushdb()
    finally:
        client.close()


# What Celery keeps warm (the catalog, the list of every experiment, the deployment
# list): Pond's pages never wait for these, so a "first view" leaves them in place.
CELERY_KEPT = (":catalog:v3:data", ":catalog:v3:patches", ":catalog:v3:stamp", ":experiments:*", ":experiments:*:stamp",
               ":deployments", ":deployments:stamp")


def cache_clear(*, keep: tuple[str, ...] = ()) -> int:
    """Delete every cache key of the benchmark's Pond (but those ending in one of `keep`),
    leaving Celery's broker keys.

    A FLUSHDB here would also drop kombu's queue bindings, after which beat's tasks
    would silently go nowhere; "cold" means an empty cache, not a broken broker.
    """
    client = redis_client()
    deleted = 0
    try:
        batch: list[bytes] = []
        for key in client.scan_iter(match=f"{CACHE_PREFIX}:*", count=1000):
            if keep and key.decode("utf-8", "replace").endswith(keep):
                continue
            batch.append(key)
            if len(batch) >= 500:
                deleted += client.delete(*batch)
                batch = []
        if batch:
            deleted += client.delete(*batch)
    finally:
        client.close()
    return deleted


# --- Processes ------------------------------------------------------------------


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Stack:
    """The processes of one benchmark pass; `stop()` is safe to call any number of times."""

    out_dir: Path
    procs: list[Proc] = field(default_factory=list)

    def start(self, name: str, cmd: list[str], env: dict[str, str]) -> Proc:
        log_path = self.out_dir / f"{name}.log"
        log = open(log_path, "ab")  # noqa: SIM115 - handed to the child, closed on stop
        popen = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()  # the child holds its own copy
        proc = Proc(name, popen, log_path)
        self.procs.append(proc)
        return proc

    def stop(self, name: str | None = None, timeout: float = 15.0) -> None:
        targets = [p for p in self.procs if name is None or p.name == name]
        for proc in targets:
            if proc.alive():
                _signal_group(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in targets:
            try:
                proc.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(proc.pid, signal.SIGKILL)
                proc.popen.wait(timeout=5)
            # Children that outlived their leader (a Celery pool process) go too.
            _signal_group(proc.pid, signal.SIGKILL)
        self.procs = [p for p in self.procs if p not in targets]

    def get(self, name: str) -> Proc:
        for proc in self.procs:
            if proc.name == name:
                return proc
        raise KeyError(name)


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def wait_http(url: str, proc: Proc, timeout: float = 60.0) -> None:
    """Wait until `url` answers at all (any status), or fail with the process's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise StackError(f"{proc.name} exited with code {proc.popen.returncode}:\n{proc.log_tail()}")
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise StackError(f"{proc.name} did not answer {url} within {timeout:.0f} s:\n{proc.log_tail()}")


def gunicorn_cmd(
    app: str, *, ports: list[int], workers: int, threads: int, access_log: Path | None = None
) -> list[str]:
    cmd = [PYTHON, "-m", "gunicorn", app]
    for port in ports:
        cmd += ["--bind", f"127.0.0.1:{port}"]
    cmd += [
        "--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads),
        "--timeout", "60", "--graceful-timeout", "5", "--backlog", "256",
    ]
    if access_log is not None:
        # The caller's X-Request-ID (Pond sends one per call), status, microseconds, request line.
        cmd += ["--access-logfile", str(access_log), "--access-logformat", '%({x-request-id}i)s %(s)s %(D)s "%(r)s"']
    return cmd


def manage(args: list[str], env: dict[str, str], *, timeout: float, log: Path) -> str:
    """Run `manage.py <args>`; returns stdout, raises StackError with the output on failure."""
    started = time.monotonic()
    try:
        done = subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
            start_new_session=True,
        )
    except subprocess.TimeoutExpired as exc:
        raise StackError(f"manage.py {' '.join(args)} took more than {timeout:.0f} s") from exc
    with open(log, "a") as fh:
        fh.write(f"$ manage.py {' '.join(args)}  ({time.monotonic() - started:.1f} s, rc={done.returncode})\n")
        fh.write(done.stdout + done.stderr + "\n")
    if done.returncode != 0:
        raise StackError(f"manage.py {' '.join(args)} failed:\n{(done.stdout + done.stderr)[-3000:]}")
    return done.stdout


def run_python(code: str, env: dict[str, str], *, timeout: float, log: Path) -> str:
    """Run a snippet with Django set up in `env`; returns stdout."""
    prelude = "import django, os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'webui.settings')\ndjango.setup()\n"
    try:
        done = subprocess.run(
            [PYTHON, "-c", prelude + code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
            start_new_session=True,
        )
    except subprocess.TimeoutExpired as exc:
        raise StackError(f"a setup step took more than {timeout:.0f} s") from exc
    with open(log, "a") as fh:
        fh.write(f"$ python -c <snippet> rc={done.returncode}\n{done.stdout}{done.stderr}\n")
    if done.returncode != 0:
        raise StackError(f"setup step failed:\n{(done.stdout + done.stderr)[-3000:]}")
    return done.stdout


# --- Memory -----------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            continue
    return kids


def process_tree(pid: int) -> list[int]:
    seen, todo = [], [pid]
    while todo and len(seen) < 1000:
        current = todo.pop()
        seen.append(current)
        todo += _children(current)
    return seen


def vm_hwm_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def peak_memory(proc: Proc) -> dict[str, float | int | None]:
    """Peak resident memory (VmHWM) of a process tree: the largest process and the sum, in MiB."""
    values = [v for v in (vm_hwm_kib(p) for p in process_tree(proc.pid)) if v is not None]
    if not values:
        return {"processes": 0, "max_mib": None, "sum_mib": None}
    return {
        "processes": len(values),
        "max_mib": round(max(values) / 1024, 1),
        "sum_mib": round(sum(values) / 1024, 1),
    }


def cpu_seconds(proc: Proc) -> float:
    """User + system CPU time used so far by a process tree."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in process_tree(proc.pid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
    return total / tick


def clean_dir(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path
