from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path


def floor(request: HttpRequest) -> JsonResponse:
    """A small JSON answer, the least any Django page can cost."""
    return JsonResponse({"status": "ok", "service": "floor"})


urlpatterns = [path("floor", floor)]
