"""The figures each process records, and one function per event that records them.

A leaf module: it imports nothing of Pond (but `process`, beside it), so any layer may call it (the service
layer does, at its call sites). Label values come from small fixed sets or from
Pond's own code (URL pattern names, operation templates), never from a request or
from upstream data: ids are hostile strings and unbounded in number.

Multiprocess mode (PROMETHEUS_MULTIPROC_DIR, set by settings.py before this is
imported): each process writes its values to files of its own there, named by
host and process id, so that containers sharing one directory (web and worker in
docker-compose.yml, each with pids from 1) never write to the same file.
"""

from __future__ import annotations

import os
import re

from prometheus_client import Counter, Histogram, values

from webui.metrics import process

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # The default names files by pid alone; a fork still changes the identifier, so
    # prometheus_client's fork handling (prefork Celery, gunicorn) works the same.
    values.ValueClass = values.MultiProcessValue(process_identifier=process.identifier)

# Latency buckets for pages and for upstream calls (seconds).
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUESTS = Counter(
    "pond_http_requests",
    "Requests Pond answered, by view (URL pattern name), method and status code.",
    ["view", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "pond_http_request_duration_seconds",
    "Time Pond took to answer a request, by view (URL pattern name).",
    ["view"],
    buckets=_BUCKETS,
)
UPSTREAM_CALLS = Counter(
    "pond_upstream_requests",
    "HTTP requests sent to JFrog ML (each retry counts), by operation and result "
    "(the status code, or the transport error: ConnectionError, ReadTimeout, ConnectTimeout, ...).",
    ["operation", "result"],
)
UPSTREAM_LATENCY = Histogram(
    "pond_upstream_request_duration_seconds",
    "Time one HTTP request to JFrog ML took, by operation.",
    ["operation"],
    buckets=_BUCKETS,
)
BREAKER_OPENED = Counter(
    "pond_upstream_breaker_opened",
    "Times the circuit breaker opened (JFrog ML failed repeatedly; calls refused for a while).",
)
CACHE_LOOKUPS = Counter(
    "pond_cache_lookups",
    "Reads of the data cache, by resource and result: hit (answered from the cache), "
    "miss (waited for JFrog ML), stale (JFrog ML failed; the last good value was served).",
    ["resource", "result"],
)
POLLS = Counter(
    "pond_poller_polls",
    "Deployment polls run, by result (ok, upstream_error).",
    ["result"],
)
POLL_CYCLE = Histogram(
    "pond_poller_cycle_seconds",
    "Time one successful deployment poll took (fetch, record, publish).",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0),
)

# --- label values: bounded, never from a request or upstream data -----------------

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
CACHE_RESOURCES = frozenset({"deployments", "deployment", "model", "versions", "experiments", "experiment"})
_SEGMENT = re.compile(r"[a-z0-9_-]{1,40}")


def method_label(method: str | None) -> str:
    """A request's method as a label: any other word a client sends is "other"."""
    return method if method in METHODS else "other"


def operation(method: str, parts: tuple[str, ...]) -> str:
    """An upstream call's operation: "GET /v1/models/{id}/versions", never an id.

    The client's paths alternate fixed words and ids: ("v1", "models", <id>,
    "versions", <id>). Positions 2, 4, ... are ids; a fixed word that is not a plain
    lower-case word would be a bug, and is hidden all the same.
    """
    shown = [
        "{id}" if i >= 2 and i % 2 == 0 else (str(p) if _SEGMENT.fullmatch(str(p)) else "{?}")
        for i, p in enumerate(parts)
    ]
    return f"{method_label(method)} /" + "/".join(shown)


# --- the events -------------------------------------------------------------------


def request_observed(*, view: str, method: str | None, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(view, method_label(method), str(status)).inc()
    HTTP_LATENCY.labels(view).observe(seconds)


def upstream_call_observed(*, method: str, parts: tuple[str, ...], result: str, seconds: float) -> None:
    name = operation(method, parts)
    UPSTREAM_CALLS.labels(name, result).inc()
    UPSTREAM_LATENCY.labels(name).observe(seconds)


def breaker_opened() -> None:
    BREAKER_OPENED.inc()


def cache_lookup(key: str, result: str) -> None:
    """`key` is the data cache's key ("model:<id>", "deployments"): only its kind is kept."""
    resource = key.split(":", 1)[0]
    CACHE_LOOKUPS.labels(resource if resource in CACHE_RESOURCES else "other", result).inc()


def poll_observed(*, result: str, seconds: float | None = None) -> None:
    POLLS.labels(result).inc()
    if seconds is not None:
        POLL_CYCLE.observe(seconds)
