"""Login throttling helpers for django-axes (settings: the "Login throttling" block).

Axes counts failed logins per (username, client address) and refuses further
attempts for a cool-off period; these two callables decide what "client address"
means and what a throttled person sees.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_ip(request: HttpRequest) -> str:
    """The client's address: the TCP peer, or behind a trusted proxy the nearest hop it saw.

    X-Forwarded-For is whatever the client says it is, so it is read only when the
    peer is one of POND_TRUSTED_PROXIES, from the right (the hop that proxy itself
    added) leftwards past further trusted proxies. Without that setting behind a proxy,
    every login shares the proxy's address: the (username, address) lockout then acts
    per username, which lets anyone lock a colleague out for a cool-off; set it.
    A request with no peer address (a unix socket, Django's test client after
    force_login) counts as 0.0.0.0: axes stores the address in an IP column, which
    PostgreSQL refuses to fill with anything else.
    """
    peer = request.META.get("REMOTE_ADDR", "") or "0.0.0.0"  # noqa: S104 - a placeholder, nothing binds to it
    trusted = settings.POND_TRUSTED_PROXIES
    if not trusted or not _within(peer, trusted):
        return peer
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        try:
            address = ipaddress.ip_address(hop)
        except ValueError:
            return peer  # a malformed hop: trust nothing to its left
        if not any(address in network for network in trusted):
            return str(address)
    return peer


def _within(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


# --- every authentication attempt, per address ------------------------------------

_LOGIN_PATHS = ("/accounts/login/", "/accounts/password_change/", "/admin/login/")


def is_auth_attempt(request: HttpRequest) -> bool:
    """A request that makes Pond check a password: a login or password-change form
    post, or any call with HTTP basic credentials (the registry API)."""
    if request.META.get("HTTP_AUTHORIZATION", "")[:6].lower() == "basic ":
        return True
    return request.method == "POST" and request.path_info in _LOGIN_PATHS


class AuthAttemptLimitMiddleware:
    """At most POND_AUTH_ATTEMPTS_PER_MINUTE failed authentication attempts per client address.

    In front of axes' per-(username, address) lockout: axes never limits guesses
    spread over many usernames, and each guess costs a full password hash (~0.2 s
    of CPU). Failures are counted (a rejected basic-auth call, a login or password
    change that did not succeed), so a program calling the API with good credentials
    is never slowed; once over the limit, every attempt from that address waits out
    the minute. Counted in a per-minute window in the shared cache; a cache that is
    not answering limits nothing (it costs speed, never logins).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_auth_attempt(request):
            return self.get_response(request)
        window = int(time.time() // 60)
        key = f"auth-failures:{client_ip(request)}:{window}"
        cache = caches["default"]
        try:
            failures = cache.get(key) or 0
        except Exception:  # the cache's own errors vary by backend
            failures = 0
        if failures >= settings.POND_AUTH_ATTEMPTS_PER_MINUTE:
            retry = 60 - int(time.time()) % 60
            response = HttpResponse(
                f"Too many failed sign-in attempts from your address. Try again in {retry} seconds.\n",
                status=429,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = str(retry)
            return response
        response = self.get_response(request)
        if _failed(request, response):
            try:
                cache.add(key, 0, timeout=120)
                cache.incr(key)
            except Exception:  # noqa: S110 - counting is best effort
                pass
        return response


def _failed(request: HttpRequest, response: HttpResponse) -> bool:
    if request.META.get("HTTP_AUTHORIZATION", "")[:6].lower() == "basic ":
        return response.status_code == 401
    # A form post that succeeded redirects; anything else (the form again, a lockout) failed.
    return response.status_code not in (301, 302, 303)


def _minutes(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} seconds"
    return f"{round(seconds / 60)} minutes"


def lockout_message() -> str:
    return (
        "Too many failed logins for this account from your address. "
        f"Try again in {_minutes(settings.AXES_COOLOFF_TIME.total_seconds())}."
    )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """The login form again, with a message saying when to try again (429, nothing logged in)."""
    form = AuthenticationForm(request, data=request.POST or None)
    # The form is shown, not validated: validating would call authenticate() again.
    form._errors, form.cleaned_data = {}, {}
    form.add_error(None, lockout_message())
    context = {"form": form, "next": request.POST.get("next", "") if request.method == "POST" else ""}
    return render(request, "registration/login.html", context, status=429)
