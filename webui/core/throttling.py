"""Login throttling helpers for django-axes (settings: the "Login throttling" block).

Axes counts failed logins per (username, client address) and refuses further
attempts for a cool-off period; these two callables decide what "client address"
means and what a throttled person sees.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_ip(request: HttpRequest) -> str:
    """The TCP peer, never a header: X-Forwarded-For is whatever the client says it is.

    Behind a reverse proxy every login then shares the proxy's address, which only
    makes the (username, address) lockout a per-username one: stricter, never looser.
    A request with no peer address (a unix socket, Django's test client after
    force_login) counts as 0.0.0.0: axes stores the address in an IP column, which
    PostgreSQL refuses to fill with anything else.
    """
    return request.META.get("REMOTE_ADDR", "") or "0.0.0.0"  # noqa: S104 - a placeholder, nothing binds to it


def _minutes(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} seconds"
    return f"{round(seconds / 60)} minutes"


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """The login form again, with a message saying when to try again (429, nothing logged in)."""
    form = AuthenticationForm(request, data=request.POST or None)
    # The form is shown, not validated: validating would call authenticate() again.
    form._errors, form.cleaned_data = {}, {}
    form.add_error(
        None,
        "Too many failed logins for this account from your address. "
        f"Try again in {_minutes(settings.AXES_COOLOFF_TIME.total_seconds())}.",
    )
    context = {"form": form, "next": request.POST.get("next", "") if request.method == "POST" else ""}
    return render(request, "registration/login.html", context, status=429)
