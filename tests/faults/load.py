"""Steady page load from a few threads, recording every answer, for fault drills."""

from __future__ import annotations

import itertools
import re
import threading
import time
from dataclasses import dataclass

import requests


@dataclass(frozen=True)
class Answer:
    url: str
    status: int  # 0: no HTTP answer at all (connection error, or our own timeout)
    seconds: float
    stale: bool
    at: float
    error: str = ""
    freshness: str = ""  # the page's "Data as of ..." line


def run_load(
    session: requests.Session, base: str, urls: list[str], *, seconds: float, threads: int = 4, timeout: float = 15
) -> list[Answer]:
    """GET `urls` round-robin from `threads` threads (one shared cookie jar) for `seconds`."""
    answers: list[Answer] = []
    lock = threading.Lock()
    cycle = itertools.cycle(urls)
    stop_at = time.monotonic() + seconds

    def worker() -> None:
        # One Session per thread (requests' Session is not thread-safe), same login cookies.
        own = requests.Session()
        own.cookies.update(session.cookies)
        while time.monotonic() < stop_at:
            with lock:
                url = next(cycle)
            started = time.monotonic()
            try:
                resp = own.get(base + url, timeout=timeout, allow_redirects=False)
                found = re.search(r'class="freshness[^"]*"[^>]*>([^<]*)<', resp.text)
                answer = Answer(url, resp.status_code, time.monotonic() - started,
                                'data-testid="stale-banner"' in resp.text, started,
                                freshness=found.group(1) if found else "")  # fmt: skip
            except requests.RequestException as exc:
                answer = Answer(url, 0, time.monotonic() - started, False, started, type(exc).__name__)
            with lock:
                answers.append(answer)
        own.close()

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(seconds + timeout + 5)
    return answers


def summary(answers: list[Answer]) -> str:
    by_status: dict[int, int] = {}
    for a in answers:
        by_status[a.status] = by_status.get(a.status, 0) + 1
    slowest = max((a.seconds for a in answers), default=0.0)
    return f"{len(answers)} answers, by status {by_status}, slowest {slowest:.2f} s"
