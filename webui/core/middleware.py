"""Headers every response carries (Django 5.2 has no built-in CSP).

Every response gets a Content-Security-Policy that fits what it is: pages the
HTML policy (scripts from Pond's own static files only), and everything else a
browser may open directly (SVG badges and bars, the Atom feed, JSON, CSV, plain
text) a policy that loads nothing and runs nothing. Django's SecurityMiddleware
adds `X-Content-Type-Options: nosniff` to all of them. This middleware sits just
inside SecurityMiddleware, so error responses made by the middlewares below it
(a refused host, a CSRF failure, a throttled login) carry the policy too.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# SVG, XML, JSON, CSV, text: nothing loads, nothing runs (inline style only, for SVG).
DOCUMENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        html = content_type.startswith("text/html")
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY if html else DOCUMENT_SECURITY_POLICY)
        if not html and response.has_header("Cache-Control"):
            return response  # a machine URL that chose its own (the status JSON, badges)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # Anything behind a login (pages, CSV exports, JSON) holds data that must not
            # sit in a shared or browser cache; machine URLs that chose a short private
            # max-age themselves (the status JSON and badges) keep it.
            response["Cache-Control"] = "no-store"
        return response
