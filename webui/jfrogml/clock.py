"""The service layer's clock: what the data cache, `Freshness` and the breaker read as
"now" (POSIX seconds).

One function, looked up at every call, so that tests move time forward instead of
sleeping through a TTL (tests/jfrogml/conftest.py: `later`).
"""

from __future__ import annotations

import time


def now() -> float:
    return time.time()
