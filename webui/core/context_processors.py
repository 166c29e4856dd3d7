from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def pond(request: HttpRequest) -> dict:
    return {"POND_EMBEDDED_REGISTRY": settings.POND_EMBEDDED_REGISTRY}
