"""Request counts and latency per view.

A request is labelled by the name of the URL pattern it resolved to (namespaced,
e.g. "status:badge"), never by its path: paths hold upstream ids, which are
hostile and unbounded in number. A view without a name is labelled by its
function's dotted path; a request that resolved to nothing is "<unresolved>".
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from webui.metrics import instruments

UNRESOLVED = "<unresolved>"


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        instruments.request_observed(
            view=match.view_name if match is not None else UNRESOLVED,
            method=request.method,
            status=response.status_code,
            seconds=time.perf_counter() - started,
        )
        return response
