"""Where the time goes: py-spy samples Pond's web workers while a load runs (the mixed
workload by default, or wrk on one page).

py-spy (`pip install py-spy`, a dev dependency) attaches to running processes, so
the profile is of the real gunicorn workers under load, not of a test client.
Without py-spy the profile is skipped and the report says so.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import load

_LINE_NO = re.compile(r":\d+\)$")


def py_spy() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


def profile_page(url: str, *, master_pid: int, seconds: float, connections: int, headers: dict[str, str],
                 out: Path) -> dict[str, Any]:
    """Sample every web worker for `seconds` while wrk drives one page."""

    def drive() -> dict[str, Any]:
        return load.wrk(url, seconds=seconds, connections=connections, headers=headers).as_dict()

    found = profile_while(drive, master_pid=master_pid, seconds=seconds, out=out)
    return {**found, "url": url} if found.get("verdict") == "ok" else found


def profile_while(drive: Callable[[], dict[str, Any] | None], *, master_pid: int, seconds: float,
                  out: Path) -> dict[str, Any]:
    """Sample every web worker for `seconds` while `drive()` loads them; returns the hottest functions."""
    exe = py_spy()
    if exe is None:
        return {"verdict": "not available (py-spy is not installed)"}
    raw = out / "profile.txt"
    spy_log = out / "py-spy.log"
    with open(spy_log, "w") as log_file:
        spy = subprocess.Popen(
            [exe, "record", "--pid", str(master_pid), "--subprocesses", "--duration", str(max(1, round(seconds))),
             "--rate", "100", "--format", "raw", "--output", str(raw), "--nonblocking"],
            stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )
    time.sleep(1.0)  # let py-spy attach before the load starts
    loaded = drive()
    try:
        spy.wait(timeout=20)
    except subprocess.TimeoutExpired:
        # On a busy machine py-spy can lag behind; SIGINT makes it write what it has.
        spy.send_signal(signal.SIGINT)
        try:
            spy.wait(timeout=20)
        except subprocess.TimeoutExpired:
            spy.kill()
            spy.wait()
    if not raw.exists():
        tail = spy_log.read_text(errors="replace").strip()[-300:] if spy_log.exists() else ""
        return {"verdict": f"not available (py-spy exited {spy.returncode}: {tail})"}
    return {"verdict": "ok", "load": loaded, **summarise(raw)}


# Where a sample's time is attributed: the innermost frame that belongs to one of these.
# py-spy names a file relative to its sys.path entry ("redis/lock.py"), or in full.
BUCKETS = (
    ("templates", ("django/template/", "jinja2/")),
    ("cache and locks (Redis)", ("django_redis/", "redis/")),
    ("database", ("psycopg/", "django/db/", "sqlite3/")),
    ("upstream HTTP", ("requests/", "urllib3/", "http/client.py")),
    ("JSON", ("json/",)),
    ("HTTP server (gunicorn)", ("gunicorn/",)),
)


def _in(frame: str, marker: str) -> bool:
    where = frame.rsplit("(", 1)[-1]
    return where.startswith(marker) or f"/{marker}" in where


def _bucket(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, markers in BUCKETS:
            if any(_in(frame, m) for m in markers):
                return name
        if _is_pond(frame):
            return "Pond's own code"
    return "Django and other Python"


def summarise(raw: Path, top: int = 15) -> dict[str, Any]:
    """Where the samples went: by kind of work, Pond's own functions (inclusive), and self time."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    buckets: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        frames = [_LINE_NO.sub(")", f.strip()) for f in stack.split(";") if "(" in f]
        if not frames:
            continue
        total += n
        for frame in set(frames):
            inclusive[frame] += n
        own[frames[-1]] += n
        buckets[_bucket(frames)] += n
    if not total:
        return {"samples": 0}

    def share(counter: Counter[str], keep) -> list[dict[str, Any]]:
        rows = [(f, c) for f, c in counter.most_common() if keep(f)][:top]
        return [{"function": _short(f), "share": round(c / total, 3)} for f, c in rows]

    return {
        "samples": total,
        "kinds": [{"kind": k, "share": round(c / total, 3)} for k, c in buckets.most_common()],
        # Pond's own functions (middleware excluded: it wraps everything).
        "inclusive": share(inclusive, lambda f: _is_pond(f) and "middleware" not in f),
        "self": share(own, lambda f: True),
    }


def _is_pond(frame: str) -> bool:
    """py-spy names files relative to the working directory (the repository) when it can."""
    where = frame.rsplit("(", 1)[-1]
    return where.startswith(("webui/", "registry/", "/work/main/webui/", "/work/main/registry/"))


def _short(frame: str) -> str:
    """`fn (/abs/.../site-packages/django/template/base.py)` -> `fn (django/template/base.py)`."""
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in frame:
            head, _, tail = frame.partition("(")
            return f"{head}({tail.split(marker, 1)[1]}"
    return frame
