from __future__ import annotations

import time

from django.conf import settings
from django.http import HttpRequest


def pond(request: HttpRequest) -> dict:
    return {
        "POND_EMBEDDED_REGISTRY": settings.POND_EMBEDDED_REGISTRY,
        # pond.js counts the data's age on from the server's clock, not the reader's.
        "server_now": str(int(time.time())),
    }
