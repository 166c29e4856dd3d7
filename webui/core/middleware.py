"""Headers every response carries (Django 5.2 has no built-in CSP)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        html = content_type.startswith("text/html")
        if html:
            response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if not html and response.has_header("Cache-Control"):
            return response  # a machine URL that chose its own (the status JSON, badges)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # Anything behind a login (pages, CSV exports, JSON) holds data that must not
            # sit in a shared or browser cache; machine URLs that chose a short private
            # max-age themselves (the status JSON and badges) keep it.
            response["Cache-Control"] = "no-store"
        return response
