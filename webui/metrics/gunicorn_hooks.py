"""gunicorn settings for Pond: `gunicorn --config python:webui.metrics.gunicorn_hooks ...`.

prometheus_client's multiprocess mode asks that a dead worker be marked so, so that
its live gauges stop counting (its counters and histograms are kept: they still
add up). The master process never imports Django; it reads the directory from the
environment, which settings.py (run_pond, tests) or the deployment (compose) set.
"""

from __future__ import annotations

import os
from typing import Any


def child_exit(server: Any, worker: Any) -> None:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    from prometheus_client import multiprocess

    from webui.metrics.process import identifier_of

    multiprocess.mark_process_dead(identifier_of(worker.pid))
