from __future__ import annotations

import time

from django.conf import settings
from django.http import HttpRequest

from webui.jfrogml import capabilities


def pond(request: HttpRequest) -> dict:
    return {
        "POND_EMBEDDED_REGISTRY": settings.POND_EMBEDDED_REGISTRY,
        # What the upstream can do: forms offer only that, pages say where a status
        # comes from (the JFrog ML platform has no version status: Pond's ledger).
        "upstream": capabilities.current(),
        # pond.js counts the data's age on from the server's clock, not the reader's.
        "server_now": str(int(time.time())),
    }
